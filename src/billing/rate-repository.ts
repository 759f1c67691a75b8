import type { Population } from "../employers/population.js";
import { ContributionMonth } from "../shared/contribution-month.js";
import type { Tx } from "../shared/db/database.js";
import { Money, Rate } from "../shared/money.js";
import { type ComponentKey, contributionComponents, RateSchedule, type RateSet } from "./rates.js";

export type StoredRateSet = RateSet & { createdAt: Date; createdBy: string };

/** Every rate set with its rates and limits, oldest first. A handful of rows: read whole. */
export async function loadRateSets(tx: Tx): Promise<StoredRateSet[]> {
  const [sets, rates, limits] = await Promise.all([
    tx.rateSet.findMany({ orderBy: { fromMonth: "asc" } }),
    tx.contributionRate.findMany(),
    tx.wageLimit.findMany(),
  ]);
  return sets.map((set) => {
    const month = set.fromMonth.getTime();
    const terms = {} as RateSet["terms"];
    for (const limit of limits.filter((row) => row.fromMonth.getTime() === month)) {
      const ratesOf = rates.filter((row) => row.fromMonth.getTime() === month && row.population === limit.population);
      const byComponent = {} as Record<ComponentKey, Rate>;
      for (const component of contributionComponents) {
        const row = ratesOf.find((rate) => rate.branch === component.branch && rate.share === component.share);
        if (!row)
          throw new Error(
            `rate set ${ContributionMonth.fromDateColumn(set.fromMonth).toString()} lacks ${component.key}`,
          );
        byComponent[component.key] = Rate.of(row.rate.toString());
      }
      terms[limit.population] = {
        rates: byComponent,
        limits: { floor: Money.fromDecimal(limit.floor), cap: Money.fromDecimal(limit.cap) },
      };
    }
    return {
      fromMonth: ContributionMonth.fromDateColumn(set.fromMonth),
      description: set.description,
      terms,
      createdAt: set.createdAt,
      createdBy: set.createdBy,
    };
  });
}

export async function loadRateSchedule(tx: Tx): Promise<RateSchedule> {
  return new RateSchedule(await loadRateSets(tx));
}

export async function insertRateSet(tx: Tx, set: RateSet, createdBy: string, now: Date) {
  const fromMonth = set.fromMonth.firstDay().toDateColumn();
  const entries = Object.entries(set.terms) as [Population, RateSet["terms"][Population]][];
  await tx.rateSet.create({ data: { fromMonth, description: set.description, createdAt: now, createdBy } });
  await tx.contributionRate.createMany({
    data: entries.flatMap(([population, terms]) =>
      contributionComponents.map((component) => ({
        fromMonth,
        population,
        branch: component.branch,
        share: component.share,
        rate: terms.rates[component.key].toString(),
      })),
    ),
  });
  await tx.wageLimit.createMany({
    data: entries.map(([population, terms]) => ({
      fromMonth,
      population,
      floor: terms.limits.floor.toString(),
      cap: terms.limits.cap.toString(),
    })),
  });
}

export async function deleteRateSet(tx: Tx, month: ContributionMonth): Promise<boolean> {
  const fromMonth = month.firstDay().toDateColumn();
  await tx.contributionRate.deleteMany({ where: { fromMonth } });
  await tx.wageLimit.deleteMany({ where: { fromMonth } });
  return (await tx.rateSet.deleteMany({ where: { fromMonth } })).count === 1;
}
