import { Prisma } from "../../generated/prisma/client.js";
import type { BusinessDate } from "../../shared/business-date.js";
import type { ContributionMonth } from "../../shared/contribution-month.js";
import type { Tx } from "../../shared/db/database.js";
import { contributionComponents } from "../rates.js";
import { amountColumns } from "./staging.js";

/**
 * A chunk found fewer (or more) staged lines than were counted when staging completed: the
 * staged lines were lost (a database crash empties the unlogged table) and must be staged again.
 */
export class StagedLinesLost extends Error {
  override readonly name = "StagedLinesLost";
}

export type IssuedInvoice = {
  id: string;
  number: string;
  establishmentId: string;
  /** SAR, as text: negative when the invoice's corrections outweigh what it bills. */
  total: string;
  contributionLineCount: number;
  adjustmentLineCount: number;
};

/**
 * Issues the invoices of one chunk from its staged lines: one statement inserts one invoice per
 * establishment that has any line, its lines, and its journal entry. `ids` holds
 * ids for each of the chunk's establishments; one with nothing to bill leaves them unused.
 */
export async function issueChunkInvoices(
  tx: Tx,
  input: {
    runId: string;
    chunkNumber: number;
    month: ContributionMonth;
    issueDate: BusinessDate;
    dueDate: BusinessDate;
    now: Date;
    /** How many staged lines the chunk holds (counted when staging completed). */
    stagedLines: number;
    /** For each of the chunk's establishments: the id its invoice and the invoice's journal entry take. */
    ids: ReadonlyMap<string, { invoiceId: string; entryId: string }>;
  },
): Promise<IssuedInvoice[]> {
  const establishmentIds = [...input.ids.keys()];
  const columns = Prisma.raw(amountColumns.join(", "));
  const sums = Prisma.raw(amountColumns.map((column) => `sum(${column}) AS ${column}`).join(", "));
  // The writes below make many small allocations and one hash per invoice; keep them in memory.
  await tx.$executeRawUnsafe("SET LOCAL work_mem = '64MB'");

  // The invoice and entry ids the service drew for each establishment, in an analysed table so
  // the joins below are planned for their real size.
  await tx.$executeRawUnsafe("DROP TABLE IF EXISTS billing_ids");
  await tx.$executeRawUnsafe(
    "CREATE TEMP TABLE billing_ids (establishment_id text PRIMARY KEY, invoice_id text NOT NULL, entry_id text NOT NULL) ON COMMIT DROP",
  );
  await tx.$executeRaw`
    INSERT INTO billing_ids
    SELECT * FROM unnest(${establishmentIds}::text[],
                         ${establishmentIds.map((id) => input.ids.get(id)?.invoiceId)}::text[],
                         ${establishmentIds.map((id) => input.ids.get(id)?.entryId)}::text[])`;
  await tx.$executeRawUnsafe("ANALYZE billing_ids");

  const issued = await tx.$queryRaw<IssuedInvoice[]>`
    WITH billing_lines AS MATERIALIZED (
      -- The chunk's staged lines with their invoice's and entry's ids and their numbers; every
      -- write below reads these rows (never the RETURNING of another write, whose size the
      -- planner cannot know), and the staged table's statistics give their number.
      SELECT ids.invoice_id, ids.entry_id, staged.establishment_id, staged.kind, staged.month, staged.employment_id,
             staged.subscriber_id, staged.identifier_number, staged.subscriber_name, staged.population,
             staged.days_in_service, staged.contributory_wage, staged.chargeable_wage, ${Prisma.raw(amountColumns.map((column) => `staged.${column}`).join(", "))},
             -- Byte order ("C") for the text keys: ID numbers are digits and ids ASCII, so the
             -- numbering is the one the locale gave, now the same on every locale; sorting a chunk's
             -- 100,000 lines took ~0.48 s by the locale (strcoll) and takes ~0.18 s in byte order.
             row_number() OVER (PARTITION BY staged.establishment_id COLLATE "C"
                                ORDER BY staged.kind, staged.month, staged.identifier_number COLLATE "C",
                                         staged.employment_id COLLATE "C")::int AS line_number
        FROM billing_staged_lines staged JOIN billing_ids ids ON ids.establishment_id = staged.establishment_id
       WHERE staged.chunk_number = ${input.chunkNumber}
    ),
    totals AS (
      SELECT establishment_id, invoice_id, entry_id, ${sums},
             sum(CASE WHEN kind = 'ADJUSTMENT'
                      THEN ${Prisma.raw(amountColumns.join(" + "))} ELSE 0 END) AS adjustment_total,
             count(*) FILTER (WHERE kind = 'CONTRIBUTION')::int AS contribution_line_count,
             count(*) FILTER (WHERE kind = 'ADJUSTMENT')::int AS adjustment_line_count
        FROM billing_lines GROUP BY establishment_id, invoice_id, entry_id
    ),
    invoice_totals AS MATERIALIZED (
      SELECT totals.*, ${Prisma.raw(amountColumns.join(" + "))} AS total,
             'C-' || ${input.month.toString().replace("-", "")} || '-' || est.registration_number AS number
        FROM totals JOIN establishments est ON est.id = totals.establishment_id
    ),
    inserted_invoices AS (
      INSERT INTO invoices (id, number, establishment_id, contribution_month, billing_run_id, issue_date, due_date,
                            ${columns}, adjustment_total, total, contribution_line_count, adjustment_line_count,
                            created_at)
      SELECT invoice_id, number, establishment_id, ${input.month.firstDay().toString()}::date, ${input.runId},
             ${input.issueDate.toString()}::date, ${input.dueDate.toString()}::date,
             ${columns}, adjustment_total, total, contribution_line_count, adjustment_line_count, ${input.now}
        FROM invoice_totals ORDER BY invoice_id
      RETURNING id, number, establishment_id, total, contribution_line_count, adjustment_line_count
    ),
    inserted_lines AS (
      INSERT INTO invoice_lines (invoice_id, line_number, kind, contribution_month, employment_id, subscriber_id,
                                 identifier_number, subscriber_name, population, days_in_service, contributory_wage,
                                 chargeable_wage, ${columns})
      -- In billing_lines' own order, which is already the key's (invoice_id, line_number): the
      -- lines come out of their numbering in establishment order, and the service draws the
      -- invoice ids in establishment order, time-ordered. Sorting again cost a chunk
      -- 55–120 ms; were the orders ever to differ, only the index's locality would suffer.
      SELECT invoice_id, line_number, kind, month, employment_id, subscriber_id, identifier_number,
             subscriber_name, population, days_in_service, contributory_wage, chargeable_wage, ${columns}
        FROM billing_lines
    ),
    -- The late-fine job's first look (see LateFineCheck): the day after the due date, or the
    -- issue day for an invoice with corrections (they may be fined from their own months' due dates).
    scheduled_fine_checks AS (
      INSERT INTO late_fine_checks (check_on, invoice_id)
      SELECT CASE WHEN adjustment_line_count > 0 THEN ${input.issueDate.toString()}::date
                  ELSE ${input.dueDate.toString()}::date + 1 END, invoice_id
        FROM invoice_totals WHERE total > 0 OR adjustment_line_count > 0
    ),
    ${invoiceJournalEntries(input.month, input.issueDate)}
    SELECT id, number, establishment_id AS "establishmentId", total::text AS total,
           contribution_line_count AS "contributionLineCount",
           adjustment_line_count AS "adjustmentLineCount"
      FROM inserted_invoices`;
  const written = issued.reduce((sum, invoice) => sum + invoice.contributionLineCount + invoice.adjustmentLineCount, 0);
  if (written !== input.stagedLines) {
    throw new StagedLinesLost(`chunk ${input.chunkNumber} found ${written} of its ${input.stagedLines} staged lines`);
  }
  return issued;
}

/**
 * One journal entry per invoice, written in the same statement as the invoices: the
 * receivable (debit, the establishment as dimension) against the contribution income of each
 * branch and share, zero lines left out; an invoice that nets to zero on every component has
 * no entry. The content hash is the ledger's (journalEntryContentHash) computed in SQL over the
 * same canonical JSON; a test recomputes it from the stored entries. Set-based, so a chunk of
 * thousands of invoices posts in one statement and the ledger's statement-level trigger checks
 * and summarises them once.
 */
function invoiceJournalEntries(month: ContributionMonth, issueDate: BusinessDate): Prisma.Sql {
  const lines = [
    { account: "RECEIVABLE_CONTRIBUTIONS", establishment: Prisma.sql`i.establishment_id`, amount: Prisma.sql`i.total` },
    ...contributionComponents.map((component, index) => ({
      account: component.incomeAccount,
      establishment: Prisma.sql`NULL::text`,
      amount: Prisma.sql`-i.${Prisma.raw(amountColumns[index] as string)}`,
    })),
  ];
  const values = lines.map(
    (line, index) => Prisma.sql`(${index}::int, ${line.account}::text, ${line.establishment}, ${line.amount})`,
  );
  // The entry's lines as the ledger's canonical JSON, in line order, zero lines left out: built
  // per invoice from its own columns, where aggregating its lines in order (string_agg … ORDER
  // BY) made PostgreSQL 15 sort every invoice's few lines apart.
  const canonicalLines = lines.map(
    (line) => Prisma.sql`CASE WHEN ${line.amount} <> 0
      THEN '[' || to_json(${line.account}::text)::text || ',' || coalesce(to_json(${line.establishment})::text, 'null')
           || ',' || to_json((${line.amount})::text)::text || ']' END`,
  );
  const lineCount = Prisma.join(
    lines.map((line) => Prisma.sql`(${line.amount} <> 0)::int`),
    " + ",
  );
  return Prisma.sql`
    entry_lines AS (
      SELECT i.invoice_id, i.entry_id, l.ordinal, l.account_code, l.establishment_id, l.amount
        FROM invoice_totals i
        CROSS JOIN LATERAL (VALUES ${Prisma.join(values)}) AS l(ordinal, account_code, establishment_id, amount)
       WHERE l.amount <> 0
    ),
    numbered_entry_lines AS (
      SELECT entry_lines.*, row_number() OVER (PARTITION BY invoice_id ORDER BY ordinal)::smallint AS line_number
        FROM entry_lines
    ),
    entries AS (
      SELECT invoice_id, entry_id, description, line_count, canonical_lines
        FROM (SELECT i.invoice_id, i.entry_id,
                     'Contribution invoice ' || i.number || ' for ' || ${month.toString()} AS description,
                     (${lineCount})::smallint AS line_count,
                     '[' || concat_ws(',', ${Prisma.join(canonicalLines)}) || ']' AS canonical_lines
                FROM invoice_totals i) counted
       WHERE line_count > 0
    ),
    inserted_entries AS (
      INSERT INTO journal_entries (id, idempotency_key, content_hash, source_type, source_id, entry_code, description,
                                   effective_date, line_count)
      SELECT entry_id, 'invoice:' || invoice_id || ':issued',
             encode(sha256(convert_to('["INVOICE",' || to_json(invoice_id)::text || ',"INVOICE_ISSUED",'
                                      || to_json(description)::text || ',' || to_json(${issueDate.toString()}::text)::text
                                      || ',null,' || canonical_lines || ']', 'UTF8')), 'hex'),
             'INVOICE', invoice_id, 'INVOICE_ISSUED', description, ${issueDate.toString()}::date, line_count
        FROM entries ORDER BY invoice_id
    ),
    inserted_journal_lines AS (
      INSERT INTO journal_lines (entry_id, line_number, account_code, establishment_id, amount, effective_date)
      SELECT entry_id, line_number, account_code, establishment_id, amount, ${issueDate.toString()}::date
        FROM numbered_entry_lines
    )`;
}
