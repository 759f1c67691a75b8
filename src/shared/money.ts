import { Decimal } from "decimal.js";

/**
 * Exact decimal arithmetic for money and rates. A private clone: decimal.js's global
 * configuration is never touched. 40 significant digits hold any NUMERIC(18,2) amount
 * times any NUMERIC(9,6) rate without rounding before the one explicit rounding step.
 */
const ExactDecimal = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP, toExpNeg: -40, toExpPos: 40 });
type ExactDecimal = InstanceType<typeof ExactDecimal>;

/** NUMERIC(18,2): 16 digits before the point. */
const MONEY_PATTERN = /^-?\d{1,16}(\.\d{1,2})?$/;
/** NUMERIC(9,6): 3 digits before the point, at most 6 after. */
const RATE_PATTERN = /^\d{1,3}(\.\d{1,6})?$/;
const HALALAS_PER_RIYAL = 100n;

export class InvalidAmountError extends Error {
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(`invalid amount ${JSON.stringify(input)}: ${reason}`);
    this.name = "InvalidAmountError";
  }
}

/**
 * A rate applied to a wage, as a fraction ("0.0975" is 9.75%). Never Money: a rate times
 * a Money gives Money, rounded once by the rule the caller names.
 */
export class Rate {
  private constructor(private readonly value: ExactDecimal) {}

  static of(fraction: string): Rate {
    if (!RATE_PATTERN.test(fraction)) {
      throw new InvalidAmountError(fraction, "a rate is a non-negative decimal fraction with at most 6 decimals");
    }
    return new Rate(new ExactDecimal(fraction));
  }

  static readonly zero = new Rate(new ExactDecimal(0));

  plus(other: Rate): Rate {
    return new Rate(this.value.plus(other.value));
  }

  isZero(): boolean {
    return this.value.isZero();
  }

  equals(other: Rate): boolean {
    return this.value.equals(other.value);
  }

  /** Exact value for arithmetic inside this module only. */
  get decimal(): ExactDecimal {
    return this.value;
  }

  /** "0.0975": the shortest exact form (the clone never switches to exponent notation). */
  toString(): string {
    return this.value.toString();
  }

  toJSON(): string {
    return this.toString();
  }
}

/**
 * An amount in Saudi riyals with halala precision (two decimals), exact. Amounts travel as
 * strings with two decimals in JSON and as NUMERIC(18,2) in the database; never as floats.
 * Negative amounts are allowed (credits, reversals, adjustments).
 */
export class Money {
  private constructor(private readonly halalas: bigint) {}

  static readonly zero = new Money(0n);

  /** Parses "1234.5" or "1234.50"; a third decimal is refused rather than rounded. */
  static sar(amount: string): Money {
    if (!MONEY_PATTERN.test(amount)) {
      throw new InvalidAmountError(amount, "expected riyals with at most 2 decimals and 16 integer digits");
    }
    const negative = amount.startsWith("-");
    const [riyals = "0", fraction = ""] = (negative ? amount.slice(1) : amount).split(".");
    const magnitude = BigInt(riyals) * HALALAS_PER_RIYAL + BigInt(fraction.padEnd(2, "0"));
    return new Money(negative ? -magnitude : magnitude);
  }

  /** Like `sar`, but answers undefined instead of throwing: for validators. */
  static parse(amount: string): Money | undefined {
    return MONEY_PATTERN.test(amount) ? Money.sar(amount) : undefined;
  }

  static fromHalalas(halalas: bigint): Money {
    return new Money(halalas);
  }

  /**
   * Converts a database or library decimal (Prisma's Decimal, a NUMERIC string) whose scale
   * must already be two decimals at most.
   */
  static fromDecimal(value: { toString(): string } | string): Money {
    const text = typeof value === "string" ? value : value.toString();
    // NUMERIC(18,2) as text ("1234.50") is the common case: parse it without a decimal object.
    if (MONEY_PATTERN.test(text)) return Money.sar(text);
    const decimal = new ExactDecimal(text);
    if (decimal.decimalPlaces() > 2) {
      throw new InvalidAmountError(text, "more than 2 decimals");
    }
    return new Money(BigInt(decimal.times(100).toString()));
  }

  /** Sums without intermediate objects; the empty sum is zero. */
  static sum(amounts: Iterable<Money>): Money {
    let total = 0n;
    for (const amount of amounts) total += amount.halalas;
    return new Money(total);
  }

  plus(other: Money): Money {
    return new Money(this.halalas + other.halalas);
  }

  minus(other: Money): Money {
    return new Money(this.halalas - other.halalas);
  }

  negate(): Money {
    return new Money(-this.halalas);
  }

  abs(): Money {
    return this.halalas < 0n ? this.negate() : this;
  }

  isZero(): boolean {
    return this.halalas === 0n;
  }

  isNegative(): boolean {
    return this.halalas < 0n;
  }

  isPositive(): boolean {
    return this.halalas > 0n;
  }

  compare(other: Money): -1 | 0 | 1 {
    if (this.halalas === other.halalas) return 0;
    return this.halalas < other.halalas ? -1 : 1;
  }

  equals(other: Money): boolean {
    return this.halalas === other.halalas;
  }

  static min(a: Money, b: Money): Money {
    return a.compare(b) <= 0 ? a : b;
  }

  static max(a: Money, b: Money): Money {
    return a.compare(b) >= 0 ? a : b;
  }

  /**
   * this × rate × (numerator / denominator), computed exactly and rounded once to the
   * halala, half away from zero. The agency's rounding rule is not published; the domain
   * notes assume half-up per line (../shared/domain/contributions.md §6).
   */
  timesRate(
    rate: Rate,
    fraction: { numerator: number; denominator: number } = { numerator: 1, denominator: 1 },
  ): Money {
    if (!Number.isInteger(fraction.numerator) || !Number.isInteger(fraction.denominator) || fraction.denominator <= 0) {
      throw new RangeError("fraction must be integers with a positive denominator");
    }
    const exact = new ExactDecimal(this.halalas.toString())
      .times(rate.decimal)
      .times(fraction.numerator)
      .dividedBy(fraction.denominator);
    return new Money(BigInt(exact.toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toString()));
  }

  /**
   * Splits this amount in proportion to the weights without losing or creating a halala
   * (largest remainder; ties go to the earlier weight). Weights are non-negative halala
   * counts or other integers, with a positive sum.
   */
  allocate(weights: readonly bigint[]): Money[] {
    if (weights.length === 0) throw new RangeError("allocate needs at least one weight");
    const totalWeight = weights.reduce((sum, weight) => {
      if (weight < 0n) throw new RangeError("weights must not be negative");
      return sum + weight;
    }, 0n);
    if (totalWeight === 0n) throw new RangeError("weights must not all be zero");

    const sign = this.halalas < 0n ? -1n : 1n;
    const magnitude = this.halalas * sign;
    const parts = weights.map((weight) => (magnitude * weight) / totalWeight);
    const remainders = weights.map((weight, index) => ({ index, remainder: (magnitude * weight) % totalWeight }));
    let leftover = magnitude - parts.reduce((sum, part) => sum + part, 0n);
    remainders.sort((a, b) => (a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1));
    for (const { index } of remainders) {
      if (leftover === 0n) break;
      parts[index] = (parts[index] ?? 0n) + 1n;
      leftover -= 1n;
    }
    return parts.map((part) => new Money(part * sign));
  }

  /** Integer halalas, for the payment processor (Stripe takes the smallest unit). */
  toHalalas(): bigint {
    return this.halalas;
  }

  /** "1234.50", "-0.05": always two decimals. */
  toString(): string {
    const negative = this.halalas < 0n;
    const magnitude = negative ? -this.halalas : this.halalas;
    const riyals = magnitude / HALALAS_PER_RIYAL;
    const halalas = (magnitude % HALALAS_PER_RIYAL).toString().padStart(2, "0");
    return `${negative ? "-" : ""}${riyals}.${halalas}`;
  }

  toJSON(): string {
    return this.toString();
  }
}
