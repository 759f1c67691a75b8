import { BusinessDate, daysInMonth } from "../shared/business-date.js";
import { Money, Rate } from "../shared/money.js";

/** 2% of the unpaid contributions for each month, or part of one, of delay (billing-cycle.md §3). */
export const lateFineRate = Rate.of("0.02");

/** `date` plus whole months, on the same day or the month's last day when it has fewer. */
export function plusMonthsClamped(date: BusinessDate, months: number): BusinessDate {
  const index = date.year * 12 + (date.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  return BusinessDate.of(year, month, Math.min(date.day, daysInMonth(year, month)));
}

export type FinePeriod = { number: number; start: BusinessDate; end: BusinessDate; opensAfter: BusinessDate };

/**
 * Fine period k runs (due + (k-1) months, due + k months]: from the day after its opening
 * date to the same day a month later (§3.1, an ASSUMED reading there).
 */
export function finePeriod(dueDate: BusinessDate, number: number): FinePeriod {
  const opensAfter = plusMonthsClamped(dueDate, number - 1);
  return { number, opensAfter, start: opensAfter.plusDays(1), end: plusMonthsClamped(dueDate, number) };
}

export type Settlement = { amount: Money; settledOn: BusinessDate };

/** Contributions still unpaid at the end of `day`: payments settle contributions before fines. */
export function unpaidAt(contributions: Money, settlements: readonly Settlement[], day: BusinessDate): Money {
  const paid = Money.sum(settlements.filter((item) => !item.settledOn.isAfter(day)).map((item) => item.amount));
  return Money.max(contributions.minus(paid), Money.zero);
}

export type AssessedPeriod = { period: FinePeriod; unpaidBase: Money; amount: Money };

/**
 * The fine periods that have begun by `today` and are not assessed yet, with their amounts.
 * Period k costs 2% of what was unpaid when it opened; a period with nothing unpaid costs
 * nothing, and neither does any later one (payments only accumulate). The fine is the sum over
 * periods rounded once, half-up: each period's amount is the rounded running total less what
 * earlier periods were assessed, so the amounts add up to exactly that rounding.
 */
export function periodsToAssess(input: {
  contributions: Money;
  dueDate: BusinessDate;
  settlements: readonly Settlement[];
  assessed: readonly { unpaidBase: Money; amount: Money }[];
  today: BusinessDate;
}): AssessedPeriod[] {
  const result: AssessedPeriod[] = [];
  let baseSum = Money.sum(input.assessed.map((period) => period.unpaidBase));
  let amountSum = Money.sum(input.assessed.map((period) => period.amount));
  for (let number = input.assessed.length + 1; ; number++) {
    const period = finePeriod(input.dueDate, number);
    if (period.start.isAfter(input.today)) break;
    const unpaidBase = unpaidAt(input.contributions, input.settlements, period.opensAfter);
    if (!unpaidBase.isPositive()) break;
    baseSum = baseSum.plus(unpaidBase);
    const amount = baseSum.timesRate(lateFineRate).minus(amountSum);
    amountSum = amountSum.plus(amount);
    result.push({ period, unpaidBase, amount });
  }
  return result;
}
