import { createHash } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { Actor } from "../auth/actor.js";
import type { Clock } from "../shared/clock.js";
import type { PrismaClient } from "../shared/db/database.js";
import { AppError } from "../shared/errors.js";
import type { AppEnv } from "../shared/http.js";
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  findIdempotencyKey,
  releaseIdempotencyKey,
} from "./repository.js";

/** Keys live a day, as at payment processors: a retry after that is a new request. */
export const idempotencyKeyLifetimeMs = 24 * 60 * 60 * 1000;
export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";
export const REPLAYED_HEADER = "Idempotent-Replayed";

function scopeOf(actor: Actor | undefined, path: string): string {
  if (!actor) return `anonymous:${path}`;
  switch (actor.kind) {
    case "staff":
      return `staff:${actor.staffUserId}`;
    case "establishment":
      return `establishment:${actor.establishmentId}`;
    case "subscriber":
      return `subscriber:${actor.subscriberId}`;
  }
}

/**
 * Processor-style idempotency for POSTs that carry an Idempotency-Key header: the first request
 * claims the key; a retry with the same body gets the stored answer (status and body, with
 * `Idempotent-Replayed: true`); the same key with another body is 422; a retry while the first
 * is still running is 409. Answers of 500 and above are not kept, so the client may retry.
 * The domain's own unique constraints (one journal entry per event, one establishment per
 * unified number) still hold if a crash falls between the effect and storing the answer.
 * Mount it after authentication, so keys are scoped to the caller.
 */
export function honourIdempotencyKeys(deps: {
  db: PrismaClient;
  clock: Clock;
  exceptPath?: RegExp;
}): MiddlewareHandler<AppEnv> {
  const { db, clock } = deps;
  return async (c, next) => {
    const key = c.req.header(IDEMPOTENCY_KEY_HEADER);
    // Streamed uploads keep their key inside their own transaction instead (employees/bulk).
    if (c.req.method !== "POST" || key === undefined || deps.exceptPath?.test(c.req.path)) return next();
    if (key.length === 0 || key.length > 200) {
      throw new AppError("VALIDATION_FAILED", "an Idempotency-Key has 1 to 200 characters", [
        { path: "header.idempotency-key", message: "length" },
      ]);
    }
    const scope = scopeOf(c.get("actor"), c.req.path);
    const requestHash = createHash("sha256")
      .update(`${c.req.method} ${c.req.path}\n`)
      .update(await c.req.text())
      .digest("hex");
    const now = clock.now();
    await releaseIdempotencyKey(db, scope, key, new Date(now.getTime() - idempotencyKeyLifetimeMs));

    if (!(await claimIdempotencyKey(db, { scope, key, requestHash, createdAt: now }))) {
      const stored = await findIdempotencyKey(db, scope, key);
      if (stored && stored.requestHash !== requestHash) {
        throw new AppError("IDEMPOTENCY_KEY_REUSED", "this Idempotency-Key was used with a different request");
      }
      if (!stored || stored.responseStatus === null || stored.responseBody === null) {
        throw new AppError(
          "IDEMPOTENCY_KEY_IN_USE",
          "a request with this Idempotency-Key is still being handled; retry shortly",
        );
      }
      return c.body(stored.responseBody, stored.responseStatus as 200, {
        "content-type": "application/json",
        [REPLAYED_HEADER]: "true",
      });
    }

    try {
      await next();
    } catch (error) {
      await releaseIdempotencyKey(db, scope, key);
      throw error;
    }
    const response = c.res;
    if (response.status >= 500) {
      await releaseIdempotencyKey(db, scope, key);
      return;
    }
    await completeIdempotencyKey(db, scope, key, { status: response.status, body: await response.clone().text() });
  };
}
