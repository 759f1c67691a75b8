import { Prisma } from "../generated/prisma/client.js";
import type { EmploymentEndReason } from "../generated/prisma/enums.js";
import type { Tx } from "../shared/db/database.js";

export async function findSubscriberByIdentifier(tx: Tx, identifierNumber: string) {
  return (await tx.subscriber.findUnique({ where: { identifierNumber } })) ?? undefined;
}

/** Inserts the person unless their ID number is known already (ON CONFLICT DO NOTHING). */
export async function insertSubscriberUnlessKnown(tx: Tx, subscriber: Prisma.SubscriberCreateManyInput): Promise<void> {
  await tx.subscriber.createMany({ data: [subscriber], skipDuplicates: true });
}

export async function findEmploymentsAt(tx: Tx, subscriberId: string, establishmentId: string) {
  return tx.employment.findMany({ where: { subscriberId, establishmentId }, orderBy: { startDate: "asc" } });
}

export async function insertEmployment(tx: Tx, employment: Prisma.EmploymentUncheckedCreateInput): Promise<void> {
  await tx.employment.create({ data: employment });
}

export async function insertWage(tx: Tx, wage: Prisma.WageUncheckedCreateInput): Promise<void> {
  await tx.wage.create({ data: wage });
}

/** Ends the employment if it is still active; false when someone ended it first. */
export async function endEmployment(
  tx: Tx,
  id: string,
  end: { endDate: Date; endReason: EmploymentEndReason; endedAt: Date; endedBy: string },
): Promise<boolean> {
  const { count } = await tx.employment.updateMany({ where: { id, endDate: null }, data: end });
  return count === 1;
}

/** The person with their employments at this establishment and each one's wage history. */
export async function findEmployeeAt(tx: Tx, subscriberId: string, establishmentId: string) {
  const employments = await findEmploymentsAt(tx, subscriberId, establishmentId);
  if (employments.length === 0) return undefined;
  const subscriber = await tx.subscriber.findUnique({ where: { id: subscriberId } });
  if (!subscriber) return undefined;
  const wages = await tx.wage.findMany({
    where: { employmentId: { in: employments.map((employment) => employment.id) } },
    orderBy: [{ effectiveMonth: "asc" }, { recordedAt: "asc" }],
  });
  return {
    ...subscriber,
    employments: employments.map((employment) => ({
      ...employment,
      wages: wages.filter((wage) => wage.employmentId === employment.id),
    })),
  };
}

export type EmployeeListFilter = {
  establishmentId: string;
  activeIn?: { firstDay: Date; lastDay: Date };
  nationality?: "SAUDI" | "GCC" | "OTHER";
  identifierNumber?: string;
  afterEmploymentId?: string;
  limit: number;
};

/** One page of employments in id order (ids are time-ordered), each with its person. */
export async function listEmployments(tx: Tx, filter: EmployeeListFilter) {
  const conditions = [Prisma.sql`e.establishment_id = ${filter.establishmentId}`];
  if (filter.afterEmploymentId) conditions.push(Prisma.sql`e.id > ${filter.afterEmploymentId}`);
  if (filter.activeIn) {
    conditions.push(Prisma.sql`e.start_date <= ${filter.activeIn.lastDay}::date`);
    conditions.push(Prisma.sql`(e.end_date IS NULL OR e.end_date >= ${filter.activeIn.firstDay}::date)`);
  }
  if (filter.nationality) conditions.push(Prisma.sql`s.nationality = ${filter.nationality}::nationality`);
  if (filter.identifierNumber) conditions.push(Prisma.sql`s.identifier_number = ${filter.identifierNumber}`);
  const page = await tx.$queryRaw<{ id: string }[]>`
    SELECT e.id FROM employments e JOIN subscribers s ON s.id = e.subscriber_id
     WHERE ${Prisma.join(conditions, " AND ")}
     ORDER BY e.id
     LIMIT ${filter.limit}`;
  if (page.length === 0) return [];
  const employments = await tx.employment.findMany({
    where: { id: { in: page.map((row) => row.id) } },
    orderBy: { id: "asc" },
  });
  const subscribers = await tx.subscriber.findMany({
    where: { id: { in: [...new Set(employments.map((employment) => employment.subscriberId))] } },
  });
  const subscriberById = new Map(subscribers.map((subscriber) => [subscriber.id, subscriber]));
  return employments.flatMap((employment) => {
    const subscriber = subscriberById.get(employment.subscriberId);
    return subscriber ? [{ ...employment, subscriber }] : [];
  });
}

/** The wage in force per employment: the latest recorded row of the latest effective month. */
export async function currentWages(tx: Tx, employmentIds: readonly string[], asOfMonth: Date) {
  if (employmentIds.length === 0) return [];
  return tx.$queryRaw<
    {
      employmentId: string;
      effectiveMonth: Date;
      basic: string;
      housing: string;
      otherAllowances: string;
      housingInKind: boolean;
    }[]
  >`
    SELECT DISTINCT ON (employment_id)
           employment_id AS "employmentId", effective_month AS "effectiveMonth", basic::text AS basic,
           housing::text AS housing, other_allowances::text AS "otherAllowances", housing_in_kind AS "housingInKind"
      FROM wages
     WHERE employment_id = ANY(${[...employmentIds]}::text[]) AND effective_month <= ${asOfMonth}::date
     ORDER BY employment_id, effective_month DESC, recorded_at DESC`;
}
