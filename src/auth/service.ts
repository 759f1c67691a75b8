import { createHash, randomBytes } from "node:crypto";
import argon2 from "argon2";
import type { Clock } from "../shared/clock.js";
import type { PrismaClient } from "../shared/db/database.js";
import { AppError } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import type { Actor, StaffRole } from "./actor.js";
import {
  countStaffUsers,
  findLiveStaffSession,
  findStaffUserByEmail,
  findStaffUserById,
  insertSession,
  insertStaffUser,
  isEmailTaken,
  revokeSession,
} from "./repository.js";

/** Staff sessions last a working day; a new login is needed after. */
export const staffSessionLifetimeMs = 12 * 60 * 60 * 1000;
export const staffPasswordLengthMin = 12;

/**
 * argon2id with the library's defaults (64 MiB, 3 passes, parallelism 4): OWASP's
 * recommended floor is lower, so these stay on the safe side for a few logins a second.
 */
const passwordHashOptions = { type: argon2.argon2id } as const;

/** A bearer token's SHA-256: tokens carry 256 random bits, so a fast hash is enough to store them. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function createAuthService(deps: { db: PrismaClient; clock: Clock }) {
  const { db, clock } = deps;

  async function createStaffUser(input: { email: string; displayName: string; password: string; role: StaffRole }) {
    if (input.password.length < staffPasswordLengthMin) {
      throw new AppError("VALIDATION_FAILED", `a staff password has at least ${staffPasswordLengthMin} characters`, [
        { path: "json.password", message: "too short" },
      ]);
    }
    const user = {
      id: newId("stf"),
      email: normaliseEmail(input.email),
      displayName: input.displayName,
      passwordHash: await argon2.hash(input.password, passwordHashOptions),
      role: input.role,
    };
    try {
      await insertStaffUser(db, user);
    } catch (error) {
      if (isEmailTaken(error)) throw new AppError("STAFF_EMAIL_TAKEN", "a staff user with this email exists");
      throw error;
    }
    return { id: user.id, email: user.email, displayName: user.displayName, role: user.role };
  }

  return {
    createStaffUser,

    /** Creates the first agency admin from configuration, once; later starts leave it alone. */
    async ensureBootstrapAdmin(input: { email: string; password: string }): Promise<boolean> {
      if ((await countStaffUsers(db)) > 0) return false;
      await createStaffUser({ ...input, displayName: "Agency administrator", role: "AGENCY_ADMIN" });
      return true;
    },

    async logInStaff(input: { email: string; password: string }) {
      const user = await findStaffUserByEmail(db, normaliseEmail(input.email));
      // Verify against a real hash even for an unknown email, so timing does not tell them apart.
      const hash = user?.passwordHash ?? (await unknownUserHash);
      const isValid = await argon2.verify(hash, input.password);
      if (!user || !isValid) throw new AppError("INVALID_CREDENTIALS", "the email or the password is wrong");
      const token = `ist_${randomBytes(32).toString("base64url")}`;
      const createdAt = clock.now();
      const expiresAt = new Date(createdAt.getTime() + staffSessionLifetimeMs);
      await insertSession(db, {
        id: newId("ses"),
        tokenHash: hashToken(token),
        principalId: user.id,
        createdAt,
        expiresAt,
      });
      return {
        token,
        expiresAt,
        staffUser: { id: user.id, email: user.email, displayName: user.displayName, role: user.role },
      };
    },

    async authenticate(token: string): Promise<Actor | undefined> {
      const session = await findLiveStaffSession(db, hashToken(token), clock.now());
      if (!session) return undefined;
      const user = await findStaffUserById(db, session.principalId);
      if (!user) return undefined;
      return { kind: "staff", staffUserId: user.id, role: user.role, sessionId: session.id };
    },

    async logOut(actor: Actor): Promise<void> {
      await revokeSession(db, actor.sessionId, clock.now());
    },

    async describe(actor: Actor) {
      const user = await findStaffUserById(db, actor.staffUserId);
      if (!user) throw new AppError("AUTHENTICATION_REQUIRED", "the session's user no longer exists");
      return { id: user.id, email: user.email, displayName: user.displayName, role: user.role };
    },
  };
}

const unknownUserHash = argon2.hash("no-such-user-placeholder", passwordHashOptions);

export type AuthService = ReturnType<typeof createAuthService>;
