import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Clock } from "../shared/clock.js";
import type { PrismaClient } from "../shared/db/database.js";
import { type Backlogs, readBacklogs } from "./repository.js";

/**
 * The process's Prometheus metrics (prom-client), one registry per process: each web or worker
 * process is scraped on its own GET /metrics. Three kinds:
 * - what this process did: HTTP requests by route pattern (never the concrete path, whose ids
 *   would make a series per invoice) and status, and its scheduled jobs;
 * - the backlogs every process sees alike, read from the database at each scrape (Stripe events
 *   waiting to be applied, SMS waiting to be sent, billing runs not finished, the last
 *   reconciliation): what an operator pages on;
 * - Node's own (event-loop delay, heap, GC), in the service process only (main.ts): they watch
 *   the whole process, and tests build many apps in one.
 */
export function createMetrics(deps: { db: PrismaClient; clock: Clock; processMetrics?: boolean }) {
  const registry = new Registry();
  if (deps.processMetrics) collectDefaultMetrics({ register: registry, prefix: "ishtirak_" });
  const registers = [registry];

  const requestDuration = new Histogram({
    name: "ishtirak_http_request_duration_seconds",
    help: "HTTP requests answered by this process, by method, route pattern and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const jobRuns = new Counter({
    name: "ishtirak_job_runs_total",
    help: "Scheduled job runs in this process, by job and outcome (succeeded, failed)",
    labelNames: ["job", "outcome"] as const,
    registers,
  });
  const jobDuration = new Histogram({
    name: "ishtirak_job_duration_seconds",
    help: "How long this process's scheduled jobs ran, by job",
    labelNames: ["job"] as const,
    buckets: [0.1, 1, 10, 60, 300, 900, 1800, 3600],
    registers,
  });
  const jobLastSuccess = new Gauge({
    name: "ishtirak_job_last_success_timestamp_seconds",
    help: "When each scheduled job last finished without error in this process (Unix time)",
    labelNames: ["job"] as const,
    registers,
  });

  // The backlogs, read in one statement at the start of each scrape (render) for every gauge.
  let scraped: Backlogs | undefined;
  const backlogGauge = (name: string, help: string, value: (read: Backlogs) => number | null) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        if (scraped) this.set(value(scraped) ?? 0);
      },
    });
  backlogGauge(
    "ishtirak_stripe_events_pending",
    "Stripe events stored and not applied yet (new, or waiting for a retry)",
    (read) => read.stripeEventsPending,
  );
  backlogGauge(
    "ishtirak_stripe_events_retrying",
    "Stripe events whose applying failed at least once and waits for its next attempt",
    (read) => read.stripeEventsRetrying,
  );
  backlogGauge(
    "ishtirak_stripe_events_oldest_pending_age_seconds",
    "How long the oldest Stripe event not applied yet has waited since it was received (0: none)",
    (read) => read.stripeEventsOldestPendingSeconds,
  );
  backlogGauge(
    "ishtirak_outbound_messages_queued",
    "SMS and emails waiting to be sent (codes and notices)",
    (read) => read.messagesQueued,
  );
  backlogGauge(
    "ishtirak_outbound_messages_oldest_queued_age_seconds",
    "How long the oldest message waiting to be sent has waited (0: none)",
    (read) => read.messagesOldestQueuedSeconds,
  );
  backlogGauge(
    "ishtirak_outbound_messages_failed",
    "Messages given up on after their last attempt",
    (read) => read.messagesFailed,
  );
  backlogGauge(
    "ishtirak_billing_runs_unfinished",
    "Billing runs planning, staging or issuing (a crashed one is resumed at start)",
    (read) => read.billingRunsUnfinished,
  );
  backlogGauge(
    "ishtirak_reconciliation_last_run_timestamp_seconds",
    "When the latest reconciliation with Stripe ran (Unix time; 0 before the first)",
    (read) => read.reconciliationLastRanAt,
  );
  backlogGauge(
    "ishtirak_reconciliation_last_run_differences",
    "How many differences the latest reconciliation with Stripe found (0 before the first)",
    (read) => read.reconciliationLastDifferences,
  );

  return {
    contentType: registry.contentType,
    /** The exposition text: the backlogs read now, then every metric of the registry. */
    async render(): Promise<string> {
      scraped = await readBacklogs(deps.db, deps.clock.now());
      return registry.metrics();
    },
    observeRequest(request: { method: string; route: string; status: number; seconds: number }) {
      requestDuration.observe(
        { method: request.method, route: request.route, status: String(request.status) },
        request.seconds,
      );
    },
    observeJob(job: string, outcome: "succeeded" | "failed", seconds: number) {
      jobRuns.inc({ job, outcome });
      jobDuration.observe({ job }, seconds);
      if (outcome === "succeeded") jobLastSuccess.set({ job }, deps.clock.now().getTime() / 1000);
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
