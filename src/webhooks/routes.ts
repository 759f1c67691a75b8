import { createRoute } from "@hono/zod-openapi";
import { requireStaff } from "../auth/middleware.js";
import type { AuthService } from "../auth/service.js";
import { createRouter, errorResponses, jsonContent, sessionSecurity } from "../shared/http.js";
import {
  DrainResponse,
  ReplayBody,
  ReplayResponse,
  StripeEventListQuery,
  StripeEventListResponse,
  WebhookReceiptResponse,
} from "./schemas.js";
import type { WebhookService } from "./service.js";

const receiveStripeEvent = createRoute({
  method: "post",
  path: "/webhooks/stripe",
  tags: ["Webhooks"],
  summary: "Stripe's webhook: verified on the raw body, stored once, applied by workers after the answer",
  description:
    "The body is Stripe's event JSON exactly as sent; the Stripe-Signature header must match it and be at most 5 minutes old. A verified event is stored once (a redelivery answers 200 with stored=duplicate) and applied asynchronously; unknown types are stored and acknowledged.",
  responses: {
    200: { description: "Stored (or stored before)", ...jsonContent(WebhookReceiptResponse) },
    ...errorResponses("WEBHOOK_SIGNATURE_INVALID", "WEBHOOK_PAYLOAD_INVALID", "PAYLOAD_TOO_LARGE"),
  },
});

const listStripeEvents = createRoute({
  method: "get",
  path: "/v1/stripe-events",
  tags: ["Webhooks"],
  summary: "Stored Stripe events with their processing status, newest first",
  security: sessionSecurity,
  request: { query: StripeEventListQuery },
  responses: {
    200: { description: "Events", ...jsonContent(StripeEventListResponse) },
    ...errorResponses("AUTHENTICATION_REQUIRED", "ROLE_NOT_PERMITTED"),
  },
});

const drainStripeEvents = createRoute({
  method: "post",
  path: "/v1/stripe-events/processing",
  tags: ["Webhooks"],
  summary: "Apply every due stored event now and wait for it (the workers and the sweep job do the same)",
  security: sessionSecurity,
  responses: {
    200: {
      description: "How many were applied and how many failed (and will be retried)",
      ...jsonContent(DrainResponse),
    },
    ...errorResponses("AUTHENTICATION_REQUIRED", "ROLE_NOT_PERMITTED"),
  },
});

const replayStripeEvents = createRoute({
  method: "post",
  path: "/v1/stripe-events/replay",
  tags: ["Webhooks"],
  summary: "Apply stored events again, oldest first, whatever their status (recovery after a bug fix; idempotent)",
  security: sessionSecurity,
  request: { body: { required: false, ...jsonContent(ReplayBody) } },
  responses: {
    200: { description: "What the replay did", ...jsonContent(ReplayResponse) },
    ...errorResponses("AUTHENTICATION_REQUIRED", "ROLE_NOT_PERMITTED"),
  },
});

export function webhookRoutes(deps: { webhooks: WebhookService; auth: AuthService }) {
  const { webhooks, auth } = deps;
  const app = createRouter();
  const readers = requireStaff(auth, ["ACCOUNTANT", "AGENCY_ADMIN"]);
  const admins = requireStaff(auth, ["AGENCY_ADMIN"]);
  // "/x/*" also matches "/x" in Hono: one guard, by method.
  app.use("/v1/stripe-events/*", async (c, next) => (c.req.method === "GET" ? readers(c, next) : admins(c, next)));
  return app
    .openapi(receiveStripeEvent, async (c) => {
      const receipt = await webhooks.receive(await c.req.text(), c.req.header("stripe-signature"));
      return c.json(
        { received: true as const, eventId: receipt.eventId, type: receipt.type, stored: receipt.stored },
        200,
      );
    })
    .openapi(listStripeEvents, async (c) => {
      const events = await webhooks.listEvents(c.req.valid("query"));
      return c.json(
        {
          events: events.map((event) => ({
            ...event,
            stripeCreatedAt: event.stripeCreatedAt.toISOString(),
            receivedAt: event.receivedAt.toISOString(),
            processedAt: event.processedAt?.toISOString() ?? null,
            nextAttemptAt: event.status === "PENDING" ? event.nextAttemptAt.toISOString() : null,
          })),
        },
        200,
      );
    })
    .openapi(drainStripeEvents, async (c) => c.json(await webhooks.drain(), 200))
    .openapi(replayStripeEvents, async (c) => {
      const body = c.req.valid("json") ?? {};
      return c.json(
        await webhooks.replay({ since: body.since ? new Date(body.since) : undefined, type: body.type }),
        200,
      );
    });
}
