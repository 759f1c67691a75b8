import type { Population } from "../employers/population.js";
import type { LedgerAccountCode } from "../ledger/chart-of-accounts.js";
import { ContributionMonth } from "../shared/contribution-month.js";
import { type Money, Rate } from "../shared/money.js";
import { standingWageLimits, type WageLimits } from "../wages/contributory-wage.js";

export type ContributionBranch = "ANNUITIES" | "SANED" | "OCCUPATIONAL_HAZARDS";
export type ContributionShare = "EMPLOYER" | "EMPLOYEE";

/**
 * What an invoice line charges: a branch and the share that pays it. Occupational hazards is
 * paid by the employer alone (contributions.md §1), so it has no employee component.
 */
export const contributionComponents = [
  {
    key: "annuitiesEmployer",
    branch: "ANNUITIES",
    share: "EMPLOYER",
    incomeAccount: "CONTRIBUTIONS_ANNUITIES_EMPLOYER",
  },
  {
    key: "annuitiesEmployee",
    branch: "ANNUITIES",
    share: "EMPLOYEE",
    incomeAccount: "CONTRIBUTIONS_ANNUITIES_EMPLOYEE",
  },
  { key: "sanedEmployer", branch: "SANED", share: "EMPLOYER", incomeAccount: "CONTRIBUTIONS_SANED_EMPLOYER" },
  { key: "sanedEmployee", branch: "SANED", share: "EMPLOYEE", incomeAccount: "CONTRIBUTIONS_SANED_EMPLOYEE" },
  {
    key: "hazardsEmployer",
    branch: "OCCUPATIONAL_HAZARDS",
    share: "EMPLOYER",
    incomeAccount: "CONTRIBUTIONS_HAZARDS_EMPLOYER",
  },
] as const satisfies readonly {
  key: string;
  branch: ContributionBranch;
  share: ContributionShare;
  /** Where an invoice posts this component's income (the receivable is the other side). */
  incomeAccount: LedgerAccountCode;
}[];

export type ComponentKey = (typeof contributionComponents)[number]["key"];
export type ComponentAmounts = Record<ComponentKey, Money>;

export const populations: readonly Population[] = ["SAUDI_LEGACY", "SAUDI_NEW_2024", "NON_SAUDI"];

export type PopulationTerms = { rates: Record<ComponentKey, Rate>; limits: WageLimits };

/**
 * Every rate and wage limit in force from `fromMonth` until the next set begins. A set is
 * complete (every population, every component) so the schedule has no gaps and no overlaps.
 */
export type RateSet = {
  fromMonth: ContributionMonth;
  description: string;
  terms: Record<Population, PopulationTerms>;
};

export class RateNotInForceError extends Error {
  constructor(readonly month: ContributionMonth) {
    super(`no rate set is in force in ${month.toString()}`);
    this.name = "RateNotInForceError";
  }
}

/** Rate sets in order; the one in force for a month is the latest that starts on or before it. */
export class RateSchedule {
  private readonly sets: readonly RateSet[];

  constructor(sets: readonly RateSet[]) {
    this.sets = [...sets].sort((a, b) => a.fromMonth.compare(b.fromMonth));
    for (let index = 1; index < this.sets.length; index++) {
      if (this.sets[index]?.fromMonth.equals(this.sets[index - 1]?.fromMonth as ContributionMonth)) {
        throw new Error(`two rate sets start in ${this.sets[index]?.fromMonth.toString()}`);
      }
    }
  }

  get all(): readonly RateSet[] {
    return this.sets;
  }

  setInForce(month: ContributionMonth): RateSet {
    let found: RateSet | undefined;
    for (const set of this.sets) {
      if (set.fromMonth.isAfter(month)) break;
      found = set;
    }
    if (!found) throw new RateNotInForceError(month);
    return found;
  }

  termsFor(population: Population, month: ContributionMonth): PopulationTerms {
    return this.setInForce(month).terms[population];
  }
}

const rates = (annuities: string, saned: string, hazards: string): Record<ComponentKey, Rate> => ({
  annuitiesEmployer: Rate.of(annuities),
  annuitiesEmployee: Rate.of(annuities),
  sanedEmployer: Rate.of(saned),
  sanedEmployee: Rate.of(saned),
  hazardsEmployer: Rate.of(hazards),
});

function domainSet(fromMonth: string, description: string, newLawAnnuities: string): RateSet {
  return {
    fromMonth: ContributionMonth.parse(fromMonth),
    description,
    terms: {
      SAUDI_LEGACY: { rates: rates("0.09", "0.0075", "0.02"), limits: standingWageLimits.SAUDI_LEGACY },
      SAUDI_NEW_2024: { rates: rates(newLawAnnuities, "0.0075", "0.02"), limits: standingWageLimits.SAUDI_NEW_2024 },
      NON_SAUDI: { rates: rates("0", "0", "0.02"), limits: standingWageLimits.NON_SAUDI },
    },
  };
}

/**
 * The rates of ../shared/domain/contributions.md §2 and the limits of §3, exactly as the
 * billing migration seeds them (a test keeps the two equal). Ishtirak bills from February
 * 2022, when charging by days began (§4); SANED was 0.75% a side from January 2022. A 2024-law
 * step applies to the whole July it starts in (ASSUMED there, §2.2). Before July 2024 nobody
 * can be SAUDI_NEW_2024 (first insured from 3 July 2024); the set carries legacy rates for it
 * only to stay complete.
 */
export const domainRateSchedule = new RateSchedule([
  domainSet("2022-02", "SANED 0.75% a side from January 2022; days-based charging from February 2022", "0.09"),
  domainSet(
    "2024-07",
    "2024 Social Insurance Law: new Saudi subscribers from 3 July 2024, annuities 9% a side",
    "0.09",
  ),
  domainSet("2025-07", "2024 law, second year: annuities 9.5% a side for new Saudi subscribers", "0.095"),
  domainSet("2026-07", "2024 law, third year: annuities 10% a side for new Saudi subscribers", "0.1"),
  domainSet("2027-07", "2024 law, fourth year: annuities 10.5% a side for new Saudi subscribers", "0.105"),
  domainSet("2028-07", "2024 law, fifth year: annuities 11% a side for new Saudi subscribers", "0.11"),
]);
