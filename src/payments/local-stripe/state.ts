import { randomBytes } from "node:crypto";
import Stripe from "stripe";

/**
 * The few Stripe objects Ishtirak uses, held in memory, in the shapes of Stripe's API version
 * 2026-10-28 (ids, `object`, amounts in halalas, lower-case currency, Unix-second times).
 * Every change that Stripe would announce emits the same event, signed with the webhook
 * secret. It is a stand-in for local use and tests, not a model of Stripe's rules: no
 * customers, cards or currencies beyond what a payment needs.
 */
export type StripeObject = { id: string; object: string; [field: string]: unknown };

export type SignedDelivery = { payload: string; signature: string; event: StripeObject };
export type Deliver = (delivery: SignedDelivery) => Promise<void>;

/** The fee this fake charges: 2.9% plus 1.00 SAR, rounded half-up to the halala (made up). */
export function fakeProcessorFee(amount: number): number {
  return Math.floor((amount * 29 + 500) / 1000) + 100;
}

function stripeId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString("base64url").replaceAll(/[-_]/g, "x")}`;
}

export class LocalStripeError extends Error {
  constructor(
    readonly statusCode: number,
    readonly type: "invalid_request_error" | "card_error",
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

export type LocalStripeOptions = {
  webhookSecret: string;
  /** Where signed events go; unset: they are only kept in `emitted`. */
  deliver?: Deliver | undefined;
  /** Base URL of this fake's own pages (the checkout page). */
  publicUrl: () => string;
  /** Seconds since the epoch; tests pass their fixed clock. */
  now?: () => number;
};

export function createLocalStripeState(options: LocalStripeOptions) {
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const objects = new Map<string, StripeObject>();
  const emitted: SignedDelivery[] = [];
  let deliveries: Promise<void> = Promise.resolve();

  function put<T extends StripeObject>(object: T): T {
    objects.set(object.id, object);
    return object;
  }

  function get(id: string, object: string): StripeObject {
    const found = objects.get(id);
    if (!found || found.object !== object) {
      throw new LocalStripeError(404, "invalid_request_error", `No such ${object}: '${id}'`, "id");
    }
    return found;
  }

  function emit(type: string, object: StripeObject, previousAttributes?: Record<string, unknown>) {
    const event: StripeObject = {
      id: stripeId("evt"),
      object: "event",
      api_version: Stripe.API_VERSION,
      created: now(),
      data: {
        object: structuredClone(object),
        ...(previousAttributes ? { previous_attributes: previousAttributes } : {}),
      },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    };
    const payload = JSON.stringify(event, null, 2);
    const signature = Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: options.webhookSecret,
      timestamp: now(),
    });
    const delivery = { payload, signature, event };
    emitted.push(delivery);
    const deliver = options.deliver;
    if (deliver) deliveries = deliveries.then(() => deliver(delivery)).catch(() => undefined);
  }

  function balanceTransaction(input: {
    amount: number;
    fee: number;
    type: string;
    source: string;
    reportingCategory: string;
  }): StripeObject {
    return put({
      id: stripeId("txn"),
      object: "balance_transaction",
      amount: input.amount,
      available_on: now() + 2 * 86_400,
      created: now(),
      currency: "sar",
      description: null,
      fee: input.fee,
      fee_details: input.fee === 0 ? [] : [{ amount: input.fee, currency: "sar", type: "stripe_fee" }],
      net: input.amount - input.fee,
      reporting_category: input.reportingCategory,
      source: input.source,
      status: "pending",
      type: input.type,
    });
  }

  function createPaymentIntent(input: {
    amount: number;
    currency: string;
    metadata: Record<string, string>;
    description?: string | undefined;
  }): StripeObject {
    if (!Number.isInteger(input.amount) || input.amount < 1) {
      throw new LocalStripeError(400, "invalid_request_error", "Invalid positive integer", "amount");
    }
    const id = stripeId("pi");
    return put({
      id,
      object: "payment_intent",
      amount: input.amount,
      amount_capturable: 0,
      amount_received: 0,
      automatic_payment_methods: { enabled: true },
      capture_method: "automatic",
      client_secret: `${id}_secret_${randomBytes(12).toString("hex")}`,
      created: now(),
      currency: input.currency,
      description: input.description ?? null,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      metadata: { ...input.metadata },
      payment_method_types: ["card"],
      status: "requires_payment_method",
    });
  }

  /** The customer paid: a succeeded charge with its balance transaction and fee. */
  function succeed(paymentIntent: StripeObject): StripeObject {
    const amount = paymentIntent.amount as number;
    const chargeId = stripeId("ch");
    const transaction = balanceTransaction({
      amount,
      fee: fakeProcessorFee(amount),
      type: "charge",
      source: chargeId,
      reportingCategory: "charge",
    });
    const charge = put({
      id: chargeId,
      object: "charge",
      amount,
      amount_captured: amount,
      amount_refunded: 0,
      balance_transaction: transaction.id,
      captured: true,
      created: now(),
      currency: paymentIntent.currency,
      disputed: false,
      livemode: false,
      metadata: { ...(paymentIntent.metadata as Record<string, string>) },
      paid: true,
      payment_intent: paymentIntent.id,
      refunded: false,
      status: "succeeded",
    });
    Object.assign(paymentIntent, {
      status: "succeeded",
      amount_received: amount,
      latest_charge: charge.id,
      last_payment_error: null,
    });
    emit("charge.succeeded", charge);
    emit("payment_intent.succeeded", paymentIntent);
    return charge;
  }

  function decline(paymentIntent: StripeObject): void {
    Object.assign(paymentIntent, {
      status: "requires_payment_method",
      last_payment_error: {
        code: "card_declined",
        decline_code: "generic_decline",
        message: "Your card was declined.",
        type: "card_error",
      },
    });
    emit("payment_intent.payment_failed", paymentIntent);
  }

  function createCheckoutSession(input: {
    amount: number;
    currency: string;
    metadata: Record<string, string>;
    paymentIntentMetadata: Record<string, string>;
    successUrl: string;
    cancelUrl: string;
    expiresAt?: number | undefined;
    productName: string;
  }): StripeObject {
    const id = stripeId("cs_test");
    return put({
      id,
      object: "checkout.session",
      amount_subtotal: input.amount,
      amount_total: input.amount,
      cancel_url: input.cancelUrl,
      client_reference_id: null,
      created: now(),
      currency: input.currency,
      customer: null,
      expires_at: input.expiresAt ?? now() + 24 * 3600,
      livemode: false,
      metadata: { ...input.metadata },
      mode: "payment",
      payment_intent: null,
      payment_method_types: ["card"],
      payment_status: "unpaid",
      status: "open",
      success_url: input.successUrl,
      url: `${options.publicUrl()}/checkout/${id}`,
      // Not part of Stripe's object; kept for the payment page and the PaymentIntent it creates.
      _fake: { productName: input.productName, paymentIntentMetadata: input.paymentIntentMetadata },
    });
  }

  function publicCheckoutSession(session: StripeObject): StripeObject {
    const { _fake: _, ...visible } = session;
    return visible as StripeObject;
  }

  /**
   * What happens when the customer submits the checkout page: "succeeded" pays by card,
   * "declined" fails the attempt (the session stays open), "async" starts a bank payment
   * that `settleAsync` finishes later.
   */
  function completeCheckout(sessionId: string, outcome: "succeeded" | "declined" | "async"): StripeObject {
    const session = get(sessionId, "checkout.session");
    if (session.status !== "open") {
      throw new LocalStripeError(400, "invalid_request_error", `This Checkout Session is ${session.status}`);
    }
    const hidden = session._fake as { paymentIntentMetadata: Record<string, string> };
    const paymentIntent =
      typeof session.payment_intent === "string"
        ? get(session.payment_intent, "payment_intent")
        : createPaymentIntent({
            amount: session.amount_total as number,
            currency: session.currency as string,
            metadata: hidden.paymentIntentMetadata,
          });
    session.payment_intent = paymentIntent.id;
    if (outcome === "declined") {
      decline(paymentIntent);
      return session;
    }
    if (outcome === "async") {
      Object.assign(paymentIntent, { status: "processing" });
      Object.assign(session, { status: "complete", payment_status: "unpaid" });
      emit("checkout.session.completed", publicCheckoutSession(session));
      return session;
    }
    succeed(paymentIntent);
    Object.assign(session, { status: "complete", payment_status: "paid" });
    emit("checkout.session.completed", publicCheckoutSession(session));
    return session;
  }

  function settleAsync(sessionId: string, outcome: "succeeded" | "failed"): StripeObject {
    const session = get(sessionId, "checkout.session");
    const paymentIntent = get(session.payment_intent as string, "payment_intent");
    if (paymentIntent.status !== "processing") {
      throw new LocalStripeError(400, "invalid_request_error", "This payment is not processing");
    }
    if (outcome === "succeeded") {
      succeed(paymentIntent);
      Object.assign(session, { payment_status: "paid" });
      emit("checkout.session.async_payment_succeeded", publicCheckoutSession(session));
    } else {
      decline(paymentIntent);
      emit("checkout.session.async_payment_failed", publicCheckoutSession(session));
    }
    return session;
  }

  function expireCheckout(sessionId: string): StripeObject {
    const session = get(sessionId, "checkout.session");
    if (session.status !== "open") {
      throw new LocalStripeError(400, "invalid_request_error", `This Checkout Session is ${session.status}`);
    }
    Object.assign(session, { status: "expired" });
    emit("checkout.session.expired", publicCheckoutSession(session));
    return session;
  }

  function confirmPaymentIntent(paymentIntentId: string, outcome: "succeeded" | "declined"): StripeObject {
    const paymentIntent = get(paymentIntentId, "payment_intent");
    if (paymentIntent.status === "succeeded") {
      throw new LocalStripeError(400, "invalid_request_error", "This PaymentIntent has already succeeded");
    }
    if (outcome === "succeeded") succeed(paymentIntent);
    else decline(paymentIntent);
    return paymentIntent;
  }

  function chargeOf(input: { charge?: string | undefined; payment_intent?: string | undefined }): StripeObject {
    if (input.charge) return get(input.charge, "charge");
    if (input.payment_intent) {
      const paymentIntent = get(input.payment_intent, "payment_intent");
      if (typeof paymentIntent.latest_charge === "string") return get(paymentIntent.latest_charge, "charge");
    }
    throw new LocalStripeError(400, "invalid_request_error", "Must provide a charge or a succeeded payment_intent");
  }

  /**
   * A refund: succeeded at once (a card's), or, with `requiresAction`, waiting for the customer
   * (payment methods that need their bank details); either way its amount leaves the balance now.
   */
  function createRefund(
    input: {
      charge?: string | undefined;
      payment_intent?: string | undefined;
      amount?: number | undefined;
    },
    options: { requiresAction?: boolean } = {},
  ): StripeObject {
    const charge = chargeOf(input);
    const remaining = (charge.amount as number) - (charge.amount_refunded as number);
    const amount = input.amount ?? remaining;
    if (!Number.isInteger(amount) || amount < 1 || amount > remaining) {
      throw new LocalStripeError(
        400,
        "invalid_request_error",
        `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`,
        "amount",
      );
    }
    const id = stripeId("re");
    const transaction = balanceTransaction({
      amount: -amount,
      fee: 0,
      type: "refund",
      source: id,
      reportingCategory: "refund",
    });
    const refund = put({
      id,
      object: "refund",
      amount,
      balance_transaction: transaction.id,
      charge: charge.id,
      created: now(),
      currency: charge.currency,
      metadata: {},
      payment_intent: charge.payment_intent,
      reason: null,
      status: options.requiresAction ? "requires_action" : "succeeded",
    });
    const previous = { amount_refunded: charge.amount_refunded, refunded: charge.refunded };
    const refunded = (charge.amount_refunded as number) + amount;
    Object.assign(charge, { amount_refunded: refunded, refunded: refunded === charge.amount });
    emit("charge.refunded", charge, previous);
    emit("refund.created", refund);
    return refund;
  }

  /**
   * A refund's money comes back to the balance, in a failure balance transaction, and leaves the
   * charge's refunded amount; the refund takes its final status and reason.
   */
  function returnRefund(refund: StripeObject, status: "failed" | "canceled", reason: string): void {
    const charge = get(refund.charge as string, "charge");
    const transaction = balanceTransaction({
      amount: refund.amount as number,
      fee: 0,
      type: "refund_failure",
      source: refund.id,
      reportingCategory: "refund_failure",
    });
    Object.assign(refund, { status, failure_reason: reason, failure_balance_transaction: transaction.id });
    const refunded = (charge.amount_refunded as number) - (refund.amount as number);
    Object.assign(charge, { amount_refunded: refunded, refunded: refunded === charge.amount });
  }

  /**
   * The card's bank sends a refund back (the card was closed): the refund fails, its amount
   * returns to the balance, and Stripe tells of it with refund.failed, refund.updated and
   * (for older API versions) charge.refund.updated.
   */
  function failRefund(refundId: string, reason = "expired_or_canceled_card"): StripeObject {
    const refund = get(refundId, "refund");
    if (refund.status !== "succeeded") {
      throw new LocalStripeError(400, "invalid_request_error", `Refund ${refundId} is ${String(refund.status)}`);
    }
    returnRefund(refund, "failed", reason);
    emit("refund.failed", refund);
    emit("refund.updated", refund, { status: "succeeded", failure_reason: null, failure_balance_transaction: null });
    emit("charge.refund.updated", refund, { status: "succeeded" });
    return refund;
  }

  /**
   * A refund still waiting for the customer is canceled (POST /v1/refunds/:id/cancel): as for a
   * failed one, its amount comes back to the balance.
   */
  function cancelRefund(refundId: string): StripeObject {
    const refund = get(refundId, "refund");
    if (refund.status !== "requires_action") {
      throw new LocalStripeError(
        400,
        "invalid_request_error",
        `Refund ${refundId} is ${String(refund.status)}: only a refund with a status of requires_action can be canceled`,
      );
    }
    returnRefund(refund, "canceled", "merchant_request");
    emit("refund.updated", refund, {
      status: "requires_action",
      failure_reason: null,
      failure_balance_transaction: null,
    });
    emit("charge.refund.updated", refund, { status: "requires_action" });
    return refund;
  }

  /** The cardholder's bank opens a chargeback: the amount and a 15.00 SAR fee are withdrawn. */
  function openDispute(chargeId: string, amount?: number): StripeObject {
    const charge = get(chargeId, "charge");
    const disputed = amount ?? (charge.amount as number);
    const id = stripeId("dp");
    const withdrawal = balanceTransaction({
      amount: -disputed,
      fee: 1500,
      type: "adjustment",
      source: id,
      reportingCategory: "dispute",
    });
    const dispute = put({
      id,
      object: "dispute",
      amount: disputed,
      balance_transactions: [structuredClone(withdrawal)],
      charge: charge.id,
      created: now(),
      currency: charge.currency,
      is_charge_refundable: false,
      livemode: false,
      metadata: {},
      payment_intent: charge.payment_intent,
      reason: "fraudulent",
      status: "needs_response",
    });
    Object.assign(charge, { disputed: true });
    emit("charge.dispute.created", dispute);
    emit("charge.dispute.funds_withdrawn", dispute);
    return dispute;
  }

  /** Won: the amount and the fee come back. Lost: they stay withdrawn. */
  function closeDispute(disputeId: string, outcome: "won" | "lost"): StripeObject {
    const dispute = get(disputeId, "dispute");
    if (dispute.status === "won" || dispute.status === "lost") {
      throw new LocalStripeError(400, "invalid_request_error", "This dispute is closed");
    }
    if (outcome === "won") {
      const reinstatement = balanceTransaction({
        amount: dispute.amount as number,
        fee: -1500,
        type: "adjustment",
        source: dispute.id,
        reportingCategory: "dispute_reversal",
      });
      (dispute.balance_transactions as StripeObject[]).push(structuredClone(reinstatement));
    }
    Object.assign(dispute, { status: outcome });
    if (outcome === "won") emit("charge.dispute.funds_reinstated", dispute);
    emit("charge.dispute.closed", dispute);
    return dispute;
  }

  /** A payout to the bank: paid at once, or, with `inTransit`, still on its way. */
  function createPayout(amount: number, options: { inTransit?: boolean } = {}): StripeObject {
    const id = stripeId("po");
    const transaction = balanceTransaction({
      amount: -amount,
      fee: 0,
      type: "payout",
      source: id,
      reportingCategory: "payout",
    });
    const payout = put({
      id,
      object: "payout",
      amount,
      arrival_date: now(),
      balance_transaction: transaction.id,
      created: now(),
      currency: "sar",
      failure_balance_transaction: null,
      failure_code: null,
      failure_message: null,
      livemode: false,
      metadata: {},
      method: "standard",
      status: "in_transit",
      type: "bank_account",
    });
    emit("payout.created", payout);
    if (options.inTransit) return payout;
    Object.assign(payout, { status: "paid" });
    emit("payout.paid", payout);
    return payout;
  }

  /**
   * The bank sends a payout back (the account was closed), after it was paid or on its way:
   * Stripe returns its amount to the balance in a failure balance transaction and tells of it
   * with payout.failed.
   */
  function failPayout(payoutId: string, code = "account_closed"): StripeObject {
    const payout = get(payoutId, "payout");
    if (payout.status !== "paid" && payout.status !== "in_transit") {
      throw new LocalStripeError(400, "invalid_request_error", `Payout ${payoutId} is ${String(payout.status)}`);
    }
    const transaction = balanceTransaction({
      amount: payout.amount as number,
      fee: 0,
      type: "payout_failure",
      source: payoutId,
      reportingCategory: "payout_reversal",
    });
    const previous = { status: payout.status, failure_code: null, failure_message: null };
    Object.assign(payout, {
      status: "failed",
      failure_balance_transaction: transaction.id,
      failure_code: code,
      failure_message: "The bank account has been closed.",
    });
    emit("payout.failed", payout, previous);
    return payout;
  }

  /** Forgets an object, as if Stripe had never seen it (reconciliation tests). */
  function forget(id: string): void {
    const object = objects.get(id);
    if (!object) throw new LocalStripeError(404, "invalid_request_error", `No such object: '${id}'`);
    objects.delete(id);
    const gone = [id];
    if (object.object === "payment_intent" && typeof object.latest_charge === "string") {
      objects.delete(object.latest_charge);
      gone.push(object.latest_charge);
    }
    // The money it moved goes from the balance's history with it.
    for (const [key, other] of objects) {
      if (other.object === "balance_transaction" && gone.includes(other.source as string)) objects.delete(key);
    }
  }

  function list(object: string, filter: (item: StripeObject) => boolean): StripeObject[] {
    return [...objects.values()]
      .filter((item) => item.object === object && filter(item))
      .sort((a, b) => (b.created as number) - (a.created as number) || (a.id < b.id ? 1 : -1));
  }

  return {
    get,
    list,
    emitted,
    /** Resolves when every event emitted so far has been delivered. */
    settled: () => deliveries,
    createPaymentIntent,
    createCheckoutSession,
    publicCheckoutSession,
    completeCheckout,
    settleAsync,
    expireCheckout,
    confirmPaymentIntent,
    createRefund,
    failRefund,
    cancelRefund,
    openDispute,
    closeDispute,
    createPayout,
    failPayout,
    forget,
  };
}

export type LocalStripeState = ReturnType<typeof createLocalStripeState>;
