import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { applyPendingMigrations, defaultMigrationProject } from "../../src/shared/db/migrations.js";
import { createTestDatabase, type TestDatabase } from "./test-database.js";

/**
 * A test database migrated up to the migration before `migrationName`, for a test that puts in
 * the rows an older version left and then checks what the migration makes of them.
 * `fromThisOn` lists the migration and the ones after it, as applyPendingMigrations will apply them.
 */
export async function databaseBeforeMigration(
  migrationName: string,
): Promise<{ database: TestDatabase; fromThisOn: string[]; drop(): Promise<void> }> {
  const earlier = await mkdtemp(path.join(tmpdir(), `ishtirak-before-${migrationName}-`));
  const entries = await readdir(defaultMigrationProject.migrationsDirectory);
  const migration = entries.find((entry) => entry.endsWith(`_${migrationName}`));
  if (!migration) throw new Error(`no ${migrationName} migration`);
  const fromThisOn = entries.filter((entry) => /^\d{14}_/.test(entry) && entry >= migration).sort();
  // Migrations are named by their time: the ones from this one on are left out (later ones may
  // change what it creates), the lock file is kept.
  for (const entry of entries) {
    if (fromThisOn.includes(entry)) continue;
    await cp(path.join(defaultMigrationProject.migrationsDirectory, entry), path.join(earlier, entry), {
      recursive: true,
    });
  }
  const database = await createTestDatabase({ migrate: false });
  await applyPendingMigrations(database, { ...defaultMigrationProject, migrationsDirectory: earlier });
  return {
    database,
    fromThisOn,
    drop: async () => {
      await database.drop();
      await rm(earlier, { recursive: true, force: true });
    },
  };
}
