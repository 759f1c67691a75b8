import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../support/test-database.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase({ migrate: false });
  await database.prisma.$executeRawUnsafe("CREATE TABLE deferred_probe (id int)");
  await database.prisma.$executeRawUnsafe(
    "CREATE FUNCTION refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$",
  );
  await database.prisma.$executeRawUnsafe(
    "CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON deferred_probe DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_at_commit()",
  );
});
afterAll(() => database.drop());

describe("transactions on both databases", () => {
  it("reports an error raised at COMMIT to the caller, and keeps nothing", async () => {
    const outcome = database.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe("INSERT INTO deferred_probe VALUES (1)");
      return "committed";
    });
    await expect(outcome).rejects.toThrow(/refused at commit/);
    expect(await database.prisma.$queryRawUnsafe("SELECT count(*)::int AS rows FROM deferred_probe")).toEqual([
      { rows: 0 },
    ]);
  });

  it("rolls back everything when the callback throws", async () => {
    await database.prisma.$executeRawUnsafe("DROP TRIGGER refuse_at_commit ON deferred_probe");
    await expect(
      database.prisma.$transaction(async (tx) => {
        await tx.$executeRawUnsafe("INSERT INTO deferred_probe VALUES (2)");
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    await database.prisma.$transaction(async (tx) => tx.$executeRawUnsafe("INSERT INTO deferred_probe VALUES (3)"));
    expect(await database.prisma.$queryRawUnsafe("SELECT id FROM deferred_probe")).toEqual([{ id: 3 }]);
  });
});
