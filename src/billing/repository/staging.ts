import { Prisma } from "../../generated/prisma/client.js";
import type { ContributionMonth } from "../../shared/contribution-month.js";
import type { PrismaClient, Tx } from "../../shared/db/database.js";
import { Money } from "../../shared/money.js";
import { type ComponentAmounts, contributionComponents } from "../rates.js";
import { activeIn, type CorrectionWindow, changedSubscribers, subscriberBuckets } from "./runs.js";

/**
 * The calculation of calculate-contributions.ts, expressed once in SQL over every (employment,
 * month) pair of a set of subscribers at once, in integer halalas: the same order of operations
 * and the same half-up rounding ((2n + d) / 2d, truncated, is n/d rounded half-up for
 * non-negative integers). A test runs both on random data and compares them row by row.
 *
 * The arithmetic is bigint, not numeric: every operand is a whole number of halalas, days or
 * millionths of a rate (rates have six decimals), and five shares of half a million lines took
 * ~0.9 s longer in numeric (docs/billing.md). The largest product, 2 × wage × rate × days, stays
 * far inside bigint for any wage under the cap (45,000 SAR: about 3e14 at a 100% rate), and an
 * overflow would stop the statement rather than wrap. Amounts turn back into SAR by multiplying by
 * 0.01, which is exact in numeric (dividing bigints by 100 would truncate).
 *
 * A run stages its lines partition by partition: each partition is the subscribers whose hashed
 * id falls in it, with every employment of theirs, whichever establishment and chunk it belongs
 * to. So the multi-employer cap finds all of a subscriber's employments among the pairs being
 * computed, and the statement is hash joins over the registrations: no index probe per pair.
 */

const snake = (key: string): string => key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/** The five amount columns, in contributionComponents order (annuities_employer, …). */
export const amountColumns = contributionComponents.map((component) => snake(component.key));

const date = (value: { toString(): string }) => Prisma.sql`${value.toString()}::date`;

/**
 * A run's partition: a predicate on the employment (alias e), a range of its subscriber's
 * buckets. The expression is the one the migration keeps statistics on
 * (employments_subscriber_bucket), so the planner knows how many employments a range holds.
 */
const partitionScope = (partitionNumber: number, partitionCount: number) => {
  const first = Math.floor((subscriberBuckets * partitionNumber) / partitionCount);
  const next = Math.floor((subscriberBuckets * (partitionNumber + 1)) / partitionCount);
  return Prisma.sql`(hashtext(e.subscriber_id) & 1023) BETWEEN ${first}::int AND ${next - 1}::int`;
};

/** Every subscriber some of these establishments employ (any month), for a preview of their lines. */
const employedByScope = (establishmentIds: readonly string[]) => Prisma.sql`
  e.subscriber_id IN (SELECT subscriber_id FROM employments WHERE establishment_id = ANY(${[...establishmentIds]}::text[]))`;

/**
 * The lines the subscribers in `scope` (a predicate on employments aliased e) bill for the month:
 * one CONTRIBUTION line per employment active in it with a wage in force, and, when a correction
 * window is given, one ADJUSTMENT line per earlier (employment, month) of a changed subscriber
 * whose amounts differ from everything billed for it so far (voided invoices aside). Columns:
 * establishment_id, kind, month, employment_id, subscriber_id, identifier_number, subscriber_name,
 * population, days_in_service, contributory_wage, chargeable_wage, then amountColumns in SAR.
 */
function computedLines(month: ContributionMonth, corrections: CorrectionWindow | undefined, scope: Prisma.Sql) {
  const first = date(month.firstDay());
  const last = date(month.lastDay());
  const monthEnd = (start: string) => Prisma.raw(`(${start} + interval '1 month' - interval '1 day')::date`);
  const amountsOwed = amountColumns.map(
    (column) =>
      Prisma.sql`(2 * chargeable * rate_${Prisma.raw(column)} * days + 1000000 * day_count) / (2000000 * day_count) AS ${Prisma.raw(column)}`,
  );
  // What was billed for an adjustment's (employment, month) so far; nothing without corrections.
  const billedAmount = (column: string) => (corrections ? `coalesce(b.${column}, 0)` : "0");
  const lineAmounts = amountColumns.map((column) =>
    Prisma.raw(`((coalesce(a.${column}, 0) - ${billedAmount(column)}) * 0.01)::numeric(18,2) AS ${column}`),
  );

  const correctionFirst = corrections ? date(corrections.firstMonth.firstDay()) : Prisma.empty;
  const correctionLast = corrections ? date(corrections.lastMonth.firstDay()) : Prisma.empty;
  const adjustmentPairs = corrections
    ? Prisma.sql`
    adjustment_pairs AS MATERIALIZED (
      -- Every month of the window in which an employment of a changed subscriber is active, and
      -- every month billed for one (its exit may have been moved before it since).
      SELECT e.id AS employment_id, e.establishment_id, e.subscriber_id, e.start_date, e.end_date,
             m.month::date AS month, 'ADJUSTMENT'::invoice_line_kind AS kind
        FROM (${changedSubscribers(corrections.since)}) changed
        JOIN employments e ON e.subscriber_id = changed.subscriber_id
        JOIN generate_series(${correctionFirst}, ${correctionLast}, interval '1 month') m(month)
          ON ${activeIn("e", Prisma.sql`m.month::date`, monthEnd("m.month"))}
       WHERE ${scope}
      UNION
      SELECT e.id, e.establishment_id, e.subscriber_id, e.start_date, e.end_date, l.contribution_month, 'ADJUSTMENT'
        FROM (${changedSubscribers(corrections.since)}) changed
        JOIN employments e ON e.subscriber_id = changed.subscriber_id
        JOIN invoice_lines l ON l.employment_id = e.id
       WHERE l.contribution_month BETWEEN ${correctionFirst} AND ${correctionLast} AND ${scope}
    ),
    billed AS (
      SELECT l.employment_id, l.contribution_month AS month,
             ${Prisma.join(amountColumns.map((column) => Prisma.raw(`sum(l.${column}) * 100 AS ${column}`)))}
        FROM invoice_lines l
        JOIN (SELECT DISTINCT employment_id, month FROM adjustment_pairs) a
          ON a.employment_id = l.employment_id AND a.month = l.contribution_month
       -- A voided invoice's lines no longer count as billed.
       WHERE NOT EXISTS (SELECT 1 FROM invoice_voids v WHERE v.invoice_id = l.invoice_id)
       GROUP BY l.employment_id, l.contribution_month
    ),`
    : Prisma.empty;
  const anyDifference = Prisma.join(
    amountColumns.map((column) => Prisma.raw(`coalesce(a.${column}, 0) <> ${billedAmount(column)}`)),
    " OR ",
  );

  return Prisma.sql`
    WITH ${adjustmentPairs}
    pairs AS (
      SELECT e.id AS employment_id, e.establishment_id, e.subscriber_id, e.start_date, e.end_date,
             ${first} AS month, 'CONTRIBUTION'::invoice_line_kind AS kind
        FROM employments e
       WHERE ${activeIn("e", first, last)} AND ${scope}
      ${corrections ? Prisma.sql`UNION ALL SELECT * FROM adjustment_pairs` : Prisma.empty}
    ),
    in_force AS (
      -- Each pair with its subscriber and the wage in force: the latest effective on or before the
      -- month, the latest recorded of those. Sorted by subscriber and month (byte order sorts
      -- several times faster than the locale's strcoll, and means the same for these ASCII ids),
      -- which is also the order the cap's window below needs, so it sorts nothing again.
      SELECT DISTINCT ON (p.subscriber_id COLLATE "C", p.month, p.employment_id COLLATE "C")
             p.employment_id, p.establishment_id, p.subscriber_id, p.start_date, p.end_date, p.month, p.kind,
             s.identifier_number, s.name AS subscriber_name, s.population, ${monthEnd("p.month")} AS month_end,
             t.floor, t.cap, ${Prisma.join(contributionComponents.map((component) => Prisma.raw(`t.rate_${snake(component.key)}`)))},
             w.basic, w.housing, w.housing_in_kind
        FROM pairs p
        JOIN subscribers s ON s.id = p.subscriber_id
        -- Joined here, not after the DISTINCT ON: above it the planner has no statistics for
        -- the pairs' columns and guessed a few dozen rows for half a million.
        JOIN billing_terms t ON t.month = p.month AND t.population = s.population
        LEFT JOIN wages w ON w.employment_id = p.employment_id AND w.effective_month <= p.month
       ORDER BY p.subscriber_id COLLATE "C", p.month, p.employment_id COLLATE "C",
                w.effective_month DESC, w.recorded_at DESC, w.id COLLATE "C" DESC
    ),
    worked AS (
      -- days is NULL for a pair that owes nothing: no wage in force, or (an adjustment) no
      -- longer employed in the month.
      SELECT f.*, extract(day FROM f.month_end)::int AS day_count,
             CASE WHEN f.basic IS NOT NULL AND ${activeIn("f", Prisma.raw("f.month"), Prisma.raw("f.month_end"))}
                  THEN LEAST(coalesce(f.end_date, f.month_end), f.month_end) - GREATEST(f.start_date, f.month) + 1
             END AS days,
             LEAST(GREATEST(f.basic * 100 + CASE WHEN f.housing_in_kind THEN div(f.basic * 400 + 12, 24)
                                                 ELSE f.housing * 100 END,
                            f.floor), f.cap)::bigint AS contributory
        FROM in_force f
    ),
    weighed AS (
      -- The subscriber's wage-days in the month across employers (pairs owing nothing add NULL).
      -- Without corrections every pair is in the one month, and partitioning by the month too made
      -- the planner sort the rows again (it does not carry the constant month up from in_force).
      SELECT worked.*, (sum(contributory * days) OVER (PARTITION BY subscriber_id COLLATE "C"${corrections ? Prisma.sql`, month` : Prisma.empty}))::bigint AS month_wage_days
        FROM worked
    ),
    charged AS (
      SELECT weighed.*,
             CASE WHEN days IS NULL THEN NULL
                  WHEN month_wage_days > cap * day_count
                  THEN (2 * contributory * cap * day_count + month_wage_days) / (2 * month_wage_days)
                  ELSE contributory END AS chargeable
        FROM weighed
    ),
    owed AS (
      SELECT charged.*, ${Prisma.join(amountsOwed)} FROM charged
    ),
    computed AS (
      SELECT a.establishment_id, a.kind, a.month, a.employment_id, a.subscriber_id, a.identifier_number,
             a.subscriber_name, a.population, coalesce(a.days, 0)::smallint AS days_in_service,
             (CASE WHEN a.days IS NULL THEN 0 ELSE a.contributory END * 0.01)::numeric(18,2) AS contributory_wage,
             (coalesce(a.chargeable, 0) * 0.01)::numeric(18,2) AS chargeable_wage,
             ${Prisma.join(lineAmounts)}
        FROM owed a
        ${corrections ? Prisma.sql`LEFT JOIN billed b ON b.employment_id = a.employment_id AND b.month = a.month` : Prisma.empty}
       WHERE (a.kind = 'CONTRIBUTION' AND a.days IS NOT NULL)
          ${corrections ? Prisma.sql`OR (a.kind = 'ADJUSTMENT' AND (${anyDifference}))` : Prisma.empty}
    )
    SELECT * FROM computed`;
}

/**
 * Sets a staging transaction up: sorts and hashes stay in memory instead of spilling (the default
 * is 4 MB; JIT is off on every connection, see openPostgresDatabase), and the floor and cap (in
 * halalas) and rates (in millionths) in force for each month to compute (the month, and the
 * correction window's) in an analysed temporary table (dropped at commit). Analysed, because the
 * planner cannot see how pairs match the rows of a subquery: it guessed a few dozen of half a
 * million and planned per-line index probes for everything after.
 */
async function prepareStagingTransaction(
  tx: Tx,
  month: ContributionMonth,
  corrections: CorrectionWindow | undefined,
): Promise<void> {
  await tx.$executeRawUnsafe("SET LOCAL work_mem = '256MB'");
  const rateColumns = contributionComponents.map(
    (component) =>
      Prisma.sql`(max(r.rate) FILTER (WHERE r.branch = ${component.branch}::contribution_branch
                                         AND r.share = ${component.share}::contribution_share) * 1000000)::bigint AS ${Prisma.raw(`rate_${snake(component.key)}`)}`,
  );
  const months = corrections
    ? Prisma.sql`SELECT ${date(month.firstDay())} AS month
                 UNION ALL SELECT generate_series(${date(corrections.firstMonth.firstDay())},
                                                  ${date(corrections.lastMonth.firstDay())}, interval '1 month')::date`
    : Prisma.sql`SELECT ${date(month.firstDay())} AS month`;
  await tx.$executeRawUnsafe("DROP TABLE IF EXISTS billing_terms");
  await tx.$executeRaw`
    CREATE TEMP TABLE billing_terms ON COMMIT DROP AS
    SELECT m.month, l.population, (l.floor * 100)::bigint AS floor, (l.cap * 100)::bigint AS cap, ${Prisma.join(rateColumns)}
      FROM (${months}) m
      JOIN LATERAL (SELECT max(from_month) AS from_month FROM rate_sets WHERE from_month <= m.month) rs ON true
      JOIN wage_limits l ON l.from_month = rs.from_month
      JOIN contribution_rates r ON r.from_month = rs.from_month AND r.population = l.population
     GROUP BY m.month, l.population, l.floor, l.cap`;
  await tx.$executeRawUnsafe("ANALYZE billing_terms");
}

/**
 * Computes one partition's lines into billing_staged_lines, each with the chunk its
 * establishment is issued in; an establishment the run did not plan, or whose chunk is issued
 * already (staging again after a loss), is left out. Returns how many lines it staged.
 */
export async function stagePartition(
  tx: Tx,
  input: {
    runId: string;
    month: ContributionMonth;
    corrections: CorrectionWindow | undefined;
    partitionNumber: number;
    partitionCount: number;
  },
): Promise<number> {
  await prepareStagingTransaction(tx, input.month, input.corrections);
  const scope = partitionScope(input.partitionNumber, input.partitionCount);
  return tx.$executeRaw`
    INSERT INTO billing_staged_lines (chunk_number, establishment_id, kind, month, employment_id, subscriber_id,
                                      identifier_number, subscriber_name, population, days_in_service,
                                      contributory_wage, chargeable_wage, ${Prisma.raw(amountColumns.join(", "))})
    SELECT c.chunk_number, l.*
      FROM (${computedLines(input.month, input.corrections, scope)}) l
      JOIN billing_run_establishments be ON be.run_id = ${input.runId} AND be.establishment_id = l.establishment_id
      JOIN billing_run_chunks c ON c.run_id = be.run_id AND c.chunk_number = be.chunk_number AND c.issued_at IS NULL`;
}

export type ComputedLine = {
  employmentId: string;
  daysInService: number;
  contributoryWage: Money;
  chargeableWage: Money;
  amounts: ComponentAmounts;
};

/**
 * The month's contribution lines for some establishments, computed by the run's SQL and not
 * written anywhere: what their invoice would hold if the month were billed now.
 */
export async function computeContributionLines(
  db: PrismaClient,
  month: ContributionMonth,
  establishmentIds: readonly string[],
): Promise<ComputedLine[]> {
  return db.$transaction(async (tx) => {
    await prepareStagingTransaction(tx, month, undefined);
    const rows = await tx.$queryRaw<Record<string, string | number>[]>`
      SELECT employment_id AS "employmentId", days_in_service AS "daysInService",
             contributory_wage::text AS "contributoryWage", chargeable_wage::text AS "chargeableWage",
             ${Prisma.raw(amountColumns.map((column) => `${column}::text AS ${column}`).join(", "))}
        FROM (${computedLines(month, undefined, employedByScope(establishmentIds))}) l
       WHERE establishment_id = ANY(${[...establishmentIds]}::text[])
       ORDER BY employment_id`;
    return rows.map((row) => ({
      employmentId: String(row.employmentId),
      daysInService: Number(row.daysInService),
      contributoryWage: Money.fromDecimal(String(row.contributoryWage)),
      chargeableWage: Money.fromDecimal(String(row.chargeableWage)),
      amounts: Object.fromEntries(
        contributionComponents.map((component) => [
          component.key,
          Money.fromDecimal(String(row[snake(component.key)])),
        ]),
      ) as ComponentAmounts,
    }));
  });
}
