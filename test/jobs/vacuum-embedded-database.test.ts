import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vacuumEmbeddedDatabase } from "../../src/shared/db/embedded-maintenance.js";
import { createTestDatabase, type TestDatabase, testDatabaseKind } from "../support/test-database.js";

/** PostgreSQL's autovacuum does this there; the job is scheduled only on the embedded database. */
describe.runIf(testDatabaseKind() === "pglite")("the nightly vacuum of the embedded database", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it("removes the dead rows updates left and gives the planner statistics, while a transaction waits its turn", async () => {
    const pglite = database.pglite;
    if (!pglite) throw new Error("expected the embedded database");
    await database.prisma.$executeRawUnsafe(
      "CREATE TABLE churned (id int PRIMARY KEY, version int NOT NULL, note text NOT NULL)",
    );
    await database.prisma.$executeRawUnsafe(
      "INSERT INTO churned SELECT g, 0, repeat('x', 40) FROM generate_series(1, 5000) g",
    );
    await database.prisma.$executeRawUnsafe("UPDATE churned SET version = version + 1");
    await database.prisma.$executeRawUnsafe("UPDATE churned SET version = version + 1");
    const state = async () => {
      await pglite.query("SELECT pg_stat_force_next_flush()");
      const { rows } = await pglite.query<{ dead: number; analysed: boolean; statistics: number }>(
        `SELECT n_dead_tup::int AS dead, last_analyze IS NOT NULL AS analysed,
                (SELECT count(*)::int FROM pg_stats WHERE tablename = 'churned') AS statistics
           FROM pg_stat_user_tables WHERE relname = 'churned'`,
      );
      return rows[0];
    };
    expect(await state()).toEqual({ dead: 10_000, analysed: false, statistics: 0 });

    // A transaction open when the job starts finishes first: VACUUM cannot run inside one.
    let releaseTransaction = () => {};
    const released = new Promise<void>((resolve) => {
      releaseTransaction = resolve;
    });
    let transactionOpen = () => {};
    const opened = new Promise<void>((resolve) => {
      transactionOpen = resolve;
    });
    const transaction = database.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe("UPDATE churned SET version = version + 1 WHERE id <= 10");
      transactionOpen();
      await released;
    });
    await opened;
    const vacuum = vacuumEmbeddedDatabase(pglite);
    releaseTransaction();
    await transaction;
    const result = await vacuum;

    // The transaction's own update pruned a few on its page before the vacuum counted.
    expect(result.deadRowsBefore).toBeGreaterThan(9_900);
    expect(result.deadRowsAfter).toBe(0);
    expect(await state()).toEqual({ dead: 0, analysed: true, statistics: 3 });
    expect(
      await database.prisma.$queryRawUnsafe("SELECT count(*)::int AS rows FROM churned WHERE version = 3"),
    ).toEqual([{ rows: 10 }]);
  });
});
