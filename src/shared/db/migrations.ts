import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from "@prisma/driver-adapter-utils";
import type { MigrationList, SchemaEngine, SchemaFilter } from "@prisma/schema-engine-wasm";
import { type Database, openPgliteDatabase } from "./database.js";

/**
 * Prisma migrations without Prisma's native schema engine: the CLI's `migrate` commands
 * download a binary that these machines cannot reach, so Ishtirak drives the same engine
 * compiled to WASM (@prisma/schema-engine-wasm, pinned to the release matching prisma 7.10).
 * It reads `prisma/migrations/<timestamp>_<name>/migration.sql`, keeps the standard
 * `_prisma_migrations` table with the CLI's checksums, and writes new migrations from the
 * schema diff. See ../shared/notes/prisma-offline.md.
 */

/** The folder holding prisma/: three levels up from src/shared/db, or from dist/shared/db plus one. */
function findProjectRoot(): string {
  let directory = path.dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth += 1) {
    if (existsSync(path.join(directory, "prisma", "schema.prisma"))) return directory;
    directory = path.dirname(directory);
  }
  throw new Error("prisma/schema.prisma not found above the migrations module");
}

const projectRoot = findProjectRoot();

export type MigrationProject = {
  schemaPath: string;
  migrationsDirectory: string;
};

export const defaultMigrationProject: MigrationProject = {
  schemaPath: path.join(projectRoot, "prisma", "schema.prisma"),
  migrationsDirectory: path.join(projectRoot, "prisma", "migrations"),
};

const noFilters: SchemaFilter = { externalTables: [], externalEnums: [] };
const MIGRATION_FILE = "migration.sql";
const LOCK_FILE = "migration_lock.toml";

type SchemaEngineModule = typeof import("@prisma/schema-engine-wasm");
let schemaEngineModule: Promise<SchemaEngineModule["SchemaEngine"]> | undefined;

/**
 * The package's entry imports the .wasm file as an ES module, which Node 20 refuses; its
 * bindings module is loaded instead and given the instantiated WebAssembly by hand.
 */
function loadSchemaEngine(): Promise<SchemaEngineModule["SchemaEngine"]> {
  schemaEngineModule ??= (async () => {
    const bindings = await import("@prisma/schema-engine-wasm/schema_engine_bg");
    const require = createRequire(import.meta.url);
    const wasmPath = path.join(
      path.dirname(require.resolve("@prisma/schema-engine-wasm/schema_engine_bg")),
      "schema_engine_bg.wasm",
    );
    const { instance } = await WebAssembly.instantiate(await readFile(wasmPath), {
      "./schema_engine_bg.js": bindings as unknown as WebAssembly.ModuleImports,
    });
    const exports = instance.exports as WebAssembly.Exports & { __wbindgen_start?: () => void };
    (bindings as unknown as { __wbg_set_wasm(value: unknown): void }).__wbg_set_wasm(exports);
    exports.__wbindgen_start?.();
    return bindings.SchemaEngine as SchemaEngineModule["SchemaEngine"];
  })();
  return schemaEngineModule;
}

async function withSchemaEngine<T>(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  schemaText: string,
  use: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  const SchemaEngineClass = await loadSchemaEngine();
  const connections = trackConnections(adapterFactory);
  try {
    const engine = await SchemaEngineClass.new(
      { datamodels: [["schema.prisma", schemaText]] },
      () => {},
      bindMigrationAwareSqlAdapterFactory(connections.factory),
    );
    try {
      return await use(engine);
    } finally {
      engine.free();
    }
  } catch (error) {
    throw new MigrationError(schemaEngineMessage(error));
  } finally {
    await connections.disposeAll();
  }
}

/**
 * The engine holds Prisma's migration advisory lock for as long as its connection lives and
 * never disposes the connections it opens (the CLI simply exits). Closing them here releases
 * the lock, so the next migrator on the same PostgreSQL server does not wait for it.
 */
function trackConnections(factory: SqlMigrationAwareDriverAdapterFactory) {
  const opened: SqlDriverAdapter[] = [];
  const remember = (adapter: SqlDriverAdapter) => {
    opened.push(adapter);
    return adapter;
  };
  return {
    factory: {
      provider: factory.provider,
      adapterName: factory.adapterName,
      connect: async () => remember(await factory.connect()),
      connectToShadowDb: async () => remember(await factory.connectToShadowDb()),
    } satisfies SqlMigrationAwareDriverAdapterFactory,
    async disposeAll() {
      await Promise.allSettled(opened.map((adapter) => adapter.dispose()));
    },
  };
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MigrationError";
  }
}

/** The engine throws JSON-encoded errors; keep the readable part. */
function schemaEngineMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  try {
    const parsed = JSON.parse(text) as { message?: string; error_code?: string };
    return parsed.message ? `${parsed.error_code ? `${parsed.error_code}: ` : ""}${parsed.message}` : text;
  } catch {
    return text;
  }
}

export async function readMigrationList(project: MigrationProject = defaultMigrationProject): Promise<MigrationList> {
  const entries = await readdir(project.migrationsDirectory, { withFileTypes: true });
  const directories = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const lockPath = path.join(project.migrationsDirectory, LOCK_FILE);
  return {
    baseDir: project.migrationsDirectory,
    lockfile: { path: LOCK_FILE, content: await readFile(lockPath, "utf8").catch(() => null) },
    shadowDbInitScript: "",
    migrationDirectories: await Promise.all(
      directories.map(async (directory) => {
        const file = path.join(project.migrationsDirectory, directory, MIGRATION_FILE);
        const content = await readFile(file, "utf8").then(
          (value) => ({ tag: "ok" as const, value }),
          (error: unknown) => ({ tag: "error" as const, value: String(error) }),
        );
        return { path: directory, migrationFile: { path: MIGRATION_FILE, content } };
      }),
    ),
  };
}

export async function migrationNames(project: MigrationProject = defaultMigrationProject): Promise<string[]> {
  return (await readMigrationList(project)).migrationDirectories.map((directory) => directory.path);
}

/** Applies every migration not yet in `_prisma_migrations`; returns the names applied now. */
export async function applyPendingMigrations(
  database: Pick<Database, "migrationAdapter">,
  project: MigrationProject = defaultMigrationProject,
): Promise<string[]> {
  const [schemaText, migrationsList] = await Promise.all([
    readFile(project.schemaPath, "utf8"),
    readMigrationList(project),
  ]);
  const output = await withSchemaEngine(database.migrationAdapter, schemaText, (engine) =>
    engine.applyMigrations({ migrationsList, filters: noFilters }),
  );
  return output.appliedMigrationNames;
}

/**
 * The SQL that would bring a database built from the migrations to the schema: empty when
 * they agree, so a non-empty answer is drift. Runs on throwaway in-memory PGlite databases.
 */
export async function diffMigrationsToSchema(project: MigrationProject = defaultMigrationProject): Promise<string> {
  const [schemaText, migrationsList] = await Promise.all([
    readFile(project.schemaPath, "utf8"),
    readMigrationList(project),
  ]);
  return withThrowawayPglite((adapterFactory) =>
    withSchemaEngine(adapterFactory, schemaText, async (engine) => {
      const result = await engine.diff({
        from: { tag: "migrations", ...migrationsList },
        to: { tag: "schemaDatamodel", files: [{ path: project.schemaPath, content: schemaText }] },
        script: true,
        exitCode: true,
        filters: noFilters,
      });
      return result.exitCode === 0 ? "" : (result.stdout ?? "").trim();
    }),
  );
}

/**
 * Writes `<timestamp>_<name>/migration.sql` from the difference between the migrations and
 * the schema, as `prisma migrate dev --create-only` would. Returns the new directory, or
 * undefined when there is nothing to migrate.
 */
export async function createMigration(
  name: string,
  options: { project?: MigrationProject; now: Date },
): Promise<string | undefined> {
  const project = options.project ?? defaultMigrationProject;
  if (!/^[a-z0-9_]+$/.test(name)) throw new MigrationError("a migration name is lower-case letters, digits and _");
  const sql = await diffMigrationsToSchema(project);
  if (sql === "") return undefined;
  const directory = path.join(project.migrationsDirectory, `${migrationTimestamp(options.now)}_${name}`);
  await mkdir(directory, { recursive: true });
  await writeFile(path.join(directory, MIGRATION_FILE), `${sql}\n`);
  const lockPath = path.join(project.migrationsDirectory, LOCK_FILE);
  await readFile(lockPath).catch(() => writeFile(lockPath, 'provider = "postgresql"\n'));
  return directory;
}

/** Prisma's directory prefix: UTC yyyyMMddHHmmss. */
function migrationTimestamp(instant: Date): string {
  return instant.toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

async function withThrowawayPglite<T>(use: (factory: SqlMigrationAwareDriverAdapterFactory) => Promise<T>): Promise<T> {
  const database = await openPgliteDatabase();
  try {
    return await use(database.migrationAdapter);
  } finally {
    await database.close();
  }
}

/**
 * The expected migrations the database has not finished applying (all of them when it has no
 * migrations table yet). One query: a restart with nothing to apply needs no schema engine.
 */
export async function pendingMigrationNames(
  database: Pick<Database, "prisma">,
  expected: readonly string[],
): Promise<string[]> {
  const hasTable = await database.prisma.$queryRaw<{ exists: boolean }[]>`
    SELECT to_regclass('_prisma_migrations') IS NOT NULL AS exists`;
  if (!hasTable[0]?.exists) return [...expected];
  const applied = await appliedMigrationNames(database);
  return expected.filter((name) => !applied.has(name));
}

/** Names of the migrations the database has finished applying, for readiness. */
export async function appliedMigrationNames(database: Pick<Database, "prisma">): Promise<Set<string>> {
  const rows = await database.prisma.$queryRaw<{ migration_name: string }[]>`
    SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`;
  return new Set(rows.map((row) => row.migration_name));
}
