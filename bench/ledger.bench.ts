import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createAuthService } from "../src/auth/service.js";
import { credit, debit, type JournalEntryDraft } from "../src/ledger/journal-entry.js";
import { postJournalEntries, postJournalEntry } from "../src/ledger/service.js";
import { BusinessDate } from "../src/shared/business-date.js";
import { systemClock } from "../src/shared/clock.js";
import { type Database, openPgliteDatabase, openPostgresDatabase } from "../src/shared/db/database.js";
import { applyPendingMigrations } from "../src/shared/db/migrations.js";
import { Money } from "../src/shared/money.js";
import { startService } from "../test/support/service-process.js";
import { createScratchDatabase, printFigure, serveInProcess, timed } from "./support.js";

const singleEntries = 1_000;
const batchedEntries = 20_000;
const postingBatchSize = 1_000;
const exportLines = Number(process.env.BENCH_EXPORT_LINES ?? 1_000_000);
const adminEmail = "bench-admin@agency.test";
const adminPassword = "benchmark password";

let sequence = 0;
function twoLineEntry(): JournalEntryDraft {
  sequence += 1;
  const amount = Money.fromHalalas(BigInt(10_000 + (sequence % 50_000)));
  return {
    idempotencyKey: `bench:${sequence}`,
    sourceType: "ADJUSTMENT",
    sourceId: `bench-${sequence}`,
    entryCode: "BENCH",
    description: "benchmark entry",
    effectiveDate: BusinessDate.parse("2026-01-01").plusDays(sequence % 300),
    lines: [
      debit("RECEIVABLE_CONTRIBUTIONS", amount, `est_${sequence % 5_000}`),
      credit("CONTRIBUTIONS_HAZARDS_EMPLOYER", amount),
    ],
  };
}

async function benchmarkPosting(database: Database, label: string): Promise<void> {
  const single = await timed(async () => {
    for (let index = 0; index < singleEntries; index += 1) {
      const draft = twoLineEntry();
      await database.prisma.$transaction((tx) => postJournalEntry(tx, draft));
    }
  });
  printFigure(
    "ledger posting",
    `${label}: one entry per transaction`,
    `${Math.round(singleEntries / (single.milliseconds / 1000))} entries/s`,
  );

  const drafts = Array.from({ length: batchedEntries }, twoLineEntry);
  const batched = await timed(async () => {
    for (let start = 0; start < drafts.length; start += postingBatchSize) {
      const batch = drafts.slice(start, start + postingBatchSize);
      await database.prisma.$transaction((tx) => postJournalEntries(tx, batch), { timeout: 60_000 });
    }
  });
  printFigure(
    "ledger posting",
    `${label}: batches of ${postingBatchSize} (target > 5,000)`,
    `${Math.round(batchedEntries / (batched.milliseconds / 1000))} entries/s`,
  );
}

/**
 * Seeds `lines` journal lines (two per entry) with one set-based statement per table: the
 * benchmark measures the export, and the posting benchmark above measures the service.
 */
async function seedJournal(database: Database, lines: number): Promise<void> {
  const entries = Math.floor(lines / 2);
  // One statement, as the repository writes: the ledger's checks run once, set-based.
  await database.prisma.$executeRawUnsafe(`
    WITH seeded AS (
      INSERT INTO journal_entries (id, idempotency_key, content_hash, source_type, source_id, entry_code, description, effective_date, line_count)
      SELECT 'je_seed_' || g, 'seed:' || g, 'seed', 'ADJUSTMENT', 'seed-' || g, 'SEED', 'seeded entry ' || g,
             DATE '2026-01-01' + (g % 365), 2
        FROM generate_series(1, ${entries}) g
      RETURNING id, effective_date
    )
    INSERT INTO journal_lines (entry_id, line_number, account_code, establishment_id, amount, effective_date)
    SELECT s.id, side, CASE side WHEN 1 THEN 'RECEIVABLE_CONTRIBUTIONS' ELSE 'CONTRIBUTIONS_ANNUITIES_EMPLOYER' END,
           CASE side WHEN 1 THEN 'est_' || (length(s.id) * 7919 % 50000) END,
           CASE side WHEN 1 THEN 1 ELSE -1 END * (100 + (hashtext(s.id) & 65535) / 100.0)::numeric(18, 2),
           s.effective_date
      FROM seeded s CROSS JOIN (VALUES (1), (2)) AS sides(side)`);
  // What autovacuum would do after a bulk load: give the planner statistics.
  await database.prisma.$executeRawUnsafe("ANALYZE journal_entries, journal_lines");
}

async function signIn(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/v1/auth/staff/sessions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: adminEmail, password: adminPassword }),
  });
  if (response.status !== 201) throw new Error(`sign-in failed: ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

/**
 * Downloads the whole year as CSV, reading the stream chunk by chunk, and counts the lines.
 * Meanwhile samples the serving process's RSS every 20 ms: the peak during the export, and
 * the RSS just before it, are what "memory stays flat" is judged on.
 */
async function downloadJournal(baseUrl: string, token: string, readRss: () => Promise<number>): Promise<ExportResult> {
  const rssBefore = await readRss();
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    readRss().then(
      (rss) => {
        rssPeak = Math.max(rssPeak, rss);
      },
      () => {},
    );
  }, 20);
  try {
    const { result, milliseconds } = await timed(async () => {
      const response = await fetch(`${baseUrl}/v1/exports/journal?from=2026-01-01&to=2026-12-31&format=csv`, {
        headers: { authorization: `Bearer ${token}` },
      });
      if (!response.body || response.status !== 200) throw new Error(`export failed: ${response.status}`);
      let newlines = 0;
      let tail = "";
      const decoder = new TextDecoder();
      const reader = response.body.getReader();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        const text = decoder.decode(chunk.value, { stream: true });
        for (let index = text.indexOf("\n"); index !== -1; index = text.indexOf("\n", index + 1)) newlines += 1;
        tail = (tail + text).slice(-200);
      }
      return { lines: newlines - 2, totalRow: tail.trimEnd().split("\n").at(-1) ?? "" };
    });
    return {
      ...result,
      milliseconds,
      rssBeforeMegabytes: rssBefore,
      rssPeakMegabytes: Math.max(rssPeak, await readRss()),
    };
  } finally {
    clearInterval(sampler);
  }
}

type ExportResult = {
  lines: number;
  milliseconds: number;
  totalRow: string;
  rssBeforeMegabytes: number;
  rssPeakMegabytes: number;
};

function printExport(label: string, result: ExportResult) {
  printFigure(
    "ledger export",
    `${label}: ${result.lines.toLocaleString("en")} lines as CSV over HTTP`,
    `${(result.milliseconds / 1000).toFixed(2)} s (target < 5 s)`,
  );
  printFigure(
    "ledger export",
    `${label}: throughput`,
    `${Math.round(result.lines / (result.milliseconds / 1000)).toLocaleString("en")} lines/s`,
  );
  printFigure(
    "ledger export",
    `${label}: RSS during the export (target < 200 MB)`,
    `peak ${result.rssPeakMegabytes} MB, before it ${result.rssBeforeMegabytes} MB`,
  );
  printFigure("ledger export", `${label}: totals row`, result.totalRow);
}

async function readRssMegabytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? "0") / 1024);
}

export async function benchmarkLedger(options: { postgres: boolean }): Promise<void> {
  if (options.postgres) {
    const scratch = await createScratchDatabase("ledger");
    try {
      const database = await openPostgresDatabase({ url: scratch.url, poolMax: 4 });
      await applyPendingMigrations(database);
      await benchmarkPosting(database, "PostgreSQL");
      await database.close();
      await scratch.drop();

      const exportScratch = await createScratchDatabase("export");
      const exportDatabase = await openPostgresDatabase({ url: exportScratch.url, poolMax: 2 });
      await applyPendingMigrations(exportDatabase);
      const seeding = await timed(() => seedJournal(exportDatabase, exportLines));
      printFigure(
        "ledger export",
        "PostgreSQL: seed journal (set-based)",
        `${(seeding.milliseconds / 1000).toFixed(1)} s`,
      );
      await exportDatabase.close();
      try {
        // Twice: as configured, then with V8's heap capped at 96 MB. The second run finishing
        // shows the export holds no more than a page or two at a time; the first shows what an
        // uncapped process's collector lets RSS reach.
        for (const heapCap of [undefined, 96]) {
          const service = await startService(
            {
              DATABASE_URL: exportScratch.url,
              LOG_LEVEL: "warn",
              BOOTSTRAP_ADMIN_EMAIL: adminEmail,
              BOOTSTRAP_ADMIN_PASSWORD: adminPassword,
              ...(heapCap ? { NODE_OPTIONS: `--max-old-space-size=${heapCap}` } : {}),
            },
            { entry: "build" },
          );
          try {
            const pid = service.pid ?? 0;
            const result = await downloadJournal(service.url, await signIn(service.url), () => readRssMegabytes(pid));
            printExport(heapCap ? `PostgreSQL, heap capped at ${heapCap} MB` : "PostgreSQL", result);
          } finally {
            await service.stop();
          }
        }
      } finally {
        await exportScratch.drop();
      }
    } catch (error) {
      await scratch.drop().catch(() => {});
      throw error;
    }
  }

  const pglite = await openPgliteDatabase();
  await applyPendingMigrations(pglite);
  await benchmarkPosting(pglite, "PGlite");
  await pglite.close();

  // PGlite runs inside the serving process, so its RSS includes the whole database in memory.
  const dataDirectory = await mkdtemp(path.join(tmpdir(), "ishtirak-bench-export-"));
  try {
    const exportDatabase = await openPgliteDatabase({ dataDirectory });
    await applyPendingMigrations(exportDatabase);
    const seeding = await timed(() => seedJournal(exportDatabase, exportLines));
    printFigure("ledger export", "PGlite: seed journal (set-based)", `${(seeding.milliseconds / 1000).toFixed(1)} s`);
    await createAuthService({ db: exportDatabase.prisma, clock: systemClock }).ensureBootstrapAdmin({
      email: adminEmail,
      password: adminPassword,
    });
    const server = await serveInProcess(exportDatabase);
    const baseUrl = server.baseUrl;
    const inProcessRss = async () => Math.round(process.memoryUsage().rss / 1048576);
    printExport(
      "PGlite (in-process, database included)",
      await downloadJournal(baseUrl, await signIn(baseUrl), inProcessRss),
    );
    server.close();
    await exportDatabase.close();
  } finally {
    await rm(dataDirectory, { recursive: true, force: true });
  }
}
