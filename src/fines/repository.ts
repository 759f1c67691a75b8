import type { BusinessDate } from "../shared/business-date.js";
import type { Tx } from "../shared/db/database.js";
import type { Money } from "../shared/money.js";

export type FineCandidate = {
  id: string;
  establishmentId: string;
  number: string;
  dueDate: Date;
  total: string;
};

/**
 * Invoices past their due date that were not settled in full by it and not voided: the ones a
 * fine period may open for. Read in id order, a batch at a time.
 */
export async function overdueInvoices(tx: Tx, today: BusinessDate, afterId: string, limit: number) {
  return tx.$queryRaw<FineCandidate[]>`
    SELECT i.id, i.establishment_id AS "establishmentId", i.number, i.due_date AS "dueDate", i.total::text AS total
      FROM invoices i
     WHERE i.due_date < ${today.toString()}::date AND i.total > 0 AND i.id > ${afterId}
       AND NOT EXISTS (SELECT 1 FROM invoice_voids v WHERE v.invoice_id = i.id)
       AND i.total > (SELECT coalesce(sum(s.amount), 0) FROM invoice_settlements s
                       WHERE s.invoice_id = i.id AND s.settled_on <= i.due_date)
     ORDER BY i.id LIMIT ${limit}`;
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
