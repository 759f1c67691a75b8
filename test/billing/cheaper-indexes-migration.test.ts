import { afterEach, describe, expect, it } from "vitest";
import { applyPendingMigrations } from "../../src/shared/db/migrations.js";
import { databaseBeforeMigration } from "../support/earlier-migrations.js";

// The migration replaces two indexes. On a large database an operator builds the new ones first
// without holding writes (README, "Upgrading a large database"); the migration must then keep
// them, and on any other database build them itself. Either way the result is the same.
const migrationName = "cheaper_indexes_for_billing_writes";
let drop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await drop?.();
  drop = undefined;
});

type IndexRow = { indexname: string; indexdef: string; oid: number };

async function migratedIndexes(prebuiltByHand: boolean): Promise<{ indexes: IndexRow[]; before: IndexRow[] }> {
  const earlier = await databaseBeforeMigration(migrationName);
  drop = earlier.drop;
  const db = earlier.database.prisma;
  if (prebuiltByHand) {
    // The README's statements, without CONCURRENTLY (a test database has no writers to spare).
    for (const statement of [
      "CREATE INDEX IF NOT EXISTS invoice_lines_employment_id_idx ON invoice_lines USING HASH (employment_id)",
      `CREATE INDEX journal_lines_establishment_partial ON journal_lines (account_code, establishment_id, effective_date)
        WHERE establishment_id IS NOT NULL`,
      "DROP INDEX journal_lines_account_code_establishment_id_effective_date_idx",
      `ALTER INDEX journal_lines_establishment_partial
        RENAME TO journal_lines_account_code_establishment_id_effective_date_idx`,
    ])
      await db.$executeRawUnsafe(statement);
  }
  const indexes = () =>
    db.$queryRawUnsafe<IndexRow[]>(
      `SELECT indexname, replace(indexdef, schemaname || '.', '') AS indexdef,
              (quote_ident(schemaname) || '.' || quote_ident(indexname))::regclass::oid::int AS oid
         FROM pg_indexes
        WHERE schemaname = current_schema() AND tablename IN ('invoice_lines', 'journal_lines')
          AND indexname NOT LIKE '%pkey'
        ORDER BY indexname`,
    );
  const before = await indexes();
  const applied = await applyPendingMigrations(earlier.database);
  expect(applied).toEqual(earlier.fromThisOn);
  return { indexes: await indexes(), before };
}

const shape = (rows: IndexRow[]) => rows.map(({ indexname, indexdef }) => ({ indexname, indexdef }));

describe(`the ${migrationName} migration`, { timeout: 120_000 }, () => {
  it("builds the hash and the partial index, and drops the B-tree they replace", async () => {
    const { indexes } = await migratedIndexes(false);
    expect(indexes.map((index) => index.indexname)).toEqual([
      "invoice_lines_employment_id_idx",
      "journal_lines_account_code_effective_date_idx",
      "journal_lines_account_code_establishment_id_effective_date_idx",
      "journal_lines_effective_date_entry_id_line_number_idx",
    ]);
    expect(indexes[0]?.indexdef).toMatch(/USING hash \(employment_id\)/);
    expect(indexes[2]?.indexdef).toMatch(/WHERE \(establishment_id IS NOT NULL\)/);
  });

  it("keeps indexes an operator built beforehand and ends with the same ones", async () => {
    const built = await migratedIndexes(false);
    await drop?.();
    drop = undefined;
    const prebuilt = await migratedIndexes(true);
    expect(shape(prebuilt.indexes)).toEqual(shape(built.indexes));
    // The very indexes built by hand: none was dropped and built again.
    const oidOf = (rows: IndexRow[], name: string) => rows.find((row) => row.indexname === name)?.oid;
    for (const name of [
      "invoice_lines_employment_id_idx",
      "journal_lines_account_code_establishment_id_effective_date_idx",
    ]) {
      expect(oidOf(prebuilt.indexes, name)).toBeDefined();
      expect(oidOf(prebuilt.indexes, name)).toBe(oidOf(prebuilt.before, name));
    }
  });
});
