import { invoiceCreditKey, invoiceIssuedKey } from "../billing/negative-invoices.js";
import { Prisma } from "../generated/prisma/client.js";
import type { BusinessDate } from "../shared/business-date.js";
import type { ContributionMonth } from "../shared/contribution-month.js";
import type { Tx } from "../shared/db/database.js";

export type InvoiceStatus = "OPEN" | "PARTIALLY_PAID" | "PAID" | "OVERDUE" | "VOID";

/** An invoice with what was settled against it and its fines, as of a business day. */
export type InvoiceSummaryRow = {
  id: string;
  number: string;
  establishmentId: string;
  contributionMonth: Date;
  issueDate: Date;
  dueDate: Date;
  annuitiesEmployer: string;
  annuitiesEmployee: string;
  sanedEmployer: string;
  sanedEmployee: string;
  hazardsEmployer: string;
  adjustmentTotal: string;
  total: string;
  contributionLineCount: number;
  adjustmentLineCount: number;
  finesAssessed: string;
  finesWaived: string;
  settled: string;
  status: InvoiceStatus;
};

/**
 * The status is derived, never stored (the invoice row is immutable): VOID when an admin
 * cancelled it with a credit note, PAID when what was
 * settled covers the contributions and the fines not waived, OVERDUE after the due date with
 * money owed, PARTIALLY_PAID when some arrived, OPEN otherwise (billing-cycle.md §4).
 */
function summaries(today: BusinessDate) {
  return Prisma.sql`
    SELECT i.id, i.number, i.establishment_id AS "establishmentId", i.contribution_month AS "contributionMonth",
           i.issue_date AS "issueDate", i.due_date AS "dueDate",
           i.annuities_employer::text AS "annuitiesEmployer", i.annuities_employee::text AS "annuitiesEmployee",
           i.saned_employer::text AS "sanedEmployer", i.saned_employee::text AS "sanedEmployee",
           i.hazards_employer::text AS "hazardsEmployer", i.adjustment_total::text AS "adjustmentTotal",
           i.total::text AS total, i.contribution_line_count AS "contributionLineCount",
           i.adjustment_line_count AS "adjustmentLineCount",
           f.assessed::text AS "finesAssessed", f.waived::text AS "finesWaived", s.settled::text AS settled,
           CASE WHEN EXISTS (SELECT 1 FROM invoice_voids v WHERE v.invoice_id = i.id) THEN 'VOID'
                WHEN s.settled >= i.total + f.assessed - f.waived THEN 'PAID'
                WHEN ${today.toString()}::date > i.due_date THEN 'OVERDUE'
                WHEN s.settled > 0 THEN 'PARTIALLY_PAID'
                ELSE 'OPEN' END AS status
      FROM invoices i
      CROSS JOIN LATERAL (SELECT coalesce(sum(amount), 0) AS settled FROM invoice_settlements WHERE invoice_id = i.id) s
      CROSS JOIN LATERAL (SELECT coalesce(sum(amount), 0) AS assessed,
                                 coalesce(sum(amount) FILTER (WHERE waived_at IS NOT NULL), 0) AS waived
                            FROM late_fines WHERE invoice_id = i.id) f`;
}

export async function listInvoices(
  tx: Tx,
  query: {
    establishmentId: string;
    today: BusinessDate;
    month?: ContributionMonth | undefined;
    status?: InvoiceStatus | undefined;
    /** Invoices are listed latest month first; the cursor is the last invoice id of the page before. */
    afterInvoiceId?: string | undefined;
    limit: number;
  },
): Promise<InvoiceSummaryRow[]> {
  const conditions = [Prisma.sql`true`];
  if (query.month) conditions.push(Prisma.sql`"contributionMonth" = ${query.month.firstDay().toString()}::date`);
  if (query.status) conditions.push(Prisma.sql`status = ${query.status}`);
  if (query.afterInvoiceId) {
    conditions.push(Prisma.sql`("contributionMonth", id) < (SELECT contribution_month, id FROM invoices
                                                              WHERE id = ${query.afterInvoiceId})`);
  }
  return tx.$queryRaw<InvoiceSummaryRow[]>`
    SELECT * FROM (${summaries(query.today)} WHERE i.establishment_id = ${query.establishmentId}) AS invoice
     WHERE ${Prisma.join(conditions, " AND ")}
     ORDER BY "contributionMonth" DESC, id DESC
     LIMIT ${query.limit}`;
}

export async function findInvoice(
  tx: Tx,
  establishmentId: string,
  invoiceId: string,
  today: BusinessDate,
): Promise<InvoiceSummaryRow | undefined> {
  const rows = await tx.$queryRaw<InvoiceSummaryRow[]>`
    ${summaries(today)} WHERE i.id = ${invoiceId} AND i.establishment_id = ${establishmentId}`;
  return rows[0];
}

export type InvoiceLineRow = {
  lineNumber: number;
  kind: "CONTRIBUTION" | "ADJUSTMENT";
  contributionMonth: Date;
  subscriberId: string;
  identifierNumber: string;
  subscriberName: string;
  population: string;
  daysInService: number;
  contributoryWage: string;
  chargeableWage: string;
  annuitiesEmployer: string;
  annuitiesEmployee: string;
  sanedEmployer: string;
  sanedEmployee: string;
  hazardsEmployer: string;
};

export async function invoiceLinesPage(
  tx: Tx,
  invoiceId: string,
  afterLineNumber: number,
  limit: number,
): Promise<InvoiceLineRow[]> {
  return tx.$queryRaw<InvoiceLineRow[]>`
    SELECT line_number AS "lineNumber", kind::text AS kind, contribution_month AS "contributionMonth",
           subscriber_id AS "subscriberId", identifier_number AS "identifierNumber", subscriber_name AS "subscriberName",
           population::text AS population, days_in_service AS "daysInService",
           contributory_wage::text AS "contributoryWage", chargeable_wage::text AS "chargeableWage",
           annuities_employer::text AS "annuitiesEmployer", annuities_employee::text AS "annuitiesEmployee",
           saned_employer::text AS "sanedEmployer", saned_employee::text AS "sanedEmployee",
           hazards_employer::text AS "hazardsEmployer"
      FROM invoice_lines
     WHERE invoice_id = ${invoiceId} AND line_number > ${afterLineNumber}
     ORDER BY line_number LIMIT ${limit}`;
}

export type InvoiceForVoid = {
  id: string;
  number: string;
  isVoid: boolean;
  settlements: number;
  finesNotWaived: number;
  establishmentId: string;
  entryId: string | null;
  /** The entry that moved a negative invoice's credit to the credit balance, if any. */
  creditEntryId: string | null;
};

/** The invoice, locked against concurrent settlement or voiding, with what decides whether it may be voided. */
export async function establishmentOfInvoice(tx: Tx, invoiceId: string): Promise<string | undefined> {
  const rows = await tx.$queryRaw<{ establishmentId: string }[]>`
    SELECT establishment_id AS "establishmentId" FROM invoices WHERE id = ${invoiceId}`;
  return rows[0]?.establishmentId;
}

export async function lockInvoiceForVoid(tx: Tx, invoiceId: string): Promise<InvoiceForVoid | undefined> {
  const rows = await tx.$queryRaw<{ id: string; number: string }[]>`
    SELECT id, number FROM invoices WHERE id = ${invoiceId} FOR UPDATE`;
  const invoice = rows[0];
  if (!invoice) return undefined;
  const [facts] = await tx.$queryRaw<Omit<InvoiceForVoid, "id" | "number">[]>`
    SELECT EXISTS (SELECT 1 FROM invoice_voids WHERE invoice_id = ${invoiceId}) AS "isVoid",
           (SELECT count(*)::int FROM invoice_settlements WHERE invoice_id = ${invoiceId}) AS settlements,
           (SELECT count(*)::int FROM late_fines WHERE invoice_id = ${invoiceId} AND waived_at IS NULL
                                                AND amount > 0) AS "finesNotWaived",
           (SELECT id FROM journal_entries WHERE idempotency_key = ${invoiceIssuedKey(invoiceId)}) AS "entryId",
           (SELECT id FROM journal_entries WHERE idempotency_key = ${invoiceCreditKey(invoiceId)}) AS "creditEntryId"`;
  return { ...invoice, ...(facts as Omit<InvoiceForVoid, "id" | "number">) };
}
