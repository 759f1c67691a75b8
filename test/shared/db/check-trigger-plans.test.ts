import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJournalEntries, postJournalEntry } from "../../../src/ledger/service.js";
import type { Tx } from "../../../src/shared/db/database.js";
import { invoiceDraft } from "../../support/ledger-drafts.js";
import { createTestDatabase, type TestDatabase } from "../../support/test-database.js";

/**
 * The statement-level checks (triggers reading the rows a statement wrote from a transition
 * table) look each touched parent or entry up by key. PL/pgSQL plans their queries on a
 * connection's first call and keeps the plans until the tables' statistics change, so a plan
 * made while a table was nearly empty (a sequential scan is cheapest then) would otherwise be
 * kept, one scan of the whole table per probe, as the table grows.
 */
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

/** Sequential scans this transaction has started on each table, so far. */
async function sequentialScans(tx: Tx): Promise<Record<string, number>> {
  const rows = await tx.$queryRaw<{ table: string; scans: number }[]>`
    SELECT relname AS table, seq_scan::int AS scans FROM pg_stat_xact_user_tables
     WHERE schemaname = current_schema() AND relname IN ('journal_entries', 'journal_lines')`;
  return Object.fromEntries(rows.map((row) => [row.table, row.scans]));
}

describe("statement-level checks", () => {
  it("probe the ledger by index even when first planned on tables analysed as empty", async () => {
    const scans = await database.prisma.$transaction(
      async (tx) => {
        // One connection throughout: the plans the first posting makes are the ones the last uses.
        await tx.$executeRawUnsafe("ANALYZE journal_entries, journal_lines");
        await postJournalEntry(tx, invoiceDraft());
        await postJournalEntries(
          tx,
          Array.from({ length: 400 }, () => invoiceDraft()),
        );
        const before = await sequentialScans(tx);
        await postJournalEntries(tx, [invoiceDraft(), invoiceDraft()]);
        const after = await sequentialScans(tx);
        return {
          entries: (after.journal_entries ?? 0) - (before.journal_entries ?? 0),
          lines: (after.journal_lines ?? 0) - (before.journal_lines ?? 0),
        };
      },
      { timeout: 30_000 },
    );
    expect(scans).toEqual({ entries: 0, lines: 0 });
  });

  it("every check that looks rows up runs with sequential scans off", async () => {
    const rows = await database.prisma.$queryRaw<{ function: string; seqscanOff: boolean }[]>`
      SELECT DISTINCT p.proname AS function,
             coalesce('enable_seqscan=off' = ANY(p.proconfig), false) AS "seqscanOff"
        FROM pg_trigger t
        JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_proc p ON p.oid = t.tgfoid
       WHERE n.nspname = current_schema() AND (t.tgnewtable IS NOT NULL OR t.tgoldtable IS NOT NULL)
       ORDER BY 1`;
    expect(rows.length).toBeGreaterThanOrEqual(8);
    // stripe_events_announce reads only its own transition table (EXISTS, then NOTIFY).
    expect(rows.filter((row) => !row.seqscanOff).map((row) => row.function)).toEqual(["stripe_events_announce"]);
  });
});
