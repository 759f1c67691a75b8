import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_STRIPE_WEBHOOK_SECRET } from "../../src/config.js";
import { StripeEventListResponse } from "../../src/webhooks/schemas.js";
import { stripeFixture } from "../support/payments.js";
import { type RunningService, startService } from "../support/service-process.js";
import { testDatabaseKind } from "../support/test-database.js";

/**
 * A process that only takes deliveries (WEBHOOK_APPLY_ON_RECEIPT=false), or one that stopped
 * before applying what it stored, leaves events pending; the next process to start applies
 * them at once, and on PostgreSQL one already running beside it is told (NOTIFY) and applies
 * them at once too. The sweep is set to once a year here, so nothing else can apply them.
 */
const admin = { email: "admin@agency.test", password: "correct horse battery staple" };
let environment: Record<string, string>;
let cleanUp: () => Promise<void>;

beforeAll(async () => {
  const common = {
    WEBHOOK_APPLY_ON_RECEIPT: "false",
    STRIPE_EVENT_SWEEP_CRON: "0 0 1 1 *",
    BOOTSTRAP_ADMIN_EMAIL: admin.email,
    BOOTSTRAP_ADMIN_PASSWORD: admin.password,
  };
  if (testDatabaseKind() === "postgresql") {
    const serverUrl = new URL(process.env.DATABASE_URL ?? "");
    const databaseName = `ishtirak_pending_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const server = new pg.Client({ connectionString: serverUrl.toString() });
    await server.connect();
    await server.query(`CREATE DATABASE ${databaseName}`);
    serverUrl.pathname = `/${databaseName}`;
    environment = { ...common, DATABASE_URL: serverUrl.toString() };
    cleanUp = async () => {
      await server.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
      await server.end();
    };
  } else {
    const dataDirectory = await mkdtemp(path.join(tmpdir(), "ishtirak-pending-"));
    environment = { ...common, DATA_DIR: dataDirectory };
    cleanUp = () => rm(dataDirectory, { recursive: true, force: true });
  }
});
afterAll(() => cleanUp());

async function signIn(service: RunningService): Promise<string> {
  const response = await fetch(`${service.url}/v1/auth/staff/sessions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(admin),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { token: string }).token;
}

async function statusOf(service: RunningService, token: string, eventId: string): Promise<string | undefined> {
  const response = await fetch(`${service.url}/v1/stripe-events?limit=200`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(response.status).toBe(200);
  return StripeEventListResponse.parse(await response.json()).events.find((event) => event.id === eventId)?.status;
}

/** A signed customer.created (nothing Ishtirak acts on: it ends IGNORED) under this id. */
function deliver(service: RunningService, eventId: string): Promise<Response> {
  const payload = stripeFixture("customer.created", { eventId });
  return fetch(`${service.url}/webhooks/stripe`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "stripe-signature": Stripe.webhooks.generateTestHeaderString({ payload, secret: LOCAL_STRIPE_WEBHOOK_SECRET }),
    },
    body: payload,
  });
}

async function statusWithin(service: RunningService, eventId: string, milliseconds: number) {
  const token = await signIn(service);
  let status = await statusOf(service, token, eventId);
  for (let waited = 0; status === "PENDING" && waited < milliseconds; waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    status = await statusOf(service, token, eventId);
  }
  return status;
}

describe("Stripe events left pending", () => {
  it("are applied by the next process as it starts, not at the first sweep", async () => {
    const eventId = "evt_pending_at_start";
    const intake = await startService(environment);
    try {
      const delivered = await deliver(intake, eventId);
      expect(delivered.status).toBe(200);
      // Still pending a moment later: this process takes deliveries only.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await statusOf(intake, await signIn(intake), eventId)).toBe("PENDING");
    } finally {
      expect(await intake.stop()).toBe(0);
    }

    const next = await startService(environment);
    try {
      // customer.created is nothing Ishtirak acts on: acknowledged and marked so.
      expect(await statusWithin(next, eventId, 15_000)).toBe("IGNORED");
      expect(next.output()).toContain("pending Stripe events applied at start");
    } finally {
      expect(await next.stop()).toBe(0);
    }
  }, 90_000);

  it.runIf(testDatabaseKind() === "postgresql")(
    "are applied at once by a process running beside the one that stored them (PostgreSQL)",
    async () => {
      const worker = await startService({ ...environment, WEBHOOK_APPLY_ON_RECEIPT: "true" });
      const intake = await startService(environment);
      try {
        // The worker's drain at start is over: only the notification can make it look again.
        for (let waited = 0; !worker.output().includes("pending Stripe events applied at start"); waited += 50) {
          expect(waited).toBeLessThan(15_000);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const eventId = "evt_applied_beside";
        expect((await deliver(intake, eventId)).status).toBe(200);
        expect(await statusWithin(worker, eventId, 5_000)).toBe("IGNORED");
      } finally {
        expect(await intake.stop()).toBe(0);
        expect(await worker.stop()).toBe(0);
      }
    },
    90_000,
  );
});
