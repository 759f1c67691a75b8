import type { Prisma } from "../generated/prisma/client.js";
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
  return tx.subscriber.findFirst({
    where: { id: subscriberId, employments: { some: { establishmentId } } },
    include: {
      employments: {
        where: { establishmentId },
        orderBy: { startDate: "asc" },
        include: { wages: { orderBy: [{ effectiveMonth: "asc" }, { recordedAt: "asc" }] } },
      },
    },
  });
}

export type EmployeeListFilter = {
  establishmentId: string;
  activeIn?: { firstDay: Date; lastDay: Date };
  nationality?: "SAUDI" | "GCC" | "OTHER";
  identifierNumber?: string;
  afterEmploymentId?: string;
  limit: number;
};

/** One page of employments in id order (ids are time-ordered), with the person. */
export async function listEmployments(tx: Tx, filter: EmployeeListFilter) {
  return tx.employment.findMany({
    where: {
      establishmentId: filter.establishmentId,
      ...(filter.afterEmploymentId ? { id: { gt: filter.afterEmploymentId } } : {}),
      ...(filter.activeIn
        ? {
            startDate: { lte: filter.activeIn.lastDay },
            OR: [{ endDate: null }, { endDate: { gte: filter.activeIn.firstDay } }],
          }
        : {}),
      ...(filter.nationality || filter.identifierNumber
        ? {
            subscriber: {
              ...(filter.nationality ? { nationality: filter.nationality } : {}),
              ...(filter.identifierNumber ? { identifierNumber: filter.identifierNumber } : {}),
            },
          }
        : {}),
    },
    include: { subscriber: true },
    orderBy: { id: "asc" },
    take: filter.limit,
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
