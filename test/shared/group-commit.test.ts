import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createGroupCommit } from "../../src/shared/group-commit.js";

/** A flush whose calls the test finishes by hand, recording each batch it was given. */
function controlledFlush(answer: (item: number) => string = (item) => `stored ${item}`) {
  const batches: number[][] = [];
  const pending: { items: number[]; finish: () => void; fail: (error: Error) => void }[] = [];
  let running = 0;
  let mostRunning = 0;
  const flush = (items: readonly number[]) =>
    new Promise<string[]>((resolve, reject) => {
      batches.push([...items]);
      running += 1;
      mostRunning = Math.max(mostRunning, running);
      const done = () => {
        running -= 1;
      };
      pending.push({
        items: [...items],
        finish: () => {
          done();
          resolve(items.map(answer));
        },
        fail: (error) => {
          done();
          reject(error);
        },
      });
    });
  return { flush, batches, pending, mostRunning: () => mostRunning };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("group commit", () => {
  it("sends an item at once when a flush is free, and gathers the ones that arrive while none is", async () => {
    const { flush, batches, pending } = controlledFlush();
    const submit = createGroupCommit(flush, { inFlightMax: 1, batchMax: 10 });
    const first = submit(1);
    expect(batches).toEqual([[1]]);
    const later = [submit(2), submit(3), submit(4)];
    expect(batches).toEqual([[1]]);
    pending.shift()?.finish();
    expect(await first).toBe("stored 1");
    await settle();
    expect(batches).toEqual([[1], [2, 3, 4]]);
    pending.shift()?.finish();
    expect(await Promise.all(later)).toEqual(["stored 2", "stored 3", "stored 4"]);
  });

  it("gives every caller its own result and never runs more flushes or larger batches than allowed", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 40 }),
        async (inFlightMax, batchMax, arrivals) => {
          const { flush, batches, pending, mostRunning } = controlledFlush((item) => `r${item}`);
          const submit = createGroupCommit(flush, { inFlightMax, batchMax });
          const answers: Promise<string>[] = [];
          // Each step submits some items, then finishes the oldest running flush.
          for (const [step, count] of arrivals.entries()) {
            for (let index = 0; index < count; index++) answers.push(submit(step * 10 + index));
            pending.shift()?.finish();
            await settle();
          }
          while (pending.length > 0) {
            pending.shift()?.finish();
            await settle();
          }
          const submitted = arrivals.flatMap((count, step) => Array.from({ length: count }, (_, i) => step * 10 + i));
          expect(await Promise.all(answers)).toEqual(submitted.map((item) => `r${item}`));
          expect(batches.flat().sort((a, b) => a - b)).toEqual([...submitted].sort((a, b) => a - b));
          expect(Math.max(0, ...batches.map((batch) => batch.length))).toBeLessThanOrEqual(batchMax);
          expect(mostRunning()).toBeLessThanOrEqual(inFlightMax);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("flushes a failed batch's items again alone, so only the bad item's caller sees the failure", async () => {
    const batches: number[][] = [];
    const submit = createGroupCommit(
      async (items: readonly number[]) => {
        batches.push([...items]);
        await settle();
        if (items.includes(13)) throw new Error("item 13 cannot be stored");
        return items.map((item) => item * 2);
      },
      { inFlightMax: 1, batchMax: 10 },
    );
    const answers = [1, 12, 13, 14].map((item) => submit(item).catch((error: Error) => error.message));
    expect(await Promise.all(answers)).toEqual([2, 24, "item 13 cannot be stored", 28]);
    expect(batches).toEqual([[1], [12, 13, 14], [12], [13], [14]]);
  });

  it("fails the batch when the flush answers for fewer items than it was given", async () => {
    const submit = createGroupCommit(async (items: readonly number[]) => items.slice(1), {
      inFlightMax: 1,
      batchMax: 10,
    });
    await expect(submit(1)).rejects.toThrow(/1 items returned 0 results/);
  });
});
