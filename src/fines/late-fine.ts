import { BusinessDate, daysInMonth } from "../shared/business-date.js";
import { Money, Rate } from "../shared/money.js";

/** 2% of the unpaid contributions for each month, or part of one, of delay (billing-cycle.md §3). */
export const lateFineRate = Rate.of("0.02");

/** `date` plus whole months, on the same day or the month's last day when it has fewer. */
export function plusMonthsClamped(date: BusinessDate, months: number): BusinessDate {
  const index = date.year * 12 + (date.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  return BusinessDate.of(year, month, Math.min(date.day, daysInMonth(year, month)));
}

export type FinePeriod = { number: number; start: BusinessDate; end: BusinessDate; opensAfter: BusinessDate };

/**
 * Fine period k runs (due + (k-1) months, due + k months]: from the day after its opening
 * date to the same day a month later (§3.1, an ASSUMED reading there).
 */
export function finePeriod(dueDate: BusinessDate, number: number): FinePeriod {
  const opensAfter = plusMonthsClamped(dueDate, number - 1);
  return { number, opensAfter, start: opensAfter.plusDays(1), end: plusMonthsClamped(dueDate, number) };
}

export type Settlement = { amount: Money; settledOn: BusinessDate };

/**
 * An amount an invoice bills that was owed before the invoice's own due date: an adjustment's
 * net increase for an earlier contribution month, owed since that month's due date (see
 * `CorrectionFinePolicy`). Its due date is the 15th of the month after the corrected one, as
 * the invoice's usually is.
 */
export type EarlierPart = { dueDate: BusinessDate; amount: Money };

/**
 * What an invoice owed at the end of `day`: everything from its due date on; before that, the
 * earlier parts already due then.
 */
function owedAt(
  input: { contributions: Money; dueDate: BusinessDate; earlierParts: readonly EarlierPart[] },
  day: BusinessDate,
) {
  if (!day.isBefore(input.dueDate)) return input.contributions;
  return Money.sum(input.earlierParts.filter((part) => !part.dueDate.isAfter(day)).map((part) => part.amount));
}

/** Contributions still unpaid at the end of `day`: payments settle contributions before fines. */
export function unpaidAt(owed: Money, settlements: readonly Settlement[], day: BusinessDate): Money {
  const paid = Money.sum(settlements.filter((item) => !item.settledOn.isAfter(day)).map((item) => item.amount));
  return Money.max(owed.minus(paid), Money.zero);
}

export type AssessedPeriod = { period: FinePeriod; unpaidBase: Money; amount: Money };

/**
 * The first period that opens on or after `earliest`, the earliest part's due date (1 without
 * one). Periods are the invoice's: a part due on another day of the month (an invoice issued
 * late is due 14 days after issue) joins at the first of them after its due date, so the days
 * between are not fined, in the employer's favour.
 */
function firstPeriodNumber(dueDate: BusinessDate, earliest: BusinessDate | undefined): number {
  if (!earliest) return 1;
  let number = 1 - (dueDate.year * 12 + dueDate.month - (earliest.year * 12 + earliest.month)) - 1;
  while (finePeriod(dueDate, number).opensAfter.isBefore(earliest)) number++;
  return number;
}

/**
 * The fine periods that have begun by `today` and are not assessed yet, with their amounts.
 * Period k costs 2% of what was unpaid when it opened; a period with nothing unpaid costs
 * nothing and is not recorded, but later ones are still looked at: a refund or a lost dispute
 * takes money back (a negative settlement on its own date), and the periods opening after it
 * are charged on what it left unpaid, as §3.1 reads each period by its own opening balance.
 * The fine is the sum over periods rounded once, half-up: each period's amount is the rounded
 * running total less what earlier periods were assessed, so the amounts add up to exactly that
 * rounding.
 *
 * Periods are numbered from the invoice's due date: 1 is the month after it. Earlier parts
 * (corrections fined from their own month's due date) open periods 0, -1, … before it, each
 * costing 2% of the parts already due when it opened: nothing can have been paid on an invoice
 * not issued yet.
 */
export function periodsToAssess(input: {
  contributions: Money;
  dueDate: BusinessDate;
  earlierParts?: readonly EarlierPart[];
  settlements: readonly Settlement[];
  assessed: readonly { number: number; unpaidBase: Money; amount: Money }[];
  today: BusinessDate;
}): AssessedPeriod[] {
  const earlierParts = (input.earlierParts ?? []).filter(
    (part) => part.amount.isPositive() && part.dueDate.isBefore(input.dueDate),
  );
  const owed = { contributions: input.contributions, dueDate: input.dueDate, earlierParts };
  const earliest = earlierParts.reduce<BusinessDate | undefined>(
    (first, part) => (first === undefined || part.dueDate.isBefore(first) ? part.dueDate : first),
    undefined,
  );
  const firstNumber = firstPeriodNumber(input.dueDate, earliest);
  const assessedNumbers = new Set(input.assessed.map((period) => period.number));
  const result: AssessedPeriod[] = [];
  let baseSum = Money.sum(input.assessed.map((period) => period.unpaidBase));
  let amountSum = Money.sum(input.assessed.map((period) => period.amount));
  for (let number = firstNumber; ; number++) {
    const period = finePeriod(input.dueDate, number);
    if (period.start.isAfter(input.today)) break;
    if (assessedNumbers.has(number)) continue;
    const unpaidBase = unpaidAt(owedAt(owed, period.opensAfter), input.settlements, period.opensAfter);
    if (!unpaidBase.isPositive()) continue;
    baseSum = baseSum.plus(unpaidBase);
    const amount = baseSum.timesRate(lateFineRate).minus(amountSum);
    amountSum = amountSum.plus(amount);
    result.push({ period, unpaidBase, amount });
  }
  return result;
}

/**
 * The day the late-fine job must look at an invoice again after looking at it on `today`: the
 * first day of the next fine period while contributions remain unpaid; none once they are paid,
 * since nothing more can be owed unless money is taken back, which books its own look.
 */
export function nextFineCheck(input: {
  contributions: Money;
  dueDate: BusinessDate;
  settlements: readonly Settlement[];
  today: BusinessDate;
}): BusinessDate | undefined {
  if (!unpaidAt(input.contributions, input.settlements, input.today).isPositive()) return undefined;
  let number = 1;
  while (!finePeriod(input.dueDate, number).start.isAfter(input.today)) number++;
  return finePeriod(input.dueDate, number).start;
}
