import { randomUUID } from "node:crypto";
import { credit, debit, type JournalEntryDraft } from "../../src/ledger/journal-entry.js";
import { BusinessDate } from "../../src/shared/business-date.js";
import { Money } from "../../src/shared/money.js";

/** A balanced invoice-like entry: receivable against annuities income, unique key by default. */
export function invoiceDraft(
  options: { establishmentId?: string; amount?: string; effectiveDate?: string; idempotencyKey?: string } = {},
): JournalEntryDraft {
  const amount = Money.sar(options.amount ?? "1000.00");
  const establishmentId = options.establishmentId ?? `est_${randomUUID().slice(0, 8)}`;
  return {
    idempotencyKey: options.idempotencyKey ?? `test:${randomUUID()}`,
    sourceType: "INVOICE",
    sourceId: `inv_${randomUUID().slice(0, 8)}`,
    entryCode: "INVOICE_ISSUED",
    description: "Contributions for 2026-10",
    effectiveDate: BusinessDate.parse(options.effectiveDate ?? "2026-11-01"),
    lines: [
      debit("RECEIVABLE_CONTRIBUTIONS", amount, establishmentId),
      credit("CONTRIBUTIONS_ANNUITIES_EMPLOYER", amount),
    ],
  };
}
