import { readdirSync, readFileSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";

const db = await PGlite.create();
const dir = readdirSync("prisma/migrations").find((d) => d.endsWith("_ledger"));
await db.exec(readFileSync(`prisma/migrations/${dir}/migration.sql`, "utf8"));
await db.exec(`WITH e AS (INSERT INTO journal_entries (id, idempotency_key, content_hash, source_type, source_id, entry_code, description, effective_date, line_count) VALUES ('je_1','k1','h','ADJUSTMENT','s','X','d','2026-01-01',2) RETURNING id)
INSERT INTO journal_lines (entry_id, line_number, account_code, amount, effective_date) SELECT e.id, n, CASE n WHEN 1 THEN 'BANK' ELSE 'PROCESSOR_CASH' END, CASE n WHEN 1 THEN 10 ELSE -10 END, '2026-01-01' FROM e, (VALUES (1),(2)) v(n)`);
console.log("cte ok", (await db.query("select count(*) from journal_lines")).rows);
try {
  await db.exec(
    `INSERT INTO journal_entries (id, idempotency_key, content_hash, source_type, source_id, entry_code, description, effective_date, line_count) VALUES ('je_2','k2','h','ADJUSTMENT','s','X','d','2026-01-01',2)`,
  );
  console.log("alone: accepted?!");
} catch (e) {
  console.log("alone refused:", (e as Error).message);
}
