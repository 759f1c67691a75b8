import Stripe from "stripe";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { LOCAL_STRIPE_WEBHOOK_SECRET } from "../../src/config.js";
import { startLocalStripe } from "../../src/payments/local-stripe/start.js";
import { pacedHttpClient } from "../../src/payments/stripe-pacing.js";

type HttpClient = ReturnType<typeof Stripe.createNodeHttpClient>;
type Started = { method: string; path: string; at: number };

/** Wraps a client and notes when each request reached it. */
function recording(inner: HttpClient): { client: HttpClient; started: Started[] } {
  const started: Started[] = [];
  return {
    started,
    client: {
      getClientName: () => inner.getClientName(),
      makeRequest: (host, port, path, method, ...rest) => {
        started.push({ method, path, at: Date.now() });
        return inner.makeRequest(host, port, path, method, ...rest);
      },
    },
  };
}

/** A client that answers every request at once without a network. */
function answering(): HttpClient {
  return {
    getClientName: () => "answering",
    makeRequest: async () => ({}) as Awaited<ReturnType<HttpClient["makeRequest"]>>,
  };
}

const send = (client: HttpClient, method: string, path: string) =>
  client.makeRequest("api.stripe.test", "443", path, method, {}, "", "https", 1_000);

/** The most requests that began within any `interval` ms of each other (a little slack for timer rounding). */
function busiestWindow(times: readonly number[], interval: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let first = 0; first < sorted.length; first += 1) {
    const start = sorted[first] as number;
    most = Math.max(most, sorted.filter((time) => time >= start && time < start + interval - 3).length);
  }
  return most;
}

describe("requests to Stripe paced under its rate limits", () => {
  // The pacing's own clock, faked: on a loaded machine real timers fire late, and a late request
  // followed by one on time would start closer together than the pacing planned them.
  afterEach(() => {
    vi.useRealTimers();
  });
  const inFakeTime = async <T>(work: Promise<T>): Promise<T> => {
    let done = false;
    const result = work.finally(() => {
      done = true;
    });
    while (!done) await vi.advanceTimersByTimeAsync(10);
    return result;
  };

  it("starts at most the limit of reads in any interval, queueing the rest, and loses none", async () => {
    vi.useFakeTimers();
    const { client, started } = recording(answering());
    const paced = pacedHttpClient(client, { readsPerSecond: 2, writesPerSecond: 2 }, 120);
    const reads = Array.from({ length: 7 }, (_, index) => send(paced, "GET", `/v1/payment_intents/pi_${index}`));
    expect(started).toHaveLength(2);
    await inFakeTime(Promise.all(reads));
    expect(started.map((request) => request.path)).toEqual(
      Array.from({ length: 7 }, (_, index) => `/v1/payment_intents/pi_${index}`),
    );
    expect(
      busiestWindow(
        started.map((request) => request.at),
        120,
      ),
    ).toBe(2);
  });

  it("counts writes apart from reads: a write is not held behind a queue of reads", async () => {
    vi.useFakeTimers();
    const { client, started } = recording(answering());
    const paced = pacedHttpClient(client, { readsPerSecond: 1, writesPerSecond: 1 }, 200);
    const reads = Array.from({ length: 4 }, () => send(paced, "GET", "/v1/payment_intents/pi_1"));
    const write = send(paced, "POST", "/v1/refunds");
    expect(started.map((request) => request.method)).toEqual(["GET", "POST"]);
    await inFakeTime(Promise.all([...reads, write]));
    const readsStarted = started.filter((request) => request.method === "GET");
    expect(readsStarted).toHaveLength(4);
    expect(
      busiestWindow(
        readsStarted.map((request) => request.at),
        200,
      ),
    ).toBe(1);
  });

  it("sends everything at once when a rate is 0 (unpaced)", () => {
    const { client, started } = recording(answering());
    const paced = pacedHttpClient(client, { readsPerSecond: 0, writesPerSecond: 0 }, 1_000);
    for (let index = 0; index < 10; index += 1) void send(paced, index % 2 ? "GET" : "POST", "/v1/x");
    expect(started).toHaveLength(10);
  });

  describe("under the real SDK, against the local stand-in", () => {
    let stand: Awaited<ReturnType<typeof startLocalStripe>>;
    beforeAll(async () => {
      stand = await startLocalStripe({ port: 0, webhookSecret: LOCAL_STRIPE_WEBHOOK_SECRET });
    });
    afterAll(() => stand.close());

    it("paces the SDK's reads, each page of a list included, and the answers are Stripe's", async () => {
      const { client, started } = recording(Stripe.createNodeHttpClient());
      const stripe = new Stripe("sk_test_pacing", {
        host: "127.0.0.1",
        port: Number(new URL(stand.url).port),
        protocol: "http",
        maxNetworkRetries: 0,
        httpClient: pacedHttpClient(client, { readsPerSecond: 1, writesPerSecond: 5 }, 100),
      });
      const created = await Promise.all(
        [1000, 2000, 3000].map((amount) =>
          stripe.paymentIntents.create({ amount, currency: "sar", metadata: { establishment_id: "est_1" } }),
        ),
      );
      const retrieved = await Promise.all(created.map((intent) => stripe.paymentIntents.retrieve(intent.id)));
      expect(retrieved.map((intent) => intent.amount)).toEqual([1000, 2000, 3000]);

      const listed: string[] = [];
      for await (const intent of stripe.paymentIntents.list({ limit: 1 })) listed.push(intent.id);
      expect(listed.sort()).toEqual(created.map((intent) => intent.id).sort());

      const reads = started.filter((request) => request.method === "GET");
      // Three retrievals and the list's pages (one intent each, and the empty last look).
      expect(reads.length).toBeGreaterThanOrEqual(6);
      // On real timers: spread over at least one interval per read after the first (a late timer
      // only spreads them further), where unpaced they would all start within a few milliseconds.
      const times = reads.map((request) => request.at);
      expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(
        (reads.length - 1) * 100 - 3 * reads.length,
      );
    });
  });
});
