import Stripe from "stripe";
import type { EstablishmentActor } from "../auth/actor.js";
import type { EmployerService } from "../employers/service.js";
import type { InvoiceService } from "../invoices/service.js";
import type { Clock } from "../shared/clock.js";
import type { PrismaClient } from "../shared/db/database.js";
import { AppError } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import { Money } from "../shared/money.js";
import type { PaymentRecorder } from "./record.js";
import { findReusableAttempt, listAttempts, listPayments, unappliedBalance } from "./repository.js";
import type { StripeGateway } from "./stripe-gateway.js";

/** How long a checkout link stays payable (Stripe allows 30 minutes to 24 hours). */
const checkoutLifetimeMs = 23 * 3600_000;
export const paymentListLimitMax = 100;

export type StartPaymentInput = {
  method: "CHECKOUT" | "PAYMENT_INTENT";
  /** Omitted: what the invoice still owes. */
  amount?: Money | undefined;
  currency: string;
};

export function createPaymentService(deps: {
  db: PrismaClient;
  clock: Clock;
  gateway: StripeGateway;
  recorder: PaymentRecorder;
  invoices: InvoiceService;
  employers: EmployerService;
  publicBaseUrl: string;
}) {
  const { db, clock, gateway, recorder, invoices, employers } = deps;

  async function outstandingInvoice(actor: EstablishmentActor, establishmentId: string, invoiceId: string) {
    const { invoice } = await invoices.getInvoice(actor, establishmentId, invoiceId);
    if (invoice.status === "VOID") throw new AppError("INVOICE_VOID", `invoice ${invoice.number} was voided`);
    const owed = Money.fromDecimal(invoice.total)
      .plus(Money.fromDecimal(invoice.finesAssessed))
      .minus(Money.fromDecimal(invoice.finesWaived))
      .minus(Money.fromDecimal(invoice.settled));
    if (!owed.isPositive()) throw new AppError("INVOICE_ALREADY_PAID", `invoice ${invoice.number} owes nothing`);
    return { invoice, owed };
  }

  return {
    /**
     * Starts paying an invoice: a Checkout Session (a URL to send the employer to) or a
     * PaymentIntent (a client secret for the employer's own page). The amount is what the
     * invoice owes, or less (a partial payment); more is refused. An identical request while
     * an earlier attempt is still payable returns that attempt, and Stripe is called with a
     * key derived from the attempt's id, so a retry never creates a second charge.
     */
    async startPayment(
      actor: EstablishmentActor,
      establishmentId: string,
      invoiceId: string,
      input: StartPaymentInput,
    ) {
      if (input.currency.toUpperCase() !== "SAR") {
        throw new AppError("PAYMENT_CURRENCY_UNSUPPORTED", `invoices are paid in SAR, not ${input.currency}`);
      }
      const { invoice, owed } = await outstandingInvoice(actor, establishmentId, invoiceId);
      const amount = input.amount ?? owed;
      if (!amount.isPositive()) throw new AppError("PAYMENT_AMOUNT_INVALID", "a payment is more than 0.00 SAR");
      if (amount.compare(owed) > 0) {
        throw new AppError(
          "PAYMENT_AMOUNT_ABOVE_OUTSTANDING",
          `invoice ${invoice.number} owes ${owed} SAR; ${amount} SAR is more`,
          [{ path: "amount", message: `at most ${owed}` }],
        );
      }
      const now = clock.now();
      const reusable = await findReusableAttempt(db, { invoiceId, method: input.method, amount, now });
      if (reusable) return { attempt: reusable, reused: true };

      const attemptId = newId("pat");
      const expiresAt = new Date(now.getTime() + checkoutLifetimeMs);
      await db.paymentAttempt.create({
        data: {
          id: attemptId,
          establishmentId,
          invoiceId,
          method: input.method,
          amount: amount.toString(),
          currency: "SAR",
          expiresAt,
          createdBy: actor.via.type === "api_key" ? `key:${actor.via.apiKeyId}` : `user:${actor.via.userId}`,
          createdAt: now,
        },
      });
      const metadata = {
        payment_attempt_id: attemptId,
        establishment_id: establishmentId,
        invoice_id: invoice.id,
        invoice_number: invoice.number,
      };
      const idempotencyKey = `ishtirak:payment-attempt:${attemptId}`;
      try {
        const created =
          input.method === "CHECKOUT"
            ? await gateway.createCheckoutSession(
                {
                  amount,
                  productName: `اشتراكات التأمينات — Contributions invoice ${invoice.number}`,
                  metadata,
                  successUrl: `${deps.publicBaseUrl}/payments/return?attempt=${attemptId}`,
                  cancelUrl: `${deps.publicBaseUrl}/payments/return?attempt=${attemptId}&cancelled=1`,
                  expiresAt,
                },
                idempotencyKey,
              )
            : await gateway.createPaymentIntent(
                { amount, description: `Contributions invoice ${invoice.number}`, metadata },
                idempotencyKey,
              );
        const attempt = await db.paymentAttempt.update({
          where: { id: attemptId },
          data: {
            stripeObjectId: created.id,
            ...("url" in created ? { checkoutUrl: created.url } : { clientSecret: created.clientSecret }),
          },
        });
        return { attempt, reused: false };
      } catch (error) {
        if (error instanceof Stripe.errors.StripeError) {
          throw new AppError(
            "PAYMENT_PROCESSOR_UNAVAILABLE",
            `the payment processor refused or failed: ${error.message}`,
          );
        }
        throw error;
      }
    },

    /** Applies the establishment's credit balance to its open invoices (oldest month first). */
    async applyCredit(actor: EstablishmentActor, establishmentId: string, invoiceId: string) {
      const { invoice } = await outstandingInvoice(actor, establishmentId, invoiceId);
      const result = await recorder.applyCreditBalance(establishmentId, {
        cause: "CREDIT_REQUEST",
        causeId: invoice.id,
      });
      if (result.applied.isZero()) {
        throw new AppError("CREDIT_BALANCE_EMPTY", "the establishment has no credit balance to apply");
      }
      const after = await invoices.getInvoice(actor, establishmentId, invoiceId);
      return { applied: result.applied, creditBalance: result.remaining, invoice: after.invoice };
    },

    async listAttempts(
      actor: EstablishmentActor,
      establishmentId: string,
      invoiceId: string | undefined,
      limit: number,
    ) {
      await employers.establishmentOf(actor, establishmentId);
      if (invoiceId) await invoices.getInvoice(actor, establishmentId, invoiceId);
      return listAttempts(db, {
        establishmentId,
        invoiceId,
        now: clock.now(),
        limit: Math.min(limit, paymentListLimitMax),
      });
    },

    /** Receipts newest first (a page and whether more follow) and the credit balance. */
    async listPayments(
      actor: EstablishmentActor,
      establishmentId: string,
      query: { limit: number; before?: string | undefined },
    ) {
      await employers.establishmentOf(actor, establishmentId);
      const limit = Math.min(query.limit, paymentListLimitMax);
      const rows = await listPayments(db, {
        establishmentId,
        limit: limit + 1,
        ...(query.before ? { before: query.before } : {}),
      });
      const items = rows.slice(0, limit);
      return {
        items,
        nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null,
        creditBalance: await unappliedBalance(db, establishmentId),
      };
    },

    /** One attempt with its derived status, for the page Checkout returns to. */
    async attemptStatus(attemptId: string) {
      const attempt = await db.paymentAttempt.findUnique({ where: { id: attemptId } });
      if (!attempt) return undefined;
      const [row] = await listAttempts(db, {
        establishmentId: attempt.establishmentId,
        attemptId,
        now: clock.now(),
        limit: 1,
      });
      return row;
    },
  };
}

export type PaymentService = ReturnType<typeof createPaymentService>;
