import { createHash, randomBytes } from "node:crypto";
import type { PrincipalType } from "../generated/prisma/enums.js";
import type { Clock } from "../shared/clock.js";
import type { PrismaClient } from "../shared/db/database.js";
import { newId } from "../shared/ids.js";
import { deleteEndedSessions, findLiveSession, insertSession, revokeSession } from "./repository.js";

/** Ended sessions are kept a week (for support questions), then purged. */
export const endedSessionRetentionMs = 7 * 24 * 60 * 60 * 1000;

/** A bearer token's SHA-256: tokens carry 256 random bits, so a fast hash is enough to store them. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A new random token with a prefix that says what it is ("ist_" session, "ik_" API key). */
export function newToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString("base64url")}`;
}

/**
 * Sessions for every kind of principal: the token is returned once and only its hash is kept;
 * a session is live until it expires or is revoked.
 */
export function createSessionStore(deps: { db: PrismaClient; clock: Clock }) {
  const { db, clock } = deps;
  return {
    async open(principalType: PrincipalType, principalId: string, lifetimeMs: number) {
      const token = newToken("ist_");
      const createdAt = clock.now();
      const expiresAt = new Date(createdAt.getTime() + lifetimeMs);
      const id = newId("ses");
      await insertSession(db, { id, tokenHash: hashToken(token), principalType, principalId, createdAt, expiresAt });
      return { id, token, expiresAt };
    },

    resolve: (token: string, principalType: PrincipalType) =>
      findLiveSession(db, hashToken(token), principalType, clock.now()),

    revoke: (sessionId: string) => revokeSession(db, sessionId, clock.now()),

    purgeEnded: () => deleteEndedSessions(db, new Date(clock.now().getTime() - endedSessionRetentionMs)),
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;
