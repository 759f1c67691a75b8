import { describe, expect, it } from "vitest";
import { Prisma } from "../../../src/generated/prisma/client.js";
import { openPostgresDatabase } from "../../../src/shared/db/database.js";
import { testDatabaseKind } from "../../support/test-database.js";

/**
 * JIT compilation is off on every connection the service's pool opens: a statement whose
 * estimate passes PostgreSQL's threshold (100,000) runs without compiling, whichever connection
 * of the pool, Prisma's or `readText`'s, it lands on.
 */
describe.runIf(testDatabaseKind() === "postgresql")("JIT on PostgreSQL", () => {
  it("is off on each pooled connection, and a statement estimated past the threshold is not compiled", async () => {
    const database = await openPostgresDatabase({ url: process.env.DATABASE_URL as string, poolMax: 3 });
    try {
      // Three transactions held open at once take three connections of the pool.
      const settings = await Promise.all(
        [1, 2, 3].map(() =>
          database.prisma.$transaction(async (tx) => {
            const [row] = await tx.$queryRaw<{ jit: string; backend: number }[]>`
              SELECT current_setting('jit') AS jit, pg_backend_pid() AS backend, pg_sleep(0.2)::text`;
            return row;
          }),
        ),
      );
      expect(new Set(settings.map((row) => row?.backend)).size).toBe(3);
      expect(settings.map((row) => row?.jit)).toEqual(["off", "off", "off"]);
      expect(await database.readText(Prisma.sql`SELECT current_setting('jit')`)).toBe("off");

      // Estimated far past the threshold (ten million rows), planned but not run. With JIT on in
      // the same transaction the plan compiles, where the server can (pg_jit_available).
      const explain = async (jit: "on" | "default") =>
        database.prisma.$transaction(async (tx) => {
          if (jit === "on") await tx.$executeRawUnsafe("SET LOCAL jit = on");
          const [row] = await tx.$queryRaw<{ "QUERY PLAN": [{ Plan: { "Total Cost": number }; JIT?: unknown }] }[]>`
            EXPLAIN (FORMAT JSON) SELECT count(*) FROM generate_series(1, 10000000) a WHERE a % 7 = 3`;
          return row?.["QUERY PLAN"][0];
        });
      const plan = await explain("default");
      expect(plan?.Plan["Total Cost"]).toBeGreaterThan(100_000);
      expect(plan?.JIT).toBeUndefined();
      const [{ available }] = (await database.prisma.$queryRaw<{ available: boolean }[]>`
        SELECT pg_jit_available() AS available`) as [{ available: boolean }];
      if (available) expect((await explain("on"))?.JIT).toBeDefined();
    } finally {
      await database.close();
    }
  });
});
