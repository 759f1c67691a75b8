import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assessLateFines, hire, invoiceDetail, invoicesOf, lateFinesOf, runBilling } from "../support/billing.js";
import { applyStripeEvents, startPayment } from "../support/payments.js";
import {
  buildTestApp,
  moveClockAndSignIn,
  registerEstablishment,
  signInStaff,
  type TestContext,
} from "../support/test-app.js";

// Two establishments billed 2,150.00 for October 2026 (due 15 November): one pays on time and
// is refunded in December, the other never pays. The late-fine job looks only at the invoices
// its worklist names for the day.
let context: TestContext;
let admin: string;
let accountant: string;
type Employer = Awaited<ReturnType<typeof registerEstablishment>>;
let payer: Employer;
let debtor: Employer;
let paidInvoiceId: string;
let paymentIntentId: string;

const moveClockTo = async (instant: string) => {
  ({ admin, accountant } = await moveClockAndSignIn(context, instant, [payer, debtor]));
};
const assess = () => assessLateFines(context, admin);
const finesOf = async (invoiceId: string) =>
  (await lateFinesOf(context, accountant, invoiceId)).map((fine) => [
    fine.periodNumber,
    fine.periodStart,
    fine.unpaidBase,
    fine.amount,
  ]);

beforeAll(async () => {
  context = await buildTestApp();
  context.clock.set("2026-11-01T06:00:00Z");
  admin = (await signInStaff(context, "AGENCY_ADMIN")).token;
  payer = await registerEstablishment(context);
  debtor = await registerEstablishment(context);
  for (const employer of [payer, debtor]) {
    await hire(context, employer, { startDate: "2026-09-01", basic: "10000.00" });
  }
  await runBilling(context, admin, "2026-10");
  const [invoice] = (await invoicesOf(context, payer)).invoices;
  expect(invoice).toMatchObject({ dueDate: "2026-11-15", totals: { contributions: "2150.00" } });
  paidInvoiceId = invoice?.id as string;

  await moveClockTo("2026-11-10T08:00:00Z");
  const attempt = await startPayment(context, payer, paidInvoiceId, { method: "PAYMENT_INTENT" });
  paymentIntentId = attempt.stripeObjectId as string;
  context.stripe.local.state.confirmPaymentIntent(paymentIntentId, "succeeded");
  await applyStripeEvents(context, admin);
  expect(await invoiceDetail(context, payer, paidInvoiceId)).toMatchObject({ status: "PAID" });
});
afterAll(() => context.close());

describe("the late-fine job's worklist", () => {
  it("looks at each invoice the day after its due date, then only at the unpaid one, once a period", async () => {
    await moveClockTo("2026-11-15T06:00:00Z");
    expect(await assess()).toMatchObject({ invoicesExamined: 0, finesAssessed: 0 });
    await moveClockTo("2026-11-16T06:00:00Z");
    expect(await assess()).toEqual({ invoicesExamined: 2, finesAssessed: 1, amount: "43.00" });
    await moveClockTo("2026-11-17T06:00:00Z");
    expect(await assess()).toMatchObject({ invoicesExamined: 0, finesAssessed: 0 });
    await moveClockTo("2026-12-16T06:00:00Z");
    expect(await assess()).toEqual({ invoicesExamined: 1, finesAssessed: 1, amount: "43.00" });
    expect(await finesOf(paidInvoiceId)).toEqual([]);
  });

  it("puts a paid invoice back on it when the money is refunded, and fines the periods that open after", async () => {
    await moveClockTo("2026-12-20T08:00:00Z");
    await context.stripe.connection.client.refunds.create({ payment_intent: paymentIntentId });
    await applyStripeEvents(context, admin);
    expect(await invoiceDetail(context, payer, paidInvoiceId)).toMatchObject({ totals: { settled: "0.00" } });

    // Period 2 opened on 15 December with nothing unpaid: the refund of the 20th costs nothing yet.
    await moveClockTo("2026-12-21T06:00:00Z");
    expect(await assess()).toMatchObject({ invoicesExamined: 1, finesAssessed: 0 });
    await moveClockTo("2026-12-22T06:00:00Z");
    expect(await assess()).toMatchObject({ invoicesExamined: 0 });
    // Period 3 opens on 15 January with the whole 2,150.00 unpaid again, for both invoices.
    await moveClockTo("2027-01-16T06:00:00Z");
    expect(await assess()).toEqual({ invoicesExamined: 2, finesAssessed: 2, amount: "86.00" });
    expect(await finesOf(paidInvoiceId)).toEqual([[3, "2027-01-16", "2150.00", "43.00"]]);
  });
});
