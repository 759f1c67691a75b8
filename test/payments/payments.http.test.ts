import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeProcessorFee } from "../../src/payments/local-stripe/state.js";
import { PaymentAttemptListResponse } from "../../src/payments/schemas.js";
import { Money } from "../../src/shared/money.js";
import { hire, invoiceDetail, invoicesOf, runBilling } from "../support/billing.js";
import { applyStripeEvents, ledgerBalances, paymentsOf, startPayment } from "../support/payments.js";
import {
  bearer,
  buildTestApp,
  expectError,
  moveClockAndSignIn,
  postStripeEvent,
  registerEstablishment,
  requestJson,
  signInStaff,
  type TestContext,
} from "../support/test-app.js";

// The clock stands on 25 November 2026: October is billed, due 15 December, nothing overdue.
let context: TestContext;
let admin: string;
let accountant: string;
type Employer = Awaited<ReturnType<typeof registerEstablishment>>;
const pool: Employer[] = [];
let poolIndex = 0;
/** Each test takes its own establishment with one open October invoice. */
const nextEmployer = () => {
  const employer = pool[poolIndex++];
  if (!employer) throw new Error("the pool of establishments ran out: add more in beforeAll");
  return employer;
};
const octoberInvoice = async (employer: Employer) => {
  const [invoice] = (await invoicesOf(context, employer, "?month=2026-10")).invoices;
  if (!invoice) throw new Error("no October invoice");
  return invoice;
};
/** The employer's October invoice paid in full by PaymentIntent, its events applied. */
async function payOctoberInFull(employer: Employer) {
  const invoice = await octoberInvoice(employer);
  const attempt = await startPayment(context, employer, invoice.id, { method: "PAYMENT_INTENT" });
  const intentId = attempt.stripeObjectId as string;
  const charge = stand().confirmPaymentIntent(intentId, "succeeded").latest_charge as string;
  await applyStripeEvents(context, admin);
  return { invoice, intentId, charge };
}
const feeOf = (amount: string) =>
  Money.fromHalalas(BigInt(fakeProcessorFee(Number(Money.sar(amount).toHalalas())))).toString();
const stand = () => context.stripe.local.state;
/** The establishment that paid October twice; its credit settles November when November is billed. */
let overpaid: Employer | undefined;

/** Today's reconciliation as an accountant runs it: its differences that name `stripeId`. */
async function differencesToday(stripeId: string) {
  const today = context.clock.now().toISOString().slice(0, 10);
  const run = await requestJson(
    context.app,
    "POST",
    "/v1/reconciliation-runs",
    { from: today, to: today },
    bearer(accountant),
  );
  expect(run.status).toBe(201);
  const page = await requestJson(
    context.app,
    "GET",
    `/v1/reconciliation-runs/${(run.body as { id: string }).id}/differences?limit=1000`,
    undefined,
    bearer(accountant),
  );
  expect(page.status).toBe(200);
  const { differences, nextCursor } = page.body as {
    differences: { kind: string; stripeId: string; stripeAmount: string | null; ledgerAmount: string | null }[];
    nextCursor: null;
  };
  expect(nextCursor).toBeNull();
  return differences.filter((difference) => difference.stripeId === stripeId);
}

beforeAll(async () => {
  context = await buildTestApp();
  admin = (await signInStaff(context, "AGENCY_ADMIN")).token;
  accountant = (await signInStaff(context, "ACCOUNTANT")).token;
  for (let index = 0; index < 17; index++) {
    const employer = await registerEstablishment(context);
    await hire(context, employer, { startDate: "2026-09-01", basic: `${6000 + index * 250}.00` });
    pool.push(employer);
  }
  await runBilling(context, admin, "2026-10");
});
afterAll(() => context.close());

describe("paying an invoice through Stripe Checkout", () => {
  it("pays in full through the checkout page: receivable to processor cash, fee as expense, invoice PAID", async () => {
    const employer = nextEmployer();
    const invoice = await octoberInvoice(employer);
    const before = await ledgerBalances(context, accountant);
    const attempt = await startPayment(context, employer, invoice.id);
    expect(attempt).toMatchObject({
      method: "CHECKOUT",
      amount: invoice.totals.outstanding,
      status: "OPEN",
      currency: "SAR",
    });
    expect(attempt.checkoutUrl).toMatch(/^http:\/\/localhost:\d+\/checkout\/cs_test_/);

    // What the employer's browser does: open the page, press Pay, follow the redirect.
    const page = await fetch(attempt.checkoutUrl as string);
    expect(await page.text()).toContain(`${invoice.totals.outstanding} SAR`);
    const paid = await fetch(attempt.checkoutUrl as string, {
      method: "POST",
      body: new URLSearchParams({ outcome: "succeeded" }),
      redirect: "manual",
    });
    expect(paid.status).toBe(303);
    expect(paid.headers.get("location")).toContain(`/payments/return?attempt=${attempt.id}`);

    const applied = await applyStripeEvents(context, admin);
    expect(applied.failed).toBe(0);
    expect(await invoiceDetail(context, employer, invoice.id)).toMatchObject({ status: "PAID" });
    const fee = feeOf(invoice.totals.outstanding);
    const after = await ledgerBalances(context, accountant, employer.establishment.id);
    expect(after.own).toEqual({
      RECEIVABLE_CONTRIBUTIONS: "0.00",
      RECEIVABLE_FINES: "0.00",
      UNAPPLIED_PAYMENTS: "0.00",
    });
    const moved = (code: string) =>
      Money.sar(after.accounts[code] as string)
        .minus(Money.sar(before.accounts[code] as string))
        .toString();
    expect(moved("PROCESSOR_CASH")).toBe(Money.sar(invoice.totals.outstanding).minus(Money.sar(fee)).toString());
    expect(moved("PROCESSOR_FEES")).toBe(fee);
    expect(after.totals.debit).toBe(after.totals.credit);

    const receipts = await paymentsOf(context, employer);
    expect(receipts.payments).toEqual([
      expect.objectContaining({ invoiceId: invoice.id, amount: invoice.totals.outstanding, fee, refunded: "0.00" }),
    ]);
    expect(receipts.creditBalance).toBe("0.00");
    const returnPage = await context.app.request(`/payments/return?attempt=${attempt.id}`);
    expect(await returnPage.text()).toContain("PAID");
    // Stripe delivered checkout.session.completed, charge.succeeded and payment_intent.succeeded.
    const events = await requestJson(context.app, "GET", "/v1/stripe-events?limit=200", undefined, bearer(accountant));
    const types = (events.body as { events: { type: string; status: string; outcome: string }[] }).events
      .filter((event) => event.outcome?.includes("recorded") || event.type === "charge.succeeded")
      .map((event) => event.type);
    expect(types).toEqual(expect.arrayContaining(["checkout.session.completed", "payment_intent.succeeded"]));
  });

  it("returns the same attempt for an identical request, and the same Checkout Session for the same idempotency key", async () => {
    const employer = nextEmployer();
    const invoice = await octoberInvoice(employer);
    const first = await startPayment(context, employer, invoice.id);
    const again = await startPayment(context, employer, invoice.id);
    expect(again).toMatchObject({ id: first.id, checkoutUrl: first.checkoutUrl, reused: true });
    const sessions = stand().list(
      "checkout.session",
      (session) => (session.metadata as { invoice_id: string }).invoice_id === invoice.id,
    );
    expect(sessions).toHaveLength(1);
    // A retried POST with an Idempotency-Key replays the stored answer.
    const keyed = () =>
      requestJson(
        context.app,
        "POST",
        `/v1/establishments/${employer.establishment.id}/invoices/${invoice.id}/payments`,
        { method: "PAYMENT_INTENT", amount: "100.00" },
        { ...bearer(employer.token), "idempotency-key": `pay-${invoice.id}` },
      );
    const [one, two] = [await keyed(), await keyed()];
    expect(one.status).toBe(201);
    expect(two.body).toEqual(one.body);
    expect(
      stand().list("payment_intent", (intent) => (intent.metadata as { invoice_id: string }).invoice_id === invoice.id),
    ).toHaveLength(1);
  });

  it("takes a partial payment by PaymentIntent: PARTIALLY_PAID, then paid in full by a second one", async () => {
    const employer = nextEmployer();
    const invoice = await octoberInvoice(employer);
    const partial = await startPayment(context, employer, invoice.id, { method: "PAYMENT_INTENT", amount: "500.00" });
    expect(partial.clientSecret).toMatch(/^pi_\w+_secret_\w+$/);
    expect(partial.checkoutUrl).toBeNull();
    stand().confirmPaymentIntent(partial.stripeObjectId as string, "succeeded");
    await applyStripeEvents(context, admin);
    const afterPartial = await invoiceDetail(context, employer, invoice.id);
    expect(afterPartial).toMatchObject({ status: "PARTIALLY_PAID" });
    expect(afterPartial.totals.settled).toBe("500.00");

    const rest = await startPayment(context, employer, invoice.id, { method: "PAYMENT_INTENT" });
    expect(rest.amount).toBe(Money.sar(invoice.totals.outstanding).minus(Money.sar("500.00")).toString());
    stand().confirmPaymentIntent(rest.stripeObjectId as string, "succeeded");
    await applyStripeEvents(context, admin);
    expect((await invoiceDetail(context, employer, invoice.id)).status).toBe("PAID");
  });

  it("keeps an overpayment as the establishment's credit balance", async () => {
    const employer = nextEmployer();
    overpaid = employer;
    const invoice = await octoberInvoice(employer);
    // Two tabs, two checkouts for the full amount, both paid.
    const first = await startPayment(context, employer, invoice.id, { method: "PAYMENT_INTENT" });
    const second = await startPayment(context, employer, invoice.id, { method: "CHECKOUT" });
    stand().confirmPaymentIntent(first.stripeObjectId as string, "succeeded");
    stand().completeCheckout(second.stripeObjectId as string, "succeeded");
    await applyStripeEvents(context, admin);
    const receipts = await paymentsOf(context, employer);
    expect(receipts.payments).toHaveLength(2);
    expect(receipts.creditBalance).toBe(invoice.totals.outstanding);
    const own = (await ledgerBalances(context, accountant, employer.establishment.id)).own;
    expect(own).toEqual({
      RECEIVABLE_CONTRIBUTIONS: "0.00",
      RECEIVABLE_FINES: "0.00",
      UNAPPLIED_PAYMENTS: Money.sar(invoice.totals.outstanding).negate().toString(),
    });
    const credit = await requestJson(
      context.app,
      "POST",
      `/v1/establishments/${employer.establishment.id}/invoices/${invoice.id}/credit-applications`,
      undefined,
      bearer(employer.token),
    );
    expectError(credit, 409, "INVOICE_ALREADY_PAID");
  });

  it("records a declined card as a failed attempt, and a later success on the same page wins", async () => {
    const employer = nextEmployer();
    const invoice = await octoberInvoice(employer);
    const attempt = await startPayment(context, employer, invoice.id);
    stand().completeCheckout(attempt.stripeObjectId as string, "declined");
    await applyStripeEvents(context, admin);
    const attempts = async () =>
      PaymentAttemptListResponse.parse(
        (
          await requestJson(
            context.app,
            "GET",
            `/v1/establishments/${employer.establishment.id}/payment-attempts?invoiceId=${invoice.id}`,
            undefined,
            bearer(employer.token),
          )
        ).body,
      ).attempts;
    expect(await attempts()).toEqual([
      expect.objectContaining({ id: attempt.id, status: "FAILED", failureMessage: "Your card was declined." }),
    ]);
    stand().completeCheckout(attempt.stripeObjectId as string, "succeeded");
    await applyStripeEvents(context, admin);
    expect((await attempts())[0]).toMatchObject({ id: attempt.id, status: "PAID" });
    expect((await invoiceDetail(context, employer, invoice.id)).status).toBe("PAID");
  });

  it("waits for an asynchronous bank payment: nothing on completion, paid on async_payment_succeeded, failed on async_payment_failed", async () => {
    const employer = nextEmployer();
    const invoice = await octoberInvoice(employer);
    const slow = await startPayment(context, employer, invoice.id, { amount: "300.00" });
    stand().completeCheckout(slow.stripeObjectId as string, "async");
    await applyStripeEvents(context, admin);
    expect((await invoiceDetail(context, employer, invoice.id)).totals.settled).toBe("0.00");
    stand().settleAsync(slow.stripeObjectId as string, "succeeded");
    await applyStripeEvents(context, admin);
    expect((await invoiceDetail(context, employer, invoice.id)).totals.settled).toBe("300.00");

    const failing = await startPayment(context, employer, invoice.id, { amount: "200.00" });
    stand().completeCheckout(failing.stripeObjectId as string, "async");
    stand().settleAsync(failing.stripeObjectId as string, "failed");
    await applyStripeEvents(context, admin);
    expect((await invoiceDetail(context, employer, invoice.id)).totals.settled).toBe("300.00");
    const events = await requestJson(
      context.app,
      "GET",
      "/v1/stripe-events?type=checkout.session.async_payment_failed",
      undefined,
      bearer(admin),
    );
    expect((events.body as { events: { status: string }[] }).events).toEqual([
      expect.objectContaining({ status: "PROCESSED" }),
    ]);
  });
});

describe("refunds, disputes and payouts", () => {
  it("a partial refund reopens what it takes back; a full refund leaves the invoice unpaid", async () => {
    const employer = nextEmployer();
    const { invoice, intentId } = await payOctoberInFull(employer);
    const before = await ledgerBalances(context, accountant);

    // The agency refunds through Stripe's API (here the SDK against the stand-in).
    await context.stripe.connection.client.refunds.create({
      payment_intent: intentId,
      amount: 10_000,
    });
    await applyStripeEvents(context, admin);
    const partly = await invoiceDetail(context, employer, invoice.id);
    expect(partly).toMatchObject({ status: "PARTIALLY_PAID" });
    expect(partly.totals.settled).toBe(Money.sar(invoice.totals.outstanding).minus(Money.sar("100.00")).toString());
    const afterPartial = await ledgerBalances(context, accountant, employer.establishment.id);
    expect(afterPartial.own.RECEIVABLE_CONTRIBUTIONS).toBe("100.00");
    expect(
      Money.sar(afterPartial.accounts.PROCESSOR_CASH as string)
        .minus(Money.sar(before.accounts.PROCESSOR_CASH as string))
        .toString(),
    ).toBe("-100.00");

    await context.stripe.connection.client.refunds.create({ payment_intent: intentId });
    await applyStripeEvents(context, admin);
    const refunded = await invoiceDetail(context, employer, invoice.id);
    expect(refunded).toMatchObject({ status: "OPEN" });
    expect(refunded.totals.settled).toBe("0.00");
    const receipts = await paymentsOf(context, employer);
    expect(receipts.payments[0]).toMatchObject({ refunded: invoice.totals.outstanding });
    expect((await ledgerBalances(context, accountant, employer.establishment.id)).own).toEqual({
      RECEIVABLE_CONTRIBUTIONS: invoice.totals.outstanding,
      RECEIVABLE_FINES: "0.00",
      UNAPPLIED_PAYMENTS: "0.00",
    });
  });

  it("a refund the card's bank sends back returns the money: the invoice is paid again, once, whichever refund events arrive", async () => {
    const employer = nextEmployer();
    const { invoice, intentId } = await payOctoberInFull(employer);
    const paid = await ledgerBalances(context, accountant, employer.establishment.id);
    const refund = await context.stripe.connection.client.refunds.create({
      payment_intent: intentId,
    });
    await applyStripeEvents(context, admin);
    expect(await invoiceDetail(context, employer, invoice.id)).toMatchObject({ status: "OPEN" });

    const mark = stand().emitted.length;
    stand().failRefund(refund.id, "expired_or_canceled_card");
    const told = stand().emitted.slice(mark);
    expect(told.map((delivery) => delivery.event.type)).toEqual([
      "refund.failed",
      "refund.updated",
      "charge.refund.updated",
    ]);
    await applyStripeEvents(context, admin);
    const again = await invoiceDetail(context, employer, invoice.id);
    expect(again).toMatchObject({ status: "PAID" });
    expect(again.totals.settled).toBe(invoice.totals.outstanding);
    expect((await paymentsOf(context, employer)).payments).toEqual([
      expect.objectContaining({ amount: invoice.totals.outstanding, refunded: "0.00" }),
    ]);
    const after = await ledgerBalances(context, accountant, employer.establishment.id);
    expect(after.own).toEqual({
      RECEIVABLE_CONTRIBUTIONS: "0.00",
      RECEIVABLE_FINES: "0.00",
      UNAPPLIED_PAYMENTS: "0.00",
    });
    // The cash that went out with the refund is back: the processor holds what it held when paid,
    // less what other tests moved meanwhile (none of them runs between these two reads).
    expect(after.accounts.PROCESSOR_CASH).toBe(paid.accounts.PROCESSOR_CASH);

    // Every copy of every refund event again: nothing more is posted.
    for (const delivery of [...told, ...told]) {
      expect((await postStripeEvent(context.app, delivery.payload, delivery.signature)).status).toBe(200);
    }
    await applyStripeEvents(context, admin);
    expect(await ledgerBalances(context, accountant, employer.establishment.id)).toEqual(after);
    const failures = await context.database.prisma.journalEntry.findMany({
      where: { entryCode: "PAYMENT_REFUND_FAILED", description: { contains: refund.id } },
      select: { effectiveDate: true },
    });
    // Dated by the failure's balance transaction (the stand-in's clock: the test's day).
    expect(failures).toEqual([{ effectiveDate: new Date("2026-11-25T00:00:00Z") }]);
  });

  it("a refund that failed before Ishtirak heard of it is recorded as Stripe's balance shows it: out and back", async () => {
    const employer = nextEmployer();
    const { invoice, intentId } = await payOctoberInFull(employer);
    const paid = await ledgerBalances(context, accountant, employer.establishment.id);
    const refund = stand().createRefund({ payment_intent: intentId, amount: 20_000 });
    stand().failRefund(refund.id as string);
    await applyStripeEvents(context, admin);
    expect(await invoiceDetail(context, employer, invoice.id)).toMatchObject({ status: "PAID" });
    const after = await ledgerBalances(context, accountant, employer.establishment.id);
    expect(after.own).toEqual(paid.own);
    expect(after.accounts.PROCESSOR_CASH).toBe(paid.accounts.PROCESSOR_CASH);
    const entries = await context.database.prisma.journalEntry.findMany({
      where: { description: { contains: refund.id as string } },
      select: { entryCode: true },
      orderBy: { entryCode: "asc" },
    });
    expect(entries.map((entry) => entry.entryCode)).toEqual(["PAYMENT_REFUNDED", "PAYMENT_REFUND_FAILED"]);

    // Reconciliation finds the refund and its failure on both sides.
    expect(await differencesToday(refund.id as string)).toEqual([]);
  });

  it("a refund canceled while it waited for the customer is recorded as Stripe's balance shows it: out and back, once", async () => {
    const employer = nextEmployer();
    const { invoice, intentId } = await payOctoberInFull(employer);
    const paid = await ledgerBalances(context, accountant, employer.establishment.id);
    const mark = stand().emitted.length;
    const refund = stand().createRefund({ payment_intent: intentId, amount: 30_000 }, { requiresAction: true });
    await applyStripeEvents(context, admin);
    // Waiting: its amount has left Stripe's balance, but the refund has not happened; the
    // ledger records nothing yet and the invoice stays paid.
    expect(await invoiceDetail(context, employer, invoice.id)).toMatchObject({ status: "PAID" });
    expect(await ledgerBalances(context, accountant, employer.establishment.id)).toEqual(paid);
    const describing = { description: { contains: refund.id as string } };
    expect(await context.database.prisma.journalEntry.count({ where: describing })).toBe(0);
    // Compared now, the refund's balance transaction is a timing difference (docs/payments.md).
    expect(await differencesToday(refund.id as string)).toEqual([
      { kind: "REFUND_MISSING_IN_LEDGER", stripeId: refund.id, stripeAmount: "300.00", ledgerAmount: null },
    ]);

    const canceled = await context.stripe.connection.client.refunds.cancel(refund.id as string);
    expect(canceled).toMatchObject({ status: "canceled", failure_reason: "merchant_request" });
    await applyStripeEvents(context, admin);
    const entries = await context.database.prisma.journalEntry.findMany({
      where: describing,
      select: { entryCode: true, description: true },
      orderBy: { entryCode: "asc" },
    });
    expect(entries.map((entry) => entry.entryCode)).toEqual(["PAYMENT_REFUNDED", "PAYMENT_REFUND_FAILED"]);
    expect(entries[1]?.description).toMatch(/was canceled \(merchant_request\)/);
    expect(await invoiceDetail(context, employer, invoice.id)).toMatchObject({ status: "PAID" });
    expect((await paymentsOf(context, employer)).payments).toEqual([
      expect.objectContaining({ amount: invoice.totals.outstanding, refunded: "0.00" }),
    ]);
    const after = await ledgerBalances(context, accountant, employer.establishment.id);
    expect(after.own).toEqual(paid.own);
    expect(after.accounts.PROCESSOR_CASH).toBe(paid.accounts.PROCESSOR_CASH);

    // Every event of the refund's story again, newest first: nothing more is posted.
    const told = stand().emitted.slice(mark);
    expect(told.map((delivery) => delivery.event.type)).toEqual([
      "charge.refunded",
      "refund.created",
      "refund.updated",
      "charge.refund.updated",
    ]);
    for (const delivery of told.reverse()) {
      expect((await postStripeEvent(context.app, delivery.payload, delivery.signature)).status).toBe(200);
    }
    await applyStripeEvents(context, admin);
    expect(await ledgerBalances(context, accountant, employer.establishment.id)).toEqual(after);
    expect(await context.database.prisma.journalEntry.count({ where: describing })).toBe(2);

    // Reconciliation finds the refund's balance transaction and its return on both sides.
    expect(await differencesToday(refund.id as string)).toEqual([]);
    // Canceling twice is refused, as Stripe refuses it.
    await expect(context.stripe.connection.client.refunds.cancel(refund.id as string)).rejects.toThrow(
      /only a refund with a status of requires_action/,
    );
  });

  it("a dispute withdraws funds and a fee; won, they come back and the invoice stays paid", async () => {
    const employer = nextEmployer();
    const { invoice, charge } = await payOctoberInFull(employer);
    const before = await ledgerBalances(context, accountant);
    const dispute = stand().openDispute(charge);
    await applyStripeEvents(context, admin);
    const open = await ledgerBalances(context, accountant);
    const delta = (after: typeof open, code: string) =>
      Money.sar(after.accounts[code] as string)
        .minus(Money.sar(before.accounts[code] as string))
        .toString();
    expect(delta(open, "DISPUTED_FUNDS")).toBe(invoice.totals.outstanding);
    expect(delta(open, "PROCESSOR_FEES")).toBe("15.00");
    expect((await paymentsOf(context, employer)).payments[0]).toMatchObject({ disputeStatus: "OPEN" });
    expect((await invoiceDetail(context, employer, invoice.id)).status).toBe("PAID");

    stand().closeDispute(dispute.id, "won");
    await applyStripeEvents(context, admin);
    const won = await ledgerBalances(context, accountant, employer.establishment.id);
    expect(delta(won, "DISPUTED_FUNDS")).toBe("0.00");
    expect(delta(won, "PROCESSOR_FEES")).toBe("0.00");
    expect(delta(won, "PROCESSOR_CASH")).toBe("0.00");
    expect((await paymentsOf(context, employer)).payments[0]).toMatchObject({ disputeStatus: "WON" });
    expect((await invoiceDetail(context, employer, invoice.id)).status).toBe("PAID");
  });

  it("a lost dispute gives the money back to the cardholder and reopens the invoice", async () => {
    const employer = nextEmployer();
    const { invoice, charge } = await payOctoberInFull(employer);
    const before = await ledgerBalances(context, accountant);
    const dispute = stand().openDispute(charge);
    stand().closeDispute(dispute.id, "lost");
    await applyStripeEvents(context, admin);
    const lost = await ledgerBalances(context, accountant, employer.establishment.id);
    const delta = (code: string) =>
      Money.sar(lost.accounts[code] as string)
        .minus(Money.sar(before.accounts[code] as string))
        .toString();
    expect(delta("DISPUTED_FUNDS")).toBe("0.00");
    expect(delta("PROCESSOR_FEES")).toBe("15.00");
    expect(delta("PROCESSOR_CASH")).toBe(
      Money.sar(invoice.totals.outstanding).plus(Money.sar("15.00")).negate().toString(),
    );
    expect(lost.own.RECEIVABLE_CONTRIBUTIONS).toBe(invoice.totals.outstanding);
    expect((await invoiceDetail(context, employer, invoice.id)).status).toBe("OPEN");
    expect((await paymentsOf(context, employer)).payments[0]).toMatchObject({ disputeStatus: "LOST" });
  });

  it("a payout moves cash from the processor to the bank", async () => {
    const before = await ledgerBalances(context, accountant);
    stand().createPayout(123_456);
    await applyStripeEvents(context, admin);
    const after = await ledgerBalances(context, accountant);
    expect(
      Money.sar(after.accounts.BANK as string)
        .minus(Money.sar(before.accounts.BANK as string))
        .toString(),
    ).toBe("1234.56");
    expect(
      Money.sar(after.accounts.PROCESSOR_CASH as string)
        .minus(Money.sar(before.accounts.PROCESSOR_CASH as string))
        .toString(),
    ).toBe("-1234.56");
  });

  it("a payout the bank sends back returns the cash to the processor, once, however often its events arrive", async () => {
    const moved = (before: Record<string, string>, after: Record<string, string>, code: string) =>
      Money.sar(after[code] as string)
        .minus(Money.sar(before[code] as string))
        .toString();
    const entriesOf = (payoutId: string) =>
      context.database.prisma.journalEntry.findMany({
        where: { description: { contains: payoutId } },
        select: { entryCode: true, effectiveDate: true },
        orderBy: { entryCode: "asc" },
      });

    // In Stripe's order: paid, then failed; every event twice.
    const before = (await ledgerBalances(context, accountant)).accounts;
    const mark = stand().emitted.length;
    const payout = stand().createPayout(50_000);
    stand().failPayout(payout.id as string, "account_closed");
    await applyStripeEvents(context, admin);
    for (const delivery of stand().emitted.slice(mark)) {
      expect((await postStripeEvent(context.app, delivery.payload, delivery.signature)).status).toBe(200);
    }
    await applyStripeEvents(context, admin);
    const after = (await ledgerBalances(context, accountant)).accounts;
    expect(moved(before, after, "BANK")).toBe("0.00");
    expect(moved(before, after, "PROCESSOR_CASH")).toBe("0.00");
    expect((await entriesOf(payout.id as string)).map((entry) => entry.entryCode)).toEqual([
      "PAYOUT_FAILED",
      "PAYOUT_PAID",
    ]);

    // Dated when the bank sent it back (the stand-in's clock: the test's day). Stripe's other
    // orders (failed before paid) are in test/webhooks/event-order.property.test.ts's story.
    expect((await entriesOf(payout.id as string))[0]?.effectiveDate).toEqual(new Date("2026-11-25T00:00:00Z"));
  });

  it("a payout that failed on its way to the bank, never paid, moves nothing; its failure is kept", async () => {
    const before = (await ledgerBalances(context, accountant)).accounts;
    const mark = stand().emitted.length;
    const payout = stand().createPayout(25_000, { inTransit: true });
    stand().failPayout(payout.id as string, "could_not_process");
    expect(
      stand()
        .emitted.slice(mark)
        .map((delivery) => delivery.event.type),
    ).toEqual(["payout.created", "payout.failed"]);
    await applyStripeEvents(context, admin);
    const after = (await ledgerBalances(context, accountant)).accounts;
    expect(after.BANK).toBe(before.BANK);
    expect(after.PROCESSOR_CASH).toBe(before.PROCESSOR_CASH);
    const failure = await context.database.prisma.payoutFailure.findUnique({
      where: { stripePayoutId: payout.id as string },
    });
    expect(failure?.failureCode).toBe("could_not_process");
    expect(failure?.amount.toString()).toBe("250");
    expect(
      await context.database.prisma.journalEntry.count({ where: { description: { contains: payout.id as string } } }),
    ).toBe(0);
  });
});

describe("bad input when paying", () => {
  it("refuses an amount above what is owed, another currency, another establishment's invoice, and a paid invoice", async () => {
    const employer = nextEmployer();
    const other = nextEmployer();
    const invoice = await octoberInvoice(employer);
    const pay = (body: unknown, who = employer) =>
      requestJson(
        context.app,
        "POST",
        `/v1/establishments/${who.establishment.id}/invoices/${invoice.id}/payments`,
        body,
        bearer(who.token),
      );
    const above = Money.sar(invoice.totals.outstanding).plus(Money.sar("0.01")).toString();
    expectError(await pay({ amount: above }), 422, "PAYMENT_AMOUNT_ABOVE_OUTSTANDING");
    expectError(await pay({ currency: "USD" }), 400, "PAYMENT_CURRENCY_UNSUPPORTED");
    expectError(await pay({ amount: "10.001" }), 400, "VALIDATION_FAILED");
    expectError(await pay({ amount: "0.00" }), 400, "VALIDATION_FAILED");
    expectError(await pay({}, other), 404, "INVOICE_NOT_FOUND");
    const unauthenticated = await requestJson(
      context.app,
      "POST",
      `/v1/establishments/${employer.establishment.id}/invoices/${invoice.id}/payments`,
      {},
    );
    expectError(unauthenticated, 401, "AUTHENTICATION_REQUIRED");
    expect(
      stand().list(
        "checkout.session",
        (session) => (session.metadata as { invoice_id: string }).invoice_id === invoice.id,
      ),
    ).toHaveLength(0);
    const attempts = await requestJson(
      context.app,
      "GET",
      `/v1/establishments/${employer.establishment.id}/payment-attempts`,
      undefined,
      bearer(employer.token),
    );
    expect(PaymentAttemptListResponse.parse(attempts.body).attempts).toHaveLength(0);

    const full = await startPayment(context, employer, invoice.id, { method: "PAYMENT_INTENT" });
    stand().confirmPaymentIntent(full.stripeObjectId as string, "succeeded");
    await applyStripeEvents(context, admin);
    expectError(await pay({}), 409, "INVOICE_ALREADY_PAID");
  });
});

describe("the next billing run", () => {
  it("applies a credit balance to the invoice it issues", async () => {
    if (!overpaid) throw new Error("the overpayment test did not run");
    const october = await octoberInvoice(overpaid);
    ({ admin, accountant } = await moveClockAndSignIn(context, "2026-12-02T09:00:00.000Z", [...pool]));
    await runBilling(context, admin, "2026-11");
    const [november] = (await invoicesOf(context, overpaid, "?month=2026-11")).invoices;
    if (!november) throw new Error("no November invoice");
    // Same employee, same wage: November costs what October did, and the credit covers it.
    expect(november.totals.contributions).toBe(october.totals.contributions);
    expect(november.status).toBe("PAID");
    expect((await paymentsOf(context, overpaid)).creditBalance).toBe("0.00");
    const own = (await ledgerBalances(context, accountant, overpaid.establishment.id)).own;
    expect(own).toEqual({ RECEIVABLE_CONTRIBUTIONS: "0.00", RECEIVABLE_FINES: "0.00", UNAPPLIED_PAYMENTS: "0.00" });
    // An establishment without credit is billed as usual.
    const [unpaid] = (await invoicesOf(context, pool.at(-1) as Employer, "?month=2026-11")).invoices;
    expect(unpaid?.status).toBe("OPEN");
  });
});
