import { randomUUID } from "node:crypto";
import pg from "pg";
import { type Database, openPgliteDatabase, openPostgresDatabase } from "../../src/shared/db/database.js";
import { applyPendingMigrations, type MigrationProject } from "../../src/shared/db/migrations.js";

/** `schema`: on PostgreSQL, the schema this file's tables live in (for a client of its own). */
export type TestDatabase = Database & { schema: string | undefined; drop(): Promise<void> };

export function testDatabaseKind(): "postgresql" | "pglite" {
  return process.env.DATABASE_URL ? "postgresql" : "pglite";
}

/**
 * A database of its own for one test file, with the project's migrations applied through
 * the same code as start-up: a fresh in-memory PGlite, or on PostgreSQL (DATABASE_URL) a
 * fresh schema that `drop()` removes.
 */
export async function createTestDatabase(
  options: { project?: MigrationProject; migrate?: boolean } = {},
): Promise<TestDatabase> {
  const url = process.env.DATABASE_URL;
  let database: Database;
  let dropSchema = async () => {};
  let schema: string | undefined;
  if (url) {
    schema = `test_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
    await withAdminClient(url, (client) => client.query(`CREATE SCHEMA "${schema}"`));
    database = await openPostgresDatabase({ url, poolMax: 4, schema });
    dropSchema = async () => {
      await withAdminClient(url, (client) => client.query(`DROP SCHEMA "${schema}" CASCADE`));
    };
  } else {
    database = await openPgliteDatabase();
  }
  if (options.migrate !== false) await applyPendingMigrations(database, options.project);
  return Object.assign(database, {
    schema,
    async drop() {
      await database.close();
      await dropSchema();
    },
  });
}

async function withAdminClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
