import cron from "node-cron";
import { createSessionStore } from "../auth/sessions.js";
import { createBillingService } from "../billing/service.js";
import type { Config } from "../config.js";
import { createFineService } from "../fines/service.js";
import { purgeExpiredIdempotencyKeys } from "../idempotency/service.js";
import { createStripeProcessing } from "../payments/processing.js";
import type { StripeConnection } from "../payments/stripe-gateway.js";
import { AGENCY_TIME_ZONE } from "../shared/business-date.js";
import type { Clock } from "../shared/clock.js";
import type { PrismaClient } from "../shared/db/database.js";
import type { Logger } from "../shared/logger.js";

/**
 * Maps times to service calls, nothing more (times in Asia/Riyadh). Every job is safe to run
 * twice or in several processes at once: billing runs and fine assessments are exactly-once
 * in the database, not in the scheduler.
 */
export function scheduleJobs(deps: {
  db: PrismaClient;
  clock: Clock;
  logger: Logger;
  config: Config;
  stripe: StripeConnection;
}): {
  stop(): void;
} {
  const { logger } = deps;
  const stripe = createStripeProcessing({ ...deps, workers: deps.config.payments.webhookWorkers });
  const billing = createBillingService({ ...deps, ...deps.config.billing });
  const fines = createFineService(deps);
  const job = (name: string, expression: string, work: () => Promise<unknown>) =>
    cron.schedule(
      expression,
      async () => {
        try {
          logger.info({ job: name, result: await work() }, "job finished");
        } catch (error) {
          logger.error({ job: name, err: error }, "job failed");
        }
      },
      { timezone: AGENCY_TIME_ZONE, name, noOverlap: true },
    );

  // A run a crash interrupted continues from its last committed chunk.
  billing
    .resumeUnfinishedRuns()
    .catch((error: unknown) => logger.error({ err: error }, "could not resume billing runs"));

  const tasks = [
    job("bill-months-due", deps.config.billing.runCron, async () =>
      (await billing.billMonthsDue()).map((run) => ({ month: run.month.toString(), invoices: run.invoicesIssued })),
    ),
    job("assess-late-fines", deps.config.billing.lateFineCron, async () => {
      const result = await fines.assessLateFines();
      return { ...result, amount: result.amount.toString() };
    }),
    // Events whose processing failed (Stripe unreachable, a payment not known yet) are retried.
    job("apply-stripe-events", deps.config.payments.sweepCron, () => stripe.webhooks.drain()),
    job("reconcile-stripe", deps.config.payments.reconciliationCron, async () => {
      const run = await stripe.reconciliation.runForYesterday();
      if (run.differenceCount > 0)
        logger.warn({ runId: run.id, differences: run.differences }, "reconciliation differences");
      return { runId: run.id, differences: run.differenceCount };
    }),
    job("purge-idempotency-keys", "30 3 * * *", () => purgeExpiredIdempotencyKeys(deps)),
    job("purge-ended-sessions", "40 3 * * *", () => createSessionStore(deps).purgeEnded()),
  ];
  return {
    stop() {
      for (const task of tasks) task.stop();
    },
  };
}
