import type { StaffActor } from "../auth/actor.js";
import type { CorrectionFinePolicy } from "../config.js";
import { credit, debit, type JournalEntryDraft } from "../ledger/journal-entry.js";
import { postJournalEntries, reverseJournalEntry } from "../ledger/service.js";
import { applyCreditBalancesWithin } from "../payments/record.js";
import { BusinessDate } from "../shared/business-date.js";
import type { Clock } from "../shared/clock.js";
import { ContributionMonth } from "../shared/contribution-month.js";
import type { PrismaClient } from "../shared/db/database.js";
import { AppError } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import { Money } from "../shared/money.js";
import { nextFineCheck, periodsToAssess } from "./late-fine.js";
import {
  assessedFinesOf,
  completeFineChecks,
  correctedMonthsOf,
  dueFineChecks,
  type FineCheck,
  findFine,
  insertLateFines,
  listFines,
  lockFineAssessment,
  settlementsOf,
} from "./repository.js";

/** Invoices per assessment transaction. */
const assessmentBatchSize = 1_000;

/**
 * Late-payment fines (billing-cycle.md §3.1). The daily job assesses every fine period that has
 * begun, once (a unique period per invoice, and an idempotent journal entry), as its own record
 * and its own entry: receivable fines against fine income, never mixed into contribution lines.
 * It reads only the invoices its worklist (LateFineCheck) names for the day, not every invoice
 * ever issued: an unpaid invoice is looked at on the first day of each fine period, a paid one
 * not again unless money is taken back from it.
 *
 * Fines run from the due date of the invoice that bills an amount, except, by default, what an
 * adjustment line adds to an earlier month: that was owed since the earlier month's own due
 * date (billing-cycle.md §6), so its periods open from then (numbered 0, -1, … before the
 * invoice's). `correctionFinesFrom: "INVOICE_DUE_DATE"` (LATE_FINES_ON_CORRECTIONS) is the
 * switch the notes ask for: an agency that spares voluntary corrections fines them from the
 * invoice's due date like the rest.
 */
export function createFineService(deps: { db: PrismaClient; clock: Clock; correctionFinesFrom: CorrectionFinePolicy }) {
  const { db, clock } = deps;
  const correctionsFromOriginalDueDate = deps.correctionFinesFrom === "ORIGINAL_DUE_DATE";
  const today = () => BusinessDate.fromInstant(clock.now());

  return {
    async assessLateFines(): Promise<{ invoicesExamined: number; finesAssessed: number; amount: Money }> {
      const assessedOn = today();
      let after: FineCheck | undefined;
      let invoicesExamined = 0;
      let finesAssessed = 0;
      let amount = Money.zero;
      for (;;) {
        const batch = await db.$transaction(
          async (tx) => {
            await lockFineAssessment(tx);
            const due = await dueFineChecks(tx, { today: assessedOn, after, limit: assessmentBatchSize });
            if (due.checks.length === 0) return undefined;
            const invoices = due.invoices.filter((invoice) => !invoice.voided);
            const ids = invoices.map((invoice) => invoice.id);
            const settlements = new Map(
              [...groupByInvoice(await settlementsOf(tx, ids))].map(([invoiceId, rows]) => [
                invoiceId,
                rows.map((row) => ({
                  amount: Money.fromDecimal(row.amount),
                  settledOn: BusinessDate.fromDateColumn(row.settledOn),
                })),
              ]),
            );
            const settlementsFor = (invoiceId: string) => settlements.get(invoiceId) ?? [];
            const assessed = groupByInvoice(await assessedFinesOf(tx, ids));
            const correctedIds = invoices.filter((invoice) => invoice.hasAdjustments).map((invoice) => invoice.id);
            const correctedMonths = groupByInvoice(
              correctionsFromOriginalDueDate && correctedIds.length > 0
                ? await correctedMonthsOf(tx, correctedIds)
                : [],
            );
            const fines = invoices.flatMap((invoice) =>
              periodsToAssess({
                contributions: Money.fromDecimal(invoice.total),
                dueDate: BusinessDate.fromDateColumn(invoice.dueDate),
                earlierParts: (correctedMonths.get(invoice.id) ?? []).map((corrected) => ({
                  dueDate: ContributionMonth.fromDateColumn(corrected.month).dueDate(),
                  amount: Money.fromDecimal(corrected.amount),
                })),
                settlements: settlementsFor(invoice.id),
                assessed: (assessed.get(invoice.id) ?? []).map((fine) => ({
                  number: fine.periodNumber,
                  unpaidBase: Money.fromDecimal(fine.unpaidBase),
                  amount: Money.fromDecimal(fine.amount),
                })),
                today: assessedOn,
              }).map((fine) => ({ ...fine, invoice })),
            );
            const drafts: JournalEntryDraft[] = fines
              .filter((fine) => fine.amount.isPositive())
              .map((fine) => ({
                idempotencyKey: `fine:${fine.invoice.id}:${fine.period.number}`,
                sourceType: "FINE",
                sourceId: `${fine.invoice.id}:${fine.period.number}`,
                entryCode: "LATE_FINE_ASSESSED",
                description: `Late-payment fine, period ${fine.period.number}, invoice ${fine.invoice.number}`,
                effectiveDate: assessedOn,
                lines: [
                  debit("RECEIVABLE_FINES", fine.amount, fine.invoice.establishmentId),
                  credit("FINES_INCOME", fine.amount),
                ],
              }));
            const posted = await postJournalEntries(tx, drafts);
            const entryByKey = new Map(drafts.map((draft, index) => [draft.idempotencyKey, posted[index]?.entryId]));
            const now = clock.now();
            await insertLateFines(
              tx,
              fines.map((fine) => ({
                id: newId("fine"),
                invoiceId: fine.invoice.id,
                establishmentId: fine.invoice.establishmentId,
                periodNumber: fine.period.number,
                periodStart: fine.period.start,
                periodEnd: fine.period.end,
                unpaidBase: fine.unpaidBase,
                amount: fine.amount,
                assessedOn,
                // A period whose rounded share is zero still counts as assessed; it has no entry.
                journalEntryId: entryByKey.get(`fine:${fine.invoice.id}:${fine.period.number}`) ?? null,
                createdAt: now,
              })),
            );
            // Each invoice's next look goes in last, after the postings: see LateFineCheck.
            await completeFineChecks(
              tx,
              due.checks,
              invoices.flatMap((invoice) => {
                const next = nextFineCheck({
                  contributions: Money.fromDecimal(invoice.total),
                  dueDate: BusinessDate.fromDateColumn(invoice.dueDate),
                  settlements: settlementsFor(invoice.id),
                  today: assessedOn,
                });
                return next ? [{ checkOn: next.toString(), invoiceId: invoice.id }] : [];
              }),
            );
            return { invoices, fines, last: due.checks.at(-1) };
          },
          { timeout: 5 * 60 * 1000, maxWait: 60_000 },
        );
        if (!batch) break;
        // A credit balance pays the fines just assessed, as it pays an invoice issued to it
        // (billing-cycle.md §4): money that arrived late in the day the period opened is often
        // there already. Its own transaction, after the fines committed, takes the
        // establishments' locks the way payments do.
        const fined = new Set(
          batch.fines.filter((fine) => fine.amount.isPositive()).map((fine) => fine.invoice.establishmentId),
        );
        if (fined.size > 0) {
          await db.$transaction((tx) =>
            applyCreditBalancesWithin(
              tx,
              [...fined],
              { cause: "LATE_FINE", causeId: assessedOn.toString(), on: assessedOn },
              clock.now(),
            ),
          );
        }
        invoicesExamined += batch.invoices.length;
        finesAssessed += batch.fines.length;
        amount = amount.plus(Money.sum(batch.fines.map((fine) => fine.amount)));
        after = batch.last;
      }
      return { invoicesExamined, finesAssessed, amount };
    },

    /** Reverses the fine's posting and records who waived it and why; a fine is waived once. */
    async waiveFine(actor: StaffActor, fineId: string, reason: string) {
      const waivedOn = today();
      await db.$transaction(async (tx) => {
        const fine = await findFine(tx, fineId, true);
        if (!fine) throw new AppError("LATE_FINE_NOT_FOUND", `no late fine ${fineId}`);
        if (fine.waivedAt) throw new AppError("LATE_FINE_ALREADY_WAIVED", `late fine ${fineId} was waived already`);
        const reversal = fine.journalEntryId
          ? await reverseJournalEntry(tx, fine.journalEntryId, {
              effectiveDate: waivedOn,
              reason: `Fine waived by staff:${actor.staffUserId}: ${reason}`,
            })
          : undefined;
        await tx.lateFine.update({
          where: { id: fineId },
          data: {
            waivedAt: clock.now(),
            waivedBy: `staff:${actor.staffUserId}`,
            waiverReason: reason,
            waiverEntryId: reversal?.entryId ?? null,
          },
        });
      });
      return db.lateFine.findUniqueOrThrow({ where: { id: fineId } });
    },

    listFines: (filter: { establishmentId?: string | undefined; invoiceId?: string | undefined }) =>
      listFines(db, filter),
  };
}

export type FineService = ReturnType<typeof createFineService>;

/** Rows of a batch by invoice, read once instead of filtering the batch for each invoice. */
function groupByInvoice<Row extends { invoiceId: string }>(rows: readonly Row[]): Map<string, Row[]> {
  const byInvoice = new Map<string, Row[]>();
  for (const row of rows) {
    const group = byInvoice.get(row.invoiceId);
    if (group) group.push(row);
    else byInvoice.set(row.invoiceId, [row]);
  }
  return byInvoice;
}
