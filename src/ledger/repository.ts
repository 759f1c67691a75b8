import { Prisma } from "../generated/prisma/client.js";
import { BusinessDate } from "../shared/business-date.js";
import type { Tx } from "../shared/db/database.js";
import { Money } from "../shared/money.js";
import {
  chartOfAccounts,
  isLedgerAccountCode,
  type LedgerAccountCode,
  type LedgerAccountType,
} from "./chart-of-accounts.js";
import type { JournalEntryDraft } from "./journal-entry.js";

/** The key a control account's total is summarised under in ledger_daily_balances. */
const ACCOUNT_TOTAL = "";

export type PreparedEntry = { id: string; contentHash: string; draft: JournalEntryDraft };

/**
 * Inserts entries and their lines in one statement: entries whose idempotency key exists
 * already are skipped (ON CONFLICT DO NOTHING) together with their lines. Returns the ids
 * inserted. The statement-level trigger checks balance and updates the daily summaries once
 * for the whole batch.
 */
export async function insertJournalEntries(tx: Tx, entries: readonly PreparedEntry[]): Promise<Set<string>> {
  if (entries.length === 0) return new Set();
  const lines = entries.flatMap(({ id, draft }) =>
    draft.lines.map((line, index) => ({
      entryId: id,
      lineNumber: index + 1,
      accountCode: line.accountCode,
      establishmentId: line.establishmentId ?? null,
      amount: line.amount.toString(),
      effectiveDate: draft.effectiveDate.toString(),
    })),
  );
  // Sorted by key so two batches that overlap take their row locks in the same order.
  const sorted = [...entries].sort((a, b) => (a.draft.idempotencyKey < b.draft.idempotencyKey ? -1 : 1));
  const rows = await tx.$queryRaw<{ id: string }[]>`
    WITH input_entries AS (
      SELECT * FROM unnest(
        ${sorted.map((entry) => entry.id)}::text[],
        ${sorted.map((entry) => entry.draft.idempotencyKey)}::text[],
        ${sorted.map((entry) => entry.contentHash)}::text[],
        ${sorted.map((entry) => entry.draft.sourceType)}::text[],
        ${sorted.map((entry) => entry.draft.sourceId)}::text[],
        ${sorted.map((entry) => entry.draft.entryCode)}::text[],
        ${sorted.map((entry) => entry.draft.description)}::text[],
        ${sorted.map((entry) => entry.draft.effectiveDate.toString())}::date[],
        ${sorted.map((entry) => entry.draft.lines.length)}::smallint[],
        ${sorted.map((entry) => entry.draft.reversesEntryId ?? null)}::text[]
      ) WITH ORDINALITY AS t(id, idempotency_key, content_hash, source_type, source_id, entry_code, description,
                             effective_date, line_count, reverses_entry_id, position)
    ), inserted_entries AS (
      INSERT INTO journal_entries (id, idempotency_key, content_hash, source_type, source_id, entry_code, description,
                                   effective_date, line_count, reverses_entry_id)
      SELECT id, idempotency_key, content_hash, source_type::journal_source_type, source_id, entry_code, description,
             effective_date, line_count, reverses_entry_id
        FROM input_entries ORDER BY position
      ON CONFLICT (idempotency_key) DO NOTHING
      RETURNING id
    ), inserted_lines AS (
      INSERT INTO journal_lines (entry_id, line_number, account_code, establishment_id, amount, effective_date)
      SELECT l.entry_id, l.line_number, l.account_code, l.establishment_id, l.amount, l.effective_date
        FROM unnest(
          ${lines.map((line) => line.entryId)}::text[],
          ${lines.map((line) => line.lineNumber)}::smallint[],
          ${lines.map((line) => line.accountCode)}::text[],
          ${lines.map((line) => line.establishmentId)}::text[],
          ${lines.map((line) => line.amount)}::numeric[],
          ${lines.map((line) => line.effectiveDate)}::date[]
        ) AS l(entry_id, line_number, account_code, establishment_id, amount, effective_date)
        JOIN inserted_entries ON inserted_entries.id = l.entry_id
      RETURNING entry_id
    )
    SELECT id FROM inserted_entries`;
  return new Set(rows.map((row) => row.id));
}

export type StoredEntryHeader = { id: string; idempotencyKey: string; contentHash: string };

export async function findEntryHeadersByKeys(tx: Tx, keys: readonly string[]): Promise<StoredEntryHeader[]> {
  if (keys.length === 0) return [];
  return tx.$queryRaw<StoredEntryHeader[]>`
    SELECT id, idempotency_key AS "idempotencyKey", content_hash AS "contentHash"
      FROM journal_entries WHERE idempotency_key = ANY(${[...keys]}::text[])`;
}

/** A posted entry: the draft's description of the event, plus what posting gave it. */
export type StoredJournalEntry = Omit<JournalEntryDraft, "lines" | "reversesEntryId"> & {
  id: string;
  recordedAt: Date;
  reversesEntryId: string | null;
  reversedByEntryId: string | null;
  lines: { lineNumber: number; accountCode: LedgerAccountCode; establishmentId: string | null; amount: Money }[];
};

export async function findJournalEntry(tx: Tx, id: string): Promise<StoredJournalEntry | undefined> {
  const entry = await tx.journalEntry.findUnique({ where: { id }, include: { reversedBy: { select: { id: true } } } });
  if (!entry) return undefined;
  const lines = await tx.journalLine.findMany({ where: { entryId: id }, orderBy: { lineNumber: "asc" } });
  return {
    id: entry.id,
    idempotencyKey: entry.idempotencyKey,
    sourceType: entry.sourceType,
    sourceId: entry.sourceId,
    entryCode: entry.entryCode,
    description: entry.description,
    effectiveDate: BusinessDate.fromDateColumn(entry.effectiveDate),
    recordedAt: entry.recordedAt,
    reversesEntryId: entry.reversesEntryId,
    reversedByEntryId: entry.reversedBy?.id ?? null,
    lines: lines.map((line) => ({
      lineNumber: line.lineNumber,
      accountCode: line.accountCode as LedgerAccountCode,
      establishmentId: line.establishmentId,
      amount: Money.fromDecimal(line.amount),
    })),
  };
}

/** Net balance (debits minus credits) from the daily summaries: no scan of the journal. */
export async function accountBalanceAsOf(
  tx: Tx,
  accountCode: LedgerAccountCode,
  asOf: BusinessDate,
  establishmentId?: string,
): Promise<Money> {
  const rows = await tx.$queryRaw<{ balance: string }[]>`
    SELECT coalesce(sum(net_change), 0)::text AS balance
      FROM ledger_daily_balances
     WHERE account_code = ${accountCode}
       AND establishment_id = ${establishmentId ?? ACCOUNT_TOTAL}
       AND day <= ${asOf.toString()}::date`;
  return Money.fromDecimal(rows[0]?.balance ?? "0");
}

export type AccountBalanceRow = {
  code: LedgerAccountCode;
  name: string;
  type: LedgerAccountType;
  balance: Money;
  lineCount: bigint;
};

/** Every account of the chart with its net balance as of the date, in account-name order. */
export async function accountBalancesAsOf(tx: Tx, asOf: BusinessDate): Promise<AccountBalanceRow[]> {
  const rows = await tx.$queryRaw<{ code: string; name: string; type: string; balance: string; lineCount: bigint }[]>`
    SELECT a.code, a.name, a.type::text AS type,
           coalesce(sum(b.net_change), 0)::text AS balance,
           coalesce(sum(b.line_count), 0)::bigint AS "lineCount"
      FROM ledger_accounts a
      LEFT JOIN ledger_daily_balances b
        ON b.account_code = a.code AND b.establishment_id = ${ACCOUNT_TOTAL} AND b.day <= ${asOf.toString()}::date
     GROUP BY a.code, a.name, a.type
     ORDER BY a.name`;
  return rows.map((row) => ({
    code: row.code as LedgerAccountCode,
    name: row.name,
    type: row.type as LedgerAccountType,
    balance: Money.fromDecimal(row.balance),
    lineCount: BigInt(row.lineCount),
  }));
}

export async function listLedgerAccounts(tx: Tx) {
  return tx.ledgerAccount.findMany({ orderBy: { name: "asc" } });
}

/** Position in the journal's export order: (effective date, entry id, line number). */
export type JournalCursor = { effectiveDate: string; entryId: string; lineNumber: number };

export type JournalLineRow = {
  effectiveDate: string;
  entryId: string;
  lineNumber: number;
  accountCode: string;
  accountName: string;
  establishmentId: string | null;
  amount: string;
  entryCode: string;
  sourceType: string;
  sourceId: string;
  description: string;
  reversesEntryId: string | null;
  /** False for lines of entries recorded after the export's snapshot instant: skip them. */
  isIncluded: boolean;
};

/**
 * One keyset page of journal lines in [from, to] after the cursor. The inner query walks the
 * (effective_date, entry_id, line_number) index in order and stops at the limit, whatever the
 * table statistics say; entries and accounts are joined to that page only. Lines of entries
 * recorded after `recordedBefore` come back with `isIncluded` false (so an export reads a stable
 * set while postings continue) but still advance the cursor. Amounts and dates come back as
 * text: exports print them as they are, without building objects.
 * With an account (and optionally an establishment) it reads that account's lines only.
 */
export async function journalLinesPage(
  tx: Tx,
  range: {
    from: BusinessDate;
    to: BusinessDate;
    recordedBefore: Date;
    account?: { code: LedgerAccountCode; establishmentId?: string };
  },
  after: JournalCursor,
  limit: number,
): Promise<JournalLineRow[]> {
  const accountFilter = range.account
    ? range.account.establishmentId === undefined
      ? Prisma.sql`AND account_code = ${range.account.code}`
      : Prisma.sql`AND account_code = ${range.account.code} AND establishment_id = ${range.account.establishmentId}`
    : Prisma.empty;
  const rows = await tx.$queryRaw<Omit<JournalLineRow, "accountName">[]>`
    SELECT l.effective_date::text AS "effectiveDate", l.entry_id AS "entryId", l.line_number::int AS "lineNumber",
           l.account_code AS "accountCode", l.establishment_id AS "establishmentId",
           l.amount::text AS amount, e.entry_code AS "entryCode", e.source_type::text AS "sourceType",
           e.source_id AS "sourceId", e.description, e.reverses_entry_id AS "reversesEntryId",
           e.recorded_at <= ${range.recordedBefore} AS "isIncluded"
      FROM (
        SELECT entry_id, line_number, account_code, establishment_id, amount, effective_date
          FROM journal_lines
         WHERE (effective_date, entry_id, line_number) > (${after.effectiveDate}::date, ${after.entryId}, ${after.lineNumber}::smallint)
           AND effective_date <= ${range.to.toString()}::date
           ${accountFilter}
         ORDER BY effective_date, entry_id, line_number
         LIMIT ${limit}
      ) l
      JOIN journal_entries e ON e.id = l.entry_id
     ORDER BY l.effective_date, l.entry_id, l.line_number`;
  for (const row of rows) (row as JournalLineRow).accountName = accountNameOf(row.accountCode);
  return rows as JournalLineRow[];
}

/** Names come from the chart in code (equal to the seeded table, by test): no join per page. */
function accountNameOf(code: string): string {
  return isLedgerAccountCode(code) ? chartOfAccounts[code].name : code;
}

/** The database's clock, which stamps recorded_at: an export reads entries recorded up to it. */
export async function databaseNow(tx: Tx): Promise<Date> {
  const rows = await tx.$queryRaw<{ now: Date }[]>`SELECT clock_timestamp() AS now`;
  const now = rows[0]?.now;
  if (!now) throw new Error("the database returned no time");
  return now;
}

/**
 * The journal CSV rows for [from, to] as a COPY statement, for PostgreSQL's own CSV writer.
 * COPY takes no bind parameters: the dates are BusinessDate strings (digits and dashes only,
 * by construction) and are quoted as literals besides. Columns and quoting match
 * exports/formats.ts journalCsvRows exactly (a test compares the two).
 */
export function journalCsvCopyStatement(range: { from: BusinessDate; to: BusinessDate }): string {
  const from = quoteDateLiteral(range.from);
  const to = quoteDateLiteral(range.to);
  return `COPY (
    SELECT l.effective_date, l.entry_id, l.line_number, l.account_code, a.name, l.establishment_id,
           CASE WHEN l.amount > 0 THEN l.amount ELSE 0.00 END::numeric(18, 2),
           CASE WHEN l.amount < 0 THEN -l.amount ELSE 0.00 END::numeric(18, 2),
           e.entry_code, e.source_type, e.source_id, e.description
      FROM journal_lines l
      JOIN journal_entries e ON e.id = l.entry_id
      JOIN ledger_accounts a ON a.code = l.account_code
     WHERE l.effective_date BETWEEN ${from} AND ${to}
     ORDER BY l.effective_date, l.entry_id, l.line_number
  ) TO STDOUT WITH (FORMAT csv)`;
}

/** Line count and debit and credit sums for [from, to], in the caller's snapshot. */
export const journalTotalsQuery = `
  SELECT count(*)::int AS lines,
         coalesce(sum(amount) FILTER (WHERE amount > 0), 0)::numeric(18, 2)::text AS debit,
         coalesce(-sum(amount) FILTER (WHERE amount < 0), 0)::numeric(18, 2)::text AS credit
    FROM journal_lines
   WHERE effective_date BETWEEN $1::date AND $2::date`;

function quoteDateLiteral(date: BusinessDate): string {
  const text = date.toString();
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) throw new Error(`not a date literal: ${text}`);
  return `DATE '${text}'`;
}
