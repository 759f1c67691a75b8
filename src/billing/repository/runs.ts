import { Prisma } from "../../generated/prisma/client.js";
import { ContributionMonth } from "../../shared/contribution-month.js";
import type { Tx } from "../../shared/db/database.js";

/**
 * Billing runs: their rows, their plan (establishments numbered into chunks, subscribers hashed
 * into partitions) and the claims workers make on both. A run goes PLANNING → STAGING (the
 * partitions' lines computed into billing_staged_lines) → ISSUING (chunk by chunk) → COMPLETED.
 */
export type BillingRunStatus = "PLANNING" | "STAGING" | "ISSUING" | "COMPLETED";

export type BillingRunRow = {
  id: string;
  month: ContributionMonth;
  status: BillingRunStatus;
  requestedBy: string;
  createdAt: Date;
  correctionsSince: Date | null;
  plannedAt: Date | null;
  completedAt: Date | null;
  establishmentCount: number;
  chunkCount: number;
  chunksIssued: number;
  partitionCount: number;
  partitionsStaged: number;
  invoicesIssued: number;
  contributionLines: number;
  adjustmentLines: number;
  lastError: string | null;
  updatedAt: Date;
};

type RawRun = Omit<BillingRunRow, "month"> & { month: Date };

const toRun = (row: RawRun): BillingRunRow => ({
  ...row,
  month: ContributionMonth.fromDateColumn(row.month),
});

const runColumns = Prisma.sql`
  id, month, status::text AS status, requested_by AS "requestedBy", created_at AS "createdAt",
  corrections_since AS "correctionsSince", planned_at AS "plannedAt", completed_at AS "completedAt",
  establishment_count AS "establishmentCount", chunk_count AS "chunkCount", chunks_issued AS "chunksIssued",
  partition_count AS "partitionCount", partitions_staged AS "partitionsStaged",
  invoices_issued AS "invoicesIssued", contribution_lines AS "contributionLines",
  adjustment_lines AS "adjustmentLines", last_error AS "lastError", updated_at AS "updatedAt"`;

export async function findRun(tx: Tx, where: { id: string } | { month: ContributionMonth }, forUpdate = false) {
  const condition =
    "id" in where ? Prisma.sql`id = ${where.id}` : Prisma.sql`month = ${where.month.firstDay().toString()}::date`;
  const rows = await tx.$queryRaw<RawRun[]>`
    SELECT ${runColumns} FROM billing_runs WHERE ${condition} ${forUpdate ? Prisma.sql`FOR UPDATE` : Prisma.empty}`;
  return rows[0] ? toRun(rows[0]) : undefined;
}

/** The latest months' runs first. */
export async function listRuns(tx: Tx, limit: number): Promise<BillingRunRow[]> {
  const rows = await tx.$queryRaw<RawRun[]>`
    SELECT ${runColumns} FROM billing_runs ORDER BY month DESC LIMIT ${limit}`;
  return rows.map(toRun);
}

/** The run of the latest month, whatever its status: runs go forward one month at a time. */
export async function latestRun(tx: Tx): Promise<BillingRunRow | undefined> {
  return (await listRuns(tx, 1))[0];
}

export async function earliestRunMonth(tx: Tx): Promise<ContributionMonth | undefined> {
  const rows = await tx.$queryRaw<{ month: Date }[]>`SELECT month FROM billing_runs ORDER BY month LIMIT 1`;
  return rows[0] ? ContributionMonth.fromDateColumn(rows[0].month) : undefined;
}

export async function insertRun(
  tx: Tx,
  run: { id: string; month: ContributionMonth; requestedBy: string; correctionsSince: Date | null; now: Date },
) {
  await tx.$executeRaw`
    INSERT INTO billing_runs (id, month, status, requested_by, created_at, corrections_since, updated_at)
    VALUES (${run.id}, ${run.month.firstDay().toString()}::date, 'PLANNING', ${run.requestedBy}, ${run.now},
            ${run.correctionsSince}, ${run.now})`;
}

/** Serialises run creation with rate-set changes, so a new rate set never lands in a billed month. */
export async function lockBillingCalendar(tx: Tx) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('ishtirak:billing-calendar'))`;
}

/**
 * Subscribers are hashed into this many buckets; a run's partition is a range of them. The
 * staging predicate writes the mask as the literal 1023, as the migration's statistics do: a bound
 * parameter would not match the statistics' expression.
 */
export const subscriberBuckets = 1024;

export type CorrectionWindow = { since: Date; firstMonth: ContributionMonth; lastMonth: ContributionMonth };

/**
 * The subscribers whose registrations, exits or wages were recorded since the window opened, or
 * who were on an invoice voided since then: only their employments can need a correction
 * (every employment of theirs, because the multi-employer cap ties one employer's figures to
 * the others').
 */
export const changedSubscribers = (since: Date) => Prisma.sql`
  SELECT subscriber_id FROM employments WHERE registered_at >= ${since} OR ended_at >= ${since}
  UNION
  SELECT e.subscriber_id FROM wages w JOIN employments e ON e.id = w.employment_id WHERE w.recorded_at >= ${since}
  UNION
  SELECT l.subscriber_id FROM invoice_voids v JOIN invoice_lines l ON l.invoice_id = v.invoice_id
   WHERE v.voided_at >= ${since}`;

/** The employment (by its alias) is active on some day of [first, last]. */
export const activeIn = (alias: string, first: Prisma.Sql, last: Prisma.Sql) => Prisma.sql`
  ${Prisma.raw(alias)}.start_date <= ${last}
  AND (${Prisma.raw(alias)}.end_date IS NULL OR ${Prisma.raw(alias)}.end_date >= ${first})`;

/**
 * Draws up the run: every establishment with an employment active in the month, or with a
 * candidate correction, numbered into chunks of about `chunkLines` lines (an establishment is
 * never split), and the subscribers hashed into partitions of about `partitionLines` lines, at
 * least `partitionsMin` so that as many workers can stage at once. Empties the staging table,
 * which only ever holds the running run's lines. Returns the counts.
 */
export async function planRun(
  tx: Tx,
  run: { id: string; month: ContributionMonth },
  corrections: CorrectionWindow | undefined,
  sizes: { chunkLines: number; partitionLines: number; partitionsMin: number },
) {
  const first = Prisma.sql`${run.month.firstDay().toString()}::date`;
  const last = Prisma.sql`${run.month.lastDay().toString()}::date`;
  const correctionRows = corrections
    ? Prisma.sql`UNION ALL
        SELECT e.establishment_id FROM employments e
          JOIN (${changedSubscribers(corrections.since)}) changed ON changed.subscriber_id = e.subscriber_id`
    : Prisma.empty;
  await tx.$executeRaw`
    INSERT INTO billing_run_establishments (run_id, establishment_id, chunk_number, planned_lines)
    SELECT ${run.id}, establishment_id, (dense_rank() OVER (ORDER BY raw_chunk) - 1)::int, planned::int
      FROM (SELECT establishment_id, planned,
                   div(sum(planned) OVER (ORDER BY establishment_id) - planned, ${sizes.chunkLines}) AS raw_chunk
              FROM (SELECT establishment_id, count(*) AS planned
                      FROM (SELECT e.establishment_id FROM employments e WHERE ${activeIn("e", first, last)}
                            ${correctionRows}) AS lines
                     GROUP BY establishment_id) AS per_establishment) AS chunked`;
  await tx.$executeRaw`
    INSERT INTO billing_run_chunks (run_id, chunk_number, establishment_count)
    SELECT run_id, chunk_number, count(*) FROM billing_run_establishments WHERE run_id = ${run.id}
     GROUP BY run_id, chunk_number`;
  // The chunks are read by chunk number, and joined to the staged lines: let the planner know.
  await tx.$executeRawUnsafe("ANALYZE billing_run_establishments");
  const [counts] = await tx.$queryRaw<{ establishments: number; chunks: number; lines: number }[]>`
    SELECT count(*)::int AS establishments, coalesce(max(chunk_number) + 1, 0)::int AS chunks,
           coalesce(sum(planned_lines), 0)::int AS lines
      FROM billing_run_establishments WHERE run_id = ${run.id}`;
  const planned = counts ?? { establishments: 0, chunks: 0, lines: 0 };
  const partitions = planned.chunks === 0 ? 0 : await insertPartitions(tx, run.id, planned.lines, sizes);
  await tx.$executeRawUnsafe("TRUNCATE billing_staged_lines");
  return { establishments: planned.establishments, chunks: planned.chunks, partitions };
}

/** At most one partition per bucket of subscribers, at least one per worker. Returns how many. */
async function insertPartitions(
  tx: Tx,
  runId: string,
  lines: number,
  sizes: { partitionLines: number; partitionsMin: number },
): Promise<number> {
  const partitions = Math.min(
    Math.max(sizes.partitionsMin, Math.ceil(lines / sizes.partitionLines), 1),
    subscriberBuckets,
  );
  await tx.$executeRaw`
    INSERT INTO billing_run_partitions (run_id, partition_number)
    SELECT ${runId}, generate_series(0, ${partitions - 1}::int)`;
  return partitions;
}

export async function recordPlanned(
  tx: Tx,
  runId: string,
  counts: { establishments: number; chunks: number; partitions: number },
  now: Date,
) {
  await tx.$executeRaw`
    UPDATE billing_runs
       SET status = 'STAGING', establishment_count = ${counts.establishments}, chunk_count = ${counts.chunks},
           partition_count = ${counts.partitions}, planned_at = ${now}, updated_at = ${now}
     WHERE id = ${runId}`;
}

/**
 * Claims a partition no one has staged or is staging. The row stays locked until the claiming
 * transaction ends, and other workers skip it. Undefined when none is free.
 */
export async function claimNextPartition(tx: Tx, runId: string): Promise<number | undefined> {
  const rows = await tx.$queryRaw<{ partitionNumber: number }[]>`
    SELECT partition_number AS "partitionNumber" FROM billing_run_partitions
     WHERE run_id = ${runId} AND staged_at IS NULL
     ORDER BY partition_number LIMIT 1 FOR UPDATE SKIP LOCKED`;
  return rows[0]?.partitionNumber;
}

export async function unstagedPartitionCount(tx: Tx, runId: string): Promise<number> {
  const rows = await tx.$queryRaw<{ count: number }[]>`
    SELECT count(*)::int AS count FROM billing_run_partitions WHERE run_id = ${runId} AND staged_at IS NULL`;
  return rows[0]?.count ?? 0;
}

export async function recordPartitionStaged(
  tx: Tx,
  runId: string,
  partitionNumber: number,
  stagedLines: number,
  now: Date,
) {
  await tx.$executeRaw`
    UPDATE billing_run_partitions SET staged_at = ${now}, staged_lines = ${stagedLines}
     WHERE run_id = ${runId} AND partition_number = ${partitionNumber}`;
  await tx.$executeRaw`
    UPDATE billing_runs SET partitions_staged = partitions_staged + 1, last_error = NULL, updated_at = ${now}
     WHERE id = ${runId}`;
}

/**
 * Staging is complete: each unissued chunk records how many staged lines it holds (it checks it
 * finds them all when it issues), the planner learns the table's statistics, and the run moves
 * on to issuing. The caller holds the run's row lock.
 */
export async function recordStagingSealed(tx: Tx, runId: string, now: Date) {
  await tx.$executeRaw`
    UPDATE billing_run_chunks SET staged_lines = 0 WHERE run_id = ${runId} AND issued_at IS NULL`;
  await tx.$executeRaw`
    UPDATE billing_run_chunks c SET staged_lines = staged.lines
      FROM (SELECT chunk_number, count(*)::int AS lines FROM billing_staged_lines GROUP BY chunk_number) staged
     WHERE c.run_id = ${runId} AND c.issued_at IS NULL AND c.chunk_number = staged.chunk_number`;
  await tx.$executeRawUnsafe("ANALYZE billing_staged_lines (chunk_number, establishment_id)");
  await tx.$executeRaw`
    UPDATE billing_runs SET status = 'ISSUING', updated_at = ${now} WHERE id = ${runId} AND status = 'STAGING'`;
}

/**
 * The staged lines were lost (a database crash empties an unlogged table), or never staged (a run
 * planned before runs staged their lines): stage the unissued chunks again, in new partitions if
 * the run has none. The caller holds the run's row lock. DELETE, not TRUNCATE: a worker reading
 * the table would hold TRUNCATE up while it waits for the run row the caller holds.
 */
export async function recordStagingLost(
  tx: Tx,
  runId: string,
  sizes: { partitionLines: number; partitionsMin: number },
  message: string,
  now: Date,
) {
  await tx.$executeRawUnsafe("DELETE FROM billing_staged_lines");
  const reset = await tx.$executeRaw`
    UPDATE billing_run_partitions SET staged_at = NULL, staged_lines = NULL WHERE run_id = ${runId}`;
  const [unissued] = await tx.$queryRaw<{ lines: number }[]>`
    SELECT coalesce(sum(be.planned_lines), 0)::int AS lines
      FROM billing_run_establishments be
      JOIN billing_run_chunks c ON c.run_id = be.run_id AND c.chunk_number = be.chunk_number
     WHERE be.run_id = ${runId} AND c.issued_at IS NULL`;
  const partitions = reset > 0 ? reset : await insertPartitions(tx, runId, unissued?.lines ?? 0, sizes);
  await tx.$executeRaw`
    UPDATE billing_runs
       SET status = 'STAGING', partition_count = ${partitions}, partitions_staged = 0, last_error = ${message},
           updated_at = ${now}
     WHERE id = ${runId} AND status = 'ISSUING'`;
}

/**
 * Claims a chunk no one has issued or is issuing, the one with the most establishments first:
 * chunks hold about as many lines, and the more invoices and journal entries a chunk writes the
 * longer it takes (at a million lines, 3.6 s for 51 establishments, 4.7 s for 13,551), so the
 * longest go first and the workers finish together instead of one issuing the last alone. The
 * row stays locked until the claiming transaction ends, and other workers skip it. Undefined
 * when none is free.
 */
export async function claimNextChunk(
  tx: Tx,
  runId: string,
): Promise<{ chunkNumber: number; stagedLines: number | null } | undefined> {
  const rows = await tx.$queryRaw<{ chunkNumber: number; stagedLines: number | null }[]>`
    SELECT chunk_number AS "chunkNumber", staged_lines AS "stagedLines" FROM billing_run_chunks
     WHERE run_id = ${runId} AND issued_at IS NULL
     ORDER BY establishment_count DESC, chunk_number LIMIT 1 FOR UPDATE SKIP LOCKED`;
  return rows[0];
}

export async function unissuedChunkCount(tx: Tx, runId: string): Promise<number> {
  const rows = await tx.$queryRaw<{ count: number }[]>`
    SELECT count(*)::int AS count FROM billing_run_chunks WHERE run_id = ${runId} AND issued_at IS NULL`;
  return rows[0]?.count ?? 0;
}

export async function chunkEstablishments(tx: Tx, runId: string, chunkNumber: number): Promise<string[]> {
  const rows = await tx.$queryRaw<{ establishmentId: string }[]>`
    SELECT establishment_id AS "establishmentId" FROM billing_run_establishments
     WHERE run_id = ${runId} AND chunk_number = ${chunkNumber} ORDER BY establishment_id`;
  return rows.map((row) => row.establishmentId);
}

export async function recordChunkIssued(
  tx: Tx,
  runId: string,
  chunkNumber: number,
  issued: { invoices: number; contributionLines: number; adjustmentLines: number },
  now: Date,
) {
  await tx.$executeRaw`
    UPDATE billing_run_chunks SET issued_at = ${now} WHERE run_id = ${runId} AND chunk_number = ${chunkNumber}`;
  // The run row is locked only from here to commit: workers on other chunks wait for it briefly.
  await tx.$executeRaw`
    UPDATE billing_runs
       SET chunks_issued = chunks_issued + 1,
           invoices_issued = invoices_issued + ${issued.invoices},
           contribution_lines = contribution_lines + ${issued.contributionLines},
           adjustment_lines = adjustment_lines + ${issued.adjustmentLines},
           last_error = NULL, updated_at = ${now}
     WHERE id = ${runId}`;
}

/** The run is complete: its staged lines are no longer needed. */
export async function recordCompleted(tx: Tx, runId: string, now: Date) {
  const completed = await tx.$executeRaw`
    UPDATE billing_runs SET status = 'COMPLETED', completed_at = ${now}, updated_at = ${now}
     WHERE id = ${runId} AND status = 'ISSUING'`;
  if (completed > 0) await tx.$executeRawUnsafe("TRUNCATE billing_staged_lines");
}

export async function recordRunError(tx: Tx, runId: string, message: string, now: Date) {
  await tx.$executeRaw`UPDATE billing_runs SET last_error = ${message}, updated_at = ${now} WHERE id = ${runId}`;
}
