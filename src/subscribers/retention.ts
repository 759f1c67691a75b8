import type { Clock } from "../shared/clock.js";
import type { PrismaClient } from "../shared/db/database.js";
import { deleteCodesExpiredBefore } from "./one-time-codes.js";
import { deletePendingRegistrationsExpiredBefore } from "./repository.js";

/**
 * How long registrations and one-time codes are kept after they expire. A day, because the
 * sending caps count a destination's codes of the last day; after that they only hold mobile
 * numbers, email addresses and (abandoned registrations) password hashes nobody needs.
 */
export const signUpDataRetentionMs = 24 * 60 * 60 * 1000;

/** The daily purge of what sign-ups, resets and contact changes leave behind. */
export async function purgeSpentSignUpData(deps: { db: PrismaClient; clock: Clock }) {
  const expiredBefore = new Date(deps.clock.now().getTime() - signUpDataRetentionMs);
  return deps.db.$transaction(async (tx) => ({
    registrations: await deletePendingRegistrationsExpiredBefore(tx, expiredBefore),
    codes: await deleteCodesExpiredBefore(tx, expiredBefore),
  }));
}
