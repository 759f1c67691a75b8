import { BusinessDate } from "../shared/business-date.js";
import type { Clock } from "../shared/clock.js";
import type { PrismaClient } from "../shared/db/database.js";
import { AppError } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import type { JobClaims } from "../shared/job-claims.js";
import {
  differencesOfStaged,
  removeAbandonedStaging,
  stageStripeTransactions,
  unstageStripeTransactions,
} from "./repository.js";
import type { BalanceTransactionSnapshot, StripeGateway } from "./stripe-gateway.js";

export const reconciliationDaysMax = 31;

/** Balance transactions staged per statement: ten of Stripe's list pages. */
const stagedPerStatement = 1_000;

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

  /**
   * Stripe's balance transactions for the period are staged page by page (a day of the agency's
   * payments is hundreds of thousands), then compared with the ledger in one statement, both ways.
   */
  async function compare(runId: string, from: Date, to: Date): Promise<ReconciliationDifference[]> {
    let page: BalanceTransactionSnapshot[] = [];
    for await (const transaction of gateway.balanceTransactionsCreatedBetween(from, to)) {
      if (!transaction.source) continue;
      page.push(transaction);
      if (page.length === stagedPerStatement) {
        await stageStripeTransactions(db, runId, page, clock.now());
        page = [];
      }
    }
    await stageStripeTransactions(db, runId, page, clock.now());
    return differencesOfStaged(db, runId, from, to);
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
    const id = newId("rec");
    await removeAbandonedStaging(db, new Date(clock.now().getTime() - 24 * 60 * 60 * 1000));
    try {
      const differences = await compare(id, from, to);
      return await db.$transaction(async (tx) => {
        await unstageStripeTransactions(tx, id);
        return tx.reconciliationRun.create({
          data: {
            id,
            periodFrom: from,
            periodTo: to,
            differences,
            differenceCount: differences.length,
            ranAt: clock.now(),
            ranBy,
          },
        });
      });
    } catch (error) {
      await unstageStripeTransactions(db, id).catch(() => undefined);
      throw error;
    }
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
