import type { Tx } from "../../shared/db/database.js";
import type { StagedRow } from "./row.js";

/**
 * Set-based SQL for bulk uploads. Rows stream into a temporary staging table (dropped at
 * commit), the checks that need the database run once over all of them, and the writes are
 * a few INSERT … SELECT statements: no query per row.
 */

export async function createStagingTable(tx: Tx): Promise<void> {
  // The statements below run once each over up to 100,000 rows; at the default 4 MB the problem
  // check's hashes and the writes' sorts spilled to disk.
  await tx.$executeRawUnsafe("SET LOCAL work_mem = '64MB'");
  await tx.$executeRawUnsafe(`
    CREATE TEMP TABLE upload_rows (
      line integer PRIMARY KEY,
      id_number text NOT NULL,
      identifier_kind text NOT NULL,
      nationality text NOT NULL,
      gcc_country text,
      name text NOT NULL,
      date_of_birth date NOT NULL,
      occupation text NOT NULL,
      start_date date NOT NULL,
      first_insured_on date NOT NULL,
      population text NOT NULL,
      effective_month date NOT NULL,
      basic numeric(18, 2) NOT NULL,
      housing numeric(18, 2) NOT NULL,
      other_allowances numeric(18, 2) NOT NULL,
      housing_in_kind boolean NOT NULL,
      correction_reason text
    ) ON COMMIT DROP`);
}

export async function stageRows(tx: Tx, rows: readonly StagedRow[]): Promise<void> {
  if (rows.length === 0) return;
  const column = <K extends keyof StagedRow>(key: K) => rows.map((row) => row[key]);
  await tx.$executeRaw`
    INSERT INTO upload_rows
    SELECT * FROM unnest(
      ${column("line")}::int[], ${column("idNumber")}::text[], ${column("identifierKind")}::text[],
      ${column("nationality")}::text[], ${column("gccCountry")}::text[], ${column("name")}::text[],
      ${column("dateOfBirth")}::date[], ${column("occupation")}::text[], ${column("startDate")}::date[],
      ${column("firstInsuredOn")}::date[], ${column("population")}::text[], ${column("effectiveMonth")}::date[],
      ${column("basic")}::numeric[], ${column("housing")}::numeric[], ${column("otherAllowances")}::numeric[],
      ${column("housingInKind")}::boolean[], ${column("correctionReason")}::text[])`;
}

export type DatabaseRowProblem = {
  line: number;
  code:
    | "DUPLICATE_ROW"
    | "SUBSCRIBER_DETAILS_MISMATCH"
    | "EMPLOYMENT_PERIOD_OVERLAPS"
    | "CORRECTION_REASON_REQUIRED"
    | "WAGE_MONTH_OUTSIDE_EMPLOYMENT";
};

/** Every staged row that the database refuses, with why; one statement over the whole upload. */
export async function findDatabaseProblems(
  tx: Tx,
  establishmentId: string,
  firstUnbilledMonth: string,
): Promise<DatabaseRowProblem[]> {
  return tx.$queryRaw<DatabaseRowProblem[]>`
    WITH people AS (
      SELECT u.*, s.id AS subscriber_id, s.date_of_birth AS known_date_of_birth,
             (SELECT e.id FROM employments e
               WHERE e.subscriber_id = s.id AND e.establishment_id = ${establishmentId} AND e.end_date IS NULL) AS active_employment_id,
             (SELECT e.start_date FROM employments e
               WHERE e.subscriber_id = s.id AND e.establishment_id = ${establishmentId} AND e.end_date IS NULL) AS active_start_date,
             (SELECT max(e.end_date) FROM employments e
               WHERE e.subscriber_id = s.id AND e.establishment_id = ${establishmentId}) AS last_end_date
        FROM upload_rows u
        LEFT JOIN subscribers s ON s.identifier_number = u.id_number
    )
    SELECT line, 'DUPLICATE_ROW' AS code FROM upload_rows
     WHERE id_number IN (SELECT id_number FROM upload_rows GROUP BY id_number HAVING count(*) > 1)
    UNION ALL
    SELECT line, 'SUBSCRIBER_DETAILS_MISMATCH' FROM people WHERE known_date_of_birth <> date_of_birth
    UNION ALL
    SELECT line, 'EMPLOYMENT_PERIOD_OVERLAPS' FROM people
     WHERE active_employment_id IS NULL AND last_end_date >= start_date
    UNION ALL
    SELECT line, 'WAGE_MONTH_OUTSIDE_EMPLOYMENT' FROM people
     WHERE active_employment_id IS NOT NULL AND effective_month < date_trunc('month', active_start_date)::date
    UNION ALL
    SELECT line, 'CORRECTION_REASON_REQUIRED' FROM people
     WHERE active_employment_id IS NOT NULL AND effective_month < ${firstUnbilledMonth}::date AND correction_reason IS NULL
    ORDER BY line`;
}

export async function discardRows(tx: Tx, lines: readonly number[]): Promise<void> {
  if (lines.length === 0) return;
  await tx.$executeRaw`DELETE FROM upload_rows WHERE line = ANY(${[...lines]}::int[])`;
}

export type UploadWriteCounts = { wagesRecorded: number; subscribersCreated: number; employmentsRegistered: number };

/**
 * Writes what the staged rows say, in three statements:
 * 1. for people already employed here, a wage row from the row's month, unless the wage in
 *    force that month is the same (so a re-sent file records nothing new);
 * 2. the people Ishtirak does not know yet;
 * 3. an employment and its first wage for everyone not employed here now.
 */
export async function applyStagedRows(
  tx: Tx,
  context: {
    establishmentId: string;
    firstUnbilledMonth: string;
    now: Date;
    recordedBy: string;
    lateRegistrationReason: string;
  },
): Promise<UploadWriteCounts> {
  const { establishmentId, firstUnbilledMonth, now, recordedBy, lateRegistrationReason } = context;
  const wagesRecorded = await tx.$executeRaw`
    INSERT INTO wages (id, employment_id, effective_month, basic, housing, other_allowances, housing_in_kind,
                       is_retroactive_correction, correction_reason, recorded_at, recorded_by)
    SELECT 'wg_' || replace(gen_random_uuid()::text, '-', ''), e.id, u.effective_month, u.basic, u.housing,
           u.other_allowances, u.housing_in_kind, u.effective_month < ${firstUnbilledMonth}::date,
           CASE WHEN u.effective_month < ${firstUnbilledMonth}::date THEN u.correction_reason END, ${now}, ${recordedBy}
      FROM upload_rows u
      JOIN subscribers s ON s.identifier_number = u.id_number
      JOIN employments e ON e.subscriber_id = s.id AND e.establishment_id = ${establishmentId} AND e.end_date IS NULL
     WHERE NOT EXISTS (
       SELECT 1 FROM (
         SELECT w.basic, w.housing, w.other_allowances, w.housing_in_kind FROM wages w
          WHERE w.employment_id = e.id AND w.effective_month <= u.effective_month
          ORDER BY w.effective_month DESC, w.recorded_at DESC LIMIT 1
       ) in_force
       WHERE (in_force.basic, in_force.housing, in_force.other_allowances, in_force.housing_in_kind)
           = (u.basic, u.housing, u.other_allowances, u.housing_in_kind))`;

  const subscribersCreated = await tx.$executeRaw`
    INSERT INTO subscribers (id, identifier_kind, identifier_number, nationality, gcc_country, name, date_of_birth,
                             first_insured_on, population, created_at)
    SELECT 'sub_' || replace(gen_random_uuid()::text, '-', ''), u.identifier_kind::person_identifier_kind, u.id_number,
           u.nationality::nationality, u.gcc_country, u.name, u.date_of_birth, u.first_insured_on,
           u.population::population, ${now}
      FROM upload_rows u
     WHERE NOT EXISTS (SELECT 1 FROM subscribers s WHERE s.identifier_number = u.id_number)
    ON CONFLICT (identifier_number) DO NOTHING`;

  const employmentsRegistered = await tx.$executeRaw`
    WITH newcomers AS (
      SELECT u.*, s.id AS subscriber_id, 'emp_' || replace(gen_random_uuid()::text, '-', '') AS employment_id
        FROM upload_rows u
        JOIN subscribers s ON s.identifier_number = u.id_number
       WHERE NOT EXISTS (SELECT 1 FROM employments e
                          WHERE e.subscriber_id = s.id AND e.establishment_id = ${establishmentId} AND e.end_date IS NULL)
    ), registered AS (
      -- A data-modifying WITH runs to completion whether or not it is read, and the wages'
      -- reference check (wages_reference_employments) runs at the end of the statement, when
      -- these rows are there.
      INSERT INTO employments (id, subscriber_id, establishment_id, occupation, start_date, registered_at, registered_by)
      SELECT employment_id, subscriber_id, ${establishmentId}, occupation, start_date, ${now}, ${recordedBy} FROM newcomers
    )
    INSERT INTO wages (id, employment_id, effective_month, basic, housing, other_allowances, housing_in_kind,
                       is_retroactive_correction, correction_reason, recorded_at, recorded_by)
    SELECT 'wg_' || replace(gen_random_uuid()::text, '-', ''), n.employment_id, date_trunc('month', n.start_date)::date,
           n.basic, n.housing, n.other_allowances, n.housing_in_kind,
           date_trunc('month', n.start_date)::date < ${firstUnbilledMonth}::date,
           CASE WHEN date_trunc('month', n.start_date)::date < ${firstUnbilledMonth}::date THEN ${lateRegistrationReason} END,
           ${now}, ${recordedBy}
      FROM newcomers n`;

  return { wagesRecorded, subscribersCreated, employmentsRegistered };
}
