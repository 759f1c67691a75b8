import { z } from "@hono/zod-openapi";
import { LateFineResponse } from "../fines/schemas.js";
import { ContributionMonthString, MoneyString } from "../shared/schemas.js";

export const InvoiceStatusSchema = z
  .enum(["OPEN", "PARTIALLY_PAID", "PAID", "OVERDUE", "VOID"])
  .openapi("InvoiceStatus");

export const InvoiceParams = z.object({
  establishmentId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "establishmentId", in: "path" } }),
  invoiceId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "invoiceId", in: "path" } }),
});

export const InvoiceListQuery = z.object({
  month: ContributionMonthString.optional(),
  status: InvoiceStatusSchema.optional(),
  cursor: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const InvoiceDocumentQuery = z.object({
  format: z.enum(["html", "pdf"]).default("html"),
});

export const InvoiceLinesQuery = z.object({
  cursor: z.coerce.number().int().min(0).optional().openapi({ description: "The last line number of the page before" }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const BranchSummary = z.object({
  branch: z.enum(["ANNUITIES", "SANED", "OCCUPATIONAL_HAZARDS"]),
  employer: MoneyString,
  employee: MoneyString,
  total: MoneyString,
});

export const InvoiceSummaryResponse = z
  .object({
    id: z.string(),
    number: z.string().openapi({ example: "C-202610-100000001" }),
    establishmentId: z.string(),
    month: z.string().openapi({ example: "2026-10" }),
    issueDate: z.string(),
    dueDate: z.string(),
    status: InvoiceStatusSchema,
    totals: z.object({
      contributions: MoneyString.openapi({ description: "Every line, adjustments included" }),
      employerShare: MoneyString,
      employeeShare: MoneyString.openapi({ description: "Deducted from employees' pay" }),
      adjustments: MoneyString.openapi({ description: "Of the contributions: corrections of earlier months" }),
      finesAssessed: MoneyString,
      finesWaived: MoneyString,
      settled: MoneyString,
      outstanding: MoneyString,
    }),
    branches: z.array(BranchSummary),
    lineCounts: z.object({ contributions: z.number().int(), adjustments: z.number().int() }),
  })
  .openapi("InvoiceSummary");

export const InvoiceListResponse = z
  .object({ invoices: z.array(InvoiceSummaryResponse), nextCursor: z.string().nullable() })
  .openapi("InvoiceList");

export const InvoiceDetailResponse = InvoiceSummaryResponse.extend({ fines: z.array(LateFineResponse) }).openapi(
  "InvoiceDetail",
);

export const InvoiceLineResponse = z
  .object({
    lineNumber: z.number().int(),
    kind: z.enum(["CONTRIBUTION", "ADJUSTMENT"]),
    month: z.string().openapi({ description: "The month charged; for an adjustment, the month it corrects" }),
    subscriberId: z.string(),
    idNumber: z.string(),
    name: z.string(),
    population: z.string(),
    daysInService: z.number().int(),
    contributoryWage: MoneyString,
    chargeableWage: MoneyString,
    amounts: z.object({
      annuitiesEmployer: MoneyString,
      annuitiesEmployee: MoneyString,
      sanedEmployer: MoneyString,
      sanedEmployee: MoneyString,
      hazardsEmployer: MoneyString,
    }),
    employerTotal: MoneyString,
    employeeTotal: MoneyString,
    total: MoneyString,
  })
  .openapi("InvoiceLine");

export const InvoiceLinesResponse = z
  .object({ lines: z.array(InvoiceLineResponse), nextCursor: z.number().int().nullable() })
  .openapi("InvoiceLinePage");

export const VoidInvoiceParams = z.object({
  invoiceId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "invoiceId", in: "path" } }),
});

export const VoidInvoiceBody = z
  .object({ reason: z.string().trim().min(5).max(500).openapi({ example: "Billed under the wrong establishment" }) })
  .openapi("VoidInvoice");

export const CreditNoteResponse = z
  .object({
    invoiceId: z.string(),
    creditNoteNumber: z.string().openapi({ example: "CN-C-202610-100000001" }),
    reason: z.string(),
    voidedAt: z.string(),
    voidedBy: z.string(),
    reversalEntryId: z.string().nullable(),
  })
  .openapi("CreditNote");
