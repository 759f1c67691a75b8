import { z } from "@hono/zod-openapi";

export const WebhookReceiptResponse = z
  .object({
    received: z.literal(true),
    eventId: z.string(),
    type: z.string(),
    stored: z.enum(["new", "duplicate"]),
  })
  .openapi("WebhookReceipt");

export const StripeEventStatusSchema = z.enum(["PENDING", "PROCESSED", "IGNORED", "REJECTED"]);

export const StripeEventListQuery = z.object({
  status: StripeEventStatusSchema.optional(),
  type: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const StripeEventListResponse = z
  .object({
    events: z.array(
      z.object({
        id: z.string(),
        type: z.string(),
        status: StripeEventStatusSchema,
        deliveries: z.number().int(),
        attempts: z.number().int(),
        stripeCreatedAt: z.string(),
        receivedAt: z.string(),
        processedAt: z.string().nullable(),
        outcome: z.string().nullable(),
        lastError: z.string().nullable(),
        /** When a pending event is tried next (null once it is processed, ignored or rejected). */
        nextAttemptAt: z.string().nullable(),
      }),
    ),
  })
  .openapi("StripeEventList");

export const DrainResponse = z
  .object({
    processed: z.number().int(),
    failed: z.number().int(),
    batched: z
      .number()
      .int()
      .openapi({ description: "Of the processed, how many were applied together in batch transactions" }),
  })
  .openapi("StripeEventDrain");

export const ReplayBody = z
  .object({
    since: z
      .string()
      .datetime({ offset: true })
      .optional()
      .openapi({ description: "Only events Stripe created from then on" }),
    type: z.string().max(100).optional(),
  })
  .openapi("StripeEventReplay");

export const ReplayResponse = z
  .object({
    replayed: z.number().int(),
    processed: z.number().int(),
    ignored: z.number().int(),
    rejected: z.number().int(),
    failed: z.number().int(),
  })
  .openapi("StripeEventReplayResult");
