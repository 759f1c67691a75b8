import type { PGlite } from "@electric-sql/pglite";
import cron from "node-cron";
import { createSessionStore } from "../auth/sessions.js";
import { createBillingService } from "../billing/service.js";
import type { Config } from "../config.js";
import { createFineService } from "../fines/service.js";
import { purgeExpiredIdempotencyKeys } from "../idempotency/service.js";
import { configuredSmsSender } from "../messaging/configured.js";
import { createLogEmailSender } from "../messaging/senders.js";
import { createMessaging } from "../messaging/service.js";
import type { Metrics } from "../metrics/registry.js";
import type { StripeProcessing } from "../payments/processing.js";
import { reconciliationJob } from "../payments/reconciliation.js";
import { AGENCY_TIME_ZONE } from "../shared/business-date.js";
import { type Clock, monotonicMilliseconds } from "../shared/clock.js";
import type { PrismaClient } from "../shared/db/database.js";
import { vacuumEmbeddedDatabase } from "../shared/db/embedded-maintenance.js";
import { createJobClaims } from "../shared/job-claims.js";
import type { Logger } from "../shared/logger.js";
import { purgeThrottles } from "../shared/throttle.js";
import { purgeCaptchas } from "../subscribers/captcha.js";
import { createSubscriberNotices } from "../subscribers/notifications.js";
import { purgeSpentSignUpData } from "../subscribers/retention.js";

/**
 * Runs one scheduled job: logs its result or its error (a job's failure never stops the process
 * or the schedule) and counts it in the process's metrics with how long it took.
 */
export function jobRunner(deps: { logger: Logger; metrics: Metrics }) {
  return async (name: string, work: () => Promise<unknown>): Promise<void> => {
    const started = monotonicMilliseconds();
    const seconds = () => (monotonicMilliseconds() - started) / 1000;
    try {
      const result = await work();
      deps.metrics.observeJob(name, "succeeded", seconds());
      deps.logger.info({ job: name, result }, "job finished");
    } catch (error) {
      deps.metrics.observeJob(name, "failed", seconds());
      deps.logger.error({ job: name, err: error }, "job failed");
    }
  };
}

/**
 * Maps times to service calls, nothing more (times in Asia/Riyadh). Every job is safe to run
 * twice or in several processes at once: billing runs and fine assessments are exactly-once
 * in the database, not in the scheduler, and the daily reconciliation claims each day it
 * compares (job_period_claims), so one process compares it.
 */
export function scheduleJobs(deps: {
  db: PrismaClient;
  clock: Clock;
  logger: Logger;
  config: Config;
  /** The process's Stripe processing, shared with its HTTP app. */
  stripe: StripeProcessing;
  /** The embedded database, when the service runs on one: nothing vacuums it otherwise. */
  embedded?: PGlite | undefined;
  metrics: Metrics;
}): {
  stop(): void;
} {
  const { logger, stripe, embedded } = deps;
  const billing = createBillingService({ ...deps, ...deps.config.billing });
  const fines = createFineService({ ...deps, correctionFinesFrom: deps.config.billing.correctionFinesFrom });
  const messaging = createMessaging({
    ...deps,
    sms: configuredSmsSender(deps.config, logger),
    email: createLogEmailSender(logger),
  });
  const notices = createSubscriberNotices({ ...deps, messaging });
  const claims = createJobClaims(deps);
  const runJob = jobRunner(deps);
  const { eventRetentionDays } = deps.config.payments;
  const job = (name: string, expression: string, work: () => Promise<unknown>) =>
    cron.schedule(expression, () => runJob(name, work), { timezone: AGENCY_TIME_ZONE, name, noOverlap: true });

  // A run a crash interrupted continues from its last committed chunk.
  billing
    .resumeUnfinishedRuns()
    .catch((error: unknown) => logger.error({ err: error }, "could not resume billing runs"));
  // Events stored but not applied when a process stopped, or stored by processes that only take
  // deliveries (WEBHOOK_APPLY_ON_RECEIPT=false), are applied now rather than at the first sweep.
  stripe.webhooks
    .drain()
    .then((result) => logger.info({ job: "apply-stripe-events", result }, "pending Stripe events applied at start"))
    .catch((error: unknown) => logger.error({ err: error }, "could not apply pending Stripe events at start"));

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
    job(reconciliationJob, deps.config.payments.reconciliationCron, async () => {
      const runs = await stripe.reconciliation.runDaysDue(claims);
      for (const run of runs.filter((created) => created.differenceCount > 0))
        logger.warn(
          { runId: run.id, differences: run.differenceCount, byKind: run.differenceCounts },
          "reconciliation differences",
        );
      return runs.map((run) => ({ runId: run.id, from: run.periodFrom, differences: run.differenceCount }));
    }),
    // Queued SMS (codes a provider hiccup held back) go out, and employers' registrations and
    // terminations reach the subscribers they concern.
    job("send-subscriber-notices", deps.config.notifications.cron, () => notices.sendEmploymentNotices()),
    job("notify-overdue-months", deps.config.notifications.overdueCron, () => notices.sendOverdueNotices()),
    job("purge-idempotency-keys", "30 3 * * *", () => purgeExpiredIdempotencyKeys(deps)),
    job("purge-throttles-and-captchas", "50 3 * * *", async () => {
      const dayAgo = new Date(deps.clock.now().getTime() - 24 * 60 * 60 * 1000);
      return { throttles: await purgeThrottles(deps.db, dayAgo), captchas: await purgeCaptchas(deps.db, dayAgo) };
    }),
    job("purge-ended-sessions", "40 3 * * *", () => createSessionStore(deps).purgeEnded()),
    // Personal data kept no longer than it serves: messages that left the queue (mobile numbers
    // and texts), spent registrations and one-time codes.
    job("purge-personal-data", "55 3 * * *", async () => ({
      messages: await messaging.purgeOld(deps.config.notifications.messageRetentionDays),
      ...(await purgeSpentSignUpData(deps)),
    })),
    ...(eventRetentionDays === undefined
      ? []
      : [job("purge-stripe-events", "10 4 * * *", () => stripe.webhooks.purgeSettled(eventRetentionDays))]),
    ...(embedded ? [job("vacuum-embedded-database", "20 4 * * *", () => vacuumEmbeddedDatabase(embedded))] : []),
  ];
  return {
    stop() {
      for (const task of tasks) task.stop();
    },
  };
}
