import { createRoute } from "@hono/zod-openapi";
import { requireStaff, staffActor } from "../auth/middleware.js";
import type { AuthService } from "../auth/service.js";
import { ContributionMonth } from "../shared/contribution-month.js";
import { createRouter, errorResponses, jsonContent, sessionSecurity } from "../shared/http.js";
import { contributionComponents, type RateSet } from "./rates.js";
import type { BillingRunRow } from "./repository/runs.js";
import {
  BillingRunBody,
  BillingRunListResponse,
  BillingRunParams,
  BillingRunResponse,
  RateSetBody,
  RateSetListResponse,
  RateSetParams,
  RateSetResponse,
} from "./schemas.js";
import type { BillingService } from "./service.js";

const listRateSets = createRoute({
  method: "get",
  path: "/v1/rate-sets",
  tags: ["Billing"],
  summary: "Contribution rate sets, each in force from its month until the next begins",
  security: sessionSecurity,
  responses: {
    200: { description: "Rate sets, oldest first", ...jsonContent(RateSetListResponse) },
    ...errorResponses("AUTHENTICATION_REQUIRED", "ROLE_NOT_PERMITTED"),
  },
});

const addRateSet = createRoute({
  method: "post",
  path: "/v1/rate-sets",
  tags: ["Billing"],
  summary: "Add a rate set from a future month (complete: every population, branch and share)",
  security: sessionSecurity,
  request: { body: { required: true, ...jsonContent(RateSetBody) } },
  responses: {
    201: { description: "Added", ...jsonContent(RateSetResponse) },
    ...errorResponses(
      "AUTHENTICATION_REQUIRED",
      "ROLE_NOT_PERMITTED",
      "RATE_SET_INCOMPLETE",
      "RATE_SET_NOT_IN_FUTURE",
      "RATE_SET_EXISTS",
    ),
  },
});

const withdrawRateSet = createRoute({
  method: "delete",
  path: "/v1/rate-sets/{fromMonth}",
  tags: ["Billing"],
  summary: "Withdraw a future rate set that no run has used",
  security: sessionSecurity,
  request: { params: RateSetParams },
  responses: {
    204: { description: "Withdrawn" },
    ...errorResponses("AUTHENTICATION_REQUIRED", "ROLE_NOT_PERMITTED", "RATE_SET_NOT_FOUND", "RATE_SET_NOT_IN_FUTURE"),
  },
});

const requestRun = createRoute({
  method: "post",
  path: "/v1/billing-runs",
  tags: ["Billing"],
  summary: "Bill a contribution month: one invoice per establishment, issued in the background",
  description:
    "Creates the month's run (202) or returns the one that exists (200), resuming it if a crash stopped it. Months are billed in order, each after the previous run completed.",
  security: sessionSecurity,
  request: { body: { required: true, ...jsonContent(BillingRunBody) } },
  responses: {
    200: { description: "The month's existing run", ...jsonContent(BillingRunResponse) },
    202: { description: "Run created; poll its status", ...jsonContent(BillingRunResponse) },
    ...errorResponses(
      "AUTHENTICATION_REQUIRED",
      "ROLE_NOT_PERMITTED",
      "BILLING_MONTH_NOT_ENDED",
      "BILLING_MONTH_BEFORE_RATES",
      "BILLING_MONTH_BEFORE_FIRST_RUN",
      "BILLING_MONTH_OUT_OF_ORDER",
      "BILLING_RUN_IN_PROGRESS",
    ),
  },
});

const listRuns = createRoute({
  method: "get",
  path: "/v1/billing-runs",
  tags: ["Billing"],
  summary: "Billing runs, latest month first",
  security: sessionSecurity,
  responses: {
    200: { description: "Runs", ...jsonContent(BillingRunListResponse) },
    ...errorResponses("AUTHENTICATION_REQUIRED", "ROLE_NOT_PERMITTED"),
  },
});

const getRun = createRoute({
  method: "get",
  path: "/v1/billing-runs/{runId}",
  tags: ["Billing"],
  summary: "A billing run's status, progress and counts",
  security: sessionSecurity,
  request: { params: BillingRunParams },
  responses: {
    200: { description: "Run", ...jsonContent(BillingRunResponse) },
    ...errorResponses("AUTHENTICATION_REQUIRED", "ROLE_NOT_PERMITTED", "BILLING_RUN_NOT_FOUND"),
  },
});

export function toRateSetResponse(set: RateSet) {
  return {
    fromMonth: set.fromMonth.toString(),
    description: set.description,
    populations: Object.entries(set.terms).map(([population, terms]) => ({
      population: population as keyof RateSet["terms"],
      wageFloor: terms.limits.floor.toString(),
      wageCap: terms.limits.cap.toString(),
      rates: contributionComponents.map((component) => ({
        branch: component.branch,
        share: component.share,
        rate: terms.rates[component.key].toString(),
      })),
    })),
  };
}

/**
 * Staging (computing every line) and issuing (writing invoices, lines and journal entries) take
 * about as long each when measured at a million lines, so each counts for half.
 */
function runPercent(run: BillingRunRow): number {
  if (run.status === "COMPLETED") return 100;
  const staged = run.partitionCount === 0 ? 0 : run.partitionsStaged / run.partitionCount;
  const issued = run.chunkCount === 0 ? 0 : run.chunksIssued / run.chunkCount;
  return Math.floor(50 * staged + 50 * issued);
}

export function toBillingRunResponse(run: BillingRunRow) {
  return {
    id: run.id,
    month: run.month.toString(),
    status: run.status,
    requestedBy: run.requestedBy,
    createdAt: run.createdAt.toISOString(),
    plannedAt: run.plannedAt?.toISOString() ?? null,
    completedAt: run.completedAt?.toISOString() ?? null,
    progress: {
      establishments: run.establishmentCount,
      partitions: run.partitionCount,
      partitionsStaged: run.partitionsStaged,
      chunks: run.chunkCount,
      chunksIssued: run.chunksIssued,
      percent: runPercent(run),
    },
    counts: {
      invoices: run.invoicesIssued,
      contributionLines: run.contributionLines,
      adjustmentLines: run.adjustmentLines,
    },
    lastError: run.lastError,
  };
}

export function billingRoutes(deps: { billing: BillingService; auth: AuthService }) {
  const { billing, auth } = deps;
  const app = createRouter();
  const readers = requireStaff(auth, ["ACCOUNTANT", "AGENCY_ADMIN"]);
  const admins = requireStaff(auth, ["AGENCY_ADMIN"]);
  for (const path of ["/v1/rate-sets", "/v1/rate-sets/*", "/v1/billing-runs", "/v1/billing-runs/*"]) {
    app.use(path, async (c, next) => (c.req.method === "GET" ? readers(c, next) : admins(c, next)));
  }

  return app
    .openapi(listRateSets, async (c) =>
      c.json({ rateSets: (await billing.listRateSets()).map(toRateSetResponse) }, 200),
    )
    .openapi(addRateSet, async (c) => {
      const set = await billing.addRateSet(staffActor(c.get("actor")), c.req.valid("json"));
      return c.json(toRateSetResponse(set), 201);
    })
    .openapi(withdrawRateSet, async (c) => {
      await billing.withdrawRateSet(ContributionMonth.parse(c.req.valid("param").fromMonth));
      return c.body(null, 204);
    })
    .openapi(requestRun, async (c) => {
      const { run, created } = await billing.requestRun(
        staffActor(c.get("actor")),
        ContributionMonth.parse(c.req.valid("json").month),
      );
      return created ? c.json(toBillingRunResponse(run), 202) : c.json(toBillingRunResponse(run), 200);
    })
    .openapi(listRuns, async (c) => c.json({ runs: (await billing.listRuns(120)).map(toBillingRunResponse) }, 200))
    .openapi(getRun, async (c) => c.json(toBillingRunResponse(await billing.getRun(c.req.valid("param").runId)), 200));
}
