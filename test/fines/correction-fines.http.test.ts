import { afterAll, describe, expect, it } from "vitest";
import { assessLateFines, hire, invoicesOf, lateFinesOf, runBilling } from "../support/billing.js";
import {
  bearer,
  buildTestApp,
  moveClockAndSignIn,
  registerEstablishment,
  requestJson,
  signInStaff,
  type TestContext,
} from "../support/test-app.js";

/**
 * billing-cycle.md §6: a correction billed late owes fines from the corrected month's own due
 * date, behind the switch LATE_FINES_ON_CORRECTIONS. October 2026 is billed on 1 November (due
 * 15 November); on 1 December a raise to 12,000.00 backdated to October adds 2,000 × 21.5% =
 * 430.00 to November's invoice (due 15 December), which bills 2,580.00 for November itself.
 */
async function billCorrectionLate(environment: Record<string, string> = {}) {
  const context = await buildTestApp({ environment });
  context.clock.set("2026-11-01T06:00:00Z");
  let admin = (await signInStaff(context, "AGENCY_ADMIN")).token;
  const employer = await registerEstablishment(context);
  const employee = await hire(context, employer, { startDate: "2026-09-01", basic: "10000.00" });
  await runBilling(context, admin, "2026-10");

  ({ admin } = await moveClockAndSignIn(context, "2026-12-01T06:00:00Z", [employer]));
  const raise = await requestJson(
    context.app,
    "POST",
    `/v1/establishments/${employer.establishment.id}/employees/${employee.subscriberId}/wages`,
    { effectiveMonth: "2026-10", basic: "12000.00", housing: "0", correctionReason: "raise backdated by HR" },
    bearer(employer.token),
  );
  expect(raise.status).toBe(201);
  await runBilling(context, admin, "2026-11");
  const [november] = (await invoicesOf(context, employer, "?month=2026-11")).invoices;
  expect(november).toMatchObject({ dueDate: "2026-12-15", totals: { contributions: "3010.00" } });

  const assessOn = async (instant: string) => {
    const { admin: staff, accountant } = await moveClockAndSignIn(context, instant, [employer]);
    await assessLateFines(context, staff);
    // Latest period first, as the list answers.
    return (await lateFinesOf(context, accountant, november?.id as string)).map((fine) => ({
      period: fine.periodNumber,
      start: fine.periodStart,
      unpaidBase: fine.unpaidBase,
      amount: fine.amount,
      posted: fine.journalEntryId !== null,
    }));
  };
  return { context, assessOn };
}

const contexts: TestContext[] = [];
afterAll(async () => {
  for (const context of contexts) await context.close();
});

describe("fines on a correction billed late", () => {
  it("by default run from the corrected month's due date: period 0 at issue, then the invoice's own", async () => {
    const { context, assessOn } = await billCorrectionLate();
    contexts.push(context);
    const october = { period: 0, start: "2026-11-16", unpaidBase: "430.00", amount: "8.60", posted: true };
    expect(await assessOn("2026-12-02T06:00:00Z")).toEqual([october]);
    // The next night finds nothing new; after the due date, period 1 on the whole invoice.
    expect(await assessOn("2026-12-03T06:00:00Z")).toEqual([october]);
    expect(await assessOn("2026-12-16T06:00:00Z")).toEqual([
      { period: 1, start: "2026-12-16", unpaidBase: "3010.00", amount: "60.20", posted: true },
      october,
    ]);
  });

  it("with LATE_FINES_ON_CORRECTIONS=INVOICE_DUE_DATE run from the invoice's due date only", async () => {
    const { context, assessOn } = await billCorrectionLate({ LATE_FINES_ON_CORRECTIONS: "INVOICE_DUE_DATE" });
    contexts.push(context);
    expect(await assessOn("2026-12-02T06:00:00Z")).toEqual([]);
    expect(await assessOn("2026-12-16T06:00:00Z")).toEqual([
      { period: 1, start: "2026-12-16", unpaidBase: "3010.00", amount: "60.20", posted: true },
    ]);
  });
});
