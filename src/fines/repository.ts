import type { BusinessDate } from "../shared/business-date.js";
import type { Tx } from "../shared/db/database.js";
import type { Money } from "../shared/money.js";

export type FineCandidate = {
  id: string;
  establishmentId: string;
  number: string;
  dueDate: Date;
  total: string;
  hasAdjustments: boolean;
};

/**
 * Invoices a fine period may open for, not voided, in id order, a batch at a time: past their
 * due date and not settled in full by it; and, when corrections are fined from their own
 * month's due date, any invoice with adjustment lines whose periods before its due date are not
 * assessed yet. Those periods have all begun when the invoice is issued, so the job takes them
 * the next night; it keeps looking for a month after the due date (a job down that long is a
 * fault to mend, not to wait out), so credits-only invoices are not read again every night.
 */
export async function overdueInvoices(
  tx: Tx,
  query: { today: BusinessDate; afterId: string; limit: number; correctionsFromOriginalDueDate: boolean },
) {
  const today = query.today.toString();
  return tx.$queryRaw<FineCandidate[]>`
    SELECT i.id, i.establishment_id AS "establishmentId", i.number, i.due_date AS "dueDate", i.total::text AS total,
           i.adjustment_line_count > 0 AS "hasAdjustments"
      FROM invoices i
     WHERE i.id > ${query.afterId}
       AND NOT EXISTS (SELECT 1 FROM invoice_voids v WHERE v.invoice_id = i.id)
       AND ((i.due_date < ${today}::date AND i.total > 0
             AND i.total > (SELECT coalesce(sum(s.amount), 0) FROM invoice_settlements s
                             WHERE s.invoice_id = i.id AND s.settled_on <= i.due_date))
            OR (${query.correctionsFromOriginalDueDate} AND i.adjustment_line_count > 0
                AND i.due_date >= ${today}::date - interval '1 month'
                AND NOT EXISTS (SELECT 1 FROM late_fines f WHERE f.invoice_id = i.id AND f.period_number <= 0)))
     ORDER BY i.id LIMIT ${query.limit}`;
}

/**
 * Per invoice, each earlier contribution month its adjustment lines bill more for, with the net
 * amount (a month whose corrections net to a credit is not fined). Adjustment lines are numbered
 * after the contribution lines, so only they are read.
 */
export async function correctedMonthsOf(tx: Tx, invoiceIds: readonly string[]) {
  return tx.$queryRaw<{ invoiceId: string; month: Date; amount: string }[]>`
    SELECT l.invoice_id AS "invoiceId", l.contribution_month AS month,
           sum(l.annuities_employer + l.annuities_employee + l.saned_employer + l.saned_employee
               + l.hazards_employer)::text AS amount
      FROM invoices i
      JOIN invoice_lines l ON l.invoice_id = i.id AND l.line_number > i.contribution_line_count
     WHERE i.id = ANY(${[...invoiceIds]}::text[]) AND i.adjustment_line_count > 0 AND l.kind = 'ADJUSTMENT'
     GROUP BY l.invoice_id, l.contribution_month
    HAVING sum(l.annuities_employer + l.annuities_employee + l.saned_employer + l.saned_employee
               + l.hazards_employer) > 0`;
}

export async function settlementsOf(tx: Tx, invoiceIds: readonly string[]) {
  return tx.$queryRaw<{ invoiceId: string; amount: string; settledOn: Date }[]>`
    SELECT invoice_id AS "invoiceId", amount::text AS amount, settled_on AS "settledOn"
      FROM invoice_settlements WHERE invoice_id = ANY(${[...invoiceIds]}::text[])`;
}

export async function assessedFinesOf(tx: Tx, invoiceIds: readonly string[]) {
  return tx.$queryRaw<{ invoiceId: string; periodNumber: number; unpaidBase: string; amount: string }[]>`
    SELECT invoice_id AS "invoiceId", period_number AS "periodNumber", unpaid_base::text AS "unpaidBase",
           amount::text AS amount
      FROM late_fines WHERE invoice_id = ANY(${[...invoiceIds]}::text[]) ORDER BY invoice_id, period_number`;
}

export async function lockFineAssessment(tx: Tx) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('ishtirak:late-fine-assessment'))`;
}

export type StoredFine = {
  id: string;
  invoiceId: string;
  establishmentId: string;
  periodNumber: number;
  amount: string;
  journalEntryId: string | null;
  waivedAt: Date | null;
};

export async function findFine(tx: Tx, fineId: string, forUpdate = false): Promise<StoredFine | undefined> {
  const rows = await tx.$queryRawUnsafe<StoredFine[]>(
    `SELECT id, invoice_id AS "invoiceId", establishment_id AS "establishmentId", period_number AS "periodNumber",
            amount::text AS amount, journal_entry_id AS "journalEntryId", waived_at AS "waivedAt"
       FROM late_fines WHERE id = $1 ${forUpdate ? "FOR UPDATE" : ""}`,
    fineId,
  );
  return rows[0];
}

/** Fines by establishment or invoice, at most 500; latest period first unless asked otherwise. */
export async function listFines(
  tx: Tx,
  filter: { establishmentId?: string | undefined; invoiceId?: string | undefined },
  order: "latest first" | "oldest first" = "latest first",
) {
  const direction = order === "latest first" ? "desc" : "asc";
  return tx.lateFine.findMany({
    where: {
      ...(filter.establishmentId ? { establishmentId: filter.establishmentId } : {}),
      ...(filter.invoiceId ? { invoiceId: filter.invoiceId } : {}),
    },
    orderBy: [{ periodStart: direction }, { id: direction }],
    take: 500,
  });
}

export type NewLateFine = {
  id: string;
  invoiceId: string;
  establishmentId: string;
  periodNumber: number;
  periodStart: BusinessDate;
  periodEnd: BusinessDate;
  unpaidBase: Money;
  amount: Money;
  assessedOn: BusinessDate;
  journalEntryId: string | null;
  createdAt: Date;
};

/**
 * A batch's fines in one statement: Prisma's createMany spends ~0.3 ms of CPU per row, which
 * a day with hundreds of thousands of overdue invoices would feel.
 */
export async function insertLateFines(tx: Tx, fines: readonly NewLateFine[]): Promise<void> {
  if (fines.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO late_fines (id, invoice_id, establishment_id, period_number, period_start, period_end, unpaid_base,
                            amount, assessed_on, journal_entry_id, created_at)
    SELECT * FROM unnest(${fines.map((fine) => fine.id)}::text[],
                         ${fines.map((fine) => fine.invoiceId)}::text[],
                         ${fines.map((fine) => fine.establishmentId)}::text[],
                         ${fines.map((fine) => fine.periodNumber)}::integer[],
                         ${fines.map((fine) => fine.periodStart.toString())}::date[],
                         ${fines.map((fine) => fine.periodEnd.toString())}::date[],
                         ${fines.map((fine) => fine.unpaidBase.toString())}::numeric[],
                         ${fines.map((fine) => fine.amount.toString())}::numeric[],
                         ${fines.map((fine) => fine.assessedOn.toString())}::date[],
                         ${fines.map((fine) => fine.journalEntryId)}::text[],
                         ${fines.map((fine) => fine.createdAt.toISOString())}::timestamptz[])`;
}
