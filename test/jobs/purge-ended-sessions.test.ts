import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSessionStore } from "../../src/auth/sessions.js";
import { FixedClock } from "../../src/shared/clock.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

describe("the daily purge of sessions", () => {
  it("deletes sessions that ended more than a week ago and keeps live and recent ones", async () => {
    const session = (id: string, expiresAt: string, revokedAt: string | null = null) => ({
      id,
      tokenHash: `hash-${id}`,
      principalType: "STAFF" as const,
      principalId: "stf_1",
      createdAt: new Date("2026-11-01T00:00:00Z"),
      expiresAt: new Date(expiresAt),
      revokedAt: revokedAt === null ? null : new Date(revokedAt),
    });
    await database.prisma.session.createMany({
      data: [
        session("expired-long-ago", "2026-11-10T00:00:00Z"),
        session("revoked-long-ago", "2026-12-31T00:00:00Z", "2026-11-01T12:00:00Z"),
        session("expired-yesterday", "2026-11-24T09:00:00Z"),
        session("live", "2026-11-25T21:00:00Z"),
      ],
    });
    const store = createSessionStore({ db: database.prisma, clock: new FixedClock("2026-11-25T09:00:00Z") });
    expect(await store.purgeEnded()).toBe(2);
    expect((await database.prisma.session.findMany({ orderBy: { id: "asc" } })).map((kept) => kept.id)).toEqual([
      "expired-yesterday",
      "live",
    ]);
  });
});
