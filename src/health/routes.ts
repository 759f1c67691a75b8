import { createRoute } from "@hono/zod-openapi";
import type { AppDeps } from "../app.js";
import { createRouter, errorResponses } from "../shared/http.js";
import { LivenessResponse, ReadinessResponse } from "./schemas.js";
import { checkReadiness } from "./service.js";

const liveness = createRoute({
  method: "get",
  path: "/healthz",
  tags: ["Operations"],
  summary: "The process is up",
  responses: { 200: { description: "Up", content: { "application/json": { schema: LivenessResponse } } } },
});

const readiness = createRoute({
  method: "get",
  path: "/readyz",
  tags: ["Operations"],
  summary: "The database is reachable and every migration is applied",
  responses: {
    200: { description: "Ready", content: { "application/json": { schema: ReadinessResponse } } },
    ...errorResponses("NOT_READY"),
  },
});

export function healthRoutes(deps: Pick<AppDeps, "db" | "expectedMigrations">) {
  return createRouter()
    .openapi(liveness, (c) => c.json({ status: "up" as const }, 200))
    .openapi(readiness, async (c) => {
      const { migrationsApplied } = await checkReadiness(deps.db, deps.expectedMigrations);
      return c.json({ status: "ready" as const, migrationsApplied }, 200);
    });
}
