import { getConnInfo } from "@hono/node-server/conninfo";
import { type Hook, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context, ErrorHandler, MiddlewareHandler, NotFoundHandler, TypedResponse } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { methodNotAllowed } from "hono/method-not-allowed";
import { requestId } from "hono/request-id";
import { routePath } from "hono/route";
import type { Actor } from "../auth/actor.js";
import { monotonicMilliseconds } from "./clock.js";
import { isUnstorableText } from "./db/unstorable-text.js";
import { AppError, type ErrorCode, type ErrorDetail, errorBody, errorStatus } from "./errors.js";
import type { Logger } from "./logger.js";

/** Per-request values only; dependencies reach handlers by closure. */
export type AppEnv = {
  Variables: {
    requestId: string;
    logger: Logger;
    /** Set by the authentication middleware on routes that require it. */
    actor: Actor;
  };
};

export const REQUEST_ID_HEADER = "X-Request-Id";

/** zod failures in params, query or body: 400 VALIDATION_FAILED listing every issue. */
export const rejectInvalidInput: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (result.success) return;
  throw new AppError(
    "VALIDATION_FAILED",
    `the request ${result.target} is invalid`,
    result.error.issues.map((issue) => ({
      path: [result.target, ...issue.path.map(String)].join("."),
      message: issue.message,
      issue: issue.code,
    })),
  );
};

/** An OpenAPIHono with the shared validation hook: every feature builds its sub-app with it. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: rejectInvalidInput });
}

/** A request as answered, for metrics: `route` is the pattern that answered it (`/v1/invoices/:invoiceId`). */
export type AnsweredRequest = { method: string; route: string; status: number; seconds: number };

/**
 * Assigns (or accepts a well-formed incoming) request id and logs one line per request; with
 * `onAnswered`, also tells it each request with the route pattern that answered (a middleware's
 * own pattern such as `/v1/establishments/*` when one answered, e.g. 401 or 404).
 */
export function tagAndLogRequests(
  logger: Logger,
  onAnswered?: (request: AnsweredRequest) => void,
): MiddlewareHandler<AppEnv>[] {
  return [
    requestId({ headerName: REQUEST_ID_HEADER }),
    async (c, next) => {
      const requestLogger = logger.child({ requestId: c.var.requestId });
      c.set("logger", requestLogger);
      const started = monotonicMilliseconds();
      await next();
      const milliseconds = monotonicMilliseconds() - started;
      requestLogger.info(
        {
          method: c.req.method,
          path: c.req.path,
          status: c.res.status,
          durationMs: Math.round(milliseconds * 100) / 100,
        },
        "request",
      );
      onAnswered?.({ method: c.req.method, route: routePath(c), status: c.res.status, seconds: milliseconds / 1000 });
    },
  ];
}

/**
 * Bodies over the limit answer 413; streamed uploads (paths matching `exceptPath`) count their own.
 * A declared Content-Length is judged from the header alone, as Hono's bodyLimit would judge it
 * (the HTTP parser holds the body to that length); only a chunked body goes through bodyLimit,
 * which counts it as it reads. bodyLimit first asks for `raw.body`, and on @hono/node-server
 * that builds the web Request with its stream, abort signal and headers, which a handler
 * reading the body whole (text, json) otherwise never needs: about 0.1 ms of CPU a request.
 */
export function limitBodySize(maxBytes: number, exceptPath?: RegExp): MiddlewareHandler<AppEnv> {
  const tooLarge = () => {
    throw new AppError("PAYLOAD_TOO_LARGE", `the request body is larger than ${maxBytes} bytes`);
  };
  const countAsRead = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD" || exceptPath?.test(c.req.path)) return next();
    const declared = c.req.header("content-length");
    if (declared === undefined || c.req.header("transfer-encoding") !== undefined) return countAsRead(c, next);
    return Number.parseInt(declared, 10) > maxBytes ? tooLarge() : next();
  };
}

/** HTTPExceptions come from Hono's own validators and middleware; give them our codes. */
function appErrorFromHttpException(exception: HTTPException): AppError {
  switch (exception.status) {
    case 400:
      return exception.message.startsWith("Malformed JSON")
        ? new AppError("MALFORMED_JSON", "the request body is not valid JSON")
        : new AppError("VALIDATION_FAILED", exception.message || "the request is invalid");
    case 413:
      return new AppError("PAYLOAD_TOO_LARGE", "the request body is too large");
    case 415:
      return new AppError("UNSUPPORTED_MEDIA_TYPE", "the request body must be application/json");
    default:
      return new AppError("INTERNAL", "an unexpected error occurred");
  }
}

export function renderError(fallbackLogger: Logger): ErrorHandler<AppEnv> {
  return (error, c) => {
    const logger = c.get("logger") ?? fallbackLogger;
    let appError: AppError;
    if (error instanceof AppError) {
      appError = error;
    } else if (error instanceof HTTPException) {
      appError = appErrorFromHttpException(error);
    } else if (isUnstorableText(error)) {
      // Any text the request carried, wherever it reached the database (a body, a path, an
      // upload): refused like any other invalid input, and the failed statement wrote nothing.
      appError = new AppError("VALIDATION_FAILED", "text must not contain the NUL character (U+0000)");
    } else {
      appError = new AppError("INTERNAL", "an unexpected error occurred");
    }
    if (appError.code === "INTERNAL") {
      logger.error({ err: error }, "unhandled error");
    }
    const headers =
      appError.retryAfterSeconds === undefined
        ? undefined
        : { "Retry-After": String(Math.max(1, Math.ceil(appError.retryAfterSeconds))) };
    return c.json(errorBody(appError, c.get("requestId")), appError.status, headers);
  };
}

export const answerRouteNotFound: NotFoundHandler<AppEnv> = (c) => {
  const error = new AppError("ROUTE_NOT_FOUND", `no route for ${c.req.method} ${c.req.path}`);
  return c.json(errorBody(error, c.get("requestId")), error.status);
};

export function answerMethodNotAllowed(app: OpenAPIHono<AppEnv>): MiddlewareHandler<AppEnv> {
  return methodNotAllowed<AppEnv>({
    app,
    onMethodNotAllowed: (c: Context<AppEnv>, allowed: string[]) => {
      const error = new AppError(
        "METHOD_NOT_ALLOWED",
        `${c.req.method} is not allowed here; use ${allowed.join(", ")}`,
      );
      return c.json(errorBody(error, c.get("requestId")), error.status, { Allow: allowed.join(", ") });
    },
  });
}

export const ErrorResponseSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "VALIDATION_FAILED" }),
      message: z.string(),
      details: z.array(z.object({ path: z.string().optional(), message: z.string() }).catchall(z.unknown())).optional(),
      requestId: z.string().optional(),
    }),
  })
  .openapi("Error");

/**
 * OpenAPI responses for the error codes a route can answer with, grouped by status and
 * generated from the one error table, so the document cannot drift from `renderError`.
 */
export function errorResponses(...codes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set<ErrorCode>([...codes, "VALIDATION_FAILED", "INTERNAL"])) {
    const status = errorStatus[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, statusCodes]) => [
      status,
      {
        description: `Error: ${statusCodes.join(", ")}`,
        content: { "application/json": { schema: ErrorResponseSchema } },
      },
    ]),
  );
}

export type { ErrorDetail };

/** A route's JSON body or response: `{ content: { "application/json": { schema } } }`. */
export function jsonContent<T>(schema: T) {
  return { content: { "application/json": { schema } } };
}

/** Routes that take a session: a bearer token or the session cookie. */
export const sessionSecurity = [{ bearer: [] }, { sessionCookie: [] }];

/**
 * The caller's address, for per-client rate limits: the socket's peer, or behind a trusted
 * reverse proxy the first X-Forwarded-For entry. "unknown" in-process (tests), where every
 * request then shares one budget.
 */
export function clientAddress(c: Context<AppEnv>, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}

/**
 * A 200 JSON answer the database already serialised, sent byte for byte and typed as the
 * route's response (the agreement tests parse it with the same schema).
 */
export function preparedJson<T>(c: Context, text: string): TypedResponse<T, 200, "json"> {
  return c.body(text, 200, { "content-type": "application/json" }) as unknown as TypedResponse<T, 200, "json">;
}
