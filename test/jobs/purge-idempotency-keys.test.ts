import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { purgeExpiredIdempotencyKeys } from "../../src/idempotency/service.js";
import { FixedClock } from "../../src/shared/clock.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

describe("the daily purge of Idempotency-Keys", () => {
  it("deletes keys older than 24 hours, a batch at a time, and keeps the rest", async () => {
    const row = (key: string, createdAt: string) => ({
      scope: "establishment:est_1",
      key,
      requestHash: "h",
      responseStatus: 201,
      responseBody: "{}",
      createdAt: new Date(createdAt),
    });
    await database.prisma.idempotencyKey.createMany({
      data: [
        row("old", "2026-11-24T08:59:59Z"),
        row("older", "2026-11-20T08:00:00Z"),
        row("oldest", "2026-11-01T08:00:00Z"),
        row("day-old", "2026-11-24T09:00:00Z"),
        row("fresh", "2026-11-25T08:00:00Z"),
      ],
    });
    // Two to a statement: three statements, the last deleting one.
    const purged = await purgeExpiredIdempotencyKeys(
      { db: database.prisma, clock: new FixedClock("2026-11-25T09:00:00Z") },
      2,
    );
    expect(purged).toBe(3);
    expect(
      (await database.prisma.idempotencyKey.findMany({ orderBy: { key: "asc" } })).map((kept) => kept.key),
    ).toEqual(["day-old", "fresh"]);
  });
});
