import type { LateFine } from "../generated/prisma/client.js";
import { BusinessDate } from "../shared/business-date.js";
import { Money } from "../shared/money.js";

const day = (value: Date) => BusinessDate.fromDateColumn(value).toString();

/** A fine as staff and employers see it. */
export function presentLateFine(fine: LateFine) {
  return {
    id: fine.id,
    invoiceId: fine.invoiceId,
    establishmentId: fine.establishmentId,
    periodNumber: fine.periodNumber,
    periodStart: day(fine.periodStart),
    periodEnd: day(fine.periodEnd),
    unpaidBase: Money.fromDecimal(fine.unpaidBase).toString(),
    amount: Money.fromDecimal(fine.amount).toString(),
    assessedOn: day(fine.assessedOn),
    journalEntryId: fine.journalEntryId,
    waived:
      fine.waivedAt && fine.waivedBy && fine.waiverReason
        ? {
            at: fine.waivedAt.toISOString(),
            by: fine.waivedBy,
            reason: fine.waiverReason,
            reversalEntryId: fine.waiverEntryId,
          }
        : null,
  };
}
