import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * Every error Ishtirak answers with, and its HTTP status. The one table: `renderError` maps
 * through it and the OpenAPI document's error responses are generated from it.
 */
export const errorStatus = {
  /** The request's parameters, query or body break their schema; `details` lists every issue. */
  VALIDATION_FAILED: 400,
  /** The body declared as JSON does not parse. */
  MALFORMED_JSON: 400,
  /** No route has this path. */
  ROUTE_NOT_FOUND: 404,
  /** The path exists, but not for this method; the `Allow` header lists the ones that do. */
  METHOD_NOT_ALLOWED: 405,
  /** The body is longer than the limit for this route. */
  PAYLOAD_TOO_LARGE: 413,
  /** The body is not in a media type the route accepts. */
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** Something failed that the request could not have caused; details are in the log only. */
  INTERNAL: 500,
  /** The database is unreachable or has migrations still to apply. */
  NOT_READY: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof errorStatus;

export type ErrorDetail = { path?: string; message: string; [key: string]: unknown };

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: readonly ErrorDetail[],
  ) {
    super(message);
    this.name = "AppError";
  }

  get status(): ContentfulStatusCode {
    return errorStatus[this.code];
  }
}

export type ErrorBody = {
  error: { code: ErrorCode; message: string; details?: readonly ErrorDetail[]; requestId?: string };
};

export function errorBody(error: AppError, requestId: string | undefined): ErrorBody {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.details === undefined ? {} : { details: error.details }),
      ...(requestId === undefined ? {} : { requestId }),
    },
  };
}
