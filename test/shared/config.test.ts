import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError, LOCAL_STRIPE_WEBHOOK_SECRET, loadConfig } from "../../src/config.js";

describe("loadConfig", () => {
  it("runs with no variables at all: embedded database under ./data on port 3000", () => {
    expect(loadConfig({})).toEqual({
      port: 3000,
      host: "0.0.0.0",
      database: { kind: "pglite", dataDirectory: "./data" },
      logLevel: "info",
      bodyLimitBytes: 1_048_576,
      keepAliveTimeoutMs: 65_000,
      uploadLimitBytes: 67_108_864,
      bootstrapAdmin: undefined,
      billing: {
        chunkLines: 100_000,
        partitionLines: 1_500_000,
        workers: 1,
        runCron: "0 2 1 * *",
        lateFineCron: "30 0 * * *",
        correctionFinesFrom: "ORIGINAL_DUE_DATE",
      },
      payments: {
        stripe: { mode: "local", port: 3001, webhookSecret: LOCAL_STRIPE_WEBHOOK_SECRET },
        publicBaseUrl: "http://localhost:3000",
        webhookWorkers: 1,
        applyOnReceipt: true,
        sweepCron: "* * * * *",
        reconciliationCron: "0 4 * * *",
      },
      trustProxy: false,
      sms: { kind: "log" },
      certificates: { signingKey: { file: "data/certificate-signing-key.pem" } },
      notifications: { cron: "* * * * *", overdueCron: "0 9 * * *", messageRetentionDays: 90 },
    });
  });

  it("fines corrections from their own month's due date unless told to spare them (billing-cycle.md §6)", () => {
    expect(loadConfig({}).billing.correctionFinesFrom).toBe("ORIGINAL_DUE_DATE");
    expect(() => loadConfig({ LATE_FINES_ON_CORRECTIONS: "NEVER" })).toThrow(/LATE_FINES_ON_CORRECTIONS/);
    expect(loadConfig({ LATE_FINES_ON_CORRECTIONS: "INVOICE_DUE_DATE" }).billing.correctionFinesFrom).toBe(
      "INVOICE_DUE_DATE",
    );
  });

  it("keeps idle connections open for a whole number of milliseconds, at least a second", () => {
    expect(loadConfig({ HTTP_KEEP_ALIVE_TIMEOUT_MS: "120000" }).keepAliveTimeoutMs).toBe(120_000);
    expect(() => loadConfig({ HTTP_KEEP_ALIVE_TIMEOUT_MS: "500" })).toThrow(/HTTP_KEEP_ALIVE_TIMEOUT_MS/);
    expect(() => loadConfig({ HTTP_KEEP_ALIVE_TIMEOUT_MS: "1.5s" })).toThrow(/HTTP_KEEP_ALIVE_TIMEOUT_MS/);
  });

  it("serves metrics only with a token long enough not to be guessed", () => {
    expect(loadConfig({}).metrics).toBeUndefined();
    expect(loadConfig({ METRICS_TOKEN: "a".repeat(24) }).metrics).toEqual({ token: "a".repeat(24) });
    expect(() => loadConfig({ METRICS_TOKEN: "short-token" })).toThrow(/METRICS_TOKEN/);
  });

  it("applies Stripe events on receipt unless told to leave them to the sweep", () => {
    expect(loadConfig({ WEBHOOK_APPLY_ON_RECEIPT: "false" }).payments.applyOnReceipt).toBe(false);
    expect(() => loadConfig({ WEBHOOK_APPLY_ON_RECEIPT: "no" })).toThrow(/WEBHOOK_APPLY_ON_RECEIPT/);
  });

  it("sends SMS through the gateway only with its URL and token, and takes a signing key as PEM", () => {
    expect(
      loadConfig({ SMS_GATEWAY_URL: "https://sms.example.sa/v1/messages", SMS_GATEWAY_TOKEN: "t0ken" }).sms,
    ).toEqual({ kind: "http", url: "https://sms.example.sa/v1/messages", token: "t0ken", senderId: "Ishtirak" });
    expect(() => loadConfig({ SMS_GATEWAY_URL: "https://sms.example.sa/v1/messages" })).toThrow(/SMS_GATEWAY_TOKEN/);
    expect(() => loadConfig({ CERTIFICATE_SIGNING_KEY: "not a key" })).toThrow(/CERTIFICATE_SIGNING_KEY/);
  });

  it("takes retired certificate keys as Ed25519 public keys in PEM, refusing private or other keys", () => {
    const publicPem = (key: KeyObject) => key.export({ type: "spki", format: "pem" }).toString();
    const [first, second] = [generateKeyPairSync("ed25519"), generateKeyPairSync("ed25519")];
    const both = `${publicPem(first.publicKey)}\n${publicPem(second.publicKey)}`;
    expect(loadConfig({ CERTIFICATE_RETIRED_PUBLIC_KEYS: both }).certificates.retiredPublicKeysPem).toBe(both);
    const refused = (value: string) => () => loadConfig({ CERTIFICATE_RETIRED_PUBLIC_KEYS: value });
    expect(refused("not a key")).toThrow(/CERTIFICATE_RETIRED_PUBLIC_KEYS: .*no PEM block/);
    expect(refused(first.privateKey.export({ type: "pkcs8", format: "pem" }).toString())).toThrow(
      /block 1 is a PRIVATE KEY/,
    );
    expect(refused(`${publicPem(first.publicKey)}${publicPem(generateKeyPairSync("x25519").publicKey)}`)).toThrow(
      /block 2 is not an Ed25519 key/,
    );
    expect(refused("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")).toThrow(/not a readable public key/);
  });

  it("talks to Stripe only with both the secret key and the webhook signing secret", () => {
    const config = loadConfig({
      STRIPE_SECRET_KEY: "sk_live_abc123",
      STRIPE_WEBHOOK_SECRET: "whsec_abc",
      PUBLIC_BASE_URL: "https://ishtirak.example/",
      DATABASE_URL: "postgres://u:p@db:5432/ishtirak",
    });
    expect(config.payments).toMatchObject({
      stripe: { mode: "stripe", secretKey: "sk_live_abc123", webhookSecret: "whsec_abc" },
      publicBaseUrl: "https://ishtirak.example",
      webhookWorkers: 4,
    });
    expect(() => loadConfig({ STRIPE_SECRET_KEY: "sk_live_abc123" })).toThrow(/STRIPE_WEBHOOK_SECRET/);
    expect(() => loadConfig({ STRIPE_SECRET_KEY: "pk_live_abc", STRIPE_WEBHOOK_SECRET: "whsec_abc" })).toThrow(
      /STRIPE_SECRET_KEY/,
    );
    expect(loadConfig({ PORT: "8080", LOCAL_STRIPE_PORT: "9999" }).payments.stripe).toMatchObject({ port: 9999 });
    expect(
      loadConfig({
        STRIPE_SECRET_KEY: "sk_test_a",
        STRIPE_WEBHOOK_SECRET: "whsec_a",
        STRIPE_API_URL: "http://127.0.0.1:12111",
      }).payments.stripe,
    ).toMatchObject({ mode: "stripe", apiUrl: "http://127.0.0.1:12111" });
  });

  it("paces Stripe requests at 20 reads and 20 writes a second unless told otherwise (0: unpaced)", () => {
    const stripe = { STRIPE_SECRET_KEY: "sk_live_abc123", STRIPE_WEBHOOK_SECRET: "whsec_abc" };
    expect(loadConfig(stripe).payments.stripe).toMatchObject({ rates: { readsPerSecond: 20, writesPerSecond: 20 } });
    expect(
      loadConfig({ ...stripe, STRIPE_API_READS_PER_SECOND: "80", STRIPE_API_WRITES_PER_SECOND: "0" }).payments.stripe,
    ).toMatchObject({ rates: { readsPerSecond: 80, writesPerSecond: 0 } });
    expect(() => loadConfig({ ...stripe, STRIPE_API_READS_PER_SECOND: "-1" })).toThrow(/STRIPE_API_READS_PER_SECOND/);
    expect(() => loadConfig({ ...stripe, STRIPE_API_WRITES_PER_SECOND: "2.5" })).toThrow(
      /STRIPE_API_WRITES_PER_SECOND/,
    );
  });

  it("uses PostgreSQL when DATABASE_URL is set, and treats empty values as unset", () => {
    const config = loadConfig({ DATABASE_URL: "postgres://u:p@db:5432/ishtirak", DATABASE_POOL_MAX: "20", PORT: "" });
    expect(config.database).toEqual({ kind: "postgresql", url: "postgres://u:p@db:5432/ishtirak", poolMax: 20 });
    expect(config.port).toBe(3000);
    expect(config.billing.workers).toBe(2);
  });

  it("lists every bad value at once", () => {
    try {
      loadConfig({ PORT: "70000", DATABASE_URL: "mysql://x", LOG_LEVEL: "loud" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems.map((problem) => problem.split(":")[0]).sort()).toEqual([
        "DATABASE_URL",
        "LOG_LEVEL",
        "PORT",
      ]);
    }
  });

  it("takes a billing run's partition size, and refuses one that is not a positive whole number", () => {
    expect(loadConfig({ BILLING_PARTITION_LINES: "2000000" }).billing.partitionLines).toBe(2_000_000);
    for (const bad of ["0", "-5", "1.5", "many"]) {
      expect(() => loadConfig({ BILLING_PARTITION_LINES: bad })).toThrow(/BILLING_PARTITION_LINES/);
    }
  });

  it("takes other billing schedules, and refuses a bad cron expression", () => {
    expect(loadConfig({ BILLING_RUN_CRON: "0 4 2 * *" }).billing.runCron).toBe("0 4 2 * *");
    expect(() => loadConfig({ BILLING_RUN_CRON: "every month", LATE_FINE_CRON: "61 * * * *" })).toThrow(
      /BILLING_RUN_CRON.*LATE_FINE_CRON/,
    );
  });

  it("is frozen", () => {
    expect(Object.isFrozen(loadConfig({}))).toBe(true);
  });
});
