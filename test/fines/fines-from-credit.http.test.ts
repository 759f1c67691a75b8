import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assessLateFines, hire, invoiceDetail, invoicesOf, runBilling } from "../support/billing.js";
import { applyStripeEvents, ledgerBalances, paymentsOf, startPayment } from "../support/payments.js";
import {
  buildTestApp,
  moveClockAndSignIn,
  registerEstablishment,
  signInStaff,
  type TestContext,
} from "../support/test-app.js";

// October 2026 is billed 2,150.00, due 15 November. The employer pays it twice ten minutes into
// the 16th (Riyadh): a day late, so period 1 is fined on the whole 2,150.00, and the second
// payment is a credit balance when the fine is assessed half an hour later.
let context: TestContext;
let admin: string;
let accountant: string;
let employer: Awaited<ReturnType<typeof registerEstablishment>>;
let invoiceId: string;

beforeAll(async () => {
  context = await buildTestApp();
  context.clock.set("2026-11-01T06:00:00Z");
  admin = (await signInStaff(context, "AGENCY_ADMIN")).token;
  employer = await registerEstablishment(context);
  await hire(context, employer, { startDate: "2026-09-01", basic: "10000.00" });
  await runBilling(context, admin, "2026-10");
  invoiceId = (await invoicesOf(context, employer)).invoices[0]?.id as string;

  ({ admin, accountant } = await moveClockAndSignIn(context, "2026-11-15T21:10:00Z", [employer]));
  // Two tabs, two payments of the whole amount.
  const first = await startPayment(context, employer, invoiceId, { method: "PAYMENT_INTENT" });
  const second = await startPayment(context, employer, invoiceId, { method: "CHECKOUT" });
  context.stripe.local.state.confirmPaymentIntent(first.stripeObjectId as string, "succeeded");
  context.stripe.local.state.completeCheckout(second.stripeObjectId as string, "succeeded");
  await applyStripeEvents(context, admin);
  expect((await paymentsOf(context, employer)).creditBalance).toBe("2150.00");
});
afterAll(() => context.close());

describe("a fine assessed while the establishment has a credit balance", () => {
  it("is paid from the credit balance at once", async () => {
    ({ admin, accountant } = await moveClockAndSignIn(context, "2026-11-15T21:30:00Z", [employer]));
    expect(await assessLateFines(context, admin)).toEqual({ invoicesExamined: 1, finesAssessed: 1, amount: "43.00" });

    expect(await invoiceDetail(context, employer, invoiceId)).toMatchObject({
      status: "PAID",
      totals: { finesAssessed: "43.00", outstanding: "0.00" },
    });
    expect((await paymentsOf(context, employer)).creditBalance).toBe("2107.00");
    expect((await ledgerBalances(context, accountant, employer.establishment.id)).own).toEqual({
      RECEIVABLE_CONTRIBUTIONS: "0.00",
      RECEIVABLE_FINES: "0.00",
      UNAPPLIED_PAYMENTS: "-2107.00",
    });
  });
});
