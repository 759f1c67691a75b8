import { readFileSync } from "node:fs";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_STRIPE_WEBHOOK_SECRET } from "../../src/config.js";
import { StripeEventListResponse, WebhookReceiptResponse } from "../../src/webhooks/schemas.js";
import { hire, invoiceDetail, invoicesOf, runBilling } from "../support/billing.js";
import { applyStripeEvents, ledgerBalances, paymentsOf, startPayment } from "../support/payments.js";
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

function fixture(type: string): string {
  return readFileSync(new URL(`../../webhooks/${type}.json`, import.meta.url), "utf8");
}

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

beforeAll(async () => {
  context = await buildTestApp({ stripeEvents: "kept" });
  admin = (await signInStaff(context, "AGENCY_ADMIN")).token;
  accountant = (await signInStaff(context, "ACCOUNTANT")).token;
  for (let index = 0; index < 4; index++) {
    const employer = await registerEstablishment(context);
    await hire(context, employer, { startDate: "2026-09-01", basic: "7000.00" });
    pool.push(employer);
  }
  await runBilling(context, admin, "2026-10");
});
afterAll(() => context.close());

describe("verifying Stripe's signature", () => {
  it("refuses a wrong secret, a changed body, a missing header and an old signature, storing nothing", async () => {
    const payload = fixture("customer.created");
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
    const payload = fixture("customer.created");
    const response = await post(payload, sign(payload));
    expect(response.status).toBe(200);
    expect(WebhookReceiptResponse.parse(response.body)).toMatchObject({ type: "customer.created", stored: "new" });
    await applyStripeEvents(context, admin);
    const [event] = await storedEvents("&type=customer.created");
    expect(event).toMatchObject({ status: "IGNORED", deliveries: 1 });
  });

  it("stores an event delivered five times at once exactly once, and records its payment once", async () => {
    const employer = pool[0] as Employer;
    const [invoice] = (await invoicesOf(context, employer)).invoices;
    const attempt = await startPayment(context, employer, invoice?.id as string, { method: "PAYMENT_INTENT" });
    const mark = stand().emitted.length;
    stand().confirmPaymentIntent(attempt.stripeObjectId as string, "succeeded");
    const succeeded = emittedSince(mark).find((delivery) => delivery.event.type === "payment_intent.succeeded");
    if (!succeeded) throw new Error("no payment_intent.succeeded emitted");
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(succeeded.payload, succeeded.signature)));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.filter((answer) => WebhookReceiptResponse.parse(answer.body).stored === "new")).toHaveLength(1);
    await applyStripeEvents(context, admin);
    const [stored] = await storedEvents(`&type=payment_intent.succeeded`).then((events) =>
      events.filter((event) => event.id === succeeded.event.id),
    );
    expect(stored).toMatchObject({ status: "PROCESSED", deliveries: 5 });
    expect((await paymentsOf(context, employer)).payments).toHaveLength(1);
    expect((await invoiceDetail(context, employer, invoice?.id as string)).status).toBe("PAID");
  });

  it("applies a refund that arrives before its payment by reading the payment from Stripe", async () => {
    const employer = pool[1] as Employer;
    const [invoice] = (await invoicesOf(context, employer)).invoices;
    const attempt = await startPayment(context, employer, invoice?.id as string, { method: "PAYMENT_INTENT" });
    const mark = stand().emitted.length;
    stand().confirmPaymentIntent(attempt.stripeObjectId as string, "succeeded");
    await context.stripe.connection.client.refunds.create({
      payment_intent: attempt.stripeObjectId as string,
      amount: 5_000,
    });
    const refunded = emittedSince(mark).find((delivery) => delivery.event.type === "charge.refunded");
    if (!refunded) throw new Error("no charge.refunded emitted");
    expect((await post(refunded.payload, refunded.signature)).status).toBe(200);
    await applyStripeEvents(context, admin);
    const receipts = await paymentsOf(context, employer);
    expect(receipts.payments).toEqual([expect.objectContaining({ refunded: "50.00" })]);
    expect((await invoiceDetail(context, employer, invoice?.id as string)).totals.outstanding).toBe("50.00");
    // The payment's own events arriving afterwards change nothing.
    for (const delivery of emittedSince(mark)) await post(delivery.payload, delivery.signature);
    await applyStripeEvents(context, admin);
    expect((await paymentsOf(context, employer)).payments).toHaveLength(1);
    expect((await ledgerBalances(context, accountant, employer.establishment.id)).own.RECEIVABLE_CONTRIBUTIONS).toBe(
      "50.00",
    );
  });

  it("keeps an event about a payment Stripe does not know pending, with the error, and posts nothing", async () => {
    const payload = fixture("payment_intent.succeeded");
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
