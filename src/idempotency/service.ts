import type { Clock } from "../shared/clock.js";
import type { PrismaClient } from "../shared/db/database.js";
import { idempotencyKeyLifetimeMs } from "./middleware.js";
import { deleteExpiredIdempotencyKeys } from "./repository.js";

/** Deletes Idempotency-Keys past their 24 hours (requests already treat them as absent). */
export function purgeExpiredIdempotencyKeys(deps: { db: PrismaClient; clock: Clock }): Promise<number> {
  return deleteExpiredIdempotencyKeys(deps.db, new Date(deps.clock.now().getTime() - idempotencyKeyLifetimeMs));
}
