import { Hono } from "hono";
import { html } from "hono/html";
import qs from "qs";
import { Money } from "../../shared/money.js";
import { createLocalStripeState, LocalStripeError, type LocalStripeOptions, type StripeObject } from "./state.js";

/**
 * A local stand-in for the Stripe endpoints Ishtirak calls, reachable by the real `stripe`
 * SDK (`host`, `port`, `protocol: "http"`), plus the hosted checkout page a customer would
 * see and a few `/_fake/...` controls for what only a cardholder or a bank can do (decline,
 * dispute, send a refund back, pay out). Form-encoded bodies, bracketed params, `expand[]`, list pagination,
 * `Idempotency-Key` replay and Stripe's error shape behave as Stripe's do.
 */
export function createLocalStripe(options: LocalStripeOptions) {
  const state = createLocalStripeState(options);
  const app = new Hono();
  const idempotentResponses = new Map<string, { status: number; body: unknown }>();
  const listLimitMax = 100;
  let requestsToRefuse = 0;
  /** Requests still answered before the refusals start. */
  let requestsBeforeRefusing = 0;

  app.onError((error, c) => {
    if (error instanceof LocalStripeError) {
      return c.json(
        { error: { type: error.type, message: error.message, ...(error.param ? { param: error.param } : {}) } },
        error.statusCode as 400,
      );
    }
    return c.json({ error: { type: "api_error", message: String(error) } }, 500);
  });

  app.use("/v1/*", async (c, next) => {
    if (!/^Bearer sk_(test|live)_\S+$/.test(c.req.header("authorization") ?? "")) {
      return c.json({ error: { type: "invalid_request_error", message: "Invalid API Key provided" } }, 401);
    }
    if (requestsToRefuse > 0 && requestsBeforeRefusing > 0) {
      requestsBeforeRefusing -= 1;
    } else if (requestsToRefuse > 0) {
      requestsToRefuse -= 1;
      return c.json(
        {
          error: {
            type: "invalid_request_error",
            code: "rate_limit",
            message:
              "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
          },
        },
        429,
      );
    }
    const key = c.req.method === "POST" ? c.req.header("idempotency-key") : undefined;
    const cacheKey = key ? `${c.req.path} ${key}` : undefined;
    const replay = cacheKey ? idempotentResponses.get(cacheKey) : undefined;
    if (replay) {
      c.header("idempotent-replayed", "true");
      return c.json(replay.body as object, replay.status as 200);
    }
    await next();
    if (cacheKey && c.res.status < 500) {
      idempotentResponses.set(cacheKey, { status: c.res.status, body: await c.res.clone().json() });
    }
  });

  async function form(c: { req: { text(): Promise<string> } }): Promise<Record<string, unknown>> {
    return qs.parse(await c.req.text(), { depth: 6, arrayLimit: 100 }) as Record<string, unknown>;
  }
  function query(url: string): Record<string, unknown> {
    return qs.parse(new URL(url).search.slice(1), { depth: 4 }) as Record<string, unknown>;
  }
  function integer(value: unknown, param: string): number {
    const parsed = typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(parsed))
      throw new LocalStripeError(400, "invalid_request_error", "Invalid integer", param);
    return parsed;
  }
  function text(value: unknown, param: string): string {
    if (typeof value !== "string" || value === "") {
      throw new LocalStripeError(400, "invalid_request_error", `Missing required param: ${param}.`, param);
    }
    return value;
  }
  function metadata(value: unknown): Record<string, string> {
    return value && typeof value === "object" ? (value as Record<string, string>) : {};
  }
  function currency(value: unknown): string {
    const code = text(value, "currency").toLowerCase();
    if (!/^[a-z]{3}$/.test(code))
      throw new LocalStripeError(400, "invalid_request_error", "Invalid currency", "currency");
    return code;
  }

  /** `expand[]` as parsed from the query: absent, one path, or several. */
  function expandPaths(paths: unknown): string[] {
    return (Array.isArray(paths) ? paths : paths === undefined ? [] : [paths]).map(String);
  }
  /** `expand[]=latest_charge.balance_transaction`: replaces ids along each path by the objects. */
  function expand(object: StripeObject, paths: unknown): StripeObject {
    const result = structuredClone(object);
    for (const path of expandPaths(paths)) {
      let target: Record<string, unknown> = result;
      for (const field of path.split(".")) {
        const value = target[field];
        if (typeof value === "string") {
          const found = lookup(value);
          if (!found) break;
          target[field] = structuredClone(found);
        }
        const next = target[field];
        if (!next || typeof next !== "object") break;
        target = next as Record<string, unknown>;
      }
    }
    return result;
  }
  /** A list's `expand[]=data.x` names the path `x` of each item. */
  function itemPaths(paths: unknown): string[] {
    return expandPaths(paths).flatMap((path) => (path.startsWith("data.") ? [path.slice("data.".length)] : []));
  }
  function lookup(id: string): StripeObject | undefined {
    for (const object of ["charge", "balance_transaction", "payment_intent", "refund", "dispute"]) {
      try {
        return state.get(id, object);
      } catch {}
    }
    return undefined;
  }

  function page(items: StripeObject[], params: Record<string, unknown>, url: string) {
    const limit = params.limit === undefined ? 10 : Math.min(integer(params.limit, "limit"), listLimitMax);
    const after =
      typeof params.starting_after === "string" ? items.findIndex((i) => i.id === params.starting_after) : -1;
    const rest = items.slice(after + 1);
    return { object: "list", data: rest.slice(0, limit), has_more: rest.length > limit, url };
  }
  function createdWithin(params: Record<string, unknown>) {
    const created = (params.created ?? {}) as Record<string, string>;
    const bounds = {
      gte: created.gte === undefined ? undefined : integer(created.gte, "created[gte]"),
      lt: created.lt === undefined ? undefined : integer(created.lt, "created[lt]"),
    };
    return (item: StripeObject) =>
      (bounds.gte === undefined || (item.created as number) >= bounds.gte) &&
      (bounds.lt === undefined || (item.created as number) < bounds.lt);
  }

  app.post("/v1/payment_intents", async (c) => {
    const body = await form(c);
    return c.json(
      state.createPaymentIntent({
        amount: integer(body.amount, "amount"),
        currency: currency(body.currency),
        metadata: metadata(body.metadata),
        description: typeof body.description === "string" ? body.description : undefined,
      }),
    );
  });
  app.get("/v1/payment_intents/:id", (c) =>
    c.json(expand(state.get(c.req.param("id"), "payment_intent"), query(c.req.url).expand)),
  );
  app.get("/v1/payment_intents", (c) => {
    const params = query(c.req.url);
    return c.json(page(state.list("payment_intent", createdWithin(params)), params, "/v1/payment_intents"));
  });

  app.post("/v1/checkout/sessions", async (c) => {
    const body = await form(c);
    const items = (body.line_items ?? []) as { price_data?: Record<string, unknown>; quantity?: string }[];
    const [item] = items;
    if (items.length !== 1 || !item?.price_data) {
      throw new LocalStripeError(
        400,
        "invalid_request_error",
        "This fake takes one line item with price_data",
        "line_items",
      );
    }
    const productData = (item.price_data.product_data ?? {}) as Record<string, unknown>;
    const quantity = item.quantity === undefined ? 1 : integer(item.quantity, "line_items[0][quantity]");
    const intentData = (body.payment_intent_data ?? {}) as Record<string, unknown>;
    const session = state.createCheckoutSession({
      amount: integer(item.price_data.unit_amount, "line_items[0][price_data][unit_amount]") * quantity,
      currency: currency(item.price_data.currency),
      metadata: metadata(body.metadata),
      paymentIntentMetadata: metadata(intentData.metadata),
      successUrl: text(body.success_url, "success_url"),
      cancelUrl: text(body.cancel_url, "cancel_url"),
      expiresAt: body.expires_at === undefined ? undefined : integer(body.expires_at, "expires_at"),
      productName: text(productData.name, "line_items[0][price_data][product_data][name]"),
    });
    return c.json(state.publicCheckoutSession(session));
  });
  app.get("/v1/checkout/sessions/:id", (c) =>
    c.json(state.publicCheckoutSession(state.get(c.req.param("id"), "checkout.session"))),
  );

  app.get("/v1/charges/:id", (c) => c.json(expand(state.get(c.req.param("id"), "charge"), query(c.req.url).expand)));

  app.post("/v1/refunds", async (c) => {
    const body = await form(c);
    return c.json(
      state.createRefund({
        charge: typeof body.charge === "string" ? body.charge : undefined,
        payment_intent: typeof body.payment_intent === "string" ? body.payment_intent : undefined,
        amount: body.amount === undefined ? undefined : integer(body.amount, "amount"),
      }),
    );
  });
  app.post("/v1/refunds/:id/cancel", (c) => c.json(state.cancelRefund(c.req.param("id"))));
  app.get("/v1/refunds", (c) => {
    const params = query(c.req.url);
    const charge = typeof params.charge === "string" ? params.charge : undefined;
    const listed = page(
      state.list(
        "refund",
        (refund) => (charge === undefined || refund.charge === charge) && createdWithin(params)(refund),
      ),
      params,
      "/v1/refunds",
    );
    return c.json({ ...listed, data: listed.data.map((refund) => expand(refund, itemPaths(params.expand))) });
  });
  app.get("/v1/balance_transactions", (c) => {
    const params = query(c.req.url);
    return c.json(page(state.list("balance_transaction", createdWithin(params)), params, "/v1/balance_transactions"));
  });

  // The hosted payment page a customer is sent to, with the three outcomes a test card gives.
  app.get("/checkout/:id", (c) => {
    const session = state.get(c.req.param("id"), "checkout.session");
    const hidden = session._fake as { productName: string };
    const amount = Money.fromHalalas(BigInt(session.amount_total as number)).toString();
    return c.html(html`<!doctype html>
<html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>الدفع — Checkout (local)</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}
button{font-size:1rem;padding:.6rem 1.2rem;margin:.3rem}button:focus{outline:3px solid #0b57d0}</style></head>
<body><h1>الدفع الإلكتروني <small lang="en" dir="ltr">Local checkout</small></h1>
<p>${hidden.productName}</p>
<p><strong id="amount" dir="ltr">${amount} ${String(session.currency).toUpperCase()}</strong></p>
<p>حالة الجلسة / session: <span id="status">${String(session.status)}</span></p>
<form method="post" action="/checkout/${session.id}">
<button name="outcome" value="succeeded" type="submit">ادفع / Pay</button>
<button name="outcome" value="declined" type="submit">رفض البطاقة / Card declined</button>
<button name="outcome" value="cancel" type="submit">إلغاء / Cancel</button>
</form><p lang="en" dir="ltr"><small>This page stands in for Stripe Checkout when no STRIPE_SECRET_KEY is set.</small></p>
</body></html>`);
  });
  app.post("/checkout/:id", async (c) => {
    const session = state.get(c.req.param("id"), "checkout.session");
    const outcome = String((await form(c)).outcome ?? "");
    if (outcome === "cancel") return c.redirect(session.cancel_url as string, 303);
    if (outcome !== "succeeded" && outcome !== "declined") {
      throw new LocalStripeError(400, "invalid_request_error", "outcome is succeeded, declined or cancel");
    }
    state.completeCheckout(session.id, outcome);
    await state.settled();
    return outcome === "succeeded"
      ? c.redirect(session.success_url as string, 303)
      : c.redirect(`/checkout/${session.id}`, 303);
  });

  // What only the cardholder, the bank or time can do.
  app.post("/_fake/checkout/:id/complete", async (c) => {
    const { outcome } = (await c.req.json()) as { outcome: "succeeded" | "declined" | "async" };
    return c.json(state.publicCheckoutSession(state.completeCheckout(c.req.param("id"), outcome)));
  });
  app.post("/_fake/checkout/:id/settle", async (c) => {
    const { outcome } = (await c.req.json()) as { outcome: "succeeded" | "failed" };
    return c.json(state.publicCheckoutSession(state.settleAsync(c.req.param("id"), outcome)));
  });
  app.post("/_fake/checkout/:id/expire", (c) =>
    c.json(state.publicCheckoutSession(state.expireCheckout(c.req.param("id")))),
  );
  app.post("/_fake/payment_intents/:id/confirm", async (c) => {
    const { outcome } = (await c.req.json()) as { outcome: "succeeded" | "declined" };
    return c.json(state.confirmPaymentIntent(c.req.param("id"), outcome));
  });
  app.post("/_fake/charges/:id/dispute", async (c) => {
    const { amount } = (await c.req.json().catch(() => ({}))) as { amount?: number };
    return c.json(state.openDispute(c.req.param("id"), amount));
  });
  app.post("/_fake/disputes/:id/close", async (c) => {
    const { outcome } = (await c.req.json()) as { outcome: "won" | "lost" };
    return c.json(state.closeDispute(c.req.param("id"), outcome));
  });
  app.post("/_fake/refunds/:id/fail", async (c) => {
    const { reason } = (await c.req.json().catch(() => ({}))) as { reason?: string };
    return c.json(state.failRefund(c.req.param("id"), reason));
  });
  app.post("/_fake/payouts", async (c) => {
    const { amount } = (await c.req.json()) as { amount: number };
    return c.json(state.createPayout(amount));
  });
  app.post("/_fake/payouts/:id/fail", async (c) => {
    const { code } = (await c.req.json().catch(() => ({}))) as { code?: string };
    return c.json(state.failPayout(c.req.param("id"), code));
  });
  app.delete("/_fake/objects/:id", (c) => {
    state.forget(c.req.param("id"));
    return c.body(null, 204);
  });

  return {
    app,
    state,
    /**
     * The next `count` API requests (after `after` more are answered) are refused with 429, as
     * Stripe's rate limiter refuses them.
     */
    refuseNextRequests(count: number, options: { after?: number } = {}) {
      requestsToRefuse = count;
      requestsBeforeRefusing = options.after ?? 0;
    },
  };
}

export type LocalStripe = ReturnType<typeof createLocalStripe>;
