import argon2 from "argon2";
import type { Clock } from "../shared/clock.js";
import type { PrismaClient } from "../shared/db/database.js";
import { isUniqueViolation } from "../shared/db/unique-violation.js";
import { AppError } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import type { StaffActor, StaffRole } from "./actor.js";
import { countStaffUsers, findStaffUserByEmail, findStaffUserById, insertStaffUser } from "./repository.js";
import { createSessionStore } from "./sessions.js";

/** Staff sessions last a working day; a new login is needed after. */
export const staffSessionLifetimeMs = 12 * 60 * 60 * 1000;
export const passwordLengthMin = 12;

/**
 * argon2id at OWASP's recommended setting (Password Storage Cheat Sheet: 19 MiB of memory,
 * 2 passes, parallelism 1). The library's default (64 MiB, parallelism 4) costs the serving
 * process an extra ~45 MB of resident memory after the first sign-in, for no gain an attacker
 * would notice.
 */
export const passwordHashOptions = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** Hashes a password with argon2id. */
export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, passwordHashOptions);
}

/**
 * Checks a password against a stored hash; for an unknown user pass undefined and a real hash
 * is verified anyway, so the answer's timing does not tell unknown users from wrong passwords.
 */
async function verifyPassword(storedHash: string | undefined, password: string): Promise<boolean> {
  const isValid = await argon2.verify(storedHash ?? (await unknownUserHash), password);
  return storedHash !== undefined && isValid;
}

/**
 * The user when the password is theirs; otherwise INVALID_CREDENTIALS, the same answer in the
 * same time whether the email is unknown or the password wrong.
 */
export async function assertCredentials<User extends { passwordHash: string }>(
  user: User | undefined,
  password: string,
): Promise<User> {
  const isValid = await verifyPassword(user?.passwordHash, password);
  if (!user || !isValid) throw new AppError("INVALID_CREDENTIALS", "the email or the password is wrong");
  return user;
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function createAuthService(deps: { db: PrismaClient; clock: Clock }) {
  const { db } = deps;
  const sessions = createSessionStore(deps);

  async function createStaffUser(input: { email: string; displayName: string; password: string; role: StaffRole }) {
    if (input.password.length < passwordLengthMin) {
      throw new AppError("VALIDATION_FAILED", `a staff password has at least ${passwordLengthMin} characters`, [
        { path: "json.password", message: "too short" },
      ]);
    }
    const user = {
      id: newId("stf"),
      email: normaliseEmail(input.email),
      displayName: input.displayName,
      passwordHash: await hashPassword(input.password),
      role: input.role,
    };
    try {
      await insertStaffUser(db, user);
    } catch (error) {
      if (isUniqueViolation(error, "email"))
        throw new AppError("STAFF_EMAIL_TAKEN", "a staff user with this email exists");
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
      const user = await assertCredentials(await findStaffUserByEmail(db, normaliseEmail(input.email)), input.password);
      const { token, expiresAt } = await sessions.open("STAFF", user.id, staffSessionLifetimeMs);
      return {
        token,
        expiresAt,
        staffUser: { id: user.id, email: user.email, displayName: user.displayName, role: user.role },
      };
    },

    async authenticate(token: string): Promise<StaffActor | undefined> {
      const session = await sessions.resolve(token, "STAFF");
      if (!session) return undefined;
      const user = await findStaffUserById(db, session.principalId);
      if (!user) return undefined;
      return { kind: "staff", staffUserId: user.id, role: user.role, sessionId: session.id };
    },

    async logOut(actor: StaffActor): Promise<void> {
      await sessions.revoke(actor.sessionId);
    },

    async describe(actor: StaffActor) {
      const user = await findStaffUserById(db, actor.staffUserId);
      if (!user) throw new AppError("AUTHENTICATION_REQUIRED", "the session's user no longer exists");
      return { id: user.id, email: user.email, displayName: user.displayName, role: user.role };
    },
  };
}

const unknownUserHash = argon2.hash("no-such-user-placeholder", passwordHashOptions);

export type AuthService = ReturnType<typeof createAuthService>;
