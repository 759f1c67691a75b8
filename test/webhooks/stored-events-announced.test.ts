import type Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Delivery } from "../../src/webhooks/intake.js";
import { storedEventsChannel, storeEvents } from "../../src/webhooks/repository.js";
import { stripeFixture } from "../support/payments.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

/**
 * Storing new Stripe events notifies storedEventsChannel when the statement commits (the
 * trigger of the stripe_events_announced migration), so a process that only applies events
 * starts at once: one notification per statement that stored something, none for duplicates.
 * PGlite runs the same trigger and delivers to its own listeners.
 */
let database: TestDatabase;
const heard: string[] = [];
let stopListening: () => Promise<void>;

/** Notifications for this file's schema only: other test files store events in theirs. */
const ownSchema = () => database.schema ?? "public";

beforeAll(async () => {
  database = await createTestDatabase();
  const onNotification = (payload?: string) => {
    if (payload === ownSchema()) heard.push(payload);
  };
  if (database.listen) {
    let started: () => void = () => {};
    const listening = new Promise<void>((resolve) => {
      started = resolve;
    });
    const listener = database.listen(storedEventsChannel, {
      onNotification: (payload) => (payload === undefined ? started() : onNotification(payload)),
      onError: () => {},
    });
    await listening;
    stopListening = () => listener.close();
  } else if (database.pglite) {
    stopListening = await database.pglite.listen(storedEventsChannel, onNotification);
  } else {
    throw new Error("no way to listen on this database");
  }
});
afterAll(async () => {
  await stopListening();
  await database.drop();
});

function delivery(eventId: string): Delivery {
  const rawBody = stripeFixture("customer.created", { eventId });
  return { event: JSON.parse(rawBody) as Stripe.Event, rawBody, receivedAt: new Date() };
}

async function heardCount(atLeast: number): Promise<number> {
  const deadline = Date.now() + 10_000;
  while (heard.length < atLeast && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return heard.length;
}

describe("stored Stripe events are announced", () => {
  it("once per statement that stored new events, and not for duplicates alone", async () => {
    expect(delivery("evt_announce_a").event.id).toBe("evt_announce_a");

    await storeEvents(database.prisma, [delivery("evt_announce_a"), delivery("evt_announce_b")]);
    expect(await heardCount(1)).toBe(1);

    // Only events stored before: counted as deliveries, announced to nobody.
    const duplicates = await storeEvents(database.prisma, [delivery("evt_announce_a"), delivery("evt_announce_b")]);
    expect(duplicates.map((outcome) => outcome.stored)).toEqual(["duplicate", "duplicate"]);

    // One new among duplicates: announced once. Notifications arrive in commit order, so had the
    // duplicates been announced, it would be counted by the time this one is.
    await storeEvents(database.prisma, [delivery("evt_announce_b"), delivery("evt_announce_c")]);
    expect(await heardCount(2)).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(heard).toEqual([ownSchema(), ownSchema()]);
  });
});
