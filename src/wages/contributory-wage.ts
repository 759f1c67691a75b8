import type { Population } from "../employers/population.js";
import { Money, Rate } from "../shared/money.js";

export type WageComponents = {
  basic: Money;
  housing: Money;
  /** Transport, food and the rest: recorded, never contributory (contributions.md §3). */
  otherAllowances: Money;
  /** Housing provided in kind instead of an allowance. */
  housingInKind: boolean;
};

/**
 * Floor and cap of the contributory wage (contributions.md §3): 1,500 for Saudis (annuities),
 * 400 for non-Saudis (occupational hazards), 45,000 for everyone. They have not changed in the
 * period Ishtirak bills; the billing issue makes them effective-dated data.
 */
export const contributoryWageFloor: Record<Population, Money> = {
  SAUDI_LEGACY: Money.sar("1500.00"),
  SAUDI_NEW_2024: Money.sar("1500.00"),
  NON_SAUDI: Money.sar("400.00"),
};
export const contributoryWageCap = Money.sar("45000.00");

const ONE = Rate.of("1");

/**
 * Basic + housing (housing in kind counts as two months' basic a year, i.e. basic × 2/12,
 * rounded half-up to the halala), raised to the floor and cut to the cap. Other allowances do
 * not count. Order of operations per contributions.md §3 (ASSUMED there).
 */
export function contributoryWage(components: WageComponents, population: Population): Money {
  const housing = components.housingInKind
    ? components.basic.timesRate(ONE, { numerator: 2, denominator: 12 })
    : components.housing;
  const base = components.basic.plus(housing);
  return Money.min(Money.max(base, contributoryWageFloor[population]), contributoryWageCap);
}
