import { createHash, timingSafeEqual } from "node:crypto";
import { AppError } from "../shared/errors.js";
import { createRouter } from "../shared/http.js";
import type { Metrics } from "./registry.js";

const digest = (text: string) => createHash("sha256").update(text).digest();

/**
 * GET /metrics, Prometheus's text format, for a scraper that presents the configured token as a
 * bearer token (compared in constant time). Not in the OpenAPI document: it is for operators.
 */
export function metricsRoutes(deps: { metrics: Metrics; token: string }) {
  const expected = digest(deps.token);
  return createRouter().get("/metrics", async (c) => {
    const presented = /^Bearer (\S+)$/.exec(c.req.header("authorization") ?? "")?.[1];
    if (presented === undefined || !timingSafeEqual(digest(presented), expected)) {
      throw new AppError("AUTHENTICATION_REQUIRED", "GET /metrics needs the metrics token as a bearer token");
    }
    return c.body(await deps.metrics.render(), 200, { "content-type": deps.metrics.contentType });
  });
}
