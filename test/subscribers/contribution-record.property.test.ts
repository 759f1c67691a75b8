import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { newVerificationCode, normaliseVerificationCode } from "../../src/certificates/service.js";
import { BusinessDate } from "../../src/shared/business-date.js";
import { ContributionMonth } from "../../src/shared/contribution-month.js";
import { Money } from "../../src/shared/money.js";
import {
  daysServedIn,
  type InvoicePart,
  insuredMonthCount,
  monthlyRecord,
  monthPaymentStatus,
  monthsInService,
  servicePeriod,
} from "../../src/subscribers/contribution-record.js";
import { maskName } from "../../src/subscribers/inquiry-service.js";
import { subscriberPasswordProblems } from "../../src/subscribers/password-policy.js";

const october = ContributionMonth.parse("2026-10");
const part = (overrides: Partial<InvoicePart> = {}): InvoicePart => ({
  invoiceNumber: "C-202610-1",
  invoiceMonth: october,
  dueDate: BusinessDate.parse("2026-12-15"),
  invoiceTotal: Money.sar("100.00"),
  invoiceSettled: Money.zero,
  employeeShare: Money.sar("9.75"),
  employerShare: Money.sar("11.75"),
  contributoryWage: Money.sar("10000.00"),
  daysInService: 31,
  ...overrides,
});
const status = (parts: InvoicePart[], today = "2026-11-25", first: string | null = "2026-10", month = october) =>
  monthPaymentStatus({
    month,
    parts,
    today: BusinessDate.parse(today),
    firstBilledMonth: first ? ContributionMonth.parse(first) : undefined,
  });

describe("a month's payment status", () => {
  it("reads each case from the invoices that billed it", () => {
    expect(status([])).toBe("NOT_YET_BILLED");
    expect(status([], "2026-11-25", "2026-10", ContributionMonth.parse("2026-09"))).toBe("BEFORE_RECORDS");
    expect(status([], "2026-11-25", null, ContributionMonth.parse("2026-09"))).toBe("NOT_YET_BILLED");
    expect(status([part()])).toBe("UNPAID");
    expect(status([part({ invoiceSettled: Money.sar("40.00") })])).toBe("PARTIALLY_PAID");
    expect(status([part({ invoiceSettled: Money.sar("100.00") })])).toBe("PAID");
    expect(status([part({ invoiceSettled: Money.sar("130.00") })])).toBe("PAID");
    expect(status([part()], "2026-12-15")).toBe("UNPAID");
    expect(status([part()], "2026-12-16")).toBe("OVERDUE");
    expect(status([part({ invoiceSettled: Money.sar("40.00") })], "2026-12-16")).toBe("OVERDUE");
    // A correction on a later invoice that is unpaid leaves the month partly paid.
    const correction = part({
      invoiceNumber: "C-202611-1",
      invoiceMonth: october.next(),
      dueDate: BusinessDate.parse("2027-01-15"),
    });
    expect(status([part({ invoiceSettled: Money.sar("100.00") }), correction])).toBe("PARTIALLY_PAID");
    // A negative correction owes nothing: it does not hold the month back.
    expect(
      status([part({ invoiceSettled: Money.sar("100.00") }), { ...correction, invoiceTotal: Money.sar("-5.00") }]),
    ).toBe("PAID");
  });

  it("is PAID exactly when every invoice is settled, and OVERDUE only past a due date", () => {
    const halalas = fc.bigInt({ min: 0n, max: 10_000_00n });
    fc.assert(
      fc.property(
        fc.array(fc.record({ total: halalas, settled: halalas, dueDay: fc.integer({ min: 1, max: 60 }) }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.integer({ min: 0, max: 90 }),
        (invoices, todayOffset) => {
          const start = BusinessDate.parse("2026-11-01");
          const parts = invoices.map((invoice) =>
            part({
              invoiceTotal: Money.fromHalalas(invoice.total),
              invoiceSettled: Money.fromHalalas(invoice.settled),
              dueDate: start.plusDays(invoice.dueDay),
            }),
          );
          const today = start.plusDays(todayOffset);
          const result = monthPaymentStatus({ month: october, parts, today, firstBilledMonth: october });
          const allSettled = invoices.every((invoice) => invoice.settled >= invoice.total);
          const lateUnsettled = invoices.some(
            (invoice) => invoice.settled < invoice.total && todayOffset > invoice.dueDay,
          );
          expect(result === "PAID").toBe(allSettled);
          expect(result === "OVERDUE").toBe(!allSettled && lateUnsettled);
        },
      ),
    );
  });
});

describe("service periods", () => {
  const span = (start: string, end?: string) => ({
    employmentId: "emp_1",
    start: BusinessDate.parse(start),
    end: end ? BusinessDate.parse(end) : undefined,
  });

  it("counts whole months and the days of part months at either end", () => {
    expect(servicePeriod(span("2025-03-15", "2026-06-30"), BusinessDate.parse("2026-11-25"))).toEqual({
      fullMonths: 15,
      partMonthDays: 17,
    });
    expect(servicePeriod(span("2026-07-01"), BusinessDate.parse("2026-11-25"))).toEqual({
      fullMonths: 4,
      partMonthDays: 25,
    });
    expect(servicePeriod(span("2026-02-10", "2026-02-20"), BusinessDate.parse("2026-11-25"))).toEqual({
      fullMonths: 0,
      partMonthDays: 11,
    });
  });

  it("counts every day in service exactly once, whatever the dates", () => {
    const day = fc.integer({ min: 0, max: 900 }).map((offset) => BusinessDate.parse("2024-01-01").plusDays(offset));
    fc.assert(
      fc.property(
        day,
        fc.integer({ min: 0, max: 800 }),
        fc.integer({ min: 0, max: 1200 }),
        (start, length, todayOffset) => {
          const end = start.plusDays(length);
          const today = BusinessDate.parse("2024-01-01").plusDays(todayOffset);
          if (today.isBefore(start)) return;
          const employment = { employmentId: "e", start, end };
          const lastDay = end.isBefore(today) ? end : today;
          const served = monthsInService(employment, ContributionMonth.containing(today)).reduce(
            (sum, month) => sum + daysServedIn(employment, month, today),
            0,
          );
          expect(served).toBe(start.daysUntil(lastDay) + 1);
          const period = servicePeriod(employment, today);
          expect(period.fullMonths).toBeLessThanOrEqual(
            monthsInService(employment, ContributionMonth.containing(today)).length,
          );
        },
      ),
    );
  });

  it("counts a month with two employers once among the insured months", () => {
    const today = BusinessDate.parse("2026-11-25");
    expect(insuredMonthCount([span("2026-09-01"), span("2026-10-10")], today)).toBe(3);
    expect(insuredMonthCount([span("2026-01-01", "2026-02-15"), span("2026-06-01", "2026-06-01")], today)).toBe(3);
  });
});

describe("the monthly record", () => {
  it("adds a correction's shares to the month and takes the wage from the latest invoice", () => {
    const rows = monthlyRecord({
      spans: [{ employmentId: "emp_1", start: BusinessDate.parse("2026-10-01"), end: undefined }],
      billed: [
        { ...part(), employmentId: "emp_1", month: october },
        {
          ...part({
            invoiceNumber: "C-202611-1",
            invoiceMonth: october.next(),
            employeeShare: Money.sar("1.95"),
            employerShare: Money.sar("2.35"),
            contributoryWage: Money.sar("12000.00"),
          }),
          employmentId: "emp_1",
          month: october,
        },
      ],
      today: BusinessDate.parse("2026-12-20"),
      firstBilledMonth: october,
    });
    expect(rows.map((row) => row.month.toString())).toEqual(["2026-12", "2026-11", "2026-10"]);
    const octoberRow = rows[2];
    expect(octoberRow?.employeeShare.toString()).toBe("11.70");
    expect(octoberRow?.employerShare.toString()).toBe("14.10");
    expect(octoberRow?.contributoryWage?.toString()).toBe("12000.00");
    expect(octoberRow?.invoices.map((invoice) => invoice.number)).toEqual(["C-202610-1", "C-202611-1"]);
    expect(octoberRow?.status).toBe("OVERDUE");
  });
});

describe("small rules", () => {
  it("asks subscriber passwords for 8 characters with upper, lower and a digit, not the ID", () => {
    expect(subscriberPasswordProblems("Subscriber2026")).toEqual([]);
    expect(subscriberPasswordProblems("short1A")).toEqual(["at least 8 characters"]);
    expect(subscriberPasswordProblems("NOLOWER123")).toEqual(["a lower-case letter"]);
    expect(subscriberPasswordProblems("Abc1000000008", "1000000008")).toEqual(["not the ID number"]);
  });

  it("masks a name to each word's first letter", () => {
    expect(maskName("Mohammed Al-Qahtani")).toBe("M******* A*********");
    expect(maskName("محمد بن علي")).toBe("م*** ب* ع**");
  });

  it("reads a verification code however it is typed", () => {
    const code = newVerificationCode();
    expect(normaliseVerificationCode(code.toLowerCase().replaceAll("-", ""))).toBe(code);
    expect(normaliseVerificationCode("o1l2-ABCD-EFGH")).toBe("0112-ABCD-EFGH");
  });
});
