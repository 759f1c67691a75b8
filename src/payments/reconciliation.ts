import { BusinessDate } from "../shared/business-date.js";
import type { Clock } from "../shared/clock.js";
import type { PrismaClient } from "../shared/db/database.js";
import { AppError } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import type { JobClaims } from "../shared/job-claims.js";
import { Money } from "../shared/money.js";
import type { StripeGateway } from "./stripe-gateway.js";

export const reconciliationDaysMax = 31;

/** The daily job's name in job_period_claims (its periods are business days). */
export const reconciliationJob = "reconcile-stripe";
/**
 * How far back the daily job looks for days it has not compared (ASSUMED: a week covers a long
 * outage; older days can still be compared through POST /v1/reconciliation-runs).
 */
export const reconciliationCatchUpDays = 7;
/**
 * Far longer than a day's comparison takes (a million balance transactions are 10,000 list pages,
 * ~500 s at 20 reads a second), so a slow run is not taken over while alive.
 */
const reconciliationLease = { ms: 2 * 60 * 60 * 1000 };

export type ReconciliationDifference = {
  kind:
    | "PAYMENT_MISSING_IN_LEDGER"
    | "PAYMENT_NOT_AT_STRIPE"
    | "PAYMENT_AMOUNT_DIFFERS"
    | "PAYMENT_FEE_DIFFERS"
    | "REFUND_MISSING_IN_LEDGER"
    | "REFUND_NOT_AT_STRIPE"
    | "REFUND_AMOUNT_DIFFERS"
    | "REFUND_FAILURE_MISSING_IN_LEDGER"
    | "REFUND_FAILURE_NOT_AT_STRIPE"
    | "DISPUTE_TRANSACTION_MISSING_IN_LEDGER";
  stripeId: string;
  stripeAmount: string | null;
  ledgerAmount: string | null;
};

/**
 * Compares Stripe's balance transactions for a period (charges with their fees, refunds,
 * dispute withdrawals and reinstatements) with the payments, refunds and processor
 * transactions the ledger recorded, both ways, and lists every difference. Payouts are left
 * out: Stripe lists a payout while it is in transit, the ledger only once it is paid.
 */
export function createReconciliation(deps: { db: PrismaClient; clock: Clock; gateway: StripeGateway }) {
  const { db, clock, gateway } = deps;

  async function compare(from: Date, to: Date): Promise<ReconciliationDifference[]> {
    const charges = new Map<string, { amount: Money; fee: Money }>();
    const refunds = new Map<string, Money>();
    /** Money a failed refund brought back, by refund id. */
    const refundFailures = new Map<string, Money>();
    const disputeTransactions = new Map<string, Money>();
    for await (const transaction of gateway.balanceTransactionsCreatedBetween(from, to)) {
      if (!transaction.source) continue;
      if (transaction.type === "charge" || transaction.type === "payment") {
        charges.set(transaction.source, { amount: transaction.amount, fee: transaction.fee });
      } else if (transaction.type === "refund" || transaction.type === "payment_refund") {
        refunds.set(transaction.source, transaction.amount.negate());
      } else if (transaction.type === "refund_failure") {
        refundFailures.set(transaction.source, transaction.amount);
      } else if (transaction.reportingCategory === "dispute" || transaction.reportingCategory === "dispute_reversal") {
        disputeTransactions.set(transaction.id, transaction.amount);
      }
    }

    const ledgerPayments = await db.payment.findMany({
      where: { OR: [{ stripeChargeId: { in: [...charges.keys()] } }, { receivedAt: { gte: from, lt: to } }] },
      select: { stripeChargeId: true, amount: true, fee: true },
    });
    const ledgerRefunds = await db.paymentRefund.findMany({
      where: { OR: [{ stripeRefundId: { in: [...refunds.keys()] } }, { refundedAt: { gte: from, lt: to } }] },
      select: { stripeRefundId: true, amount: true },
    });
    const ledgerRefundFailures = await db.paymentRefundFailure.findMany({
      where: {
        OR: [{ refund: { stripeRefundId: { in: [...refundFailures.keys()] } } }, { failedAt: { gte: from, lt: to } }],
      },
      select: { refund: { select: { stripeRefundId: true, amount: true } } },
    });
    const ledgerDisputeTransactions = new Set(
      (
        await db.processorBalanceTransaction.findMany({
          where: { stripeBalanceTransactionId: { in: [...disputeTransactions.keys()] } },
          select: { stripeBalanceTransactionId: true },
        })
      ).map((row) => row.stripeBalanceTransactionId),
    );

    const differences: ReconciliationDifference[] = [];
    const difference = (
      kind: ReconciliationDifference["kind"],
      stripeId: string,
      stripeAmount: Money | undefined,
      ledgerAmount: Money | undefined,
    ) =>
      differences.push({
        kind,
        stripeId,
        stripeAmount: stripeAmount?.toString() ?? null,
        ledgerAmount: ledgerAmount?.toString() ?? null,
      });

    const paymentsByCharge = new Map(ledgerPayments.map((row) => [row.stripeChargeId, row]));
    for (const [chargeId, atStripe] of charges) {
      const recorded = paymentsByCharge.get(chargeId);
      if (!recorded) {
        difference("PAYMENT_MISSING_IN_LEDGER", chargeId, atStripe.amount, undefined);
        continue;
      }
      const amount = Money.fromDecimal(recorded.amount);
      const fee = Money.fromDecimal(recorded.fee);
      if (!amount.equals(atStripe.amount)) difference("PAYMENT_AMOUNT_DIFFERS", chargeId, atStripe.amount, amount);
      if (!fee.equals(atStripe.fee)) difference("PAYMENT_FEE_DIFFERS", chargeId, atStripe.fee, fee);
    }
    for (const recorded of ledgerPayments) {
      if (!charges.has(recorded.stripeChargeId)) {
        difference("PAYMENT_NOT_AT_STRIPE", recorded.stripeChargeId, undefined, Money.fromDecimal(recorded.amount));
      }
    }
    const refundsById = new Map(ledgerRefunds.map((row) => [row.stripeRefundId, Money.fromDecimal(row.amount)]));
    for (const [refundId, atStripe] of refunds) {
      const recorded = refundsById.get(refundId);
      if (!recorded) difference("REFUND_MISSING_IN_LEDGER", refundId, atStripe, undefined);
      else if (!recorded.equals(atStripe)) difference("REFUND_AMOUNT_DIFFERS", refundId, atStripe, recorded);
    }
    for (const [refundId, recorded] of refundsById) {
      if (!refunds.has(refundId)) difference("REFUND_NOT_AT_STRIPE", refundId, undefined, recorded);
    }
    const failuresByRefund = new Map(
      ledgerRefundFailures.map(({ refund }) => [refund.stripeRefundId, Money.fromDecimal(refund.amount)]),
    );
    for (const [refundId, atStripe] of refundFailures) {
      if (!failuresByRefund.has(refundId))
        difference("REFUND_FAILURE_MISSING_IN_LEDGER", refundId, atStripe, undefined);
    }
    for (const [refundId, recorded] of failuresByRefund) {
      if (!refundFailures.has(refundId)) difference("REFUND_FAILURE_NOT_AT_STRIPE", refundId, undefined, recorded);
    }
    for (const [transactionId, atStripe] of disputeTransactions) {
      if (!ledgerDisputeTransactions.has(transactionId)) {
        difference("DISPUTE_TRANSACTION_MISSING_IN_LEDGER", transactionId, atStripe, undefined);
      }
    }
    return differences.sort((a, b) =>
      a.kind === b.kind ? (a.stripeId < b.stripeId ? -1 : 1) : a.kind < b.kind ? -1 : 1,
    );
  }

  /** Compares the business days `from` to `to` (inclusive, Riyadh) and stores the result. */
  async function run(range: { from: BusinessDate; to: BusinessDate }, ranBy: string) {
    if (range.to.isBefore(range.from)) {
      throw new AppError("DATE_RANGE_REVERSED", `the range ends (${range.to}) before it starts (${range.from})`);
    }
    if (range.from.daysUntil(range.to) + 1 > reconciliationDaysMax) {
      throw new AppError("DATE_RANGE_TOO_LONG", `a reconciliation covers at most ${reconciliationDaysMax} days`);
    }
    const from = range.from.startInstant();
    const to = range.to.endInstant();
    const differences = await compare(from, to);
    return db.reconciliationRun.create({
      data: {
        id: newId("rec"),
        periodFrom: from,
        periodTo: to,
        differences,
        differenceCount: differences.length,
        ranAt: clock.now(),
        ranBy,
      },
    });
  }

  return {
    run,

    /**
     * The daily job: each of the last `reconciliationCatchUpDays` days (Riyadh) up to yesterday
     * that no job has compared yet, oldest first, each by one process only, so days missed while
     * the service was down are compared too. A day that fails is left for the next run.
     */
    async runDaysDue(claims: JobClaims) {
      const yesterday = BusinessDate.fromInstant(clock.now()).plusDays(-1);
      const days = Array.from({ length: reconciliationCatchUpDays }, (_, index) =>
        yesterday.plusDays(index - reconciliationCatchUpDays + 1),
      );
      const finished = await claims.finishedPeriods(reconciliationJob, days.map(String));
      const runs = [];
      for (const day of days) {
        if (finished.has(day.toString())) continue;
        const claimed = await claims.runOnce(
          reconciliationJob,
          day.toString(),
          reconciliationLease,
          () => run({ from: day, to: day }, "job:reconciliation"),
          (created) => ({ runId: created.id, differences: created.differenceCount }),
        );
        if (claimed.ran) runs.push(claimed.result);
      }
      return runs;
    },

    async find(id: string) {
      const run = await db.reconciliationRun.findUnique({ where: { id } });
      if (!run) throw new AppError("RECONCILIATION_RUN_NOT_FOUND", `no reconciliation run ${id}`);
      return run;
    },

    async list(limit: number) {
      return db.reconciliationRun.findMany({
        orderBy: [{ ranAt: "desc" }, { id: "desc" }],
        take: Math.min(limit, 100),
      });
    },
  };
}

export type Reconciliation = ReturnType<typeof createReconciliation>;
