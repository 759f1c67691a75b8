import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Money } from "../../src/shared/money.js";
import { hire, invoiceLines, invoicesOf, runBilling } from "../support/billing.js";
import {
  bearer,
  buildTestApp,
  moveClockAndSignIn,
  registerEstablishment,
  requestJson,
  signInStaff,
  type TestContext,
} from "../support/test-app.js";

// October 2026 is billed on 2026-11-25; the corrections are recorded in December, after it.
let context: TestContext;
let admin: string;
let employer: Awaited<ReturnType<typeof registerEstablishment>>;
let raised: { subscriberId: string; idNumber: string };
let leaver: { subscriberId: string; idNumber: string };
let steady: { subscriberId: string; idNumber: string };
let october: Awaited<ReturnType<typeof invoicesOf>>["invoices"][number];
let octoberLines: Awaited<ReturnType<typeof invoiceLines>>;

async function moveClockTo(instant: string) {
  ({ admin } = await moveClockAndSignIn(context, instant, [employer]));
}

beforeAll(async () => {
  context = await buildTestApp();
  admin = (await signInStaff(context, "AGENCY_ADMIN")).token;
  employer = await registerEstablishment(context);
  raised = await hire(context, employer, { startDate: "2026-09-01", basic: "10000.00" });
  leaver = await hire(context, employer, { nationality: "OTHER", startDate: "2026-09-01", basic: "3000.00" });
  steady = await hire(context, employer, { startDate: "2026-09-01", basic: "6000.00" });
  await runBilling(context, admin, "2026-10");
  [october] = (await invoicesOf(context, employer)).invoices as [typeof october];
  octoberLines = await invoiceLines(context, employer, october.id);
});
afterAll(() => context.close());

const employeePath = (subscriberId: string) =>
  `/v1/establishments/${employer.establishment.id}/employees/${subscriberId}`;

describe("corrections of a billed month", () => {
  it("bills a retroactive raise, a late exit and a late registration as adjustment lines on the next invoice", async () => {
    await moveClockTo("2026-12-01T06:00:00Z");
    const wage = await requestJson(
      context.app,
      "POST",
      `${employeePath(raised.subscriberId)}/wages`,
      { effectiveMonth: "2026-10", basic: "12000.00", housing: "0", correctionReason: "raise backdated by HR" },
      bearer(employer.token),
    );
    expect(wage.status).toBe(201);
    const exit = await requestJson(
      context.app,
      "POST",
      `${employeePath(leaver.subscriberId)}/end`,
      { endDate: "2026-10-15", reason: "RESIGNATION" },
      bearer(employer.token),
    );
    expect(exit.status).toBe(200);
    const late = await hire(context, employer, { startDate: "2026-10-10", basic: "4000.00" });

    const run = await runBilling(context, admin, "2026-11");
    expect(run.counts).toMatchObject({ invoices: 1, adjustmentLines: 3 });
    const [november] = (await invoicesOf(context, employer, "?month=2026-11")).invoices;
    const lines = await invoiceLines(context, employer, november?.id as string);
    const adjustments = lines.filter((line) => line.kind === "ADJUSTMENT");
    const adjustmentOf = (idNumber: string) => adjustments.find((line) => line.idNumber === idNumber);

    // 10,000 → 12,000 for October: 2,000 × (9% + 9% + 0.75% + 0.75% + 2%).
    expect(adjustmentOf(raised.idNumber)).toMatchObject({
      month: "2026-10",
      contributoryWage: "12000.00",
      amounts: {
        annuitiesEmployer: "180.00",
        annuitiesEmployee: "180.00",
        sanedEmployer: "15.00",
        sanedEmployee: "15.00",
        hazardsEmployer: "40.00",
      },
      total: "430.00",
    });
    // Billed 31 days of 3,000 × 2% = 60.00; owed 15 days = 29.03.
    expect(adjustmentOf(leaver.idNumber)).toMatchObject({ month: "2026-10", daysInService: 15, total: "-30.97" });
    // Registered in December from 10 October: 22 days of 4,000 at 21.5%, rounded per component: 610.31.
    expect(adjustmentOf(late.idNumber)).toMatchObject({ month: "2026-10", daysInService: 22, total: "610.31" });
    expect(adjustmentOf(steady.idNumber)).toBeUndefined();

    const contributions = lines.filter((line) => line.kind === "CONTRIBUTION");
    expect(contributions.map((line) => [line.idNumber, line.contributoryWage, line.daysInService]).sort()).toEqual(
      [
        [raised.idNumber, "12000.00", 30],
        [steady.idNumber, "6000.00", 30],
        [late.idNumber, "4000.00", 30],
      ].sort(),
    );
    expect(november?.totals.adjustments).toBe("1009.34");
  });

  it("never changes the original invoice", async () => {
    const [again] = (await invoicesOf(context, employer, "?month=2026-10")).invoices;
    expect(again?.totals).toEqual(october.totals);
    expect(await invoiceLines(context, employer, october.id)).toEqual(octoberLines);
  });

  it("posts the adjustments with the invoice: the receivable is the sum of both invoices", async () => {
    const [november] = (await invoicesOf(context, employer, "?month=2026-11")).invoices;
    const response = await requestJson(
      context.app,
      "GET",
      `/v1/ledger/accounts/RECEIVABLE_CONTRIBUTIONS/balance?establishmentId=${employer.establishment.id}`,
      undefined,
      bearer(admin),
    );
    const expected = Money.sar(october.totals.contributions).plus(Money.sar(november?.totals.contributions ?? "0"));
    expect((response.body as { balance: string }).balance).toBe(expected.toString());
  });

  it("corrects nothing twice: the next run finds no difference left", async () => {
    await moveClockTo("2027-01-01T06:00:00Z");
    const run = await runBilling(context, admin, "2026-12");
    expect(run.counts).toMatchObject({ invoices: 1, adjustmentLines: 0 });
  });

  it("credits a month billed twice over when an exit is moved back again, without touching earlier adjustments", async () => {
    // The late registrant actually left on 31 October: November and December were billed for nothing.
    const [december] = (await invoicesOf(context, employer)).invoices;
    const late = (await invoiceLines(context, employer, december?.id as string)).find(
      (line) => line.contributoryWage === "4000.00",
    );
    const ended = await requestJson(
      context.app,
      "POST",
      `${employeePath(late?.subscriberId as string)}/end`,
      { endDate: "2026-10-31", reason: "CONTRACT_END" },
      bearer(employer.token),
    );
    expect(ended.status).toBe(200);
    await moveClockTo("2027-02-01T06:00:00Z");
    await runBilling(context, admin, "2027-01");
    const [january] = (await invoicesOf(context, employer, "?month=2027-01")).invoices;
    const credits = (await invoiceLines(context, employer, january?.id as string)).filter(
      (line) => line.kind === "ADJUSTMENT",
    );
    expect(credits.map((line) => [line.month, line.daysInService, line.total]).sort()).toEqual([
      ["2026-11", 0, "-860.00"],
      ["2026-12", 0, "-860.00"],
    ]);
  });
});
