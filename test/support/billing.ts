import { BillingRunResponse } from "../../src/billing/schemas.js";
import { AssessmentResponse, FineListResponse } from "../../src/fines/schemas.js";
import { InvoiceDetailResponse, InvoiceLinesResponse, InvoiceListResponse } from "../../src/invoices/schemas.js";
import { newIdNumber } from "./people.js";
import { bearer, requestJson, type TestContext } from "./test-app.js";

type Establishment = { establishment: { id: string }; token: string };

/** Bills a month through HTTP and waits for the run to complete; throws if it stops with an error. */
export async function runBilling(context: TestContext, adminToken: string, month: string) {
  const started = await requestJson(context.app, "POST", "/v1/billing-runs", { month }, bearer(adminToken));
  if (started.status !== 202 && started.status !== 200) {
    throw new Error(`billing run refused: ${started.status} ${JSON.stringify(started.body)}`);
  }
  const run = BillingRunResponse.parse(started.body);
  return waitForRun(context, adminToken, run.id);
}

export async function waitForRun(context: TestContext, adminToken: string, runId: string) {
  for (let attempt = 0; attempt < 600; attempt++) {
    const response = await requestJson(context.app, "GET", `/v1/billing-runs/${runId}`, undefined, bearer(adminToken));
    const run = BillingRunResponse.parse(response.body);
    if (run.status === "COMPLETED") return run;
    if (run.lastError) throw new Error(`billing run stopped: ${run.lastError}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`billing run ${runId} did not complete`);
}

export async function invoicesOf(context: TestContext, employer: Establishment, query = "") {
  const response = await requestJson(
    context.app,
    "GET",
    `/v1/establishments/${employer.establishment.id}/invoices${query}`,
    undefined,
    bearer(employer.token),
  );
  if (response.status !== 200) throw new Error(JSON.stringify(response.body));
  return InvoiceListResponse.parse(response.body);
}

export async function invoiceDetail(context: TestContext, employer: Establishment, invoiceId: string) {
  const response = await requestJson(
    context.app,
    "GET",
    `/v1/establishments/${employer.establishment.id}/invoices/${invoiceId}`,
    undefined,
    bearer(employer.token),
  );
  if (response.status !== 200) throw new Error(JSON.stringify(response.body));
  return InvoiceDetailResponse.parse(response.body);
}

/** Every line of an invoice, following the cursor. */
export async function invoiceLines(context: TestContext, employer: Establishment, invoiceId: string) {
  const lines: ReturnType<typeof InvoiceLinesResponse.parse>["lines"] = [];
  let cursor: number | null = 0;
  while (cursor !== null) {
    const response = await requestJson(
      context.app,
      "GET",
      `/v1/establishments/${employer.establishment.id}/invoices/${invoiceId}/lines?limit=2&cursor=${cursor}`,
      undefined,
      bearer(employer.token),
    );
    if (response.status !== 200) throw new Error(JSON.stringify(response.body));
    const page = InvoiceLinesResponse.parse(response.body);
    lines.push(...page.lines);
    cursor = page.nextCursor;
  }
  return lines;
}

/** Registers an employee through HTTP; returns the subscriber id and the ID number used. */
export async function hire(
  context: TestContext,
  employer: Establishment,
  details: {
    nationality?: "SAUDI" | "OTHER" | "GCC";
    startDate: string;
    basic: string;
    housing?: string;
    legacy?: boolean;
    idNumber?: string;
  },
) {
  const nationality = details.nationality ?? "SAUDI";
  const idNumber = details.idNumber ?? newIdNumber(nationality === "SAUDI" ? "NATIONAL_ID" : "IQAMA");
  const response = await requestJson(
    context.app,
    "POST",
    `/v1/establishments/${employer.establishment.id}/employees`,
    {
      idNumber,
      nationality,
      name: `Employee ${idNumber.slice(-4)}`,
      dateOfBirth: "1990-05-05",
      occupation: "Clerk",
      startDate: details.startDate,
      hasEarlierContributionPeriods: details.legacy ?? true,
      wage: { basic: details.basic, housing: details.housing ?? "0" },
    },
    bearer(employer.token),
  );
  if (response.status !== 201) throw new Error(`hire failed: ${JSON.stringify(response.body)}`);
  return { subscriberId: (response.body as { id: string }).id, idNumber };
}

/** Runs the late-fine job now, as its schedule would (POST /v1/late-fines/assessments), and returns what it did. */
export async function assessLateFines(context: TestContext, adminToken: string) {
  const response = await requestJson(context.app, "POST", "/v1/late-fines/assessments", undefined, bearer(adminToken));
  if (response.status !== 200)
    throw new Error(`assessment refused: ${response.status} ${JSON.stringify(response.body)}`);
  return AssessmentResponse.parse(response.body);
}

/** An invoice's late fines as staff see them (GET /v1/late-fines?invoiceId=…), latest period first. */
export async function lateFinesOf(context: TestContext, staffToken: string, invoiceId: string) {
  const response = await requestJson(
    context.app,
    "GET",
    `/v1/late-fines?invoiceId=${invoiceId}`,
    undefined,
    bearer(staffToken),
  );
  if (response.status !== 200) throw new Error(`fines refused: ${response.status} ${JSON.stringify(response.body)}`);
  return FineListResponse.parse(response.body).fines;
}
