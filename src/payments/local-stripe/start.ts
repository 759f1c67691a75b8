import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createStripeClient, type StripeConnection } from "../stripe-gateway.js";
import { createLocalStripe, type LocalStripe } from "./server.js";
import type { Deliver } from "./state.js";

/** Any key of the right shape: the stand-in checks the shape, as Stripe checks the key. */
const localSecretKey = "sk_test_local_ishtirak_stand_in";

/**
 * Starts the local Stripe stand-in on its own port and returns a real `stripe` client
 * pointed at it. Signed events go to `deliver`: in the service, an HTTP POST to its own
 * webhook endpoint; in tests, straight into the app under test.
 */
export async function startLocalStripe(options: {
  port: number;
  webhookSecret: string;
  deliver?: Deliver | undefined;
  now?: () => number;
}): Promise<{ connection: StripeConnection; local: LocalStripe; url: string; close(): Promise<void> }> {
  let url = "";
  const local = createLocalStripe({
    webhookSecret: options.webhookSecret,
    deliver: options.deliver,
    publicUrl: () => url,
    ...(options.now ? { now: options.now } : {}),
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const started = serve({ fetch: local.app.fetch, port: options.port, hostname: "127.0.0.1" }, () =>
      resolve(started),
    );
    started.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;
  url = `http://localhost:${port}`;
  return {
    connection: {
      client: createStripeClient({ secretKey: localSecretKey, local: { host: "127.0.0.1", port } }),
      webhookSecret: options.webhookSecret,
      mode: "local",
    },
    local,
    url,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Posts each signed event to a webhook URL, as Stripe does. */
export function deliverOverHttp(webhookUrl: () => string): Deliver {
  return async ({ payload, signature }) => {
    const response = await fetch(webhookUrl(), {
      method: "POST",
      headers: { "content-type": "application/json", "stripe-signature": signature },
      body: payload,
    });
    if (!response.ok) throw new Error(`webhook answered ${response.status}`);
  };
}
