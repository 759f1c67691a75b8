import type { Config } from "../config.js";
import type { Clock } from "../shared/clock.js";
import type { PrismaClient } from "../shared/db/database.js";
import type { Logger } from "../shared/logger.js";
import { createWebhookService } from "../webhooks/service.js";
import { createReconciliation } from "./reconciliation.js";
import { createPaymentRecorder } from "./record.js";
import { createStripeGateway, type StripeConnection } from "./stripe-gateway.js";

/** What both the HTTP app and the scheduled jobs need to turn Stripe's reports into ledger facts. */
export function createStripeProcessing(deps: {
  db: PrismaClient;
  clock: Clock;
  logger: Logger;
  stripe: StripeConnection;
  workers: number;
  /** Start applying an event as soon as it is stored (default), or leave it to the sweep. */
  applyOnReceipt?: boolean;
}) {
  const gateway = createStripeGateway(deps.stripe.client);
  const recorder = createPaymentRecorder(deps);
  const webhooks = createWebhookService({ ...deps, gateway, recorder });
  const reconciliation = createReconciliation({ db: deps.db, clock: deps.clock, gateway });
  return { gateway, recorder, webhooks, reconciliation };
}

export type StripeProcessing = ReturnType<typeof createStripeProcessing>;

/** The processing a service process runs, as its configuration sets it. */
export function createStripeProcessingFor(deps: {
  db: PrismaClient;
  clock: Clock;
  logger: Logger;
  stripe: StripeConnection;
  config: Config;
}): StripeProcessing {
  return createStripeProcessing({
    db: deps.db,
    clock: deps.clock,
    logger: deps.logger,
    stripe: deps.stripe,
    workers: deps.config.payments.webhookWorkers,
    applyOnReceipt: deps.config.payments.applyOnReceipt,
  });
}
