import { z } from "@hono/zod-openapi";
import { EstablishmentIdParams } from "../employers/schemas.js";
import { BusinessDateString, ContributionMonthString, MoneyString } from "../shared/schemas.js";

/** Amounts arrive as text and are checked by the service, which names the exact problem. */
const AmountText = z
  .string()
  .max(32)
  .openapi({ example: "8000.00", description: "SAR as a string, at most two decimals" });

const NationalitySchema = z.enum(["SAUDI", "GCC", "OTHER"]).openapi("Nationality");
const GccCountry = z.enum(["KW", "BH", "OM", "QA", "AE"]);
const EndReason = z.enum(["RESIGNATION", "TERMINATION", "CONTRACT_END", "RETIREMENT", "DEATH", "TRANSFER", "OTHER"]);

export const WageBody = z.object({
  basic: AmountText,
  housing: AmountText,
  otherAllowances: AmountText.optional(),
  housingInKind: z.boolean().optional(),
});

export const RegisterEmployeeBody = z
  .object({
    idNumber: z
      .string()
      .max(20)
      .openapi({ example: "1000000008", description: "National ID (Saudi) or iqama (non-Saudi)" }),
    nationality: NationalitySchema,
    gccCountry: GccCountry.optional(),
    name: z.string().trim().min(1).max(200),
    dateOfBirth: BusinessDateString,
    occupation: z.string().trim().min(1).max(200),
    startDate: BusinessDateString,
    firstInsuredOn: BusinessDateString.optional(),
    hasEarlierContributionPeriods: z.boolean().optional(),
    wage: WageBody,
  })
  .refine((body) => body.nationality !== "GCC" || body.gccCountry !== undefined, {
    message: "a GCC national needs gccCountry",
    path: ["gccCountry"],
  })
  .openapi("RegisterEmployeeBody");

export const EndEmploymentBody = z
  .object({ endDate: BusinessDateString, reason: EndReason })
  .openapi("EndEmploymentBody");

export const RecordWageBody = WageBody.extend({
  effectiveMonth: ContributionMonthString,
  correctionReason: z.string().max(500).optional().openapi({ description: "Required for a month already billed" }),
}).openapi("RecordWageBody");

export const EmployeeParams = EstablishmentIdParams.extend({
  subscriberId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "subscriberId", in: "path" } }),
});

export const EmployeeListQuery = z.object({
  activeIn: ContributionMonthString.optional().openapi({ description: "Employed at some point in this month" }),
  nationality: NationalitySchema.optional(),
  idNumber: z.string().max(20).optional(),
  cursor: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const WageResponse = z
  .object({
    id: z.string(),
    effectiveMonth: z.string().openapi({ example: "2026-10" }),
    basic: MoneyString,
    housing: MoneyString,
    otherAllowances: MoneyString,
    housingInKind: z.boolean(),
    contributoryWage: MoneyString,
    isRetroactiveCorrection: z.boolean(),
    correctionReason: z.string().nullable(),
    recordedAt: z.iso.datetime(),
    recordedBy: z.string(),
  })
  .openapi("Wage");

export const EmployeeResponse = z
  .object({
    id: z.string(),
    idNumber: z.string(),
    identifierKind: z.enum(["NATIONAL_ID", "IQAMA"]),
    nationality: NationalitySchema,
    gccCountry: z.string().nullable(),
    name: z.string(),
    dateOfBirth: z.string(),
    firstInsuredOn: z.string(),
    population: z.enum(["SAUDI_LEGACY", "SAUDI_NEW_2024", "NON_SAUDI"]),
    employments: z.array(
      z.object({
        id: z.string(),
        occupation: z.string(),
        startDate: z.string(),
        endDate: z.string().nullable(),
        endReason: EndReason.nullable(),
        wages: z.array(WageResponse),
      }),
    ),
  })
  .openapi("Employee");

export const EmployeeListResponse = z
  .object({
    employees: z.array(
      z.object({
        id: z.string(),
        idNumber: z.string(),
        name: z.string(),
        nationality: NationalitySchema,
        employmentId: z.string(),
        occupation: z.string(),
        startDate: z.string(),
        endDate: z.string().nullable(),
        contributoryWage: MoneyString.nullable(),
      }),
    ),
    nextCursor: z.string().nullable(),
  })
  .openapi("EmployeeList");

export const UploadQuery = z.object({
  partial: z
    .enum(["true", "false"])
    .default("false")
    .openapi({ description: "false (default): any rejected row rejects the upload; true: accept the valid rows" }),
});

const RowErrorSchema = z.object({ code: z.string(), field: z.string().optional(), message: z.string() });

export const UploadReportResponse = z
  .object({
    rowsReceived: z.number().int(),
    rowsAccepted: z.number().int(),
    rowsRejected: z.number().int(),
    subscribersCreated: z.number().int(),
    employmentsRegistered: z.number().int(),
    wagesRecorded: z.number().int(),
    rejected: z.array(
      z.object({ line: z.number().int(), idNumber: z.string().optional(), errors: z.array(RowErrorSchema) }),
    ),
  })
  .openapi("UploadReport");
