import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  appliedMigrationNames,
  applyPendingMigrations,
  createMigration,
  diffMigrationsToSchema,
  MigrationError,
  type MigrationProject,
} from "../../../src/shared/db/migrations.js";
import { createTestDatabase, type TestDatabase } from "../../support/test-database.js";

const SCHEMA_HEAD = `generator client {\n  provider = "prisma-client"\n  output   = "./generated"\n}\n\ndatasource db {\n  provider = "postgresql"\n}\n`;
const WIDGET = `\nmodel Widget {\n  id   Int    @id\n  name String\n\n  @@map("widgets")\n}\n`;
const WIDGET_WITH_NOTE = WIDGET.replace("name String", "name String\n  note String?");

let project: MigrationProject;
let scratch: string;
const databases: TestDatabase[] = [];

async function freshDatabase() {
  const database = await createTestDatabase({ migrate: false });
  databases.push(database);
  return database;
}

beforeEach(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "ishtirak-migrations-"));
  project = { schemaPath: path.join(scratch, "schema.prisma"), migrationsDirectory: path.join(scratch, "migrations") };
  await mkdir(project.migrationsDirectory);
  await writeFile(path.join(project.migrationsDirectory, "migration_lock.toml"), 'provider = "postgresql"\n');
});

afterEach(async () => {
  await Promise.all(databases.splice(0).map((database) => database.drop()));
  await rm(scratch, { recursive: true, force: true });
});

// Each test starts the schema engine (WebAssembly) and throwaway PGlite databases: 10–22 s
// alone on the 2-core machine, past the suite's 30 s default when other files share the cores.
describe("Prisma migrations through the WASM schema engine", { timeout: 120_000 }, () => {
  it("writes a migration from the schema diff, then reports no drift", async () => {
    await writeFile(project.schemaPath, SCHEMA_HEAD + WIDGET);
    expect(await diffMigrationsToSchema(project)).toContain('CREATE TABLE "widgets"');

    const directory = await createMigration("add_widgets", { project, now: new Date("2026-11-25T08:09:10Z") });
    expect(path.basename(directory ?? "")).toBe("20261125080910_add_widgets");
    expect(await readFile(path.join(directory ?? "", "migration.sql"), "utf8")).toContain('CREATE TABLE "widgets"');
    expect(await diffMigrationsToSchema(project)).toBe("");
    expect(await createMigration("nothing_new", { project, now: new Date("2026-11-25T09:00:00Z") })).toBeUndefined();
  });

  it("reports drift when the schema changes without a migration, and only the change", async () => {
    await writeFile(project.schemaPath, SCHEMA_HEAD + WIDGET);
    await createMigration("add_widgets", { project, now: new Date("2026-11-25T08:00:00Z") });
    await writeFile(project.schemaPath, SCHEMA_HEAD + WIDGET_WITH_NOTE);
    const drift = await diffMigrationsToSchema(project);
    expect(drift).toContain('ALTER TABLE "widgets" ADD COLUMN');
    expect(drift).not.toContain("CREATE TABLE");
  });

  it("applies pending migrations in order, once, with the standard history table", async () => {
    await writeFile(project.schemaPath, SCHEMA_HEAD + WIDGET);
    await createMigration("add_widgets", { project, now: new Date("2026-11-25T08:00:00Z") });
    await writeFile(project.schemaPath, SCHEMA_HEAD + WIDGET_WITH_NOTE);
    await createMigration("add_widget_note", { project, now: new Date("2026-11-25T09:00:00Z") });

    const database = await freshDatabase();
    expect(await applyPendingMigrations(database, project)).toEqual([
      "20261125080000_add_widgets",
      "20261125090000_add_widget_note",
    ]);
    expect(await applyPendingMigrations(database, project)).toEqual([]);
    expect([...(await appliedMigrationNames(database))].sort()).toEqual([
      "20261125080000_add_widgets",
      "20261125090000_add_widget_note",
    ]);
    await database.prisma.$executeRaw`INSERT INTO widgets (id, name, note) VALUES (1, 'w', 'n')`;
    const rows = await database.prisma.$queryRaw<{ checksum: string }[]>`SELECT checksum FROM _prisma_migrations`;
    expect(rows.every((row) => /^[0-9a-f]{64}$/.test(row.checksum))).toBe(true);
  });

  it("fails loudly on a migration whose SQL fails, and does not record it as applied", async () => {
    await writeFile(project.schemaPath, SCHEMA_HEAD);
    const broken = path.join(project.migrationsDirectory, "20261125080000_broken");
    await mkdir(broken);
    await writeFile(
      path.join(broken, "migration.sql"),
      "CREATE TABLE ok_table (id int);\nSELECT no_such_function();\n",
    );

    const database = await freshDatabase();
    await expect(applyPendingMigrations(database, project)).rejects.toThrow(MigrationError);
    expect(await appliedMigrationNames(database)).toEqual(new Set());
  });

  it("applies a script whole: function bodies with semicolons, atomically", async () => {
    await writeFile(project.schemaPath, SCHEMA_HEAD);
    const withFunction = path.join(project.migrationsDirectory, "20261125080000_function");
    await mkdir(withFunction);
    await writeFile(
      path.join(withFunction, "migration.sql"),
      "CREATE FUNCTION twice(x int) RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n  x := x * 2;\n  RETURN x;\nEND\n$$;\nCREATE TABLE uses_it (note text DEFAULT 'a;b');\n",
    );
    const database = await freshDatabase();
    expect(await applyPendingMigrations(database, project)).toEqual(["20261125080000_function"]);
    expect(await database.prisma.$queryRawUnsafe("SELECT twice(21) AS doubled")).toEqual([{ doubled: 42 }]);

    const halfBroken = path.join(project.migrationsDirectory, "20261125090000_half_broken");
    await mkdir(halfBroken);
    await writeFile(
      path.join(halfBroken, "migration.sql"),
      "CREATE TABLE first_half (id int);\nSELECT no_such_function();\n",
    );
    await expect(applyPendingMigrations(database, project)).rejects.toThrow(MigrationError);
    const tables = await database.prisma.$queryRawUnsafe<{ name: string | null }[]>(
      "SELECT to_regclass('first_half')::text AS name",
    );
    expect(tables).toEqual([{ name: null }]);
  });

  it("the project's own migrations match its schema", async () => {
    expect(await diffMigrationsToSchema()).toBe("");
    const directories = (
      await readdir(path.join(import.meta.dirname, "../../../prisma/migrations"), { withFileTypes: true })
    )
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    for (const name of directories) expect(name).toMatch(/^\d{14}_[a-z0-9_]+$/);
  });
});
