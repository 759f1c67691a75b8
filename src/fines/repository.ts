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
  voided: boolean;
};

/** One row of the late-fine job's worklist (late_fine_checks), and where a batch read stops. */
export type FineCheck = { checkOn: string; invoiceId: string };

/**
 * The worklist rows due by `today`, a batch at a time in key order after `after`, with their
 * invoices (voided ones too: their rows are dropped). An invoice can have several rows.
 */
export async function dueFineChecks(
  tx: Tx,
  query: { today: BusinessDate; after: FineCheck | undefined; limit: number },
): Promise<{ checks: FineCheck[]; invoices: FineCandidate[] }> {
  const after = query.after ?? { checkOn: "0001-01-01", invoiceId: "" };
  const rows = await tx.$queryRaw<(FineCandidate & { checkOn: string })[]>`
    SELECT to_char(c.check_on, 'YYYY-MM-DD') AS "checkOn", i.id, i.establishment_id AS "establishmentId", i.number,
           i.due_date AS "dueDate", i.total::text AS total, i.adjustment_line_count > 0 AS "hasAdjustments",
           EXISTS (SELECT 1 FROM invoice_voids v WHERE v.invoice_id = i.id) AS voided
      FROM late_fine_checks c JOIN invoices i ON i.id = c.invoice_id
     WHERE c.check_on <= ${query.today.toString()}::date
       AND (c.check_on, c.invoice_id) > (${after.checkOn}::date, ${after.invoiceId})
     ORDER BY c.check_on, c.invoice_id
     LIMIT ${query.limit}`;
  const invoices = new Map<string, FineCandidate>();
  for (const { checkOn: _, ...invoice } of rows) invoices.set(invoice.id, invoice);
  return { checks: rows.map((row) => ({ checkOn: row.checkOn, invoiceId: row.id })), invoices: [...invoices.values()] };
}

/**
 * Drops the worklist rows a batch handled and writes each invoice's next look. Only the rows
 * read are dropped: one a refund adds meanwhile stays for the next night.
 */
export async function completeFineChecks(tx: Tx, handled: readonly FineCheck[], next: readonly FineCheck[]) {
  if (handled.length > 0) {
    await tx.$executeRaw`
      DELETE FROM late_fine_checks c
       USING unnest(${handled.map((check) => check.checkOn)}::date[], ${handled.map((check) => check.invoiceId)}::text[])
             AS h(check_on, invoice_id)
       WHERE c.check_on = h.check_on AND c.invoice_id = h.invoice_id`;
  }
  if (next.length > 0) {
    await tx.$executeRaw`
      INSERT INTO late_fine_checks (check_on, invoice_id)
      SELECT * FROM unnest(${next.map((check) => check.checkOn)}::date[], ${next.map((check) => check.invoiceId)}::text[])
      ON CONFLICT DO NOTHING`;
  }
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
