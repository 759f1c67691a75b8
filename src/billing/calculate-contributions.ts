import type { Population } from "../employers/population.js";
import type { ContributionMonth } from "../shared/contribution-month.js";
import { Money } from "../shared/money.js";
import { contributoryWage, contributoryWageCap, type WageComponents } from "../wages/contributory-wage.js";
import { type ContributionBranch, type ContributionShare, type RateRule, rateInForce } from "./rates.js";

export const contributionBranches: readonly ContributionBranch[] = ["ANNUITIES", "SANED", "OCCUPATIONAL_HAZARDS"];
export const contributionShares: readonly ContributionShare[] = ["EMPLOYER", "EMPLOYEE"];

export type ContributionInput = {
  wage: WageComponents;
  population: Population;
  month: ContributionMonth;
  /** Calendar days in service in the month (first and last day count), 1 to the month's length. */
  daysInService: number;
  /**
   * The subscriber's contributory wages at their other employers in the same month: above the
   * cap in total, each employer's wage is cut in proportion (contributions.md §3).
   */
  otherEmployersContributoryWages?: readonly Money[];
};

export type ContributionAmounts = {
  contributoryWage: Money;
  /** After the multi-employer reduction: the base the rates apply to. */
  chargeableWage: Money;
  lines: { branch: ContributionBranch; share: ContributionShare; amount: Money }[];
  employerTotal: Money;
  employeeTotal: Money;
};

/**
 * What one employment owes for one month, by branch and share. Order of operations per
 * contributions.md §3 (ASSUMED there): components → contributory wage → floor → cap →
 * multi-employer reduction → × rate × days in service / days in month → rounded once per line,
 * half-up to the halala (§6, ASSUMED).
 */
export function calculateContributions(input: ContributionInput, rules: readonly RateRule[]): ContributionAmounts {
  const dayCount = input.month.dayCount;
  if (!Number.isInteger(input.daysInService) || input.daysInService < 1 || input.daysInService > dayCount) {
    throw new RangeError(`days in service must be 1 to ${dayCount} in ${input.month.toString()}`);
  }
  const own = contributoryWage(input.wage, input.population);
  const combined = Money.sum([own, ...(input.otherEmployersContributoryWages ?? [])]);
  // wage × 45,000 / combined, rounded once, half-up, to the halala.
  const chargeableWage =
    combined.compare(contributoryWageCap) > 0
      ? Money.fromHalalas(roundedRatio(own.toHalalas() * contributoryWageCap.toHalalas(), combined.toHalalas()))
      : own;

  const lines = contributionBranches.flatMap((branch) =>
    contributionShares.map((share) => ({
      branch,
      share,
      amount: chargeableWage.timesRate(
        rateInForce(rules, { population: input.population, branch, share }, input.month),
        {
          numerator: input.daysInService,
          denominator: dayCount,
        },
      ),
    })),
  );
  return {
    contributoryWage: own,
    chargeableWage,
    lines,
    employerTotal: Money.sum(lines.filter((line) => line.share === "EMPLOYER").map((line) => line.amount)),
    employeeTotal: Money.sum(lines.filter((line) => line.share === "EMPLOYEE").map((line) => line.amount)),
  };
}

/** numerator / denominator for non-negative integers, rounded half-up. */
function roundedRatio(numerator: bigint, denominator: bigint): bigint {
  return (numerator * 2n + denominator) / (denominator * 2n);
}
