import pg from "pg";
import { ExportTotals, journalCsvRows } from "../src/exports/formats.ts";
import { journalLinesPage } from "../src/ledger/repository.ts";
import { BusinessDate } from "../src/shared/business-date.ts";
import { openPostgresDatabase } from "../src/shared/db/database.ts";
import { applyPendingMigrations } from "../src/shared/db/migrations.ts";

const url = "postgres://postgres@127.0.0.1:5432/test";
const admin = new pg.Client(url);
await admin.connect();
await admin.query("DROP SCHEMA IF EXISTS exp CASCADE; CREATE SCHEMA exp");
const db = await openPostgresDatabase({ url, poolMax: 2, schema: "exp" });
await applyPendingMigrations(db);
const n = 50000;
await db.prisma.$transaction([
  db.prisma.$executeRawUnsafe(
    `INSERT INTO journal_entries (id, idempotency_key, content_hash, source_type, source_id, entry_code, description, effective_date, line_count) SELECT 'je_seed_' || g, 'seed:' || g, 'seed', 'ADJUSTMENT', 'seed-' || g, 'SEED', 'seeded entry ' || g, DATE '2026-01-01' + (g % 365), 2 FROM generate_series(1, ${n}) g`,
  ),
  db.prisma.$executeRawUnsafe(
    `INSERT INTO journal_lines (entry_id, line_number, account_code, establishment_id, amount, effective_date) SELECT 'je_seed_' || g, side, CASE side WHEN 1 THEN 'RECEIVABLE_CONTRIBUTIONS' ELSE 'CONTRIBUTIONS_ANNUITIES_EMPLOYER' END, CASE side WHEN 1 THEN 'est_' || (g % 50000) END, CASE side WHEN 1 THEN 1 ELSE -1 END * (100 + (g % 90000) / 100.0)::numeric(18, 2), DATE '2026-01-01' + (g % 365) FROM generate_series(1, ${n}) g CROSS JOIN (VALUES (1), (2)) AS sides(side)`,
  ),
]);
await db.prisma.$executeRawUnsafe("ANALYZE journal_lines");
await db.prisma.$executeRawUnsafe("ANALYZE journal_entries");
const range = {
  from: BusinessDate.parse("2026-01-01"),
  to: BusinessDate.parse("2026-12-31"),
  recordedBefore: new Date(Date.now() + 1e6),
};
let t = performance.now();
const page = await journalLinesPage(
  db.prisma,
  range,
  { effectiveDate: "2026-01-01", entryId: "", lineNumber: 0 },
  5000,
);
console.log(page.length);
console.log("prisma page 5000:", performance.now() - t);
t = performance.now();
const page2 = await journalLinesPage(
  db.prisma,
  range,
  { effectiveDate: "2026-01-01", entryId: "", lineNumber: 0 },
  5000,
);
console.log("prisma page 5000 again:", performance.now() - t);
t = performance.now();
journalCsvRows(page2, new ExportTotals());
console.log("csv 5000:", performance.now() - t);
const c = new pg.Client(url);
await c.connect();
await c.query("set search_path=exp");
t = performance.now();
const raw = await c.query({
  text: `EXPLAIN (ANALYZE, BUFFERS) SELECT l.effective_date::text AS "effectiveDate", l.entry_id AS "entryId", l.line_number::int AS "lineNumber", l.account_code AS "accountCode", a.name AS "accountName", l.establishment_id AS "establishmentId", l.amount::text AS amount, e.entry_code AS "entryCode", e.source_type::text AS "sourceType", e.source_id AS "sourceId", e.description, e.reverses_entry_id AS "reversesEntryId", true AS "isIncluded" FROM (SELECT * FROM journal_lines WHERE (effective_date, entry_id, line_number) > ('2026-01-01'::date, '', 0::smallint) AND effective_date <= '2026-12-31' ORDER BY effective_date, entry_id, line_number LIMIT 5000) l JOIN journal_entries e ON e.id = l.entry_id JOIN ledger_accounts a ON a.code = l.account_code ORDER BY l.effective_date, l.entry_id, l.line_number`,
});
console.log(raw.rows.map((x: any) => x["QUERY PLAN"]).join("\n"));
t = performance.now();
const raw2 = await c.query(
  `SELECT l.entry_id, l.amount::text FROM journal_lines l ORDER BY effective_date, entry_id, line_number LIMIT 5000`,
);
console.log("narrow", performance.now() - t);
await c.end();
await db.close();
await admin.query("DROP SCHEMA exp CASCADE");
await admin.end();
