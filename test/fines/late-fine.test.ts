import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AssessedPeriod,
  finePeriod,
  nextFineCheck,
  periodsToAssess,
  plusMonthsClamped,
  type Settlement,
} from "../../src/fines/late-fine.js";
import { BusinessDate } from "../../src/shared/business-date.js";
import { Money } from "../../src/shared/money.js";

const day = BusinessDate.parse;
const sar = Money.sar;

/** The whole fine for a payment history as seen on `today`: every period assessed so far, summed. */
function fineOn(contributions: string, payments: [string, string][], today: string, dueDate = "2025-04-15") {
  return periodsToAssess({
    contributions: sar(contributions),
    dueDate: day(dueDate),
    settlements: payments.map(([amount, on]) => ({ amount: sar(amount), settledOn: day(on) })),
    assessed: [],
    today: day(today),
  });
}
const total = (periods: ReturnType<typeof fineOn>) => Money.sum(periods.map((period) => period.amount)).toString();

describe("late-payment fines (billing-cycle.md §3.1)", () => {
  it("March 2025, due 15 April: nothing on the 15th, 2% from the 16th, 4% from 16 May, 6% from 16 June", () => {
    expect(fineOn("1000.00", [], "2025-04-15")).toEqual([]);
    expect(total(fineOn("1000.00", [], "2025-04-16"))).toBe("20.00");
    expect(total(fineOn("1000.00", [], "2025-05-15"))).toBe("20.00");
    expect(total(fineOn("1000.00", [], "2025-05-16"))).toBe("40.00");
    expect(total(fineOn("1000.00", [], "2025-06-16"))).toBe("60.00");
    expect(
      fineOn("1000.00", [], "2025-06-16").map(({ period }) => [period.start.toString(), period.end.toString()]),
    ).toEqual([
      ["2025-04-16", "2025-05-15"],
      ["2025-05-16", "2025-06-15"],
      ["2025-06-16", "2025-07-15"],
    ]);
  });

  it("paid in full on time or before a period opens: no fine for it", () => {
    expect(fineOn("1000.00", [["1000.00", "2025-04-15"]], "2025-09-01")).toEqual([]);
    // Paid on 20 May: periods 1 and 2 had opened with 1,000 unpaid; period 3 opens with nothing.
    expect(total(fineOn("1000.00", [["1000.00", "2025-05-20"]], "2025-09-01"))).toBe("40.00");
  });

  it("instalments: 400 on 10 April and 600 on 20 May cost 2% of 600 twice, 24.00", () => {
    const periods = fineOn(
      "1000.00",
      [
        ["400.00", "2025-04-10"],
        ["600.00", "2025-05-20"],
      ],
      "2025-12-31",
    );
    expect(periods.map((period) => period.unpaidBase.toString())).toEqual(["600.00", "600.00"]);
    expect(total(periods)).toBe("24.00");
  });

  it("a payment inside a period lowers later periods only", () => {
    const periods = fineOn("1000.00", [["500.00", "2025-04-20"]], "2025-05-16");
    expect(periods.map((period) => [period.unpaidBase.toString(), period.amount.toString()])).toEqual([
      ["1000.00", "20.00"],
      ["500.00", "10.00"],
    ]);
  });

  it("money taken back after a period opened at zero: the periods opening after it are charged again", () => {
    // Paid on time, refunded in full on 20 May: period 1 (opened 15 April) and period 2 (15 May)
    // opened with nothing unpaid; period 3 (15 June) opens with the whole 1,000 again.
    const refunded: [string, string][] = [
      ["1000.00", "2025-04-10"],
      ["-1000.00", "2025-05-20"],
    ];
    expect(fineOn("1000.00", refunded, "2025-06-15")).toEqual([]);
    const periods = fineOn("1000.00", refunded, "2025-07-16");
    expect(
      periods.map(({ period, unpaidBase, amount }) => [period.number, unpaidBase.toString(), amount.toString()]),
    ).toEqual([
      [3, "1000.00", "20.00"],
      [4, "1000.00", "20.00"],
    ]);
  });

  it("rounds once over the periods: 2% of 0.75 twice is 0.03, not 0.02 + 0.02", () => {
    const periods = fineOn("0.75", [], "2025-05-16");
    expect(periods.map((period) => period.amount.toString())).toEqual(["0.02", "0.01"]);
  });

  it("continues from the periods already assessed, never assessing one twice", () => {
    const first = fineOn("1000.00", [], "2025-05-16");
    const later = periodsToAssess({
      contributions: sar("1000.00"),
      dueDate: day("2025-04-15"),
      settlements: [],
      assessed: first.map(({ period, unpaidBase, amount }) => ({ number: period.number, unpaidBase, amount })),
      today: day("2025-06-16"),
    });
    expect(later.map(({ period }) => period.number)).toEqual([3]);
  });

  describe("a correction billed late, fined from its own month's due date (§6)", () => {
    // November 2026's invoice (due 15 December) bills 1,000.00 of its own and 500.00 more for
    // July (due 15 August) and 200.00 more for September (due 15 October).
    const november = (settlements: [string, string][], today: string, assessed: AssessedPeriod[] = []) =>
      periodsToAssess({
        contributions: sar("1700.00"),
        dueDate: day("2026-12-15"),
        earlierParts: [
          { dueDate: day("2026-08-15"), amount: sar("500.00") },
          { dueDate: day("2026-10-15"), amount: sar("200.00") },
        ],
        settlements: settlements.map(([amount, on]) => ({ amount: sar(amount), settledOn: day(on) })),
        assessed: assessed.map(({ period, unpaidBase, amount }) => ({ number: period.number, unpaidBase, amount })),
        today: day(today),
      });

    it("opens periods from July's due date: 2% of 500 three times, then of 700 once, assessed at issue", () => {
      const atIssue = november([], "2026-12-02");
      expect(
        atIssue.map(({ period, unpaidBase, amount }) => [
          period.number,
          period.start.toString(),
          unpaidBase.toString(),
          amount.toString(),
        ]),
      ).toEqual([
        [-3, "2026-08-16", "500.00", "10.00"],
        [-2, "2026-09-16", "500.00", "10.00"],
        [-1, "2026-10-16", "700.00", "14.00"],
        [0, "2026-11-16", "700.00", "14.00"],
      ]);
      // Paid in full on the due date: nothing from period 1 on.
      expect(november([["1700.00", "2026-12-15"]], "2027-03-01", atIssue)).toEqual([]);
      // Unpaid: period 1 costs 2% of the whole invoice, and is the only one not assessed yet.
      expect(
        november([], "2026-12-16", atIssue).map(({ period, amount }) => [period.number, amount.toString()]),
      ).toEqual([[1, "34.00"]]);
    });

    it("fines nothing early without a part owed before the invoice's due date", () => {
      const plain = periodsToAssess({
        contributions: sar("1000.00"),
        dueDate: day("2026-12-15"),
        earlierParts: [
          { dueDate: day("2026-08-15"), amount: sar("-300.00") },
          { dueDate: day("2026-12-15"), amount: sar("100.00") },
        ],
        settlements: [],
        assessed: [],
        today: day("2026-12-02"),
      });
      expect(plain).toEqual([]);
    });

    it("joins a part due on another day than the invoice to the first of the invoice's periods after it", () => {
      // An invoice issued late is due 14 days after issue (here 20 December): its periods run
      // from the 21st, and November's part (due the 15th) is fined from the 21st, not the 16th.
      const late = periodsToAssess({
        contributions: sar("1500.00"),
        dueDate: day("2026-12-20"),
        earlierParts: [{ dueDate: day("2026-11-15"), amount: sar("500.00") }],
        settlements: [],
        assessed: [],
        today: day("2026-12-10"),
      });
      expect(
        late.map(({ period, unpaidBase }) => [period.number, period.start.toString(), unpaidBase.toString()]),
      ).toEqual([[0, "2026-11-21", "500.00"]]);
    });
  });

  it("clamps month ends: a due date on 31 January opens periods on the last day of shorter months", () => {
    expect(plusMonthsClamped(day("2027-01-31"), 1).toString()).toBe("2027-02-28");
    expect(finePeriod(day("2027-01-31"), 2).start.toString()).toBe("2027-03-01");
  });

  it("property: the assessed total is 2% of the summed bases rounded once, and never negative", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 100_000_000n }),
        fc.array(
          fc.record({
            halalas: fc.bigInt({ min: 1n, max: 5_000_000n }),
            dayOffset: fc.integer({ min: -30, max: 400 }),
          }),
          {
            maxLength: 5,
          },
        ),
        fc.integer({ min: 0, max: 500 }),
        (contributions, payments, daysAfterDue) => {
          const due = day("2026-12-15");
          const periods = periodsToAssess({
            contributions: Money.fromHalalas(contributions),
            dueDate: due,
            settlements: payments.map((payment) => ({
              amount: Money.fromHalalas(payment.halalas),
              settledOn: due.plusDays(payment.dayOffset),
            })),
            assessed: [],
            today: due.plusDays(daysAfterDue),
          });
          const bases = Money.sum(periods.map((period) => period.unpaidBase));
          expect(Money.sum(periods.map((period) => period.amount)).toHalalas()).toBe(
            (bases.toHalalas() * 2n + 50n) / 100n,
          );
          expect(periods.every((period) => !period.amount.isNegative() && period.unpaidBase.isPositive())).toBe(true);
          expect(periods.length).toBeLessThanOrEqual(Math.ceil(daysAfterDue / 28));
        },
      ),
    );
  });

  it("property: with corrections, assessing night by night gives what one late assessment gives", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 100_000_000n }),
        fc.array(
          fc.record({
            monthsBack: fc.integer({ min: 1, max: 24 }),
            halalas: fc.bigInt({ min: -500_000n, max: 5_000_000n }),
          }),
          {
            maxLength: 4,
          },
        ),
        fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 6 }),
        (contributions, corrections, nights) => {
          const due = day("2026-12-15");
          const earlierParts = corrections.map((part) => ({
            dueDate: plusMonthsClamped(due, -part.monthsBack),
            amount: Money.fromHalalas(part.halalas),
          }));
          const assess = (today: BusinessDate, assessed: AssessedPeriod[]) =>
            periodsToAssess({
              contributions: Money.fromHalalas(contributions),
              dueDate: due,
              earlierParts,
              settlements: [],
              assessed: assessed.map(({ period, unpaidBase, amount }) => ({
                number: period.number,
                unpaidBase,
                amount,
              })),
              today,
            });
          // Issued on 1 December; the job runs on these nights after it, in order.
          const issued = day("2026-12-01");
          let assessed: AssessedPeriod[] = [];
          for (const offset of [...nights].sort((a, b) => a - b)) {
            assessed = [...assessed, ...assess(issued.plusDays(offset), assessed)];
          }
          const last = issued.plusDays(Math.max(...nights));
          const atOnce = assess(last, []);
          const summary = (periods: AssessedPeriod[]) =>
            [...periods]
              .sort((a, b) => a.period.number - b.period.number)
              .map(({ period, unpaidBase }) => `${period.number}:${unpaidBase.toString()}`);
          expect(summary(assessed)).toEqual(summary(atOnce));
          expect(Money.sum(assessed.map((period) => period.amount)).toString()).toBe(
            Money.sum(atOnce.map((period) => period.amount)).toString(),
          );
          const owedEarly = Money.sum(
            earlierParts.filter((part) => part.amount.isPositive()).map((part) => part.amount),
          );
          expect(
            atOnce.every((period) => period.period.number >= 1 || !period.unpaidBase.minus(owedEarly).isPositive()),
          ).toBe(true);
        },
      ),
    );
  });

  it("the next look: the next period's first day while unpaid, none once paid", () => {
    const next = (payments: [string, string][], today: string) =>
      nextFineCheck({
        contributions: sar("1000.00"),
        dueDate: day("2027-01-31"),
        settlements: payments.map(([amount, on]) => ({ amount: sar(amount), settledOn: day(on) })),
        today: day(today),
      })?.toString();
    expect(next([], "2027-01-20")).toBe("2027-02-01");
    expect(next([], "2027-02-01")).toBe("2027-03-01");
    expect(next([["400.00", "2027-02-10"]], "2027-02-28")).toBe("2027-03-01");
    expect(next([["1000.00", "2027-02-10"]], "2027-02-28")).toBeUndefined();
    // A payment recorded for a later day does not count yet.
    expect(next([["1000.00", "2027-03-05"]], "2027-02-28")).toBe("2027-03-01");
  });

  it("property: looking only on the worklist's days assesses what looking every night does", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10_000_000n }),
        fc.array(
          fc.record({ percent: fc.integer({ min: -100, max: 100 }), dayOffset: fc.integer({ min: -20, max: 240 }) }),
          {
            maxLength: 5,
          },
        ),
        (contributions, moves) => {
          const due = day("2026-12-15");
          const owed = Money.fromHalalas(contributions);
          // Payments and refunds in date order; a refund never takes back more than was paid.
          let paid = Money.zero;
          const settlements: Settlement[] = [];
          for (const move of [...moves].sort((a, b) => a.dayOffset - b.dayOffset)) {
            const base = move.percent >= 0 ? owed : paid;
            const amount = Money.fromHalalas((base.toHalalas() * BigInt(move.percent)) / 100n);
            if (amount.isZero()) continue;
            paid = paid.plus(amount);
            settlements.push({ amount, settledOn: due.plusDays(move.dayOffset) });
          }
          const known = (night: BusinessDate) => settlements.filter((item) => !item.settledOn.isAfter(night));
          const assess = (night: BusinessDate, assessed: AssessedPeriod[]) =>
            periodsToAssess({
              contributions: owed,
              dueDate: due,
              settlements: known(night),
              assessed: assessed.map(({ period, unpaidBase, amount }) => ({
                number: period.number,
                unpaidBase,
                amount,
              })),
              today: night,
            });
          let everyNight: AssessedPeriod[] = [];
          let onChecks: AssessedPeriod[] = [];
          // The first look the day after the due date; money taken back books a look on its day.
          let checks = [
            due.plusDays(1),
            ...settlements.filter((item) => item.amount.isNegative()).map((item) => item.settledOn),
          ];
          for (let offset = -20; offset <= 260; offset++) {
            const night = due.plusDays(offset);
            everyNight = [...everyNight, ...assess(night, everyNight)];
            if (!checks.some((check) => !check.isAfter(night))) continue;
            checks = checks.filter((check) => check.isAfter(night));
            onChecks = [...onChecks, ...assess(night, onChecks)];
            const next = nextFineCheck({ contributions: owed, dueDate: due, settlements: known(night), today: night });
            if (next) checks.push(next);
          }
          const summary = (periods: AssessedPeriod[]) =>
            periods.map(({ period, unpaidBase, amount }) => `${period.number}:${unpaidBase}:${amount}`);
          expect(summary(onChecks)).toEqual(summary(everyNight));
        },
      ),
      { numRuns: 60 },
    );
  });
});
