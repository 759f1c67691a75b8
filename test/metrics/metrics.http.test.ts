import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_STRIPE_WEBHOOK_SECRET } from "../../src/config.js";
import { jobRunner } from "../../src/jobs/schedule.js";
import { createMetrics } from "../../src/metrics/registry.js";
import { createLogger } from "../../src/shared/logger.js";
import { applyStripeEvents, stripeFixture } from "../support/payments.js";
import {
  bearer,
  buildTestApp,
  expectError,
  postStripeEvent,
  requestJson,
  signInStaff,
  TEST_NOW,
  type TestContext,
} from "../support/test-app.js";

const METRICS_TOKEN = "metrics-token-for-the-tests-0123456789";

let context: TestContext;
let admin: string;

beforeAll(async () => {
  // Events are stored on receipt and applied only when asked, so the backlog can be seen.
  context = await buildTestApp({
    stripeEvents: "kept",
    environment: { METRICS_TOKEN, WEBHOOK_APPLY_ON_RECEIPT: "false" },
  });
  admin = (await signInStaff(context, "AGENCY_ADMIN")).token;
});
afterAll(() => context.close());

async function scrape(token = METRICS_TOKEN) {
  const response = await context.app.request("/metrics", { headers: bearer(token) });
  return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
}

/** The value of one sample (name with its labels, exactly as exposed), or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("GET /metrics", () => {
  it("needs the configured token, and does not exist without one", async () => {
    const anonymous = await context.app.request("/metrics");
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe("AUTHENTICATION_REQUIRED");
    expect((await scrape("metrics-token-for-the-tests-0123456780")).status).toBe(401);
    expect((await scrape(`${METRICS_TOKEN}0`)).status).toBe(401);
    // A staff session is not the metrics token.
    expect((await scrape(admin)).status).toBe(401);

    const without = await buildTestApp();
    try {
      expectError(
        await requestJson(without.app, "GET", "/metrics", undefined, bearer(METRICS_TOKEN)),
        404,
        "ROUTE_NOT_FOUND",
      );
    } finally {
      await without.close();
    }
  });

  it("counts requests by the route pattern that answered, never by the concrete path", async () => {
    const before = (await scrape()).text;
    const healthy = '{method="GET",route="/healthz",status="200"}';
    const unknownRun = '{method="GET",route="/v1/reconciliation-runs/:runId",status="404"}';
    for (let index = 0; index < 3; index++) expect((await context.app.request("/healthz")).status).toBe(200);
    const runPath = "/v1/reconciliation-runs/rec_not_a_run";
    expectError(
      await requestJson(context.app, "GET", runPath, undefined, bearer(admin)),
      404,
      "RECONCILIATION_RUN_NOT_FOUND",
    );
    // Refused by the staff check before any handler: counted under the middleware's pattern.
    expect((await context.app.request(runPath)).status).toBe(401);

    const after = await scrape();
    expect(after.status).toBe(200);
    expect(after.type).toContain("text/plain");
    const count = (text: string, labels: string) =>
      sample(text, `ishtirak_http_request_duration_seconds_count${labels}`) ?? 0;
    expect(count(after.text, healthy) - count(before, healthy)).toBe(3);
    expect(count(after.text, unknownRun) - count(before, unknownRun)).toBe(1);
    expect(
      count(after.text, '{method="GET",route="/v1/reconciliation-runs/*",status="401"}') -
        count(before, '{method="GET",route="/v1/reconciliation-runs/*",status="401"}'),
    ).toBe(1);
    expect(after.text).not.toContain("rec_not_a_run");
    expect(
      sample(
        after.text,
        `ishtirak_http_request_duration_seconds_bucket{le="30",method="GET",route="/healthz",status="200"}`,
      ),
    ).toBe(count(after.text, healthy));
  });

  it("shows the Stripe events waiting to be applied and how long the oldest has waited, until they are applied", async () => {
    const empty = (await scrape()).text;
    expect(sample(empty, "ishtirak_stripe_events_pending")).toBe(0);
    expect(sample(empty, "ishtirak_stripe_events_oldest_pending_age_seconds")).toBe(0);

    for (const eventId of ["evt_metrics_1", "evt_metrics_2"]) {
      const payload = stripeFixture("customer.created", { eventId });
      const signature = Stripe.webhooks.generateTestHeaderString({
        payload,
        secret: LOCAL_STRIPE_WEBHOOK_SECRET,
        timestamp: Math.floor(context.clock.now().getTime() / 1000),
      });
      expect((await postStripeEvent(context.app, payload, signature)).status).toBe(200);
    }
    context.clock.set(new Date(new Date(TEST_NOW).getTime() + 95_000).toISOString());
    try {
      const waiting = (await scrape()).text;
      expect(sample(waiting, "ishtirak_stripe_events_pending")).toBe(2);
      expect(sample(waiting, "ishtirak_stripe_events_retrying")).toBe(0);
      expect(sample(waiting, "ishtirak_stripe_events_oldest_pending_age_seconds")).toBe(95);
      await applyStripeEvents(context, admin);
      const applied = (await scrape()).text;
      expect(sample(applied, "ishtirak_stripe_events_pending")).toBe(0);
      expect(sample(applied, "ishtirak_stripe_events_oldest_pending_age_seconds")).toBe(0);
    } finally {
      context.clock.set(TEST_NOW);
    }
  });

  it("shows when the latest reconciliation ran and how many differences it found", async () => {
    expect(sample((await scrape()).text, "ishtirak_reconciliation_last_run_timestamp_seconds")).toBe(0);
    const stand = context.stripe.local.state;
    // A charge on the agency's account that is no Ishtirak payment: one difference.
    const stray = stand.createPaymentIntent({ amount: 1_000, currency: "sar", metadata: {} });
    stand.confirmPaymentIntent(stray.id as string, "succeeded");
    const run = await requestJson(
      context.app,
      "POST",
      "/v1/reconciliation-runs",
      { from: "2026-11-25", to: "2026-11-25" },
      bearer(admin),
    );
    expect(run.status).toBe(201);
    const text = (await scrape()).text;
    expect(sample(text, "ishtirak_reconciliation_last_run_timestamp_seconds")).toBe(
      new Date(TEST_NOW).getTime() / 1000,
    );
    expect(sample(text, "ishtirak_reconciliation_last_run_differences")).toBe(1);
  });

  it("shows the SMS waiting to be sent, how long the oldest has waited, those given up on, and unfinished billing runs", async () => {
    const prisma = context.database.prisma;
    const minutesAgo = (minutes: number) => new Date(new Date(TEST_NOW).getTime() - minutes * 60_000);
    const message = (id: string, status: "QUEUED" | "SENT" | "FAILED", createdMinutesAgo: number) => ({
      id,
      channel: "SMS" as const,
      recipient: "+966500000000",
      body: "a notice",
      purpose: "EMPLOYMENT_REGISTERED",
      status,
      createdAt: minutesAgo(createdMinutesAgo),
      nextAttemptAt: minutesAgo(0),
    });
    await prisma.outboundMessage.createMany({
      data: [
        message("msg_metrics_1", "QUEUED", 2),
        message("msg_metrics_2", "QUEUED", 1),
        message("msg_metrics_3", "SENT", 30),
        message("msg_metrics_4", "FAILED", 60),
      ],
    });
    await prisma.billingRun.create({
      data: {
        id: "run_metrics_staging",
        month: new Date("2020-01-01"),
        status: "STAGING",
        requestedBy: "test",
        createdAt: minutesAgo(5),
        updatedAt: minutesAgo(5),
      },
    });
    try {
      const text = (await scrape()).text;
      expect(sample(text, "ishtirak_outbound_messages_queued")).toBe(2);
      expect(sample(text, "ishtirak_outbound_messages_oldest_queued_age_seconds")).toBe(120);
      expect(sample(text, "ishtirak_outbound_messages_failed")).toBe(1);
      expect(sample(text, "ishtirak_billing_runs_unfinished")).toBe(1);
    } finally {
      await prisma.outboundMessage.deleteMany({ where: { id: { startsWith: "msg_metrics_" } } });
      await prisma.billingRun.delete({ where: { id: "run_metrics_staging" } });
    }
    const after = (await scrape()).text;
    expect(sample(after, "ishtirak_outbound_messages_queued")).toBe(0);
    expect(sample(after, "ishtirak_billing_runs_unfinished")).toBe(0);
  });
});

describe("scheduled jobs in the metrics", () => {
  it("counts each run by outcome and keeps when the job last succeeded; a failure does not stop the next run", async () => {
    const metrics = createMetrics({ db: context.database.prisma, clock: context.clock });
    const run = jobRunner({ logger: createLogger({ level: "silent" }), metrics });
    await run("purge-things", async () => ({ purged: 3 }));
    context.clock.set("2026-11-25T10:00:00Z");
    try {
      await run("purge-things", async () => {
        throw new Error("the database went away");
      });
      await run("purge-things", async () => ({ purged: 0 }));
      await run("send-notices", async () => {
        throw new Error("the gateway refused");
      });
    } finally {
      context.clock.set(TEST_NOW);
    }
    const text = await metrics.render();
    expect(sample(text, 'ishtirak_job_runs_total{job="purge-things",outcome="succeeded"}')).toBe(2);
    expect(sample(text, 'ishtirak_job_runs_total{job="purge-things",outcome="failed"}')).toBe(1);
    expect(sample(text, 'ishtirak_job_runs_total{job="send-notices",outcome="failed"}')).toBe(1);
    expect(sample(text, 'ishtirak_job_last_success_timestamp_seconds{job="purge-things"}')).toBe(
      new Date("2026-11-25T10:00:00Z").getTime() / 1000,
    );
    expect(sample(text, 'ishtirak_job_last_success_timestamp_seconds{job="send-notices"}')).toBeUndefined();
    expect(sample(text, 'ishtirak_job_duration_seconds_count{job="purge-things"}')).toBe(3);
  });
});
