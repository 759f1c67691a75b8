import { Scalar } from "@scalar/hono-api-reference";
import { SESSION_COOKIE } from "./auth/middleware.js";
import { authRoutes } from "./auth/routes.js";
import { createAuthService } from "./auth/service.js";
import { createSessionStore } from "./auth/sessions.js";
import { billingRoutes } from "./billing/routes.js";
import { createBillingService } from "./billing/service.js";
import { certificateRoutes } from "./certificates/routes.js";
import { createCertificateService } from "./certificates/service.js";
import type { CertificateSigner } from "./certificates/signing.js";
import type { Config } from "./config.js";
import { createEmployeeUploader } from "./employees/bulk/upload-employees.js";
import { employeeRoutes } from "./employees/routes.js";
import { createEmployeeService } from "./employees/service.js";
import { requireEstablishmentCaller } from "./employers/middleware.js";
import { employerRoutes } from "./employers/routes.js";
import { createEmployerService } from "./employers/service.js";
import { exportRoutes } from "./exports/routes.js";
import { createExportService } from "./exports/service.js";
import { fineRoutes } from "./fines/routes.js";
import { createFineService } from "./fines/service.js";
import { healthRoutes } from "./health/routes.js";
import { honourIdempotencyKeys } from "./idempotency/middleware.js";
import { invoiceRoutes } from "./invoices/routes.js";
import { createInvoiceService } from "./invoices/service.js";
import { ledgerRoutes } from "./ledger/routes.js";
import { createLedgerService } from "./ledger/service.js";
import { configuredSmsSender } from "./messaging/configured.js";
import { createLogEmailSender, type SmsSender } from "./messaging/senders.js";
import { createMessaging } from "./messaging/service.js";
import { createMetrics, type Metrics } from "./metrics/registry.js";
import { metricsRoutes } from "./metrics/routes.js";
import { createStripeProcessingFor, type StripeProcessing } from "./payments/processing.js";
import { paymentRoutes } from "./payments/routes.js";
import { createPaymentService } from "./payments/service.js";
import type { StripeConnection } from "./payments/stripe-gateway.js";
import type { PortalContext } from "./portal/context.js";
import { isPortalPath, pageNotFound, portalRoutes } from "./portal/routes.js";
import { BusinessDate } from "./shared/business-date.js";
import type { Clock } from "./shared/clock.js";
import type { OpenSnapshot, PrismaClient, ReadText } from "./shared/db/database.js";
import {
  answerMethodNotAllowed,
  answerRouteNotFound,
  createRouter,
  limitBodySize,
  renderError,
  tagAndLogRequests,
} from "./shared/http.js";
import type { Logger } from "./shared/logger.js";
import { type CaptchaGenerator, createCaptchaStore, svgCaptchaGenerator } from "./subscribers/captcha.js";
import { createSubscriberInquiries } from "./subscribers/inquiry-service.js";
import { requireSubscriber } from "./subscribers/middleware.js";
import { createOneTimeCodes } from "./subscribers/one-time-codes.js";
import { subscriberRoutes } from "./subscribers/routes.js";
import { createSubscriberAccounts } from "./subscribers/service.js";
import { webhookRoutes } from "./webhooks/routes.js";

export type AppDeps = {
  db: PrismaClient;
  clock: Clock;
  config: Config;
  logger: Logger;
  /** The migrations this build ships with; readiness waits for all of them. */
  expectedMigrations: readonly string[];
  /** PostgreSQL's consistent bulk-read snapshots (COPY exports); absent on PGlite. */
  openSnapshot?: OpenSnapshot | undefined;
  /** Large text answers the database builds (the month view): Database.readText. */
  readText: ReadText;
  /** Stripe, or the local stand-in, and the webhook signing secret. */
  stripe: StripeConnection;
  /** The process's Stripe processing, shared with its jobs (main.ts); the app makes its own when absent. */
  stripeProcessing?: StripeProcessing | undefined;
  /** Signs certificates (loaded by main.ts from configuration or the data folder). */
  certificateSigner: CertificateSigner;
  /** Tests replace the captcha's text with one they know; the picture is still svg-captcha's. */
  captchaGenerator?: CaptchaGenerator | undefined;
  /** Tests may replace the SMS sender; otherwise the configuration picks it. */
  smsSender?: SmsSender | undefined;
  /** The process's metrics, shared with its jobs (main.ts); the app makes its own when absent. */
  metrics?: Metrics | undefined;
};

export const OPENAPI_INFO = {
  title: "Ishtirak",
  version: "0.1.0",
  description:
    "Contribution billing for a social-insurance agency: establishments, registered wages, monthly invoices, payments, a double-entry ledger and subscriber inquiries. Amounts are strings in SAR with two decimals.",
} as const;

/** Bulk uploads stream their bodies: they count their own size and keep their own idempotency. */
const streamedUploads = /^\/v1\/establishments\/[^/]+\/employees\/bulk$/;
/** The portal's CSV upload page sets its own limit (portal/employer-pages.ts). */
const ownBodyLimits = new RegExp(`${streamedUploads.source}|^/employer/upload$`);

/** The HTTP application as a pure function of its dependencies: no I/O here. */
export function createApp(deps: AppDeps) {
  const app = createRouter();
  const metrics = deps.metrics ?? createMetrics({ db: deps.db, clock: deps.clock });
  app.use(...tagAndLogRequests(deps.logger, metrics.observeRequest));
  app.use(answerMethodNotAllowed(app));
  app.use(limitBodySize(deps.config.bodyLimitBytes, ownBodyLimits));
  app.onError(renderError(deps.logger));
  app.notFound((c) =>
    isPortalPath(c.req.path) ? pageNotFound(c as unknown as PortalContext) : answerRouteNotFound(c),
  );

  const auth = createAuthService({ db: deps.db, clock: deps.clock });
  const ledger = createLedgerService({ db: deps.db });
  const exports = createExportService({ ledger, openSnapshot: deps.openSnapshot });
  const employers = createEmployerService({
    db: deps.db,
    clock: deps.clock,
    sessions: createSessionStore({ db: deps.db, clock: deps.clock }),
  });

  const idempotency = honourIdempotencyKeys({ db: deps.db, clock: deps.clock, exceptPath: streamedUploads });
  // Everything under an establishment is for its admins and its payroll system's API keys,
  // and every POST there honours Idempotency-Key. Registered once here: in Hono "/x/*" also
  // matches "/x" and deeper paths, so per-feature registrations would run twice.
  app.use("/v1/establishments/:establishmentId/*", requireEstablishmentCaller(employers));
  app.use("/v1/establishments/*", idempotency);

  app.route("/", healthRoutes(deps));
  if (deps.config.metrics) app.route("/", metricsRoutes({ metrics, token: deps.config.metrics.token }));
  app.route("/", authRoutes(auth, idempotency));
  app.route("/", ledgerRoutes({ ledger, auth, clock: deps.clock, idempotency }));
  app.route("/", exportRoutes({ exports, auth, clock: deps.clock }));
  const billing = createBillingService({
    db: deps.db,
    clock: deps.clock,
    logger: deps.logger,
    chunkLines: deps.config.billing.chunkLines,
    partitionLines: deps.config.billing.partitionLines,
    workers: deps.config.billing.workers,
  });
  app.route("/", billingRoutes({ billing, auth }));
  app.route(
    "/",
    fineRoutes({
      fines: createFineService({
        db: deps.db,
        clock: deps.clock,
        correctionFinesFrom: deps.config.billing.correctionFinesFrom,
      }),
      auth,
    }),
  );
  app.route("/", employerRoutes(employers));
  app.route(
    "/",
    employeeRoutes(
      createEmployeeService({ db: deps.db, clock: deps.clock, employers }),
      createEmployeeUploader({ db: deps.db, clock: deps.clock, employers }),
      deps.config.uploadLimitBytes,
    ),
  );

  const invoices = createInvoiceService({ db: deps.db, clock: deps.clock, employers });
  app.route("/", invoiceRoutes(invoices, auth));

  const processing = deps.stripeProcessing ?? createStripeProcessingFor(deps);
  const payments = createPaymentService({
    db: deps.db,
    clock: deps.clock,
    gateway: processing.gateway,
    recorder: processing.recorder,
    invoices,
    employers,
    publicBaseUrl: deps.config.payments.publicBaseUrl,
  });
  app.route("/", paymentRoutes({ payments, reconciliation: processing.reconciliation, auth }));
  app.route("/", webhookRoutes({ webhooks: processing.webhooks, auth }));

  const messaging = createMessaging({
    db: deps.db,
    clock: deps.clock,
    logger: deps.logger,
    sms: deps.smsSender ?? configuredSmsSender(deps.config, deps.logger),
    email: createLogEmailSender(deps.logger),
  });
  const captchas = createCaptchaStore({
    db: deps.db,
    clock: deps.clock,
    generate: deps.captchaGenerator ?? svgCaptchaGenerator,
  });
  const accounts = createSubscriberAccounts({
    db: deps.db,
    clock: deps.clock,
    sessions: createSessionStore({ db: deps.db, clock: deps.clock }),
    captchas,
    codes: createOneTimeCodes({ clock: deps.clock, messaging }),
    messaging,
  });
  const inquiries = createSubscriberInquiries({ db: deps.db, clock: deps.clock, readText: deps.readText });
  app.use("/v1/subscribers/*", requireSubscriber(accounts));
  app.route("/", subscriberRoutes({ accounts, inquiries, captchas, trustProxy: deps.config.trustProxy }));
  const certificates = createCertificateService({
    db: deps.db,
    clock: deps.clock,
    inquiries,
    signer: deps.certificateSigner,
    publicBaseUrl: deps.config.payments.publicBaseUrl,
    logger: deps.logger,
  });
  app.route("/", certificateRoutes({ certificates, trustProxy: deps.config.trustProxy }));

  // The web portal: pages over this same API, called in-process with the user's session.
  app.route(
    "/",
    portalRoutes({
      api: () => app.fetch,
      authenticate: {
        subscriber: (token) => accounts.authenticate(token),
        establishment: (token) => employers.authenticateCaller(token),
        staff: (token) => auth.authenticate(token),
      },
      today: () => BusinessDate.fromInstant(deps.clock.now()).toString(),
    }) as never,
  );

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  app.openAPIRegistry.registerComponent("securitySchemes", "sessionCookie", {
    type: "apiKey",
    in: "cookie",
    name: SESSION_COOKIE,
  });

  app.doc31("/openapi.json", { openapi: "3.1.0", info: OPENAPI_INFO });
  app.get("/docs", Scalar({ url: "/openapi.json", pageTitle: "Ishtirak API" }));
  return app;
}

export type App = ReturnType<typeof createApp>;
