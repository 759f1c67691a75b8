import type Stripe from "stripe";
import {
  type KeyedOutcome,
  type PaymentRecorder,
  paymentIntentProblem,
  type RecordOutcome,
  type WithinTransaction,
} from "../payments/record.js";
import {
  isRateLimited,
  type PaymentIntentSnapshot,
  type StripeConnection,
  type StripeGateway,
} from "../payments/stripe-gateway.js";
import type { Clock } from "../shared/clock.js";
import { deleteInBatches } from "../shared/db/batched-delete.js";
import type { PrismaClient, Tx } from "../shared/db/database.js";
import { createDrainLoop } from "../shared/drain-loop.js";
import { createGroupCommit } from "../shared/group-commit.js";
import type { Logger } from "../shared/logger.js";
import {
  assertStripeEventShape,
  type Delivery,
  foreignApiVersionWarner,
  missingSignature,
  signatureToleranceSeconds,
  verificationError,
} from "./intake.js";
import {
  deleteSettledEventsCreatedBefore,
  eventsPage,
  failEvent,
  finishEvents,
  leaseDueEvents,
  listEvents,
  type StoredEvent,
  storeEvents,
} from "./repository.js";
import { type StripeAction, toStripeAction } from "./translate.js";

/** How long a worker may hold an event before another may take it (it holds no transaction meanwhile). */
const leaseSeconds = 120;
/** Longest wait between two attempts at an event that keeps failing. */
const retryDelaySecondsMax = 3_600;
/**
 * The longest an event whose Stripe read was refused for the account's rate limits (429) waits
 * before it is tried again: the limit is per second and says nothing about the event, so it
 * does not wait out the growing back-off of an event that keeps failing.
 */
export const rateLimitedRetrySeconds = 10;
/** Events leased per worker per round. */
const leaseBatchPerWorker = 16;
/**
 * Lease-and-apply loops a drain runs side by side, so one batch's Stripe reads and statements
 * overlap another's waits (apart from intake: 982 → 1,445 events/s with two). They lease
 * different events (SKIP LOCKED) and take establishments' locks in id order, as two service
 * processes would.
 */
const batchLoops = 2;
/** PaymentIntents read from Stripe at once while a batch is prepared. */
const retrievalsInFlightMax = 16;
/** Events read per page by replay. */
const replayPageSize = 500;
/** Settled events deleted per statement by the purge. */
const purgeBatch = 5_000;
/**
 * Deliveries stored by one statement at most, and such statements running at once (see
 * createGroupCommit). One at a time makes the batches larger: in order 946–1,018 events/s
 * against 792–951 with two, in alternating runs of the webhook bench.
 */
const storeBatchMax = 100;
const storesInFlightMax = 1;

/** What a drain did: events applied (of them, in batch transactions) and events given back to retry. */
type Totals = { processed: number; failed: number; batched: number };
const emptyTotals = (): Totals => ({ processed: 0, failed: 0, batched: 0 });
const addTotals = (sum: Totals, round: Totals): Totals => ({
  processed: sum.processed + round.processed,
  failed: sum.failed + round.failed,
  batched: sum.batched + round.batched,
});

export function retryDelaySeconds(attempts: number): number {
  return Math.min(2 ** Math.min(attempts, 12), retryDelaySecondsMax);
}

/**
 * Webhook intake and processing. `receive` verifies and stores (nothing else happens while
 * Stripe waits); workers then lease stored events, apply each in one transaction that also
 * marks it processed, and give failures back with a growing delay. The stored event is the
 * job: there is no second queue to lose or double it.
 */
export function createWebhookService(deps: {
  db: PrismaClient;
  clock: Clock;
  logger: Logger;
  stripe: StripeConnection;
  gateway: StripeGateway;
  recorder: PaymentRecorder;
  workers: number;
  applyOnReceipt?: boolean;
}) {
  const { db, clock, logger, stripe, gateway, recorder } = deps;
  const store = createGroupCommit((deliveries: readonly Delivery[]) => storeEvents(db, deliveries), {
    batchMax: storeBatchMax,
    inFlightMax: storesInFlightMax,
  });

  function verify(rawBody: string, signature: string | undefined): Stripe.Event {
    if (!signature) throw missingSignature();
    try {
      return stripe.client.webhooks.constructEvent(
        rawBody,
        signature,
        stripe.webhookSecret,
        signatureToleranceSeconds,
        undefined,
        // The SDK takes this in milliseconds (it divides by 1000 itself).
        clock.now().getTime(),
      );
    } catch (error) {
      throw verificationError(error);
    }
  }

  // Once per version and process: a misconfigured endpoint sends every event in it.
  const warnOfForeignApiVersion = foreignApiVersionWarner((fields, message) => logger.warn(fields, message));

  /** An outcome that records no fact: only the event's own mark is written. */
  async function settle(outcome: RecordOutcome, within: WithinTransaction): Promise<RecordOutcome> {
    await db.$transaction((tx) => within(tx, outcome));
    return outcome;
  }

  /**
   * Applies one event; throws when it must be tried again later. `readBefore`: PaymentIntents
   * this round already read from Stripe (a batch leaves some events to this path), not read twice.
   */
  async function apply(
    event: Stripe.Event,
    within: WithinTransaction,
    readBefore: ReadonlyMap<string, PaymentIntentSnapshot>,
  ): Promise<RecordOutcome> {
    const action = toStripeAction(event);
    switch (action.kind) {
      case "payment-succeeded": {
        const known = await recorder.paymentOfIntent(action.paymentIntentId);
        if (known) return settle({ status: "PROCESSED", outcome: `payment ${known.id} recorded before` }, within);
        const intent =
          readBefore.get(action.paymentIntentId) ?? (await gateway.retrievePaymentIntent(action.paymentIntentId));
        if (!intent) throw new Error(`Stripe does not know payment intent ${action.paymentIntentId}`);
        return recorder.recordPayment(intent, within);
      }
      case "payment-failed":
        return recorder.markAttemptFailed(
          { attemptId: action.attemptId, stripeObjectId: action.stripeObjectId },
          { at: action.at, message: action.message },
          within,
        );
      case "charge-refunded":
        await recordPaymentFirst({ chargeId: action.chargeId, paymentIntentId: action.paymentIntentId });
        return recorder.recordRefunds(action, await gateway.listRefunds(action.chargeId), within);
      case "dispute-changed":
        await recordPaymentFirst({
          chargeId: action.dispute.chargeId,
          paymentIntentId: action.dispute.paymentIntentId,
        });
        return recorder.recordDispute(action.dispute, within);
      case "payout-paid":
        return recorder.recordPayout(action.payout, within);
      case "payout-failed":
        return recorder.recordPayoutFailure(action.failure, within);
      case "nothing":
        return settle({ status: "IGNORED", outcome: action.reason }, within);
    }
  }

  /**
   * A refund or dispute can arrive before the payment it concerns: then the payment is read
   * from Stripe and recorded first, as its own event would have done.
   */
  async function recordPaymentFirst(reference: { chargeId: string; paymentIntentId: string | null }) {
    if (await recorder.paymentKnown(reference)) return;
    if (!reference.paymentIntentId) throw new Error(`charge ${reference.chargeId} names no payment intent`);
    const intent = await gateway.retrievePaymentIntent(reference.paymentIntentId);
    if (!intent) throw new Error(`Stripe does not know payment intent ${reference.paymentIntentId}`);
    const outcome = await recorder.recordPayment(intent);
    if (outcome.status !== "PROCESSED") throw new Error(`its payment could not be recorded: ${outcome.outcome}`);
  }

  async function processStored(
    stored: { id: string; payload: string; attempts: number },
    readBefore: ReadonlyMap<string, PaymentIntentSnapshot> = new Map(),
  ): Promise<RecordOutcome | undefined> {
    try {
      const event = JSON.parse(stored.payload) as Stripe.Event;
      return await apply(
        event,
        (tx, outcome) =>
          finishEvents(tx, [{ eventId: stored.id, status: outcome.status, outcome: outcome.outcome }], clock.now()),
        readBefore,
      );
    } catch (error) {
      const cause = (error as { detail?: unknown }).detail;
      const message =
        (error instanceof Error ? error.message : String(error)) +
        (cause instanceof Error ? ` (${cause.message})` : "");
      const backOff = retryDelaySeconds(stored.attempts);
      const delaySeconds = isRateLimited(error) ? Math.min(backOff, rateLimitedRetrySeconds) : backOff;
      const next = new Date(clock.now().getTime() + delaySeconds * 1000);
      logger.warn(
        { eventId: stored.id, attempts: stored.attempts, err: message },
        "stripe event not applied; will retry",
      );
      await failEvent(db, stored.id, message, next);
      return undefined;
    }
  }

  /** Reads these PaymentIntents from Stripe, a few at a time; one Stripe cannot give is left out. */
  async function retrieveIntents(ids: readonly string[]): Promise<Map<string, PaymentIntentSnapshot>> {
    const intents = new Map<string, PaymentIntentSnapshot>();
    let next = 0;
    const reader = async () => {
      for (let id = ids[next++]; id !== undefined; id = ids[next++]) {
        const intent = await gateway.retrievePaymentIntent(id).catch(() => undefined);
        if (intent) intents.set(id, intent);
      }
    };
    await Promise.all(Array.from({ length: Math.min(retrievalsInFlightMax, ids.length) }, reader));
    return intents;
  }

  /**
   * The common case set-based: of the leased events, the new payments (one per establishment)
   * and the events with nothing to do are applied and marked in one transaction of a fixed
   * number of statements, their PaymentIntents read from Stripe beforehand in parallel. Returns
   * the events left for one-by-one processing: refunds, disputes, payouts, failures, a second
   * payment of the same establishment, anything unusual, and the whole batch if it fails; and
   * the PaymentIntents it read, for those not to be read again.
   */
  async function applyBatch(
    leased: readonly StoredEvent[],
    totals: Totals,
  ): Promise<{ rest: StoredEvent[]; intents: ReadonlyMap<string, PaymentIntentSnapshot> }> {
    const rest: StoredEvent[] = [];
    const candidates: { stored: StoredEvent; action: StripeAction }[] = [];
    for (const stored of leased) {
      try {
        candidates.push({ stored, action: toStripeAction(JSON.parse(stored.payload) as Stripe.Event) });
      } catch {
        rest.push(stored);
      }
    }
    const intentIds = [
      ...new Set(
        candidates.flatMap(({ action }) => (action.kind === "payment-succeeded" ? [action.paymentIntentId] : [])),
      ),
    ];
    const known = await recorder.paymentsOfIntents(intentIds);
    const intents = await retrieveIntents(intentIds.filter((id) => !known.has(id)));

    const settled: KeyedOutcome[] = [];
    const payments: { key: string; intent: PaymentIntentSnapshot }[] = [];
    const inBatch: StoredEvent[] = [];
    const establishments = new Set<string>();
    for (const { stored, action } of candidates) {
      if (action.kind === "nothing") {
        settled.push({ key: stored.id, outcome: { status: "IGNORED", outcome: action.reason } });
        inBatch.push(stored);
        continue;
      }
      if (action.kind !== "payment-succeeded") {
        rest.push(stored);
        continue;
      }
      const recorded = known.get(action.paymentIntentId);
      const intent = intents.get(action.paymentIntentId);
      const establishmentId = intent?.metadata.establishment_id;
      if (recorded) {
        settled.push({
          key: stored.id,
          outcome: { status: "PROCESSED", outcome: `payment ${recorded.id} recorded before` },
        });
        inBatch.push(stored);
      } else if (intent && establishmentId && !paymentIntentProblem(intent) && !establishments.has(establishmentId)) {
        establishments.add(establishmentId);
        payments.push({ key: stored.id, intent });
        inBatch.push(stored);
      } else {
        rest.push(stored);
      }
    }
    if (inBatch.length === 0) return { rest, intents };

    const markAll = async (tx: Tx, outcomes: readonly KeyedOutcome[]) =>
      finishEvents(
        tx,
        [...outcomes, ...settled].map(({ key, outcome }) => ({
          eventId: key,
          status: outcome.status,
          outcome: outcome.outcome,
        })),
        clock.now(),
      );
    try {
      if (payments.length > 0) await recorder.recordPayments(payments, markAll);
      else await db.$transaction((tx) => markAll(tx, []));
      totals.processed += inBatch.length;
      totals.batched += inBatch.length;
      return { rest, intents };
    } catch (error) {
      logger.warn(
        { events: inBatch.length, err: error instanceof Error ? error.message : String(error) },
        "stripe event batch not applied; applying its events one by one",
      );
      return { rest: [...inBatch, ...rest], intents };
    }
  }

  /**
   * Leases due events until none is left: the batchable ones in one transaction, the rest
   * with `workers` in parallel, each in its own.
   */
  async function drainOnce(): Promise<Totals> {
    const totals = emptyTotals();
    for (;;) {
      const leased = await leaseDueEvents(db, {
        now: clock.now(),
        leaseSeconds,
        limit: deps.workers * leaseBatchPerWorker,
      });
      if (leased.length === 0) return totals;
      const { rest: queue, intents } = await applyBatch(leased, totals);
      const worker = async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          const outcome = await processStored(next, intents);
          if (outcome) totals.processed += 1;
          else totals.failed += 1;
        }
      };
      await Promise.all(Array.from({ length: Math.min(deps.workers, queue.length) }, worker));
      if (totals.failed > 0 && leased.length < deps.workers * leaseBatchPerWorker) return totals;
    }
  }

  const loop = createDrainLoop<Totals>({
    round: async () => {
      const rounds = await Promise.all(Array.from({ length: batchLoops }, () => drainOnce()));
      return rounds.reduce(addTotals, emptyTotals());
    },
    empty: emptyTotals,
    add: addTotals,
    onError: (error) => logger.error({ err: error }, "stripe event processing stopped"),
  });

  return {
    /** Verifies and stores one delivery, then (unless told not to) wakes the workers without waiting for them. */
    async receive(rawBody: string, signature: string | undefined) {
      const event = verify(rawBody, signature);
      assertStripeEventShape(event);
      warnOfForeignApiVersion(event);
      const stored = await store({ event, rawBody, receivedAt: clock.now() });
      if (stored.stored === "new" && deps.applyOnReceipt !== false) loop.wake();
      return { eventId: event.id, type: event.type, ...stored };
    },

    /** Applies every due event and resolves when done (a call during a drain waits for a fresh one). */
    drain: loop.drain,

    /** Starts applying what is due without waiting for it: another process stored events (storedEventsChannel). */
    wake: loop.wake,

    listEvents: (query: Parameters<typeof listEvents>[1]) => listEvents(db, query),

    /**
     * The daily purge when STRIPE_EVENT_RETENTION_DAYS is set: deletes settled events Stripe
     * created more than `retentionDays` ago, `batch` to a statement. Every fact they carried is
     * in the ledger's tables under Stripe's ids, and Stripe stopped sending them again after three
     * days; only a replay reaching that far back loses them. Returns how many it deleted.
     */
    async purgeSettled(retentionDays: number, batch = purgeBatch): Promise<number> {
      const createdBefore = new Date(clock.now().getTime() - retentionDays * 24 * 60 * 60 * 1000);
      return deleteInBatches((limit) => deleteSettledEventsCreatedBefore(db, createdBefore, limit), batch);
    },

    /**
     * Applies stored events again, in Stripe's order, whatever their status: every fact is
     * keyed by Stripe's ids, so this only adds what a fixed bug failed to record before.
     */
    async replay(options: { since?: Date | undefined; type?: string | undefined }) {
      const totals = { replayed: 0, processed: 0, ignored: 0, rejected: 0, failed: 0 };
      let after: { created: Date; id: string } | undefined;
      for (;;) {
        const page = await eventsPage(db, { ...options, ...(after ? { after } : {}), limit: replayPageSize });
        for (const stored of page) {
          totals.replayed += 1;
          const outcome = await processStored(stored);
          if (!outcome) totals.failed += 1;
          else if (outcome.status === "PROCESSED") totals.processed += 1;
          else if (outcome.status === "IGNORED") totals.ignored += 1;
          else totals.rejected += 1;
        }
        const last = page.at(-1);
        if (!last || page.length < replayPageSize) return totals;
        after = { created: last.stripeCreatedAt, id: last.id };
      }
    },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
