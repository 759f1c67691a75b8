import type { PrismaClient, Tx } from "./db/database.js";
import { AppError } from "./errors.js";

export type WindowLimit = { limit: number; windowMs: number };

/**
 * Counts one hit on `key` in a fixed window kept in PostgreSQL (so every process shares it);
 * past the limit answers RATE_LIMITED with the seconds until the window ends.
 */
export async function countHit(db: PrismaClient | Tx, key: string, rule: WindowLimit, now: Date): Promise<void> {
  const windowOpenAfter = new Date(now.getTime() - rule.windowMs);
  const [row] = await db.$queryRaw<{ hits: number; windowStartedAt: Date }[]>`
    INSERT INTO throttles (key, window_started_at, hits) VALUES (${key}, ${now}, 1)
    ON CONFLICT (key) DO UPDATE
       SET hits = CASE WHEN throttles.window_started_at <= ${windowOpenAfter} THEN 1 ELSE throttles.hits + 1 END,
           window_started_at = CASE WHEN throttles.window_started_at <= ${windowOpenAfter} THEN ${now}
                                    ELSE throttles.window_started_at END
    RETURNING hits, window_started_at AS "windowStartedAt"`;
  if (row && row.hits > rule.limit) {
    const retryAfterMs = row.windowStartedAt.getTime() + rule.windowMs - now.getTime();
    throw new AppError("RATE_LIMITED", "too many requests; try again later", undefined, retryAfterMs / 1000);
  }
}

export type LockoutRule = { failures: number; windowMs: number; lockMs: number };

/**
 * Failed-attempt lockout on a key that names what is attacked (an ID number), whether or not an
 * account exists for it, so being locked out tells nothing about existence.
 */
export function createLockout(db: PrismaClient, rule: LockoutRule) {
  return {
    /** SIGN_IN_LOCKED while the key is locked. */
    async assertOpen(key: string, now: Date): Promise<void> {
      const [row] = await db.$queryRaw<{ lockedUntil: Date | null }[]>`
        SELECT locked_until AS "lockedUntil" FROM throttles WHERE key = ${key}`;
      if (row?.lockedUntil && row.lockedUntil > now) {
        throw new AppError(
          "SIGN_IN_LOCKED",
          "too many failed sign-ins: try again later or reset the password",
          undefined,
          (row.lockedUntil.getTime() - now.getTime()) / 1000,
        );
      }
    },

    /** Counts a failure; the one that reaches the limit locks the key and restarts the count. */
    async recordFailure(key: string, now: Date): Promise<void> {
      const windowOpenAfter = new Date(now.getTime() - rule.windowMs);
      const lockedUntil = new Date(now.getTime() + rule.lockMs);
      await db.$executeRaw`
        INSERT INTO throttles (key, window_started_at, hits) VALUES (${key}, ${now}, 1)
        ON CONFLICT (key) DO UPDATE
           SET hits = CASE WHEN throttles.window_started_at <= ${windowOpenAfter} THEN 1 ELSE throttles.hits + 1 END,
               window_started_at = CASE WHEN throttles.window_started_at <= ${windowOpenAfter} THEN ${now}
                                        ELSE throttles.window_started_at END`;
      await db.$executeRaw`
        UPDATE throttles SET locked_until = ${lockedUntil}, hits = 0, window_started_at = ${now}
         WHERE key = ${key} AND hits >= ${rule.failures}`;
    },

    async clear(key: string): Promise<void> {
      await db.$executeRaw`DELETE FROM throttles WHERE key = ${key}`;
    },
  };
}

/** Throttle rows whose window and lock both ended before the cut-off (the daily purge). */
export async function purgeThrottles(db: PrismaClient, endedBefore: Date): Promise<number> {
  return db.$executeRaw`
    DELETE FROM throttles WHERE window_started_at < ${endedBefore}
                            AND (locked_until IS NULL OR locked_until < ${endedBefore})`;
}
