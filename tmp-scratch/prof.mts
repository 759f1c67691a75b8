import pg from "pg";
import { ExportTotals, journalCsvRows } from "../src/exports/formats.ts";
import { journalLinesPage } from "../src/ledger/repository.ts";
import { readJournalLines } from "../src/ledger/service.ts";
import { BusinessDate } from "../src/shared/business-date.ts";
import { openPostgresDatabase } from "../src/shared/db/database.ts";
import { applyPendingMigrations } from "../src/shared/db/migrations.ts";

const url = "postgres://postgres@127.0.0.1:5432/test";
const admin = new pg.Client(url);
await admin.connect();
const fresh = process.argv[2] === "seed";
if (fresh) await admin.query("DROP SCHEMA IF EXISTS prof CASCADE; CREATE SCHEMA prof");
const db = await openPostgresDatabase({ url, poolMax: 2, schema: "prof" });
if (fresh) {
  await applyPendingMigrations(db);
  const n = 100000;
  const t = performance.now();
  await db.prisma.$executeRawUnsafe(
    `WITH seeded AS (INSERT INTO journal_entries (id, idempotency_key, content_hash, source_type, source_id, entry_code, description, effective_date, line_count) SELECT 'je_seed_' || g, 'seed:' || g, 'seed', 'ADJUSTMENT', 'seed-' || g, 'SEED', 'seeded entry ' || g, DATE '2026-01-01' + (g % 365), 2 FROM generate_series(1, ${n}) g RETURNING id, effective_date) INSERT INTO journal_lines (entry_id, line_number, account_code, establishment_id, amount, effective_date) SELECT s.id, side, CASE side WHEN 1 THEN 'RECEIVABLE_CONTRIBUTIONS' ELSE 'CONTRIBUTIONS_ANNUITIES_EMPLOYER' END, CASE side WHEN 1 THEN 'est_1' END, CASE side WHEN 1 THEN 1 ELSE -1 END * 100.00, s.effective_date FROM seeded s CROSS JOIN (VALUES (1), (2)) AS sides(side)`,
  );
  console.log("seed 200k lines", performance.now() - t);
  await db.prisma.$executeRawUnsafe("ANALYZE journal_entries, journal_lines");
}
const range = {
  from: BusinessDate.parse("2026-01-01"),
  to: BusinessDate.parse("2026-12-31"),
  recordedBefore: new Date(Date.now() + 1e7),
};
for (const size of [5000, 20000]) {
  const t = performance.now();
  let n = 0;
  let fmt = 0;
  for await (const page of readJournalLines(db.prisma, range, size)) {
    n += page.length;
    const f = performance.now();
    journalCsvRows(page, new ExportTotals());
    fmt += performance.now() - f;
  }
  console.log(
    `page ${size}: ${n} lines in ${(performance.now() - t).toFixed(0)} ms, of which formatting ${fmt.toFixed(0)} ms`,
  );
}
const c = new pg.Client(url);
await c.connect();
await c.query("set search_path=prof");
const t = performance.now();
let n = 0;
let cursor = ["2026-01-01", "", 0];
for (;;) {
  const r = await c.query({
    text: `SELECT l.effective_date::text, l.entry_id, l.line_number::int, l.account_code, l.establishment_id, l.amount::text, e.entry_code, e.source_type::text, e.source_id, e.description, e.reverses_entry_id FROM (SELECT * FROM journal_lines WHERE (effective_date, entry_id, line_number) > ($1::date, $2, $3::smallint) AND effective_date <= '2026-12-31' ORDER BY effective_date, entry_id, line_number LIMIT 5000) l JOIN journal_entries e ON e.id = l.entry_id ORDER BY l.effective_date, l.entry_id, l.line_number`,
    values: cursor,
    rowMode: "array",
  });
  n += r.rows.length;
  if (r.rows.length < 5000) break;
  const last = r.rows.at(-1);
  cursor = [last[0], last[1], last[2]];
}
console.log(`raw pg array rows: ${n} in ${(performance.now() - t).toFixed(0)} ms`);
await c.end();
await db.close();
await admin.end();
