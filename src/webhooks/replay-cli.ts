import { loadConfig } from "../config.js";
import { createStripeProcessing } from "../payments/processing.js";
import { createStripeClient, type StripeConnection } from "../payments/stripe-gateway.js";
import { systemClock } from "../shared/clock.js";
import { openConfiguredDatabase } from "../shared/db/open-configured-database.js";
import { createLogger } from "../shared/logger.js";

/**
 * npm run webhooks:replay [-- --since 2026-11-01] [--type charge.refunded]
 *
 * Applies stored Stripe events again, oldest first, after a bug fix: every fact is keyed by
 * Stripe's ids, so what was recorded stays as it is and only what was missed is added. It
 * uses the configured database and Stripe (with no STRIPE_SECRET_KEY, the stand-in of a
 * running service at LOCAL_STRIPE_PORT). PGlite has one process: stop the service first, or
 * call POST /v1/stripe-events/replay on it instead.
 */
function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? process.argv[index + 1] : undefined;
}

async function replay(): Promise<number> {
  const config = loadConfig(process.env);
  const logger = createLogger({ level: config.logLevel });
  const settings = config.payments.stripe;
  const stripe: StripeConnection =
    settings.mode === "stripe"
      ? {
          client: createStripeClient({
            secretKey: settings.secretKey,
            apiUrl: settings.apiUrl,
            rates: settings.rates,
          }),
          webhookSecret: settings.webhookSecret,
          mode: "stripe",
        }
      : {
          client: createStripeClient({
            secretKey: "sk_test_local_ishtirak_stand_in",
            local: { host: "127.0.0.1", port: settings.port },
          }),
          webhookSecret: settings.webhookSecret,
          mode: "local",
        };
  const database = await openConfiguredDatabase(config);
  try {
    const { webhooks } = createStripeProcessing({
      db: database.prisma,
      clock: systemClock,
      logger,
      stripe,
      workers: 1,
    });
    const since = option("since");
    const totals = await webhooks.replay({
      since: since ? new Date(`${since}T00:00:00+03:00`) : undefined,
      type: option("type"),
    });
    console.log(JSON.stringify(totals));
    return totals.failed > 0 ? 1 : 0;
  } finally {
    await database.close();
  }
}

replay().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`ishtirak: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
