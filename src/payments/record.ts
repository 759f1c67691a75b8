import type { LedgerAccountCode } from "../ledger/chart-of-accounts.js";
import type { JournalEntryDraft, JournalLineDraft } from "../ledger/journal-entry.js";
import { type PostingResult, postJournalEntries, postJournalEntry } from "../ledger/service.js";
import { BusinessDate } from "../shared/business-date.js";
import type { Clock } from "../shared/clock.js";
import type { PrismaClient, Tx } from "../shared/db/database.js";
import { newId } from "../shared/ids.js";
import { Money } from "../shared/money.js";
import { planSettlementChanges } from "./allocation.js";
import {
  type AllocationRecord,
  establishmentsWithCredit,
  findPaymentByCharge,
  findPaymentByIntent,
  findPaymentsByIntents,
  insertAllocations,
  insertPayments,
  lockEstablishment,
  lockEstablishments,
  lockObligations,
  type PaymentRow,
  recordedBalanceTransactionIds,
  recordedRefunds,
  unappliedBalance,
  unappliedBalances,
} from "./repository.js";
import type { BalanceTransactionSnapshot, PaymentIntentSnapshot, RefundSnapshot } from "./stripe-gateway.js";

/**
 * Turning what Stripe reports into money facts and ledger entries. Each fact is keyed by
 * Stripe's own id (payment intent, refund, balance transaction, dispute, payout), so learning
 * it twice changes nothing; every function locks the establishment first, so facts about one
 * establishment apply one at a time while different establishments proceed in parallel.
 */
export type RecordOutcome =
  | { status: "PROCESSED"; outcome: string }
  | { status: "IGNORED"; outcome: string }
  | { status: "REJECTED"; outcome: string };

/** Runs inside the fact's transaction, after it: the webhook processor marks its event there. */
export type WithinTransaction = (tx: Tx, outcome: RecordOutcome) => Promise<void>;

export type DisputeSnapshot = {
  id: string;
  chargeId: string;
  paymentIntentId: string | null;
  amount: Money;
  currency: string;
  status: string;
  created: Date;
  /** When Stripe described it so (the event's time): a closing is dated by it, not by our clock. */
  observedAt: Date;
  balanceTransactions: BalanceTransactionSnapshot[];
};

export type PayoutSnapshot = { id: string; amount: Money; currency: string; status: string; arrivalDate: Date };

/** A payout's failure as its payout.failed event tells it: when, and Stripe's failure code. */
export type PayoutFailureSnapshot = {
  payoutId: string;
  amount: Money;
  currency: string;
  at: Date;
  code: string | null;
};

const line = (accountCode: LedgerAccountCode, amount: Money, establishmentId?: string): JournalLineDraft[] =>
  amount.isZero() ? [] : [{ accountCode, amount, ...(establishmentId === undefined ? {} : { establishmentId }) }];

type RebalanceCause = { cause: string; causeId: string; on: BusinessDate };

/**
 * Brings the establishment's settlements in line with its credit balance (see
 * planSettlementChanges): applies money to open invoices or takes it back, posting one entry.
 * The caller holds the establishment's lock.
 */
export async function rebalance(tx: Tx, establishmentId: string, cause: RebalanceCause, now: Date): Promise<Money> {
  return (await rebalanceMany(tx, [{ establishmentId, cause }], now)).get(establishmentId) ?? Money.zero;
}

/**
 * rebalance for several establishments (each once, their locks held by the caller) in a fixed
 * number of statements: their balances and open invoices read together, one entry each posted
 * together, the allocations written together. Returns what moved, by establishment.
 */
export async function rebalanceMany(
  tx: Tx,
  requests: readonly { establishmentId: string; cause: RebalanceCause }[],
  now: Date,
): Promise<Map<string, Money>> {
  const moved = new Map<string, Money>();
  if (requests.length === 0) return moved;
  const unapplied = await unappliedBalances(
    tx,
    requests.map((request) => request.establishmentId),
  );
  const obligations = await lockObligations(
    tx,
    requests.map((request) => ({
      establishmentId: request.establishmentId,
      scope: unapplied.get(request.establishmentId)?.isNegative() ? "all" : "not settled exactly",
    })),
  );
  const allocations: Omit<AllocationRecord, "journalEntryId">[] = [];
  const drafts: JournalEntryDraft[] = [];
  for (const { establishmentId, cause } of requests) {
    const changes = planSettlementChanges(
      unapplied.get(establishmentId) ?? Money.zero,
      obligations.get(establishmentId) ?? [],
    );
    if (changes.length === 0) continue;
    const contributions = Money.sum(changes.map((item) => item.contributions));
    const fines = Money.sum(changes.map((item) => item.fines));
    const total = contributions.plus(fines);
    moved.set(establishmentId, total);
    const id = newId("alc");
    drafts.push({
      idempotencyKey: `allocation:${id}`,
      sourceType: "PAYMENT",
      sourceId: id,
      entryCode: total.isNegative() ? "PAYMENT_RELEASED" : "PAYMENT_APPLIED",
      description: `${total.isNegative() ? "Settlements taken back" : "Credit balance applied"} (${cause.cause.toLowerCase()} ${cause.causeId})`,
      effectiveDate: cause.on,
      lines: [
        ...line("UNAPPLIED_PAYMENTS", total, establishmentId),
        ...line("RECEIVABLE_CONTRIBUTIONS", contributions.negate(), establishmentId),
        ...line("RECEIVABLE_FINES", fines.negate(), establishmentId),
      ],
    });
    allocations.push({
      id,
      establishmentId,
      cause: cause.cause,
      causeId: cause.causeId,
      effectiveOn: cause.on,
      changes,
      now,
    });
  }
  const entries = await postJournalEntries(tx, drafts);
  await insertAllocations(
    tx,
    allocations.map((allocation, index) => ({
      ...allocation,
      journalEntryId: (entries[index] as PostingResult).entryId,
    })),
  );
  return moved;
}

/**
 * Applies the credit balances of these establishments to their invoices, inside the caller's
 * transaction: a billing run calls it for the establishments it just invoiced, so an
 * overpayment settles the next invoice as it is issued (billing-cycle.md §4).
 */
export async function applyCreditBalancesWithin(
  tx: Tx,
  establishmentIds: readonly string[],
  cause: RebalanceCause,
  now: Date,
): Promise<number> {
  const withCredit = await establishmentsWithCredit(tx, establishmentIds);
  const locked = await lockEstablishments(tx, withCredit);
  const moved = await rebalanceMany(
    tx,
    withCredit.filter((id) => locked.has(id)).map((establishmentId) => ({ establishmentId, cause })),
    now,
  );
  return [...moved.values()].filter((amount) => !amount.isZero()).length;
}

/**
 * Why a PaymentIntent cannot be recorded as a payment now: an outcome to record instead (not
 * an Ishtirak payment, another currency), "retry" while its money has not arrived, or
 * undefined when it can be.
 */
export function paymentIntentProblem(intent: PaymentIntentSnapshot): RecordOutcome | "retry" | undefined {
  if (!intent.metadata.establishment_id) {
    return { status: "IGNORED", outcome: `payment intent ${intent.id} is not an Ishtirak payment` };
  }
  if (intent.currency !== "sar" || (intent.charge && intent.charge.feeCurrency !== "sar")) {
    return {
      status: "REJECTED",
      outcome: `PAYMENT_CURRENCY_UNSUPPORTED: payment intent ${intent.id} is in ${intent.currency}`,
    };
  }
  if (intent.status !== "succeeded" || !intent.charge) return "retry";
  return undefined;
}

/** What a batch of facts recorded, each under the caller's key (a webhook event's id). */
export type KeyedOutcome = { key: string; outcome: RecordOutcome };

/** Runs inside a batch's transaction, after it: the webhook processor marks its events there. */
export type WithinBatch = (tx: Tx, outcomes: readonly KeyedOutcome[]) => Promise<void>;

export function createPaymentRecorder(deps: { db: PrismaClient; clock: Clock }) {
  const { db, clock } = deps;
  const noop: WithinTransaction = async () => {};

  async function finish(tx: Tx, outcome: RecordOutcome, within: WithinTransaction): Promise<RecordOutcome> {
    await within(tx, outcome);
    return outcome;
  }

  /** A succeeded PaymentIntent: the money into the processor account, the fee as an expense, the rest as credit, then applied. */
  async function recordPayment(
    intent: PaymentIntentSnapshot,
    within: WithinTransaction = noop,
  ): Promise<RecordOutcome> {
    const problem = paymentIntentProblem(intent);
    if (problem === "retry")
      throw new Error(`payment intent ${intent.id} is ${intent.status}, not succeeded: retry later`);
    if (problem) return db.$transaction((tx) => finish(tx, problem, within));
    const [result] = await recordPayments([{ key: intent.id, intent }], (tx, outcomes) =>
      within(tx, (outcomes[0] as KeyedOutcome).outcome),
    );
    return (result as KeyedOutcome).outcome;
  }

  /**
   * Succeeded PaymentIntents of different establishments in one transaction, in a fixed number
   * of statements whatever their number: each gives the same facts and entries recordPayment
   * gives it alone. Each intent must pass paymentIntentProblem, and no two may name the same
   * establishment (the second's allocation depends on the first's).
   */
  async function recordPayments(
    items: readonly { key: string; intent: PaymentIntentSnapshot }[],
    within: WithinBatch,
  ): Promise<KeyedOutcome[]> {
    const establishmentOf = (intent: PaymentIntentSnapshot) => intent.metadata.establishment_id as string;
    const establishmentIds = items.map((item) => establishmentOf(item.intent));
    if (new Set(establishmentIds).size !== items.length) {
      throw new Error("a payment batch names an establishment twice");
    }
    for (const { intent } of items) {
      if (paymentIntentProblem(intent)) throw new Error(`payment intent ${intent.id} cannot be recorded now`);
    }
    return db.$transaction(async (tx) => {
      const locked = await lockEstablishments(tx, establishmentIds);
      const recorded = await findPaymentsByIntents(
        tx,
        items.map((item) => item.intent.id),
      );
      const outcomes = new Map<string, RecordOutcome>();
      const fresh: { key: string; intent: PaymentIntentSnapshot; id: string; receivedOn: BusinessDate }[] = [];
      for (const { key, intent } of items) {
        const earlier = recorded.get(intent.id);
        if (!locked.has(establishmentOf(intent))) {
          outcomes.set(key, { status: "IGNORED", outcome: `no establishment ${establishmentOf(intent)}` });
        } else if (earlier) {
          outcomes.set(key, { status: "PROCESSED", outcome: `payment ${earlier.id} recorded before` });
        } else {
          const charge = intent.charge as NonNullable<PaymentIntentSnapshot["charge"]>;
          fresh.push({ key, intent, id: newId("pay"), receivedOn: BusinessDate.fromInstant(charge.created) });
        }
      }
      const entries = await postJournalEntries(
        tx,
        fresh.map(({ intent, id, receivedOn }): JournalEntryDraft => {
          const charge = intent.charge as NonNullable<PaymentIntentSnapshot["charge"]>;
          return {
            idempotencyKey: `stripe:payment:${intent.id}`,
            sourceType: "PAYMENT",
            sourceId: id,
            entryCode: "PAYMENT_RECEIVED",
            description: `Card payment ${intent.id} for invoice ${intent.metadata.invoice_number ?? "(none named)"}`,
            effectiveDate: receivedOn,
            lines: [
              ...line("PROCESSOR_CASH", intent.amount.minus(charge.fee)),
              ...line("PROCESSOR_FEES", charge.fee),
              ...line("UNAPPLIED_PAYMENTS", intent.amount.negate(), establishmentOf(intent)),
            ],
          };
        }),
      );
      await insertPayments(
        tx,
        fresh.map(({ intent, id, receivedOn }, index) => {
          const charge = intent.charge as NonNullable<PaymentIntentSnapshot["charge"]>;
          return {
            id,
            stripePaymentIntentId: intent.id,
            stripeChargeId: charge.id,
            establishmentId: establishmentOf(intent),
            attemptId: intent.metadata.payment_attempt_id ?? null,
            invoiceId: intent.metadata.invoice_id ?? null,
            amount: intent.amount,
            fee: charge.fee,
            receivedAt: charge.created,
            receivedOn,
            journalEntryId: (entries[index] as PostingResult).entryId,
            createdAt: clock.now(),
          };
        }),
      );
      const applied = await rebalanceMany(
        tx,
        fresh.map(({ intent, id, receivedOn }) => ({
          establishmentId: establishmentOf(intent),
          cause: { cause: "PAYMENT", causeId: id, on: receivedOn },
        })),
        clock.now(),
      );
      for (const { key, intent, id } of fresh) {
        const moved = applied.get(establishmentOf(intent)) ?? Money.zero;
        outcomes.set(key, {
          status: "PROCESSED",
          outcome: `payment ${id} of ${intent.amount} SAR recorded, ${moved} SAR applied`,
        });
      }
      const results = items.map(({ key }) => ({ key, outcome: outcomes.get(key) as RecordOutcome }));
      await within(tx, results);
      return results;
    });
  }

  async function paymentFor(
    tx: Tx,
    reference: { chargeId: string; paymentIntentId: string | null },
  ): Promise<PaymentRow | undefined> {
    return (
      (await findPaymentByCharge(tx, reference.chargeId)) ??
      (reference.paymentIntentId ? await findPaymentByIntent(tx, reference.paymentIntentId) : undefined)
    );
  }

  /**
   * A charge's refunds as Stripe lists them now, brought into the ledger: each refund that
   * succeeded, or whose money came back (failed after it succeeded, or canceled while it waited
   * for the customer: Stripe's balance shows money out and back), once, then each such return
   * once, money back at the processor and in the credit balance. Each changes the settlements as
   * the credit balance moved. A pending refund (or one waiting for the customer) waits for its
   * next event (refund.updated); one canceled with no money back never moved money.
   */
  async function recordRefunds(
    reference: { chargeId: string; paymentIntentId: string | null },
    refunds: readonly RefundSnapshot[],
    within: WithinTransaction = noop,
  ): Promise<RecordOutcome> {
    return db.$transaction(async (tx) => {
      const known = await paymentFor(tx, reference);
      if (!known) throw new Error(`charge ${reference.chargeId} has no recorded payment yet: retry later`);
      await lockEstablishment(tx, known.establishmentId);
      const moved = refunds
        .filter((refund) => refund.status === "succeeded" || refund.failure !== null)
        .sort((a, b) => (a.id < b.id ? -1 : 1));
      const recorded = await recordedRefunds(
        tx,
        moved.map((refund) => refund.id),
      );
      let refundsRecorded = 0;
      for (const refund of moved.filter((candidate) => !recorded.has(candidate.id))) {
        const id = newId("rfd");
        const refundedOn = BusinessDate.fromInstant(refund.created);
        const entry = await postJournalEntry(tx, {
          idempotencyKey: `stripe:refund:${refund.id}`,
          sourceType: "PAYMENT",
          sourceId: id,
          entryCode: "PAYMENT_REFUNDED",
          description: `Refund ${refund.id} of card payment ${known.stripePaymentIntentId}`,
          effectiveDate: refundedOn,
          lines: [
            ...line("UNAPPLIED_PAYMENTS", refund.amount, known.establishmentId),
            ...line("PROCESSOR_CASH", refund.amount.negate()),
          ],
        });
        await tx.paymentRefund.create({
          data: {
            id,
            stripeRefundId: refund.id,
            paymentId: known.id,
            amount: refund.amount.toString(),
            refundedAt: refund.created,
            refundedOn: refundedOn.toDateColumn(),
            journalEntryId: entry.entryId,
            createdAt: clock.now(),
          },
        });
        recorded.set(refund.id, { id, failureRecorded: false });
        refundsRecorded += 1;
        await rebalance(tx, known.establishmentId, { cause: "REFUND", causeId: id, on: refundedOn }, clock.now());
      }
      let failuresRecorded = 0;
      for (const refund of moved) {
        const ours = recorded.get(refund.id);
        if (!refund.failure || !ours || ours.failureRecorded) continue;
        const failedOn = BusinessDate.fromInstant(refund.failure.at);
        const entry = await postJournalEntry(tx, {
          idempotencyKey: `stripe:refund-failure:${refund.id}`,
          sourceType: "PAYMENT",
          sourceId: ours.id,
          entryCode: "PAYMENT_REFUND_FAILED",
          description: `Refund ${refund.id} of card payment ${known.stripePaymentIntentId} ${refund.status === "canceled" ? "was canceled" : "failed"} (${refund.failure.reason ?? "no reason given"}): the money came back`,
          effectiveDate: failedOn,
          lines: [
            ...line("PROCESSOR_CASH", refund.amount),
            ...line("UNAPPLIED_PAYMENTS", refund.amount.negate(), known.establishmentId),
          ],
        });
        await tx.paymentRefundFailure.create({
          data: {
            refundId: ours.id,
            failedAt: refund.failure.at,
            failedOn: failedOn.toDateColumn(),
            reason: refund.failure.reason,
            journalEntryId: entry.entryId,
            createdAt: clock.now(),
          },
        });
        failuresRecorded += 1;
        await rebalance(
          tx,
          known.establishmentId,
          { cause: "REFUND_FAILED", causeId: ours.id, on: failedOn },
          clock.now(),
        );
      }
      return finish(
        tx,
        {
          status: "PROCESSED",
          outcome: `${refundsRecorded} refund(s) and ${failuresRecorded} refund failure(s) of ${reference.chargeId} recorded`,
        },
        within,
      );
    });
  }

  /**
   * A dispute as Stripe last described it: each of its balance transactions (the withdrawal,
   * a reinstatement when won) moves money between the processor account and disputed funds,
   * fees included; a lost dispute gives the amount back to the cardholder out of the credit
   * balance, taking settlements back when that runs short. Status only moves forward.
   */
  async function recordDispute(dispute: DisputeSnapshot, within: WithinTransaction = noop): Promise<RecordOutcome> {
    if (dispute.currency !== "sar") {
      return db.$transaction((tx) =>
        finish(tx, { status: "REJECTED", outcome: `PAYMENT_CURRENCY_UNSUPPORTED: dispute ${dispute.id}` }, within),
      );
    }
    return db.$transaction(async (tx) => {
      const known = await paymentFor(tx, { chargeId: dispute.chargeId, paymentIntentId: dispute.paymentIntentId });
      if (!known) throw new Error(`charge ${dispute.chargeId} has no recorded payment yet: retry later`);
      await lockEstablishment(tx, known.establishmentId);
      await tx.paymentDispute.createMany({
        data: [
          {
            id: newId("dsp"),
            stripeDisputeId: dispute.id,
            paymentId: known.id,
            amount: dispute.amount.toString(),
            status: "OPEN",
            openedAt: dispute.created,
            createdAt: clock.now(),
          },
        ],
        skipDuplicates: true,
      });
      const recorded = await recordedBalanceTransactionIds(
        tx,
        dispute.balanceTransactions.map((transaction) => transaction.id),
      );
      for (const transaction of dispute.balanceTransactions.filter((item) => !recorded.has(item.id))) {
        const id = newId("pbt");
        const entry = await postJournalEntry(tx, {
          idempotencyKey: `stripe:balance-transaction:${transaction.id}`,
          sourceType: "PAYMENT",
          sourceId: id,
          entryCode: transaction.amount.isNegative() ? "DISPUTE_FUNDS_WITHDRAWN" : "DISPUTE_FUNDS_REINSTATED",
          description: `Dispute ${dispute.id} on card payment ${known.stripePaymentIntentId}: ${transaction.reportingCategory}`,
          effectiveDate: BusinessDate.fromInstant(transaction.created),
          lines: [
            ...line("PROCESSOR_CASH", transaction.amount.minus(transaction.fee)),
            ...line("PROCESSOR_FEES", transaction.fee),
            ...line("DISPUTED_FUNDS", transaction.amount.negate()),
          ],
        });
        await tx.processorBalanceTransaction.create({
          data: {
            id,
            stripeBalanceTransactionId: transaction.id,
            type: transaction.type,
            amount: transaction.amount.toString(),
            fee: transaction.fee.toString(),
            occurredAt: transaction.created,
            journalEntryId: entry.entryId,
            createdAt: clock.now(),
          },
        });
      }
      const closedAs =
        dispute.status === "lost"
          ? "LOST"
          : dispute.status === "won" || dispute.status === "warning_closed"
            ? "WON"
            : undefined;
      const stored = await tx.paymentDispute.findUniqueOrThrow({ where: { stripeDisputeId: dispute.id } });
      if (closedAs && stored.status === "OPEN") {
        const closedOn = BusinessDate.fromInstant(dispute.observedAt);
        const loss =
          closedAs === "LOST"
            ? await postJournalEntry(tx, {
                idempotencyKey: `stripe:dispute-lost:${dispute.id}`,
                sourceType: "PAYMENT",
                sourceId: stored.id,
                entryCode: "DISPUTE_LOST",
                description: `Dispute ${dispute.id} lost: the amount goes back to the cardholder`,
                effectiveDate: closedOn,
                lines: [
                  ...line("UNAPPLIED_PAYMENTS", dispute.amount, known.establishmentId),
                  ...line("DISPUTED_FUNDS", dispute.amount.negate()),
                ],
              })
            : undefined;
        await tx.paymentDispute.update({
          where: { id: stored.id },
          data: { status: closedAs, closedAt: dispute.observedAt, lossEntryId: loss?.entryId ?? null },
        });
        if (loss) {
          const cause = { cause: "DISPUTE_LOST", causeId: stored.id, on: closedOn };
          await rebalance(tx, known.establishmentId, cause, clock.now());
        }
      }
      return finish(tx, { status: "PROCESSED", outcome: `dispute ${dispute.id} is ${closedAs ?? "OPEN"}` }, within);
    });
  }

  /**
   * Payouts: the money the processor paid out to the bank, and what came back when a payout
   * failed. Both facts are kept whichever arrives first, each under a lock on the payout, and the
   * return is posted once the payout is recorded as paid, so the ledger ends the same in any
   * order: paid and failed, out and back; failed on the way (never paid), nothing.
   */
  async function lockPayout(tx: Tx, stripePayoutId: string): Promise<void> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`ishtirak:payout:${stripePayoutId}`}))`;
  }

  /** The entry that brings a failed payout's money back from the bank, once, if it was recorded as paid. */
  async function postPayoutReturn(tx: Tx, stripePayoutId: string): Promise<boolean> {
    const paid = await tx.payout.findUnique({ where: { stripePayoutId } });
    const failure = await tx.payoutFailure.findUnique({ where: { stripePayoutId } });
    if (!paid || !failure) return false;
    const amount = Money.sar(failure.amount.toString());
    const posted = await postJournalEntry(tx, {
      idempotencyKey: `stripe:payout-failure:${stripePayoutId}`,
      sourceType: "PAYMENT",
      sourceId: paid.id,
      entryCode: "PAYOUT_FAILED",
      description: `Payout ${stripePayoutId} came back from the bank (${failure.failureCode ?? "no reason given"})`,
      effectiveDate: BusinessDate.fromDateColumn(failure.failedOn),
      lines: [...line("PROCESSOR_CASH", amount), ...line("BANK", amount.negate())],
    });
    return posted.status === "posted";
  }

  async function recordPayout(payout: PayoutSnapshot, within: WithinTransaction = noop): Promise<RecordOutcome> {
    return db.$transaction(async (tx) => {
      if (payout.currency !== "sar") {
        return finish(tx, { status: "REJECTED", outcome: `PAYMENT_CURRENCY_UNSUPPORTED: payout ${payout.id}` }, within);
      }
      if (payout.status !== "paid") {
        return finish(tx, { status: "IGNORED", outcome: `payout ${payout.id} is ${payout.status}` }, within);
      }
      await lockPayout(tx, payout.id);
      const existing = await tx.payout.findUnique({ where: { stripePayoutId: payout.id } });
      if (existing) return finish(tx, { status: "PROCESSED", outcome: `payout ${payout.id} recorded before` }, within);
      const id = newId("pout");
      const arrivedOn = BusinessDate.fromInstant(payout.arrivalDate);
      const entry = await postJournalEntry(tx, {
        idempotencyKey: `stripe:payout:${payout.id}`,
        sourceType: "PAYMENT",
        sourceId: id,
        entryCode: "PAYOUT_PAID",
        description: `Payout ${payout.id} to the agency's bank`,
        effectiveDate: arrivedOn,
        lines: [...line("BANK", payout.amount), ...line("PROCESSOR_CASH", payout.amount.negate())],
      });
      await tx.payout.create({
        data: {
          id,
          stripePayoutId: payout.id,
          amount: payout.amount.toString(),
          arrivedOn: arrivedOn.toDateColumn(),
          journalEntryId: entry.entryId,
          createdAt: clock.now(),
        },
      });
      // Its failure was learned first: the money came back as well.
      const returned = await postPayoutReturn(tx, payout.id);
      return finish(
        tx,
        {
          status: "PROCESSED",
          outcome: `payout ${payout.id} of ${payout.amount} SAR recorded${returned ? ", and its return (it failed)" : ""}`,
        },
        within,
      );
    });
  }

  async function recordPayoutFailure(
    failure: PayoutFailureSnapshot,
    within: WithinTransaction = noop,
  ): Promise<RecordOutcome> {
    return db.$transaction(async (tx) => {
      if (failure.currency !== "sar") {
        return finish(
          tx,
          { status: "REJECTED", outcome: `PAYMENT_CURRENCY_UNSUPPORTED: payout ${failure.payoutId}` },
          within,
        );
      }
      await lockPayout(tx, failure.payoutId);
      const known = await tx.payoutFailure.findUnique({ where: { stripePayoutId: failure.payoutId } });
      if (!known) {
        await tx.payoutFailure.create({
          data: {
            stripePayoutId: failure.payoutId,
            amount: failure.amount.toString(),
            failedAt: failure.at,
            failedOn: BusinessDate.fromInstant(failure.at).toDateColumn(),
            failureCode: failure.code,
            createdAt: clock.now(),
          },
        });
      }
      const returned = await postPayoutReturn(tx, failure.payoutId);
      return finish(
        tx,
        {
          status: "PROCESSED",
          outcome: returned
            ? `payout ${failure.payoutId} failed: ${failure.amount} SAR back from the bank`
            : `payout ${failure.payoutId} failed${known ? " (recorded before)" : ""}; nothing to take back unless it was paid`,
        },
        within,
      );
    });
  }

  /** A declined or failed attempt; a later success still makes it PAID (status is derived). */
  async function markAttemptFailed(
    reference: { attemptId?: string | undefined; stripeObjectId?: string | undefined },
    failure: { at: Date; message: string },
    within: WithinTransaction = noop,
  ): Promise<RecordOutcome> {
    return db.$transaction(async (tx) => {
      const or = [
        ...(reference.attemptId ? [{ id: reference.attemptId }] : []),
        ...(reference.stripeObjectId ? [{ stripeObjectId: reference.stripeObjectId }] : []),
      ];
      const updated =
        or.length === 0
          ? { count: 0 }
          : await tx.paymentAttempt.updateMany({
              where: { OR: or, failedAt: null },
              data: { failedAt: failure.at, failureMessage: failure.message.slice(0, 500) },
            });
      const known = updated.count > 0 || (or.length > 0 && (await tx.paymentAttempt.count({ where: { OR: or } })) > 0);
      return finish(
        tx,
        known
          ? { status: "PROCESSED", outcome: `attempt failed: ${failure.message}` }
          : { status: "IGNORED", outcome: "no Ishtirak payment attempt to mark failed" },
        within,
      );
    });
  }

  /** Applies an establishment's credit balance to its open invoices now. */
  async function applyCreditBalance(establishmentId: string, cause: { cause: string; causeId: string }) {
    return db.$transaction(async (tx) => {
      await lockEstablishment(tx, establishmentId);
      const applied = await rebalance(
        tx,
        establishmentId,
        { ...cause, on: BusinessDate.fromInstant(clock.now()) },
        clock.now(),
      );
      return { applied, remaining: await unappliedBalance(tx, establishmentId) };
    });
  }

  return {
    recordPayment,
    recordPayments,
    recordRefunds,
    recordDispute,
    recordPayout,
    recordPayoutFailure,
    markAttemptFailed,
    applyCreditBalance,
    paymentKnown: (reference: { chargeId: string; paymentIntentId: string | null }) => paymentFor(db, reference),
    paymentOfIntent: (paymentIntentId: string) => findPaymentByIntent(db, paymentIntentId),
    paymentsOfIntents: (paymentIntentIds: readonly string[]) => findPaymentsByIntents(db, paymentIntentIds),
  };
}

export type PaymentRecorder = ReturnType<typeof createPaymentRecorder>;
