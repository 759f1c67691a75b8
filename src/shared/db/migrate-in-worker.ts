import { Worker } from "node:worker_threads";
import { MigrationError } from "./migrations.js";

/**
 * Applies pending migrations to a PostgreSQL database from a worker thread. Prisma's schema
 * engine is ~50 MB of WebAssembly that a process cannot unload; run in a worker, most of it is
 * freed when the worker exits (main.ts starts it only when a migration is pending). (PGlite
 * lives inside the process, so its migrations run in the main thread.)
 */
export function applyPendingMigrationsInWorker(url: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    // Run from TypeScript sources (npm start uses tsx), the worker must register tsx's loader
    // in its own thread before importing the module: Node 20 does not carry the parent's hooks.
    const isTypeScript = import.meta.url.endsWith(".ts");
    const moduleUrl = new URL(`./migration-worker.${isTypeScript ? "ts" : "js"}`, import.meta.url).href;
    const entry = isTypeScript
      ? `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(moduleUrl)}); });`
      : `import(${JSON.stringify(moduleUrl)});`;
    const worker = new Worker(entry, {
      eval: true,
      workerData: { url },
    });
    worker.once("message", (answer: { applied?: string[]; error?: string }) => {
      // The work is done and its connections closed; idle timers (pg's pool keeps an idle
      // client for 10 s) must not hold start-up, so the thread is stopped here.
      void worker.terminate();
      if (answer.applied) resolve(answer.applied);
      else reject(new MigrationError(answer.error ?? "the migration worker failed"));
    });
    worker.once("error", reject);
    worker.once("exit", (code) =>
      reject(new MigrationError(`the migration worker exited (${code}) without an answer`)),
    );
  });
}
