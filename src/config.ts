import cron from "node-cron";
import { z } from "zod";

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
  /** Invoice lines per billing-run transaction (an establishment is never split). */
  BILLING_CHUNK_LINES: z.coerce.number().int().min(1).max(1_000_000).default(100_000),
  /** Chunks a process issues at once on PostgreSQL, each on its own connection (PGlite: always 1). */
  BILLING_RUN_WORKERS: z.coerce.number().int().min(1).max(16).default(2),
  /** When the month just ended is billed (cron, Asia/Riyadh): 02:00 on the 1st. */
  BILLING_RUN_CRON: z.string().refine(cron.validate, "a cron expression").default("0 2 1 * *"),
  /** When late-payment fines are assessed (cron, Asia/Riyadh): daily at 00:30. */
  LATE_FINE_CRON: z.string().refine(cron.validate, "a cron expression").default("30 0 * * *"),
});

export type Config = Readonly<{
  port: number;
  host: string;
  database: { kind: "postgresql"; url: string; poolMax: number } | { kind: "pglite"; dataDirectory: string };
  logLevel: z.infer<typeof environmentSchema>["LOG_LEVEL"];
  bodyLimitBytes: number;
  uploadLimitBytes: number;
  bootstrapAdmin: { email: string; password: string } | undefined;
  billing: { chunkLines: number; workers: number; runCron: string; lateFineCron: string };
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
  return Object.freeze({
    port: variables.PORT,
    host: variables.HOST,
    database:
      variables.DATABASE_URL === undefined
        ? { kind: "pglite" as const, dataDirectory: variables.DATA_DIR }
        : { kind: "postgresql" as const, url: variables.DATABASE_URL, poolMax: variables.DATABASE_POOL_MAX },
    logLevel: variables.LOG_LEVEL,
    bodyLimitBytes: variables.BODY_LIMIT_BYTES,
    uploadLimitBytes: variables.UPLOAD_LIMIT_BYTES,
    bootstrapAdmin:
      variables.BOOTSTRAP_ADMIN_EMAIL && variables.BOOTSTRAP_ADMIN_PASSWORD
        ? { email: variables.BOOTSTRAP_ADMIN_EMAIL, password: variables.BOOTSTRAP_ADMIN_PASSWORD }
        : undefined,
    billing: {
      chunkLines: variables.BILLING_CHUNK_LINES,
      workers: variables.DATABASE_URL === undefined ? 1 : variables.BILLING_RUN_WORKERS,
      runCron: variables.BILLING_RUN_CRON,
      lateFineCron: variables.LATE_FINE_CRON,
    },
  });
}
