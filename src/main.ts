import http from "node:http";
import { serve } from "@hono/node-server";
import { createApp } from "./app.js";
import { createAuthService } from "./auth/service.js";
import { loadCertificateSigner } from "./certificates/signing.js";
import { ConfigError, loadConfig } from "./config.js";
import { scheduleJobs } from "./jobs/schedule.js";
import { createMetrics } from "./metrics/registry.js";
import { deliverOverHttp, startLocalStripe } from "./payments/local-stripe/start.js";
import { createStripeProcessingFor } from "./payments/processing.js";
import { createStripeClient, type StripeConnection } from "./payments/stripe-gateway.js";
import { monotonicMilliseconds, systemClock } from "./shared/clock.js";
import { DatabaseUnreachableError } from "./shared/db/database.js";
import { applyPendingMigrationsInWorker } from "./shared/db/migrate-in-worker.js";
import {
  applyPendingMigrations,
  MigrationError,
  migrationNames,
  pendingMigrationNames,
} from "./shared/db/migrations.js";
import { openConfiguredDatabase } from "./shared/db/open-configured-database.js";
import { createLogger } from "./shared/logger.js";
import { storedEventsChannel } from "./webhooks/repository.js";

/**
 * Process entry: the only place that wires real dependencies. Configuration, database,
 * pending migrations (through the same code as `npm run db:migrate`), then HTTP.
 */
async function startService(): Promise<void> {
  const started = monotonicMilliseconds();
  const config = loadConfig(process.env);
  const logger = createLogger({ level: config.logLevel });
  const database = await openConfiguredDatabase(config);
  const expectedMigrations = await migrationNames();
  // On PostgreSQL the schema engine (WebAssembly, ~40 MB the process keeps even after its worker
  // ends) is only started when something is pending; a plain restart skips it.
  const applied =
    config.database.kind === "postgresql"
      ? (await pendingMigrationNames(database, expectedMigrations)).length > 0
        ? await applyPendingMigrationsInWorker(config.database.url)
        : []
      : await applyPendingMigrations(database);
  if (applied.length > 0) logger.info({ migrations: applied }, "applied pending migrations");

  if (config.bootstrapAdmin) {
    const created = await createAuthService({ db: database.prisma, clock: systemClock }).ensureBootstrapAdmin(
      config.bootstrapAdmin,
    );
    if (created) logger.info({ email: config.bootstrapAdmin.email }, "created the first agency admin");
  }

  // Without a Stripe key, payments go to the local stand-in, which posts its signed events
  // back to this service's webhook endpoint.
  let serviceUrl = `http://127.0.0.1:${config.port}`;
  const stripeSettings = config.payments.stripe;
  const localStripe =
    stripeSettings.mode === "local"
      ? await startLocalStripe({
          port: stripeSettings.port,
          webhookSecret: stripeSettings.webhookSecret,
          deliver: deliverOverHttp(() => `${serviceUrl}/webhooks/stripe`),
        })
      : undefined;
  const stripe: StripeConnection =
    stripeSettings.mode === "stripe"
      ? {
          client: createStripeClient({
            secretKey: stripeSettings.secretKey,
            apiUrl: stripeSettings.apiUrl,
            rates: stripeSettings.rates,
          }),
          webhookSecret: stripeSettings.webhookSecret,
          mode: "stripe",
        }
      : (localStripe as NonNullable<typeof localStripe>).connection;
  if (localStripe)
    logger.info({ url: localStripe.url }, "no STRIPE_SECRET_KEY: payments use the local Stripe stand-in");

  const stripeProcessing = createStripeProcessingFor({
    db: database.prisma,
    clock: systemClock,
    logger,
    stripe,
    config,
  });
  const metrics = createMetrics({ db: database.prisma, clock: systemClock, processMetrics: true });
  const app = createApp({
    db: database.prisma,
    clock: systemClock,
    config,
    logger,
    metrics,
    expectedMigrations,
    openSnapshot: database.openSnapshot,
    readText: database.readText,
    stripe,
    stripeProcessing,
    certificateSigner: loadCertificateSigner(config.certificates.signingKey, config.certificates.retiredPublicKeysPem),
  });

  const jobs = scheduleJobs({
    db: database.prisma,
    clock: systemClock,
    logger,
    config,
    stripe: stripeProcessing,
    embedded: database.pglite,
    metrics,
  });
  // A process that applies events hears at once when another one stores some (a web process
  // with WEBHOOK_APPLY_ON_RECEIPT=false, the Worker entry), instead of at its next sweep.
  const storedEvents =
    config.payments.applyOnReceipt && database.listen
      ? database.listen(storedEventsChannel, {
          onNotification: () => stripeProcessing.webhooks.wake(),
          onError: (error) => logger.warn({ err: error }, "listening for stored Stripe events: reconnecting"),
        })
      : undefined;

  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (address) => {
    serviceUrl = `http://127.0.0.1:${address.port}`;
    const host = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
    const startupMs = Math.round(monotonicMilliseconds() - started);
    console.log(
      `Ishtirak listening on http://${host}:${address.port} (database: ${database.description}; ready in ${startupMs} ms)`,
    );
    logger.info({ port: address.port, database: database.description, startupMs }, "listening");
  });
  // Idle keep-alive connections outlive the idle timeout of whatever proxies to the service; the
  // time allowed for a request's headers must be longer still, or it would close them first.
  const httpServer = server instanceof http.Server ? server : undefined;
  if (httpServer) {
    httpServer.keepAliveTimeout = config.keepAliveTimeoutMs;
    httpServer.headersTimeout = config.keepAliveTimeoutMs + 1_000;
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping");
    jobs.stop();
    const listening = storedEvents?.close();
    void localStripe?.close();
    server.close(() => {
      Promise.all([listening, database.close()]).then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
    // close() ends the connections idle at this moment; one answering a request now would be
    // kept open after its answer for the keep-alive timeout, holding the stop up to 65 s.
    if (httpServer) setInterval(() => httpServer.closeIdleConnections(), 100).unref();
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

startService().catch((error: unknown) => {
  const explained =
    error instanceof ConfigError || error instanceof DatabaseUnreachableError || error instanceof MigrationError;
  const message = error instanceof Error ? error.message : String(error);
  console.error(`ishtirak: ${explained ? message : `failed to start: ${message.split("\n")[0]}`}`);
  process.exit(1);
});
