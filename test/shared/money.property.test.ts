import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Money, Rate } from "../../src/shared/money.js";

const halalas = fc.bigInt({ min: -(10n ** 17n), max: 10n ** 17n });
const money = halalas.map(Money.fromHalalas);

describe("Money properties", () => {
  it("prints and parses back to the same amount", () => {
    fc.assert(
      fc.property(money, (amount) => {
        expect(Money.sar(amount.toString()).equals(amount)).toBe(true);
        expect(amount.toString()).toMatch(/^-?\d+\.\d{2}$/);
      }),
    );
  });

  it("plus and minus are exact inverses and commute", () => {
    fc.assert(
      fc.property(money, money, (a, b) => {
        expect(a.plus(b).minus(b).equals(a)).toBe(true);
        expect(a.plus(b).equals(b.plus(a))).toBe(true);
        expect(a.minus(b).equals(b.minus(a).negate())).toBe(true);
      }),
    );
  });

  it("allocate's parts sum to the whole and each is within a halala of its exact share", () => {
    fc.assert(
      fc.property(
        money,
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 9n }), { minLength: 1, maxLength: 20 }),
        (amount, weights) => {
          fc.pre(weights.some((weight) => weight > 0n));
          const parts = amount.allocate(weights);
          expect(Money.sum(parts).equals(amount)).toBe(true);
          const totalWeight = weights.reduce((sum, weight) => sum + weight, 0n);
          parts.forEach((part, index) => {
            // |part * totalWeight - amount * weight| < totalWeight, i.e. off by less than one halala.
            const error = part.toHalalas() * totalWeight - amount.toHalalas() * (weights[index] ?? 0n);
            expect(error < totalWeight && error > -totalWeight).toBe(true);
          });
        },
      ),
    );
  });

  it("timesRate is within half a halala of the exact product and monotone in the amount", () => {
    const rate = fc.integer({ min: 0, max: 1_000_000 }).map((millionths) => Rate.of((millionths / 1e6).toFixed(6)));
    const nonNegative = fc.bigInt({ min: 0n, max: 10n ** 12n }).map(Money.fromHalalas);
    fc.assert(
      fc.property(nonNegative, nonNegative, rate, (a, b, r) => {
        const product = a.timesRate(r);
        // exact = halalas * rate; rate has 6 decimals, so compare in millionths of a halala.
        const rateMillionths =
          BigInt(r.toString().replace(".", "").padEnd(1, "0")) *
          10n ** BigInt(6 - (r.toString().split(".")[1]?.length ?? 0));
        const exactMillionths = a.toHalalas() * rateMillionths;
        const difference = product.toHalalas() * 1_000_000n - exactMillionths;
        expect(difference <= 500_000n && difference > -500_000n).toBe(true);
        if (a.compare(b) <= 0) expect(a.timesRate(r).compare(b.timesRate(r))).toBeLessThanOrEqual(0);
      }),
    );
  });
});
