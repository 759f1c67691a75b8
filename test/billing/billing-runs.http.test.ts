import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BillingRunResponse, RateSetListResponse } from "../../src/billing/schemas.js";
import { journalEntryContentHash } from "../../src/ledger/journal-entry.js";
import { findJournalEntry, type StoredJournalEntry } from "../../src/ledger/repository.js";
import { hire, invoiceDetail, invoiceLines, invoicesOf, runBilling } from "../support/billing.js";
import {
  bearer,
  buildTestApp,
  expectError,
  moveClockAndSignIn,
  registerEstablishment,
  requestJson,
  signInStaff,
  type TestContext,
} from "../support/test-app.js";

// The clock starts on 2026-11-25: October 2026 is the month to bill.
let context: TestContext;
let admin: string;
let accountant: string;
let small: Awaited<ReturnType<typeof registerEstablishment>>;
let large: Awaited<ReturnType<typeof registerEstablishment>>;
let idle: Awaited<ReturnType<typeof registerEstablishment>>;
let saudiId: string;

beforeAll(async () => {
  context = await buildTestApp({ environment: { BILLING_CHUNK_LINES: "2" } });
  admin = (await signInStaff(context, "AGENCY_ADMIN")).token;
  accountant = (await signInStaff(context, "ACCOUNTANT")).token;
  small = await registerEstablishment(context);
  large = await registerEstablishment(context);
  idle = await registerEstablishment(context);
  // Legacy Saudi, whole month: 8,000 + 2,000 housing.
  saudiId = (await hire(context, small, { startDate: "2026-09-01", basic: "8000.00", housing: "2000.00" })).idNumber;
  // Non-Saudi joining on 20 October: 12 of 31 days, below the 400 floor.
  await hire(context, small, { nationality: "OTHER", startDate: "2026-10-20", basic: "300.00" });
  // Starts in November: nothing for October.
  await hire(context, small, { startDate: "2026-11-02", basic: "5000.00" });
  for (let index = 0; index < 5; index++) {
    await hire(context, large, { nationality: "OTHER", startDate: "2026-01-01", basic: `${2000 + index}.00` });
  }
});
afterAll(() => context.close());

/** Moves the clock and signs everyone in again: sessions do not outlive a jump of weeks. */
async function moveClockTo(instant: string) {
  ({ admin, accountant } = await moveClockAndSignIn(context, instant, [small, large, idle]));
}

describe("a billing run", () => {
  it("issues one invoice per establishment with employments in the month, with lines and branch totals", async () => {
    const run = await runBilling(context, admin, "2026-10");
    expect(run).toMatchObject({
      month: "2026-10",
      status: "COMPLETED",
      progress: { establishments: 2, percent: 100 },
      counts: { invoices: 2, contributionLines: 7, adjustmentLines: 0 },
      lastError: null,
    });
    expect(run.progress.chunks).toBeGreaterThanOrEqual(2);

    const [invoice] = (await invoicesOf(context, small)).invoices;
    expect(invoice).toMatchObject({
      number: expect.stringMatching(/^C-202610-\d{9}$/),
      month: "2026-10",
      issueDate: "2026-11-25",
      // Issued after the 1st: at least 14 days to pay, never before the 15th of the next month.
      dueDate: "2026-12-09",
      status: "OPEN",
      lineCounts: { contributions: 2, adjustments: 0 },
    });
    // Saudi: 10,000 × (9 + 0.75 + 2)% employer, (9 + 0.75)% employee. Non-Saudi: 400 × 2% × 12/31 = 3.10.
    expect(invoice?.branches).toEqual([
      { branch: "ANNUITIES", employer: "900.00", employee: "900.00", total: "1800.00" },
      { branch: "SANED", employer: "75.00", employee: "75.00", total: "150.00" },
      { branch: "OCCUPATIONAL_HAZARDS", employer: "203.10", employee: "0.00", total: "203.10" },
    ]);
    expect(invoice?.totals).toMatchObject({
      contributions: "2153.10",
      employerShare: "1178.10",
      employeeShare: "975.00",
      outstanding: "2153.10",
    });

    const lines = await invoiceLines(context, small, invoice?.id as string);
    expect(lines.map((line) => [line.kind, line.month, line.daysInService, line.contributoryWage, line.total])).toEqual(
      expect.arrayContaining([
        ["CONTRIBUTION", "2026-10", 31, "10000.00", "2150.00"],
        ["CONTRIBUTION", "2026-10", 12, "400.00", "3.10"],
      ]),
    );
    expect(lines).toHaveLength(2);
    expect(lines.find((line) => line.idNumber === saudiId)?.amounts).toEqual({
      annuitiesEmployer: "900.00",
      annuitiesEmployee: "900.00",
      sanedEmployer: "75.00",
      sanedEmployee: "75.00",
      hazardsEmployer: "200.00",
    });
    expect((await invoicesOf(context, idle)).invoices).toEqual([]);
  });

  it("refuses in the database a line whose invoice does not exist, even alongside good lines", async () => {
    const prisma = context.database.prisma;
    const linesBefore = await prisma.invoiceLine.count();
    expect(linesBefore).toBeGreaterThan(0);
    // One statement: a line for an issued invoice (a new line number) and one for no invoice.
    const copyLines = (invoiceIdOf: string) => `
      INSERT INTO invoice_lines
      SELECT ${invoiceIdOf}, line_number + 1000, kind, contribution_month, employment_id, subscriber_id,
             identifier_number, subscriber_name, population, days_in_service, contributory_wage,
             chargeable_wage, annuities_employer, annuities_employee, saned_employer, saned_employee,
             hazards_employer
        FROM (SELECT * FROM invoice_lines ORDER BY invoice_id, line_number LIMIT 2) l`;
    await expect(
      prisma.$executeRawUnsafe(
        copyLines(
          "CASE WHEN line_number = (SELECT min(line_number) FROM invoice_lines) THEN invoice_id ELSE 'inv_none' END",
        ),
      ),
    ).rejects.toThrow(/invoice inv_none, which does not exist/);
    expect(await prisma.invoiceLine.count()).toBe(linesBefore);
    // The check passes lines of invoices that exist (inserted in a transaction rolled back, as
    // invoices and their lines can never be deleted).
    await expect(
      prisma.$transaction(async (tx) => {
        await tx.$executeRawUnsafe(copyLines("invoice_id"));
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    expect(await prisma.invoiceLine.count()).toBe(linesBefore);
  });

  it("refuses in the database an invoice of no billing run, a fine check of no invoice, and removing a run with invoices", async () => {
    const prisma = context.database.prisma;
    const [issued] = await prisma.invoice.findMany({ take: 1, orderBy: { id: "asc" } });
    if (!issued) throw new Error("expected an issued invoice");
    const invoicesBefore = await prisma.invoice.count();
    // A copy of an issued invoice for another month, with or without a run that exists.
    const copyInvoice = (id: string, runId: string) => `
      INSERT INTO invoices
      SELECT '${id}', number || '-${id}', establishment_id, contribution_month - interval '1 year', '${runId}',
             issue_date, due_date, annuities_employer, annuities_employee, saned_employer, saned_employee,
             hazards_employer, adjustment_total, total, contribution_line_count, adjustment_line_count, created_at
        FROM invoices WHERE id = '${issued.id}'`;
    await expect(prisma.$executeRawUnsafe(copyInvoice("inv_norun", "run_none"))).rejects.toThrow(
      /billing run run_none, which does not exist/,
    );
    expect(await prisma.invoice.count()).toBe(invoicesBefore);
    // The same copy naming the invoice's own run passes the check (rolled back: invoices stay).
    await expect(
      prisma.$transaction(async (tx) => {
        await tx.$executeRawUnsafe(copyInvoice("inv_copy", issued.billingRunId));
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");

    const checksBefore = await prisma.lateFineCheck.count();
    await expect(
      prisma.$executeRawUnsafe(
        `INSERT INTO late_fine_checks (check_on, invoice_id) VALUES (date '2030-01-01', '${issued.id}'), (date '2030-01-01', 'inv_none')`,
      ),
    ).rejects.toThrow(/late-fine checks refer to invoice inv_none, which does not exist/);
    await prisma.$executeRawUnsafe(
      `INSERT INTO late_fine_checks (check_on, invoice_id) VALUES (date '2030-01-02', '${issued.id}')`,
    );
    await expect(
      prisma.$executeRawUnsafe(
        `UPDATE late_fine_checks SET invoice_id = 'inv_none' WHERE check_on = date '2030-01-02' AND invoice_id = '${issued.id}'`,
      ),
    ).rejects.toThrow(/invoice inv_none, which does not exist/);
    await prisma.$executeRawUnsafe(`DELETE FROM late_fine_checks WHERE check_on = date '2030-01-02'`);
    expect(await prisma.lateFineCheck.count()).toBe(checksBefore);

    const runId = issued.billingRunId;
    await expect(prisma.$executeRawUnsafe(`DELETE FROM billing_runs WHERE id = '${runId}'`)).rejects.toThrow(
      /never deleted or renumbered/,
    );
    await expect(
      prisma.$executeRawUnsafe(`UPDATE billing_runs SET id = 'run_renamed' WHERE id = '${runId}'`),
    ).rejects.toThrow(/never deleted or renumbered/);
    await expect(prisma.$executeRawUnsafe("TRUNCATE billing_runs CASCADE")).rejects.toThrow(
      /never deleted or renumbered/,
    );
    // Its status and counters still change.
    await prisma.$executeRawUnsafe(`UPDATE billing_runs SET id = id, updated_at = updated_at WHERE id = '${runId}'`);
    expect(await prisma.billingRun.count({ where: { id: runId } })).toBe(1);
    expect(await prisma.invoice.count()).toBe(invoicesBefore);
  });

  it("posts one journal entry per invoice: the receivable against contributions by branch and share", async () => {
    const balance = async (account: string, establishmentId?: string) => {
      const query = establishmentId ? `?establishmentId=${establishmentId}` : "";
      const response = await requestJson(
        context.app,
        "GET",
        `/v1/ledger/accounts/${account}/balance${query}`,
        undefined,
        bearer(accountant),
      );
      return (response.body as { balance: string }).balance;
    };
    const [smallInvoice] = (await invoicesOf(context, small)).invoices;
    const [largeInvoice] = (await invoicesOf(context, large)).invoices;
    expect(await balance("RECEIVABLE_CONTRIBUTIONS", small.establishment.id)).toBe(smallInvoice?.totals.contributions);
    expect(await balance("RECEIVABLE_CONTRIBUTIONS", large.establishment.id)).toBe(largeInvoice?.totals.contributions);
    // 5 non-Saudis at 2,000–2,004: 2% each = 40.00 + 40.02 + 40.04 + 40.06 + 40.08.
    expect(largeInvoice?.totals.contributions).toBe("200.20");
    expect(await balance("CONTRIBUTIONS_HAZARDS_EMPLOYER")).toBe("-403.30");
    expect(await balance("CONTRIBUTIONS_ANNUITIES_EMPLOYEE")).toBe("-900.00");
    const entries = await context.database.prisma.journalEntry.findMany({ where: { sourceType: "INVOICE" } });
    expect(entries.map((entry) => entry.sourceId).sort()).toEqual([smallInvoice?.id, largeInvoice?.id].sort());
    const smallEntry = entries.find((entry) => entry.sourceId === smallInvoice?.id);
    const smallEntryLines = await context.database.prisma.journalLine.findMany({
      where: { entryId: smallEntry?.id ?? "none" },
      orderBy: { lineNumber: "asc" },
    });
    expect(smallEntryLines.map((line) => [line.accountCode, line.establishmentId, line.amount.toFixed(2)])).toEqual([
      ["RECEIVABLE_CONTRIBUTIONS", small.establishment.id, "2153.10"],
      ["CONTRIBUTIONS_ANNUITIES_EMPLOYER", null, "-900.00"],
      ["CONTRIBUTIONS_ANNUITIES_EMPLOYEE", null, "-900.00"],
      ["CONTRIBUTIONS_SANED_EMPLOYER", null, "-75.00"],
      ["CONTRIBUTIONS_SANED_EMPLOYEE", null, "-75.00"],
      ["CONTRIBUTIONS_HAZARDS_EMPLOYER", null, "-203.10"],
    ]);
    // The run writes entries in SQL; their content hash is the ledger's, so a replay with the same key would match.
    for (const entry of entries) {
      const {
        id: _id,
        recordedAt: _recordedAt,
        reversedByEntryId: _reversedBy,
        reversesEntryId: _reverses,
        ...stored
      } = (await findJournalEntry(context.database.prisma, entry.id)) as StoredJournalEntry;
      const lines = stored.lines.map(({ accountCode, amount, establishmentId }) =>
        establishmentId === null ? { accountCode, amount } : { accountCode, amount, establishmentId },
      );
      expect(entry.contentHash).toBe(journalEntryContentHash({ ...stored, lines }));
      expect(entry.idempotencyKey).toBe(`invoice:${entry.sourceId}:issued`);
    }
  });

  it("returns the existing run for a month billed already, and issues nothing twice", async () => {
    const again = await requestJson(context.app, "POST", "/v1/billing-runs", { month: "2026-10" }, bearer(admin));
    expect(again.status).toBe(200);
    expect(BillingRunResponse.parse(again.body).counts.invoices).toBe(2);
    expect(await context.database.prisma.invoice.count()).toBe(2);
    const list = await requestJson(context.app, "GET", "/v1/billing-runs", undefined, bearer(accountant));
    expect((list.body as { runs: { month: string }[] }).runs.map((run) => run.month)).toEqual(["2026-10"]);
  });

  it("refuses months that cannot be billed, with a code for each reason", async () => {
    const post = (month: unknown, token = admin) =>
      requestJson(context.app, "POST", "/v1/billing-runs", { month }, bearer(token));
    expectError(await post("2026-13"), 400, "VALIDATION_FAILED");
    expectError(await post("October"), 400, "VALIDATION_FAILED");
    expectError(await post("2026-11"), 422, "BILLING_MONTH_NOT_ENDED");
    expectError(await post("2027-03"), 422, "BILLING_MONTH_NOT_ENDED");
    expectError(await post("2022-01"), 422, "BILLING_MONTH_BEFORE_RATES");
    expectError(await post("2026-08"), 422, "BILLING_MONTH_BEFORE_FIRST_RUN");
    expectError(await post("2026-09", accountant), 403, "ROLE_NOT_PERMITTED");
    expectError(
      await requestJson(context.app, "GET", "/v1/billing-runs/run_unknown", undefined, bearer(admin)),
      404,
      "BILLING_RUN_NOT_FOUND",
    );
    expect(await context.database.prisma.billingRun.count()).toBe(1);
  });

  it("hides another establishment's invoice (404) and pages invoices by cursor", async () => {
    const [invoice] = (await invoicesOf(context, small)).invoices;
    expectError(
      await requestJson(
        context.app,
        "GET",
        `/v1/establishments/${large.establishment.id}/invoices/${invoice?.id}`,
        undefined,
        bearer(large.token),
      ),
      404,
      "INVOICE_NOT_FOUND",
    );
    expectError(
      await requestJson(
        context.app,
        "GET",
        `/v1/establishments/${small.establishment.id}/invoices/${invoice?.id}`,
        undefined,
        bearer(large.token),
      ),
      404,
      "ESTABLISHMENT_NOT_FOUND",
    );
    expect((await invoicesOf(context, small, "?month=2026-09")).invoices).toEqual([]);
    expect((await invoicesOf(context, small, "?status=OPEN")).invoices).toHaveLength(1);
    expect((await invoicesOf(context, small, "?status=PAID")).invoices).toEqual([]);
    expect((await invoiceDetail(context, small, invoice?.id as string)).fines).toEqual([]);
  });

  it("bills the next month after the clock moves on, and refuses a gap", async () => {
    await moveClockTo("2027-01-02T09:00:00Z");
    expectError(
      await requestJson(context.app, "POST", "/v1/billing-runs", { month: "2026-12" }, bearer(admin)),
      409,
      "BILLING_MONTH_OUT_OF_ORDER",
    );
    const november = await runBilling(context, admin, "2026-11");
    expect(november.counts).toMatchObject({ invoices: 2, contributionLines: 8 });
    const [latest] = (await invoicesOf(context, small)).invoices;
    expect(latest).toMatchObject({ month: "2026-11", dueDate: "2027-01-16" });
    const october = (await invoicesOf(context, small, "?month=2026-10")).invoices[0];
    expect(october?.status).toBe("OVERDUE");
  });
});

describe("rate sets", () => {
  const fullSet = (fromMonth: string, annuities = "0.1") => ({
    fromMonth,
    description: "test rates",
    populations: ["SAUDI_LEGACY", "SAUDI_NEW_2024", "NON_SAUDI"].map((population) => ({
      population,
      wageFloor: population === "NON_SAUDI" ? "400.00" : "1500.00",
      wageCap: "45000.00",
      rates: [
        { branch: "ANNUITIES", share: "EMPLOYER", rate: population === "NON_SAUDI" ? "0" : annuities },
        { branch: "ANNUITIES", share: "EMPLOYEE", rate: population === "NON_SAUDI" ? "0" : annuities },
        { branch: "SANED", share: "EMPLOYER", rate: population === "NON_SAUDI" ? "0" : "0.0075" },
        { branch: "SANED", share: "EMPLOYEE", rate: population === "NON_SAUDI" ? "0" : "0.0075" },
        { branch: "OCCUPATIONAL_HAZARDS", share: "EMPLOYER", rate: "0.025" },
      ],
    })),
  });
  const add = (body: unknown, token = admin) => requestJson(context.app, "POST", "/v1/rate-sets", body, bearer(token));

  it("lists the seeded sets from the domain notes", async () => {
    const response = await requestJson(context.app, "GET", "/v1/rate-sets", undefined, bearer(accountant));
    const { rateSets } = RateSetListResponse.parse(response.body);
    expect(rateSets.map((set) => set.fromMonth)).toEqual([
      "2022-02",
      "2024-07",
      "2025-07",
      "2026-07",
      "2027-07",
      "2028-07",
    ]);
  });

  it("refuses a set with a gap, an overlap, a past month or a month taken, and writes nothing", async () => {
    const missing = fullSet("2027-03");
    missing.populations[1]?.rates.pop();
    expectError(await add(missing), 422, "RATE_SET_INCOMPLETE");
    const doubled = fullSet("2027-03");
    doubled.populations.push(doubled.populations[0] as (typeof doubled.populations)[number]);
    const overlap = expectError(await add(doubled), 422, "RATE_SET_INCOMPLETE");
    expect(overlap.details?.[0]?.message).toContain("SAUDI_LEGACY must appear exactly once");
    expectError(await add(fullSet("2027-01")), 422, "RATE_SET_NOT_IN_FUTURE");
    expectError(await add(fullSet("2026-12")), 422, "RATE_SET_NOT_IN_FUTURE");
    expectError(await add(fullSet("2027-07")), 409, "RATE_SET_EXISTS");
    expectError(await add({ ...fullSet("2027-03"), populations: [] }), 400, "VALIDATION_FAILED");
    expectError(await add(fullSet("2027-03"), accountant), 403, "ROLE_NOT_PERMITTED");
    expect(await context.database.prisma.rateSet.count()).toBe(6);
    expectError(
      await requestJson(context.app, "DELETE", "/v1/rate-sets/2024-07", undefined, bearer(admin)),
      422,
      "RATE_SET_NOT_IN_FUTURE",
    );
  });

  it("applies a new set exactly from its month, and lets an unused set be withdrawn", async () => {
    const added = await add(fullSet("2027-02", "0.12"));
    expect(added.status).toBe(201);
    expect(await context.database.prisma.rateSet.count()).toBe(7);

    await moveClockTo("2027-02-01T06:00:00Z");
    await runBilling(context, admin, "2026-12");
    await moveClockTo("2027-03-01T06:00:00Z");
    await runBilling(context, admin, "2027-01");
    await moveClockTo("2027-04-01T06:00:00Z");
    await runBilling(context, admin, "2027-02");
    const annuitiesOf = async (month: string) =>
      (await invoicesOf(context, small, `?month=${month}`)).invoices[0]?.branches[0]?.employer;
    // The two Saudis' 10,000 + 5,000 at 9% through January, at 12% from February.
    expect(await annuitiesOf("2027-01")).toBe("1350.00");
    expect(await annuitiesOf("2027-02")).toBe("1800.00");

    expectError(
      await requestJson(context.app, "DELETE", "/v1/rate-sets/2027-02", undefined, bearer(admin)),
      422,
      "RATE_SET_NOT_IN_FUTURE",
    );
    expect((await add(fullSet("2027-09"))).status).toBe(201);
    const withdrawn = await requestJson(context.app, "DELETE", "/v1/rate-sets/2027-09", undefined, bearer(admin));
    expect(withdrawn.status).toBe(204);
    expectError(
      await requestJson(context.app, "DELETE", "/v1/rate-sets/2027-09", undefined, bearer(admin)),
      404,
      "RATE_SET_NOT_FOUND",
    );
  });

  it("refuses to change a rate row in the database itself", async () => {
    await expect(
      context.database.prisma.$executeRawUnsafe(
        `UPDATE contribution_rates SET rate = 0.5 WHERE from_month = '2024-07-01'`,
      ),
    ).rejects.toThrow(/immutable/);
    await expect(context.database.prisma.$executeRawUnsafe(`UPDATE invoices SET total = 0`)).rejects.toThrow(
      /immutable/,
    );
  });
});
