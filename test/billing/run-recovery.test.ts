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

// One employee per establishment and one line per chunk: every establishment is its own chunk.
let context: TestContext;
let admin: string;
let employers: Awaited<ReturnType<typeof registerEstablishment>>[];

beforeAll(async () => {
  // One worker, so the fault below stops the run at a known chunk; the concurrency test adds more.
  context = await buildTestApp({ environment: { BILLING_CHUNK_LINES: "1", BILLING_RUN_WORKERS: "1" } });
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
    await prisma().$executeRawUnsafe(`
      CREATE FUNCTION test_fail_invoice() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.establishment_id = '${failing}' THEN RAISE EXCEPTION 'simulated crash while issuing'; END IF;
        RETURN NEW;
      END $$`);
    await prisma().$executeRawUnsafe(
      `CREATE TRIGGER test_fail_invoice BEFORE INSERT ON invoices FOR EACH ROW EXECUTE FUNCTION test_fail_invoice()`,
    );
    const started = await requestJson(context.app, "POST", "/v1/billing-runs", { month: "2026-10" }, bearer(admin));
    expect(started.status).toBe(202);
    const runId = BillingRunResponse.parse(started.body).id;
    await until(async () => (await runStatus(runId)).lastError !== null);

    const stopped = await runStatus(runId);
    expect(stopped).toMatchObject({
      status: "ISSUING",
      progress: { chunks: 5, chunksIssued: 2 },
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
