import type { Clock } from "../shared/clock.js";
import { deleteInBatches } from "../shared/db/batched-delete.js";
import type { PrismaClient } from "../shared/db/database.js";
import { idempotencyKeyLifetimeMs } from "./middleware.js";
import { deleteExpiredIdempotencyKeys } from "./repository.js";

/** Keys deleted per statement: a day of the direct-link channel's requests can be millions. */
const purgeBatch = 10_000;

/** Deletes Idempotency-Keys past their 24 hours (requests already treat them as absent). */
export function purgeExpiredIdempotencyKeys(
  deps: { db: PrismaClient; clock: Clock },
  batch = purgeBatch,
): Promise<number> {
  const createdBefore = new Date(deps.clock.now().getTime() - idempotencyKeyLifetimeMs);
  return deleteInBatches((limit) => deleteExpiredIdempotencyKeys(deps.db, createdBefore, limit), batch);
}
