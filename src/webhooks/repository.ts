import type { StripeEventStatus } from "../generated/prisma/enums.js";
import type { PrismaClient, Tx } from "../shared/db/database.js";
import {
  type Delivery,
  type StoreOutcome,
  storeEventsParameters,
  storeEventsStatement,
  storeOutcomes,
} from "./intake.js";

export type StoredEvent = { id: string; type: string; payload: string; attempts: number };

/**
 * The channel a statement storing new events notifies when it commits (the migration
 * stripe_events_announced puts the trigger on stripe_events), whichever process ran it.
 */
export const storedEventsChannel = "stripe_events_stored";

/** Stores verified deliveries in one statement (see storeEventsStatement). */
export async function storeEvents(db: PrismaClient, deliveries: readonly Delivery[]): Promise<StoreOutcome[]> {
  const rows = await db.$queryRawUnsafe<{ id: string; inserted: boolean; status: string }[]>(
    storeEventsStatement,
    ...storeEventsParameters(deliveries),
  );
  return storeOutcomes(rows, deliveries);
}

/**
 * Leases due events to this worker: pending, not leased by a live worker, their next attempt
 * due. A lease outlives a crashed worker by `leaseSeconds`, then another takes the event.
 */
export async function leaseDueEvents(
  db: PrismaClient,
  query: { now: Date; leaseSeconds: number; limit: number },
): Promise<StoredEvent[]> {
  const leasedUntil = new Date(query.now.getTime() + query.leaseSeconds * 1000);
  return db.$queryRaw<StoredEvent[]>`
    UPDATE stripe_events e SET leased_until = ${leasedUntil}, attempts = e.attempts + 1
      FROM (SELECT id FROM stripe_events
             WHERE status = 'PENDING' AND next_attempt_at <= ${query.now}
               AND (leased_until IS NULL OR leased_until < ${query.now})
             ORDER BY stripe_created_at, id
             LIMIT ${query.limit}
               FOR UPDATE SKIP LOCKED) due
     WHERE e.id = due.id
    RETURNING e.id, e.type, e.payload, e.attempts`;
}

/** Marks events done inside the transaction that applied them (one statement for any number). */
export async function finishEvents(
  tx: Tx,
  results: readonly { eventId: string; status: Exclude<StripeEventStatus, "PENDING">; outcome: string }[],
  now: Date,
): Promise<void> {
  if (results.length === 0) return;
  await tx.$executeRaw`
    UPDATE stripe_events e
       SET status = r.status::stripe_event_status, outcome = r.outcome, processed_at = ${now},
           leased_until = NULL, last_error = NULL
      FROM unnest(${results.map((result) => result.eventId)}::text[],
                  ${results.map((result) => result.status)}::text[],
                  ${results.map((result) => result.outcome)}::text[]) AS r(id, status, outcome)
     WHERE e.id = r.id`;
}

/**
 * Deletes up to `limit` events Stripe created before `createdBefore` that were settled (applied,
 * ignored or refused); pending ones stay whatever their age. How many it deleted.
 */
export async function deleteSettledEventsCreatedBefore(
  db: PrismaClient,
  createdBefore: Date,
  limit: number,
): Promise<number> {
  return db.$executeRaw`
    DELETE FROM stripe_events
     WHERE id IN (SELECT id FROM stripe_events
                   WHERE stripe_created_at < ${createdBefore} AND status <> 'PENDING'
                   LIMIT ${limit}::int)`;
}

/** Gives the event back with the error, to be tried again at `nextAttemptAt`. */
export async function failEvent(db: PrismaClient, eventId: string, error: string, nextAttemptAt: Date) {
  await db.stripeEvent.updateMany({
    where: { id: eventId, status: "PENDING" },
    data: { lastError: error.slice(0, 2000), leasedUntil: null, nextAttemptAt },
  });
}

export async function listEvents(
  db: PrismaClient,
  query: { status?: StripeEventStatus | undefined; type?: string | undefined; limit: number },
) {
  return db.stripeEvent.findMany({
    where: {
      ...(query.status ? { status: query.status } : {}),
      ...(query.type ? { type: query.type } : {}),
    },
    orderBy: [{ stripeCreatedAt: "desc" }, { id: "desc" }],
    take: query.limit,
    select: {
      id: true,
      type: true,
      status: true,
      deliveries: true,
      attempts: true,
      stripeCreatedAt: true,
      receivedAt: true,
      processedAt: true,
      outcome: true,
      lastError: true,
      nextAttemptAt: true,
    },
  });
}

/** Stored events in Stripe's order, a page at a time, for replay. */
export async function eventsPage(
  db: PrismaClient,
  query: { since?: Date | undefined; type?: string | undefined; after?: { created: Date; id: string }; limit: number },
): Promise<(StoredEvent & { stripeCreatedAt: Date })[]> {
  const rows = await db.stripeEvent.findMany({
    where: {
      ...(query.since ? { stripeCreatedAt: { gte: query.since } } : {}),
      ...(query.type ? { type: query.type } : {}),
      ...(query.after
        ? {
            OR: [
              { stripeCreatedAt: { gt: query.after.created } },
              { stripeCreatedAt: query.after.created, id: { gt: query.after.id } },
            ],
          }
        : {}),
    },
    orderBy: [{ stripeCreatedAt: "asc" }, { id: "asc" }],
    take: query.limit,
    select: { id: true, type: true, payload: true, attempts: true, stripeCreatedAt: true },
  });
  return rows;
}
