import { describe, expect, it } from "vitest";
import { createDrainLoop } from "../../src/shared/drain-loop.js";

/** A loop whose rounds the test finishes by hand; each round counts 1. */
function controlledLoop() {
  const finishers: (() => void)[] = [];
  let started = 0;
  const errors: unknown[] = [];
  const loop = createDrainLoop<number>({
    round: () =>
      new Promise<number>((resolve) => {
        started += 1;
        finishers.push(() => resolve(1));
      }),
    empty: () => 0,
    add: (sum, round) => sum + round,
    onError: (error) => errors.push(error),
  });
  const finishRound = () => {
    const finish = finishers.shift();
    if (!finish) throw new Error("no round is running");
    finish();
  };
  return { loop, finishRound, started: () => started, running: () => finishers.length, errors };
}

const ticks = async (count: number) => {
  for (let tick = 0; tick < count; tick++) await Promise.resolve();
};
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("drain loop", () => {
  it("starts a round on a wake, and one more round for any number of wakes during it", async () => {
    const { loop, finishRound, started, running } = controlledLoop();
    loop.wake();
    expect(started()).toBe(1);
    for (let wake = 0; wake < 50; wake++) loop.wake();
    expect(started()).toBe(1);
    finishRound();
    await settle();
    expect(started()).toBe(2);
    finishRound();
    await settle();
    expect(started()).toBe(2);
    expect(running()).toBe(0);
  });

  it("never runs two rounds at once", async () => {
    const { loop, finishRound, running } = controlledLoop();
    loop.wake();
    loop.wake();
    const waited = loop.drain();
    expect(running()).toBe(1);
    for (let step = 0; step < 6 && running() > 0; step++) {
      expect(running()).toBe(1);
      finishRound();
      await settle();
    }
    expect(running()).toBe(0);
    expect(await waited).toBeGreaterThan(0);
  });

  it("gives a wake that lands while the last round is being wound up its own round, at every point", async () => {
    for (let delay = 0; delay < 8; delay++) {
      const { loop, finishRound, started, running } = controlledLoop();
      loop.wake();
      finishRound();
      await ticks(delay);
      loop.wake();
      await settle();
      expect(started(), `wake after ${delay} microtask ticks`).toBe(2);
      expect(running()).toBe(1);
      finishRound();
      await settle();
      expect(running()).toBe(0);
    }
  });

  it("resolves a waiting caller with a drain that started after its call", async () => {
    const { loop, finishRound, started } = controlledLoop();
    loop.wake();
    const waited = loop.drain();
    finishRound();
    await settle();
    // The running drain goes round again, as for any wake...
    expect(started()).toBe(2);
    finishRound();
    await settle();
    // ...then a drain of the caller's own runs, and its totals are the answer.
    expect(started()).toBe(3);
    finishRound();
    expect(await waited).toBe(1);
  });

  it("reports a failed round and drains again on the next wake", async () => {
    let attempt = 0;
    const errors: unknown[] = [];
    const loop = createDrainLoop<number>({
      round: async () => {
        attempt += 1;
        if (attempt === 1) throw new Error("the database went away");
        return 1;
      },
      empty: () => 0,
      add: (sum, round) => sum + round,
      onError: (error) => errors.push(error),
    });
    loop.wake();
    await settle();
    expect(errors).toHaveLength(1);
    loop.wake();
    await settle();
    expect(attempt).toBe(2);
    expect(await loop.drain()).toBe(1);
  });
});
