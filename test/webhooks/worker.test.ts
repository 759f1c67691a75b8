import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_STRIPE_WEBHOOK_SECRET } from "../../src/config.js";
import { startLocalStripe } from "../../src/payments/local-stripe/start.js";
import { createStripeProcessing } from "../../src/payments/processing.js";
import { systemClock } from "../../src/shared/clock.js";
import { createLogger } from "../../src/shared/logger.js";
import { createTestDatabase, type TestDatabase, testDatabaseKind } from "../support/test-database.js";

/**
 * The Workers entry (src/worker.ts, wrangler.toml) with wrangler 4.86.0 and its bundled workerd,
 * offline: it bundles, and under `wrangler dev` it takes signed deliveries into PostgreSQL
 * (a Worker cannot reach the embedded database, so that part runs on the PostgreSQL pass).
 */
const projectRoot = path.resolve(import.meta.dirname, "../..");
const wrangler = path.join(projectRoot, "node_modules/.bin/wrangler");
const quietEnvironment = { ...process.env, WRANGLER_SEND_METRICS: "false", NO_UPDATE_NOTIFIER: "1" };

function run(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(wrangler, args, { cwd: projectRoot, env: quietEnvironment });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("close", (code) => resolve({ code, output }));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

describe("the Cloudflare Workers entry", () => {
  it("bundles offline for Workers with nodejs_compat (wrangler deploy --dry-run)", async () => {
    const outdir = await mkdtemp(path.join(tmpdir(), "ishtirak-worker-"));
    try {
      const result = await run(["deploy", "--dry-run", "--outdir", outdir]);
      expect(result.output).toContain("--dry-run: exiting now.");
      expect(result.code).toBe(0);
      const bundle = await readFile(path.join(outdir, "worker.js"), "utf8");
      expect(bundle).toContain("/webhooks/stripe");
      expect(bundle).toContain("INSERT INTO stripe_events");
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  }, 60_000);

  describe.runIf(testDatabaseKind() === "postgresql")("under wrangler dev, storing into PostgreSQL", () => {
    let database: TestDatabase;
    let worker: ChildProcess;
    let baseUrl: string;
    const secret = LOCAL_STRIPE_WEBHOOK_SECRET;

    beforeAll(async () => {
      database = await createTestDatabase();
      const url = new URL(process.env.DATABASE_URL as string);
      url.searchParams.set("options", `-c search_path=${database.schema}`);
      const port = await freePort();
      worker = spawn(
        wrangler,
        [
          "dev",
          "--ip",
          "127.0.0.1",
          "--port",
          String(port),
          "--inspector-port",
          String(await freePort()),
          "--var",
          `DATABASE_URL:${url.toString()}`,
          "--var",
          `STRIPE_WEBHOOK_SECRET:${secret}`,
        ],
        { cwd: projectRoot, env: quietEnvironment },
      );
      baseUrl = await new Promise<string>((resolve, reject) => {
        let output = "";
        const timer = setTimeout(() => reject(new Error(`wrangler dev did not start:\n${output}`)), 45_000);
        const listen = (chunk: Buffer) => {
          output += chunk.toString();
          if (/Ready on http:\/\/127\.0\.0\.1:\d+/.test(output)) {
            clearTimeout(timer);
            resolve(`http://127.0.0.1:${port}`);
          }
        };
        worker.stdout?.on("data", listen);
        worker.stderr?.on("data", listen);
        worker.on("exit", (code) => reject(new Error(`wrangler dev exited with ${code}:\n${output}`)));
      });
    }, 60_000);

    afterAll(async () => {
      worker?.kill("SIGTERM");
      await database?.drop();
    });

    const deliver = (payload: string, signature: string) =>
      fetch(`${baseUrl}/webhooks/stripe`, {
        method: "POST",
        headers: { "content-type": "application/json", "stripe-signature": signature },
        body: payload,
      });

    it("stores a signed event once, refuses a wrong or stale signature, and the service applies what it stored", async () => {
      const payload = await readFile(path.join(projectRoot, "webhooks/customer.created.json"), "utf8");
      const eventId = (JSON.parse(payload) as { id: string }).id;
      const now = Math.floor(Date.now() / 1000);
      const signed = Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: now });

      const refused = await deliver(
        payload,
        Stripe.webhooks.generateTestHeaderString({ payload, secret: "whsec_other" }),
      );
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("WEBHOOK_SIGNATURE_INVALID");
      const stale = await deliver(
        payload,
        Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: now - 301 }),
      );
      expect(stale.status).toBe(400);
      expect(await database.prisma.stripeEvent.count()).toBe(0);

      const first = await deliver(payload, signed);
      expect(first.status).toBe(200);
      expect(await first.json()).toEqual({ received: true, eventId, type: "customer.created", stored: "new" });
      const again = await deliver(payload, signed);
      expect(await again.json()).toMatchObject({ stored: "duplicate" });

      const stored = await database.prisma.stripeEvent.findUniqueOrThrow({ where: { id: eventId } });
      expect(stored).toMatchObject({ status: "PENDING", deliveries: 2, payload });

      // The Node service applies it as one of its own deliveries.
      const stand = await startLocalStripe({ port: 0, webhookSecret: secret });
      try {
        const { webhooks } = createStripeProcessing({
          db: database.prisma,
          clock: systemClock,
          logger: createLogger({ level: "silent" }),
          stripe: stand.connection,
          workers: 1,
        });
        expect(await webhooks.drain()).toMatchObject({ processed: 1, failed: 0 });
      } finally {
        await stand.close();
      }
      expect(await database.prisma.stripeEvent.findUniqueOrThrow({ where: { id: eventId } })).toMatchObject({
        status: "IGNORED",
      });
    }, 60_000);
  });
});
