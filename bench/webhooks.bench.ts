import http from "node:http";
import { LOCAL_STRIPE_WEBHOOK_SECRET } from "../src/config.js";
import { startLocalStripe } from "../src/payments/local-stripe/start.js";
import type { SignedDelivery } from "../src/payments/local-stripe/state.js";
import { type Database, openPgliteDatabase, openPostgresDatabase } from "../src/shared/db/database.js";
import { applyPendingMigrations } from "../src/shared/db/migrations.js";
import { startService } from "../test/support/service-process.js";
import { createScratchDatabase, printFigure, serveInProcess, timed } from "./support.js";

/**
 * Webhook ingestion through HTTP with signature checks: payment_intent.succeeded events for
 * distinct establishments, each recorded as a payment (receipt entry) and applied to the
 * establishment's open invoice (allocation entry and settlement). The clock runs from the
 * first POST until every event is applied; latency is the POST's answer (store only).
 *
 * The measured runs follow a warm-up whose figure is printed too: a service's first few thousand
 * events after it starts run at about two thirds of the rate of the next ones (V8 still
 * compiling the hot paths, PostgreSQL backends filling their caches), and a service taking
 * Stripe's deliveries runs for days.
 */
const establishments = 2_000;
/** The warm-up pays the invoices of establishments of its own, so the measured runs do the same work with or without it. */
const warmUpEstablishments = 2_000;
const connections = 16;

async function seed(database: Database): Promise<void> {
  const statements = [
    `INSERT INTO establishments (id, name_ar, name_en, contact_email, contact_mobile, city, created_at)
     SELECT 'est_w' || lpad(g::text, 8, '0'), 'منشأة ' || g, 'Establishment ' || g, 'w' || g || '@bench.test',
            '+966501234567', 'Riyadh', now()
       FROM generate_series(0, ${establishments + warmUpEstablishments - 1}) g`,
    `INSERT INTO billing_runs (id, month, status, requested_by, created_at, completed_at, updated_at)
     VALUES ('run_webhook_bench', date '2026-10-01', 'COMPLETED', 'bench', now(), now(), now())`,
    `INSERT INTO invoices (id, number, establishment_id, contribution_month, billing_run_id, issue_date, due_date,
                           annuities_employer, annuities_employee, saned_employer, saned_employee, hazards_employer,
                           adjustment_total, total, contribution_line_count, adjustment_line_count, created_at)
     SELECT 'inv_w' || lpad(g::text, 8, '0'), 'C-202610-W' || g, 'est_w' || lpad(g::text, 8, '0'), date '2026-10-01',
            'run_webhook_bench', date '2026-11-01', date '2026-12-15', 900.00, 900.00, 75.00, 75.00, 200.00, 0,
            2150.00, 1, 0, now()
       FROM generate_series(0, ${establishments + warmUpEstablishments - 1}) g`,
  ];
  for (const statement of statements) await database.prisma.$executeRawUnsafe(statement);
}

/**
 * One succeeded payment per establishment (of what its invoice owes, or less), and its signed
 * event: the measured runs pay establishments 0 to `establishments` - 1, the warm-up the next ones.
 */
function payments(
  stand: Awaited<ReturnType<typeof startLocalStripe>>,
  from: number,
  count: number,
  options: { warmUp?: boolean } = {},
): SignedDelivery[] {
  const state = stand.local.state;
  const deliveries: SignedDelivery[] = [];
  const [first, span] = options.warmUp ? [establishments, warmUpEstablishments] : [0, establishments];
  for (let index = from; index < from + count; index++) {
    const number = String(first + (index % span)).padStart(8, "0");
    const intent = state.createPaymentIntent({
      amount: 100_000,
      currency: "sar",
      metadata: { establishment_id: `est_w${number}`, invoice_id: `inv_w${number}` },
    });
    const mark = state.emitted.length;
    state.confirmPaymentIntent(intent.id, "succeeded");
    const succeeded = state.emitted.slice(mark).find((delivery) => delivery.event.type === "payment_intent.succeeded");
    if (succeeded) deliveries.push(succeeded);
  }
  state.emitted.length = 0;
  return deliveries;
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
}

/** One POST on a kept-alive connection of `agent`; resolves with the answer's status once it is read. */
function post(agent: http.Agent, url: URL, delivery: SignedDelivery): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: "POST",
        agent,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(delivery.payload),
          "stripe-signature": delivery.signature,
        },
      },
      (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? 0));
      },
    );
    request.on("error", reject);
    request.end(delivery.payload);
  });
}

/**
 * POSTs every delivery over `connections` kept-alive connections; the answers' latencies, sorted.
 * node:http rather than fetch: it costs this process about a third of the CPU per request, and
 * this process shares the machine with the service it measures.
 */
async function postAll(baseUrl: string, deliveries: readonly SignedDelivery[]): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const url = new URL("/webhooks/stripe", baseUrl);
  const latencies: number[] = [];
  let next = 0;
  const client = async () => {
    for (let item = deliveries[next++]; item; item = deliveries[next++]) {
      const started = performance.now();
      const status = await post(agent, url, item);
      latencies.push(performance.now() - started);
      if (status !== 200) throw new Error(`webhook answered ${status}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: connections }, client));
  } finally {
    agent.destroy();
  }
  return latencies.sort((a, b) => a - b);
}

/**
 * Polls until every stored event is applied. EXISTS stops at the first pending event the
 * status index finds; a count scanned every pending row 50 times a second (~4 ms each), CPU
 * taken from the service it measures.
 */
async function untilNonePending(database: Database): Promise<void> {
  for (;;) {
    const [row] = await database.prisma.$queryRaw<{ pending: boolean }[]>`
      SELECT EXISTS (SELECT 1 FROM stripe_events WHERE status = 'PENDING') AS pending`;
    if (!row?.pending) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function ingest(
  label: string,
  baseUrl: string,
  database: Database,
  deliveries: readonly SignedDelivery[],
  distinct: number,
): Promise<void> {
  let latencies: number[] = [];
  const run = await timed(async () => {
    latencies = await postAll(baseUrl, deliveries);
    await untilNonePending(database);
  });
  const [failed] = await database.prisma.$queryRaw<{ failed: bigint }[]>`
    SELECT count(*) AS failed FROM stripe_events WHERE last_error IS NOT NULL`;
  const seconds = run.milliseconds / 1000;
  printFigure(
    "webhook ingestion",
    `${label}: ${deliveries.length} POSTs, ${distinct} events`,
    `${Math.round(distinct / seconds)} events/s applied, ${Math.round(deliveries.length / seconds)} POSTs/s`,
  );
  printFigure(
    "webhook ingestion",
    `${label}: answer latency`,
    `p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p99 ${percentile(latencies, 0.99).toFixed(1)} ms; ${failed?.failed ?? 0} retried`,
  );
}

/**
 * Taking deliveries and applying them measured apart, as separate web and worker processes
 * would run them: one service only stores (WEBHOOK_APPLY_ON_RECEIPT=false, its sweep idle);
 * once it has answered every POST it stops, and a second one applies what is stored (as any
 * process does when it starts), timed from when it is ready.
 */
async function benchmarkApart(url: string, database: Database, events: number): Promise<void> {
  const stand = await startLocalStripe({ port: 0, webhookSecret: LOCAL_STRIPE_WEBHOOK_SECRET });
  const environment = serviceEnvironment(url, stand.url);
  try {
    const deliveries = payments(stand, 0, events);
    const intake = await startService(
      { ...environment, WEBHOOK_APPLY_ON_RECEIPT: "false", STRIPE_EVENT_SWEEP_CRON: "0 0 1 1 *" },
      { entry: "build" },
    );
    let latencies: number[] = [];
    const posting = await timed(async () => {
      latencies = await postAll(intake.url, deliveries);
    }).finally(() => intake.stop());
    printFigure(
      "webhook ingestion",
      `PostgreSQL, stored only: ${events} POSTs`,
      `${Math.round(events / (posting.milliseconds / 1000))} POSTs/s; p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p99 ${percentile(latencies, 0.99).toFixed(1)} ms`,
    );
    const applier = await startService({ ...environment, STRIPE_EVENT_SWEEP_CRON: "* * * * * *" }, { entry: "build" });
    const applying = await timed(() => untilNonePending(database)).finally(() => applier.stop());
    printFigure(
      "webhook ingestion",
      `PostgreSQL, applied by a second process: ${events} events`,
      `${Math.round(events / (applying.milliseconds / 1000))} events/s (applied from its start)`,
    );
  } finally {
    await stand.close();
  }
}

/**
 * The deployment WEBHOOK_APPLY_ON_RECEIPT=false is for, both processes running at once: a web
 * process that only stores deliveries and a worker that applies them, woken by the notification
 * each stored burst sends (its sweep every 5 s, as the README advises, only catches retries).
 * A warm-up first, then in order and with 30% duplicates shuffled, as for the single process.
 */
async function benchmarkSideBySide(url: string, database: Database, events: number): Promise<void> {
  const stand = await startLocalStripe({ port: 0, webhookSecret: LOCAL_STRIPE_WEBHOOK_SECRET });
  const environment = { ...serviceEnvironment(url, stand.url), STRIPE_EVENT_SWEEP_CRON: "*/5 * * * * *" };
  const label = "PostgreSQL, a web process storing beside a worker applying";
  try {
    const worker = await startService(environment, { entry: "build" });
    try {
      const web = await startService({ ...environment, WEBHOOK_APPLY_ON_RECEIPT: "false" }, { entry: "build" });
      try {
        const warmUp = events / 2;
        await ingest(`${label}, warm-up`, web.url, database, payments(stand, events, warmUp, { warmUp: true }), warmUp);
        await ingest(`${label}, in order`, web.url, database, payments(stand, events, events), events);
        await ingest(
          `${label}, 30% duplicates, shuffled`,
          web.url,
          database,
          withDuplicatesShuffled(payments(stand, 2 * events, events), 0.3),
          events,
        );
      } finally {
        await web.stop();
      }
    } finally {
      await worker.stop();
    }
  } finally {
    await stand.close();
  }
}

function serviceEnvironment(databaseUrl: string, standUrl: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_MAX: "20",
    WEBHOOK_WORKERS: "8",
    LOG_LEVEL: "warn",
    STRIPE_SECRET_KEY: "sk_test_bench",
    STRIPE_WEBHOOK_SECRET: LOCAL_STRIPE_WEBHOOK_SECRET,
    STRIPE_API_URL: standUrl.replace("localhost", "127.0.0.1"),
    // The stand-in has no rate limits: this measures Ishtirak's own path. Against Stripe, at its
    // default limits, each payment event's read is paced to STRIPE_API_READS_PER_SECOND (20/s):
    // docs/payments.md "Stripe's rate limits".
    STRIPE_API_READS_PER_SECOND: "0",
    STRIPE_API_WRITES_PER_SECOND: "0",
  };
}

function withDuplicatesShuffled(deliveries: readonly SignedDelivery[], share: number): SignedDelivery[] {
  const copies = deliveries.slice(0, Math.round(deliveries.length * share));
  const all = [...deliveries, ...copies];
  for (let index = all.length - 1; index > 0; index--) {
    const other = Math.floor(Math.random() * (index + 1));
    [all[index], all[other]] = [all[other] as SignedDelivery, all[index] as SignedDelivery];
  }
  return all;
}

type Served = { baseUrl: string; close(): Promise<unknown> | undefined };

async function benchmarkOn(
  label: string,
  database: Database,
  stand: Awaited<ReturnType<typeof startLocalStripe>>,
  served: Served,
  events: number,
) {
  try {
    const warmUp = events / 2;
    await ingest(
      `${label}, warm-up: the first ${warmUp} events after start`,
      served.baseUrl,
      database,
      payments(stand, 0, warmUp, { warmUp: true }),
      warmUp,
    );
    await ingest(`${label}, in order`, served.baseUrl, database, payments(stand, 0, events), events);
    const second = payments(stand, events, events);
    await ingest(
      `${label}, 30% duplicates, shuffled`,
      served.baseUrl,
      database,
      withDuplicatesShuffled(second, 0.3),
      events,
    );
  } finally {
    await served.close();
    await stand.close();
  }
}

export async function benchmarkWebhooks(options: { postgres: boolean }): Promise<void> {
  if (options.postgres) {
    // The service in its own process, as `npm start` runs it, talking to the stand-in in this one.
    const scratch = await createScratchDatabase("webhooks");
    const database = await openPostgresDatabase({ url: scratch.url, poolMax: 2 });
    const stand = await startLocalStripe({ port: 0, webhookSecret: LOCAL_STRIPE_WEBHOOK_SECRET });
    try {
      const service = await startService(serviceEnvironment(scratch.url, stand.url), { entry: "build" });
      await seed(database);
      await benchmarkOn("PostgreSQL", database, stand, { baseUrl: service.url, close: () => service.stop() }, 4_000);
      await benchmarkApart(scratch.url, database, 4_000);
      await benchmarkSideBySide(scratch.url, database, 4_000);
    } finally {
      await database.close();
      await scratch.drop();
    }
  }
  const pglite = await openPgliteDatabase();
  try {
    await applyPendingMigrations(pglite);
    await seed(pglite);
    const stand = await startLocalStripe({ port: 0, webhookSecret: LOCAL_STRIPE_WEBHOOK_SECRET });
    const server = await serveInProcess(pglite, { stripe: stand.connection });
    await benchmarkOn(
      "PGlite (in-process)",
      pglite,
      stand,
      { baseUrl: server.baseUrl, close: async () => server.close() },
      1_000,
    );
  } finally {
    await pglite.close();
  }
}
