import type { Context } from "hono";
import type { PortalEnv } from "./context.js";

/** The API's error shape, as every endpoint answers it. */
export type ApiError = {
  status: number;
  code: string;
  message: string;
  details: { path?: string; message: string }[];
  retryAfterSeconds?: number;
};

export type ApiResult<T> = { ok: true; status: number; data: T; headers: Headers } | { ok: false; error: ApiError };

export type ApiFetch = (request: Request, env: unknown) => Response | Promise<Response>;

export type ApiCall = {
  method?: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  /** The caller's session token, sent as a bearer token. */
  token?: string | undefined;
  json?: unknown;
  body?: BodyInit;
  contentType?: string;
  /** Sent as Idempotency-Key: a form submitted twice does its work once. */
  idempotencyKey?: string | undefined;
};

/**
 * The portal's pages hold no rules of their own: each one calls the same HTTP API that payroll
 * systems and scripts use, in-process (no network hop), with the signed-in user's session token.
 * Validation, tenancy, idempotency and error codes are therefore the API's, to the letter.
 * The Node bindings of the page request are passed along, so rate limits keyed by the client's
 * address see the real client.
 */
export function createApiClient(fetchApi: () => ApiFetch) {
  return async function callApi<T>(c: Context<PortalEnv>, call: ApiCall): Promise<ApiResult<T>> {
    const headers = new Headers();
    if (call.token) headers.set("authorization", `Bearer ${call.token}`);
    if (call.idempotencyKey) headers.set("idempotency-key", call.idempotencyKey);
    const requestId = c.get("requestId");
    if (requestId) headers.set("x-request-id", requestId);
    const forwarded = c.req.header("x-forwarded-for");
    if (forwarded) headers.set("x-forwarded-for", forwarded);
    let body: BodyInit | undefined = call.body;
    if (call.json !== undefined) {
      headers.set("content-type", "application/json");
      body = JSON.stringify(call.json);
    } else if (call.contentType) headers.set("content-type", call.contentType);
    const url = new URL(call.path, "http://portal.internal");
    const response = await fetchApi()(
      new Request(url, { method: call.method ?? "GET", headers, ...(body === undefined ? {} : { body }) }),
      c.env,
    );
    const text = await response.text();
    const parsed = text && response.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text;
    if (response.ok) return { ok: true, status: response.status, data: parsed as T, headers: response.headers };
    const error = (parsed as { error?: Partial<ApiError> } | undefined)?.error;
    const retryAfter = Number(response.headers.get("retry-after"));
    return {
      ok: false,
      error: {
        status: response.status,
        code: error?.code ?? "UNEXPECTED",
        message: error?.message ?? response.statusText,
        details: error?.details ?? [],
        ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}),
      },
    };
  };
}

export type CallApi = ReturnType<typeof createApiClient>;
