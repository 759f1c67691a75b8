import type { LedgerAccountCode } from "../ledger/chart-of-accounts.js";
import type { JournalLineDraft } from "../ledger/journal-entry.js";
import { postJournalEntry } from "../ledger/service.js";
import { BusinessDate } from "../shared/business-date.js";
import type { Clock } from "../shared/clock.js";
import type { PrismaClient, Tx } from "../shared/db/database.js";
import { newId } from "../shared/ids.js";
import { Money } from "../shared/money.js";
import { planSettlementChanges } from "./allocation.js";
import {
  establishmentsWithCredit,
  findPaymentByCharge,
  findPaymentByIntent,
  insertAllocation,
  lockEstablishment,
  lockObligations,
  type PaymentRow,
  recordedBalanceTransactionIds,
  recordedRefundIds,
  unappliedBalance,
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

const line = (accountCode: LedgerAccountCode, amount: Money, establishmentId?: string): JournalLineDraft[] =>
  amount.isZero() ? [] : [{ accountCode, amount, ...(establishmentId === undefined ? {} : { establishmentId }) }];

/**
 * Brings the establishment's settlements in line with its credit balance (see
 * planSettlementChanges): applies money to open invoices or takes it back, posting one entry.
 */
export async function rebalance(
  tx: Tx,
  establishmentId: string,
  cause: { cause: string; causeId: string; on: BusinessDate },
  now: Date,
): Promise<Money> {
  const unapplied = await unappliedBalance(tx, establishmentId);
  const obligations = await lockObligations(
    tx,
    establishmentId,
    unapplied.isNegative() ? "all" : "not settled exactly",
  );
  const changes = planSettlementChanges(unapplied, obligations);
  if (changes.length === 0) return Money.zero;
  const contributions = Money.sum(changes.map((item) => item.contributions));
  const fines = Money.sum(changes.map((item) => item.fines));
  const moved = contributions.plus(fines);
  const id = newId("alc");
  const entry = await postJournalEntry(tx, {
    idempotencyKey: `allocation:${id}`,
    sourceType: "PAYMENT",
    sourceId: id,
    entryCode: moved.isNegative() ? "PAYMENT_RELEASED" : "PAYMENT_APPLIED",
    description: `${moved.isNegative() ? "Settlements taken back" : "Credit balance applied"} (${cause.cause.toLowerCase()} ${cause.causeId})`,
    effectiveDate: cause.on,
    lines: [
      ...line("UNAPPLIED_PAYMENTS", moved, establishmentId),
      ...line("RECEIVABLE_CONTRIBUTIONS", contributions.negate(), establishmentId),
      ...line("RECEIVABLE_FINES", fines.negate(), establishmentId),
    ],
  });
  await insertAllocation(tx, {
    id,
    establishmentId,
    cause: cause.cause,
    causeId: cause.causeId,
    effectiveOn: cause.on,
    journalEntryId: entry.entryId,
    changes,
    now,
  });
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
  cause: { cause: string; causeId: string; on: BusinessDate },
  now: Date,
): Promise<number> {
  let applied = 0;
  for (const establishmentId of await establishmentsWithCredit(tx, establishmentIds)) {
    await lockEstablishment(tx, establishmentId);
    if (!(await rebalance(tx, establishmentId, cause, now)).isZero()) applied += 1;
  }
  return applied;
}

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
    const establishmentId = intent.metadata.establishment_id;
    if (!establishmentId) {
      return db.$transaction((tx) =>
        finish(tx, { status: "IGNORED", outcome: `payment intent ${intent.id} is not an Ishtirak payment` }, within),
      );
    }
    if (intent.currency !== "sar" || (intent.charge && intent.charge.feeCurrency !== "sar")) {
      return db.$transaction((tx) =>
        finish(
          tx,
          {
            status: "REJECTED",
            outcome: `PAYMENT_CURRENCY_UNSUPPORTED: payment intent ${intent.id} is in ${intent.currency}`,
          },
          within,
        ),
      );
    }
    const charge = intent.charge;
    if (intent.status !== "succeeded" || !charge) {
      throw new Error(`payment intent ${intent.id} is ${intent.status}, not succeeded: retry later`);
    }
    return db.$transaction(async (tx) => {
      if (!(await lockEstablishment(tx, establishmentId))) {
        return finish(tx, { status: "IGNORED", outcome: `no establishment ${establishmentId}` }, within);
      }
      const existing = await findPaymentByIntent(tx, intent.id);
      if (existing)
        return finish(tx, { status: "PROCESSED", outcome: `payment ${existing.id} recorded before` }, within);
      const id = newId("pay");
      const receivedOn = BusinessDate.fromInstant(charge.created);
      const entry = await postJournalEntry(tx, {
        idempotencyKey: `stripe:payment:${intent.id}`,
        sourceType: "PAYMENT",
        sourceId: id,
        entryCode: "PAYMENT_RECEIVED",
        description: `Card payment ${intent.id} for invoice ${intent.metadata.invoice_number ?? "(none named)"}`,
        effectiveDate: receivedOn,
        lines: [
          ...line("PROCESSOR_CASH", intent.amount.minus(charge.fee)),
          ...line("PROCESSOR_FEES", charge.fee),
          ...line("UNAPPLIED_PAYMENTS", intent.amount.negate(), establishmentId),
        ],
      });
      await tx.payment.create({
        data: {
          id,
          stripePaymentIntentId: intent.id,
          stripeChargeId: charge.id,
          establishmentId,
          attemptId: intent.metadata.payment_attempt_id ?? null,
          invoiceId: intent.metadata.invoice_id ?? null,
          amount: intent.amount.toString(),
          fee: charge.fee.toString(),
          currency: "SAR",
          receivedAt: charge.created,
          receivedOn: receivedOn.toDateColumn(),
          journalEntryId: entry.entryId,
          createdAt: clock.now(),
        },
      });
      const applied = await rebalance(
        tx,
        establishmentId,
        { cause: "PAYMENT", causeId: id, on: receivedOn },
        clock.now(),
      );
      return finish(
        tx,
        { status: "PROCESSED", outcome: `payment ${id} of ${intent.amount} SAR recorded, ${applied} SAR applied` },
        within,
      );
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

  /** Succeeded refunds of a charge not recorded yet: credit balance back to the processor, then settlements taken back if short. */
  async function recordRefunds(
    reference: { chargeId: string; paymentIntentId: string | null },
    refunds: readonly RefundSnapshot[],
    within: WithinTransaction = noop,
  ): Promise<RecordOutcome> {
    return db.$transaction(async (tx) => {
      const known = await paymentFor(tx, reference);
      if (!known) throw new Error(`charge ${reference.chargeId} has no recorded payment yet: retry later`);
      await lockEstablishment(tx, known.establishmentId);
      const succeeded = refunds.filter((refund) => refund.status === "succeeded");
      const recorded = await recordedRefundIds(
        tx,
        succeeded.map((refund) => refund.id),
      );
      const fresh = succeeded.filter((refund) => !recorded.has(refund.id)).sort((a, b) => (a.id < b.id ? -1 : 1));
      for (const refund of fresh) {
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
        await rebalance(tx, known.establishmentId, { cause: "REFUND", causeId: id, on: refundedOn }, clock.now());
      }
      return finish(
        tx,
        { status: "PROCESSED", outcome: `${fresh.length} refund(s) of ${reference.chargeId} recorded` },
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

  /** Money the processor paid out to the bank. */
  async function recordPayout(payout: PayoutSnapshot, within: WithinTransaction = noop): Promise<RecordOutcome> {
    return db.$transaction(async (tx) => {
      if (payout.currency !== "sar") {
        return finish(tx, { status: "REJECTED", outcome: `PAYMENT_CURRENCY_UNSUPPORTED: payout ${payout.id}` }, within);
      }
      if (payout.status !== "paid") {
        return finish(tx, { status: "IGNORED", outcome: `payout ${payout.id} is ${payout.status}` }, within);
      }
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
      return finish(
        tx,
        { status: "PROCESSED", outcome: `payout ${payout.id} of ${payout.amount} SAR recorded` },
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
    recordRefunds,
    recordDispute,
    recordPayout,
    markAttemptFailed,
    applyCreditBalance,
    paymentKnown: (reference: { chargeId: string; paymentIntentId: string | null }) => paymentFor(db, reference),
    paymentOfIntent: (paymentIntentId: string) => findPaymentByIntent(db, paymentIntentId),
  };
}

export type PaymentRecorder = ReturnType<typeof createPaymentRecorder>;
