import { z } from "@hono/zod-openapi";
import { MoneyString } from "../shared/schemas.js";

export const FineParams = z.object({
  fineId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "fineId", in: "path" } }),
});

export const FineListQuery = z.object({
  establishmentId: z.string().min(1).max(64).optional(),
  invoiceId: z.string().min(1).max(64).optional(),
});

export const WaiveFineBody = z
  .object({
    reason: z.string().trim().min(5).max(500).openapi({ example: "Waiver campaign 2026: arrears paid in full" }),
  })
  .openapi("WaiveFine");

export const LateFineResponse = z
  .object({
    id: z.string(),
    invoiceId: z.string(),
    establishmentId: z.string(),
    periodNumber: z.number().int().openapi({
      description:
        "1 is the month after the invoice's due date; 0 and below come before it, for corrections of earlier months fined from their own due date (LATE_FINES_ON_CORRECTIONS)",
    }),
    periodStart: z.string(),
    periodEnd: z.string(),
    unpaidBase: MoneyString,
    amount: MoneyString,
    assessedOn: z.string(),
    journalEntryId: z.string().nullable(),
    waived: z
      .object({ at: z.string(), by: z.string(), reason: z.string(), reversalEntryId: z.string().nullable() })
      .nullable(),
  })
  .openapi("LateFine");

export const FineListResponse = z.object({ fines: z.array(LateFineResponse) }).openapi("LateFineList");

export const AssessmentResponse = z
  .object({
    invoicesExamined: z.number().int().openapi({
      description:
        "Invoices the job looked at: those its worklist named for the day (a first look the day after the due date, then one a fine period while unpaid, and one after money is taken back), not every invoice",
    }),
    finesAssessed: z.number().int(),
    amount: MoneyString,
  })
  .openapi("LateFineAssessment");
