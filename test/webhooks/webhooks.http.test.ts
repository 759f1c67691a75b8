import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { LOCAL_STRIPE_WEBHOOK_SECRET } from "../../src/config.js";
import { Money } from "../../src/shared/money.js";
import { StripeEventListResponse, WebhookReceiptResponse } from "../../src/webhooks/schemas.js";
import { rateLimitedRetrySeconds, retryDelaySeconds } from "../../src/webhooks/service.js";
import { hire, invoiceDetail, invoicesOf, runBilling } from "../support/billing.js";
import { applyStripeEvents, ledgerBalances, paymentsOf, startPayment, stripeFixture } from "../support/payments.js";
import {
  bearer,
  buildTestApp,
  expectError,
  postStripeEvent,
  registerEstablishment,
  requestJson,
  signInStaff,
  type TestContext,
} from "../support/test-app.js";

// Events are kept by the stand-in and delivered by each test, in the order it wants.
let context: TestContext;
let admin: string;
let accountant: string;
type Employer = Awaited<ReturnType<typeof registerEstablishment>>;
const pool: Employer[] = [];
const stand = () => context.stripe.local.state;
const nowSeconds = () => Math.floor(context.clock.now().getTime() / 1000);

function sign(payload: string, options: { secret?: string; timestamp?: number } = {}): string {
  return Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? LOCAL_STRIPE_WEBHOOK_SECRET,
    timestamp: options.timestamp ?? nowSeconds(),
  });
}

const post = (payload: string, signature: string | undefined) => postStripeEvent(context.app, payload, signature);

async function storedEvents(query = "") {
  const response = await requestJson(
    context.app,
    "GET",
    `/v1/stripe-events?limit=200${query}`,
    undefined,
    bearer(admin),
  );
  return StripeEventListResponse.parse(response.body).events;
}

/** The events the stand-in emitted for one object, in emission order. */
const emittedSince = (mark: number) => stand().emitted.slice(mark);

/**
 * The employer's first invoice, paid in full at the stand-in: its payment_intent.succeeded, not
 * yet delivered, and the PaymentIntent and emission mark for what the test does next.
 */
async function paidByCard(employer: Employer) {
  const [invoice] = (await invoicesOf(context, employer)).invoices;
  if (!invoice) throw new Error("the employer has no invoice");
  const attempt = await startPayment(context, employer, invoice.id, { method: "PAYMENT_INTENT" });
  const mark = stand().emitted.length;
  stand().confirmPaymentIntent(attempt.stripeObjectId as string, "succeeded");
  const succeeded = emittedSince(mark).find((delivery) => delivery.event.type === "payment_intent.succeeded");
  if (!succeeded) throw new Error("no payment_intent.succeeded emitted");
  return { invoice, succeeded, paymentIntentId: attempt.stripeObjectId as string, mark };
}

beforeAll(async () => {
  // Delivered by each test and applied only when it asks, so one drain sees them all together.
  context = await buildTestApp({ stripeEvents: "kept", environment: { WEBHOOK_APPLY_ON_RECEIPT: "false" } });
  admin = (await signInStaff(context, "AGENCY_ADMIN")).token;
  accountant = (await signInStaff(context, "ACCOUNTANT")).token;
  for (let index = 0; index < 8; index++) {
    const employer = await registerEstablishment(context);
    await hire(context, employer, { startDate: "2026-09-01", basic: "7000.00" });
    pool.push(employer);
  }
  await runBilling(context, admin, "2026-10");
});
afterAll(() => context.close());

describe("verifying Stripe's signature", () => {
  it("refuses a wrong secret, a changed body, a missing header and an old signature, storing nothing", async () => {
    const payload = stripeFixture("customer.created");
    const before = (await storedEvents()).length;
    expectError(await post(payload, sign(payload, { secret: "whsec_someone_else" })), 400, "WEBHOOK_SIGNATURE_INVALID");
    expectError(await post(payload.replace("payroll@", "attacker@"), sign(payload)), 400, "WEBHOOK_SIGNATURE_INVALID");
    expectError(await post(payload, undefined), 400, "WEBHOOK_SIGNATURE_INVALID");
    expectError(
      await post(payload, sign(payload, { timestamp: nowSeconds() - 301 })),
      400,
      "WEBHOOK_SIGNATURE_INVALID",
    );
    // A genuine delivery captured and replayed ten minutes later is refused too.
    const captured = sign(payload);
    context.clock.set(new Date(context.clock.now().getTime() + 600_000).toISOString());
    try {
      expectError(await post(payload, captured), 400, "WEBHOOK_SIGNATURE_INVALID");
    } finally {
      context.clock.set(new Date(context.clock.now().getTime() - 600_000).toISOString());
    }
    expect(await storedEvents()).toHaveLength(before);
  });

  it("refuses a correctly signed body that is not a Stripe event", async () => {
    for (const payload of [
      "{not json",
      JSON.stringify({ id: "evt_1", type: "x" }),
      JSON.stringify({ hello: "world" }),
    ]) {
      expectError(await post(payload, sign(payload)), 400, "WEBHOOK_PAYLOAD_INVALID");
    }
  });
});

describe("storing and applying events", () => {
  it("stores an unknown event type and acknowledges it, applying nothing", async () => {
    const payload = stripeFixture("customer.created");
    const response = await post(payload, sign(payload));
    expect(response.status).toBe(200);
    expect(WebhookReceiptResponse.parse(response.body)).toMatchObject({ type: "customer.created", stored: "new" });
    await applyStripeEvents(context, admin);
    const [event] = await storedEvents("&type=customer.created");
    expect(event).toMatchObject({ status: "IGNORED", deliveries: 1 });
  });

  it("stores, acknowledges and applies an event rendered in another API version (the warning: api-version.test.ts)", async () => {
    const event = JSON.parse(stripeFixture("customer.created")) as { id: string; api_version: string };
    const payload = JSON.stringify({ ...event, id: "evt_old_api_version", api_version: "2019-02-19" });
    const response = await post(payload, sign(payload));
    expect(response.status).toBe(200);
    expect(WebhookReceiptResponse.parse(response.body)).toMatchObject({
      eventId: "evt_old_api_version",
      stored: "new",
    });
    await applyStripeEvents(context, admin);
    const stored = (await storedEvents("&type=customer.created")).find((row) => row.id === "evt_old_api_version");
    expect(stored).toMatchObject({ status: "IGNORED", deliveries: 1 });
  });

  it("stores an event delivered five times at once exactly once, and records its payment once", async () => {
    const employer = pool[0] as Employer;
    const { invoice, succeeded } = await paidByCard(employer);
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(succeeded.payload, succeeded.signature)));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.filter((answer) => WebhookReceiptResponse.parse(answer.body).stored === "new")).toHaveLength(1);
    await applyStripeEvents(context, admin);
    const [stored] = await storedEvents(`&type=payment_intent.succeeded`).then((events) =>
      events.filter((event) => event.id === succeeded.event.id),
    );
    expect(stored).toMatchObject({ status: "PROCESSED", deliveries: 5 });
    expect((await paymentsOf(context, employer)).payments).toHaveLength(1);
    expect((await invoiceDetail(context, employer, invoice.id)).status).toBe("PAID");
  });

  it("stores many deliveries arriving at once (stored together) each once, answering each for itself", async () => {
    const template = JSON.parse(stripeFixture("customer.created")) as { id: string; created: number };
    const payloads = Array.from({ length: 30 }, (_, index) =>
      JSON.stringify({ ...template, id: `evt_burst${String(index).padStart(3, "0")}`, created: nowSeconds() }),
    );
    // Every event once, a third of them three times, one of them also before the burst.
    const before = await post(payloads[0] as string, sign(payloads[0] as string));
    expect(WebhookReceiptResponse.parse(before.body).stored).toBe("new");
    const burst = [...payloads, ...payloads.slice(0, 10), ...payloads.slice(0, 10)].reverse();
    const answers = await Promise.all(burst.map((payload) => post(payload, sign(payload))));
    expect(answers.map((answer) => answer.status)).toEqual(burst.map(() => 200));
    const receipts = answers.map((answer) => WebhookReceiptResponse.parse(answer.body));
    for (const [index, payload] of payloads.entries()) {
      const id = (JSON.parse(payload) as { id: string }).id;
      const mine = receipts.filter((receipt) => receipt.eventId === id);
      expect(mine, id).toHaveLength(index < 10 ? 3 : 1);
      expect(
        mine.filter((receipt) => receipt.stored === "new"),
        id,
      ).toHaveLength(index === 0 ? 0 : 1);
    }
    const stored = (await storedEvents("&type=customer.created")).filter((event) => event.id.startsWith("evt_burst"));
    expect(stored).toHaveLength(30);
    for (const event of stored) {
      const index = Number(event.id.slice("evt_burst".length));
      expect(event.deliveries, event.id).toBe(index === 0 ? 4 : index < 10 ? 3 : 1);
    }
  });

  it("applies a refund that arrives before its payment by reading the payment from Stripe", async () => {
    const employer = pool[1] as Employer;
    const { invoice, paymentIntentId, mark } = await paidByCard(employer);
    await context.stripe.connection.client.refunds.create({ payment_intent: paymentIntentId, amount: 5_000 });
    const refunded = emittedSince(mark).find((delivery) => delivery.event.type === "charge.refunded");
    if (!refunded) throw new Error("no charge.refunded emitted");
    expect((await post(refunded.payload, refunded.signature)).status).toBe(200);
    await applyStripeEvents(context, admin);
    const receipts = await paymentsOf(context, employer);
    expect(receipts.payments).toEqual([expect.objectContaining({ refunded: "50.00" })]);
    expect((await invoiceDetail(context, employer, invoice.id)).totals.outstanding).toBe("50.00");
    // The payment's own events arriving afterwards change nothing.
    for (const delivery of emittedSince(mark)) await post(delivery.payload, delivery.signature);
    await applyStripeEvents(context, admin);
    expect((await paymentsOf(context, employer)).payments).toHaveLength(1);
    expect((await ledgerBalances(context, accountant, employer.establishment.id)).own.RECEIVABLE_CONTRIBUTIONS).toBe(
      "50.00",
    );
  });

  it("keeps an event about a payment Stripe does not know pending, with the error, and posts nothing", async () => {
    const payload = stripeFixture("payment_intent.succeeded");
    const before = await ledgerBalances(context, accountant);
    expect((await post(payload, sign(payload))).status).toBe(200);
    await applyStripeEvents(context, admin);
    const id = (JSON.parse(payload) as { id: string }).id;
    const [event] = (await storedEvents("&status=PENDING")).filter((item) => item.id === id);
    expect(event).toMatchObject({ attempts: 1 });
    expect(event?.lastError).toContain("Stripe does not know payment intent");
    // Not due again until its retry delay has passed.
    expect((await applyStripeEvents(context, admin)).failed).toBe(0);
    expect((await ledgerBalances(context, accountant)).accounts).toEqual(before.accounts);
  });

  it("tries an event whose Stripe read hit the rate limit again within seconds, however often it failed", async () => {
    const employer = pool[7] as Employer;
    const { invoice, succeeded } = await paidByCard(employer);
    const eventOf = async () => (await storedEvents()).find((event) => event.id === succeeded.event.id);
    const secondsUntilNextAttempt = async () =>
      (Date.parse((await eventOf())?.nextAttemptAt as string) - context.clock.now().getTime()) / 1000;

    context.stripe.local.refuseNextRequests(1_000);
    try {
      expect((await post(succeeded.payload, succeeded.signature)).status).toBe(200);
      for (let attempts = 1; attempts <= 6; attempts++) {
        // (The event of the test before, about a PaymentIntent Stripe does not know, may fail beside it.)
        expect((await applyStripeEvents(context, admin)).processed).toBe(0);
        expect(await eventOf()).toMatchObject({ status: "PENDING", attempts });
        expect((await eventOf())?.lastError).toMatch(/rate limit/i);
        // The back-off of an event that keeps failing would wait 2, 4, … 64 s; a refused read waits at most 10.
        expect(await secondsUntilNextAttempt()).toBe(Math.min(retryDelaySeconds(attempts), rateLimitedRetrySeconds));
        context.clock.set(new Date(context.clock.now().getTime() + rateLimitedRetrySeconds * 1000));
      }
      expect(retryDelaySeconds(6)).toBeGreaterThan(rateLimitedRetrySeconds);
    } finally {
      context.stripe.local.refuseNextRequests(0);
    }
    expect((await applyStripeEvents(context, admin)).processed).toBe(1);
    expect(await eventOf()).toMatchObject({ status: "PROCESSED", nextAttemptAt: null });
    expect((await paymentsOf(context, employer)).payments).toEqual([
      expect.objectContaining({ invoiceId: invoice.id, amount: invoice.totals.outstanding }),
    ]);
  });

  it("rejects a payment in another currency: stored, nothing posted", async () => {
    const employer = pool[2] as Employer;
    const before = await ledgerBalances(context, accountant);
    const mark = stand().emitted.length;
    const intent = stand().createPaymentIntent({
      amount: 10_000,
      currency: "usd",
      metadata: { establishment_id: employer.establishment.id },
    });
    stand().confirmPaymentIntent(intent.id, "succeeded");
    for (const delivery of emittedSince(mark)) await post(delivery.payload, delivery.signature);
    await applyStripeEvents(context, admin);
    const [event] = (await storedEvents("&type=payment_intent.succeeded")).filter(
      (item) => item.outcome?.includes(intent.id) ?? false,
    );
    expect(event).toMatchObject({ status: "REJECTED" });
    expect(event?.outcome).toContain("PAYMENT_CURRENCY_UNSUPPORTED");
    expect((await ledgerBalances(context, accountant)).accounts).toEqual(before.accounts);
    expect((await paymentsOf(context, employer)).payments).toHaveLength(0);
  });

  it("applies stored payments together as it would one by one: two of one establishment, one of an unknown establishment, a checkout and its intent", async () => {
    const [halves, checkout, other] = pool.slice(4, 7) as [Employer, Employer, Employer];
    const invoiceOf = async (employer: Employer) => (await invoicesOf(context, employer)).invoices[0] as { id: string };
    const owed = new Map<Employer, string>();
    for (const employer of [halves, checkout, other]) {
      owed.set(employer, (await invoiceDetail(context, employer, (await invoiceOf(employer)).id)).totals.outstanding);
    }
    const totalOf = async (employer: Employer) => owed.get(employer) as string;
    const halalas = (amount: string) => Number(amount.replace(".", ""));
    const before = await ledgerBalances(context, accountant);
    const mark = stand().emitted.length;

    // Two payments of one establishment, half of its invoice each: one goes in the batch, the other after it.
    const halvesTotal = halalas(await totalOf(halves));
    for (const amount of [Math.floor(halvesTotal / 2), halvesTotal - Math.floor(halvesTotal / 2)]) {
      const intent = stand().createPaymentIntent({
        amount,
        currency: "sar",
        metadata: { establishment_id: halves.establishment.id, invoice_id: (await invoiceOf(halves)).id },
      });
      stand().confirmPaymentIntent(intent.id, "succeeded");
    }
    // Checkout: checkout.session.completed and payment_intent.succeeded name one PaymentIntent.
    const attempt = await startPayment(context, checkout, (await invoiceOf(checkout)).id);
    stand().completeCheckout(attempt.stripeObjectId as string, "succeeded");
    // Another establishment's overpayment: its invoice is settled, the rest is credit.
    const overpaid = stand().createPaymentIntent({
      amount: halalas(await totalOf(other)) + 12_345,
      currency: "sar",
      metadata: { establishment_id: other.establishment.id },
    });
    stand().confirmPaymentIntent(overpaid.id, "succeeded");
    // A payment naming no establishment Ishtirak has: stored, ignored, nothing posted.
    const stranger = stand().createPaymentIntent({
      amount: 10_000,
      currency: "sar",
      metadata: { establishment_id: "est_nobody" },
    });
    stand().confirmPaymentIntent(stranger.id, "succeeded");

    const deliveries = emittedSince(mark);
    for (const delivery of deliveries) expect((await post(delivery.payload, delivery.signature)).status).toBe(200);
    const drained = await applyStripeEvents(context, admin);
    // A lease holds them all: everything but the establishment's second payment and the
    // checkout's second event for the same payment goes in a batch transaction. The drain's two
    // loops lease side by side, so on PostgreSQL the other loop may take one of those two first
    // and batch it in its own lease: between two and none of them are applied one by one.
    expect(deliveries.length).toBeLessThanOrEqual(16);
    expect(drained).toMatchObject({ processed: deliveries.length, failed: 0 });
    expect(drained.batched).toBeGreaterThanOrEqual(deliveries.length - 2);
    expect(drained.batched).toBeLessThanOrEqual(deliveries.length);

    const stored = (await storedEvents()).filter((event) => deliveries.some((item) => item.event.id === event.id));
    expect(stored).toHaveLength(deliveries.length);
    expect(stored.filter((event) => event.status === "PENDING")).toEqual([]);
    const succeededEventOf = (intentId: string) => {
      const delivery = deliveries.find(
        (item) =>
          item.event.type === "payment_intent.succeeded" &&
          (item.event as unknown as { data: { object: { id: string } } }).data.object.id === intentId,
      );
      return stored.find((event) => event.id === delivery?.event.id);
    };
    expect(succeededEventOf(stranger.id)).toMatchObject({ status: "IGNORED", outcome: "no establishment est_nobody" });
    expect(succeededEventOf(overpaid.id)).toMatchObject({ status: "PROCESSED" });
    const otherOwed = await totalOf(other);
    expect(succeededEventOf(overpaid.id)?.outcome).toMatch(
      new RegExp(
        `^payment pay_\\w+ of ${Money.sar(otherOwed).plus(Money.sar("123.45"))} SAR recorded, ${otherOwed} SAR applied$`,
      ),
    );

    expect((await paymentsOf(context, halves)).payments).toHaveLength(2);
    expect((await invoiceDetail(context, halves, (await invoiceOf(halves)).id)).status).toBe("PAID");
    expect((await paymentsOf(context, checkout)).payments).toHaveLength(1);
    expect((await invoiceDetail(context, checkout, (await invoiceOf(checkout)).id)).status).toBe("PAID");
    expect((await invoiceDetail(context, other, (await invoiceOf(other)).id)).status).toBe("PAID");
    const otherBalances = await ledgerBalances(context, accountant, other.establishment.id);
    expect(otherBalances.own.UNAPPLIED_PAYMENTS).toBe("-123.45");
    expect(otherBalances.own.RECEIVABLE_CONTRIBUTIONS).toBe("0.00");
    // Four payments came in, and not the stranger's: cash plus fees grew by exactly their sum.
    const after = await ledgerBalances(context, accountant);
    expect(after.totals.debit).toBe(after.totals.credit);
    const received = (balances: typeof before) =>
      Money.sar(balances.accounts.PROCESSOR_CASH ?? "0").plus(Money.sar(balances.accounts.PROCESSOR_FEES ?? "0"));
    const paidIn = Money.sum(
      [await totalOf(halves), await totalOf(checkout), await totalOf(other), "123.45"].map((amount) =>
        Money.sar(amount),
      ),
    );
    expect(received(after).minus(received(before)).toString()).toBe(paidIn.toString());
  });

  it("lets only agency staff see stored events, and only admins apply them", async () => {
    const employer = pool[3] as Employer;
    expectError(await requestJson(context.app, "GET", "/v1/stripe-events"), 401, "AUTHENTICATION_REQUIRED");
    expect((await requestJson(context.app, "GET", "/v1/stripe-events", undefined, bearer(accountant))).status).toBe(
      200,
    );
    expectError(
      await requestJson(context.app, "POST", "/v1/stripe-events/processing", undefined, bearer(accountant)),
      403,
      "ROLE_NOT_PERMITTED",
    );
    expectError(
      await requestJson(context.app, "GET", "/v1/stripe-events", undefined, bearer(employer.token)),
      401,
      "AUTHENTICATION_REQUIRED",
    );
  });
});

describe("applying on receipt", () => {
  it("applies every event of a burst without being asked, those stored while a drain runs included", async () => {
    const receiving = await buildTestApp({ stripeEvents: "kept" });
    try {
      const staff = (await signInStaff(receiving, "AGENCY_ADMIN")).token;
      const template = JSON.parse(stripeFixture("customer.created")) as { id: string; created: number };
      const now = Math.floor(receiving.clock.now().getTime() / 1000);
      const ids: string[] = [];
      // Waves a few milliseconds apart, so deliveries land while earlier ones are being applied.
      for (let wave = 0; wave < 5; wave++) {
        const payloads = Array.from({ length: 8 }, (_, index) => {
          const id = `evt_receipt${wave}x${index}`;
          ids.push(id);
          return JSON.stringify({ ...template, id, created: now });
        });
        const answers = await Promise.all(
          payloads.map((payload) => postStripeEvent(receiving.app, payload, sign(payload, { timestamp: now }))),
        );
        expect(answers.map((answer) => answer.status)).toEqual(payloads.map(() => 200));
        await new Promise((resolve) => setTimeout(resolve, 3));
      }
      await vi.waitFor(
        async () => {
          const response = await requestJson(
            receiving.app,
            "GET",
            "/v1/stripe-events?limit=200&type=customer.created",
            undefined,
            bearer(staff),
          );
          const events = StripeEventListResponse.parse(response.body).events.filter((event) => ids.includes(event.id));
          expect(events).toHaveLength(ids.length);
          expect(events.filter((event) => event.status !== "IGNORED").map((event) => event.id)).toEqual([]);
        },
        { timeout: 15_000, interval: 50 },
      );
    } finally {
      await receiving.close();
    }
  });
});
