import type { BusinessDate } from "../shared/business-date.js";
import { ContributionMonth } from "../shared/contribution-month.js";
import { Money } from "../shared/money.js";

/**
 * Whether a month's contributions reached the agency, as a subscriber sees it:
 * - PAID: every invoice that billed the month (its own and any later correction) is settled;
 * - OVERDUE: one of them is past its due date and not settled, the case to act on;
 * - PARTIALLY_PAID: some money arrived on them, not all, and nothing is overdue yet;
 * - UNPAID: billed, nothing arrived, not yet due;
 * - NOT_YET_BILLED: in service but no invoice holds the month yet (the current month, or a
 *   late registration that the next run will bill as a correction);
 * - BEFORE_RECORDS: before the first month Ishtirak billed; those months were billed elsewhere.
 *
 * An invoice is settled when what was applied to it covers its contributions: payments fill an
 * invoice's contributions before its fines (billing-cycle.md §4), so fines never make a month
 * look unpaid. Money is allocated per invoice, not per line, so every subscriber on a partly
 * paid invoice sees PARTIALLY_PAID (ASSUMED: the agency cannot tell whose share was paid).
 */
export type MonthPaymentStatus = "PAID" | "PARTIALLY_PAID" | "UNPAID" | "OVERDUE" | "NOT_YET_BILLED" | "BEFORE_RECORDS";

/** One invoice's part in a month: what it billed for the month and how far it is paid as a whole. */
export type InvoicePart = {
  invoiceNumber: string;
  invoiceMonth: ContributionMonth;
  dueDate: BusinessDate;
  invoiceTotal: Money;
  invoiceSettled: Money;
  employeeShare: Money;
  employerShare: Money;
  contributoryWage: Money;
  daysInService: number;
};

export function monthPaymentStatus(input: {
  month: ContributionMonth;
  parts: readonly InvoicePart[];
  today: BusinessDate;
  firstBilledMonth: ContributionMonth | undefined;
}): MonthPaymentStatus {
  if (input.parts.length === 0) {
    return input.firstBilledMonth && input.month.isBefore(input.firstBilledMonth) ? "BEFORE_RECORDS" : "NOT_YET_BILLED";
  }
  const unsettled = input.parts.filter((part) => part.invoiceSettled.compare(part.invoiceTotal) < 0);
  if (unsettled.length === 0) return "PAID";
  if (unsettled.some((part) => input.today.isAfter(part.dueDate))) return "OVERDUE";
  const anythingArrived = input.parts.some((part) => part.invoiceSettled.isPositive());
  return anythingArrived ? "PARTIALLY_PAID" : "UNPAID";
}

export type EmploymentSpan = { employmentId: string; start: BusinessDate; end: BusinessDate | undefined };

/** The months with at least one day of service, from the start to the end or `through`. */
export function monthsInService(span: EmploymentSpan, through: ContributionMonth): ContributionMonth[] {
  const first = ContributionMonth.containing(span.start);
  const endMonth = span.end ? ContributionMonth.containing(span.end) : through;
  const last = endMonth.isAfter(through) ? through : endMonth;
  const months: ContributionMonth[] = [];
  for (let month = first; !month.isAfter(last); month = month.next()) months.push(month);
  return months;
}

/** Days of service in a month: both the first and the last day count. */
export function daysServedIn(span: EmploymentSpan, month: ContributionMonth, today: BusinessDate): number {
  const from = span.start.isAfter(month.firstDay()) ? span.start : month.firstDay();
  const until = [month.lastDay(), span.end, today].reduce<BusinessDate>(
    (earliest, date) => (date?.isBefore(earliest) ? date : earliest),
    month.lastDay(),
  );
  return until.isBefore(from) ? 0 : from.daysUntil(until) + 1;
}

/**
 * How long an employment has lasted: whole calendar months in service and the days of the part
 * months at either end (portal.md §6: "months, and days for part months"), up to `today`.
 */
export function servicePeriod(span: EmploymentSpan, today: BusinessDate) {
  let fullMonths = 0;
  let partMonthDays = 0;
  for (const month of monthsInService(span, ContributionMonth.containing(today))) {
    const days = daysServedIn(span, month, today);
    if (days === month.dayCount) fullMonths += 1;
    else partMonthDays += days;
  }
  return { fullMonths, partMonthDays };
}

/**
 * Insured months over every employment: calendar months with at least one day of service
 * anywhere, each counted once however many employers the person had in it (ASSUMED: the
 * annuities branch counts a month once; part months count as months, as billing charges them).
 */
export function insuredMonthCount(spans: readonly EmploymentSpan[], today: BusinessDate): number {
  const months = new Set<string>();
  for (const span of spans) {
    for (const month of monthsInService(span, ContributionMonth.containing(today))) {
      if (daysServedIn(span, month, today) > 0) months.add(month.toString());
    }
  }
  return months.size;
}

export type MonthlyRecordRow = {
  month: ContributionMonth;
  employmentId: string;
  daysInService: number;
  contributoryWage: Money | undefined;
  employeeShare: Money;
  employerShare: Money;
  status: MonthPaymentStatus;
  invoices: { number: string; dueDate: BusinessDate; paid: boolean }[];
};

/**
 * The month-by-month record: one row per employment and month in service (and any month an
 * invoice billed outside it, such as a correction after an employment's end was moved back),
 * newest first. Shares add up every invoice's part (the original and its corrections); the
 * wage is the latest invoice's.
 */
export function monthlyRecord(input: {
  spans: readonly EmploymentSpan[];
  billed: readonly (InvoicePart & { employmentId: string; month: ContributionMonth })[];
  today: BusinessDate;
  firstBilledMonth: ContributionMonth | undefined;
}): MonthlyRecordRow[] {
  const currentMonth = ContributionMonth.containing(input.today);
  const key = (employmentId: string, month: ContributionMonth) => `${month.toString()}|${employmentId}`;
  const cells = new Map<
    string,
    { employmentId: string; month: ContributionMonth; parts: InvoicePart[]; days: number }
  >();
  for (const span of input.spans) {
    for (const month of monthsInService(span, currentMonth)) {
      cells.set(key(span.employmentId, month), {
        employmentId: span.employmentId,
        month,
        parts: [],
        days: daysServedIn(span, month, input.today),
      });
    }
  }
  for (const part of input.billed) {
    const cellKey = key(part.employmentId, part.month);
    const cell = cells.get(cellKey) ?? { employmentId: part.employmentId, month: part.month, parts: [], days: 0 };
    cell.parts.push(part);
    cells.set(cellKey, cell);
  }
  const rows = [...cells.values()].map((cell): MonthlyRecordRow => {
    const latest = [...cell.parts].sort((a, b) => b.invoiceMonth.compare(a.invoiceMonth))[0];
    return {
      month: cell.month,
      employmentId: cell.employmentId,
      daysInService: latest?.daysInService ?? cell.days,
      contributoryWage: latest?.contributoryWage,
      employeeShare: Money.sum(cell.parts.map((part) => part.employeeShare)),
      employerShare: Money.sum(cell.parts.map((part) => part.employerShare)),
      status: monthPaymentStatus({
        month: cell.month,
        parts: cell.parts,
        today: input.today,
        firstBilledMonth: input.firstBilledMonth,
      }),
      invoices: cell.parts
        .sort((a, b) => a.invoiceMonth.compare(b.invoiceMonth))
        .map((part) => ({
          number: part.invoiceNumber,
          dueDate: part.dueDate,
          paid: part.invoiceSettled.compare(part.invoiceTotal) >= 0,
        })),
    };
  });
  // Ids in code-unit order, as the database's COLLATE "C" orders them.
  return rows.sort(
    (a, b) =>
      b.month.compare(a.month) || (a.employmentId < b.employmentId ? -1 : a.employmentId > b.employmentId ? 1 : 0),
  );
}
