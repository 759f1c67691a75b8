import { createHash } from "node:crypto";
import pg from "pg";
import { benchmarkServerUrl, printFigure, timed } from "./support.js";

/**
 * Two fixed workloads that involve nothing of Ishtirak, printed before the benchmarks so figures
 * from different machines, or from one shared machine on different days, can be compared. On
 * one day this 2-core machine kind served a bare Hono route at 32–45k requests/s where the stack
 * probes had seen 65–71k, and every figure here moved with it. Best of three each.
 */
export async function benchmarkMachine(options: { postgres: boolean }): Promise<void> {
  const chunk = Buffer.alloc(1 << 20, 7);
  const hashing = await bestOfThree(async () => {
    const hash = createHash("sha256");
    for (let index = 0; index < 256; index++) hash.update(chunk);
    hash.digest();
  });
  printFigure("machine", "Node: SHA-256 of 256 MB", `${Math.round(hashing)} ms`);
  if (!options.postgres) return;
  const client = new pg.Client({ connectionString: benchmarkServerUrl() });
  await client.connect();
  try {
    const counting = await bestOfThree(() => client.query("SELECT count(*) FROM generate_series(1, 5000000)"));
    printFigure("machine", "PostgreSQL: count(*) of 5,000,000 generated rows", `${Math.round(counting)} ms`);
  } finally {
    await client.end();
  }
}

async function bestOfThree(work: () => Promise<unknown>): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) best = Math.min(best, (await timed(work)).milliseconds);
  return best;
}
