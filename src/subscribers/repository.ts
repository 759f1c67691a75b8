import { Prisma } from "../generated/prisma/client.js";
import type { Nationality, PersonIdentifierKind, Population } from "../generated/prisma/enums.js";
import type { ReadText, Tx } from "../shared/db/database.js";

export type InsuredPerson = {
  id: string;
  identifierKind: PersonIdentifierKind;
  identifierNumber: string;
  nationality: Nationality;
  name: string;
  dateOfBirth: Date;
  firstInsuredOn: Date;
  population: Population;
};

export type AccountRecord = {
  id: string;
  subscriberId: string;
  email: string;
  mobile: string;
  passwordHash: string;
  createdAt: Date;
};

const personColumns = {
  id: true,
  identifierKind: true,
  identifierNumber: true,
  nationality: true,
  name: true,
  dateOfBirth: true,
  firstInsuredOn: true,
  population: true,
} as const;

export async function findInsuredPerson(tx: Tx, identifierNumber: string): Promise<InsuredPerson | undefined> {
  return (await tx.subscriber.findUnique({ where: { identifierNumber }, select: personColumns })) ?? undefined;
}

export async function findInsuredPersonById(tx: Tx, id: string): Promise<InsuredPerson | undefined> {
  return (await tx.subscriber.findUnique({ where: { id }, select: personColumns })) ?? undefined;
}

const accountColumns = {
  id: true,
  subscriberId: true,
  email: true,
  mobile: true,
  passwordHash: true,
  createdAt: true,
} as const;

export async function findAccountOfSubscriber(tx: Tx, subscriberId: string): Promise<AccountRecord | undefined> {
  return (await tx.subscriberAccount.findUnique({ where: { subscriberId }, select: accountColumns })) ?? undefined;
}

export async function findAccount(tx: Tx, id: string): Promise<AccountRecord | undefined> {
  return (await tx.subscriberAccount.findUnique({ where: { id }, select: accountColumns })) ?? undefined;
}

/** A token's live subscriber session with its account, in one statement (every signed-in request). */
export async function findSubscriberSession(
  tx: Tx,
  tokenHash: string,
  now: Date,
): Promise<{ sessionId: string; accountId: string; subscriberId: string } | undefined> {
  // The marker (preparedStatementMarker) keeps this statement prepared on each connection.
  const [row] = await tx.$queryRaw<{ sessionId: string; accountId: string; subscriberId: string }[]>`/* prepared */
    SELECT s.id AS "sessionId", a.id AS "accountId", a.subscriber_id AS "subscriberId"
      FROM sessions s
      JOIN subscriber_accounts a ON a.id = s.principal_id
     WHERE s.token_hash = ${tokenHash} AND s.principal_type = 'SUBSCRIBER'
       AND s.revoked_at IS NULL AND s.expires_at > ${now}`;
  return row;
}

export async function isEmailTaken(tx: Tx, email: string): Promise<boolean> {
  return (await tx.subscriberAccount.count({ where: { email } })) > 0;
}

export type PendingRegistrationRecord = {
  id: string;
  subscriberId: string;
  email: string;
  mobile: string;
  passwordHash: string;
  termsVersion: string;
  termsAcceptedAt: Date;
};

export async function insertPendingRegistration(
  tx: Tx,
  registration: PendingRegistrationRecord & { createdAt: Date; expiresAt: Date },
): Promise<void> {
  await tx.pendingRegistration.create({ data: registration });
}

/** A registration still waiting for its code (not completed, not expired), locked for the caller. */
export async function lockLivePendingRegistration(
  tx: Tx,
  id: string,
  now: Date,
): Promise<PendingRegistrationRecord | undefined> {
  const [row] = await tx.$queryRaw<PendingRegistrationRecord[]>`
    SELECT id, subscriber_id AS "subscriberId", email, mobile, password_hash AS "passwordHash",
           terms_version AS "termsVersion", terms_accepted_at AS "termsAcceptedAt"
      FROM pending_registrations
     WHERE id = ${id} AND completed_at IS NULL AND expires_at > ${now}
       FOR UPDATE`;
  return row;
}

export async function completePendingRegistration(tx: Tx, id: string, now: Date): Promise<void> {
  await tx.pendingRegistration.update({ where: { id }, data: { completedAt: now } });
}

/**
 * Deletes registrations that expired before `expiredBefore`, completed or not: a completed one's
 * account holds its contact details, password hash and terms; an abandoned one is of no use.
 */
export async function deletePendingRegistrationsExpiredBefore(tx: Tx, expiredBefore: Date): Promise<number> {
  return (await tx.pendingRegistration.deleteMany({ where: { expiresAt: { lt: expiredBefore } } })).count;
}

export async function insertAccount(
  tx: Tx,
  account: Omit<AccountRecord, "createdAt"> & {
    termsVersion: string;
    termsAcceptedAt: Date;
    createdAt: Date;
    passwordChangedAt: Date;
  },
): Promise<void> {
  await tx.subscriberAccount.create({ data: account });
}

export async function updateAccountPassword(tx: Tx, id: string, passwordHash: string, now: Date): Promise<void> {
  await tx.subscriberAccount.update({ where: { id }, data: { passwordHash, passwordChangedAt: now } });
}

export async function updateAccountContact(tx: Tx, id: string, change: { mobile: string } | { email: string }) {
  await tx.subscriberAccount.update({ where: { id }, data: change });
}

/** Ends every live session of the account (after a password reset). */
export async function revokeAccountSessions(tx: Tx, accountId: string, now: Date): Promise<number> {
  const { count } = await tx.session.updateMany({
    where: { principalType: "SUBSCRIBER", principalId: accountId, revokedAt: null },
    data: { revokedAt: now },
  });
  return count;
}

export type EmploymentRecord = {
  id: string;
  establishmentId: string;
  establishmentNameAr: string;
  establishmentNameEn: string;
  registrationNumber: number;
  occupation: string;
  startDate: Date;
  endDate: Date | null;
};

/** The person's employments, newest first, with their establishments. */
export async function listEmploymentsOf(tx: Tx, subscriberId: string): Promise<EmploymentRecord[]> {
  return tx.$queryRaw<EmploymentRecord[]>`
    SELECT e.id, e.establishment_id AS "establishmentId", s.name_ar AS "establishmentNameAr",
           s.name_en AS "establishmentNameEn", s.registration_number AS "registrationNumber",
           e.occupation, e.start_date AS "startDate", e.end_date AS "endDate"
      FROM employments e JOIN establishments s ON s.id = e.establishment_id
     WHERE e.subscriber_id = ${subscriberId}
     ORDER BY e.start_date DESC, e.id DESC`;
}

export type WageRecord = {
  employmentId: string;
  effectiveMonth: Date;
  basic: string;
  housing: string;
  otherAllowances: string;
  housingInKind: boolean;
  isRetroactiveCorrection: boolean;
  recordedAt: Date;
};

/** Every wage recorded for the person's employments, in the order recorded. */
export async function listWagesOf(tx: Tx, subscriberId: string): Promise<WageRecord[]> {
  return tx.$queryRaw<WageRecord[]>`
    SELECT w.employment_id AS "employmentId", w.effective_month AS "effectiveMonth", w.basic::text AS basic,
           w.housing::text AS housing, w.other_allowances::text AS "otherAllowances",
           w.housing_in_kind AS "housingInKind", w.is_retroactive_correction AS "isRetroactiveCorrection",
           w.recorded_at AS "recordedAt"
      FROM wages w JOIN employments e ON e.id = w.employment_id
     WHERE e.subscriber_id = ${subscriberId}
     ORDER BY w.effective_month, w.recorded_at, w.id`;
}

/** What one invoice billed for one of the person's employment months, and how far that invoice is paid. */
export type BilledMonthRow = {
  employmentId: string;
  /** YYYY-MM */
  month: string;
  invoiceId: string;
  invoiceNumber: string;
  /** YYYY-MM */
  invoiceMonth: string;
  /** YYYY-MM-DD */
  dueDate: string;
  invoiceTotal: string;
  invoiceSettled: string;
  employeeShare: string;
  employerShare: string;
  /** The wage the invoice's latest line for the month used (an adjustment re-rates it). */
  contributoryWage: string;
  daysInService: number;
};

/**
 * Every (employment, month, invoice) a subscriber was billed in, with the invoice's settlement,
 * voided invoices left out: what monthlyRecord takes as `billed`, and what the agreement test
 * builds the specified answer from (the endpoint's monthlyContributionsJson reads the same
 * tables its own way). One JSON text, so the amounts stay exact strings.
 */
export async function listBilledMonths(tx: Tx, subscriberId: string): Promise<BilledMonthRow[]> {
  const [result] = await tx.$queryRaw<{ rows: string }[]>`
    WITH billed AS (
      SELECT l.employment_id, l.contribution_month, l.invoice_id,
             sum(l.annuities_employee + l.saned_employee) AS employee_share,
             sum(l.annuities_employer + l.saned_employer + l.hazards_employer) AS employer_share,
             (array_agg(l.contributory_wage ORDER BY l.line_number DESC))[1] AS contributory_wage,
             (array_agg(l.days_in_service ORDER BY l.line_number DESC))[1] AS days_in_service
        FROM invoice_lines l
       WHERE l.employment_id IN (SELECT id FROM employments WHERE subscriber_id = ${subscriberId})
       GROUP BY l.employment_id, l.contribution_month, l.invoice_id),
    parts AS (
      SELECT b.employment_id, b.contribution_month AS month, i.id AS invoice_id, i.number AS invoice_number,
             i.contribution_month AS invoice_month, i.due_date, i.total AS invoice_total, s.settled AS invoice_settled,
             b.employee_share, b.employer_share, b.contributory_wage, b.days_in_service::int AS days_in_service
        FROM billed b
        JOIN invoices i ON i.id = b.invoice_id
        CROSS JOIN LATERAL (SELECT coalesce(sum(amount), 0) AS settled
                              FROM invoice_settlements WHERE invoice_id = i.id) s
       WHERE NOT EXISTS (SELECT 1 FROM invoice_voids v WHERE v.invoice_id = i.id))
    SELECT coalesce(json_agg(json_build_object(
             'employmentId', employment_id, 'month', to_char(month, 'YYYY-MM'), 'invoiceId', invoice_id,
             'invoiceNumber', invoice_number, 'invoiceMonth', to_char(invoice_month, 'YYYY-MM'),
             'dueDate', to_char(due_date, 'YYYY-MM-DD'), 'invoiceTotal', invoice_total::text,
             'invoiceSettled', invoice_settled::text, 'employeeShare', employee_share::text,
             'employerShare', employer_share::text, 'contributoryWage', contributory_wage::text,
             'daysInService', days_in_service)), '[]')::text AS rows
      FROM parts`;
  return JSON.parse(result?.rows ?? "[]") as BilledMonthRow[];
}

/**
 * The month-by-month answer (GET …/contribution-months) built whole by PostgreSQL as one JSON
 * text, so a 20-year history costs the service one string instead of thousands of objects.
 * It is monthlyRecord (contribution-record.ts) and monthPaymentStatus in SQL, month for month:
 * the months in service of each employment (days counted to the end, the month's last day or
 * `today`, whichever is first), joined with what each invoice billed for them; the latest
 * invoice's wage and days, every invoice's shares added up, and the status from the parts
 * settled, overdue and paid into. test/subscribers/months-agreement.test.ts holds the two to the
 * same answers on random histories.
 *
 * Built for speed on 20-year histories (measured in docs/subscribers.md): the billed lines are
 * sorted once and summarised by window functions over (employment, month), where ordered
 * aggregates would sort every month's few lines apart; and the JSON is concatenated text
 * (json_build_object looks up its arguments' types on every call). Every value spliced in is
 * either escaped by to_json, a number, a date or one of the status words.
 */
export async function monthlyContributionsJson(
  readText: ReadText,
  query: {
    subscriberId: string;
    today: string;
    firstBilledMonth: string | undefined;
    from: string | undefined;
    to: string | undefined;
  },
): Promise<string> {
  const today = Prisma.sql`${query.today}::date`;
  // The marker (preparedStatementMarker) keeps this statement prepared on each connection.
  const answer = await readText(Prisma.sql`/* prepared */
    WITH lines AS (
      SELECT l.employment_id, l.contribution_month AS month, l.invoice_id, l.line_number,
             i.contribution_month AS invoice_month, i.number AS invoice_number, i.due_date, i.total,
             (SELECT coalesce(sum(st.amount), 0) FROM invoice_settlements st WHERE st.invoice_id = i.id) AS settled,
             l.annuities_employee + l.saned_employee AS employee_share,
             l.annuities_employer + l.saned_employer + l.hazards_employer AS employer_share,
             l.contributory_wage, l.days_in_service
        FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
       WHERE l.employment_id IN (SELECT id FROM employments WHERE subscriber_id = ${query.subscriberId})
         AND NOT EXISTS (SELECT 1 FROM invoice_voids v WHERE v.invoice_id = i.id)),
    -- An invoice is listed once for a month even if it had several lines for it.
    marked AS (
      SELECT *, invoice_id IS DISTINCT FROM lag(invoice_id) OVER invoice_order AS first_of_invoice
        FROM lines
      WINDOW invoice_order AS (PARTITION BY employment_id, month ORDER BY invoice_month, invoice_id, line_number)),
    summed AS (
      SELECT employment_id, month,
             sum(employee_share) OVER whole_month AS employee_share,
             sum(employer_share) OVER whole_month AS employer_share,
             last_value(contributory_wage) OVER whole_month AS contributory_wage,
             last_value(days_in_service) OVER whole_month AS days_in_service,
             bool_and(settled >= total) OVER whole_month AS all_settled,
             bool_or(settled < total AND ${today} > due_date) OVER whole_month AS overdue,
             bool_or(settled > 0) OVER whole_month AS arrived,
             string_agg('{"number":' || to_json(invoice_number)::text
                          || ',"dueDate":"' || to_char(due_date, 'YYYY-MM-DD')
                          || '","paid":' || (settled >= total)::text || '}', ',')
               FILTER (WHERE first_of_invoice) OVER whole_month AS invoices,
             row_number() OVER invoice_order AS position
        FROM marked
      WINDOW invoice_order AS (PARTITION BY employment_id, month ORDER BY invoice_month, invoice_id, line_number),
             whole_month AS (invoice_order ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)),
    cells AS (SELECT * FROM summed WHERE position = 1),
    spans AS (
      SELECT e.id, e.start_date, e.end_date FROM employments e WHERE e.subscriber_id = ${query.subscriberId}),
    served AS (
      SELECT s.id AS employment_id, m.month::date AS month,
             greatest(least((m.month + interval '1 month' - interval '1 day')::date, s.end_date, ${today})
                      - greatest(s.start_date, m.month::date) + 1, 0) AS days
        FROM spans s
        CROSS JOIN LATERAL generate_series(date_trunc('month', s.start_date::timestamp),
                                           least(date_trunc('month', coalesce(s.end_date, ${today})::timestamp),
                                                 date_trunc('month', ${today}::timestamp)),
                                           interval '1 month') AS m(month)),
    rows AS (
      SELECT coalesce(c.employment_id, v.employment_id) AS employment_id, coalesce(c.month, v.month) AS month,
             coalesce(c.days_in_service, v.days, 0) AS days_in_service, c.contributory_wage,
             coalesce(c.employee_share, 0)::numeric(18, 2) AS employee_share,
             coalesce(c.employer_share, 0)::numeric(18, 2) AS employer_share,
             CASE WHEN c.employment_id IS NULL THEN
                    CASE WHEN coalesce(c.month, v.month) < ${query.firstBilledMonth ?? null}::date
                         THEN 'BEFORE_RECORDS' ELSE 'NOT_YET_BILLED' END
                  WHEN c.all_settled THEN 'PAID'
                  WHEN c.overdue THEN 'OVERDUE'
                  WHEN c.arrived THEN 'PARTIALLY_PAID'
                  ELSE 'UNPAID' END AS status,
             '[' || coalesce(c.invoices, '') || ']' AS invoices
        FROM served v FULL JOIN cells c ON c.employment_id = v.employment_id AND c.month = v.month),
    shown AS (
      SELECT * FROM rows
       WHERE (${query.from ?? null}::date IS NULL OR month >= ${query.from ?? null}::date)
         AND (${query.to ?? null}::date IS NULL OR month <= ${query.to ?? null}::date))
    SELECT '{"asOf":"' || to_char(${today}, 'YYYY-MM-DD') || '","employments":' || (
             SELECT coalesce(json_agg(json_build_object(
                      'employmentId', e.id,
                      'establishment', json_build_object(
                        'id', est.id, 'registrationNumber', lpad(est.registration_number::text, 9, '0'),
                        'nameAr', est.name_ar, 'nameEn', est.name_en))
                      ORDER BY e.start_date DESC, e.id DESC), '[]')::text
               FROM employments e JOIN establishments est ON est.id = e.establishment_id
              WHERE e.subscriber_id = ${query.subscriberId}
                AND e.id IN (SELECT employment_id FROM shown))
           || ',"months":[' || coalesce((
             SELECT string_agg('{"month":"' || to_char(month, 'YYYY-MM')
                                 || '","employmentId":' || to_json(employment_id)::text
                                 || ',"daysInService":' || days_in_service
                                 || ',"contributoryWage":' || coalesce('"' || contributory_wage::text || '"', 'null')
                                 || ',"employeeShare":"' || employee_share::text
                                 || '","employerShare":"' || employer_share::text
                                 || '","status":"' || status || '","invoices":' || invoices || '}',
                               ',' ORDER BY month DESC, employment_id COLLATE "C")
               FROM shown), '') || ']}' AS answer`);
  if (answer === undefined) throw new Error("the month-by-month query returned nothing");
  return answer;
}

/** The first month Ishtirak billed: months before it were never billed here. */
export async function firstBilledMonth(tx: Tx): Promise<Date | undefined> {
  const [row] = await tx.$queryRaw<{ month: Date | null }[]>`SELECT min(month) AS month FROM billing_runs`;
  return row?.month ?? undefined;
}
