import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BillingRunResponse } from "../../src/billing/schemas.js";
import { createBillingService } from "../../src/billing/service.js";
import { createLogger } from "../../src/shared/logger.js";
import { hire } from "../support/billing.js";
import {
  bearer,
  buildTestApp,
  moveClockAndSignIn,
  registerEstablishment,
  requestJson,
  signInStaff,
  type TestContext,
} from "../support/test-app.js";

// One employee per establishment and one line per chunk: every establishment is its own chunk;
// two lines per partition: five lines are staged in three transactions.
let context: TestContext;
let admin: string;
let employers: Awaited<ReturnType<typeof registerEstablishment>>[];

beforeAll(async () => {
  // One worker, so the fault below stops the run at a known chunk; the concurrency test adds more.
  context = await buildTestApp({
    environment: { BILLING_CHUNK_LINES: "1", BILLING_PARTITION_LINES: "2", BILLING_RUN_WORKERS: "1" },
  });
  admin = (await signInStaff(context, "AGENCY_ADMIN")).token;
  employers = [];
  for (let index = 0; index < 5; index++) {
    const employer = await registerEstablishment(context);
    await hire(context, employer, { startDate: "2026-09-01", basic: `${5000 + index}.00` });
    employers.push(employer);
  }
});
afterAll(() => context.close());

const prisma = () => context.database.prisma;

async function runStatus(runId: string) {
  const response = await requestJson(context.app, "GET", `/v1/billing-runs/${runId}`, undefined, bearer(admin));
  return BillingRunResponse.parse(response.body);
}

async function until(condition: () => Promise<boolean>) {
  for (let attempt = 0; attempt < 500; attempt++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("condition not met in time");
}

/** Makes writing this establishment's invoice fail, as a crash midway would stop the run. */
async function failInvoicesOf(establishmentId: string) {
  await prisma().$executeRawUnsafe(`
    CREATE OR REPLACE FUNCTION test_fail_invoice() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.establishment_id = '${establishmentId}' THEN RAISE EXCEPTION 'simulated crash while issuing'; END IF;
      RETURN NEW;
    END $$`);
  await prisma().$executeRawUnsafe(
    `CREATE TRIGGER test_fail_invoice BEFORE INSERT ON invoices FOR EACH ROW EXECUTE FUNCTION test_fail_invoice()`,
  );
}

/** Every invoice, with the number of journal entries and lines posted for it. */
async function issuedState() {
  return prisma().$queryRawUnsafe<{ establishment_id: string; month: string; lines: number; entries: number }[]>(`
    SELECT i.establishment_id, to_char(i.contribution_month, 'YYYY-MM') AS month,
           (SELECT count(*)::int FROM invoice_lines l WHERE l.invoice_id = i.id) AS lines,
           (SELECT count(*)::int FROM journal_entries e WHERE e.source_type = 'INVOICE' AND e.source_id = i.id) AS entries
      FROM invoices i ORDER BY i.contribution_month, i.establishment_id`);
}

describe("a billing run that stops midway", () => {
  it("keeps the chunks it committed, leaves nothing half-written, and resumes to issue each invoice once", async () => {
    const failing = employers[2]?.establishment.id as string;
    // A fault in the middle of the run: the third establishment's invoice cannot be written.
    await failInvoicesOf(failing);
    const started = await requestJson(context.app, "POST", "/v1/billing-runs", { month: "2026-10" }, bearer(admin));
    expect(started.status).toBe(202);
    const runId = BillingRunResponse.parse(started.body).id;
    await until(async () => (await runStatus(runId)).lastError !== null);

    const stopped = await runStatus(runId);
    expect(stopped).toMatchObject({
      status: "ISSUING",
      progress: { partitions: 3, partitionsStaged: 3, chunks: 5, chunksIssued: 2 },
      counts: { invoices: 2 },
      lastError: expect.stringContaining("simulated crash"),
    });
    const partial = await issuedState();
    expect(partial).toHaveLength(2);
    expect(partial.every((invoice) => invoice.lines === 1 && invoice.entries === 1)).toBe(true);
    expect(partial.map((invoice) => invoice.establishment_id)).not.toContain(failing);
    expect(await prisma().journalEntry.count({ where: { sourceType: "INVOICE" } })).toBe(2);

    // The fault is fixed; asking for the month again resumes the same run from chunk 2.
    await prisma().$executeRawUnsafe(`DROP TRIGGER test_fail_invoice ON invoices`);
    const resumed = await requestJson(context.app, "POST", "/v1/billing-runs", { month: "2026-10" }, bearer(admin));
    expect(resumed.status).toBe(200);
    expect(BillingRunResponse.parse(resumed.body).id).toBe(runId);
    await until(async () => (await runStatus(runId)).status === "COMPLETED");

    expect(await runStatus(runId)).toMatchObject({
      progress: { chunksIssued: 5, percent: 100 },
      counts: { invoices: 5, contributionLines: 5 },
      lastError: null,
    });
    const complete = await issuedState();
    expect(complete.map((invoice) => invoice.establishment_id).sort()).toEqual(
      employers.map((employer) => employer.establishment.id).sort(),
    );
    expect(complete.every((invoice) => invoice.lines === 1 && invoice.entries === 1)).toBe(true);
  });
});

describe("the same month billed from several places at once", () => {
  it("creates one run and one invoice per establishment, whoever drives it", async () => {
    ({ admin } = await moveClockAndSignIn(context, "2026-12-01T06:00:00Z", employers));

    // Two requests at once, and a second process's scheduler driving the run alongside.
    const [first, second] = await Promise.all([
      requestJson(context.app, "POST", "/v1/billing-runs", { month: "2026-11" }, bearer(admin)),
      requestJson(context.app, "POST", "/v1/billing-runs", { month: "2026-11" }, bearer(admin)),
    ]);
    expect([first.status, second.status].sort()).toEqual([200, 202]);
    const runId = BillingRunResponse.parse(first.body).id;
    expect(BillingRunResponse.parse(second.body).id).toBe(runId);
    const otherProcess = createBillingService({
      db: prisma(),
      clock: context.clock,
      logger: createLogger({ level: "silent" }),
      chunkLines: 1,
      workers: 3,
    });
    await Promise.all([otherProcess.driveRun(runId), otherProcess.billMonthsDue()]);
    await until(async () => (await runStatus(runId)).status === "COMPLETED");

    const november = (await issuedState()).filter((invoice) => invoice.month === "2026-11");
    expect(november).toHaveLength(5);
    expect(new Set(november.map((invoice) => invoice.establishment_id)).size).toBe(5);
    expect(november.every((invoice) => invoice.lines === 1 && invoice.entries === 1)).toBe(true);
    expect(await runStatus(runId)).toMatchObject({ counts: { invoices: 5 }, progress: { chunksIssued: 5 } });
    expect(await prisma().billingRun.count()).toBe(2);
  });

  it("is what the scheduled job does on the 1st: bill the month just ended, once", async () => {
    context.clock.set("2027-01-01T00:05:00+03:00");
    const scheduler = createBillingService({
      db: prisma(),
      clock: context.clock,
      logger: createLogger({ level: "silent" }),
    });
    const [billed] = await scheduler.billMonthsDue();
    expect(billed).toMatchObject({ status: "COMPLETED", invoicesIssued: 5 });
    expect(billed?.month.toString()).toBe("2026-12");
    expect(await scheduler.billMonthsDue()).toEqual([]);
    expect(await prisma().invoice.count()).toBe(15);
  });
});

describe("a run whose staged lines are lost", () => {
  it("finds them missing when it issues, stages what is unissued again, and issues each invoice once", async () => {
    ({ admin } = await moveClockAndSignIn(context, "2027-02-01T06:00:00Z", employers));
    await failInvoicesOf(employers[3]?.establishment.id as string);
    const started = await requestJson(context.app, "POST", "/v1/billing-runs", { month: "2027-01" }, bearer(admin));
    const runId = BillingRunResponse.parse(started.body).id;
    await until(async () => (await runStatus(runId)).lastError !== null);
    const stopped = await runStatus(runId);
    expect(stopped).toMatchObject({ status: "ISSUING", progress: { partitionsStaged: stopped.progress.partitions } });
    expect(stopped.progress.chunksIssued).toBeLessThan(5);
    const [staged] = await prisma().$queryRawUnsafe<{ lines: number }[]>(
      "SELECT count(*)::int AS lines FROM billing_staged_lines",
    );
    // Every line of the month, issued chunks' included: the table is emptied when the run completes.
    expect(staged?.lines).toBe(5);

    // What a database crash does to the unlogged staging table: empties it.
    await prisma().$executeRawUnsafe("TRUNCATE billing_staged_lines");
    await prisma().$executeRawUnsafe("DROP TRIGGER test_fail_invoice ON invoices");
    const resumed = await requestJson(context.app, "POST", "/v1/billing-runs", { month: "2027-01" }, bearer(admin));
    expect(BillingRunResponse.parse(resumed.body).id).toBe(runId);
    await until(async () => (await runStatus(runId)).status === "COMPLETED");

    expect(await runStatus(runId)).toMatchObject({
      counts: { invoices: 5, contributionLines: 5 },
      progress: { chunksIssued: 5, percent: 100 },
      lastError: null,
    });
    const january = (await issuedState()).filter((invoice) => invoice.month === "2027-01");
    expect(january.map((invoice) => invoice.establishment_id).sort()).toEqual(
      employers.map((employer) => employer.establishment.id).sort(),
    );
    expect(january.every((invoice) => invoice.lines === 1 && invoice.entries === 1)).toBe(true);
    // Full months of 31 days at unchanged wages: January bills what December did, to the halala.
    const totals = await prisma().$queryRawUnsafe<{ establishment_id: string; month: string; total: string }[]>(
      `SELECT establishment_id, to_char(contribution_month, 'YYYY-MM') AS month, total::text AS total
         FROM invoices WHERE contribution_month IN ('2026-12-01', '2027-01-01') ORDER BY establishment_id, month`,
    );
    const byMonth = (month: string) =>
      totals.filter((row) => row.month === month).map(({ establishment_id, total }) => ({ establishment_id, total }));
    expect(byMonth("2027-01")).toEqual(byMonth("2026-12"));
    expect(byMonth("2027-01")).toHaveLength(5);
    // The staging table holds only a running run's lines.
    expect(await prisma().$queryRawUnsafe("SELECT 1 FROM billing_staged_lines LIMIT 1")).toEqual([]);
  });
});

describe("a run planned before runs staged their lines", () => {
  it("stages its unissued chunks in new partitions when resumed, and issues each invoice once", async () => {
    ({ admin } = await moveClockAndSignIn(context, "2027-03-01T06:00:00Z", employers));
    await failInvoicesOf(employers[1]?.establishment.id as string);
    const started = await requestJson(context.app, "POST", "/v1/billing-runs", { month: "2027-02" }, bearer(admin));
    const runId = BillingRunResponse.parse(started.body).id;
    await until(async () => (await runStatus(runId)).lastError !== null);
    const issuedBefore = (await runStatus(runId)).progress.chunksIssued;
    expect(issuedBefore).toBeLessThan(5);

    // What the code before staging left behind: no partitions, unissued chunks never staged.
    await prisma().$executeRawUnsafe(`DELETE FROM billing_run_partitions WHERE run_id = '${runId}'`);
    await prisma().$executeRawUnsafe(
      `UPDATE billing_runs SET partition_count = 0, partitions_staged = 0 WHERE id = '${runId}'`,
    );
    await prisma().$executeRawUnsafe(
      `UPDATE billing_run_chunks SET staged_lines = NULL WHERE run_id = '${runId}' AND issued_at IS NULL`,
    );
    await prisma().$executeRawUnsafe("TRUNCATE billing_staged_lines");
    await prisma().$executeRawUnsafe("DROP TRIGGER test_fail_invoice ON invoices");

    await requestJson(context.app, "POST", "/v1/billing-runs", { month: "2027-02" }, bearer(admin));
    await until(async () => (await runStatus(runId)).status === "COMPLETED");
    const completed = await runStatus(runId);
    expect(completed).toMatchObject({ counts: { invoices: 5, contributionLines: 5 }, lastError: null });
    expect(completed.progress.partitions).toBeGreaterThan(0);
    expect(completed.progress.partitionsStaged).toBe(completed.progress.partitions);

    const february = (await issuedState()).filter((invoice) => invoice.month === "2027-02");
    expect(february.map((invoice) => invoice.establishment_id).sort()).toEqual(
      employers.map((employer) => employer.establishment.id).sort(),
    );
    expect(february.every((invoice) => invoice.lines === 1 && invoice.entries === 1)).toBe(true);
    // Whole months at unchanged wages (February's 28 days of 28): what January billed, to the halala.
    const totals = await prisma().$queryRawUnsafe<{ month: string; total: string }[]>(
      `SELECT to_char(contribution_month, 'YYYY-MM') AS month, total::text AS total FROM invoices
        WHERE contribution_month IN ('2027-01-01', '2027-02-01') ORDER BY establishment_id, contribution_month`,
    );
    const of = (month: string) => totals.filter((row) => row.month === month).map((row) => row.total);
    expect(of("2027-02")).toEqual(of("2027-01"));
  });
});
