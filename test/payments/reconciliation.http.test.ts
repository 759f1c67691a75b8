import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { z } from "@hono/zod-openapi";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_STRIPE_WEBHOOK_SECRET, loadConfig } from "../../src/config.js";
import type { SignedDelivery } from "../../src/payments/local-stripe/state.js";
import { createStripeProcessing } from "../../src/payments/processing.js";
import {
  ReconciliationDifferencesResponse,
  ReconciliationRunListResponse,
  ReconciliationRunResponse,
} from "../../src/payments/schemas.js";
import { BusinessDate } from "../../src/shared/business-date.js";
import { applyPendingMigrations } from "../../src/shared/db/migrations.js";
import { openConfiguredDatabase } from "../../src/shared/db/open-configured-database.js";
import { createJobClaims } from "../../src/shared/job-claims.js";
import { createLogger } from "../../src/shared/logger.js";
import { Money } from "../../src/shared/money.js";
import { ReplayResponse } from "../../src/webhooks/schemas.js";
import { hire, invoiceDetail, invoicesOf, runBilling } from "../support/billing.js";
import { databaseBeforeMigration } from "../support/earlier-migrations.js";
import { applyStripeEvents, ledgerBalances, paymentsOf, startPayment } from "../support/payments.js";
import {
  bearer,
  buildTestApp,
  expectError,
  postStripeEvent,
  registerEstablishment,
  requestJson,
  signInStaff,
  TEST_NOW,
  type TestContext,
} from "../support/test-app.js";

let context: TestContext;
let admin: string;
let accountant: string;
type Employer = Awaited<ReturnType<typeof registerEstablishment>>;
const pool: Employer[] = [];
const stand = () => context.stripe.local.state;

async function deliver(deliveries: readonly SignedDelivery[]) {
  for (const delivery of deliveries) {
    expect((await postStripeEvent(context.app, delivery.payload, delivery.signature)).status).toBe(200);
  }
}

/** Pays `amount` of the employer's invoice by PaymentIntent; returns the intent and its events (not delivered). */
async function pay(employer: Employer, amount: string) {
  const [invoice] = (await invoicesOf(context, employer)).invoices;
  const attempt = await startPayment(context, employer, invoice?.id as string, { method: "PAYMENT_INTENT", amount });
  const mark = stand().emitted.length;
  const intent = stand().confirmPaymentIntent(attempt.stripeObjectId as string, "succeeded");
  return { invoiceId: invoice?.id as string, intent, events: stand().emitted.slice(mark) };
}

const reconcile = (body: unknown, token = accountant) =>
  requestJson(context.app, "POST", "/v1/reconciliation-runs", body, bearer(token));

/** Every difference of a run, read through the endpoint two to a page (`query`: more parameters). */
async function differencesOf(runId: string, query = "") {
  const differences: z.infer<typeof ReconciliationDifferencesResponse>["differences"] = [];
  let cursor: number | null = null;
  do {
    const after: string = cursor === null ? "" : `&cursor=${cursor}`;
    const response = await requestJson(
      context.app,
      "GET",
      `/v1/reconciliation-runs/${runId}/differences?limit=2${after}${query}`,
      undefined,
      bearer(accountant),
    );
    expect(response.status).toBe(200);
    const page = ReconciliationDifferencesResponse.parse(response.body);
    differences.push(...page.differences);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return differences;
}

/** Runs a reconciliation through the endpoint; the run with its differences read page by page. */
async function reconciled(body: unknown) {
  const response = await reconcile(body);
  expect(response.status).toBe(201);
  const run = ReconciliationRunResponse.parse(response.body);
  return { ...run, differences: await differencesOf(run.id) };
}

beforeAll(async () => {
  context = await buildTestApp({ stripeEvents: "kept" });
  admin = (await signInStaff(context, "AGENCY_ADMIN")).token;
  accountant = (await signInStaff(context, "ACCOUNTANT")).token;
  for (let index = 0; index < 5; index++) {
    const employer = await registerEstablishment(context);
    await hire(context, employer, { startDate: "2026-09-01", basic: "8000.00" });
    pool.push(employer);
  }
  await runBilling(context, admin, "2026-10");
});
afterAll(() => context.close());

describe("reconciliation with Stripe", () => {
  it("lists a payment the ledger missed, a payment Stripe does not know, and a refund the ledger missed", async () => {
    const [recorded, missed, extra] = pool as [Employer, Employer, Employer];
    const good = await pay(recorded, "400.00");
    await deliver(good.events);
    const lost = await pay(missed, "250.00"); // its webhooks never arrive
    const ghost = await pay(extra, "125.00");
    await deliver(ghost.events);
    await applyStripeEvents(context, admin);
    stand().forget(ghost.intent.id); // the ledger has it, Stripe does not
    const refund = await context.stripe.connection.client.refunds.create({
      payment_intent: good.intent.id,
      amount: 1_000,
    });

    const run = await reconciled({ from: "2026-11-25", to: "2026-11-25" });
    expect(run.differences).toEqual([
      {
        kind: "PAYMENT_MISSING_IN_LEDGER",
        stripeId: lost.intent.latest_charge as string,
        stripeAmount: "250.00",
        ledgerAmount: null,
      },
      {
        kind: "PAYMENT_NOT_AT_STRIPE",
        stripeId: ghost.intent.latest_charge as string,
        stripeAmount: null,
        ledgerAmount: "125.00",
      },
      { kind: "REFUND_MISSING_IN_LEDGER", stripeId: refund.id, stripeAmount: "10.00", ledgerAmount: null },
    ]);
    expect(run.differenceCount).toBe(3);
    expect(run.differenceCounts).toEqual({
      PAYMENT_MISSING_IN_LEDGER: 1,
      PAYMENT_NOT_AT_STRIPE: 1,
      REFUND_MISSING_IN_LEDGER: 1,
    });
    expect(await differencesOf(run.id, "&kind=PAYMENT_NOT_AT_STRIPE")).toEqual([run.differences[1]]);

    // Once the missed events arrive, only the deliberately extra payment remains.
    await deliver(lost.events);
    await deliver(stand().emitted.filter((delivery) => delivery.event.type === "charge.refunded"));
    await applyStripeEvents(context, admin);
    const again = await reconciled({ from: "2026-11-25", to: "2026-11-25" });
    expect(again.differences.map((difference) => difference.kind)).toEqual(["PAYMENT_NOT_AT_STRIPE"]);

    const listed = ReconciliationRunListResponse.parse(
      (await requestJson(context.app, "GET", "/v1/reconciliation-runs", undefined, bearer(accountant))).body,
    );
    expect(listed.runs.map((item) => item.id)).toEqual(expect.arrayContaining([run.id, again.id]));
    expect(listed.runs.find((item) => item.id === run.id)?.differenceCounts).toEqual(run.differenceCounts);
    const one = await requestJson(context.app, "GET", `/v1/reconciliation-runs/${run.id}`, undefined, bearer(admin));
    expect(ReconciliationRunResponse.parse(one.body)).toEqual({
      id: run.id,
      periodFrom: run.periodFrom,
      periodTo: run.periodTo,
      differenceCount: 3,
      differenceCounts: run.differenceCounts,
      ranAt: run.ranAt,
      ranBy: run.ranBy,
    });
    const clean = await reconciled({ from: "2026-11-20", to: "2026-11-24" });
    expect([clean.differences, clean.differenceCount, clean.differenceCounts]).toEqual([[], 0, {}]);
  });

  it("lists a refund failure the ledger missed, until its event arrives", async () => {
    const employer = pool[4] as Employer;
    const payment = await pay(employer, "300.00");
    await deliver(payment.events);
    const mark = stand().emitted.length;
    const refund = await context.stripe.connection.client.refunds.create({ payment_intent: payment.intent.id });
    await deliver(
      stand()
        .emitted.slice(mark)
        .filter((delivery) => delivery.event.type === "charge.refunded"),
    );
    await applyStripeEvents(context, admin);
    const failedMark = stand().emitted.length;
    stand().failRefund(refund.id);
    const ofThisRefund = (run: { differences: { stripeId: string }[] }) =>
      run.differences.filter((difference) => difference.stripeId === refund.id);

    const missing = await reconciled({ from: "2026-11-25", to: "2026-11-25" });
    expect(ofThisRefund(missing)).toEqual([
      { kind: "REFUND_FAILURE_MISSING_IN_LEDGER", stripeId: refund.id, stripeAmount: "300.00", ledgerAmount: null },
    ]);
    await deliver(stand().emitted.slice(failedMark));
    await applyStripeEvents(context, admin);
    const matched = await reconciled({ from: "2026-11-25", to: "2026-11-25" });
    expect(ofThisRefund(matched)).toEqual([]);
    // The failure recorded but not at Stripe (as if Stripe's record were lost): the other way round.
    stand().forget(refund.id);
    const ledgerOnly = await reconciled({ from: "2026-11-25", to: "2026-11-25" });
    expect(ofThisRefund(ledgerOnly)).toEqual([
      { kind: "REFUND_FAILURE_NOT_AT_STRIPE", stripeId: refund.id, stripeAmount: null, ledgerAmount: "300.00" },
      { kind: "REFUND_NOT_AT_STRIPE", stripeId: refund.id, stripeAmount: null, ledgerAmount: "300.00" },
    ]);
  });

  it("finds a differing amount and fee and a dispute the ledger missed among more transactions than one statement stages, and keeps nothing staged", async () => {
    const employer = pool[4] as Employer;
    const payment = await pay(employer, "150.00");
    await deliver(payment.events);
    await applyStripeEvents(context, admin);
    // As if Stripe's books said otherwise: the charge's balance transaction altered in place.
    const charge = stand().get(payment.intent.latest_charge as string, "charge");
    const transaction = stand().get(charge.balance_transaction as string, "balance_transaction");
    Object.assign(transaction, { amount: 15_100, fee: (transaction.fee as number) + 1 });
    const dispute = stand().openDispute(charge.id as string, 5_000); // its events never arrive
    for (let index = 0; index < 1_050; index++) stand().createPayout(100); // listed, never compared

    const run = await reconciled({ from: "2026-11-25", to: "2026-11-25" });
    const withdrawal = (dispute.balance_transactions as { id: string }[])[0]?.id;
    const ofThisPayment = run.differences.filter((difference) => [charge.id, withdrawal].includes(difference.stripeId));
    expect(ofThisPayment).toEqual([
      {
        kind: "DISPUTE_TRANSACTION_MISSING_IN_LEDGER",
        stripeId: withdrawal,
        stripeAmount: "-50.00",
        ledgerAmount: null,
      },
      { kind: "PAYMENT_AMOUNT_DIFFERS", stripeId: charge.id, stripeAmount: "151.00", ledgerAmount: "150.00" },
      {
        kind: "PAYMENT_FEE_DIFFERS",
        stripeId: charge.id,
        stripeAmount: Money.fromHalalas(BigInt(transaction.fee as number)).toString(),
        ledgerAmount: Money.fromHalalas(BigInt((transaction.fee as number) - 1)).toString(),
      },
    ]);
    expect(await context.database.prisma.reconciliationStripeTransaction.count()).toBe(0);

    // Stripe refusing the list midway (its eleventh page, after a thousand transactions were staged): no run
    // stored, nothing left staged, the error said.
    const runsBefore = await context.database.prisma.reconciliationRun.count();
    context.stripe.local.refuseNextRequests(1_000, { after: 10 });
    try {
      const refused = await reconcile({ from: "2026-11-25", to: "2026-11-25" });
      expect(refused.status).toBeGreaterThanOrEqual(500);
    } finally {
      context.stripe.local.refuseNextRequests(0);
    }
    expect(await context.database.prisma.reconciliationStripeTransaction.count()).toBe(0);
    expect(await context.database.prisma.reconciliationRun.count()).toBe(runsBefore);

    // What a crash left staged more than a day ago goes with the next run; a comparison in progress stays.
    const staged = (runId: string, stagedAt: string) => ({
      runId,
      id: `txn_${runId}`,
      type: "charge",
      source: `ch_${runId}`,
      amount: "1.00",
      fee: "0.00",
      reportingCategory: "charge",
      stagedAt: new Date(stagedAt),
    });
    await context.database.prisma.reconciliationStripeTransaction.createMany({
      data: [staged("rec_crashed", "2026-11-24T08:59:00Z"), staged("rec_running", "2026-11-25T08:00:00Z")],
    });
    expect((await reconcile({ from: "2026-11-20", to: "2026-11-20" })).status).toBe(201);
    expect((await context.database.prisma.reconciliationStripeTransaction.findMany()).map((row) => row.runId)).toEqual([
      "rec_running",
    ]);
    await context.database.prisma.reconciliationStripeTransaction.deleteMany();
  });

  it("refuses a reversed or too long range, employers, and unknown runs", async () => {
    expectError(await reconcile({ from: "2026-11-25", to: "2026-11-01" }), 400, "DATE_RANGE_REVERSED");
    expectError(await reconcile({ from: "2026-01-01", to: "2026-11-01" }), 400, "DATE_RANGE_TOO_LONG");
    expectError(await reconcile({ from: "2026-13-01", to: "2026-11-01" }), 400, "VALIDATION_FAILED");
    expectError(
      await reconcile({ from: "2026-11-01", to: "2026-11-02" }, pool[0]?.token),
      401,
      "AUTHENTICATION_REQUIRED",
    );
    const get = (path: string) => requestJson(context.app, "GET", path, undefined, bearer(accountant));
    expectError(await get("/v1/reconciliation-runs/rec_unknown"), 404, "RECONCILIATION_RUN_NOT_FOUND");
    expectError(await get("/v1/reconciliation-runs/rec_unknown/differences"), 404, "RECONCILIATION_RUN_NOT_FOUND");
    const [run] = ReconciliationRunListResponse.parse((await get("/v1/reconciliation-runs")).body).runs;
    for (const query of ["kind=PAYMENT_LOST", "limit=0", "limit=1001", "cursor=-1", "cursor=first"]) {
      expectError(await get(`/v1/reconciliation-runs/${run?.id}/differences?${query}`), 400, "VALIDATION_FAILED");
    }
  });
});

describe("the daily reconciliation job", () => {
  const processing = () =>
    createStripeProcessing({
      db: context.database.prisma,
      clock: context.clock,
      logger: createLogger({ level: "silent" }),
      stripe: context.stripe.connection,
      workers: 1,
    });
  const claimsOf = (owner: string) => createJobClaims({ db: context.database.prisma, clock: context.clock, owner });
  const dayOf = (run: { periodFrom: Date }) => BusinessDate.fromInstant(run.periodFrom).toString();

  it("compares each day of the last week not compared yet, in one process only, and then each new day", async () => {
    const [web, worker] = [processing(), processing()];
    const [first, second] = await Promise.all([
      web.reconciliation.runDaysDue(claimsOf("web#1")),
      worker.reconciliation.runDaysDue(claimsOf("worker#1")),
    ]);
    const runs = [...first, ...second];
    expect(runs.map(dayOf).sort()).toEqual([
      "2026-11-18",
      "2026-11-19",
      "2026-11-20",
      "2026-11-21",
      "2026-11-22",
      "2026-11-23",
      "2026-11-24",
    ]);
    expect(runs.map((run) => [run.ranBy, run.differenceCount])).toEqual(runs.map(() => ["job:reconciliation", 0]));
    expect(await web.reconciliation.runDaysDue(claimsOf("web#2"))).toEqual([]);

    // A day later only the day just ended is compared, and it finds what a comparison by hand finds.
    context.clock.set("2026-11-26T01:00:00Z");
    const next = await worker.reconciliation
      .runDaysDue(claimsOf("worker#1"))
      .finally(() => context.clock.set(TEST_NOW));
    expect(next.map(dayOf)).toEqual(["2026-11-25"]);
    const byHand = await reconciled({ from: "2026-11-25", to: "2026-11-25" });
    expect(await Promise.all(next.map((run) => differencesOf(run.id)))).toEqual([byHand.differences]);
    expect(next.map((run) => run.differenceCounts)).toEqual([byHand.differenceCounts]);
    expect(await context.database.prisma.reconciliationRun.count({ where: { ranBy: "job:reconciliation" } })).toBe(8);
  });
});

describe("the reconciliation_differences_as_rows migration", { timeout: 120_000 }, () => {
  it("keeps each stored run's differences as rows, in their stored order, amounts exact", async () => {
    const earlier = await databaseBeforeMigration("reconciliation_differences_as_rows");
    try {
      const stored = [
        { kind: "PAYMENT_MISSING_IN_LEDGER", stripeId: "ch_b", stripeAmount: "250.00", ledgerAmount: null },
        { kind: "PAYMENT_NOT_AT_STRIPE", stripeId: "ch_a", stripeAmount: null, ledgerAmount: "125.50" },
        { kind: "REFUND_AMOUNT_DIFFERS", stripeId: "re_c", stripeAmount: "10.01", ledgerAmount: "10.00" },
      ];
      await earlier.database.prisma.$executeRawUnsafe(
        `INSERT INTO reconciliation_runs (id, period_from, period_to, differences, difference_count, ran_at, ran_by)
         VALUES ('rec_old_1', '2026-12-04T21:00:00Z', '2026-12-05T21:00:00Z', $1::jsonb, 3, '2026-12-06T01:00:00Z', 'job:reconciliation'),
                ('rec_old_2', '2026-12-05T21:00:00Z', '2026-12-06T21:00:00Z', '[]', 0, '2026-12-07T01:00:00Z', 'job:reconciliation')`,
        JSON.stringify(stored),
      );
      expect(await applyPendingMigrations(earlier.database)).toEqual(earlier.fromThisOn);
      const rows = await earlier.database.prisma.reconciliationDifference.findMany({
        orderBy: [{ runId: "asc" }, { position: "asc" }],
      });
      expect(
        rows.map((row) => ({
          runId: row.runId,
          position: row.position,
          kind: row.kind,
          stripeId: row.stripeId,
          stripeAmount: row.stripeAmount?.toFixed(2) ?? null,
          ledgerAmount: row.ledgerAmount?.toFixed(2) ?? null,
        })),
      ).toEqual(stored.map((difference, index) => ({ runId: "rec_old_1", position: index + 1, ...difference })));
      expect(
        (await earlier.database.prisma.reconciliationRun.findMany({ orderBy: { id: "asc" } })).map((run) => [
          run.id,
          run.differenceCount,
        ]),
      ).toEqual([
        ["rec_old_1", 3],
        ["rec_old_2", 0],
      ]);
    } finally {
      await earlier.drop();
    }
  });
});

describe("replaying stored events", () => {
  it("records what an event marked processed by a faulty version missed, and changes nothing the second time", async () => {
    const employer = pool[3] as Employer;
    const payment = await pay(employer, "600.00");
    const succeeded = payment.events.find((delivery) => delivery.event.type === "payment_intent.succeeded");
    if (!succeeded) throw new Error("no payment_intent.succeeded");
    // As if a bug had stored the event and marked it done without recording anything.
    await context.database.prisma.stripeEvent.create({
      data: {
        id: succeeded.event.id,
        type: "payment_intent.succeeded",
        livemode: false,
        stripeCreatedAt: new Date((succeeded.event.created as number) * 1000),
        payload: succeeded.payload,
        receivedAt: context.clock.now(),
        nextAttemptAt: context.clock.now(),
        status: "PROCESSED",
        outcome: "dropped by a bug",
      },
    });
    await applyStripeEvents(context, admin);
    expect((await paymentsOf(context, employer)).payments).toHaveLength(0);

    const replay = async () => {
      const response = await requestJson(
        context.app,
        "POST",
        "/v1/stripe-events/replay",
        { type: "payment_intent.succeeded" },
        bearer(admin),
      );
      expect(response.status).toBe(200);
      return ReplayResponse.parse(response.body);
    };
    expect(await replay()).toMatchObject({ failed: 0 });
    expect((await paymentsOf(context, employer)).payments).toEqual([expect.objectContaining({ amount: "600.00" })]);
    expect((await invoiceDetail(context, employer, payment.invoiceId)).totals.settled).toBe("600.00");
    const after = await ledgerBalances(context, accountant);
    expect(await replay()).toMatchObject({ failed: 0, rejected: 0 });
    expect((await ledgerBalances(context, accountant)).accounts).toEqual(after.accounts);
    expectError(
      await requestJson(context.app, "POST", "/v1/stripe-events/replay", {}, bearer(accountant)),
      403,
      "ROLE_NOT_PERMITTED",
    );
  });

  it("npm run webhooks:replay applies the stored events of the configured database", async () => {
    const directory = await mkdtemp(path.join(tmpdir(), "ishtirak-replay-"));
    try {
      const config = loadConfig({ DATA_DIR: directory });
      const database = await openConfiguredDatabase(config);
      await applyPendingMigrations(database);
      const payload = await readFile(new URL("../../webhooks/customer.created.json", import.meta.url), "utf8");
      const event = Stripe.webhooks.constructEvent(
        payload,
        Stripe.webhooks.generateTestHeaderString({ payload, secret: LOCAL_STRIPE_WEBHOOK_SECRET }),
        LOCAL_STRIPE_WEBHOOK_SECRET,
      );
      await database.prisma.stripeEvent.create({
        data: {
          id: event.id,
          type: event.type,
          livemode: false,
          stripeCreatedAt: new Date(event.created * 1000),
          payload,
          receivedAt: new Date(),
          nextAttemptAt: new Date(),
        },
      });
      await database.close();
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ["--import", "tsx", "src/webhooks/replay-cli.ts"],
        {
          cwd: path.resolve(import.meta.dirname, "../.."),
          env: { PATH: process.env.PATH ?? "", DATA_DIR: directory, LOG_LEVEL: "silent" },
        },
      );
      expect(JSON.parse(stdout.trim().split("\n").at(-1) as string)).toEqual({
        replayed: 1,
        processed: 0,
        ignored: 1,
        rejected: 0,
        failed: 0,
      });
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  }, 60_000);
});
