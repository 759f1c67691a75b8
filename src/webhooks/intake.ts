import Stripe from "stripe";
import { AppError } from "../shared/errors.js";

/**
 * Taking a Stripe delivery: what the Node service's endpoint and the Worker entry
 * (src/worker.ts) share, so both refuse the same bodies and store the same row.
 */

/** Stripe's default: a signature older than this is refused as a replay. */
export const signatureToleranceSeconds = 300;

/** Turns the SDK's verification failures into the API's error codes. */
export function verificationError(error: unknown): AppError {
  if (error instanceof Stripe.errors.StripeSignatureVerificationError) {
    return new AppError("WEBHOOK_SIGNATURE_INVALID", `signature refused: ${error.message}`);
  }
  return new AppError("WEBHOOK_PAYLOAD_INVALID", "the signed body is not a JSON Stripe event");
}

export function missingSignature(): AppError {
  return new AppError("WEBHOOK_SIGNATURE_INVALID", "the Stripe-Signature header is missing");
}

/** A signed body is stored only if it has what processing reads: id, type, created, data.object. */
export function assertStripeEventShape(event: Stripe.Event): void {
  const candidate = event as unknown as Record<string, unknown>;
  const data = candidate.data as Record<string, unknown> | undefined;
  if (
    typeof candidate.id !== "string" ||
    !/^evt_\w+$/.test(candidate.id) ||
    candidate.object !== "event" ||
    typeof candidate.type !== "string" ||
    typeof candidate.created !== "number" ||
    !data ||
    typeof data.object !== "object" ||
    data.object === null
  ) {
    throw new AppError(
      "WEBHOOK_PAYLOAD_INVALID",
      "the signed body is not a Stripe event (id, type, created, data.object)",
    );
  }
}

/**
 * Stores a verified event once, its body byte for byte. A second delivery of the same id only
 * counts itself; the first one's body is kept. Positional parameters: see storeEventParameters.
 */
export const storeEventStatement = `
  INSERT INTO stripe_events (id, type, api_version, livemode, stripe_created_at, payload, received_at, next_attempt_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
  ON CONFLICT (id) DO UPDATE SET deliveries = stripe_events.deliveries + 1
  RETURNING (xmax = 0) AS inserted, status::text AS status`;

export function storeEventParameters(event: Stripe.Event, rawBody: string, receivedAt: Date): unknown[] {
  return [
    event.id,
    event.type,
    event.api_version ?? null,
    event.livemode,
    new Date(event.created * 1000),
    rawBody,
    receivedAt,
  ];
}

export type StoreOutcome = { stored: "new" | "duplicate"; status: string };

export function storeOutcome(rows: readonly { inserted: boolean; status: string }[], eventId: string): StoreOutcome {
  const row = rows[0];
  if (!row) throw new Error(`storing event ${eventId} returned nothing`);
  return { stored: row.inserted ? "new" : "duplicate", status: row.status };
}
