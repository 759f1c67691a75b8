import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { calculateContributions } from "../../src/billing/calculate-contributions.js";
import { loadRateSets } from "../../src/billing/rate-repository.js";
import { domainRateSchedule } from "../../src/billing/rates.js";
import { computeContributionLines } from "../../src/billing/repository/staging.js";
import type { Population } from "../../src/employers/population.js";
import type { BusinessDate } from "../../src/shared/business-date.js";
import { ContributionMonth } from "../../src/shared/contribution-month.js";
import { newId } from "../../src/shared/ids.js";
import { Money } from "../../src/shared/money.js";
import { contributoryWage } from "../../src/wages/contributory-wage.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

type WageRow = { basic: bigint; housing: bigint; inKind: boolean; monthOffset: number; recordedOrder: number };
type EmploymentSpec = { establishment: number; startOffset: number; endOffset: number | null; wages: WageRow[] };
type SubscriberSpec = { population: Population; employments: EmploymentSpec[] };

const halalas = (max: number) => fc.bigInt({ min: 0n, max: BigInt(max) * 100n });
const wageRow = fc.record({
  basic: halalas(60_000),
  housing: halalas(20_000),
  inKind: fc.boolean(),
  monthOffset: fc.integer({ min: -3, max: 1 }),
  recordedOrder: fc.integer({ min: 0, max: 1_000 }),
});
const employmentSpec = fc.record({
  establishment: fc.integer({ min: 0, max: 3 }),
  // Days from the month's first day: starts up to ~3 months before, ends around the month.
  startOffset: fc.integer({ min: -95, max: 30 }),
  endOffset: fc.option(fc.integer({ min: -40, max: 45 }), { nil: null }),
  wages: fc.array(wageRow, { minLength: 1, maxLength: 3 }),
});
const subscriberSpec = fc.record({
  population: fc.constantFrom<Population>("SAUDI_LEGACY", "SAUDI_NEW_2024", "NON_SAUDI"),
  employments: fc.uniqueArray(employmentSpec, { minLength: 1, maxLength: 3, selector: (spec) => spec.establishment }),
});
const monthIndex = fc.integer({ min: 2022 * 12 + 1, max: 2029 * 12 + 11 });

let sequence = 0;

/** Writes the random population straight into the tables the billing SQL reads. */
async function insertScenario(month: ContributionMonth, subscribers: SubscriberSpec[]) {
  const now = new Date("2026-11-25T09:00:00Z");
  const establishmentIds = [0, 1, 2, 3].map(() => newId("est"));
  await database.prisma.establishment.createMany({
    data: establishmentIds.map((id) => ({
      id,
      nameAr: "منشأة",
      nameEn: "Agreement test",
      contactEmail: "agreement@test",
      contactMobile: "+966501234567",
      city: "Riyadh",
      createdAt: now,
    })),
  });
  const first = month.firstDay();
  const employments: {
    id: string;
    subscriber: number;
    population: Population;
    start: BusinessDate;
    end: BusinessDate | null;
    wages: (WageRow & { id: string; month: ContributionMonth })[];
  }[] = [];
  for (const [index, subscriber] of subscribers.entries()) {
    sequence += 1;
    const subscriberId = newId("sub");
    await database.prisma.subscriber.create({
      data: {
        id: subscriberId,
        identifierKind: subscriber.population === "NON_SAUDI" ? "IQAMA" : "NATIONAL_ID",
        identifierNumber: `${subscriber.population === "NON_SAUDI" ? 2 : 1}${String(sequence).padStart(9, "0")}`,
        nationality: subscriber.population === "NON_SAUDI" ? "OTHER" : "SAUDI",
        name: `Subscriber ${sequence}`,
        dateOfBirth: new Date("1990-01-01"),
        firstInsuredOn: new Date("2020-01-01"),
        population: subscriber.population,
        createdAt: now,
      },
    });
    for (const spec of subscriber.employments) {
      const start = first.plusDays(spec.startOffset);
      const proposedEnd = spec.endOffset === null ? null : first.plusDays(spec.endOffset);
      const end = proposedEnd?.isBefore(start) ? start : proposedEnd;
      const employmentId = newId("emp");
      await database.prisma.employment.create({
        data: {
          id: employmentId,
          subscriberId,
          establishmentId: establishmentIds[spec.establishment] as string,
          occupation: "Tester",
          startDate: start.toDateColumn(),
          endDate: end?.toDateColumn() ?? null,
          registeredAt: now,
          registeredBy: "test",
        },
      });
      // Wages take effect from their own month: some before, at, or after the month billed.
      const wages = spec.wages.map((wage) => ({ ...wage, id: newId("wg"), month: month.plusMonths(wage.monthOffset) }));
      await database.prisma.wage.createMany({
        data: wages.map((wage) => ({
          id: wage.id,
          employmentId,
          effectiveMonth: wage.month.firstDay().toDateColumn(),
          basic: Money.fromHalalas(wage.basic).toString(),
          housing: Money.fromHalalas(wage.housing).toString(),
          otherAllowances: "0",
          housingInKind: wage.inKind,
          isRetroactiveCorrection: false,
          recordedAt: new Date(now.getTime() + wage.recordedOrder * 1000),
          recordedBy: "test",
        })),
      });
      employments.push({ id: employmentId, subscriber: index, population: subscriber.population, start, end, wages });
    }
  }
  return { establishmentIds, employments };
}

describe("the billing SQL agrees with calculateContributions", () => {
  it("seeds exactly the domain rate schedule", async () => {
    const stored = await loadRateSets(database.prisma);
    expect(stored.map(({ fromMonth, description, terms }) => ({ fromMonth, description, terms }))).toEqual(
      domainRateSchedule.all,
    );
  });

  it("row by row on random employments, wages, partial months and concurrent employers", async () => {
    await fc.assert(
      fc.asyncProperty(
        monthIndex,
        fc.array(subscriberSpec, { minLength: 1, maxLength: 6 }),
        async (index, subscribers) => {
          const month = ContributionMonth.of(Math.floor(index / 12), (index % 12) + 1);
          const { establishmentIds, employments } = await insertScenario(month, subscribers);
          const fromSql = await computeContributionLines(database.prisma, month, establishmentIds);

          // The oracle: pick each active employment's wage in force and its days, then call the pure function.
          const first = month.firstDay();
          const last = month.lastDay();
          const inForce = employments.flatMap((employment) => {
            if (employment.start.isAfter(last) || employment.end?.isBefore(first)) return [];
            const wage = employment.wages
              .filter((candidate) => !candidate.month.isAfter(month))
              .sort(
                (a, b) =>
                  b.month.compare(a.month) ||
                  b.recordedOrder - a.recordedOrder ||
                  (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
              )[0];
            if (!wage) return [];
            const from = employment.start.isAfter(first) ? employment.start : first;
            const to = employment.end?.isBefore(last) ? employment.end : last;
            const components = {
              basic: Money.fromHalalas(wage.basic),
              housing: Money.fromHalalas(wage.housing),
              otherAllowances: Money.zero,
              housingInKind: wage.inKind,
            };
            return [{ employment, components, days: from.daysUntil(to) + 1 }];
          });
          const expected = inForce
            .map(({ employment, components, days }) => {
              const limits = domainRateSchedule.termsFor(employment.population, month).limits;
              const others = inForce
                .filter((other) => other.employment.subscriber === employment.subscriber)
                .filter((other) => other.employment.id !== employment.id)
                .map((other) => ({
                  contributoryWage: contributoryWage(other.components, limits),
                  daysInService: other.days,
                }));
              const result = calculateContributions(
                {
                  wage: components,
                  population: employment.population,
                  month,
                  daysInService: days,
                  otherEmployments: others,
                },
                domainRateSchedule,
              );
              return {
                employmentId: employment.id,
                daysInService: days,
                contributoryWage: result.contributoryWage,
                chargeableWage: result.chargeableWage,
                amounts: result.amounts,
              };
            })
            .sort((a, b) => (a.employmentId < b.employmentId ? -1 : 1));
          expect(fromSql).toEqual(expected);
        },
      ),
      { numRuns: 40 },
    );
  });
});
