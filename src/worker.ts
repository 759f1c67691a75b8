import { Hono } from "hono";
import pg from "pg";
import Stripe from "stripe";
import { AppError, errorBody } from "./shared/errors.js";
import {
  assertStripeEventShape,
  foreignApiVersionWarner,
  missingSignature,
  type StoreOutcome,
  signatureToleranceSeconds,
  storeEventsParameters,
  storeEventsStatement,
  storeOutcomes,
  verificationError,
} from "./webhooks/intake.js";

/**
 * The Cloudflare Workers entry (wrangler.toml): Stripe's webhook taken at the edge. It verifies
 * the signature on the raw body with the SDK's Web Crypto provider and stores the event in the
 * same table, with the same statement, as the Node service's endpoint, then answers; the Node
 * service (its sweep job, or processes run with WEBHOOK_APPLY_ON_RECEIPT=false) applies stored
 * events as it applies its own. The rest of Ishtirak (argon2, pdfkit, PGlite, cron jobs) needs
 * Node and stays in `npm start`.
 *
 * One connection per request, as Workers cannot keep a pool between requests: in production
 * DATABASE_URL should be a Hyperdrive binding's connection string, which pools for it.
 */
type Bindings = { DATABASE_URL: string; STRIPE_WEBHOOK_SECRET: string };

const cryptoProvider = Stripe.createSubtleCryptoProvider();

const app = new Hono<{ Bindings: Bindings }>();

app.get("/health", (c) => c.json({ status: "ok", runtime: "worker" }));

const warnOfForeignApiVersion = foreignApiVersionWarner((fields, message) => console.warn(message, fields));

app.post("/webhooks/stripe", async (c) => {
  const rawBody = await c.req.text();
  const signature = c.req.header("stripe-signature");
  if (!signature) throw missingSignature();
  let event: Stripe.Event;
  try {
    event = await Stripe.webhooks.constructEventAsync(
      rawBody,
      signature,
      c.env.STRIPE_WEBHOOK_SECRET,
      signatureToleranceSeconds,
      cryptoProvider,
    );
  } catch (error) {
    throw verificationError(error);
  }
  assertStripeEventShape(event);
  warnOfForeignApiVersion(event);
  const client = new pg.Client({ connectionString: c.env.DATABASE_URL });
  await client.connect();
  try {
    const delivery = { event, rawBody, receivedAt: new Date() };
    const result = await client.query<{ id: string; inserted: boolean; status: string }>(
      storeEventsStatement,
      storeEventsParameters([delivery]),
    );
    const [{ stored }] = storeOutcomes(result.rows, [delivery]) as [StoreOutcome];
    return c.json({ received: true as const, eventId: event.id, type: event.type, stored }, 200);
  } finally {
    await client.end();
  }
});

app.notFound((c) => c.json(errorBody(new AppError("ROUTE_NOT_FOUND", "no such route"), undefined), 404));

app.onError((error, c) => {
  if (error instanceof AppError) return c.json(errorBody(error, undefined), error.status);
  console.error(error);
  return c.json(errorBody(new AppError("INTERNAL", "the event was not stored"), undefined), 500);
});

export default app;
