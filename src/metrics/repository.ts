import type { PrismaClient } from "../shared/db/database.js";

export type Backlogs = {
  stripeEventsPending: number;
  stripeEventsRetrying: number;
  stripeEventsOldestPendingSeconds: number;
  messagesQueued: number;
  messagesOldestQueuedSeconds: number;
  messagesFailed: number;
  billingRunsUnfinished: number;
  reconciliationLastRanAt: number | null;
  reconciliationLastDifferences: number | null;
};

/**
 * Every backlog the metrics show, in one statement: a scrape every 15 s from each process must
 * cost the database little. The queued and pending rows are found on the (status, next attempt)
 * indexes, which hold few of them when all is well; the failed messages are counted on the
 * same index. Ages are taken from `now` (the service's clock), not the database's.
 */
export async function readBacklogs(db: PrismaClient, now: Date): Promise<Backlogs> {
  const [row] = await db.$queryRaw<Backlogs[]>`
    SELECT
      (SELECT count(*)::int FROM stripe_events WHERE status = 'PENDING') AS "stripeEventsPending",
      (SELECT count(*)::int FROM stripe_events WHERE status = 'PENDING' AND attempts > 0) AS "stripeEventsRetrying",
      (SELECT coalesce(greatest(extract(epoch FROM ${now}::timestamptz - min(received_at)), 0), 0)::float8
         FROM stripe_events WHERE status = 'PENDING') AS "stripeEventsOldestPendingSeconds",
      (SELECT count(*)::int FROM outbound_messages WHERE status = 'QUEUED') AS "messagesQueued",
      (SELECT coalesce(greatest(extract(epoch FROM ${now}::timestamptz - min(created_at)), 0), 0)::float8
         FROM outbound_messages WHERE status = 'QUEUED') AS "messagesOldestQueuedSeconds",
      (SELECT count(*)::int FROM outbound_messages WHERE status = 'FAILED') AS "messagesFailed",
      (SELECT count(*)::int FROM billing_runs WHERE status <> 'COMPLETED') AS "billingRunsUnfinished",
      latest.ran_at AS "reconciliationLastRanAt", latest.difference_count AS "reconciliationLastDifferences"
    FROM (SELECT 1) one
    LEFT JOIN LATERAL (
      SELECT extract(epoch FROM ran_at)::float8 AS ran_at, difference_count
        FROM reconciliation_runs ORDER BY ran_at DESC, id DESC LIMIT 1) latest ON true`;
  if (!row) throw new Error("the backlog query returned nothing");
  return row;
}
