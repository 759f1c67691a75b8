import { join } from "node:path";
import cron from "node-cron";
import { z } from "zod";
import { parseRetiredPublicKeys } from "./certificates/signing.js";
import type { StripeRequestRates } from "./payments/stripe-pacing.js";
import { overdueNoticeLookbackDays } from "./subscribers/notifications.js";

/**
 * The only reader of the environment. Parsed once at start; a bad value stops the process
 * with every problem listed. Defaults make `npm start` work with no variables at all.
 */
const environmentSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  /** Unset: the embedded PGlite database under DATA_DIR. Set: PostgreSQL through a pool. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
    .optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  DATA_DIR: z.string().min(1).default("./data"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Largest bulk upload (CSV or JSON Lines) on the direct link; read as a stream. */
  UPLOAD_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(64 * 1024 * 1024),
  /** First agency admin, created at start-up when no staff user exists yet. */
  BOOTSTRAP_ADMIN_EMAIL: z.email().optional(),
  BOOTSTRAP_ADMIN_PASSWORD: z.string().min(12, "at least 12 characters").optional(),
  /** Largest request body accepted by ordinary routes; bulk routes set their own. */
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  /**
   * How long an idle keep-alive connection stays open: longer than the idle timeout of the proxy
   * or load balancer in front (60 s for most), which otherwise may send a request on a connection
   * the service is closing and answer its client 502. Node's own default is 5 s.
   */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(65_000),
  /** Invoice lines per billing-run transaction (an establishment is never split). */
  BILLING_CHUNK_LINES: z.coerce.number().int().min(1).max(1_000_000).default(100_000),
  /**
   * Lines a billing run computes per staging transaction (at least one partition per worker):
   * each scans the registrations once, so fewer, larger partitions scan less.
   */
  BILLING_PARTITION_LINES: z.coerce.number().int().min(1).max(20_000_000).default(1_500_000),
  /** Partitions a process stages, then chunks it issues, at once on PostgreSQL, each on its own connection (PGlite: always 1). */
  BILLING_RUN_WORKERS: z.coerce.number().int().min(1).max(16).default(2),
  /** When the month just ended is billed (cron, Asia/Riyadh): 02:00 on the 1st. */
  BILLING_RUN_CRON: z.string().refine(cron.validate, "a cron expression").default("0 2 1 * *"),
  /** When late-payment fines are assessed (cron, Asia/Riyadh): daily at 00:30. */
  LATE_FINE_CRON: z.string().refine(cron.validate, "a cron expression").default("30 0 * * *"),
  /**
   * Where fines on a correction billed late start (billing-cycle.md §6): from the corrected
   * month's own due date, when its contributions were owed (the notes' reading), or from the due
   * date of the invoice that bills it (an agency that spares voluntary corrections).
   */
  LATE_FINES_ON_CORRECTIONS: z.enum(["ORIGINAL_DUE_DATE", "INVOICE_DUE_DATE"]).default("ORIGINAL_DUE_DATE"),
  /** Unset: payments go to the local Stripe stand-in started beside the service. */
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_\S+$/, "a Stripe secret or restricted key (sk_test_..., sk_live_...)")
    .optional(),
  /** The endpoint's signing secret from the Stripe dashboard; required with STRIPE_SECRET_KEY. */
  STRIPE_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_\S+$/, "a webhook signing secret (whsec_...)")
    .optional(),
  /** Where the Stripe API is (with STRIPE_SECRET_KEY): e.g. a stripe-mock or the stand-in of another process. */
  STRIPE_API_URL: z.url().optional(),
  /**
   * Stripe API requests this process starts per second at most (with STRIPE_SECRET_KEY; the rest
   * wait their turn): reads and writes apart. Stripe allows 100 of each per second in live mode
   * (25 in test mode) and 25 per endpoint; divide among the processes that call it. 0: unpaced.
   */
  STRIPE_API_READS_PER_SECOND: z.coerce.number().int().min(0).max(10_000).default(20),
  STRIPE_API_WRITES_PER_SECOND: z.coerce.number().int().min(0).max(10_000).default(20),
  /** Port of the local Stripe stand-in (only without STRIPE_SECRET_KEY); default PORT + 1. */
  LOCAL_STRIPE_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  /** Where browsers reach this service (Stripe Checkout's return links); default http://localhost:PORT. */
  PUBLIC_BASE_URL: z.url().optional(),
  /** Stripe events applied at once by a process (PGlite: always 1). */
  WEBHOOK_WORKERS: z.coerce.number().int().min(1).max(64).default(4),
  /**
   * Whether the process that stores a Stripe event also starts applying it at once. "false" for
   * web processes that only take deliveries while other processes (their sweep job) apply them.
   */
  WEBHOOK_APPLY_ON_RECEIPT: z.enum(["true", "false"]).default("true"),
  /** When stored Stripe events that failed are tried again (cron): every minute. */
  STRIPE_EVENT_SWEEP_CRON: z.string().refine(cron.validate, "a cron expression").default("* * * * *"),
  /**
   * Days a settled Stripe event (raw JSON) is kept before the daily purge deletes it; unset, kept
   * for good. At least 30: Stripe sends an event again for three days, and the daily
   * reconciliation looks a week back.
   */
  STRIPE_EVENT_RETENTION_DAYS: z.coerce.number().int().min(30, "at least 30").max(36_500).optional(),
  /** When yesterday's Stripe balance transactions are reconciled with the ledger (cron, Asia/Riyadh). */
  RECONCILIATION_CRON: z.string().refine(cron.validate, "a cron expression").default("0 4 * * *"),
  /** Behind a reverse proxy: take the client's address from the first X-Forwarded-For entry (rate limits). */
  TRUST_PROXY: z.enum(["true", "false"]).default("false"),
  /**
   * Turns GET /metrics (Prometheus) on, for scrapers that send it as a bearer token. Unset: the
   * route does not exist, so a service facing the internet shows no one its volumes and backlogs.
   */
  METRICS_TOKEN: z.string().min(24, "at least 24 characters").optional(),
  /** SMS provider (JSON over HTTPS; see src/messaging/senders.ts). Unset: SMS are only logged and kept in the outbox. */
  SMS_GATEWAY_URL: z.url().optional(),
  SMS_GATEWAY_TOKEN: z.string().min(1).optional(),
  /** The sender name registered with the provider. */
  SMS_SENDER_ID: z.string().min(1).max(11).default("Ishtirak"),
  /** Ed25519 private key (PKCS#8 PEM) that signs certificates; unset: one kept in DATA_DIR, made on first start. */
  CERTIFICATE_SIGNING_KEY: z.string().includes("PRIVATE KEY", { message: "a PKCS#8 PEM private key" }).optional(),
  /** Public keys (SPKI PEM blocks, one after another) of signing keys replaced: they only verify. */
  CERTIFICATE_RETIRED_PUBLIC_KEYS: z
    .string()
    .superRefine((text, context) => {
      try {
        parseRetiredPublicKeys(text);
      } catch (error) {
        context.addIssue({ code: "custom", message: `Ed25519 public keys in PEM: ${(error as Error).message}` });
      }
    })
    .optional(),
  /** When queued messages are sent and employment notices written (cron): every minute. */
  NOTIFICATION_CRON: z.string().refine(cron.validate, "a cron expression").default("* * * * *"),
  /** When subscribers hear of months that went overdue unpaid (cron, Asia/Riyadh): daily at 09:00. */
  OVERDUE_NOTICE_CRON: z.string().refine(cron.validate, "a cron expression").default("0 9 * * *"),
  /**
   * Days a sent or given-up message (mobile number and text) is kept for support before the daily
   * purge deletes it (ASSUMED: 90). At least 36: a notice's dedupe key must outlive every pass
   * that could write the notice again (overdue notices look 35 days back).
   */
  MESSAGE_RETENTION_DAYS: z.coerce
    .number()
    .int()
    .min(
      overdueNoticeLookbackDays + 1,
      `at least ${overdueNoticeLookbackDays + 1}: longer than the overdue notices' look-back`,
    )
    .max(3_650)
    .default(90),
});

/** The local stand-in's signing secret: public on purpose, it guards nothing real. */
export const LOCAL_STRIPE_WEBHOOK_SECRET = "whsec_local_ishtirak_stand_in";

/** See LATE_FINES_ON_CORRECTIONS. */
export type CorrectionFinePolicy = z.infer<typeof environmentSchema>["LATE_FINES_ON_CORRECTIONS"];

export type Config = Readonly<{
  port: number;
  host: string;
  database: { kind: "postgresql"; url: string; poolMax: number } | { kind: "pglite"; dataDirectory: string };
  logLevel: z.infer<typeof environmentSchema>["LOG_LEVEL"];
  bodyLimitBytes: number;
  keepAliveTimeoutMs: number;
  uploadLimitBytes: number;
  bootstrapAdmin: { email: string; password: string } | undefined;
  billing: {
    chunkLines: number;
    partitionLines: number;
    workers: number;
    runCron: string;
    lateFineCron: string;
    correctionFinesFrom: CorrectionFinePolicy;
  };
  payments: {
    stripe:
      | {
          mode: "stripe";
          secretKey: string;
          webhookSecret: string;
          apiUrl?: string | undefined;
          rates: StripeRequestRates;
        }
      | { mode: "local"; port: number; webhookSecret: string };
    publicBaseUrl: string;
    webhookWorkers: number;
    applyOnReceipt: boolean;
    sweepCron: string;
    reconciliationCron: string;
    eventRetentionDays: number | undefined;
  };
  trustProxy: boolean;
  metrics: { token: string } | undefined;
  sms: { kind: "log" } | { kind: "http"; url: string; token: string; senderId: string };
  certificates: { signingKey: { pem: string } | { file: string }; retiredPublicKeysPem: string | undefined };
  notifications: { cron: string; overdueCron: string; messageRetentionDays: number };
}>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join("; ")}`);
    this.name = "ConfigError";
  }
}

export function loadConfig(environment: Record<string, string | undefined>): Config {
  const present = Object.fromEntries(
    Object.entries(environment).filter(([, value]) => value !== undefined && value !== ""),
  );
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`));
  }
  const variables = parsed.data;
  if (variables.SMS_GATEWAY_URL && !variables.SMS_GATEWAY_TOKEN) {
    throw new ConfigError(["SMS_GATEWAY_TOKEN: required with SMS_GATEWAY_URL"]);
  }
  if (variables.STRIPE_SECRET_KEY && !variables.STRIPE_WEBHOOK_SECRET) {
    throw new ConfigError(["STRIPE_WEBHOOK_SECRET: required with STRIPE_SECRET_KEY (the endpoint's signing secret)"]);
  }
  return Object.freeze({
    port: variables.PORT,
    host: variables.HOST,
    database:
      variables.DATABASE_URL === undefined
        ? { kind: "pglite" as const, dataDirectory: variables.DATA_DIR }
        : { kind: "postgresql" as const, url: variables.DATABASE_URL, poolMax: variables.DATABASE_POOL_MAX },
    logLevel: variables.LOG_LEVEL,
    bodyLimitBytes: variables.BODY_LIMIT_BYTES,
    keepAliveTimeoutMs: variables.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    uploadLimitBytes: variables.UPLOAD_LIMIT_BYTES,
    bootstrapAdmin:
      variables.BOOTSTRAP_ADMIN_EMAIL && variables.BOOTSTRAP_ADMIN_PASSWORD
        ? { email: variables.BOOTSTRAP_ADMIN_EMAIL, password: variables.BOOTSTRAP_ADMIN_PASSWORD }
        : undefined,
    billing: {
      chunkLines: variables.BILLING_CHUNK_LINES,
      partitionLines: variables.BILLING_PARTITION_LINES,
      workers: variables.DATABASE_URL === undefined ? 1 : variables.BILLING_RUN_WORKERS,
      runCron: variables.BILLING_RUN_CRON,
      lateFineCron: variables.LATE_FINE_CRON,
      correctionFinesFrom: variables.LATE_FINES_ON_CORRECTIONS,
    },
    payments: {
      stripe:
        variables.STRIPE_SECRET_KEY && variables.STRIPE_WEBHOOK_SECRET
          ? {
              mode: "stripe" as const,
              secretKey: variables.STRIPE_SECRET_KEY,
              webhookSecret: variables.STRIPE_WEBHOOK_SECRET,
              ...(variables.STRIPE_API_URL ? { apiUrl: variables.STRIPE_API_URL } : {}),
              rates: {
                readsPerSecond: variables.STRIPE_API_READS_PER_SECOND,
                writesPerSecond: variables.STRIPE_API_WRITES_PER_SECOND,
              },
            }
          : {
              mode: "local" as const,
              port: variables.LOCAL_STRIPE_PORT ?? (variables.PORT === 0 ? 0 : variables.PORT + 1),
              webhookSecret: LOCAL_STRIPE_WEBHOOK_SECRET,
            },
      publicBaseUrl: (variables.PUBLIC_BASE_URL ?? `http://localhost:${variables.PORT}`).replace(/\/$/, ""),
      webhookWorkers: variables.DATABASE_URL === undefined ? 1 : variables.WEBHOOK_WORKERS,
      applyOnReceipt: variables.WEBHOOK_APPLY_ON_RECEIPT === "true",
      sweepCron: variables.STRIPE_EVENT_SWEEP_CRON,
      reconciliationCron: variables.RECONCILIATION_CRON,
      eventRetentionDays: variables.STRIPE_EVENT_RETENTION_DAYS,
    },
    trustProxy: variables.TRUST_PROXY === "true",
    metrics: variables.METRICS_TOKEN ? { token: variables.METRICS_TOKEN } : undefined,
    sms:
      variables.SMS_GATEWAY_URL && variables.SMS_GATEWAY_TOKEN
        ? {
            kind: "http" as const,
            url: variables.SMS_GATEWAY_URL,
            token: variables.SMS_GATEWAY_TOKEN,
            senderId: variables.SMS_SENDER_ID,
          }
        : { kind: "log" as const },
    certificates: {
      signingKey: variables.CERTIFICATE_SIGNING_KEY
        ? { pem: variables.CERTIFICATE_SIGNING_KEY }
        : { file: join(variables.DATA_DIR, "certificate-signing-key.pem") },
      retiredPublicKeysPem: variables.CERTIFICATE_RETIRED_PUBLIC_KEYS,
    },
    notifications: {
      cron: variables.NOTIFICATION_CRON,
      overdueCron: variables.OVERDUE_NOTICE_CRON,
      messageRetentionDays: variables.MESSAGE_RETENTION_DAYS,
    },
  });
}
