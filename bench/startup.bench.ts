import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { openPgliteDatabase, openPostgresDatabase } from "../src/shared/db/database.js";
import { applyPendingMigrations, migrationNames } from "../src/shared/db/migrations.js";
import { startService } from "../test/support/service-process.js";
import { createScratchDatabase, printFigure, timed } from "./support.js";

/** Start-up to ready, and the time to apply every migration to an empty database. */
export async function benchmarkStartup(options: { postgres: boolean }): Promise<void> {
  const migrationCount = (await migrationNames()).length;
  printFigure("startup", "migrations shipped", String(migrationCount));

  const pglite = await openPgliteDatabase();
  const pgliteMigrations = await timed(() => applyPendingMigrations(pglite));
  await pglite.close();
  printFigure("startup", "apply all migrations, PGlite (in memory)", `${pgliteMigrations.milliseconds.toFixed(0)} ms`);

  const dataDirectory = await mkdtemp(path.join(tmpdir(), "ishtirak-bench-"));
  try {
    printFigure(
      "startup",
      "process start to ready, PGlite, empty data dir",
      await startToReady({ DATA_DIR: dataDirectory }),
    );
    printFigure(
      "startup",
      "process start to ready, PGlite, existing data",
      await startToReady({ DATA_DIR: dataDirectory }),
    );
  } finally {
    await rm(dataDirectory, { recursive: true, force: true });
  }

  if (!options.postgres) return;
  const scratch = await createScratchDatabase("startup");
  try {
    const postgres = await openPostgresDatabase({ url: scratch.url, poolMax: 2 });
    const postgresMigrations = await timed(() => applyPendingMigrations(postgres));
    await postgres.close();
    printFigure("startup", "apply all migrations, PostgreSQL", `${postgresMigrations.milliseconds.toFixed(0)} ms`);
    printFigure("startup", "process start to ready, PostgreSQL", await startToReady({ DATABASE_URL: scratch.url }));
  } finally {
    await scratch.drop();
  }
}

/** Wall time from spawning `src/main.ts` to the first 200 from /readyz. */
async function startToReady(environment: Record<string, string>): Promise<string> {
  const { result: service, milliseconds } = await timed(async () => {
    const running = await startService({ ...environment, LOG_LEVEL: "warn" }, { entry: "build" });
    const response = await fetch(`${running.url}/readyz`);
    if (response.status !== 200) throw new Error(`not ready: ${response.status}`);
    return running;
  });
  const reported = /ready in (\d+) ms/.exec(service.firstLine)?.[1];
  await service.stop();
  return `${milliseconds.toFixed(0)} ms (in-process: ${reported} ms)`;
}
