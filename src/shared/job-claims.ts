import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Clock } from "./clock.js";
import type { PrismaClient } from "./db/database.js";

/**
 * Every process schedules every cron job, and most jobs are safe to run anywhere and often (they
 * claim rows with SKIP LOCKED or take an advisory lock). A job that must run once per period across
 * all processes (the daily reconciliation, which reads a day's balance transactions from Stripe
 * within the account's rate limit) claims its (job, period) first: the first process to claim it
 * runs it; the others skip it. A finished period never runs again; a failed one is released at
 * once; a claim whose process died mid-run can be taken over once its lease has run out.
 */
export type JobClaims = {
  /** Runs `work` for the period if this process claims it; `outcomeOf` is what the claim records. */
  runOnce<T>(
    job: string,
    period: string,
    lease: { ms: number },
    work: () => Promise<T>,
    outcomeOf: (result: T) => Record<string, unknown>,
  ): Promise<{ ran: true; result: T } | { ran: false }>;
  /** Of the periods given, those the job has finished. */
  finishedPeriods(job: string, periods: readonly string[]): Promise<Set<string>>;
};

/** Tells claims apart: the machine, the process, and this start of it (a container's pid is often 1). */
const thisProcess = `${hostname()}#${process.pid}#${randomBytes(4).toString("hex")}`;

export function createJobClaims(deps: { db: PrismaClient; clock: Clock; owner?: string }): JobClaims {
  const { db, clock } = deps;
  const owner = deps.owner ?? thisProcess;

  async function claim(job: string, period: string, leaseMs: number): Promise<boolean> {
    const now = clock.now();
    const leaseUntil = new Date(now.getTime() + leaseMs);
    // A concurrent claimer waits on the key, then sees the winner's live lease and updates nothing.
    const claimed = await db.$queryRaw<{ job: string }[]>`
      INSERT INTO job_period_claims AS claim (job, period, claimed_by, claimed_at, lease_until)
      VALUES (${job}, ${period}, ${owner}, ${now}, ${leaseUntil})
      ON CONFLICT (job, period) DO UPDATE
         SET claimed_by = excluded.claimed_by, claimed_at = excluded.claimed_at, lease_until = excluded.lease_until
       WHERE claim.finished_at IS NULL AND claim.lease_until <= excluded.claimed_at
      RETURNING claim.job`;
    return claimed.length === 1;
  }

  return {
    async runOnce(job, period, lease, work, outcomeOf) {
      if (!(await claim(job, period, lease.ms))) return { ran: false };
      let result: Awaited<ReturnType<typeof work>>;
      try {
        result = await work();
      } catch (error) {
        // Released for the next attempt anywhere; if even that fails, the lease runs out instead,
        // and the work's own error is the one reported.
        await db.$executeRaw`
          UPDATE job_period_claims
             SET lease_until = ${clock.now()},
                 outcome = ${JSON.stringify({ error: error instanceof Error ? error.message : String(error) })}::jsonb
           WHERE job = ${job} AND period = ${period} AND claimed_by = ${owner} AND finished_at IS NULL`.catch(
          () => undefined,
        );
        throw error;
      }
      await db.$executeRaw`
        UPDATE job_period_claims
           SET finished_at = ${clock.now()}, outcome = ${JSON.stringify(outcomeOf(result))}::jsonb
         WHERE job = ${job} AND period = ${period} AND claimed_by = ${owner}`;
      return { ran: true, result };
    },

    async finishedPeriods(job, periods) {
      const finished = await db.jobPeriodClaim.findMany({
        where: { job, period: { in: [...periods] }, finishedAt: { not: null } },
        select: { period: true },
      });
      return new Set(finished.map((row) => row.period));
    },
  };
}
