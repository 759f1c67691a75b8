import pThrottle from "p-throttle";
import type Stripe from "stripe";

type HttpClient = ReturnType<typeof Stripe.createNodeHttpClient>;

/** Requests a process may start per second: reads (GET) and writes (anything else), counted apart as Stripe counts them. */
export type StripeRequestRates = { readsPerSecond: number; writesPerSecond: number };

/**
 * An HTTP client for the Stripe SDK that starts at most so many reads and so many writes in any
 * second, queueing the rest instead of sending them into Stripe's rate limiter. Stripe answers
 * a request over its limits with 429, which the SDK does not retry: the payment started or the
 * event applied fails and has to be tried again. In live mode Stripe allows 100 reads and 100
 * writes a second per account, and 25 a second on any one endpoint unless it says otherwise
 * (its "Rate limits" page): the webhook workers' PaymentIntent reads all go to one endpoint.
 *
 * Every request goes through here, the SDK's own retries and each page of a list included. The
 * window is strict (p-throttle's sliding one): no second anywhere holds more than the limit.
 * `intervalMs` exists for tests.
 */
export function pacedHttpClient(inner: HttpClient, rates: StripeRequestRates, intervalMs = 1_000): HttpClient {
  const paced = (perInterval: number) => {
    const send: HttpClient["makeRequest"] = (...request) => inner.makeRequest(...request);
    return perInterval > 0 ? pThrottle({ limit: perInterval, interval: intervalMs, strict: true })(send) : send;
  };
  const read = paced(rates.readsPerSecond);
  const write = paced(rates.writesPerSecond);
  return {
    getClientName: () => inner.getClientName(),
    makeRequest: (host, port, path, method, headers, requestData, protocol, timeout) =>
      (method === "GET" ? read : write)(host, port, path, method, headers, requestData, protocol, timeout),
  };
}
