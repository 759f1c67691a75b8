import { generateKeyPairSync, randomUUID } from "node:crypto";
import { serve } from "@hono/node-server";
import pg from "pg";
import { createApp } from "../src/app.js";
import { signerFromPrivateKey } from "../src/certificates/signing.js";
import { LOCAL_STRIPE_WEBHOOK_SECRET, loadConfig } from "../src/config.js";
import { startLocalStripe } from "../src/payments/local-stripe/start.js";
import type { StripeConnection } from "../src/payments/stripe-gateway.js";
import { monotonicMilliseconds, systemClock } from "../src/shared/clock.js";
import type { Database } from "../src/shared/db/database.js";
import { migrationNames } from "../src/shared/db/migrations.js";
import { createLogger } from "../src/shared/logger.js";

/** The PostgreSQL server benchmarks run against; each benchmark makes its own database in it. */
export function benchmarkServerUrl(): string {
  return process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
}

export async function isServerReachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** A throwaway database on the benchmark server, dropped by the returned function. */
export async function createScratchDatabase(label: string): Promise<{ url: string; drop(): Promise<void> }> {
  const serverUrl = new URL(benchmarkServerUrl());
  const name = `ishtirak_bench_${label}_${randomUUID().replaceAll("-", "").slice(0, 8)}`;
  const admin = new pg.Client({ connectionString: serverUrl.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const dropper = new pg.Client({ connectionString: serverUrl.toString() });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
}

export async function timed<T>(work: () => Promise<T>): Promise<{ result: T; milliseconds: number }> {
  const started = monotonicMilliseconds();
  const result = await work();
  return { result, milliseconds: monotonicMilliseconds() - started };
}

export function printFigure(benchmark: string, figure: string, value: string): void {
  console.log(`${benchmark.padEnd(28)} ${figure.padEnd(44)} ${value}`);
}

/**
 * The real application over an embedded database, on a loopback port in this process (the
 * PGlite figures: PGlite lives in the serving process).
 */
export async function serveInProcess(
  database: Database,
  options: { environment?: Record<string, string>; stripe?: StripeConnection } = {},
): Promise<{ baseUrl: string; close(): void }> {
  const config = loadConfig({ LOG_LEVEL: "warn", ...options.environment });
  const localStripe = options.stripe
    ? undefined
    : await startLocalStripe({ port: 0, webhookSecret: LOCAL_STRIPE_WEBHOOK_SECRET });
  const app = createApp({
    db: database.prisma,
    readText: database.readText,
    clock: systemClock,
    config,
    logger: createLogger({ level: "warn" }),
    expectedMigrations: await migrationNames(),
    stripe: options.stripe ?? (localStripe as NonNullable<typeof localStripe>).connection,
    certificateSigner: signerFromPrivateKey(generateKeyPairSync("ed25519").privateKey),
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(started));
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () => {
      server.close();
      void localStripe?.close();
    },
  };
}
