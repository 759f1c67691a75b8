import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { populationAtFirstEntry } from "../../src/employers/population.js";
import { BusinessDate } from "../../src/shared/business-date.js";
import { Money } from "../../src/shared/money.js";
import { contributoryWage, standingWageLimits } from "../../src/wages/contributory-wage.js";

const wage = (basic: string, housing: string, other = "0", housingInKind = false) => ({
  basic: Money.sar(basic),
  housing: Money.sar(housing),
  otherAllowances: Money.sar(other),
  housingInKind,
});

describe("contributory wage (contributions.md §3 and §7)", () => {
  it("is basic plus housing; other allowances do not count", () => {
    expect(contributoryWage(wage("16000", "4000"), standingWageLimits.SAUDI_LEGACY).toString()).toBe("20000.00");
    // Basic 12,000, housing 3,000, transport 1,000, performance 4,000 -> 15,000.
    expect(contributoryWage(wage("12000", "3000", "5000"), standingWageLimits.NON_SAUDI).toString()).toBe("15000.00");
  });

  it("values housing in kind at two months' basic a year", () => {
    expect(contributoryWage(wage("6000", "0", "0", true), standingWageLimits.SAUDI_LEGACY).toString()).toBe("7000.00");
    expect(contributoryWage(wage("5000.05", "999", "0", true), standingWageLimits.SAUDI_LEGACY).toString()).toBe(
      "5833.39",
    );
  });

  it("raises to the floor for the population and cuts to the cap", () => {
    expect(contributoryWage(wage("1000", "200"), standingWageLimits.SAUDI_NEW_2024).toString()).toBe("1500.00");
    expect(contributoryWage(wage("300", "50"), standingWageLimits.NON_SAUDI).toString()).toBe("400.00");
    expect(contributoryWage(wage("300", "50"), standingWageLimits.SAUDI_LEGACY).toString()).toBe("1500.00");
    expect(contributoryWage(wage("50000", "10000"), standingWageLimits.SAUDI_LEGACY).toString()).toBe("45000.00");
  });

  it("stays within floor and cap and never decreases as basic grows (property)", () => {
    const halalas = fc.bigInt({ min: 0n, max: 10_000_000n }).map(Money.fromHalalas);
    const population = fc.constantFrom("SAUDI_LEGACY" as const, "SAUDI_NEW_2024" as const, "NON_SAUDI" as const);
    fc.assert(
      fc.property(halalas, halalas, halalas, fc.boolean(), population, (basic, extra, housing, inKind, who) => {
        const limits = standingWageLimits[who];
        const lower = contributoryWage({ basic, housing, otherAllowances: Money.zero, housingInKind: inKind }, limits);
        const higher = contributoryWage(
          { basic: basic.plus(extra), housing, otherAllowances: Money.zero, housingInKind: inKind },
          limits,
        );
        expect(lower.compare(limits.floor)).toBeGreaterThanOrEqual(0);
        expect(higher.compare(limits.cap)).toBeLessThanOrEqual(0);
        expect(lower.compare(higher)).toBeLessThanOrEqual(0);
      }),
    );
  });
});

describe("population at first entry (contributions.md §2.2, §2.4)", () => {
  const date = BusinessDate.parse;
  it.each([
    ["SAUDI", "2024-07-02", false, "SAUDI_LEGACY"],
    ["SAUDI", "2024-07-03", false, "SAUDI_NEW_2024"],
    ["SAUDI", "2026-01-10", true, "SAUDI_LEGACY"],
    ["GCC", "2026-01-10", false, "NON_SAUDI"],
    ["OTHER", "2020-01-10", false, "NON_SAUDI"],
  ] as const)("%s first insured %s (earlier periods: %s) is %s", (nationality, firstInsured, earlier, population) => {
    expect(populationAtFirstEntry(nationality, date(firstInsured), earlier)).toBe(population);
  });
});
