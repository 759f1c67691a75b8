import Stripe from "stripe";
import { Money } from "../shared/money.js";
import { pacedHttpClient, type StripeRequestRates } from "./stripe-pacing.js";

/**
 * The only module that speaks Stripe's API: it turns halalas into Money and Unix seconds
 * into instants, and Stripe's objects into the few fields Ishtirak uses. Whether the client
 * talks to Stripe or to the local fake is decided where it is built (`createStripeClient`).
 */
export type StripeConnection = { client: Stripe; webhookSecret: string; mode: "stripe" | "local" };

export function createStripeClient(
  options: { secretKey: string } & (
    | { local?: undefined; apiUrl?: string | undefined; rates?: StripeRequestRates }
    | { local: { host: string; port: number } }
  ),
): Stripe {
  const api = "apiUrl" in options && options.apiUrl ? new URL(options.apiUrl) : undefined;
  const endpoint = options.local
    ? { host: options.local.host, port: options.local.port, protocol: "http" as const }
    : api
      ? {
          host: api.hostname,
          port: Number(api.port || (api.protocol === "http:" ? 80 : 443)),
          protocol: api.protocol === "http:" ? ("http" as const) : ("https" as const),
        }
      : {};
  // The local stand-in has no rate limits to respect.
  const rates = options.local ? undefined : options.rates;
  return new Stripe(options.secretKey, {
    maxNetworkRetries: 2,
    timeout: 20_000,
    telemetry: false,
    ...endpoint,
    ...(rates ? { httpClient: pacedHttpClient(Stripe.createNodeHttpClient(), rates) } : {}),
  });
}

export type PaymentIntentSnapshot = {
  id: string;
  status: string;
  amount: Money;
  currency: string;
  metadata: Record<string, string>;
  /** The succeeded charge and its balance transaction's fee; null before the money arrived. */
  charge: { id: string; created: Date; fee: Money; feeCurrency: string } | null;
};

export type RefundSnapshot = {
  id: string;
  chargeId: string;
  amount: Money;
  status: string;
  created: Date;
  /**
   * A refund whose money came back (it failed after it succeeded, or was canceled while it waited
   * for the customer): when (its failure balance transaction), and why.
   */
  failure: { at: Date; reason: string | null } | null;
};

export type BalanceTransactionSnapshot = {
  id: string;
  type: string;
  amount: Money;
  fee: Money;
  source: string | null;
  reportingCategory: string;
  created: Date;
};

export const fromUnixSeconds = (seconds: number): Date => new Date(seconds * 1000);
const toUnixSeconds = (instant: Date): number => Math.floor(instant.getTime() / 1000);
export const fromHalalas = (amount: number): Money => Money.fromHalalas(BigInt(amount));

/** Stripe refused the request for the account's rate limits (429); worth trying again in a few seconds. */
export function isRateLimited(error: unknown): boolean {
  return error instanceof Stripe.errors.StripeRateLimitError;
}

function isNotFound(error: unknown): boolean {
  return error instanceof Stripe.errors.StripeInvalidRequestError && error.statusCode === 404;
}

function balanceTransactionOf(value: string | Stripe.BalanceTransaction | null): Stripe.BalanceTransaction | null {
  return value !== null && typeof value === "object" ? value : null;
}

/**
 * The SDK records its caller's stack on every request (`new Error().stack` in StripeResource,
 * synchronously, before its first await), and formatting that stack under --enable-source-maps
 * took ~3% of the webhook worker's CPU, one read per payment event. A call made through this
 * records an empty one: a Stripe error still says what failed, with its code and request id.
 */
export function withoutCallSiteStack<T>(call: () => Promise<T>): Promise<T> {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return call();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

export function createStripeGateway(client: Stripe) {
  return {
    async createCheckoutSession(
      input: {
        amount: Money;
        productName: string;
        metadata: Record<string, string>;
        successUrl: string;
        cancelUrl: string;
        expiresAt: Date;
      },
      idempotencyKey: string,
    ): Promise<{ id: string; url: string }> {
      const session = await client.checkout.sessions.create(
        {
          mode: "payment",
          line_items: [
            {
              quantity: 1,
              price_data: {
                currency: "sar",
                unit_amount: Number(input.amount.toHalalas()),
                product_data: { name: input.productName },
              },
            },
          ],
          metadata: input.metadata,
          payment_intent_data: { metadata: input.metadata },
          success_url: input.successUrl,
          cancel_url: input.cancelUrl,
          expires_at: toUnixSeconds(input.expiresAt),
        },
        { idempotencyKey },
      );
      if (!session.url) throw new Error(`checkout session ${session.id} came back without a URL`);
      return { id: session.id, url: session.url };
    },

    async createPaymentIntent(
      input: { amount: Money; description: string; metadata: Record<string, string> },
      idempotencyKey: string,
    ): Promise<{ id: string; clientSecret: string }> {
      const intent = await client.paymentIntents.create(
        {
          amount: Number(input.amount.toHalalas()),
          currency: "sar",
          description: input.description,
          metadata: input.metadata,
          automatic_payment_methods: { enabled: true },
        },
        { idempotencyKey },
      );
      if (!intent.client_secret) throw new Error(`payment intent ${intent.id} came back without a client secret`);
      return { id: intent.id, clientSecret: intent.client_secret };
    },

    /** The PaymentIntent as Stripe holds it now, with its charge's fee; undefined when Stripe does not know it. */
    async retrievePaymentIntent(id: string): Promise<PaymentIntentSnapshot | undefined> {
      try {
        const intent = await withoutCallSiteStack(() =>
          client.paymentIntents.retrieve(id, { expand: ["latest_charge.balance_transaction"] }),
        );
        const charge = typeof intent.latest_charge === "object" ? intent.latest_charge : null;
        const transaction = charge ? balanceTransactionOf(charge.balance_transaction) : null;
        return {
          id: intent.id,
          status: intent.status,
          amount: fromHalalas(intent.amount_received || intent.amount),
          currency: intent.currency,
          metadata: intent.metadata,
          charge:
            charge && charge.status === "succeeded"
              ? {
                  id: charge.id,
                  created: fromUnixSeconds(charge.created),
                  fee: fromHalalas(transaction?.fee ?? 0),
                  feeCurrency: transaction?.currency ?? charge.currency,
                }
              : null,
        };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    async listRefunds(chargeId: string): Promise<RefundSnapshot[]> {
      const refunds: RefundSnapshot[] = [];
      for await (const refund of client.refunds.list({
        charge: chargeId,
        limit: 100,
        expand: ["data.failure_balance_transaction"],
      })) {
        const failedBack = refund.failure_balance_transaction;
        // A canceled refund (one that waited for the customer) took its amount from the balance
        // when it was made and gave it back when canceled, in a failure balance transaction, as
        // a failed one does; canceled without one, it never moved money.
        const cameBack = refund.status === "failed" || (refund.status === "canceled" && Boolean(failedBack));
        refunds.push({
          id: refund.id,
          chargeId,
          amount: fromHalalas(refund.amount),
          status: refund.status ?? "pending",
          created: fromUnixSeconds(refund.created),
          failure: cameBack
            ? {
                // Unexpanded (an id) only if Stripe ignored the expansion: the refund's own time then.
                at: fromUnixSeconds(typeof failedBack === "object" && failedBack ? failedBack.created : refund.created),
                reason: refund.failure_reason ?? null,
              }
            : null,
        });
      }
      return refunds;
    },

    async *paymentIntentsCreatedBetween(from: Date, to: Date): AsyncGenerator<PaymentIntentSnapshot> {
      for await (const intent of client.paymentIntents.list({
        created: { gte: toUnixSeconds(from), lt: toUnixSeconds(to) },
        limit: 100,
      })) {
        yield {
          id: intent.id,
          status: intent.status,
          amount: fromHalalas(intent.amount_received || intent.amount),
          currency: intent.currency,
          metadata: intent.metadata,
          charge: null,
        };
      }
    },

    async *balanceTransactionsCreatedBetween(from: Date, to: Date): AsyncGenerator<BalanceTransactionSnapshot> {
      for await (const transaction of client.balanceTransactions.list({
        created: { gte: toUnixSeconds(from), lt: toUnixSeconds(to) },
        limit: 100,
      })) {
        yield {
          id: transaction.id,
          type: transaction.type,
          amount: fromHalalas(transaction.amount),
          fee: fromHalalas(transaction.fee),
          source: typeof transaction.source === "string" ? transaction.source : (transaction.source?.id ?? null),
          reportingCategory: transaction.reporting_category,
          created: fromUnixSeconds(transaction.created),
        };
      }
    },
  };
}

export type StripeGateway = ReturnType<typeof createStripeGateway>;
