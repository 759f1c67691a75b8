import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_STRIPE_WEBHOOK_SECRET, loadConfig } from "../../src/config.js";
import { createStripeProcessing } from "../../src/payments/processing.js";
import { createLogger } from "../../src/shared/logger.js";
import { applyStripeEvents, stripeFixture } from "../support/payments.js";
import { buildTestApp, postStripeEvent, signInStaff, type TestContext } from "../support/test-app.js";

let context: TestContext;
let admin: string;

beforeAll(async () => {
  context = await buildTestApp({ stripeEvents: "kept" });
  admin = (await signInStaff(context, "AGENCY_ADMIN")).token;
});
afterAll(() => context.close());

/** Delivers a signed event (a fixture's type) Stripe created at `created` (an ISO instant). */
async function deliver(eventId: string, created: string, type = "customer.created") {
  const event = JSON.parse(stripeFixture(type, { eventId })) as { created: number };
  event.created = Math.floor(Date.parse(created) / 1000);
  const payload = JSON.stringify(event);
  const signature = Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: LOCAL_STRIPE_WEBHOOK_SECRET,
    timestamp: Math.floor(context.clock.now().getTime() / 1000),
  });
  expect((await postStripeEvent(context.app, payload, signature)).status).toBe(200);
}

const storedIds = async () =>
  (
    await context.database.prisma.stripeEvent.findMany({ select: { id: true, status: true }, orderBy: { id: "asc" } })
  ).map((event) => `${event.id}:${event.status}`);

describe("the daily purge of Stripe events (STRIPE_EVENT_RETENTION_DAYS)", () => {
  it("deletes settled events Stripe created before the retention, never a pending one", async () => {
    // The clock stands on 25 November 2026; with 90 days, events created before 27 August go.
    for (const eventId of ["evt_old_1", "evt_old_2", "evt_old_3"]) await deliver(eventId, "2026-07-01T10:00:00Z");
    await deliver("evt_recent", "2026-11-20T10:00:00Z");
    // A payment Stripe (here, the stand-in) does not know: it cannot be applied and waits.
    await deliver("evt_old_pending", "2026-07-01T10:00:00Z", "payment_intent.succeeded");
    await applyStripeEvents(context, admin);
    expect(await storedIds()).toEqual([
      "evt_old_1:IGNORED",
      "evt_old_2:IGNORED",
      "evt_old_3:IGNORED",
      "evt_old_pending:PENDING",
      "evt_recent:IGNORED",
    ]);

    const { webhooks } = createStripeProcessing({
      db: context.database.prisma,
      clock: context.clock,
      logger: createLogger({ level: "silent" }),
      stripe: context.stripe.connection,
      workers: 1,
    });
    expect(await webhooks.purgeSettled(90, 2)).toBe(3);
    expect(await storedIds()).toEqual(["evt_old_pending:PENDING", "evt_recent:IGNORED"]);
    expect(await webhooks.purgeSettled(90, 2)).toBe(0);
  });

  it("is off unless set, and keeps events at least 30 days", () => {
    expect(loadConfig({}).payments.eventRetentionDays).toBeUndefined();
    expect(loadConfig({ STRIPE_EVENT_RETENTION_DAYS: "400" }).payments.eventRetentionDays).toBe(400);
    expect(() => loadConfig({ STRIPE_EVENT_RETENTION_DAYS: "7" })).toThrow(/STRIPE_EVENT_RETENTION_DAYS/);
  });
});
