import { z } from "@hono/zod-openapi";

export const LivenessResponse = z.object({ status: z.literal("up") }).openapi("Liveness");

export const ReadinessResponse = z
  .object({
    status: z.literal("ready"),
    migrationsApplied: z.number().int().openapi({ description: "Migrations the database has finished applying" }),
  })
  .openapi("Readiness");
