import { describe, expect, it } from "vitest";
import { wallClockMilliseconds } from "../../src/shared/clock.js";
import { newId } from "../../src/shared/ids.js";

describe("newId", () => {
  it("draws prefixed UUIDv7s that are unique and sort in the order they were drawn", () => {
    const before = wallClockMilliseconds();
    // Far more than one millisecond's worth, so many share a millisecond and count it up.
    const ids = Array.from({ length: 100_000 }, () => newId("inv"));
    const after = wallClockMilliseconds();

    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^inv_[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
    expect([...ids].sort()).toEqual(ids);
    const milliseconds = ids.map((id) => Number.parseInt(id.slice(4, 16), 16));
    expect(Math.min(...milliseconds)).toBeGreaterThanOrEqual(before);
    expect(Math.max(...milliseconds)).toBeLessThanOrEqual(after);
    expect(new Set(milliseconds).size).toBeLessThan(ids.length);
  });

  it("keeps drawing fresh random bits past the pool's refill", () => {
    const tails = Array.from({ length: 1_000 }, () => newId("pay").slice(-12));
    expect(new Set(tails).size).toBe(tails.length);
  });
});
