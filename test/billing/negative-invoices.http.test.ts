import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Money } from "../../src/shared/money.js";
import { hire, invoiceDetail, invoicesOf, runBilling } from "../support/billing.js";
import { ledgerBalances, paymentsOf } from "../support/payments.js";
import {
  bearer,
  buildTestApp,
  moveClockAndSignIn,
  registerEstablishment,
  requestJson,
  type TestContext,
} from "../support/test-app.js";

/**
 * An invoice whose corrections outweigh what it bills owes nothing, and its credit goes to the
 * establishment's credit balance, applied to the open invoices. Here: one employee, October
 * billed on 1 November (2,150.00, left unpaid); on 1 December the employer records that the
 * employee left on 15 October, so November's invoice bills nothing for November and takes back
 * the second half of October.
 */
let context: TestContext;
let admin: string;
let accountant: string;
let employer: Awaited<ReturnType<typeof registerEstablishment>>;
let octoberId: string;
let novemberId: string;
let credit: Money;

const moveClockTo = async (instant: string) => {
  ({ admin, accountant } = await moveClockAndSignIn(context, instant, [employer]));
};
/** The establishment's own receivable and credit balance in the ledger, and its credit balance as the API tells it. */
const positions = async () => {
  const { own } = await ledgerBalances(context, accountant, employer.establishment.id);
  const { creditBalance } = await paymentsOf(context, employer);
  return { receivable: own.RECEIVABLE_CONTRIBUTIONS, unapplied: own.UNAPPLIED_PAYMENTS, creditBalance };
};

beforeAll(async () => {
  context = await buildTestApp();
  context.clock.set("2026-11-01T06:00:00Z");
  employer = await registerEstablishment(context);
  await moveClockTo("2026-11-01T06:00:00Z");
  const employee = await hire(context, employer, { startDate: "2026-09-01", basic: "10000.00" });
  await runBilling(context, admin, "2026-10");
  const [october] = (await invoicesOf(context, employer, "?month=2026-10")).invoices;
  expect(october?.totals.contributions).toBe("2150.00");
  octoberId = october?.id as string;

  await moveClockTo("2026-12-01T06:00:00Z");
  const exit = await requestJson(
    context.app,
    "POST",
    `/v1/establishments/${employer.establishment.id}/employees/${employee.subscriberId}/end`,
    { endDate: "2026-10-15", reason: "RESIGNATION" },
    bearer(employer.token),
  );
  expect(exit.status).toBe(200);
  await runBilling(context, admin, "2026-11");
  const [november] = (await invoicesOf(context, employer, "?month=2026-11")).invoices;
  novemberId = november?.id as string;
  const total = Money.fromDecimal(november?.totals.contributions as string);
  expect(total.isNegative()).toBe(true);
  expect(november?.lineCounts).toEqual({ contributions: 0, adjustments: 1 });
  credit = total.negate();
});
afterAll(() => context.close());

describe("an invoice with a negative total", () => {
  it("owes nothing, and its credit settles the establishment's open invoice as the run issues it", async () => {
    const november = await invoiceDetail(context, employer, novemberId);
    expect(november.totals.outstanding).toBe("0.00");
    const october = await invoiceDetail(context, employer, octoberId);
    expect(october.totals.settled).toBe(credit.toString());
    expect(october.totals.outstanding).toBe(Money.sar("2150.00").minus(credit).toString());
    expect(october.status).toBe("OVERDUE"); // past its due date, and not paid in full
    // Nothing is left on the credit balance; the receivable is what October still owes.
    expect(await positions()).toEqual({
      receivable: october.totals.outstanding,
      unapplied: "0.00",
      creditBalance: "0.00",
    });
  });

  it("voided, takes its credit back: the settlement it made on the older invoice is released", async () => {
    await moveClockTo("2026-12-02T06:00:00Z");
    const voided = await requestJson(
      context.app,
      "POST",
      `/v1/invoices/${novemberId}/void`,
      { reason: "exit recorded on the wrong employee" },
      bearer(admin),
    );
    expect(voided.status).toBe(201);
    const october = await invoiceDetail(context, employer, octoberId);
    expect(october.totals.settled).toBe("0.00");
    expect(october.totals.outstanding).toBe("2150.00");
    expect(await positions()).toEqual({ receivable: "2150.00", unapplied: "0.00", creditBalance: "0.00" });
  });
});
