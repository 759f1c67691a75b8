/**
 * A calendar date in the agency's time zone ("2025-03-15"): due dates, employment start and
 * end, effective dates of rules. Not an instant: converting an instant to a business date
 * happens only in `BusinessDate.fromInstant`, in Asia/Riyadh.
 */
export const AGENCY_TIME_ZONE = "Asia/Riyadh";

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const MILLISECONDS_PER_DAY = 86_400_000;

export class InvalidDateError extends Error {
  constructor(readonly input: string) {
    super(`invalid date ${JSON.stringify(input)}: expected an existing calendar date as YYYY-MM-DD`);
    this.name = "InvalidDateError";
  }
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

const riyadhDateFormat = new Intl.DateTimeFormat("en-CA", {
  timeZone: AGENCY_TIME_ZONE,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
});

const riyadhOffsetFormat = new Intl.DateTimeFormat("en-US", {
  timeZone: AGENCY_TIME_ZONE,
  timeZoneName: "longOffset",
});

export class BusinessDate {
  /** Days since 1970-01-01 (proleptic Gregorian), the unit of all date arithmetic here. */
  private constructor(private readonly epochDay: number) {}

  static parse(text: string): BusinessDate {
    const match = DATE_PATTERN.exec(text);
    if (!match) throw new InvalidDateError(text);
    const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
    if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
      throw new InvalidDateError(text);
    }
    return BusinessDate.of(year, month, day);
  }

  static of(year: number, month: number, day: number): BusinessDate {
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
      throw new InvalidDateError(`${year}-${month}-${day}`);
    }
    return new BusinessDate(Math.round(Date.UTC(year, month - 1, day) / MILLISECONDS_PER_DAY));
  }

  /** The date an instant falls on in Riyadh. */
  static fromInstant(instant: Date): BusinessDate {
    return BusinessDate.parse(riyadhDateFormat.format(instant));
  }

  /** From a Postgres `date` column, which Prisma returns as midnight UTC of that date. */
  static fromDateColumn(value: Date): BusinessDate {
    return new BusinessDate(Math.floor(value.getTime() / MILLISECONDS_PER_DAY));
  }

  /** For writing a Postgres `date` column through Prisma (midnight UTC of this date). */
  toDateColumn(): Date {
    return new Date(this.epochDay * MILLISECONDS_PER_DAY);
  }

  /** Computed once per date: month views and billing read a date's parts many times. */
  private cachedParts: { year: number; month: number; day: number } | undefined;

  private get parts(): { year: number; month: number; day: number } {
    if (!this.cachedParts) {
      const utc = new Date(this.epochDay * MILLISECONDS_PER_DAY);
      this.cachedParts = { year: utc.getUTCFullYear(), month: utc.getUTCMonth() + 1, day: utc.getUTCDate() };
    }
    return this.cachedParts;
  }

  get year(): number {
    return this.parts.year;
  }

  get month(): number {
    return this.parts.month;
  }

  get day(): number {
    return this.parts.day;
  }

  plusDays(days: number): BusinessDate {
    if (!Number.isInteger(days)) throw new RangeError("days must be an integer");
    return new BusinessDate(this.epochDay + days);
  }

  /** Whole days from this date to `other` (negative when `other` is earlier). */
  daysUntil(other: BusinessDate): number {
    return other.epochDay - this.epochDay;
  }

  compare(other: BusinessDate): -1 | 0 | 1 {
    if (this.epochDay === other.epochDay) return 0;
    return this.epochDay < other.epochDay ? -1 : 1;
  }

  equals(other: BusinessDate): boolean {
    return this.epochDay === other.epochDay;
  }

  isBefore(other: BusinessDate): boolean {
    return this.epochDay < other.epochDay;
  }

  isAfter(other: BusinessDate): boolean {
    return this.epochDay > other.epochDay;
  }

  /** The instant this date starts in Riyadh (00:00 local). */
  startInstant(): Date {
    const utcMidnight = this.epochDay * MILLISECONDS_PER_DAY;
    // Riyadh has kept UTC+3 since 1947, but read the offset rather than assume it.
    return new Date(utcMidnight - riyadhOffsetMilliseconds(new Date(utcMidnight)));
  }

  /** The first instant after this date ends in Riyadh: "by the end of the 15th" is `< this`. */
  endInstant(): Date {
    return this.plusDays(1).startInstant();
  }

  toString(): string {
    const { year, month, day } = this.parts;
    return `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

function riyadhOffsetMilliseconds(instant: Date): number {
  const name = riyadhOffsetFormat.formatToParts(instant).find((part) => part.type === "timeZoneName")?.value ?? "GMT";
  const match = /^GMT([+-])(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(name);
  if (!match) return 0;
  const seconds = Number(match[2]) * 3600 + Number(match[3]) * 60 + Number(match[4] ?? 0);
  return (match[1] === "-" ? -seconds : seconds) * 1000;
}
