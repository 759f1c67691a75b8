import { Prisma } from "../generated/prisma/client.js";
import type { BusinessDate } from "../shared/business-date.js";
import { ContributionMonth } from "../shared/contribution-month.js";
import type { PrismaClient, Tx } from "../shared/db/database.js";
import { Money } from "../shared/money.js";
import { type ComponentAmounts, contributionComponents } from "./rates.js";

/**
 * Billing's SQL. The calculation of calculate-contributions.ts is expressed once here, over
 * every (employment, month) pair of a chunk at once, in integer halalas: the same order of
 * operations and the same half-up rounding (div(2n + d, 2d) is n/d rounded half-up for
 * non-negative integers). A test runs both on random data and compares them row by row.
 */

export type BillingRunRow = {
  id: string;
  month: ContributionMonth;
  status: "PLANNING" | "ISSUING" | "COMPLETED";
  requestedBy: string;
  createdAt: Date;
  correctionsSince: Date | null;
  plannedAt: Date | null;
  completedAt: Date | null;
  establishmentCount: number;
  chunkCount: number;
  chunksIssued: number;
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

export type CorrectionWindow = { since: Date; firstMonth: ContributionMonth; lastMonth: ContributionMonth };

/**
 * The subscribers whose registrations, exits or wages were recorded since the window opened, or
 * who were on an invoice voided since then: only their employments can need a correction
 * (every employment of theirs, because the multi-employer cap ties one employer's figures to
 * the others').
 */
const changedSubscribers = (since: Date) => Prisma.sql`
  SELECT subscriber_id FROM employments WHERE registered_at >= ${since} OR ended_at >= ${since}
  UNION
  SELECT e.subscriber_id FROM wages w JOIN employments e ON e.id = w.employment_id WHERE w.recorded_at >= ${since}
  UNION
  SELECT l.subscriber_id FROM invoice_voids v JOIN invoice_lines l ON l.invoice_id = v.invoice_id
   WHERE v.voided_at >= ${since}`;

const activeIn = (alias: string, first: string, last: string) => Prisma.sql`
  ${Prisma.raw(alias)}.start_date <= ${last}::date
  AND (${Prisma.raw(alias)}.end_date IS NULL OR ${Prisma.raw(alias)}.end_date >= ${first}::date)`;

/**
 * Draws up the run: every establishment with an employment active in the month, or with a
 * candidate correction, numbered into chunks of about `chunkLines` lines (an establishment is
 * never split). Returns the establishment and chunk counts.
 */
export async function planRun(
  tx: Tx,
  run: { id: string; month: ContributionMonth },
  corrections: CorrectionWindow | undefined,
  chunkLines: number,
) {
  const first = run.month.firstDay().toString();
  const last = run.month.lastDay().toString();
  const correctionRows = corrections
    ? Prisma.sql`UNION ALL
        SELECT e.establishment_id FROM employments e
          JOIN (${changedSubscribers(corrections.since)}) changed ON changed.subscriber_id = e.subscriber_id`
    : Prisma.empty;
  await tx.$executeRaw`
    INSERT INTO billing_run_establishments (run_id, establishment_id, chunk_number, planned_lines)
    SELECT ${run.id}, establishment_id, (dense_rank() OVER (ORDER BY raw_chunk) - 1)::int, planned::int
      FROM (SELECT establishment_id, planned,
                   div(sum(planned) OVER (ORDER BY establishment_id) - planned, ${chunkLines}) AS raw_chunk
              FROM (SELECT establishment_id, count(*) AS planned
                      FROM (SELECT e.establishment_id FROM employments e WHERE ${activeIn("e", first, last)}
                            ${correctionRows}) AS lines
                     GROUP BY establishment_id) AS per_establishment) AS chunked`;
  await tx.$executeRaw`
    INSERT INTO billing_run_chunks (run_id, chunk_number, establishment_count)
    SELECT run_id, chunk_number, count(*) FROM billing_run_establishments WHERE run_id = ${run.id}
     GROUP BY run_id, chunk_number`;
  // The chunks are read by chunk number next: let the planner know how many rows there are.
  await tx.$executeRawUnsafe("ANALYZE billing_run_establishments");
  const counts = await tx.$queryRaw<{ establishments: number; chunks: number }[]>`
    SELECT count(*)::int AS establishments, coalesce(max(chunk_number) + 1, 0)::int AS chunks
      FROM billing_run_establishments WHERE run_id = ${run.id}`;
  return counts[0] ?? { establishments: 0, chunks: 0 };
}

/**
 * Claims a chunk no one has issued or is issuing, the one with the most establishments first:
 * chunks hold about as many lines, and the more invoices and journal entries a chunk writes the
 * longer it takes (at a million lines, 3.6 s for 51 establishments, 4.7 s for 13,551), so the
 * longest go first and the workers finish together instead of one issuing the last alone. The
 * row stays locked until the claiming transaction ends, and other workers skip it. Undefined
 * when none is free.
 */
export async function claimNextChunk(tx: Tx, runId: string): Promise<number | undefined> {
  const rows = await tx.$queryRaw<{ chunkNumber: number }[]>`
    SELECT chunk_number AS "chunkNumber" FROM billing_run_chunks
     WHERE run_id = ${runId} AND issued_at IS NULL
     ORDER BY establishment_count DESC, chunk_number LIMIT 1 FOR UPDATE SKIP LOCKED`;
  return rows[0]?.chunkNumber;
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

const amountColumns = contributionComponents.map((component) => snake(component.key));

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/**
 * Stages a chunk's computation in two temporary tables (dropped at commit), each analysed so
 * the planner sees their real sizes: `billing_pairs`, the (employment, month, kind) pairs to
 * bill, and `billing_owed`, what every employment of those subscribers owes in those months.
 * `pairs` yields (employment_id, establishment_id, subscriber_id, month, kind) rows: the
 * month's employments (CONTRIBUTION), and earlier months that may need correcting (ADJUSTMENT).
 */
async function stageOwedAmounts(tx: Tx, pairs: Prisma.Sql): Promise<void> {
  const rateColumns = contributionComponents.map(
    (component) =>
      Prisma.sql`max(r.rate) FILTER (WHERE r.branch = ${component.branch}::contribution_branch
                                       AND r.share = ${component.share}::contribution_share) AS ${Prisma.raw(`rate_${snake(component.key)}`)}`,
  );
  const amountsOwed = amountColumns.map(
    (column) =>
      Prisma.sql`div(2 * chargeable * (rate_${Prisma.raw(column)} * 1000000) * days + 1000000 * day_count,
                     2 * 1000000 * day_count) AS ${Prisma.raw(column)}`,
  );
  // Sorts and hashes of a chunk stay in memory instead of spilling to disk (the default is 4 MB).
  await tx.$executeRawUnsafe("SET LOCAL work_mem = '64MB'");
  // No JIT compilation: these statements run once per chunk, and compiling the issuing statement
  // took ~0.5 s of a 1.6–3.5 s statement on PostgreSQL 15's defaults, more than it ever saved.
  await tx.$executeRawUnsafe("SET LOCAL jit = off");
  await tx.$executeRawUnsafe("DROP TABLE IF EXISTS billing_pairs, billing_owed");
  await tx.$executeRawUnsafe(`
    CREATE TEMP TABLE billing_pairs (
      establishment_id text NOT NULL, employment_id text NOT NULL, subscriber_id text NOT NULL, month date NOT NULL,
      kind invoice_line_kind NOT NULL, identifier_number text NOT NULL, subscriber_name text NOT NULL,
      population population NOT NULL, month_end date NOT NULL, day_count int NOT NULL
    ) ON COMMIT DROP`);
  await tx.$executeRaw`
    INSERT INTO billing_pairs
    SELECT p.establishment_id, p.employment_id, p.subscriber_id, p.month, p.kind, s.identifier_number, s.name,
           s.population, (p.month + interval '1 month' - interval '1 day')::date,
           extract(day FROM p.month + interval '1 month' - interval '1 day')::int
      FROM (${pairs}) p JOIN subscribers s ON s.id = p.subscriber_id`;
  // Statistics only for the columns a later plan groups, filters or joins on: each column's
  // costs a sort of the sample, and all of them took a chunk's three ANALYZEs ~0.38 s, against ~0.1 s.
  await tx.$executeRawUnsafe("ANALYZE billing_pairs (employment_id, subscriber_id, month, kind)");
  // Amounts in integer halalas until the lines are written.
  await tx.$executeRawUnsafe(`
    CREATE TEMP TABLE billing_owed (
      employment_id text NOT NULL, month date NOT NULL, days int NOT NULL, contributory numeric NOT NULL,
      chargeable numeric NOT NULL, ${amountColumns.map((column) => `${column} numeric NOT NULL`).join(", ")}
    ) ON COMMIT DROP`);
  await tx.$executeRaw`
    INSERT INTO billing_owed
    WITH subjects AS MATERIALIZED (
      -- In subscriber order, so the probes below walk the subscriber index from one end to the
      -- other instead of at random (byte order sorts faster and is the index's order for ids).
      SELECT subscriber_id, population, month, month_end, day_count FROM billing_pairs
       GROUP BY subscriber_id, population, month, month_end, day_count
       ORDER BY subscriber_id COLLATE "C", month
    ),
    employed AS MATERIALIZED (
      -- Every employment of those subscribers in those months, other employers' included (the
      -- cap spans them). A lateral probe per subscriber (OFFSET 0 keeps it one): left to itself
      -- the planner hashes the whole register instead, which costs a chunk more (0.68 s against
      -- 0.25 s at 1,000,000 employments) and grows with the register instead of the chunk.
      -- Then in employment order, for the same reason as the subscribers: the wage probes follow.
      SELECT e.id AS employment_id, s.subscriber_id, s.population, s.month, s.month_end, s.day_count,
             e.start_date, e.end_date
        FROM subjects s
        CROSS JOIN LATERAL (
          SELECT id, start_date, end_date FROM employments
           WHERE subscriber_id = s.subscriber_id
             AND start_date <= s.month_end AND (end_date IS NULL OR end_date >= s.month)
          OFFSET 0) e
       ORDER BY e.id COLLATE "C"
    ),
    terms AS (
      SELECT m.month, l.population, l.floor * 100 AS floor, l.cap * 100 AS cap, ${Prisma.join(rateColumns)}
        FROM (SELECT DISTINCT month FROM billing_pairs) m
        JOIN LATERAL (SELECT max(from_month) AS from_month FROM rate_sets WHERE from_month <= m.month) rs ON true
        JOIN wage_limits l ON l.from_month = rs.from_month
        JOIN contribution_rates r ON r.from_month = rs.from_month AND r.population = l.population
       GROUP BY m.month, l.population, l.floor, l.cap
    ),
    worked AS (
      SELECT e.employment_id, e.subscriber_id, e.month, e.day_count,
             (LEAST(coalesce(e.end_date, e.month_end), e.month_end) - GREATEST(e.start_date, e.month) + 1) AS days,
             LEAST(GREATEST(w.basic * 100 + CASE WHEN w.housing_in_kind THEN div(w.basic * 400 + 12, 24)
                                                 ELSE w.housing * 100 END,
                            t.floor), t.cap) AS contributory,
             t.cap, ${Prisma.join(contributionComponents.map((component) => Prisma.raw(`t.rate_${snake(component.key)}`)))}
        FROM employed e
        JOIN terms t ON t.month = e.month AND t.population = e.population
        CROSS JOIN LATERAL (
          SELECT basic, housing, housing_in_kind FROM wages
           WHERE employment_id = e.employment_id AND effective_month <= e.month
           ORDER BY effective_month DESC, recorded_at DESC, id DESC LIMIT 1) w
    ),
    weighed AS (
      -- The subscriber's wage-days in the month across employers, summed once (written three
      -- times in the CASE below, the window sum was computed three times).
      SELECT worked.*, sum(contributory * days) OVER subscriber_month AS month_wage_days
        -- Byte order ("C"): the partitions' order means nothing, and comparing by the database's
        -- locale (strcoll, no abbreviated keys) made this sort of a chunk several times slower.
        FROM worked WINDOW subscriber_month AS (PARTITION BY subscriber_id COLLATE "C", month)
    ),
    charged AS (
      SELECT weighed.*,
             CASE WHEN month_wage_days > cap * day_count
                  THEN div(2 * contributory * cap * day_count + month_wage_days, 2 * month_wage_days)
                  ELSE contributory END AS chargeable
        FROM weighed
    )
    SELECT employment_id, month, days, contributory, chargeable, ${Prisma.join(amountsOwed)} FROM charged`;
  await tx.$executeRawUnsafe("ANALYZE billing_owed (employment_id, month)");
}

/**
 * The staged pairs as lines: one row per pair that bills something, with the amounts owed
 * (CONTRIBUTION) or the difference from everything billed for that employment and month so
 * far (ADJUSTMENT).
 */
function computedLines(): Prisma.Sql {
  const billedSums = amountColumns.map(
    (column) => Prisma.sql`sum(l.${Prisma.raw(column)}) * 100 AS ${Prisma.raw(column)}`,
  );
  const differences = amountColumns.map(
    (column) =>
      Prisma.sql`((coalesce(o.${Prisma.raw(column)}, 0) - coalesce(b.${Prisma.raw(column)}, 0)) / 100)::numeric(18,2) AS ${Prisma.raw(column)}`,
  );
  const anyDifference = Prisma.join(
    amountColumns.map(
      (column) => Prisma.sql`coalesce(o.${Prisma.raw(column)}, 0) <> coalesce(b.${Prisma.raw(column)}, 0)`,
    ),
    " OR ",
  );
  return Prisma.sql`
    billed AS (
      SELECT l.employment_id, l.contribution_month AS month, ${Prisma.join(billedSums)}
        FROM invoice_lines l
        JOIN (SELECT DISTINCT employment_id, month FROM billing_pairs WHERE kind = 'ADJUSTMENT') a
          ON a.employment_id = l.employment_id AND a.month = l.contribution_month
       -- A voided invoice's lines no longer count as billed.
       WHERE NOT EXISTS (SELECT 1 FROM invoice_voids v WHERE v.invoice_id = l.invoice_id)
       GROUP BY l.employment_id, l.contribution_month
    ),
    computed_lines AS (
      SELECT p.establishment_id, p.kind, p.month, p.employment_id, p.subscriber_id, p.identifier_number,
             p.subscriber_name, p.population,
             coalesce(o.days, 0)::smallint AS days_in_service,
             (coalesce(o.contributory, 0) / 100)::numeric(18,2) AS contributory_wage,
             (coalesce(o.chargeable, 0) / 100)::numeric(18,2) AS chargeable_wage,
             ${Prisma.join(differences)}
        FROM billing_pairs p
        LEFT JOIN billing_owed o ON o.employment_id = p.employment_id AND o.month = p.month
        LEFT JOIN billed b ON b.employment_id = p.employment_id AND b.month = p.month
       WHERE (p.kind = 'CONTRIBUTION' AND o.employment_id IS NOT NULL)
          OR (p.kind = 'ADJUSTMENT' AND (${anyDifference}))
    )`;
}

/** The pairs of one chunk: the month's employments, and the candidate corrections in the window. */
function chunkPairs(
  runId: string,
  chunkNumber: number,
  month: ContributionMonth,
  corrections: CorrectionWindow | undefined,
): Prisma.Sql {
  const chunk = Prisma.sql`SELECT establishment_id FROM billing_run_establishments
                            WHERE run_id = ${runId} AND chunk_number = ${chunkNumber}`;
  const regular = Prisma.sql`
    SELECT e.id AS employment_id, e.establishment_id, e.subscriber_id, ${month.firstDay().toString()}::date AS month,
           'CONTRIBUTION'::invoice_line_kind AS kind
      FROM (${chunk}) c JOIN employments e ON e.establishment_id = c.establishment_id
     WHERE ${activeIn("e", month.firstDay().toString(), month.lastDay().toString())}`;
  if (!corrections) return regular;
  const first = corrections.firstMonth.firstDay().toString();
  const last = corrections.lastMonth.firstDay().toString();
  return Prisma.sql`
    ${regular}
    UNION ALL
    SELECT DISTINCT candidate.employment_id, candidate.establishment_id, candidate.subscriber_id, candidate.month,
           'ADJUSTMENT'::invoice_line_kind
      FROM (
        SELECT e.id AS employment_id, e.establishment_id, e.subscriber_id, m.month::date AS month
          FROM (${chunk}) c
          JOIN employments e ON e.establishment_id = c.establishment_id
          JOIN (${changedSubscribers(corrections.since)}) changed ON changed.subscriber_id = e.subscriber_id
          JOIN generate_series(${first}::date, ${last}::date, interval '1 month') m(month)
            ON e.start_date <= (m.month + interval '1 month' - interval '1 day')::date
           AND (e.end_date IS NULL OR e.end_date >= m.month::date)
        UNION
        SELECT l.employment_id, e.establishment_id, e.subscriber_id, l.contribution_month
          FROM (${chunk}) c
          JOIN employments e ON e.establishment_id = c.establishment_id
          JOIN (${changedSubscribers(corrections.since)}) changed ON changed.subscriber_id = e.subscriber_id
          JOIN invoice_lines l ON l.employment_id = e.id
         WHERE l.contribution_month BETWEEN ${first}::date AND ${last}::date
      ) candidate`;
}

/** What a chunk issued, per invoice: enough to count (the invoices themselves are in the tables). */
export type IssuedInvoice = {
  id: string;
  establishmentId: string;
  contributionLineCount: number;
  adjustmentLineCount: number;
};

/**
 * Issues the invoices of one chunk: stages the computation, then one statement inserts one
 * invoice per establishment that has any line, its lines, and its journal entry. `ids` holds
 * ids for each of the chunk's establishments; one with nothing to bill leaves them unused.
 */
export async function issueChunkInvoices(
  tx: Tx,
  input: {
    runId: string;
    chunkNumber: number;
    month: ContributionMonth;
    issueDate: BusinessDate;
    dueDate: BusinessDate;
    now: Date;
    corrections: CorrectionWindow | undefined;
    /** For each of the chunk's establishments: the id its invoice and the invoice's journal entry take. */
    ids: ReadonlyMap<string, { invoiceId: string; entryId: string }>;
  },
): Promise<IssuedInvoice[]> {
  const establishmentIds = [...input.ids.keys()];
  const columns = Prisma.raw(amountColumns.join(", "));
  const sums = Prisma.raw(amountColumns.map((column) => `sum(${column}) AS ${column}`).join(", "));
  await stageOwedAmounts(tx, chunkPairs(input.runId, input.chunkNumber, input.month, input.corrections));

  // The lines as they will be written, with their invoice's and entry's ids, in one more analysed
  // table: every write below reads it (never the RETURNING of another write, whose size the
  // planner cannot know), so the joins stay hash joins at any chunk size.
  await tx.$executeRawUnsafe("DROP TABLE IF EXISTS billing_ids, billing_lines");
  await tx.$executeRawUnsafe(
    "CREATE TEMP TABLE billing_ids (establishment_id text PRIMARY KEY, invoice_id text NOT NULL, entry_id text NOT NULL) ON COMMIT DROP",
  );
  await tx.$executeRaw`
    INSERT INTO billing_ids
    SELECT * FROM unnest(${establishmentIds}::text[],
                         ${establishmentIds.map((id) => input.ids.get(id)?.invoiceId)}::text[],
                         ${establishmentIds.map((id) => input.ids.get(id)?.entryId)}::text[])`;
  await tx.$executeRawUnsafe("ANALYZE billing_ids");
  await tx.$executeRaw`
    CREATE TEMP TABLE billing_lines ON COMMIT DROP AS
    WITH ${computedLines()}
    SELECT ids.invoice_id, ids.entry_id, computed_lines.*,
           -- Byte order ("C") for the text keys: ID numbers are digits and ids ASCII, so the
           -- numbering is the one the locale gave, now the same on every locale; sorting a chunk's
           -- 100,000 lines took ~0.48 s by the locale (strcoll) and takes ~0.18 s in byte order.
           row_number() OVER (PARTITION BY computed_lines.establishment_id COLLATE "C"
                              ORDER BY kind, month, identifier_number COLLATE "C",
                                       employment_id COLLATE "C")::int AS line_number
      FROM computed_lines JOIN billing_ids ids ON ids.establishment_id = computed_lines.establishment_id`;
  await tx.$executeRawUnsafe("ANALYZE billing_lines (establishment_id, invoice_id)");

  return tx.$queryRaw<IssuedInvoice[]>`
    WITH totals AS (
      SELECT establishment_id, invoice_id, entry_id, ${sums},
             sum(CASE WHEN kind = 'ADJUSTMENT'
                      THEN ${Prisma.raw(amountColumns.join(" + "))} ELSE 0 END) AS adjustment_total,
             count(*) FILTER (WHERE kind = 'CONTRIBUTION')::int AS contribution_line_count,
             count(*) FILTER (WHERE kind = 'ADJUSTMENT')::int AS adjustment_line_count
        FROM billing_lines GROUP BY establishment_id, invoice_id, entry_id
    ),
    invoice_totals AS MATERIALIZED (
      SELECT totals.*, ${Prisma.raw(amountColumns.join(" + "))} AS total,
             'C-' || ${input.month.toString().replace("-", "")} || '-' || est.registration_number AS number
        FROM totals JOIN establishments est ON est.id = totals.establishment_id
    ),
    inserted_invoices AS (
      INSERT INTO invoices (id, number, establishment_id, contribution_month, billing_run_id, issue_date, due_date,
                            ${columns}, adjustment_total, total, contribution_line_count, adjustment_line_count,
                            created_at)
      SELECT invoice_id, number, establishment_id, ${input.month.firstDay().toString()}::date, ${input.runId},
             ${input.issueDate.toString()}::date, ${input.dueDate.toString()}::date,
             ${columns}, adjustment_total, total, contribution_line_count, adjustment_line_count, ${input.now}
        FROM invoice_totals ORDER BY invoice_id
      RETURNING id, establishment_id, contribution_line_count, adjustment_line_count
    ),
    inserted_lines AS (
      INSERT INTO invoice_lines (invoice_id, line_number, kind, contribution_month, employment_id, subscriber_id,
                                 identifier_number, subscriber_name, population, days_in_service, contributory_wage,
                                 chargeable_wage, ${columns})
      -- In billing_lines' own order, which is already the key's (invoice_id, line_number): the
      -- table was written in numbering order, establishment by establishment, and the service
      -- draws the invoice ids in establishment order, time-ordered. Sorting again cost a chunk
      -- 55–120 ms; were the orders ever to differ, only the index's locality would suffer.
      SELECT invoice_id, line_number, kind, month, employment_id, subscriber_id, identifier_number,
             subscriber_name, population, days_in_service, contributory_wage, chargeable_wage, ${columns}
        FROM billing_lines
    ),
    ${invoiceJournalEntries(input.month, input.issueDate)}
    SELECT id, establishment_id AS "establishmentId", contribution_line_count AS "contributionLineCount",
           adjustment_line_count AS "adjustmentLineCount"
      FROM inserted_invoices`;
}

/**
 * One journal entry per invoice, written in the same statement as the invoices: the
 * receivable (debit, the establishment as dimension) against the contribution income of each
 * branch and share, zero lines left out; an invoice that nets to zero on every component has
 * no entry. The content hash is the ledger's (journalEntryContentHash) computed in SQL over the
 * same canonical JSON; a test recomputes it from the stored entries. Set-based, so a chunk of
 * thousands of invoices posts in one statement and the ledger's statement-level trigger checks
 * and summarises them once.
 */
function invoiceJournalEntries(month: ContributionMonth, issueDate: BusinessDate): Prisma.Sql {
  const components = contributionComponents.map(
    (component, index) =>
      Prisma.sql`(${index + 1}, ${component.incomeAccount}, NULL::text, -i.${Prisma.raw(snake(component.key))})`,
  );
  return Prisma.sql`
    entry_lines AS (
      SELECT i.invoice_id, i.entry_id, l.ordinal, l.account_code, l.establishment_id, l.amount
        FROM invoice_totals i
        CROSS JOIN LATERAL (VALUES (0, 'RECEIVABLE_CONTRIBUTIONS', i.establishment_id, i.total),
                                   ${Prisma.join(components)}) AS l(ordinal, account_code, establishment_id, amount)
       WHERE l.amount <> 0
    ),
    numbered_entry_lines AS (
      SELECT entry_lines.*, row_number() OVER (PARTITION BY invoice_id ORDER BY ordinal)::smallint AS line_number
        FROM entry_lines
    ),
    entries AS (
      SELECT i.invoice_id, i.entry_id,
             'Contribution invoice ' || i.number || ' for ' || ${month.toString()} AS description,
             count(*)::smallint AS line_count,
             '[' || string_agg('[' || to_json(l.account_code)::text || ',' || coalesce(to_json(l.establishment_id)::text, 'null')
                               || ',' || to_json(l.amount::text)::text || ']', ',' ORDER BY l.line_number) || ']' AS canonical_lines
        FROM invoice_totals i JOIN numbered_entry_lines l ON l.invoice_id = i.invoice_id
       GROUP BY i.invoice_id, i.entry_id, i.number
    ),
    inserted_entries AS (
      INSERT INTO journal_entries (id, idempotency_key, content_hash, source_type, source_id, entry_code, description,
                                   effective_date, line_count)
      SELECT entry_id, 'invoice:' || invoice_id || ':issued',
             encode(sha256(convert_to('["INVOICE",' || to_json(invoice_id)::text || ',"INVOICE_ISSUED",'
                                      || to_json(description)::text || ',' || to_json(${issueDate.toString()}::text)::text
                                      || ',null,' || canonical_lines || ']', 'UTF8')), 'hex'),
             'INVOICE', invoice_id, 'INVOICE_ISSUED', description, ${issueDate.toString()}::date, line_count
        FROM entries ORDER BY invoice_id
    ),
    inserted_journal_lines AS (
      INSERT INTO journal_lines (entry_id, line_number, account_code, establishment_id, amount, effective_date)
      SELECT entry_id, line_number, account_code, establishment_id, amount, ${issueDate.toString()}::date
        FROM numbered_entry_lines
    )`;
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

export async function recordPlanned(
  tx: Tx,
  runId: string,
  counts: { establishments: number; chunks: number },
  now: Date,
) {
  await tx.$executeRaw`
    UPDATE billing_runs
       SET status = 'ISSUING', establishment_count = ${counts.establishments}, chunk_count = ${counts.chunks},
           planned_at = ${now}, updated_at = ${now}
     WHERE id = ${runId}`;
}

export async function recordCompleted(tx: Tx, runId: string, now: Date) {
  await tx.$executeRaw`
    UPDATE billing_runs SET status = 'COMPLETED', completed_at = ${now}, updated_at = ${now}
     WHERE id = ${runId} AND status = 'ISSUING'`;
}

export async function recordRunError(tx: Tx, runId: string, message: string, now: Date) {
  await tx.$executeRaw`UPDATE billing_runs SET last_error = ${message}, updated_at = ${now} WHERE id = ${runId}`;
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
  return db.$transaction((tx) => computeContributionLinesIn(tx, month, establishmentIds));
}

async function computeContributionLinesIn(
  tx: Tx,
  month: ContributionMonth,
  establishmentIds: readonly string[],
): Promise<ComputedLine[]> {
  const pairs = Prisma.sql`
    SELECT e.id AS employment_id, e.establishment_id, e.subscriber_id, ${month.firstDay().toString()}::date AS month,
           'CONTRIBUTION'::invoice_line_kind AS kind
      FROM employments e
     WHERE e.establishment_id = ANY(${[...establishmentIds]}::text[])
       AND ${activeIn("e", month.firstDay().toString(), month.lastDay().toString())}`;
  await stageOwedAmounts(tx, pairs);
  const rows = await tx.$queryRaw<Record<string, string | number>[]>`
    WITH ${computedLines()}
    SELECT employment_id AS "employmentId", days_in_service AS "daysInService",
           contributory_wage::text AS "contributoryWage", chargeable_wage::text AS "chargeableWage",
           ${Prisma.raw(amountColumns.map((column) => `${column}::text AS ${column}`).join(", "))}
      FROM computed_lines ORDER BY employment_id`;
  return rows.map((row) => ({
    employmentId: String(row.employmentId),
    daysInService: Number(row.daysInService),
    contributoryWage: Money.fromDecimal(String(row.contributoryWage)),
    chargeableWage: Money.fromDecimal(String(row.chargeableWage)),
    amounts: amountsOf(row),
  }));
}

function amountsOf(row: Record<string, string | number>): ComponentAmounts {
  return Object.fromEntries(
    contributionComponents.map((component) => [component.key, Money.fromDecimal(String(row[snake(component.key)]))]),
  ) as ComponentAmounts;
}
