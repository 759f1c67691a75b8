import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmployeeListResponse, EmployeeResponse } from "../../src/employees/schemas.js";
import { CreatedApiKeyResponse } from "../../src/employers/schemas.js";
import { employmentIdsOf, newIdNumber, subscriberNumbered } from "../support/people.js";
import {
  bearer,
  buildTestApp,
  expectError,
  registerEstablishment,
  requestJson,
  type TestContext,
} from "../support/test-app.js";

// The fixed clock is 2026-11-25: November is the month being worked, October and earlier are billed.
let context: TestContext;
let employer: Awaited<ReturnType<typeof registerEstablishment>>;
beforeAll(async () => {
  context = await buildTestApp();
  employer = await registerEstablishment(context);
});
afterAll(() => context.close());

const saudi = (overrides: Record<string, unknown> = {}) => ({
  idNumber: newIdNumber("NATIONAL_ID"),
  nationality: "SAUDI",
  name: "Fahad Al-Qahtani",
  dateOfBirth: "1995-04-12",
  occupation: "Accountant",
  startDate: "2026-11-01",
  wage: { basic: "8000.00", housing: "2000.00", otherAllowances: "500.00" },
  ...overrides,
});
const expatriate = (overrides: Record<string, unknown> = {}) => ({
  ...saudi(),
  idNumber: newIdNumber("IQAMA"),
  nationality: "OTHER",
  name: "Ravi Kumar",
  wage: { basic: "300.00", housing: "0" },
  ...overrides,
});

const employeesPath = (who = employer) => `/v1/establishments/${who.establishment.id}/employees`;
const register = (body: unknown, who = employer, headers: Record<string, string> = {}) =>
  requestJson(context.app, "POST", employeesPath(who), body, { ...bearer(who.token), ...headers });
const end = (subscriberId: string, endDate: string, reason: string, who = employer) =>
  requestJson(context.app, "POST", `${employeesPath(who)}/${subscriberId}/end`, { endDate, reason }, bearer(who.token));
const registered = async (body: unknown, who = employer) => {
  const response = await register(body, who);
  if (response.status !== 201) throw new Error(JSON.stringify(response.body));
  return EmployeeResponse.parse(response.body);
};

describe("registering employees", () => {
  it("registers a Saudi first insured after 3 July 2024 on the 2024 law, with the contributory wage derived", async () => {
    const employee = await registered(saudi());
    expect(employee).toMatchObject({
      identifierKind: "NATIONAL_ID",
      population: "SAUDI_NEW_2024",
      firstInsuredOn: "2026-11-01",
    });
    expect(employee.employments).toHaveLength(1);
    expect(employee.employments[0]?.wages[0]).toMatchObject({
      effectiveMonth: "2026-11",
      basic: "8000.00",
      housing: "2000.00",
      otherAllowances: "500.00",
      contributoryWage: "10000.00",
      isRetroactiveCorrection: false,
    });
    expect(employee.employments[0]?.wages[0]?.recordedBy).toBe(`establishment-user:${employer.admin.id}`);
  });

  it("keeps a Saudi with earlier periods on the legacy rates, and raises a non-Saudi's low wage to 400", async () => {
    expect((await registered(saudi({ hasEarlierContributionPeriods: true }))).population).toBe("SAUDI_LEGACY");
    const worker = await registered(expatriate());
    expect(worker.population).toBe("NON_SAUDI");
    expect(worker.employments[0]?.wages[0]?.contributoryWage).toBe("400.00");
  });

  it("fixes the population at first entry: a later employer does not change it", async () => {
    const idNumber = newIdNumber("NATIONAL_ID");
    const first = await registered(saudi({ idNumber, startDate: "2025-01-05", firstInsuredOn: "2019-03-01" }));
    expect(first.population).toBe("SAUDI_LEGACY");
    // A late registration reaches billed months: its wage is marked for billing to adjust.
    expect(first.employments[0]?.wages[0]).toMatchObject({
      isRetroactiveCorrection: true,
      correctionReason: "late registration",
    });
    const other = await registerEstablishment(context);
    const second = await registered(saudi({ idNumber, startDate: "2026-11-10", firstInsuredOn: "2026-11-10" }), other);
    expect(second).toMatchObject({ id: first.id, population: "SAUDI_LEGACY", firstInsuredOn: "2019-03-01" });
  });

  it.each([
    ["a 9-digit ID", { idNumber: "100000008" }, 400, "ID_FORMAT_INVALID"],
    ["an ID starting with 3", { idNumber: "3000000004" }, 400, "ID_TYPE_UNKNOWN"],
    ["a wrong check digit", { idNumber: "1000000000" }, 400, "ID_CHECK_DIGIT_INVALID"],
    ["an iqama for a Saudi", { idNumber: "2000000006" }, 422, "IQAMA_GIVEN_FOR_SAUDI"],
    [
      "a national ID for a non-Saudi",
      { idNumber: "1111111116", nationality: "OTHER" },
      422,
      "NATIONAL_ID_GIVEN_FOR_NON_SAUDI",
    ],
    ["a negative wage", { wage: { basic: "-1.00", housing: "0" } }, 400, "WAGE_NEGATIVE"],
    ["three decimals", { wage: { basic: "8000.005", housing: "0" } }, 400, "AMOUNT_PRECISION_EXCEEDED"],
    ["a wage as a JSON number", { wage: { basic: 8000, housing: "0" } }, 400, "VALIDATION_FAILED"],
    ["a start 25 months back", { startDate: "2024-10-31" }, 422, "START_DATE_TOO_FAR_BACK"],
    ["a start next month", { startDate: "2026-12-01" }, 422, "START_DATE_IN_FUTURE"],
    ["a GCC national without a country", { idNumber: "2000000006", nationality: "GCC" }, 400, "VALIDATION_FAILED"],
    ["an impossible birth date", { dateOfBirth: "1990-02-30" }, 400, "VALIDATION_FAILED"],
  ])("refuses %s and writes nothing", async (_, overrides, status, code) => {
    const before = await context.database.prisma.subscriber.count();
    expectError(await register(saudi(overrides)), status, code);
    expect(await context.database.prisma.subscriber.count()).toBe(before);
  });

  it("refuses a second active employment at the same establishment, and an overlapping one after it ends", async () => {
    const body = saudi();
    const employee = await registered(body);
    expectError(await register(body), 409, "EMPLOYMENT_ALREADY_ACTIVE");
    expect((await end(employee.id, "2026-11-15", "RESIGNATION")).status).toBe(200);
    expectError(await register({ ...body, startDate: "2026-11-15" }), 409, "EMPLOYMENT_PERIOD_OVERLAPS");
    const again = await registered({ ...body, startDate: "2026-11-20" });
    expect(again.employments.map((employment) => [employment.startDate, employment.endDate])).toEqual([
      ["2026-11-01", "2026-11-15"],
      ["2026-11-20", null],
    ]);
  });

  it("lets only one of several concurrent registrations of the same person through", async () => {
    const body = saudi();
    const answers = await Promise.all(Array.from({ length: 5 }, () => register(body)));
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409, 409, 409, 409]);
    for (const refused of answers.filter((answer) => answer.status !== 201))
      expectError(refused, 409, "EMPLOYMENT_ALREADY_ACTIVE");
    expect(
      await context.database.prisma.employment.count({
        where: { subscriberId: (await subscriberNumbered(context.database.prisma, body.idNumber)).id },
      }),
    ).toBe(1);
  });

  it("refuses an existing ID number with another date of birth", async () => {
    const body = saudi();
    await registered(body);
    const other = await registerEstablishment(context);
    expectError(await register({ ...body, dateOfBirth: "1996-04-12" }, other), 409, "SUBSCRIBER_DETAILS_MISMATCH");
  });
});

describe("ending employments", () => {
  it("records the end date and reason once; refuses an end before the start", async () => {
    const employee = await registered(saudi({ startDate: "2026-10-10" }));
    expectError(await end(employee.id, "2026-10-09", "TERMINATION"), 422, "EMPLOYMENT_END_BEFORE_START");
    const ended = EmployeeResponse.parse((await end(employee.id, "2026-11-20", "TERMINATION")).body);
    expect(ended.employments[0]).toMatchObject({ endDate: "2026-11-20", endReason: "TERMINATION" });
    expectError(await end(employee.id, "2026-11-21", "TERMINATION"), 409, "EMPLOYMENT_NOT_ACTIVE");
    expectError(await end("sub_unknown", "2026-11-21", "OTHER"), 404, "EMPLOYEE_NOT_FOUND");
  });
});

describe("wages", () => {
  it("appends changes; a billed month is a retroactive correction with its reason and author", async () => {
    const employee = await registered(saudi({ startDate: "2026-08-01" }));
    const wagesPath = `${employeesPath()}/${employee.id}/wages`;
    const post = (body: unknown) => requestJson(context.app, "POST", wagesPath, body, bearer(employer.token));

    expectError(
      await post({ effectiveMonth: "2026-09", basic: "9000.00", housing: "2250.00" }),
      422,
      "CORRECTION_REASON_REQUIRED",
    );
    const corrected = await post({
      effectiveMonth: "2026-09",
      basic: "9000.00",
      housing: "2250.00",
      correctionReason: "raise paid from September",
    });
    expect(corrected.status).toBe(201);
    const current = EmployeeResponse.parse(
      (await post({ effectiveMonth: "2026-11", basic: "9500.00", housing: "2375.00" })).body,
    );
    const wages = current.employments[0]?.wages ?? [];
    expect(
      wages.map((wage) => [
        wage.effectiveMonth,
        wage.contributoryWage,
        wage.isRetroactiveCorrection,
        wage.correctionReason,
      ]),
    ).toEqual([
      ["2026-08", "10000.00", true, "late registration"],
      ["2026-09", "11250.00", true, "raise paid from September"],
      ["2026-11", "11875.00", false, null],
    ]);
    const employmentIds = await employmentIdsOf(context.database.prisma, employee.idNumber);
    expect(await context.database.prisma.wage.count({ where: { employmentId: { in: employmentIds } } })).toBe(3);

    expectError(
      await post({ effectiveMonth: "2026-07", basic: "1.00", housing: "0", correctionReason: "x" }),
      422,
      "WAGE_MONTH_OUTSIDE_EMPLOYMENT",
    );
    expectError(
      await post({ effectiveMonth: "2024-10", basic: "1.00", housing: "0", correctionReason: "x" }),
      422,
      "WAGE_MONTH_OUT_OF_RANGE",
    );
    expectError(await post({ effectiveMonth: "2026-12", basic: "-5", housing: "0" }), 400, "WAGE_NEGATIVE");
    expectError(await post({ effectiveMonth: "2026-13", basic: "5", housing: "0" }), 400, "VALIDATION_FAILED");
  });
});

describe("reading employees", () => {
  it("lists with filters and a cursor", async () => {
    const own = await registerEstablishment(context);
    const ended = await registered(saudi({ startDate: "2026-09-01" }), own);
    expect((await end(ended.id, "2026-10-31", "CONTRACT_END", own)).status).toBe(200);
    const active = [
      await registered(saudi(), own),
      await registered(expatriate(), own),
      await registered(expatriate(), own),
    ];
    const list = async (query: string) =>
      EmployeeListResponse.parse(
        (await requestJson(context.app, "GET", `${employeesPath(own)}?${query}`, undefined, bearer(own.token))).body,
      );

    expect((await list("activeIn=2026-11")).employees.map((item) => item.id).sort()).toEqual(
      active.map((item) => item.id).sort(),
    );
    expect((await list("activeIn=2026-10")).employees.map((item) => item.id)).toEqual([ended.id]);
    expect((await list("nationality=OTHER")).employees).toHaveLength(2);
    expect((await list(`idNumber=${active[0]?.idNumber}`)).employees.map((item) => item.id)).toEqual([active[0]?.id]);
    expect((await list("activeIn=2026-11&nationality=SAUDI")).employees[0]?.contributoryWage).toBe("10000.00");

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.employees.length).toBeLessThanOrEqual(2);
      seen.push(...page.employees.map((item) => item.employmentId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(4);
    expect(new Set(seen).size).toBe(4);
  });

  it("never shows another establishment's employee", async () => {
    const employee = await registered(saudi());
    const other = await registerEstablishment(context);
    expectError(
      await requestJson(context.app, "GET", `${employeesPath(other)}/${employee.id}`, undefined, bearer(other.token)),
      404,
      "EMPLOYEE_NOT_FOUND",
    );
    expectError(
      await requestJson(context.app, "GET", `${employeesPath()}/${employee.id}`, undefined, bearer(other.token)),
      404,
      "ESTABLISHMENT_NOT_FOUND",
    );
    expectError(
      await requestJson(
        context.app,
        "POST",
        `${employeesPath()}/${employee.id}/wages`,
        { effectiveMonth: "2026-11", basic: "1.00", housing: "0" },
        bearer(other.token),
      ),
      404,
      "ESTABLISHMENT_NOT_FOUND",
    );
    const mine = EmployeeListResponse.parse(
      (await requestJson(context.app, "GET", employeesPath(other), undefined, bearer(other.token))).body,
    );
    expect(mine.employees.map((item) => item.id)).not.toContain(employee.id);
  });
});

describe("the direct link", () => {
  it("registers with an API key, and a retried request with the same Idempotency-Key creates nothing twice", async () => {
    const key = CreatedApiKeyResponse.parse(
      (
        await requestJson(
          context.app,
          "POST",
          `/v1/establishments/${employer.establishment.id}/api-keys`,
          { name: "payroll" },
          bearer(employer.token),
        )
      ).body,
    ).key;
    const body = expatriate();
    const send = () =>
      requestJson(context.app, "POST", employeesPath(), body, {
        ...bearer(key),
        "idempotency-key": `register-${body.idNumber}`,
      });
    const first = await send();
    const retry = await send();
    expect(first.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(EmployeeResponse.parse(retry.body)).toEqual(EmployeeResponse.parse(first.body));
    expect(EmployeeResponse.parse(first.body).employments[0]?.wages[0]?.recordedBy).toMatch(/^api-key:key_/);
    expect(
      await context.database.prisma.employment.count({
        where: { subscriberId: (await subscriberNumbered(context.database.prisma, body.idNumber)).id },
      }),
    ).toBe(1);
  });
});
