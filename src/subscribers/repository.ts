import type { Nationality, PersonIdentifierKind, Population } from "../generated/prisma/enums.js";
import type { Tx } from "../shared/db/database.js";

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
  const [row] = await tx.$queryRaw<{ sessionId: string; accountId: string; subscriberId: string }[]>`
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
 * voided invoices left out. The rows come back as one JSON text: for 20 years of history that is
 * one value for the driver to hand over instead of thousands, and the amounts stay exact strings.
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
    rows AS (
      SELECT b.employment_id AS "employmentId", to_char(b.contribution_month, 'YYYY-MM') AS month,
             i.id AS "invoiceId", i.number AS "invoiceNumber",
             to_char(i.contribution_month, 'YYYY-MM') AS "invoiceMonth", i.due_date::text AS "dueDate",
             i.total::text AS "invoiceTotal", s.settled::text AS "invoiceSettled",
             b.employee_share::text AS "employeeShare", b.employer_share::text AS "employerShare",
             b.contributory_wage::text AS "contributoryWage", b.days_in_service::int AS "daysInService"
        FROM billed b
        JOIN invoices i ON i.id = b.invoice_id
        CROSS JOIN LATERAL (SELECT coalesce(sum(amount), 0) AS settled
                              FROM invoice_settlements WHERE invoice_id = i.id) s
       WHERE NOT EXISTS (SELECT 1 FROM invoice_voids v WHERE v.invoice_id = i.id))
    SELECT coalesce(json_agg(rows), '[]')::text AS rows FROM rows`;
  return JSON.parse(result?.rows ?? "[]") as BilledMonthRow[];
}

/** The first month Ishtirak billed: months before it were never billed here. */
export async function firstBilledMonth(tx: Tx): Promise<Date | undefined> {
  const [row] = await tx.$queryRaw<{ month: Date | null }[]>`SELECT min(month) AS month FROM billing_runs`;
  return row?.month ?? undefined;
}
