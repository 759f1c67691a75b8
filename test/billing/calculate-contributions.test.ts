import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { calculateContributions } from "../../src/billing/calculate-contributions.js";
import { domainRateSchedule, RateNotInForceError } from "../../src/billing/rates.js";
import type { Population } from "../../src/employers/population.js";
import { ContributionMonth } from "../../src/shared/contribution-month.js";
import { Money } from "../../src/shared/money.js";

const wage = (basic: string, housing = "0") => ({
  basic: Money.sar(basic),
  housing: Money.sar(housing),
  otherAllowances: Money.zero,
  housingInKind: false,
});
const month = ContributionMonth.parse;

function owed(input: {
  basic: string;
  housing?: string;
  population: Population;
  month: string;
  days?: number;
  others?: { wage: string; days: number }[];
}) {
  const result = calculateContributions(
    {
      wage: wage(input.basic, input.housing),
      population: input.population,
      month: month(input.month),
      daysInService: input.days ?? month(input.month).dayCount,
      otherEmployments: (input.others ?? []).map((other) => ({
        contributoryWage: Money.sar(other.wage),
        daysInService: other.days,
      })),
    },
    domainRateSchedule,
  );
  const { amounts } = result;
  return {
    ...result,
    annuities: [amounts.annuitiesEmployer.toString(), amounts.annuitiesEmployee.toString()],
    saned: [amounts.sanedEmployer.toString(), amounts.sanedEmployee.toString()],
    hazards: amounts.hazardsEmployer.toString(),
  };
}

describe("worked examples from contributions.md", () => {
  it("a Saudi on the legacy system today: employer 11.75%, employee 9.75% (§2.1)", () => {
    const result = owed({ basic: "8000", housing: "2000", population: "SAUDI_LEGACY", month: "2026-10" });
    expect(result.annuities).toEqual(["900.00", "900.00"]);
    expect(result.saned).toEqual(["75.00", "75.00"]);
    expect(result.hazards).toBe("200.00");
    expect([result.employerTotal.toString(), result.employeeTotal.toString()]).toEqual(["1175.00", "975.00"]);
  });

  it("rounds each line half-up: 0.75% of 8,750 is 65.63 a side (§6)", () => {
    expect(owed({ basic: "8750", population: "SAUDI_LEGACY", month: "2026-10" }).saned).toEqual(["65.63", "65.63"]);
  });

  it("does not bill before February 2022, when charging by days began (§4)", () => {
    expect(() => owed({ basic: "3500", population: "SAUDI_LEGACY", month: "2022-01" })).toThrow(RateNotInForceError);
  });

  it("computes on basic plus housing only: 16,000 + 4,000 gives 20,000 (§7)", () => {
    const result = owed({ basic: "16000", housing: "4000", population: "SAUDI_LEGACY", month: "2026-10" });
    expect(result.contributoryWage.toString()).toBe("20000.00");
    expect([result.employerTotal.toString(), result.employeeTotal.toString()]).toEqual(["2350.00", "1950.00"]);
  });

  it("the 2024 law's annuities step up each July, for the whole month (§2.2)", () => {
    const annuities = (at: string) => owed({ basic: "10000", population: "SAUDI_NEW_2024", month: at }).annuities;
    expect(annuities("2025-06")).toEqual(["900.00", "900.00"]);
    expect(annuities("2025-07")).toEqual(["950.00", "950.00"]);
    expect(annuities("2026-07")).toEqual(["1000.00", "1000.00"]);
    expect(annuities("2027-07")).toEqual(["1050.00", "1050.00"]);
    expect(annuities("2031-01")).toEqual(["1100.00", "1100.00"]);
  });

  it("a non-Saudi owes occupational hazards only, on at least 400 (§2.3, §3)", () => {
    const result = owed({ basic: "300", population: "NON_SAUDI", month: "2026-10" });
    expect(result.contributoryWage.toString()).toBe("400.00");
    expect(result.hazards).toBe("8.00");
    expect([result.annuities, result.saned]).toEqual([
      ["0.00", "0.00"],
      ["0.00", "0.00"],
    ]);
  });

  it("charges by days: joined on 20 January, 12 of 31 days (§4)", () => {
    expect(owed({ basic: "10000", population: "SAUDI_LEGACY", month: "2026-01", days: 12 }).annuities).toEqual([
      "348.39",
      "348.39",
    ]);
  });

  it("caps the wage at 45,000, across employers in proportion (§3)", () => {
    expect(owed({ basic: "60000", population: "SAUDI_LEGACY", month: "2026-10" }).annuities).toEqual([
      "4050.00",
      "4050.00",
    ]);
    const shared = owed({
      basic: "30000",
      population: "SAUDI_LEGACY",
      month: "2026-10",
      others: [{ wage: "30000.00", days: 31 }],
    });
    expect(shared.chargeableWage.toString()).toBe("22500.00");
    expect(shared.annuities).toEqual(["2025.00", "2025.00"]);
  });

  it("does not cut a subscriber who changed employer mid-month: the cap weighs wages by days (ASSUMED)", () => {
    const before = owed({
      basic: "30000",
      population: "SAUDI_LEGACY",
      month: "2026-10",
      days: 10,
      others: [{ wage: "30000.00", days: 21 }],
    });
    expect(before.chargeableWage.toString()).toBe("30000.00");
    expect(before.annuities).toEqual(["870.97", "870.97"]);
    // Overlapping for part of the month: 40,000 × 45,000 × 31 / (40,000 × 31 + 40,000 × 10).
    const overlapping = owed({
      basic: "40000",
      population: "SAUDI_LEGACY",
      month: "2026-10",
      others: [{ wage: "40000.00", days: 10 }],
    });
    expect(overlapping.chargeableWage.toString()).toBe("34024.39");
  });

  it("refuses days outside the month", () => {
    expect(() => owed({ basic: "1", population: "SAUDI_LEGACY", month: "2026-02", days: 29 })).toThrow(RangeError);
    expect(() => owed({ basic: "1", population: "SAUDI_LEGACY", month: "2026-02", days: 0 })).toThrow(RangeError);
  });
});

describe("calculation properties", () => {
  const population = fc.constantFrom<Population>("SAUDI_LEGACY", "SAUDI_NEW_2024", "NON_SAUDI");
  const monthArbitrary = fc
    .integer({ min: 2024 * 12 + 6, max: 2032 * 12 })
    .map((index) => ContributionMonth.of(Math.floor(index / 12), (index % 12) + 1));
  const halalas = fc.bigInt({ min: 0n, max: 10_000_000n }).map(Money.fromHalalas);

  it("shares add up, nothing is negative, and the chargeable wage never passes the cap", () => {
    fc.assert(
      fc.property(
        halalas,
        population,
        monthArbitrary,
        fc.array(fc.record({ contributoryWage: halalas, daysInService: fc.integer({ min: 1, max: 28 }) }), {
          maxLength: 3,
        }),
        (basic, who, at, others) => {
          const days = 1 + Number(basic.toHalalas() % 28n);
          const result = calculateContributions(
            {
              wage: { basic, housing: Money.zero, otherAllowances: Money.zero, housingInKind: false },
              population: who,
              month: at,
              daysInService: days,
              otherEmployments: others,
            },
            domainRateSchedule,
          );
          const amounts = Object.values(result.amounts);
          expect(result.employerTotal.plus(result.employeeTotal).equals(Money.sum(amounts))).toBe(true);
          expect(amounts.every((amount) => !amount.isNegative())).toBe(true);
          expect(result.chargeableWage.compare(Money.sar("45000.00"))).toBeLessThanOrEqual(0);
          expect(result.chargeableWage.compare(result.contributoryWage)).toBeLessThanOrEqual(0);
        },
      ),
    );
  });

  it("a rate change applies exactly from its month", () => {
    // The 2024 law's employer annuities rate by month, written independently of the rate table.
    const expectedRate = (at: ContributionMonth) => {
      const lawYear = at.year - 2024 - (at.month < 7 ? 1 : 0);
      return Math.min(900 + 50 * Math.max(lawYear, 0), 1100); // basis points × 100 of 10,000.00
    };
    fc.assert(
      fc.property(monthArbitrary, (at) => {
        const result = calculateContributions(
          { wage: wage("10000"), population: "SAUDI_NEW_2024", month: at, daysInService: at.dayCount },
          domainRateSchedule,
        );
        expect(result.amounts.annuitiesEmployer.toString()).toBe(`${expectedRate(at)}.00`);
      }),
    );
  });

  it("never decreases with more days or a higher wage", () => {
    fc.assert(
      fc.property(halalas, halalas, population, fc.integer({ min: 1, max: 30 }), (basic, raise, who, days) => {
        const at = month("2026-11");
        const total = (amount: Money, inService: number) =>
          calculateContributions(
            {
              wage: { basic: amount, housing: Money.zero, otherAllowances: Money.zero, housingInKind: false },
              population: who,
              month: at,
              daysInService: inService,
            },
            domainRateSchedule,
          ).employerTotal;
        expect(total(basic, days).compare(total(basic.plus(raise), days))).toBeLessThanOrEqual(0);
        expect(total(basic, days).compare(total(basic, Math.min(days + 1, 30)))).toBeLessThanOrEqual(0);
      }),
    );
  });
});
