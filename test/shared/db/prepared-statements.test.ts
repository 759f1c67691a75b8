import { describe, expect, it } from "vitest";
import { Prisma } from "../../../src/generated/prisma/client.js";
import { openPostgresDatabase, preparedStatementMarker } from "../../../src/shared/db/database.js";
import { testDatabaseKind } from "../../support/test-database.js";

/**
 * Statements marked `/* prepared *\/` are prepared once per pooled connection; nothing else is.
 * Checked on one connection's own list of prepared statements, so a change in how Prisma hands
 * raw SQL to the adapter (a stripped comment, say) cannot silently undo it.
 */
describe.runIf(testDatabaseKind() === "postgresql")("prepared statements on PostgreSQL", () => {
  it("prepares a marked statement once, under a name from its text, and leaves the others unnamed", async () => {
    const database = await openPostgresDatabase({ url: process.env.DATABASE_URL as string, poolMax: 1 });
    try {
      const prepared = () => database.prisma.$queryRaw<{ answer: number }[]>`/* prepared */
        SELECT ${41}::int + 1 AS answer`;
      const unmarked = () => database.prisma.$queryRaw<{ answer: number }[]>`SELECT ${1}::int + 1 AS answer`;
      expect(await prepared()).toEqual([{ answer: 42 }]);
      expect(await prepared()).toEqual([{ answer: 42 }]);
      expect(await unmarked()).toEqual([{ answer: 2 }]);
      const statements = await database.prisma.$queryRaw<{ name: string; statement: string }[]>`
        SELECT name, statement FROM pg_prepared_statements ORDER BY name`;
      expect(statements).toHaveLength(1);
      expect(statements[0]?.name).toMatch(/^ishtirak_[0-9a-f]{24}$/);
      expect(statements[0]?.statement.startsWith(preparedStatementMarker)).toBe(true);
    } finally {
      await database.close();
    }
  });

  it("reads a marked statement's text straight from the pool under the same name Prisma would use", async () => {
    const database = await openPostgresDatabase({ url: process.env.DATABASE_URL as string, poolMax: 1 });
    try {
      const readText = database.readText;
      const statement = (value: string) => Prisma.sql`/* prepared */ SELECT ${value}::text || '!' AS answer`;
      expect(await readText(statement("one"))).toBe("one!");
      expect(await readText(statement("two"))).toBe("two!");
      expect(await readText(Prisma.sql`SELECT NULL::text WHERE false`)).toBeUndefined();
      // Through Prisma the same text finds the statement already prepared on the connection.
      expect(await database.prisma.$queryRaw(statement("three"))).toEqual([{ answer: "three!" }]);
      const statements = await database.prisma.$queryRaw<{ name: string }[]>`SELECT name FROM pg_prepared_statements`;
      expect(statements).toHaveLength(1);
    } finally {
      await database.close();
    }
  });
});
