import type { Population } from "../employers/population.js";
import { ContributionMonth } from "../shared/contribution-month.js";
import { Rate } from "../shared/money.js";

export type ContributionBranch = "ANNUITIES" | "SANED" | "OCCUPATIONAL_HAZARDS";
export type ContributionShare = "EMPLOYER" | "EMPLOYEE";

/** A rate in force from a contribution month on, until the next one for the same key. */
export type RateRule = {
  population: Population;
  branch: ContributionBranch;
  share: ContributionShare;
  rate: Rate;
  fromMonth: ContributionMonth;
};

const rule = (
  population: Population,
  branch: ContributionBranch,
  share: ContributionShare,
  rate: string,
  fromMonth: string,
): RateRule => ({
  population,
  branch,
  share,
  rate: Rate.of(rate),
  fromMonth: ContributionMonth.parse(fromMonth),
});

/**
 * The rates in ../shared/domain/contributions.md §2, as data. "2000-01" stands for "long before
 * anything Ishtirak bills". A step applies to the whole contribution month it starts in (the
 * July steps of the 2024 law: ASSUMED there, §2.2). Billing will seed this into a table that an
 * agency admin can extend with future rate sets.
 */
export const domainRateRules: readonly RateRule[] = [
  // Saudis on the legacy system (§2.1).
  rule("SAUDI_LEGACY", "ANNUITIES", "EMPLOYER", "0.09", "2000-01"),
  rule("SAUDI_LEGACY", "ANNUITIES", "EMPLOYEE", "0.09", "2000-01"),
  rule("SAUDI_LEGACY", "SANED", "EMPLOYER", "0", "2000-01"),
  rule("SAUDI_LEGACY", "SANED", "EMPLOYEE", "0", "2000-01"),
  rule("SAUDI_LEGACY", "SANED", "EMPLOYER", "0.01", "2014-09"),
  rule("SAUDI_LEGACY", "SANED", "EMPLOYEE", "0.01", "2014-09"),
  rule("SAUDI_LEGACY", "SANED", "EMPLOYER", "0.0075", "2022-01"),
  rule("SAUDI_LEGACY", "SANED", "EMPLOYEE", "0.0075", "2022-01"),
  rule("SAUDI_LEGACY", "OCCUPATIONAL_HAZARDS", "EMPLOYER", "0.02", "2000-01"),
  rule("SAUDI_LEGACY", "OCCUPATIONAL_HAZARDS", "EMPLOYEE", "0", "2000-01"),
  // Saudis under the 2024 law, first insured from 3 July 2024 (§2.2): annuities step up each July.
  rule("SAUDI_NEW_2024", "ANNUITIES", "EMPLOYER", "0.09", "2024-07"),
  rule("SAUDI_NEW_2024", "ANNUITIES", "EMPLOYEE", "0.09", "2024-07"),
  rule("SAUDI_NEW_2024", "ANNUITIES", "EMPLOYER", "0.095", "2025-07"),
  rule("SAUDI_NEW_2024", "ANNUITIES", "EMPLOYEE", "0.095", "2025-07"),
  rule("SAUDI_NEW_2024", "ANNUITIES", "EMPLOYER", "0.10", "2026-07"),
  rule("SAUDI_NEW_2024", "ANNUITIES", "EMPLOYEE", "0.10", "2026-07"),
  rule("SAUDI_NEW_2024", "ANNUITIES", "EMPLOYER", "0.105", "2027-07"),
  rule("SAUDI_NEW_2024", "ANNUITIES", "EMPLOYEE", "0.105", "2027-07"),
  rule("SAUDI_NEW_2024", "ANNUITIES", "EMPLOYER", "0.11", "2028-07"),
  rule("SAUDI_NEW_2024", "ANNUITIES", "EMPLOYEE", "0.11", "2028-07"),
  rule("SAUDI_NEW_2024", "SANED", "EMPLOYER", "0.0075", "2024-07"),
  rule("SAUDI_NEW_2024", "SANED", "EMPLOYEE", "0.0075", "2024-07"),
  rule("SAUDI_NEW_2024", "OCCUPATIONAL_HAZARDS", "EMPLOYER", "0.02", "2024-07"),
  rule("SAUDI_NEW_2024", "OCCUPATIONAL_HAZARDS", "EMPLOYEE", "0", "2024-07"),
  // Non-Saudis, GCC nationals included for now (§2.3, §1): occupational hazards only.
  rule("NON_SAUDI", "ANNUITIES", "EMPLOYER", "0", "2000-01"),
  rule("NON_SAUDI", "ANNUITIES", "EMPLOYEE", "0", "2000-01"),
  rule("NON_SAUDI", "SANED", "EMPLOYER", "0", "2000-01"),
  rule("NON_SAUDI", "SANED", "EMPLOYEE", "0", "2000-01"),
  rule("NON_SAUDI", "OCCUPATIONAL_HAZARDS", "EMPLOYER", "0.02", "2000-01"),
  rule("NON_SAUDI", "OCCUPATIONAL_HAZARDS", "EMPLOYEE", "0", "2000-01"),
];

export class RateNotInForceError extends Error {
  constructor(
    readonly key: string,
    readonly month: ContributionMonth,
  ) {
    super(`no rate for ${key} in ${month.toString()}`);
    this.name = "RateNotInForceError";
  }
}

/** The rate for a key in a month: the rule with the latest `fromMonth` not after the month. */
export function rateInForce(
  rules: readonly RateRule[],
  key: { population: Population; branch: ContributionBranch; share: ContributionShare },
  month: ContributionMonth,
): Rate {
  let found: RateRule | undefined;
  for (const candidate of rules) {
    if (candidate.population !== key.population || candidate.branch !== key.branch || candidate.share !== key.share)
      continue;
    if (candidate.fromMonth.isAfter(month)) continue;
    if (!found || candidate.fromMonth.isAfter(found.fromMonth)) found = candidate;
  }
  if (!found) throw new RateNotInForceError(`${key.population}/${key.branch}/${key.share}`, month);
  return found.rate;
}
