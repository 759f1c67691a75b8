import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { SignedDelivery } from "../../src/payments/local-stripe/state.js";
import { Money } from "../../src/shared/money.js";
import { hire, invoiceDetail, invoicesOf, runBilling } from "../support/billing.js";
import { applyStripeEvents, ledgerBalances, paymentsOf, startPayment } from "../support/payments.js";
import {
  buildTestApp,
  postStripeEvent,
  registerEstablishment,
  signInStaff,
  type TestContext,
} from "../support/test-app.js";

/**
 * The ledger and invoice statuses end the same whatever order Stripe's events arrive in,
 * however often each arrives, and when copies arrive at the same moment. Each run plays one
 * payment story for a fresh establishment (same wages, so the same amounts), then delivers
 * its events in a generated order with duplicates, some concurrently, applying them at
 * generated points; every run must end where the in-order run ended.
 */
const runs = 12;
let context: TestContext;
let admin: string;
let accountant: string;
type Employer = Awaited<ReturnType<typeof registerEstablishment>>;
const pool: Employer[] = [];
const stand = () => context.stripe.local.state;
const globalAccounts = ["PROCESSOR_CASH", "PROCESSOR_FEES", "DISPUTED_FUNDS", "BANK"] as const;

beforeAll(async () => {
  context = await buildTestApp({ stripeEvents: "kept" });
  admin = (await signInStaff(context, "AGENCY_ADMIN")).token;
  accountant = (await signInStaff(context, "ACCOUNTANT")).token;
  for (let index = 0; index <= runs; index++) {
    const employer = await registerEstablishment(context);
    await hire(context, employer, { startDate: "2026-08-01", basic: "9000.00" });
    pool.push(employer);
  }
  await runBilling(context, admin, "2026-09");
  await runBilling(context, admin, "2026-10");
}, 120_000);
afterAll(() => context.close());

/**
 * A payment story: declined then paid, a partial payment, an overpayment, a refund, a refund the
 * bank sent back, a refund canceled while it waited for the customer, two disputes, a payout, a
 * payout the bank sent back and one that failed on its way.
 */
async function playStory(employer: Employer): Promise<SignedDelivery[]> {
  const invoices = (await invoicesOf(context, employer)).invoices;
  const october = invoices.find((invoice) => invoice.month === "2026-10");
  const september = invoices.find((invoice) => invoice.month === "2026-09");
  if (!october || !september) throw new Error("two invoices expected");
  const mark = stand().emitted.length;
  const checkout = await startPayment(context, employer, october.id);
  stand().completeCheckout(checkout.stripeObjectId as string, "declined");
  stand().completeCheckout(checkout.stripeObjectId as string, "succeeded");
  const partial = await startPayment(context, employer, september.id, { method: "PAYMENT_INTENT", amount: "300.00" });
  const partialCharge = stand().confirmPaymentIntent(partial.stripeObjectId as string, "succeeded").latest_charge;
  const extra = await startPayment(context, employer, september.id, { method: "PAYMENT_INTENT", amount: "200.00" });
  const extraCharge = stand().confirmPaymentIntent(extra.stripeObjectId as string, "succeeded").latest_charge;
  const session = stand().get(checkout.stripeObjectId as string, "checkout.session");
  stand().createRefund({ payment_intent: session.payment_intent as string, amount: 15_000 });
  const returned = stand().createRefund({ payment_intent: session.payment_intent as string, amount: 5_000 });
  stand().failRefund(returned.id as string);
  const waiting = stand().createRefund(
    { payment_intent: session.payment_intent as string, amount: 2_500 },
    { requiresAction: true },
  );
  stand().cancelRefund(waiting.id as string);
  stand().closeDispute(stand().openDispute(partialCharge as string).id, "lost");
  stand().closeDispute(stand().openDispute(extraCharge as string).id, "won");
  stand().createPayout(100_000);
  stand().failPayout(stand().createPayout(40_000).id as string);
  stand().failPayout(stand().createPayout(10_000, { inTransit: true }).id as string);
  return stand().emitted.slice(mark);
}

async function deliver(delivery: SignedDelivery) {
  const response = await postStripeEvent(context.app, delivery.payload, delivery.signature);
  if (response.status !== 200) throw new Error(`delivery refused: ${response.status} ${JSON.stringify(response.body)}`);
}

/** Where one establishment's story ended: its own balances, its invoices, its receipts, and what moved globally. */
async function outcome(employer: Employer, globalBefore: Record<string, string>) {
  const balances = await ledgerBalances(context, accountant, employer.establishment.id);
  expect(balances.totals.debit).toBe(balances.totals.credit);
  const invoices = [];
  for (const invoice of (await invoicesOf(context, employer)).invoices) {
    const detail = await invoiceDetail(context, employer, invoice.id);
    invoices.push({ month: detail.month, status: detail.status, settled: detail.totals.settled });
  }
  const receipts = (await paymentsOf(context, employer)).payments
    .map((payment) => ({
      amount: payment.amount,
      fee: payment.fee,
      refunded: payment.refunded,
      disputed: payment.disputed,
      dispute: payment.disputeStatus,
    }))
    .sort((a, b) => Money.sar(a.amount).compare(Money.sar(b.amount)));
  const moved = Object.fromEntries(
    globalAccounts.map((code) => [
      code,
      Money.sar(balances.accounts[code] ?? "0.00")
        .minus(Money.sar(globalBefore[code] ?? "0.00"))
        .toString(),
    ]),
  );
  return { own: balances.own, invoices, receipts, moved };
}

let reference: Awaited<ReturnType<typeof outcome>> | undefined;
let next = 0;

it("ends in the same ledger and statuses for any order, duplication and concurrency of the events", async () => {
  // The reference: every event once, in the order Stripe emitted them, each applied before the next.
  const first = pool[next++] as Employer;
  const before = (await ledgerBalances(context, accountant)).accounts;
  for (const delivery of await playStory(first)) {
    await deliver(delivery);
    await applyStripeEvents(context, admin);
  }
  reference = await outcome(first, before);
  expect(reference.invoices.map((invoice) => invoice.status)).toContain("PAID");
  expect(reference.receipts.map((receipt) => receipt.dispute).sort()).toEqual(["LOST", "WON", null]);
  // Of the three payouts, only the one the bank kept is at the bank.
  expect(reference.moved.BANK).toBe("1000.00");

  await fc.assert(
    fc.asyncProperty(
      fc.infiniteStream(fc.nat()),
      fc.array(fc.nat(), { maxLength: 12 }),
      fc.integer({ min: 1, max: 4 }),
      fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
      async (shuffle, duplicates, concurrency, applyAfter) => {
        const employer = pool[next++];
        if (!employer) throw new Error("more fast-check runs than establishments");
        const globalBefore = (await ledgerBalances(context, accountant)).accounts;
        const events = await playStory(employer);
        const order = [...events, ...duplicates.map((index) => events[index % events.length] as SignedDelivery)];
        const keys = order.map(() => shuffle.next().value as number);
        const shuffled = order
          .map((delivery, index) => ({ delivery, key: keys[index] as number }))
          .sort((a, b) => a.key - b.key);
        for (let start = 0, batch = 0; start < shuffled.length; start += concurrency, batch++) {
          await Promise.all(shuffled.slice(start, start + concurrency).map((item) => deliver(item.delivery)));
          if (applyAfter[batch % applyAfter.length]) await applyStripeEvents(context, admin);
        }
        await applyStripeEvents(context, admin);
        expect(await outcome(employer, globalBefore)).toEqual(reference);
      },
    ),
    { numRuns: runs },
  );
}, 300_000);
