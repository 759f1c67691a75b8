import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimNextChunk, insertRun, planRun } from "../../src/billing/repository/runs.js";
import { ContributionMonth } from "../../src/shared/contribution-month.js";
import { hire } from "../support/billing.js";
import { buildTestApp, registerEstablishment, type TestContext } from "../support/test-app.js";

let context: TestContext;

beforeAll(async () => {
  context = await buildTestApp();
  // Registered in id order: one establishment with two employees, then three with one each.
  const sizes = [2, 1, 1, 1];
  for (const [index, size] of sizes.entries()) {
    const employer = await registerEstablishment(context);
    for (let employee = 0; employee < size; employee++) {
      await hire(context, employer, { startDate: "2026-09-01", basic: `${5000 + index * 10 + employee}.00` });
    }
  }
});
afterAll(() => context.close());

class Rollback extends Error {}

describe("claiming a run's chunks", () => {
  it("claims the chunks with the most establishments first, then by number", async () => {
    const claims: { chunk: number; establishments: number }[] = [];
    await context.database.prisma
      .$transaction(async (tx) => {
        await insertRun(tx, {
          id: "run_claims",
          month: ContributionMonth.parse("2026-10"),
          requestedBy: "test",
          correctionsSince: null,
          now: new Date(),
        });
        // Two lines a chunk: chunk 0 is the first establishment (two lines), chunk 1 the next two
        // (one line each), chunk 2 the last. Five lines at two a partition: three partitions.
        expect(
          await planRun(tx, { id: "run_claims", month: ContributionMonth.parse("2026-10") }, undefined, {
            chunkLines: 2,
            partitionLines: 2,
            partitionsMin: 1,
          }),
        ).toEqual({ establishments: 4, chunks: 3, partitions: 3 });
        const partitions = await tx.$queryRawUnsafe<{ partition_number: number }[]>(
          "SELECT partition_number FROM billing_run_partitions WHERE run_id = 'run_claims' ORDER BY 1",
        );
        expect(partitions.map((row) => row.partition_number)).toEqual([0, 1, 2]);
        for (;;) {
          const claimed = await claimNextChunk(tx, "run_claims");
          if (claimed === undefined) break;
          const chunk = claimed.chunkNumber;
          const [row] = await tx.$queryRawUnsafe<{ count: number }[]>(
            `SELECT count(*)::int AS count FROM billing_run_establishments WHERE run_id = 'run_claims' AND chunk_number = ${chunk}`,
          );
          claims.push({ chunk, establishments: row?.count ?? 0 });
          await tx.$executeRawUnsafe(
            `UPDATE billing_run_chunks SET issued_at = now() WHERE run_id = 'run_claims' AND chunk_number = ${chunk}`,
          );
        }
        throw new Rollback();
      })
      .catch((error: unknown) => {
        if (!(error instanceof Rollback)) throw error;
      });
    expect(claims).toEqual([
      { chunk: 1, establishments: 2 },
      { chunk: 0, establishments: 1 },
      { chunk: 2, establishments: 1 },
    ]);
  });
});
