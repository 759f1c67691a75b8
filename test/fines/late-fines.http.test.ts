import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LateFineResponse } from "../../src/fines/schemas.js";
import { newId } from "../../src/shared/ids.js";
import { assessLateFines, hire, invoiceDetail, invoicesOf, lateFinesOf, runBilling } from "../support/billing.js";
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

// October 2026 is billed on 1 November (due 15 November); the clock then walks past due dates.
let context: TestContext;
let admin: string;
let accountant: string;
let employer: Awaited<ReturnType<typeof registerEstablishment>>;
let invoiceId: string;

async function moveClockTo(instant: string) {
  ({ admin, accountant } = await moveClockAndSignIn(context, instant, [employer]));
}

const assess = () => assessLateFines(context, admin);
const balance = async (account: string) => {
  const response = await requestJson(
    context.app,
    "GET",
    `/v1/ledger/accounts/${account}/balance?establishmentId=${employer.establishment.id}`,
    undefined,
    bearer(accountant),
  );
  return (response.body as { balance: string }).balance;
};
const fines = () => lateFinesOf(context, accountant, invoiceId);

beforeAll(async () => {
  context = await buildTestApp();
  context.clock.set("2026-11-01T06:00:00Z");
  admin = (await signInStaff(context, "AGENCY_ADMIN")).token;
  employer = await registerEstablishment(context);
  await hire(context, employer, { startDate: "2026-09-01", basic: "10000.00" });
  await runBilling(context, admin, "2026-10");
  const [invoice] = (await invoicesOf(context, employer)).invoices;
  expect(invoice).toMatchObject({ dueDate: "2026-11-15", totals: { contributions: "2150.00" } });
  invoiceId = invoice?.id as string;
});
afterAll(() => context.close());

describe("late-payment fines", () => {
  it("assesses nothing up to the due date, then 2% for the first month or part of one, once", async () => {
    await moveClockTo("2026-11-15T20:00:00Z"); // 23:00 in Riyadh on the 15th: still on time
    expect(await assess()).toMatchObject({ finesAssessed: 0 });
    await moveClockTo("2026-11-16T06:00:00Z");
    expect(await assess()).toEqual({ invoicesExamined: 1, finesAssessed: 1, amount: "43.00" });
    const [again, concurrent] = await Promise.all([assess(), assess()]);
    expect([again?.finesAssessed, concurrent?.finesAssessed]).toEqual([0, 0]);
    expect(await fines()).toHaveLength(1);
    expect(await balance("RECEIVABLE_FINES")).toBe("43.00");
    expect((await invoicesOf(context, employer)).invoices[0]).toMatchObject({
      status: "OVERDUE",
      totals: { finesAssessed: "43.00", outstanding: "2193.00" },
    });
  });

  it("charges the next period on what was still unpaid when it opened", async () => {
    // 1,150.00 arrives on 10 December, before period 2 opens (after 15 December).
    await context.database.prisma.invoiceSettlement.create({
      data: {
        id: newId("fine"),
        invoiceId,
        sourceType: "PAYMENT",
        sourceId: "pi_test_partial",
        amount: "1150.00",
        settledOn: new Date("2026-12-10"),
        createdAt: new Date("2026-12-10T08:00:00Z"),
      },
    });
    await moveClockTo("2026-12-16T06:00:00Z");
    expect(await assess()).toMatchObject({ finesAssessed: 1, amount: "20.00" });
    expect((await fines()).map((fine) => [fine.periodNumber, fine.periodStart, fine.unpaidBase, fine.amount])).toEqual([
      [2, "2026-12-16", "1000.00", "20.00"],
      [1, "2026-11-16", "2150.00", "43.00"],
    ]);
    const detail = await invoiceDetail(context, employer, invoiceId);
    expect(detail).toMatchObject({
      status: "OVERDUE",
      totals: { finesAssessed: "63.00", settled: "1150.00", outstanding: "1063.00" },
    });
    expect(detail.fines.map((fine) => fine.amount)).toEqual(["43.00", "20.00"]);
    expect(await balance("RECEIVABLE_FINES")).toBe("63.00");
  });

  it("lets an agency admin waive a fine with a reason: a reversing entry, and who and why are kept", async () => {
    const [second] = await fines();
    const waive = (fineId: string, body: unknown, token = admin) =>
      requestJson(context.app, "POST", `/v1/late-fines/${fineId}/waive`, body, bearer(token));
    expectError(await waive(second?.id as string, { reason: "ok" }), 400, "VALIDATION_FAILED");
    expectError(
      await waive(second?.id as string, { reason: "employer hardship" }, accountant),
      403,
      "ROLE_NOT_PERMITTED",
    );
    expectError(await waive("fine_unknown", { reason: "employer hardship" }), 404, "LATE_FINE_NOT_FOUND");

    const waived = await waive(second?.id as string, { reason: "employer hardship, approved" });
    expect(waived.status).toBe(200);
    const fine = LateFineResponse.parse(waived.body);
    expect(fine.waived).toMatchObject({ reason: "employer hardship, approved", by: expect.stringMatching(/^staff:/) });
    expect(await balance("RECEIVABLE_FINES")).toBe("43.00");
    const reversal = await requestJson(
      context.app,
      "GET",
      `/v1/ledger/entries/${fine.waived?.reversalEntryId}`,
      undefined,
      bearer(accountant),
    );
    expect(reversal.body).toMatchObject({ reversesEntryId: fine.journalEntryId });
    expectError(await waive(second?.id as string, { reason: "employer hardship" }), 409, "LATE_FINE_ALREADY_WAIVED");
    expect((await invoiceDetail(context, employer, invoiceId)).totals).toMatchObject({
      finesWaived: "20.00",
      outstanding: "1043.00",
    });
  });

  it("refuses to change an assessed fine in the database", async () => {
    await expect(
      context.database.prisma.$executeRawUnsafe(`UPDATE late_fines SET amount = 1 WHERE invoice_id = '${invoiceId}'`),
    ).rejects.toThrow(/immutable/);
  });
});
