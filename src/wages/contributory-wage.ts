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

/** Floor and cap of the monthly contributory wage; effective-dated in the rate sets. */
export type WageLimits = { floor: Money; cap: Money };

/**
 * The limits of contributions.md §3, unchanged in every month Ishtirak bills: 1,500 for Saudis
 * (annuities), 400 for non-Saudis (occupational hazards), 45,000 for everyone. Billing reads
 * the limits of the rate set in force for the month; these are the seed, and what wage
 * listings show.
 */
export const standingWageLimits: Record<Population, WageLimits> = {
  SAUDI_LEGACY: { floor: Money.sar("1500.00"), cap: Money.sar("45000.00") },
  SAUDI_NEW_2024: { floor: Money.sar("1500.00"), cap: Money.sar("45000.00") },
  NON_SAUDI: { floor: Money.sar("400.00"), cap: Money.sar("45000.00") },
};

const ONE = Rate.of("1");

/**
 * Basic + housing (housing in kind counts as two months' basic a year, i.e. basic × 2/12,
 * rounded half-up to the halala), raised to the floor and cut to the cap. Other allowances do
 * not count. Order of operations per contributions.md §3 (ASSUMED there).
 */
export function contributoryWage(components: WageComponents, limits: WageLimits): Money {
  const housing = components.housingInKind
    ? components.basic.timesRate(ONE, { numerator: 2, denominator: 12 })
    : components.housing;
  const base = components.basic.plus(housing);
  return Money.min(Money.max(base, limits.floor), limits.cap);
}
