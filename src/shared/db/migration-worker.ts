import { parentPort, workerData } from "node:worker_threads";
import { openPostgresDatabase } from "./database.js";
import { applyPendingMigrations } from "./migrations.js";

/** Runs in a worker thread: see applyPendingMigrationsInWorker. */
const { url } = workerData as { url: string };
const database = await openPostgresDatabase({ url, poolMax: 1 });
let answer: { applied: string[] } | { error: string };
try {
  answer = { applied: await applyPendingMigrations(database) };
} catch (error) {
  answer = { error: error instanceof Error ? error.message : String(error) };
}
await database.close();
parentPort?.postMessage(answer);
