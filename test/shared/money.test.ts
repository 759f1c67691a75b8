import { describe, expect, it } from "vitest";
import { InvalidAmountError, Money, Rate } from "../../src/shared/money.js";

describe("Money", () => {
  it("parses riyals with up to two decimals and prints exactly two", () => {
    expect(Money.sar("1234.5").toString()).toBe("1234.50");
    expect(Money.sar("0.05").toString()).toBe("0.05");
    expect(Money.sar("-12").toString()).toBe("-12.00");
    expect(Money.sar("9999999999999999.99").toHalalas()).toBe(999999999999999999n);
    expect(JSON.stringify({ amount: Money.sar("45000") })).toBe('{"amount":"45000.00"}');
  });

  it.each(["1.005", "1e3", "", " 1", "+1", "1.", ".5", "abc", "12345678901234567", "1,000.00", "NaN"])(
    "refuses %j rather than rounding or guessing",
    (input) => {
      expect(() => Money.sar(input)).toThrow(InvalidAmountError);
    },
  );

  it("adds, subtracts and compares without floating-point error", () => {
    expect(Money.sar("0.10").plus(Money.sar("0.20")).toString()).toBe("0.30");
    expect(Money.sar("100.00").minus(Money.sar("100.01")).toString()).toBe("-0.01");
    expect(Money.sum([Money.sar("0.01"), Money.sar("0.02"), Money.sar("0.03")]).toString()).toBe("0.06");
    expect(Money.sum([]).isZero()).toBe(true);
    expect(Money.sar("1.00").compare(Money.sar("1.01"))).toBe(-1);
    expect(Money.max(Money.sar("3"), Money.sar("-4")).toString()).toBe("3.00");
  });

  it("keeps plain notation at the extremes: the largest amount, the smallest rate", () => {
    expect(Money.fromDecimal("9999999999999999.99").toString()).toBe("9999999999999999.99");
    expect(Money.sar("9999999999999999.99").timesRate(Rate.of("999.999999")).toHalalas()).toBe(999999998999999999000n);
    expect(Rate.of("0.000001").toString()).toBe("0.000001");
    expect(Money.sar("0.01").timesRate(Rate.of("0.5")).toString()).toBe("0.01");
  });

  it("converts database decimals and refuses a third decimal", () => {
    expect(Money.fromDecimal("1500.1").toString()).toBe("1500.10");
    expect(Money.fromDecimal({ toString: () => "-0.5" }).toString()).toBe("-0.50");
    expect(() => Money.fromDecimal("1.001")).toThrow(InvalidAmountError);
  });

  it("applies a rate exactly and rounds once, half up (contributions.md §6 example)", () => {
    // 0.75% of 8,750 = 65.625 -> 65.63 a side.
    expect(Money.sar("8750").timesRate(Rate.of("0.0075")).toString()).toBe("65.63");
    expect(Money.sar("-8750").timesRate(Rate.of("0.0075")).toString()).toBe("-65.63");
    expect(Money.sar("20000").timesRate(Rate.of("0.0975")).toString()).toBe("1950.00");
    // 12 days of January at 9% of 10,000: 10,000 * 0.09 * 12 / 31 = 348.387...
    expect(Money.sar("10000").timesRate(Rate.of("0.09"), { numerator: 12, denominator: 31 }).toString()).toBe("348.39");
  });

  it("allocates without losing a halala", () => {
    const parts = Money.sar("100.00").allocate([1n, 1n, 1n]);
    expect(parts.map(String)).toEqual(["33.34", "33.33", "33.33"]);
    expect(Money.sar("-0.05").allocate([1n, 1n]).map(String)).toEqual(["-0.03", "-0.02"]);
    expect(Money.sar("10.00").allocate([0n, 3n]).map(String)).toEqual(["0.00", "10.00"]);
    expect(() => Money.sar("1.00").allocate([0n, 0n])).toThrow(RangeError);
  });

  it("gives Stripe integer halalas", () => {
    expect(Money.sar("1250.00").toHalalas()).toBe(125000n);
    expect(Money.fromHalalas(125001n).toString()).toBe("1250.01");
  });
});

describe("Rate", () => {
  it("keeps its exact decimal form", () => {
    expect(Rate.of("0.0975").toString()).toBe("0.0975");
    expect(Rate.of("0.09").plus(Rate.of("0.0075")).toString()).toBe("0.0975");
    expect(() => Rate.of("-0.01")).toThrow(InvalidAmountError);
    expect(() => Rate.of("0.1234567")).toThrow(InvalidAmountError);
  });
});
