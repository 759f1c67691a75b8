import { z } from "@hono/zod-openapi";
import { ContributionMonthString, MoneyString } from "../shared/schemas.js";

const PopulationSchema = z.enum(["SAUDI_LEGACY", "SAUDI_NEW_2024", "NON_SAUDI"]).openapi("Population");
const BranchSchema = z.enum(["ANNUITIES", "SANED", "OCCUPATIONAL_HAZARDS"]).openapi("ContributionBranch");
const ShareSchema = z.enum(["EMPLOYER", "EMPLOYEE"]).openapi("ContributionShare");
const RateString = z
  .string()
  .regex(/^0(\.\d{1,6})?$/, "a fraction below 1 with at most 6 decimals, as a string")
  .openapi({ example: "0.0975", description: "A fraction: 0.0975 is 9.75%" });

const RateSetPopulation = z.object({
  population: PopulationSchema,
  wageFloor: MoneyString,
  wageCap: MoneyString,
  rates: z.array(z.object({ branch: BranchSchema, share: ShareSchema, rate: RateString })).max(20),
});

export const RateSetBody = z
  .object({
    fromMonth: ContributionMonthString.openapi({ description: "First contribution month the set applies to" }),
    description: z.string().trim().min(1).max(500),
    populations: z.array(RateSetPopulation).min(1).max(10),
  })
  .openapi("RateSetInput");

export const RateSetResponse = z
  .object({
    fromMonth: z.string().openapi({ example: "2027-07" }),
    description: z.string(),
    populations: z.array(RateSetPopulation),
  })
  .openapi("RateSet");

export const RateSetListResponse = z.object({ rateSets: z.array(RateSetResponse) }).openapi("RateSetList");

export const RateSetParams = z.object({
  fromMonth: ContributionMonthString.openapi({ param: { name: "fromMonth", in: "path" } }),
});

export const BillingRunBody = z.object({ month: ContributionMonthString }).openapi("BillingRunRequest");

export const BillingRunResponse = z
  .object({
    id: z.string(),
    month: z.string().openapi({ example: "2026-10" }),
    status: z.enum(["PLANNING", "STAGING", "ISSUING", "COMPLETED"]).openapi({
      description:
        "PLANNING: listing establishments; STAGING: computing every line, partition by partition; ISSUING: writing invoices chunk by chunk",
    }),
    requestedBy: z.string(),
    createdAt: z.string(),
    plannedAt: z.string().nullable(),
    completedAt: z.string().nullable(),
    progress: z.object({
      establishments: z
        .number()
        .int()
        .openapi({ description: "Establishments planned (some may have nothing to bill)" }),
      partitions: z.number().int().openapi({ description: "Staging transactions (subscribers by hashed id)" }),
      partitionsStaged: z.number().int(),
      chunks: z.number().int(),
      chunksIssued: z.number().int(),
      percent: z.number(),
    }),
    counts: z.object({
      invoices: z.number().int(),
      contributionLines: z.number().int(),
      adjustmentLines: z.number().int(),
    }),
    lastError: z
      .string()
      .nullable()
      .openapi({ description: "Why the last attempt stopped; the run resumes from its last chunk" }),
  })
  .openapi("BillingRun");

export const BillingRunListResponse = z.object({ runs: z.array(BillingRunResponse) }).openapi("BillingRunList");

export const BillingRunParams = z.object({
  runId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "runId", in: "path" } }),
});
