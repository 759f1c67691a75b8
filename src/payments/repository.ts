import type { BusinessDate } from "../shared/business-date.js";
import type { Tx } from "../shared/db/database.js";
import { newId } from "../shared/ids.js";
import { Money } from "../shared/money.js";
import type { Obligation, SettlementChange } from "./allocation.js";

/**
 * Serialises everything that moves an establishment's money: payments, refunds, disputes
 * and credit applications each take this lock first, then the invoices they settle.
 */
export async function lockEstablishment(tx: Tx, establishmentId: string): Promise<boolean> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM establishments WHERE id = ${establishmentId} FOR UPDATE`;
  return rows.length === 1;
}

/** The establishment's credit balance: money received and not applied (may be negative after a refund). */
export async function unappliedBalance(tx: Tx, establishmentId: string): Promise<Money> {
  const rows = await tx.$queryRaw<{ balance: string }[]>`
    SELECT coalesce(-sum(amount), 0)::text AS balance FROM journal_lines
     WHERE account_code = 'UNAPPLIED_PAYMENTS' AND establishment_id = ${establishmentId}`;
  return Money.fromDecimal(rows[0]?.balance ?? "0");
}

/** Of these establishments, the ones with money received and not applied, in id order (the lock order). */
export async function establishmentsWithCredit(tx: Tx, establishmentIds: readonly string[]): Promise<string[]> {
  if (establishmentIds.length === 0) return [];
  const rows = await tx.$queryRaw<{ establishmentId: string }[]>`
    SELECT establishment_id AS "establishmentId" FROM journal_lines
     WHERE account_code = 'UNAPPLIED_PAYMENTS' AND establishment_id = ANY(${[...establishmentIds]}::text[])
     GROUP BY establishment_id HAVING sum(amount) < 0
     ORDER BY establishment_id`;
  return rows.map((row) => row.establishmentId);
}

/**
 * The establishment's invoices that allocation may touch, locked. With money to apply only
 * the ones not settled exactly are needed; a shortfall may unwind any settled invoice.
 */
export async function lockObligations(
  tx: Tx,
  establishmentId: string,
  scope: "not settled exactly" | "all",
): Promise<Obligation[]> {
  const rows = await tx.$queryRaw<
    { invoiceId: string; sortKey: string; contributions: string; fines: string; settled: string }[]
  >`
    SELECT i.id AS "invoiceId", to_char(i.contribution_month, 'YYYY-MM') || ' ' || i.number AS "sortKey",
           i.total::text AS contributions, f.fines::text AS fines, s.settled::text AS settled
      FROM invoices i
      CROSS JOIN LATERAL (SELECT coalesce(sum(amount), 0) AS settled FROM invoice_settlements
                           WHERE invoice_id = i.id) s
      CROSS JOIN LATERAL (SELECT coalesce(sum(amount) FILTER (WHERE waived_at IS NULL), 0) AS fines
                            FROM late_fines WHERE invoice_id = i.id) f
     WHERE i.establishment_id = ${establishmentId}
       AND NOT EXISTS (SELECT 1 FROM invoice_voids v WHERE v.invoice_id = i.id)
       AND (${scope === "all"} OR s.settled <> greatest(i.total, 0) + f.fines)
     ORDER BY i.id
       FOR UPDATE OF i`;
  return rows.map((row) => ({
    invoiceId: row.invoiceId,
    sortKey: row.sortKey,
    contributions: Money.fromDecimal(row.contributions),
    fines: Money.fromDecimal(row.fines),
    settled: Money.fromDecimal(row.settled),
  }));
}

export async function insertAllocation(
  tx: Tx,
  allocation: {
    id: string;
    establishmentId: string;
    cause: string;
    causeId: string;
    effectiveOn: BusinessDate;
    journalEntryId: string;
    changes: readonly SettlementChange[];
    now: Date;
  },
): Promise<void> {
  const nets = allocation.changes.map((item) => item.contributions.plus(item.fines));
  const net = Money.sum(nets);
  await tx.paymentAllocation.create({
    data: {
      id: allocation.id,
      establishmentId: allocation.establishmentId,
      direction: net.isNegative() ? "RELEASE" : "APPLY",
      amount: Money.sum(nets.map((amount) => amount.abs())).toString(),
      cause: allocation.cause,
      causeId: allocation.causeId,
      effectiveOn: allocation.effectiveOn.toDateColumn(),
      journalEntryId: allocation.journalEntryId,
      createdAt: allocation.now,
    },
  });
  const settlements = allocation.changes
    .map((item, index) => ({ invoiceId: item.invoiceId, amount: nets[index] as Money }))
    .filter((item) => !item.amount.isZero());
  if (settlements.length === 0) return;
  await tx.invoiceSettlement.createMany({
    data: settlements.map((item) => ({
      id: newId("alc"),
      invoiceId: item.invoiceId,
      sourceType: "ALLOCATION",
      sourceId: allocation.id,
      amount: item.amount.toString(),
      settledOn: allocation.effectiveOn.toDateColumn(),
      createdAt: allocation.now,
    })),
  });
}

export type PaymentRow = {
  id: string;
  establishmentId: string;
  stripePaymentIntentId: string;
  stripeChargeId: string;
  amount: Money;
};

export async function findPaymentByIntent(tx: Tx, paymentIntentId: string): Promise<PaymentRow | undefined> {
  const row = await tx.payment.findUnique({ where: { stripePaymentIntentId: paymentIntentId } });
  return row ? { ...row, amount: Money.fromDecimal(row.amount) } : undefined;
}

export async function findPaymentByCharge(tx: Tx, chargeId: string): Promise<PaymentRow | undefined> {
  const row = await tx.payment.findUnique({ where: { stripeChargeId: chargeId } });
  return row ? { ...row, amount: Money.fromDecimal(row.amount) } : undefined;
}

export async function recordedRefundIds(tx: Tx, stripeRefundIds: readonly string[]): Promise<Set<string>> {
  const rows = await tx.paymentRefund.findMany({
    where: { stripeRefundId: { in: [...stripeRefundIds] } },
    select: { stripeRefundId: true },
  });
  return new Set(rows.map((row) => row.stripeRefundId));
}

export async function recordedBalanceTransactionIds(tx: Tx, ids: readonly string[]): Promise<Set<string>> {
  const rows = await tx.processorBalanceTransaction.findMany({
    where: { stripeBalanceTransactionId: { in: [...ids] } },
    select: { stripeBalanceTransactionId: true },
  });
  return new Set(rows.map((row) => row.stripeBalanceTransactionId));
}

/** The open attempt an identical request may reuse instead of starting a second payment. */
export async function findReusableAttempt(
  tx: Tx,
  query: { invoiceId: string; method: "CHECKOUT" | "PAYMENT_INTENT"; amount: Money; now: Date },
) {
  return tx.paymentAttempt.findFirst({
    where: {
      invoiceId: query.invoiceId,
      method: query.method,
      amount: query.amount.toString(),
      failedAt: null,
      stripeObjectId: { not: null },
      expiresAt: { gt: new Date(query.now.getTime() + 30 * 60_000) },
    },
    orderBy: { createdAt: "desc" },
  });
}

export type AttemptStatus = "OPEN" | "PAID" | "FAILED" | "EXPIRED";

/** Attempts with their derived status: PAID once Stripe reported the money, whatever came before. */
export async function listAttempts(
  tx: Tx,
  query: { establishmentId: string; invoiceId?: string | undefined; attemptId?: string; now: Date; limit: number },
) {
  return tx.$queryRaw<
    {
      id: string;
      invoiceId: string;
      method: string;
      amount: string;
      currency: string;
      checkoutUrl: string | null;
      status: AttemptStatus;
      failureMessage: string | null;
      createdAt: Date;
      expiresAt: Date;
      paymentId: string | null;
    }[]
  >`
    SELECT a.id, a.invoice_id AS "invoiceId", a.method::text AS method, a.amount::text AS amount, a.currency,
           a.checkout_url AS "checkoutUrl", a.failure_message AS "failureMessage", a.created_at AS "createdAt",
           a.expires_at AS "expiresAt", p.id AS "paymentId",
           CASE WHEN p.id IS NOT NULL THEN 'PAID' WHEN a.failed_at IS NOT NULL THEN 'FAILED'
                WHEN a.expires_at <= ${query.now} THEN 'EXPIRED' ELSE 'OPEN' END AS status
      FROM payment_attempts a
      LEFT JOIN payments p ON p.attempt_id = a.id
     WHERE a.establishment_id = ${query.establishmentId}
       AND (${query.invoiceId ?? null}::text IS NULL OR a.invoice_id = ${query.invoiceId ?? null})
       AND (${query.attemptId ?? null}::text IS NULL OR a.id = ${query.attemptId ?? null})
     ORDER BY a.created_at DESC, a.id DESC
     LIMIT ${query.limit}`;
}

/** Money received with what was refunded and disputed, newest first. */
export async function listPayments(tx: Tx, query: { establishmentId: string; limit: number; before?: string }) {
  return tx.$queryRaw<
    {
      id: string;
      stripePaymentIntentId: string;
      invoiceId: string | null;
      amount: string;
      fee: string;
      refunded: string;
      disputed: string;
      disputeStatus: string | null;
      receivedAt: Date;
      receivedOn: Date;
    }[]
  >`
    SELECT p.id, p.stripe_payment_intent_id AS "stripePaymentIntentId", p.invoice_id AS "invoiceId",
           p.amount::text AS amount, p.fee::text AS fee,
           (SELECT coalesce(sum(amount), 0) FROM payment_refunds r WHERE r.payment_id = p.id)::text AS refunded,
           (SELECT coalesce(sum(amount), 0) FROM payment_disputes d WHERE d.payment_id = p.id)::text AS disputed,
           (SELECT d.status::text FROM payment_disputes d WHERE d.payment_id = p.id
             ORDER BY d.opened_at DESC LIMIT 1) AS "disputeStatus",
           p.received_at AS "receivedAt", p.received_on AS "receivedOn"
      FROM payments p
     WHERE p.establishment_id = ${query.establishmentId}
       AND (${query.before ?? null}::text IS NULL OR p.id < ${query.before ?? null})
     ORDER BY p.id DESC
     LIMIT ${query.limit}`;
}

/** What reconciliation compares with Stripe's lists: payments and refunds created in the period. */
export async function ledgerFactsBetween(tx: Tx, from: Date, to: Date) {
  const payments = await tx.$queryRaw<
    { stripePaymentIntentId: string; stripeChargeId: string; amount: string; fee: string }[]
  >`
    SELECT stripe_payment_intent_id AS "stripePaymentIntentId", stripe_charge_id AS "stripeChargeId",
           amount::text AS amount, fee::text AS fee
      FROM payments WHERE received_at >= ${from} AND received_at < ${to}`;
  const refunds = await tx.$queryRaw<{ stripeRefundId: string; amount: string }[]>`
    SELECT stripe_refund_id AS "stripeRefundId", amount::text AS amount
      FROM payment_refunds WHERE refunded_at >= ${from} AND refunded_at < ${to}`;
  return { payments, refunds };
}
