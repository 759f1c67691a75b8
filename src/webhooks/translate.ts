import type Stripe from "stripe";
import type { DisputeSnapshot, PayoutFailureSnapshot, PayoutSnapshot } from "../payments/record.js";
import { fromHalalas, fromUnixSeconds } from "../payments/stripe-gateway.js";

/**
 * What a Stripe event asks of Ishtirak, as a closed union. The event says *that* something
 * happened; the amounts that move money are read from Stripe's current objects (a
 * PaymentIntent with its fee, a charge's refunds) or from the event's own object where
 * Stripe puts everything in it (a dispute with its balance transactions, a payout). That is
 * what lets the same facts come out whatever order the events arrive in.
 */
export type StripeAction =
  | { kind: "payment-succeeded"; paymentIntentId: string }
  | { kind: "payment-failed"; attemptId?: string; stripeObjectId: string; at: Date; message: string }
  | { kind: "charge-refunded"; chargeId: string; paymentIntentId: string | null }
  | { kind: "dispute-changed"; dispute: DisputeSnapshot }
  | { kind: "payout-paid"; payout: PayoutSnapshot }
  | { kind: "payout-failed"; failure: PayoutFailureSnapshot }
  | { kind: "nothing"; reason: string };

function idOf(value: string | { id: string } | null | undefined): string | null {
  if (!value) return null;
  return typeof value === "string" ? value : value.id;
}

function checkoutSessionAction(event: Stripe.Event, session: Stripe.Checkout.Session): StripeAction {
  const paymentIntentId = idOf(session.payment_intent);
  switch (event.type) {
    case "checkout.session.completed":
      if (session.payment_status !== "paid") {
        return { kind: "nothing", reason: `checkout ${session.id} completed, payment ${session.payment_status}` };
      }
      break;
    case "checkout.session.async_payment_succeeded":
      break;
    case "checkout.session.async_payment_failed":
      return {
        kind: "payment-failed",
        ...(session.metadata?.payment_attempt_id ? { attemptId: session.metadata.payment_attempt_id } : {}),
        stripeObjectId: session.id,
        at: fromUnixSeconds(event.created),
        message: "the bank payment failed",
      };
    default:
      return { kind: "nothing", reason: `checkout ${session.id}: ${event.type}` };
  }
  return paymentIntentId
    ? { kind: "payment-succeeded", paymentIntentId }
    : { kind: "nothing", reason: `checkout ${session.id} has no payment intent` };
}

function disputeSnapshot(event: Stripe.Event, dispute: Stripe.Dispute): DisputeSnapshot {
  return {
    id: dispute.id,
    chargeId: idOf(dispute.charge) ?? "",
    paymentIntentId: idOf(dispute.payment_intent),
    amount: fromHalalas(dispute.amount),
    currency: dispute.currency,
    status: dispute.status,
    created: fromUnixSeconds(dispute.created),
    observedAt: fromUnixSeconds(event.created),
    balanceTransactions: dispute.balance_transactions.map((transaction) => ({
      id: transaction.id,
      type: transaction.type,
      amount: fromHalalas(transaction.amount),
      fee: fromHalalas(transaction.fee),
      source: idOf(transaction.source as string | { id: string } | null),
      reportingCategory: transaction.reporting_category,
      created: fromUnixSeconds(transaction.created),
    })),
  };
}

export function toStripeAction(event: Stripe.Event): StripeAction {
  switch (event.type) {
    case "checkout.session.completed":
    case "checkout.session.async_payment_succeeded":
    case "checkout.session.async_payment_failed":
    case "checkout.session.expired":
      return checkoutSessionAction(event, event.data.object);
    case "payment_intent.succeeded":
      return { kind: "payment-succeeded", paymentIntentId: event.data.object.id };
    case "payment_intent.payment_failed": {
      const intent = event.data.object;
      return {
        kind: "payment-failed",
        ...(intent.metadata?.payment_attempt_id ? { attemptId: intent.metadata.payment_attempt_id } : {}),
        stripeObjectId: intent.id,
        at: fromUnixSeconds(event.created),
        message: intent.last_payment_error?.message ?? "the payment failed",
      };
    }
    case "charge.refunded": {
      const charge = event.data.object;
      return { kind: "charge-refunded", chargeId: charge.id, paymentIntentId: idOf(charge.payment_intent) };
    }
    // A refund that was pending and succeeded, or succeeded and failed: charge.refunded came
    // when it was created (refund.created, which says no more, is left alone: each of these
    // costs a read from Stripe), these come when its status moves. Either way the charge's
    // refunds are read again, so which events arrive, and in which order, does not matter.
    case "refund.updated":
    case "refund.failed":
    case "charge.refund.updated": {
      const refund = event.data.object;
      const chargeId = idOf(refund.charge);
      if (!chargeId) return { kind: "nothing", reason: `refund ${refund.id} is of no charge` };
      return { kind: "charge-refunded", chargeId, paymentIntentId: idOf(refund.payment_intent) };
    }
    case "charge.dispute.created":
    case "charge.dispute.updated":
    case "charge.dispute.closed":
    case "charge.dispute.funds_withdrawn":
    case "charge.dispute.funds_reinstated":
      return { kind: "dispute-changed", dispute: disputeSnapshot(event, event.data.object) };
    case "payout.paid": {
      const payout = event.data.object;
      return {
        kind: "payout-paid",
        payout: {
          id: payout.id,
          amount: fromHalalas(payout.amount),
          currency: payout.currency,
          status: payout.status,
          arrivalDate: fromUnixSeconds(payout.arrival_date),
        },
      };
    }
    // The bank sent a paid payout back, or it failed on the way: Stripe puts the money back in
    // the balance. The event's own time dates the return (its failure balance transaction is
    // not expanded in events).
    case "payout.failed": {
      const payout = event.data.object;
      return {
        kind: "payout-failed",
        failure: {
          payoutId: payout.id,
          amount: fromHalalas(payout.amount),
          currency: payout.currency,
          at: fromUnixSeconds(event.created),
          code: payout.failure_code ?? null,
        },
      };
    }
    default:
      return { kind: "nothing", reason: `event type ${event.type} needs nothing from Ishtirak` };
  }
}
