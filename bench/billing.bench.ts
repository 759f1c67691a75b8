import pg from "pg";
import { createBillingService } from "../src/billing/service.js";
import { FixedClock } from "../src/shared/clock.js";
import { ContributionMonth } from "../src/shared/contribution-month.js";
import { type Database, openPgliteDatabase, openPostgresDatabase } from "../src/shared/db/database.js";
import { applyPendingMigrations } from "../src/shared/db/migrations.js";
import { createLogger } from "../src/shared/logger.js";
import { createScratchDatabase, printFigure, timed } from "./support.js";

/** --employments N (PostgreSQL; PGlite bills a tenth of it). The real agency bills about 13 million a month. */
function employmentsOption(argv: string[]): number {
  const index = argv.indexOf("--employments");
  const value = index >= 0 ? Number(argv[index + 1]) : Number(process.env.BENCH_EMPLOYMENTS ?? 1_000_000);
  if (!Number.isInteger(value) || value < 1_000) throw new Error("--employments must be an integer of at least 1000");
  return value;
}

const MONTH = ContributionMonth.parse("2026-10");

/**
 * A month's population written set-based: establishments of skewed sizes (the first few with
 * tens of thousands of employees, most with a handful), 23% Saudis split between the legacy
 * and the 2024 populations, 2% of subscribers with a second employer, a tenth joining in the
 * month and some leaving mid-month, 5% with a wage change.
 */
export async function seedPopulation(database: Database, employments: number) {
  const establishments = Math.max(Math.floor(employments / 20), 10);
  const subscribers = employments - Math.floor(employments / 50);
  const skewed = (index: string) =>
    `floor(${establishments} * power(((${index}::bigint * 7919) % ${employments})::float8 / ${employments}, 3))::int`;
  const statements = [
    `INSERT INTO establishments (id, name_ar, name_en, contact_email, contact_mobile, city, created_at)
     SELECT 'est_b' || lpad(g::text, 8, '0'), 'منشأة ' || g, 'Establishment ' || g, 'e' || g || '@bench.test',
            '+966501234567', 'Riyadh', now()
       FROM generate_series(0, ${establishments - 1}) g`,
    `INSERT INTO subscribers (id, identifier_kind, identifier_number, nationality, name, date_of_birth,
                              first_insured_on, population, created_at)
     SELECT 'sub_b' || lpad(g::text, 9, '0'),
            (CASE WHEN g % 100 < 23 THEN 'NATIONAL_ID' ELSE 'IQAMA' END)::person_identifier_kind,
            ((CASE WHEN g % 100 < 23 THEN 1000000000 ELSE 2000000000 END) + g)::text,
            (CASE WHEN g % 100 < 23 THEN 'SAUDI' ELSE 'OTHER' END)::nationality,
            'Subscriber ' || g, date '1990-01-01', date '2020-01-01',
            (CASE WHEN g % 100 < 12 THEN 'SAUDI_LEGACY' WHEN g % 100 < 23 THEN 'SAUDI_NEW_2024'
                  ELSE 'NON_SAUDI' END)::population, now()
       FROM generate_series(0, ${subscribers - 1}) g`,
    `INSERT INTO employments (id, subscriber_id, establishment_id, occupation, start_date, end_date, registered_at,
                              registered_by)
     SELECT 'emp_b' || lpad(g::text, 9, '0'),
            'sub_b' || lpad((CASE WHEN g < ${subscribers} THEN g ELSE (g - ${subscribers}) * 7 % ${subscribers} END)::text, 9, '0'),
            'est_b' || lpad((CASE WHEN g < ${subscribers} THEN ${skewed("g")}
                                  ELSE (${skewed(`((g - ${subscribers}) * 7 % ${subscribers})`)} + 1) % ${establishments}
                             END)::text, 8, '0'),
            'Worker',
            CASE WHEN g % 10 = 0 THEN date '2026-10-01' + (g % 28) ELSE date '2026-01-01' + (g % 200) END,
            CASE WHEN g % 37 = 0 AND g % 10 <> 0 THEN date '2026-10-15' END,
            now() - interval '60 days', 'bench'
       FROM generate_series(0, ${employments - 1}) g`,
    `INSERT INTO wages (id, employment_id, effective_month, basic, housing, other_allowances, housing_in_kind,
                        is_retroactive_correction, recorded_at, recorded_by)
     SELECT 'wg_b' || substr(e.id, 6), e.id, date_trunc('month', e.start_date)::date,
            1500 + (n % 400) * 50, CASE WHEN n % 100 = 0 THEN 0 ELSE (1500 + (n % 400) * 50) / 4 END, 300,
            n % 100 = 0, false, now() - interval '60 days', 'bench'
       FROM (SELECT id, start_date, substr(id, 6)::int AS n FROM employments WHERE id LIKE 'emp_b%') e`,
    `INSERT INTO wages (id, employment_id, effective_month, basic, housing, other_allowances, housing_in_kind,
                        is_retroactive_correction, recorded_at, recorded_by)
     SELECT 'wg_c' || substr(e.id, 6), e.id, date '2026-09-01', 60000, 0, 0, false, false,
            now() - interval '50 days', 'bench'
       FROM employments e WHERE e.id LIKE 'emp_b%' AND substr(e.id, 6)::int % 20 = 0 AND e.start_date < date '2026-09-01'`,
    // The register as a billing run meets it in production: written long before, so vacuumed
    // (hint bits and visibility map set) and checkpointed. Left as just loaded, the run set the
    // hint bits of three million rows and autovacuum started on the fresh tables beside it.
    "VACUUM (ANALYZE)",
    "CHECKPOINT",
  ];
  for (const statement of statements) await database.prisma.$executeRawUnsafe(statement);
  const [active] = await database.prisma.$queryRawUnsafe<{ lines: number; establishments: number }[]>(
    `SELECT count(*)::int AS lines, count(DISTINCT establishment_id)::int AS establishments FROM employments
      WHERE start_date <= date '2026-10-31' AND (end_date IS NULL OR end_date >= date '2026-10-01')`,
  );
  const [largest] = await database.prisma.$queryRawUnsafe<{ size: number }[]>(
    `SELECT count(*)::int AS size FROM employments GROUP BY establishment_id ORDER BY 1 DESC LIMIT 1`,
  );
  return { active: active?.lines ?? 0, establishments: active?.establishments ?? 0, largest: largest?.size ?? 0 };
}

/** The floor the run is compared with: one bare INSERT … SELECT writing as many lines of the same width. */
async function baselineInsertSelect(database: Database): Promise<number> {
  await database.prisma.$executeRawUnsafe(`CREATE TABLE bench_baseline_lines (LIKE invoice_lines)`);
  const { milliseconds } = await timed(() =>
    database.prisma.$executeRawUnsafe(`
      INSERT INTO bench_baseline_lines
      SELECT 'baseline', row_number() OVER (), 'CONTRIBUTION', date '2026-10-01', e.id, e.subscriber_id,
             s.identifier_number, s.name, s.population, 31, w.basic + w.housing, w.basic + w.housing,
             round((w.basic + w.housing) * 0.09, 2), round((w.basic + w.housing) * 0.09, 2),
             round((w.basic + w.housing) * 0.0075, 2), round((w.basic + w.housing) * 0.0075, 2),
             round((w.basic + w.housing) * 0.02, 2)
        FROM employments e
        JOIN subscribers s ON s.id = e.subscriber_id
        JOIN wages w ON w.id = 'wg_b' || substr(e.id, 6)
       WHERE e.start_date <= date '2026-10-31' AND (e.end_date IS NULL OR e.end_date >= date '2026-10-01')`),
  );
  await database.prisma.$executeRawUnsafe(`DROP TABLE bench_baseline_lines`);
  return milliseconds;
}

/**
 * Bills the bench's month (2026-10, on 2026-11-01) as the service does, with `workers` workers
 * and BILLING_PARTITION_LINES when set, and returns the finished run.
 */
export async function billBenchMonth(database: Database, workers: number) {
  const billing = createBillingService({
    db: database.prisma,
    clock: new FixedClock("2026-11-01T06:00:00+03:00"),
    logger: createLogger({ level: "warn" }),
    workers,
    ...(process.env.BILLING_PARTITION_LINES ? { partitionLines: Number(process.env.BILLING_PARTITION_LINES) } : {}),
  });
  const { run } = await billing.requestRun(
    { kind: "staff", staffUserId: "bench", role: "AGENCY_ADMIN", sessionId: "bench" },
    MONTH,
  );
  await billing.idle();
  return billing.getRun(run.id);
}

async function billMonth(database: Database, label: string, employments: number) {
  const seeded = await timed(() => seedPopulation(database, employments));
  printFigure(
    "billing run",
    `${label}: population`,
    `${seeded.result.active.toLocaleString("en")} active employments in ${seeded.result.establishments.toLocaleString("en")} establishments (largest ${seeded.result.largest.toLocaleString("en")}); seeded in ${(seeded.milliseconds / 1000).toFixed(1)} s`,
  );
  const baselineBefore = await baselineInsertSelect(database);

  // The process may hold what earlier benchmarks left (a full `npm run bench` runs the PGlite
  // ledger export first), so the RSS at the start is printed beside the peak.
  const startRss = process.memoryUsage().rss;
  let peakRss = startRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  // As the service runs: BILLING_RUN_WORKERS (default 2) on PostgreSQL, one on PGlite.
  const { result: run, milliseconds } = await timed(() =>
    billBenchMonth(database, label === "PostgreSQL" ? Number(process.env.BILLING_RUN_WORKERS ?? 2) : 1),
  );
  clearInterval(sampler);
  // The floor measured again after the run: one five-second statement on a shared machine moved
  // by a fifth from one run to the next, more than the run itself did, so the ratio is taken to
  // the mean of the two.
  const baselineAfter = await baselineInsertSelect(database);
  const baseline = (baselineBefore + baselineAfter) / 2;
  const seconds = milliseconds / 1000;
  printFigure(
    "billing run",
    `${label}: ${run.contributionLines.toLocaleString("en")} lines, ${run.invoicesIssued.toLocaleString("en")} invoices`,
    `${seconds.toFixed(2)} s${label === "PostgreSQL" ? " (target < 15 s at 1,000,000)" : ""}`,
  );
  printFigure(
    "billing run",
    `${label}: throughput`,
    `${Math.round(run.contributionLines / seconds).toLocaleString("en")} employments/s`,
  );
  printFigure(
    "billing run",
    `${label}: bare INSERT … SELECT of as many lines`,
    `${(baselineBefore / 1000).toFixed(2)} s before the run, ${(baselineAfter / 1000).toFixed(2)} s after; run / their mean = ${(milliseconds / baseline).toFixed(1)}x (target ≤ 4x)`,
  );
  printFigure(
    "billing run",
    `${label}: peak RSS of this process`,
    `${Math.round(peakRss / 1_048_576)} MB (${Math.round(startRss / 1_048_576)} MB as the run started)`,
  );
  const [entries] = await database.prisma.$queryRawUnsafe<{ entries: number; lines: number }[]>(
    `SELECT count(*)::int AS entries, sum(line_count)::int AS lines FROM journal_entries WHERE source_type = 'INVOICE'`,
  );
  printFigure(
    "billing run",
    `${label}: ledger`,
    `${entries?.entries.toLocaleString("en")} journal entries, ${entries?.lines.toLocaleString("en")} lines`,
  );
}

/**
 * BENCH_AUTO_EXPLAIN=<ms>: the server logs the plan (with actual times and trigger times) of every
 * statement slower than that, in its own log file. Needs a superuser, as the local server has.
 */
async function logSlowStatementPlans(url: string, milliseconds: number) {
  const name = new URL(url).pathname.slice(1);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const setting of [
      "session_preload_libraries = 'auto_explain'",
      `auto_explain.log_min_duration = ${Number.isFinite(milliseconds) && milliseconds > 0 ? milliseconds : 500}`,
      "auto_explain.log_analyze = on",
      "auto_explain.log_nested_statements = on",
      "auto_explain.log_triggers = on",
    ]) {
      await client.query(`ALTER DATABASE ${name} SET ${setting}`);
    }
  } finally {
    await client.end();
  }
}

export async function benchmarkBilling(options: { postgres: boolean; argv: string[] }): Promise<void> {
  const employments = employmentsOption(options.argv);
  if (options.postgres) {
    const scratch = await createScratchDatabase("billing");
    try {
      if (process.env.BENCH_AUTO_EXPLAIN)
        await logSlowStatementPlans(scratch.url, Number(process.env.BENCH_AUTO_EXPLAIN));
      const database = await openPostgresDatabase({ url: scratch.url, poolMax: 4 });
      try {
        await applyPendingMigrations(database);
        await billMonth(database, "PostgreSQL", employments);
      } finally {
        await database.close();
      }
    } finally {
      await scratch.drop();
    }
  }
  const pglite = await openPgliteDatabase();
  try {
    await applyPendingMigrations(pglite);
    await billMonth(pglite, "PGlite", Math.max(Math.floor(employments / 10), 1_000));
  } finally {
    await pglite.close();
  }
}
