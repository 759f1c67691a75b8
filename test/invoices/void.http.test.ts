import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreditNoteResponse } from "../../src/invoices/schemas.js";
import { newId } from "../../src/shared/ids.js";
import { hire, invoiceLines, invoicesOf, runBilling } from "../support/billing.js";
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

// October 2026 is billed on 25 November (due 9 December); voids happen before November is billed.
let context: TestContext;
let admin: string;
let accountant: string;
let voided: Awaited<ReturnType<typeof registerEstablishment>>;
let paid: Awaited<ReturnType<typeof registerEstablishment>>;
let fined: Awaited<ReturnType<typeof registerEstablishment>>;
let finedEmployee: { subscriberId: string };
const employers = () => [voided, paid, fined];

async function moveClockTo(instant: string) {
  ({ admin, accountant } = await moveClockAndSignIn(context, instant, employers()));
}

const octoberInvoice = async (employer: typeof voided) =>
  (await invoicesOf(context, employer, "?month=2026-10")).invoices[0] as NonNullable<
    Awaited<ReturnType<typeof invoicesOf>>["invoices"][number]
  >;
const voidInvoice = (invoiceId: string, body: unknown = { reason: "billed in error" }, token = admin) =>
  requestJson(context.app, "POST", `/v1/invoices/${invoiceId}/void`, body, bearer(token));
const receivable = async (employer: typeof voided) => {
  const response = await requestJson(
    context.app,
    "GET",
    `/v1/ledger/accounts/RECEIVABLE_CONTRIBUTIONS/balance?establishmentId=${employer.establishment.id}`,
    undefined,
    bearer(accountant),
  );
  return (response.body as { balance: string }).balance;
};

beforeAll(async () => {
  context = await buildTestApp();
  admin = (await signInStaff(context, "AGENCY_ADMIN")).token;
  accountant = (await signInStaff(context, "ACCOUNTANT")).token;
  voided = await registerEstablishment(context);
  paid = await registerEstablishment(context);
  fined = await registerEstablishment(context);
  await hire(context, voided, { startDate: "2026-09-01", basic: "10000.00" });
  await hire(context, voided, { nationality: "OTHER", startDate: "2026-09-01", basic: "3000.00" });
  await hire(context, paid, { nationality: "OTHER", startDate: "2026-09-01", basic: "5000.00" });
  finedEmployee = await hire(context, fined, { startDate: "2026-09-01", basic: "8000.00" });
  await runBilling(context, admin, "2026-10");
});
afterAll(() => context.close());

describe("voiding an invoice with a credit note", () => {
  it("is for agency admins, with a reason", async () => {
    const invoice = await octoberInvoice(voided);
    expectError(await voidInvoice(invoice.id, { reason: "billed in error" }, accountant), 403, "ROLE_NOT_PERMITTED");
    expectError(await voidInvoice(invoice.id, { reason: "no" }), 400, "VALIDATION_FAILED");
    expectError(await voidInvoice("inv_unknown"), 404, "INVOICE_NOT_FOUND");
    expect((await octoberInvoice(voided)).status).toBe("OPEN");
  });

  it("reverses the posting, shows the invoice as VOID, and happens once", async () => {
    const invoice = await octoberInvoice(voided);
    expect(await receivable(voided)).toBe(invoice.totals.contributions);
    const response = await voidInvoice(invoice.id, { reason: "registered under the wrong establishment" });
    expect(response.status).toBe(201);
    const credit = CreditNoteResponse.parse(response.body);
    expect(credit).toMatchObject({
      creditNoteNumber: `CN-${invoice.number}`,
      voidedBy: expect.stringMatching(/^staff:/),
    });
    expect(await receivable(voided)).toBe("0.00");
    const reversal = await requestJson(
      context.app,
      "GET",
      `/v1/ledger/entries/${credit.reversalEntryId}`,
      undefined,
      bearer(accountant),
    );
    expect((reversal.body as { description: string }).description).toContain(credit.creditNoteNumber);
    expect((await invoicesOf(context, voided, "?status=VOID")).invoices.map((item) => item.id)).toEqual([invoice.id]);
    expectError(await voidInvoice(invoice.id), 409, "INVOICE_ALREADY_VOID");
  });

  it("refuses an invoice money was applied to", async () => {
    const invoice = await octoberInvoice(paid);
    await context.database.prisma.invoiceSettlement.create({
      data: {
        id: newId("fine"),
        invoiceId: invoice.id,
        sourceType: "PAYMENT",
        sourceId: "pi_test_paid",
        amount: invoice.totals.contributions,
        settledOn: new Date("2026-11-26"),
        createdAt: new Date("2026-11-26T08:00:00Z"),
      },
    });
    expectError(await voidInvoice(invoice.id), 409, "INVOICE_HAS_SETTLEMENTS");
    expect((await octoberInvoice(paid)).status).toBe("PAID");
  });

  it("fines nothing on a voided invoice, and voids a fined one only once its fines are waived", async () => {
    await moveClockTo("2026-12-10T06:00:00Z");
    const assessed = await requestJson(context.app, "POST", "/v1/late-fines/assessments", undefined, bearer(admin));
    expect(assessed.body).toMatchObject({ finesAssessed: 1 });
    const invoice = await octoberInvoice(fined);
    expectError(await voidInvoice(invoice.id), 409, "INVOICE_HAS_FINES");
    const [fine] = (
      (await requestJson(context.app, "GET", `/v1/late-fines?invoiceId=${invoice.id}`, undefined, bearer(admin)))
        .body as { fines: { id: string }[] }
    ).fines;
    await requestJson(
      context.app,
      "POST",
      `/v1/late-fines/${fine?.id}/waive`,
      { reason: "voided next" },
      bearer(admin),
    );
    expect((await voidInvoice(invoice.id)).status).toBe(201);
  });

  it("lets the next run bill what the voided months really owe, as adjustments", async () => {
    // The fined establishment's employee had in fact left on 30 September: October owes nothing.
    const ended = await requestJson(
      context.app,
      "POST",
      `/v1/establishments/${fined.establishment.id}/employees/${finedEmployee.subscriberId}/end`,
      { endDate: "2026-09-30", reason: "RESIGNATION" },
      bearer(fined.token),
    );
    expect(ended.status).toBe(200);
    await runBilling(context, admin, "2026-11");

    const october = await octoberInvoice(voided);
    const [november] = (await invoicesOf(context, voided, "?month=2026-11")).invoices;
    const adjustments = (await invoiceLines(context, voided, november?.id as string)).filter(
      (line) => line.kind === "ADJUSTMENT",
    );
    expect(adjustments.map((line) => line.month)).toEqual(["2026-10", "2026-10"]);
    expect(november?.totals.adjustments).toBe(october.totals.contributions);
    expect((await invoicesOf(context, fined, "?month=2026-11")).invoices).toEqual([]);
    expect((await invoicesOf(context, paid, "?month=2026-11")).invoices[0]?.lineCounts).toEqual({
      contributions: 1,
      adjustments: 0,
    });
  });
});
