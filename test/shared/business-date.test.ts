import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BusinessDate, InvalidDateError } from "../../src/shared/business-date.js";

describe("BusinessDate", () => {
  it("parses real calendar dates only", () => {
    expect(BusinessDate.parse("2024-02-29").toString()).toBe("2024-02-29");
    for (const bad of ["2025-02-29", "2025-04-31", "2025-13-01", "2025-1-1", "2025-01-01T00:00:00Z", ""]) {
      expect(() => BusinessDate.parse(bad), bad).toThrow(InvalidDateError);
    }
  });

  it("takes the date of an instant in Riyadh (UTC+3), not in UTC", () => {
    expect(BusinessDate.fromInstant(new Date("2026-10-31T20:59:59Z")).toString()).toBe("2026-10-31");
    expect(BusinessDate.fromInstant(new Date("2026-10-31T21:00:00Z")).toString()).toBe("2026-11-01");
  });

  it("starts and ends days at Riyadh midnight", () => {
    const due = BusinessDate.parse("2025-04-15");
    expect(due.startInstant().toISOString()).toBe("2025-04-14T21:00:00.000Z");
    expect(due.endInstant().toISOString()).toBe("2025-04-15T21:00:00.000Z");
  });

  it("round-trips through a Postgres date column value", () => {
    const date = BusinessDate.parse("2026-01-31");
    expect(BusinessDate.fromDateColumn(date.toDateColumn()).equals(date)).toBe(true);
    expect(date.toDateColumn().toISOString()).toBe("2026-01-31T00:00:00.000Z");
  });

  it("day arithmetic is consistent (property)", () => {
    const date = fc.date({
      min: new Date("1950-01-01T00:00:00Z"),
      max: new Date("2200-12-31T00:00:00Z"),
      noInvalidDate: true,
    });
    fc.assert(
      fc.property(date, fc.integer({ min: -100_000, max: 100_000 }), (instant, days) => {
        const start = BusinessDate.fromInstant(instant);
        expect(start.daysUntil(start.plusDays(days))).toBe(days);
        expect(start.plusDays(days).plusDays(-days).equals(start)).toBe(true);
        expect(BusinessDate.parse(start.toString()).equals(start)).toBe(true);
        expect(BusinessDate.fromInstant(start.startInstant()).equals(start)).toBe(true);
        expect(BusinessDate.fromInstant(new Date(start.endInstant().getTime() - 1)).equals(start)).toBe(true);
      }),
    );
  });
});
