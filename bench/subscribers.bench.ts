import { createHash } from "node:crypto";
import autocannon from "autocannon";
import { type Database, openPgliteDatabase, openPostgresDatabase } from "../src/shared/db/database.js";
import { applyPendingMigrations } from "../src/shared/db/migrations.js";
import { startService } from "../test/support/service-process.js";
import { constantRateLoad } from "./constant-rate.js";
import { createScratchDatabase, printFigure, serveInProcess, timed } from "./support.js";

/**
 * The month-by-month view (GET /v1/subscribers/me/contribution-months) for subscribers with
 * 20 years of history (240 months, each billed on its own invoice with settlements), among a
 * population of insured people, at a constant 200 requests/s (evenly spaced arrivals, latency
 * from each request's due time: bench/constant-rate.ts), signed in by session.
 */
const historyEstablishments = 50;
const historySubscribers = 200;
const historyMonths = 240;
const requestRate = 200;
const durationSeconds = 15;
const warmUpSeconds = 10;

export const tokenOf = (index: number) => `ist_bench_subscriber_${index}`;

export async function seed(database: Database, population: number): Promise<void> {
  const statements = [
    `INSERT INTO establishments (id, name_ar, name_en, contact_email, contact_mobile, city, created_at)
     SELECT 'est_s' || lpad(g::text, 8, '0'), 'منشأة ' || g, 'Establishment ' || g, 's' || g || '@bench.test',
            '+966501234567', 'Riyadh', now()
       FROM generate_series(0, ${historyEstablishments * 4 - 1}) g`,
    `INSERT INTO subscribers (id, identifier_kind, identifier_number, nationality, name, date_of_birth,
                              first_insured_on, population, created_at)
     SELECT 'sub_s' || lpad(g::text, 9, '0'), 'NATIONAL_ID', (1000000000 + g)::text, 'SAUDI', 'Subscriber ' || g,
            date '1980-01-01', date '2006-01-01', 'SAUDI_LEGACY', now()
       FROM generate_series(0, ${population - 1}) g`,
    // Everyone has a current employment; the history subscribers also one that started 20 years ago.
    // Each was registered when it started: registered "now", a million of them would be rescanned
    // by the service's minute job for employment notices (it looks two days back), a load no
    // steady-state minute has.
    `INSERT INTO employments (id, subscriber_id, establishment_id, occupation, start_date, registered_at, registered_by)
     SELECT 'emp_s' || lpad(g::text, 9, '0'), 'sub_s' || lpad(g::text, 9, '0'),
            'est_s' || lpad((${historyEstablishments} + g % ${historyEstablishments * 3})::text, 8, '0'),
            'Worker', date '2026-11-01', date '2026-11-01', 'bench'
       FROM generate_series(${historySubscribers}, ${population - 1}) g`,
    `INSERT INTO employments (id, subscriber_id, establishment_id, occupation, start_date, registered_at, registered_by)
     SELECT 'emp_h' || lpad(g::text, 9, '0'), 'sub_s' || lpad(g::text, 9, '0'),
            'est_s' || lpad((g % ${historyEstablishments})::text, 8, '0'), 'Worker',
            date '2026-10-01' - interval '${historyMonths - 1} months',
            date '2026-10-01' - interval '${historyMonths - 1} months', 'bench'
       FROM generate_series(0, ${historySubscribers - 1}) g`,
    `INSERT INTO billing_runs (id, month, status, requested_by, created_at, completed_at, updated_at)
     SELECT 'run_s' || m, date '2026-10-01' - make_interval(months => m), 'COMPLETED', 'bench', now(), now(), now()
       FROM generate_series(0, ${historyMonths - 1}) m`,
    `INSERT INTO invoices (id, number, establishment_id, contribution_month, billing_run_id, issue_date, due_date,
                           annuities_employer, annuities_employee, saned_employer, saned_employee, hazards_employer,
                           adjustment_total, total, contribution_line_count, adjustment_line_count, created_at)
     SELECT 'inv_s' || e || '_' || m, 'C-S' || e || '-' || m, 'est_s' || lpad(e::text, 8, '0'),
            date '2026-10-01' - make_interval(months => m), 'run_s' || m,
            date '2026-11-01' - make_interval(months => m), date '2026-11-15' - make_interval(months => m),
            3600, 3600, 300, 300, 800, 0, 8600, 4, 0, now()
       FROM generate_series(0, ${historyEstablishments - 1}) e, generate_series(0, ${historyMonths - 1}) m`,
    `INSERT INTO invoice_lines (invoice_id, line_number, kind, contribution_month, employment_id, subscriber_id,
                                identifier_number, subscriber_name, population, days_in_service, contributory_wage,
                                chargeable_wage, annuities_employer, annuities_employee, saned_employer,
                                saned_employee, hazards_employer)
     SELECT 'inv_s' || (g % ${historyEstablishments}) || '_' || m, g / ${historyEstablishments} + 1, 'CONTRIBUTION',
            date '2026-10-01' - make_interval(months => m), 'emp_h' || lpad(g::text, 9, '0'),
            'sub_s' || lpad(g::text, 9, '0'), (1000000000 + g)::text, 'Subscriber ' || g, 'SAUDI_LEGACY', 30,
            10000, 10000, 900, 900, 75, 75, 200
       FROM generate_series(0, ${historySubscribers - 1}) g, generate_series(0, ${historyMonths - 1}) m`,
    // Paid up to two months back; last month partly; this month not at all.
    `INSERT INTO invoice_settlements (id, invoice_id, source_type, source_id, amount, settled_on, created_at)
     SELECT 'set_s' || e || '_' || m, 'inv_s' || e || '_' || m, 'PAYMENT', 'pay_s' || e || '_' || m,
            CASE WHEN m = 1 THEN 4000 ELSE 8600 END, date '2026-11-10' - make_interval(months => m), now()
       FROM generate_series(0, ${historyEstablishments - 1}) e, generate_series(1, ${historyMonths - 1}) m`,
    `INSERT INTO subscriber_accounts (id, subscriber_id, email, mobile, password_hash, terms_version,
                                      terms_accepted_at, created_at, password_changed_at)
     SELECT 'sua_s' || g, 'sub_s' || lpad(g::text, 9, '0'), 's' || g || '@subscriber.bench', '+966550000000',
            'not-a-hash', '2026-01', now(), now(), now()
       FROM generate_series(0, ${historySubscribers - 1}) g`,
    // Vacuumed and checkpointed as well as analysed: the figures are for a database in its steady
    // state, so autovacuum and the checkpoint that a million fresh rows call for cannot fall
    // inside the 15 s measured (on two shared cores either takes most of one).
    "VACUUM ANALYZE",
    "CHECKPOINT",
  ];
  for (const statement of statements) await database.prisma.$executeRawUnsafe(statement);
  // Sessions whose tokens the load generator knows: only their hashes are stored, as always.
  for (let index = 0; index < historySubscribers; index++) {
    const hash = createHash("sha256").update(tokenOf(index)).digest("hex");
    await database.prisma.$executeRaw`
      INSERT INTO sessions (id, token_hash, principal_type, principal_id, created_at, expires_at)
      VALUES (${`ses_s${index}`}, ${hash}, 'SUBSCRIBER', ${`sua_s${index}`}, now(), now() + interval '1 day')`;
  }
}

async function load(label: string, baseUrl: string, population: number): Promise<void> {
  const probe = await fetch(`${baseUrl}/v1/subscribers/me/contribution-months`, {
    headers: { authorization: `Bearer ${tokenOf(0)}` },
  });
  const body = (await probe.json()) as { months?: unknown[] };
  if (probe.status !== 200 || (body.months?.length ?? 0) < historyMonths)
    throw new Error(`the month view answered ${probe.status} with ${body.months?.length} months`);
  const offer = (seconds: number) =>
    constantRateLoad({
      url: `${baseUrl}/v1/subscribers/me/contribution-months`,
      rate: requestRate,
      durationSeconds: seconds,
      headers: (index) => ({ authorization: `Bearer ${tokenOf(index % historySubscribers)}` }),
    });
  // Ten seconds at the rate first, printed apart: connections opened and their statements
  // prepared, and the service's code compiled by V8's tiers. (The measured window's slow requests
  // of before 2026-12-07 were not a short warm-up but this process's own garbage collection, spread
  // over the whole window: `npm run bench` now sizes its heap, docs/subscribers.md.)
  const warmUp = await offer(warmUpSeconds);
  printFigure(
    "subscriber months",
    `${label}: warm-up, the first ${warmUpSeconds} s after start`,
    `${warmUp.achievedRate} req/s at a constant ${requestRate}/s; p50 ${warmUp.p50} ms, p90 ${warmUp.p90} ms, p99 ${warmUp.p99} ms, max ${warmUp.max} ms`,
  );
  const result = await offer(durationSeconds);
  printFigure(
    "subscriber months",
    `${label}: ${population.toLocaleString("en")} subscribers, ${historyMonths} months each for ${historySubscribers}`,
    `${result.achievedRate} req/s at a constant ${requestRate}/s; p50 ${result.p50} ms, p90 ${result.p90} ms, p99 ${result.p99} ms, max ${result.max} ms; ${result.non2xx} non-2xx, ${result.errors} errors; load generator ${result.generatorCpuMs} ms CPU/request`,
  );

  // The same rate through autocannon, for comparison: its overallRate lets each connection send
  // its share of a second back to back at the start of the second, so this measures bursts.
  let next = 0;
  const bursts = await autocannon({
    url: `${baseUrl}/v1/subscribers/me/contribution-months`,
    connections: 20,
    overallRate: requestRate,
    duration: durationSeconds,
    requests: [
      {
        setupRequest: (request) => ({
          ...request,
          headers: { ...request.headers, authorization: `Bearer ${tokenOf(next++ % historySubscribers)}` },
        }),
      },
    ],
  });
  printFigure(
    "subscriber months",
    `${label}: autocannon, ${requestRate}/s in per-second bursts`,
    `${Math.round(bursts.requests.average)} req/s; p50 ${bursts.latency.p50} ms, p99 ${bursts.latency.p99} ms; ${bursts.non2xx} non-2xx, ${bursts.errors} errors`,
  );
}

export async function benchmarkSubscribers(options: { postgres: boolean; argv: string[] }): Promise<void> {
  const populationIndex = options.argv.indexOf("--subscribers");
  const population = populationIndex >= 0 ? Number(options.argv[populationIndex + 1]) : 1_000_000;
  if (options.postgres) {
    const scratch = await createScratchDatabase("subscribers");
    const database = await openPostgresDatabase({ url: scratch.url, poolMax: 2 });
    try {
      await applyPendingMigrations(database);
      const seeded = await timed(() => seed(database, population));
      printFigure("subscriber months", "PostgreSQL: seeding", `${(seeded.milliseconds / 1000).toFixed(1)} s`);
      const service = await startService(
        { DATABASE_URL: scratch.url, DATABASE_POOL_MAX: "10", LOG_LEVEL: "warn" },
        { entry: "build" },
      );
      try {
        await load("PostgreSQL", service.url, population);
      } finally {
        await service.stop();
      }
    } finally {
      await database.close();
      await scratch.drop();
    }
  }
  const pglitePopulation = Math.min(population, 100_000);
  const pglite = await openPgliteDatabase();
  try {
    await applyPendingMigrations(pglite);
    await seed(pglite, pglitePopulation);
    const served = await serveInProcess(pglite);
    try {
      await load("PGlite (in process)", served.baseUrl, pglitePopulation);
    } finally {
      served.close();
    }
  } finally {
    await pglite.close();
  }
}
