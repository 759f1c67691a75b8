import { z } from "@hono/zod-openapi";
import { InvoiceStatusSchema } from "../invoices/schemas.js";
import { BusinessDateString, MoneyString, PositiveMoneyString } from "../shared/schemas.js";
import { reconciliationDifferenceKinds } from "./reconciliation.js";

export const StartPaymentBody = z
  .object({
    method: z.enum(["CHECKOUT", "PAYMENT_INTENT"]).default("CHECKOUT").openapi({
      description:
        "CHECKOUT: a Stripe Checkout URL to send the employer to. PAYMENT_INTENT: a client secret for your own page.",
    }),
    amount: PositiveMoneyString.optional().openapi({
      description:
        "Omit to pay what the invoice still owes; a smaller amount is a partial payment, a larger one is refused",
    }),
    currency: z.string().length(3).default("SAR").openapi({ description: "Only SAR" }),
  })
  .openapi("StartPaymentBody");

export const PaymentAttemptResponse = z
  .object({
    id: z.string(),
    invoiceId: z.string(),
    method: z.enum(["CHECKOUT", "PAYMENT_INTENT"]),
    amount: MoneyString,
    currency: z.literal("SAR"),
    status: z.enum(["OPEN", "PAID", "FAILED", "EXPIRED"]),
    checkoutUrl: z.string().nullable(),
    clientSecret: z.string().nullable().optional(),
    stripeObjectId: z.string().nullable().optional(),
    failureMessage: z.string().nullable(),
    expiresAt: z.string(),
    createdAt: z.string(),
    reused: z.boolean().optional().openapi({ description: "True when an identical open attempt was returned" }),
    allocation: z.literal("OLDEST_FIRST").optional(),
  })
  .openapi("PaymentAttempt");

export const PaymentAttemptListResponse = z
  .object({ attempts: z.array(PaymentAttemptResponse) })
  .openapi("PaymentAttemptList");

export const PaymentAttemptListQuery = z.object({
  invoiceId: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const PaymentResponse = z
  .object({
    id: z.string(),
    stripePaymentIntentId: z.string(),
    invoiceId: z.string().nullable().openapi({ description: "The invoice the payment was started for" }),
    amount: MoneyString,
    fee: MoneyString,
    refunded: MoneyString.openapi({
      description: "Refunded to the card; a refund that failed afterwards is not counted",
    }),
    disputed: MoneyString,
    disputeStatus: z.enum(["OPEN", "WON", "LOST"]).nullable(),
    receivedAt: z.string(),
    receivedOn: BusinessDateString,
  })
  .openapi("Payment");

export const PaymentListResponse = z
  .object({ payments: z.array(PaymentResponse), creditBalance: MoneyString, nextCursor: z.string().nullable() })
  .openapi("PaymentList");

export const PaymentListQuery = z.object({
  cursor: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const CreditApplicationResponse = z
  .object({
    applied: MoneyString,
    creditBalance: MoneyString,
    invoice: z.object({ id: z.string(), number: z.string(), status: InvoiceStatusSchema, settled: MoneyString }),
  })
  .openapi("CreditApplication");

export const ReconciliationBody = z
  .object({ from: BusinessDateString, to: BusinessDateString })
  .openapi("ReconciliationRequest");

export const ReconciliationParams = z.object({
  runId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "runId", in: "path" } }),
});

export const ReconciliationDifferenceKind = z
  .enum(reconciliationDifferenceKinds)
  .openapi("ReconciliationDifferenceKind");

const Difference = z.object({
  kind: ReconciliationDifferenceKind,
  stripeId: z.string(),
  stripeAmount: MoneyString.nullable(),
  ledgerAmount: MoneyString.nullable(),
});

export const ReconciliationRunResponse = z
  .object({
    id: z.string(),
    periodFrom: z.string(),
    periodTo: z.string(),
    differenceCount: z.number().int(),
    differenceCounts: z
      .record(z.string(), z.number().int())
      .openapi({ description: "How many differences of each kind (kinds with none left out)" }),
    ranAt: z.string(),
    ranBy: z.string(),
  })
  .openapi("ReconciliationRun");

export const ReconciliationDifferencesQuery = z.object({
  kind: ReconciliationDifferenceKind.optional(),
  cursor: z.coerce.number().int().min(0).optional().openapi({ description: "nextCursor of the page before" }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const ReconciliationDifferencesResponse = z
  .object({ differences: z.array(Difference), nextCursor: z.number().int().nullable() })
  .openapi("ReconciliationDifferences");

export const ReconciliationRunListResponse = z
  .object({ runs: z.array(ReconciliationRunResponse) })
  .openapi("ReconciliationRunList");
