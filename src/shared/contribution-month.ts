import { BusinessDate, daysInMonth } from "./business-date.js";

/**
 * A contribution month ("2026-10"): the calendar month of service that contributions are
 * owed for (../shared/domain/billing-cycle.md §1; Gregorian months only, an ASSUMED choice
 * there). Arithmetic is on `year * 12 + (month - 1)`, never on Date.
 */
const MONTH_PATTERN = /^(\d{4})-(\d{2})$/;

export class InvalidContributionMonthError extends Error {
  constructor(readonly input: string) {
    super(`invalid contribution month ${JSON.stringify(input)}: expected YYYY-MM`);
    this.name = "InvalidContributionMonthError";
  }
}

export class ContributionMonth {
  private constructor(private readonly index: number) {}

  static parse(text: string): ContributionMonth {
    const match = MONTH_PATTERN.exec(text);
    if (!match) throw new InvalidContributionMonthError(text);
    const year = Number(match[1]);
    const month = Number(match[2]);
    if (year < 1 || month < 1 || month > 12) throw new InvalidContributionMonthError(text);
    return ContributionMonth.of(year, month);
  }

  static of(year: number, month: number): ContributionMonth {
    if (!Number.isInteger(year) || !Number.isInteger(month) || month < 1 || month > 12 || year < 1 || year > 9999) {
      throw new InvalidContributionMonthError(`${year}-${month}`);
    }
    return new ContributionMonth(year * 12 + (month - 1));
  }

  /** The month a business date falls in. */
  static containing(date: BusinessDate): ContributionMonth {
    return ContributionMonth.of(date.year, date.month);
  }

  /** The month of a Postgres `date` column read through Prisma (its first day, or any day in it). */
  static fromDateColumn(value: Date): ContributionMonth {
    return ContributionMonth.containing(BusinessDate.fromDateColumn(value));
  }

  get year(): number {
    return Math.floor(this.index / 12);
  }

  /** 1 to 12. */
  get month(): number {
    return (this.index % 12) + 1;
  }

  plusMonths(months: number): ContributionMonth {
    if (!Number.isInteger(months)) throw new RangeError("months must be an integer");
    return new ContributionMonth(this.index + months);
  }

  next(): ContributionMonth {
    return this.plusMonths(1);
  }

  previous(): ContributionMonth {
    return this.plusMonths(-1);
  }

  /** Whole months from this month to `other` (negative when `other` is earlier). */
  monthsUntil(other: ContributionMonth): number {
    return other.index - this.index;
  }

  compare(other: ContributionMonth): -1 | 0 | 1 {
    if (this.index === other.index) return 0;
    return this.index < other.index ? -1 : 1;
  }

  equals(other: ContributionMonth): boolean {
    return this.index === other.index;
  }

  isBefore(other: ContributionMonth): boolean {
    return this.index < other.index;
  }

  isAfter(other: ContributionMonth): boolean {
    return this.index > other.index;
  }

  /** Calendar days in the month: the proration denominator (contributions.md §4, ASSUMED). */
  get dayCount(): number {
    return daysInMonth(this.year, this.month);
  }

  firstDay(): BusinessDate {
    return BusinessDate.of(this.year, this.month, 1);
  }

  lastDay(): BusinessDate {
    return BusinessDate.of(this.year, this.month, this.dayCount);
  }

  /**
   * Contributions for month M are due by the end of the 15th of M+1, Riyadh time, with no
   * shift for weekends or holidays (billing-cycle.md §2: sourced 15th, ASSUMED no shift).
   */
  dueDate(): BusinessDate {
    const following = this.next();
    return BusinessDate.of(following.year, following.month, 15);
  }

  toString(): string {
    return `${String(this.year).padStart(4, "0")}-${String(this.month).padStart(2, "0")}`;
  }

  toJSON(): string {
    return this.toString();
  }
}
