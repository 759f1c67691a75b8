import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BusinessDate } from "../../src/shared/business-date.js";
import { ContributionMonth, InvalidContributionMonthError } from "../../src/shared/contribution-month.js";

describe("ContributionMonth", () => {
  it("parses YYYY-MM and refuses anything else", () => {
    expect(ContributionMonth.parse("2026-10").toString()).toBe("2026-10");
    for (const bad of ["2026-13", "2026-00", "2026-1", "26-10", "2026/10", "2026-10-01", ""]) {
      expect(() => ContributionMonth.parse(bad), bad).toThrow(InvalidContributionMonthError);
    }
  });

  it("crosses year ends", () => {
    expect(ContributionMonth.parse("2025-12").next().toString()).toBe("2026-01");
    expect(ContributionMonth.parse("2026-01").previous().toString()).toBe("2025-12");
    expect(ContributionMonth.parse("2024-07").plusMonths(24).toString()).toBe("2026-07");
    expect(ContributionMonth.parse("2026-10").monthsUntil(ContributionMonth.parse("2024-10"))).toBe(-24);
  });

  it("knows its days, including leap Februaries", () => {
    expect(ContributionMonth.parse("2024-02").dayCount).toBe(29);
    expect(ContributionMonth.parse("2100-02").dayCount).toBe(28);
    expect(ContributionMonth.parse("2000-02").dayCount).toBe(29);
    expect(ContributionMonth.parse("2025-04").lastDay().toString()).toBe("2025-04-30");
  });

  it("is due on the 15th of the following month (billing-cycle.md §2)", () => {
    expect(ContributionMonth.parse("2025-03").dueDate().toString()).toBe("2025-04-15");
    expect(ContributionMonth.parse("2025-12").dueDate().toString()).toBe("2026-01-15");
  });

  it("contains the dates of its month", () => {
    expect(ContributionMonth.containing(BusinessDate.parse("2026-02-28")).toString()).toBe("2026-02");
  });

  it("month arithmetic is consistent (property)", () => {
    const month = fc.record({ year: fc.integer({ min: 1900, max: 2200 }), month: fc.integer({ min: 1, max: 12 }) });
    fc.assert(
      fc.property(month, fc.integer({ min: -1200, max: 1200 }), fc.integer({ min: -1200, max: 1200 }), (m, a, b) => {
        const start = ContributionMonth.of(m.year, m.month);
        expect(
          start
            .plusMonths(a)
            .plusMonths(b)
            .equals(start.plusMonths(a + b)),
        ).toBe(true);
        expect(start.monthsUntil(start.plusMonths(a))).toBe(a);
        expect(ContributionMonth.parse(start.toString()).equals(start)).toBe(true);
        expect(start.firstDay().daysUntil(start.lastDay()) + 1).toBe(start.dayCount);
        expect(start.lastDay().plusDays(1).equals(start.next().firstDay())).toBe(true);
        expect(start.compare(start.plusMonths(a))).toBe(a === 0 ? 0 : a > 0 ? -1 : 1);
      }),
    );
  });
});
