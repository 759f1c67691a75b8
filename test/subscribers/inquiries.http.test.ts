import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Money } from "../../src/shared/money.js";
import { MonthsResponse, PeriodsResponse, WagesResponse } from "../../src/subscribers/schemas.js";
import { hire, invoiceLines, invoicesOf, runBilling } from "../support/billing.js";
import { applyStripeEvents, startPayment } from "../support/payments.js";
import { e164, messagesTo, noticeJobs, registerSubscriber, signInSubscriber } from "../support/subscribers.js";
import {
  bearer,
  buildTestApp,
  expectError,
  registerEstablishment,
  requestJson,
  signInEstablishment,
  signInStaff,
  type TestContext,
} from "../support/test-app.js";

// 25 November 2026: October is billed (due in December); the first billing run is October's,
// so September was billed before Ishtirak's records begin.
let context: TestContext;
let admin: string;
type Employer = Awaited<ReturnType<typeof registerEstablishment>>;
let payer: Employer;
let defaulter: Employer;
let partPayer: Employer;
let person: Awaited<ReturnType<typeof registerSubscriber>>;
let other: Awaited<ReturnType<typeof registerSubscriber>>;

/** The month rows, each with its establishment looked up from the answer's employments. */
const months = async (token = person.token, query = "") => {
  const response = await requestJson(
    context.app,
    "GET",
    `/v1/subscribers/me/contribution-months${query}`,
    undefined,
    bearer(token),
  );
  expect(response.status).toBe(200);
  const answer = MonthsResponse.parse(response.body);
  const establishments = new Map(answer.employments.map((entry) => [entry.employmentId, entry.establishment]));
  return answer.months.map((row) => ({ ...row, establishment: establishments.get(row.employmentId) }));
};
const monthAt = async (employer: Employer, month: string) => {
  const row = (await months()).find(
    (entry) => entry.month === month && entry.establishment?.id === employer.establishment.id,
  );
  if (!row) throw new Error(`no ${month} row for ${employer.establishment.id}`);
  return row;
};
const octoberInvoice = async (employer: Employer) => {
  const [invoice] = (await invoicesOf(context, employer, "?month=2026-10")).invoices;
  if (!invoice) throw new Error("no October invoice");
  return invoice;
};
async function payThroughCheckout(employer: Employer, amount?: string) {
  const invoice = await octoberInvoice(employer);
  const attempt = await startPayment(context, employer, invoice.id, amount ? { amount } : {});
  const paid = await fetch(attempt.checkoutUrl as string, {
    method: "POST",
    body: new URLSearchParams({ outcome: "succeeded" }),
    redirect: "manual",
  });
  expect(paid.status).toBe(303);
  expect((await applyStripeEvents(context, admin)).failed).toBe(0);
}

beforeAll(async () => {
  context = await buildTestApp();
  admin = (await signInStaff(context, "AGENCY_ADMIN")).token;
  payer = await registerEstablishment(context);
  defaulter = await registerEstablishment(context);
  partPayer = await registerEstablishment(context);
  const { idNumber } = await hire(context, payer, { startDate: "2026-09-01", basic: "8000.00", housing: "2000.00" });
  context.clock.advanceBy(1000);
  person = await registerSubscriber(context, { idNumber });
  context.clock.advanceBy(1000);
  await hire(context, defaulter, { startDate: "2026-10-01", basic: "5000.00", idNumber });
  await hire(context, partPayer, { startDate: "2026-10-10", basic: "4000.00", idNumber });
  const { idNumber: otherId } = await hire(context, payer, { startDate: "2026-09-01", basic: "6000.00" });
  other = await registerSubscriber(context, { idNumber: otherId });
  await runBilling(context, admin, "2026-10");
});
afterAll(() => context.close());

describe("month by month: was what was deducted paid in?", () => {
  it("shows each month's wage and shares from the invoice lines, billed but not yet due as UNPAID", async () => {
    const october = await monthAt(payer, "2026-10");
    const invoice = await octoberInvoice(payer);
    const line = (await invoiceLines(context, payer, invoice.id)).find(
      (entry) => entry.subscriberId === person.subscriberId,
    );
    expect(october.establishment).toMatchObject({ nameEn: payer.body.nameEn });
    expect(october).toMatchObject({
      status: "UNPAID",
      contributoryWage: line?.contributoryWage,
      employeeShare: line?.employeeTotal,
      employerShare: line?.employerTotal,
      daysInService: 31,
      invoices: [{ number: invoice.number, dueDate: invoice.dueDate, paid: false }],
    });
    expect(Money.sar(october.employeeShare).isPositive()).toBe(true);
    expect(await monthAt(payer, "2026-11")).toMatchObject({
      status: "NOT_YET_BILLED",
      employeeShare: "0.00",
      contributoryWage: null,
    });
    expect(await monthAt(payer, "2026-09")).toMatchObject({ status: "BEFORE_RECORDS", daysInService: 30 });
    expect(await monthAt(partPayer, "2026-10")).toMatchObject({ status: "UNPAID", daysInService: 22 });
  });

  it("lists newest month first and filters by month range", async () => {
    const all = await months();
    expect(all.map((row) => row.month)).toEqual([...all.map((row) => row.month)].sort().reverse());
    const onlyOctober = await months(person.token, "?from=2026-10&to=2026-10");
    expect(onlyOctober).toHaveLength(3);
    expect(new Set(onlyOctober.map((row) => row.month))).toEqual(new Set(["2026-10"]));
    const reversed = await requestJson(
      context.app,
      "GET",
      "/v1/subscribers/me/contribution-months?from=2026-10&to=2026-09",
      undefined,
      bearer(person.token),
    );
    expectError(reversed, 400, "DATE_RANGE_REVERSED");
  });

  it("turns PAID once the employer pays through Stripe, PARTIALLY_PAID for part, OVERDUE after the due date", async () => {
    await payThroughCheckout(payer);
    expect((await monthAt(payer, "2026-10")).status).toBe("PAID");
    expect((await monthAt(payer, "2026-10")).invoices[0]?.paid).toBe(true);

    const partInvoice = await octoberInvoice(partPayer);
    await payThroughCheckout(partPayer, Money.sar(partInvoice.totals.outstanding).minus(Money.sar("10.00")).toString());
    expect((await monthAt(partPayer, "2026-10")).status).toBe("PARTIALLY_PAID");
    expect((await monthAt(defaulter, "2026-10")).status).toBe("UNPAID");

    const dueDate = (await octoberInvoice(defaulter)).dueDate;
    context.clock.set(`${dueDate}T23:00:00.000Z`);
    const token = ((await signInSubscriber(context, person.idNumber)).body as { token: string }).token;
    const after = await months(token, "?from=2026-10&to=2026-10");
    const statusOf = (employer: Employer) =>
      after.find((row) => row.establishment?.id === employer.establishment.id)?.status;
    expect(statusOf(payer)).toBe("PAID");
    expect(statusOf(defaulter)).toBe("OVERDUE");
    expect(statusOf(partPayer)).toBe("OVERDUE");

    // Each overdue month is texted once, however often the daily job runs.
    const jobs = noticeJobs(context);
    await jobs.sendOverdueNotices();
    await jobs.sendOverdueNotices();
    const overdue = (await messagesTo(context, e164(person.mobile))).filter(
      (message) => message.purpose === "MONTH_OVERDUE",
    );
    expect(overdue).toHaveLength(2);
    expect(overdue.every((message) => message.status === "SENT" && message.body.includes("2026-10"))).toBe(true);
    expect(overdue.map((message) => message.body).join(" ")).toContain(defaulter.body.nameEn);
    // Back to late morning on the 25th, after everything beforeAll recorded.
    context.clock.set("2026-11-25T10:00:00.000Z");
  });
});

describe("employment notices", () => {
  it("texts the subscriber once when an employer registers or ends their employment after they have an account", async () => {
    const jobs = noticeJobs(context);
    await jobs.sendEmploymentNotices();
    const newEmployer = await registerEstablishment(context);
    await hire(context, newEmployer, { startDate: "2026-11-01", basic: "7000.00", idNumber: person.idNumber });
    payer.token = await signInEstablishment(context, payer);
    const ended = await requestJson(
      context.app,
      "POST",
      `/v1/establishments/${payer.establishment.id}/employees/${person.subscriberId}/end`,
      { endDate: "2026-11-20", reason: "RESIGNATION" },
      bearer(payer.token),
    );
    expect(ended.status).toBe(200);
    await jobs.sendEmploymentNotices();
    await jobs.sendEmploymentNotices();
    const notices = (await messagesTo(context, e164(person.mobile))).filter((message) =>
      message.purpose.startsWith("EMPLOYMENT_"),
    );
    // The first employer registered the person before the account existed: no notice for it.
    expect(notices.map((message) => message.purpose).sort()).toEqual([
      "EMPLOYMENT_ENDED",
      "EMPLOYMENT_REGISTERED",
      "EMPLOYMENT_REGISTERED",
      "EMPLOYMENT_REGISTERED",
    ]);
    expect(
      notices.some(
        (message) => message.body.includes(payer.body.nameEn) && message.purpose === "EMPLOYMENT_REGISTERED",
      ),
    ).toBe(false);
    expect(notices.filter((message) => message.body.includes(newEmployer.body.nameEn))).toHaveLength(1);
    expect(notices.find((message) => message.purpose === "EMPLOYMENT_ENDED")?.body).toContain("2026-11-20");
  });
});

describe("wages and contribution periods", () => {
  it("lists every employment with its months and days, and the insured months counted once", async () => {
    const response = await requestJson(
      context.app,
      "GET",
      "/v1/subscribers/me/contribution-periods",
      undefined,
      bearer(person.token),
    );
    const periods = PeriodsResponse.parse(response.body);
    const atPayer = periods.periods.find((period) => period.establishment.id === payer.establishment.id);
    expect(atPayer).toMatchObject({
      startDate: "2026-09-01",
      endDate: "2026-11-20",
      active: false,
      fullMonths: 2,
      partMonthDays: 20,
    });
    const atDefaulter = periods.periods.find((period) => period.establishment.id === defaulter.establishment.id);
    expect(atDefaulter).toMatchObject({ endDate: null, active: true, fullMonths: 1, partMonthDays: 25 });
    expect(periods.totalInsuredMonths).toBe(3);
  });

  it("lists the registered wages per employer with the contributory wage", async () => {
    const response = await requestJson(
      context.app,
      "GET",
      `/v1/subscribers/${person.subscriberId}/wages`,
      undefined,
      bearer(person.token),
    );
    const wages = WagesResponse.parse(response.body);
    const atPayer = wages.employments.find((employment) => employment.establishment.id === payer.establishment.id);
    expect(atPayer?.wages).toEqual([
      expect.objectContaining({
        effectiveMonth: "2026-09",
        basic: "8000.00",
        housing: "2000.00",
        contributoryWage: "10000.00",
      }),
    ]);
  });
});

describe("privacy", () => {
  it("answers 404 for another subscriber's records and 401 without a session", async () => {
    for (const path of ["contribution-months", "contribution-periods", "wages", "certificates"]) {
      const response = await requestJson(
        context.app,
        "GET",
        `/v1/subscribers/${other.subscriberId}/${path}`,
        undefined,
        bearer(person.token),
      );
      expectError(response, 404, "SUBSCRIBER_NOT_FOUND");
      expectError(await requestJson(context.app, "GET", `/v1/subscribers/me/${path}`), 401, "AUTHENTICATION_REQUIRED");
    }
    const own = await requestJson(
      context.app,
      "GET",
      `/v1/subscribers/${person.subscriberId}/contribution-months`,
      undefined,
      bearer(person.token),
    );
    expect(own.status).toBe(200);
  });
});

describe("the public inquiry", () => {
  const ask = (idNumber: string, dateOfBirth: string) =>
    requestJson(context.app, "POST", "/v1/public/insurance-inquiries", { idNumber, dateOfBirth });

  it("says whether an ID is insured, with the name masked, only with the right date of birth; rate-limited", async () => {
    const found = await ask(person.idNumber, "1990-05-05");
    expect(found.body).toEqual({
      registered: true,
      maskedName: expect.stringMatching(/^E\*+ \d\*+$/),
      currentlyEmployed: true,
    });
    expect(JSON.stringify(found.body)).not.toContain(person.idNumber.slice(-4));
    expect((await ask(person.idNumber, "1990-05-06")).body).toEqual({ registered: false });
    expect((await ask("1000000008", "1990-05-05")).body).toEqual({ registered: false });
    expectError(await ask("1000000000", "1990-05-05"), 400, "ID_CHECK_DIGIT_INVALID");
    for (let request = 3; request < 10; request++) expect((await ask(person.idNumber, "1990-05-05")).status).toBe(200);
    const limited = await ask(person.idNumber, "1990-05-05");
    expectError(limited, 429, "RATE_LIMITED");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});
