import { BusinessDate } from "../shared/business-date.js";
import type { Clock } from "../shared/clock.js";
import type { PrismaClient } from "../shared/db/database.js";
import { AppError } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import type { JobClaims } from "../shared/job-claims.js";
import {
  differenceCountsOfRuns,
  differencesPage,
  removeAbandonedStaging,
  stageStripeTransactions,
  storeRunWithDifferencesOfStaged,
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

export const reconciliationDifferenceKinds = [
  "PAYMENT_MISSING_IN_LEDGER",
  "PAYMENT_NOT_AT_STRIPE",
  "PAYMENT_AMOUNT_DIFFERS",
  "PAYMENT_FEE_DIFFERS",
  "REFUND_MISSING_IN_LEDGER",
  "REFUND_NOT_AT_STRIPE",
  "REFUND_AMOUNT_DIFFERS",
  "REFUND_FAILURE_MISSING_IN_LEDGER",
  "REFUND_FAILURE_NOT_AT_STRIPE",
  "DISPUTE_TRANSACTION_MISSING_IN_LEDGER",
] as const;

export type ReconciliationDifferenceKind = (typeof reconciliationDifferenceKinds)[number];

export type ReconciliationDifference = {
  kind: ReconciliationDifferenceKind;
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
   * payments is hundreds of thousands), to be compared with the ledger in one statement.
   */
  async function stage(runId: string, from: Date, to: Date): Promise<void> {
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
  }

  /** The run with how many differences of each kind it found. */
  async function withCounts<Run extends { id: string }>(runs: Run[]) {
    const counts = await differenceCountsOfRuns(
      db,
      runs.map((run) => run.id),
    );
    return runs.map((run) => ({ ...run, differenceCounts: counts.get(run.id) ?? {} }));
  }
  const withCountsOfOne = async <Run extends { id: string }>(run: Run) =>
    (await withCounts([run]))[0] as Run & { differenceCounts: Record<string, number> };

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
      await stage(id, from, to);
      const run = await db.$transaction(async (tx) => {
        await storeRunWithDifferencesOfStaged(tx, { id, from, to, ranAt: clock.now(), ranBy });
        await unstageStripeTransactions(tx, id);
        return tx.reconciliationRun.findUniqueOrThrow({ where: { id } });
      });
      return await withCountsOfOne(run);
    } catch (error) {
      await unstageStripeTransactions(db, id).catch(() => undefined);
      throw error;
    }
  }

  async function findRun(id: string) {
    const run = await db.reconciliationRun.findUnique({ where: { id } });
    if (!run) throw new AppError("RECONCILIATION_RUN_NOT_FOUND", `no reconciliation run ${id}`);
    return run;
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
      return withCountsOfOne(await findRun(id));
    },

    async list(limit: number) {
      return withCounts(
        await db.reconciliationRun.findMany({
          orderBy: [{ ranAt: "desc" }, { id: "desc" }],
          take: Math.min(limit, 100),
        }),
      );
    },

    /** A page of a run's differences, in (kind, Stripe id) order; the cursor is the last position shown. */
    async differences(
      runId: string,
      page: { kind?: ReconciliationDifferenceKind | undefined; after?: number | undefined; limit: number },
    ) {
      await findRun(runId);
      const rows = await differencesPage(db, runId, {
        kind: page.kind,
        after: page.after ?? 0,
        limit: page.limit + 1,
      });
      const items = rows.slice(0, page.limit);
      return {
        differences: items.map(({ position: _position, ...difference }) => difference),
        nextCursor: rows.length > page.limit ? (items.at(-1)?.position ?? null) : null,
      };
    },
  };
}

export type Reconciliation = ReturnType<typeof createReconciliation>;
