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
 * The API version an event was rendered in when it is not the one this SDK speaks (undefined when
 * it is, or the event names none). Stripe renders a webhook in its endpoint's version, so another
 * version means the endpoint was set up or upgraded apart from the code: objects may lack fields or
 * carry them elsewhere. The event is still stored and applied (payments and refunds are read
 * again from the API, in the SDK's version; disputes and payouts are read from the event), and
 * the operator is told.
 */
export function foreignApiVersion(event: Stripe.Event): string | undefined {
  return event.api_version && event.api_version !== Stripe.API_VERSION ? event.api_version : undefined;
}

/** Reports each foreign API version once (per process, or per Worker isolate) through `warn`. */
export function foreignApiVersionWarner(warn: (fields: Record<string, string>, message: string) => void) {
  const warned = new Set<string>();
  return (event: Stripe.Event): void => {
    const version = foreignApiVersion(event);
    if (!version || warned.has(version)) return;
    warned.add(version);
    warn(
      {
        code: "STRIPE_API_VERSION_MISMATCH",
        eventId: event.id,
        eventApiVersion: version,
        sdkApiVersion: Stripe.API_VERSION,
      },
      "a Stripe webhook arrived rendered in another API version than the SDK's: set the endpoint's version to the SDK's",
    );
  };
}

export type Delivery = { event: Stripe.Event; rawBody: string; receivedAt: Date };

/**
 * Stores verified deliveries (the Worker entry: one; the Node service: a burst, see
 * createGroupCommit) in one statement: each event's row once, its first delivery's body kept
 * byte for byte, its deliveries counted. Rows go in id order, so two of these running at once
 * lock shared ids in the same order. Parameters: storeEventsParameters; answers: storeOutcomes.
 */
export const storeEventsStatement = `
  INSERT INTO stripe_events (id, type, api_version, livemode, stripe_created_at, payload, received_at,
                             next_attempt_at, deliveries)
  SELECT id, type, api_version, livemode, stripe_created_at, payload, received_at, received_at, deliveries
    FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::timestamptz[], $6::text[],
                $7::timestamptz[], $8::integer[])
         AS d(id, type, api_version, livemode, stripe_created_at, payload, received_at, deliveries)
   ORDER BY id COLLATE "C"
  ON CONFLICT (id) DO UPDATE SET deliveries = stripe_events.deliveries + excluded.deliveries
  RETURNING id, (xmax = 0) AS inserted, status::text AS status`;

/** One row per event (its first delivery, and how many came), as columns for storeEventsStatement. */
export function storeEventsParameters(deliveries: readonly Delivery[]): unknown[] {
  const firsts = new Map<string, { delivery: Delivery; count: number }>();
  for (const delivery of deliveries) {
    const seen = firsts.get(delivery.event.id);
    if (seen) seen.count += 1;
    else firsts.set(delivery.event.id, { delivery, count: 1 });
  }
  const rows = [...firsts.values()];
  const column = (pick: (row: { delivery: Delivery; count: number }) => string | null) => rows.map(pick);
  return [
    column(({ delivery }) => delivery.event.id),
    column(({ delivery }) => delivery.event.type),
    column(({ delivery }) => delivery.event.api_version ?? null),
    column(({ delivery }) => String(delivery.event.livemode)),
    column(({ delivery }) => new Date(delivery.event.created * 1000).toISOString()),
    column(({ delivery }) => delivery.rawBody),
    column(({ delivery }) => delivery.receivedAt.toISOString()),
    column(({ count }) => String(count)),
  ];
}

export type StoreOutcome = { stored: "new" | "duplicate"; status: string };

/**
 * Each delivery's outcome, in order: of several deliveries of one event, the first is "new" if
 * its row is, the rest duplicates.
 */
export function storeOutcomes(
  rows: readonly { id: string; inserted: boolean; status: string }[],
  deliveries: readonly Delivery[],
): StoreOutcome[] {
  const byId = new Map(rows.map((row) => [row.id, row]));
  const answered = new Set<string>();
  return deliveries.map(({ event }) => {
    const row = byId.get(event.id);
    if (!row) throw new Error(`storing event ${event.id} returned nothing`);
    const first = !answered.has(event.id);
    answered.add(event.id);
    return { stored: first && row.inserted ? "new" : "duplicate", status: row.status };
  });
}
