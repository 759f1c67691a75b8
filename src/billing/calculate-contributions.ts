import type { Population } from "../employers/population.js";
import type { ContributionMonth } from "../shared/contribution-month.js";
import { Money } from "../shared/money.js";
import { contributoryWage, type WageComponents } from "../wages/contributory-wage.js";
import { type ComponentAmounts, contributionComponents, type RateSchedule } from "./rates.js";

/** Another employment of the same subscriber in the same month (several employers at once). */
export type ConcurrentEmployment = { contributoryWage: Money; daysInService: number };

export type ContributionInput = {
  wage: WageComponents;
  population: Population;
  month: ContributionMonth;
  /** Calendar days in service in the month (first and last day count), 1 to the month's length. */
  daysInService: number;
  /** The subscriber's other employments in the month, at any establishment. */
  otherEmployments?: readonly ConcurrentEmployment[];
};

export type ContributionAmounts = {
  contributoryWage: Money;
  /** After the multi-employer reduction: the base the rates apply to. */
  chargeableWage: Money;
  amounts: ComponentAmounts;
  employerTotal: Money;
  employeeTotal: Money;
};

/**
 * What one employment owes for one month, by branch and share: the one function billing
 * implements (the billing run's SQL is checked against it row by row). Order of operations per
 * contributions.md §3 (ASSUMED there): components → contributory wage → floor → cap →
 * multi-employer reduction → × rate × days in service / days in month → rounded once per
 * component, half-up to the halala (§6, ASSUMED).
 *
 * The multi-employer cap (§3: "wage_i × 45,000 / sum(wages)") is read over the month as
 * worked: each employment's contributory wage counts for the days it ran, so a subscriber who
 * changes employer mid-month is not cut, while two full-month jobs are. ASSUMED, documented in
 * docs/billing.md: the notes do not say how the cap meets day-based charging.
 */
export function calculateContributions(input: ContributionInput, schedule: RateSchedule): ContributionAmounts {
  const dayCount = input.month.dayCount;
  assertDays(input.daysInService, input.month);
  for (const other of input.otherEmployments ?? []) assertDays(other.daysInService, input.month);

  const terms = schedule.termsFor(input.population, input.month);
  const own = contributoryWage(input.wage, terms.limits);
  const chargeableWage = reduceForConcurrentEmployments(
    own,
    input.daysInService,
    input.otherEmployments ?? [],
    terms.limits.cap,
    dayCount,
  );

  const amounts = {} as ComponentAmounts;
  for (const component of contributionComponents) {
    amounts[component.key] = chargeableWage.timesRate(terms.rates[component.key], {
      numerator: input.daysInService,
      denominator: dayCount,
    });
  }
  return {
    contributoryWage: own,
    chargeableWage,
    amounts,
    employerTotal: Money.sum([amounts.annuitiesEmployer, amounts.sanedEmployer, amounts.hazardsEmployer]),
    employeeTotal: Money.sum([amounts.annuitiesEmployee, amounts.sanedEmployee]),
  };
}

/**
 * When the subscriber's wages over the month (each weighted by its days) pass the cap, each
 * employer's wage is cut by cap / combined, rounded half-up to the halala.
 */
function reduceForConcurrentEmployments(
  own: Money,
  ownDays: number,
  others: readonly ConcurrentEmployment[],
  cap: Money,
  dayCount: number,
): Money {
  if (others.length === 0) return own;
  const weighted =
    own.toHalalas() * BigInt(ownDays) +
    others.reduce((sum, other) => sum + other.contributoryWage.toHalalas() * BigInt(other.daysInService), 0n);
  const limit = cap.toHalalas() * BigInt(dayCount);
  if (weighted <= limit) return own;
  return Money.fromHalalas(roundedRatio(own.toHalalas() * limit, weighted));
}

function assertDays(days: number, month: ContributionMonth): void {
  if (!Number.isInteger(days) || days < 1 || days > month.dayCount) {
    throw new RangeError(`days in service must be 1 to ${month.dayCount} in ${month.toString()}`);
  }
}

/** numerator / denominator for non-negative integers, rounded half-up. */
function roundedRatio(numerator: bigint, denominator: bigint): bigint {
  return (numerator * 2n + denominator) / (denominator * 2n);
}
