import type { EstablishmentActor } from "../auth/actor.js";
import { assertCredentials, hashPassword, normaliseEmail, passwordLengthMin } from "../auth/service.js";
import { hashToken, newToken, type SessionStore } from "../auth/sessions.js";
import type { Clock } from "../shared/clock.js";
import type { PrismaClient } from "../shared/db/database.js";
import { isUniqueViolation } from "../shared/db/unique-violation.js";
import { AppError } from "../shared/errors.js";
import { parseCommercialRegistration, parseSaudiMobile, parseUnifiedNumber } from "../shared/identifiers.js";
import { newId } from "../shared/ids.js";
import {
  type EstablishmentRecord,
  findEstablishment,
  findEstablishmentUser,
  findEstablishmentUserByEmail,
  findLiveApiKeyByHash,
  insertApiKey,
  insertEstablishmentWithAdmin,
  listApiKeys,
  revokeApiKey,
  touchApiKey,
} from "./repository.js";

/** Establishment admins' sessions last a working day, like staff sessions. */
export const establishmentSessionLifetimeMs = 12 * 60 * 60 * 1000;
const API_KEY_PREFIX = "ik_";
const SESSION_PREFIX = "ist_";

export type RegisterEstablishmentInput = {
  nameAr: string;
  nameEn: string;
  commercialRegistration?: string | undefined;
  unifiedNumber?: string | undefined;
  contactEmail: string;
  contactMobile: string;
  city: string;
  admin: { email: string; password: string };
};

export function createEmployerService(deps: { db: PrismaClient; clock: Clock; sessions: SessionStore }) {
  const { db, clock, sessions } = deps;

  /** The establishment, if the caller belongs to it; otherwise the same 404 as a missing one. */
  async function establishmentOf(actor: EstablishmentActor, establishmentId: string): Promise<EstablishmentRecord> {
    const establishment =
      actor.establishmentId === establishmentId ? await findEstablishment(db, establishmentId) : undefined;
    if (!establishment) throw new AppError("ESTABLISHMENT_NOT_FOUND", `no establishment ${establishmentId}`);
    return establishment;
  }

  function requireAdminSession(actor: EstablishmentActor): { userId: string; sessionId: string } {
    if (actor.via.type !== "session") {
      throw new AppError("API_KEY_NOT_PERMITTED", "API keys are managed by a signed-in establishment admin");
    }
    return actor.via;
  }

  return {
    establishmentOf,

    async registerEstablishment(input: RegisterEstablishmentInput) {
      const commercialRegistration =
        input.commercialRegistration === undefined
          ? undefined
          : parseCommercialRegistration(input.commercialRegistration);
      if (input.commercialRegistration !== undefined && commercialRegistration === undefined) {
        throw new AppError("COMMERCIAL_REGISTRATION_INVALID", "a commercial registration is 10 digits");
      }
      const unifiedNumber = input.unifiedNumber === undefined ? undefined : parseUnifiedNumber(input.unifiedNumber);
      if (input.unifiedNumber !== undefined && unifiedNumber === undefined) {
        throw new AppError("UNIFIED_NUMBER_INVALID", "a unified national number is 10 digits starting with 7");
      }
      if (commercialRegistration === undefined && unifiedNumber === undefined) {
        throw new AppError(
          "ESTABLISHMENT_IDENTIFIER_REQUIRED",
          "give the commercial registration, the unified number, or both",
        );
      }
      const contactMobile = parseSaudiMobile(input.contactMobile);
      if (!contactMobile) throw new AppError("MOBILE_INVALID", "a Saudi mobile number: 05XXXXXXXX or +9665XXXXXXXX");
      if (input.admin.password.length < passwordLengthMin) {
        throw new AppError("PASSWORD_TOO_WEAK", `a password has at least ${passwordLengthMin} characters`);
      }
      const createdAt = clock.now();
      const admin = {
        id: newId("eu"),
        email: normaliseEmail(input.admin.email),
        passwordHash: await hashPassword(input.admin.password),
      };
      try {
        const establishment = await db.$transaction((tx) =>
          insertEstablishmentWithAdmin(
            tx,
            {
              id: newId("est"),
              nameAr: input.nameAr,
              nameEn: input.nameEn,
              commercialRegistration: commercialRegistration ?? null,
              unifiedNumber: unifiedNumber ?? null,
              contactEmail: normaliseEmail(input.contactEmail),
              contactMobile,
              city: input.city,
              createdAt,
            },
            admin,
          ),
        );
        return { establishment, admin: { id: admin.id, email: admin.email } };
      } catch (error) {
        if (isUniqueViolation(error, "unified_number")) {
          throw new AppError(
            "ESTABLISHMENT_ALREADY_REGISTERED",
            "an establishment with this unified number is registered",
          );
        }
        if (isUniqueViolation(error, "email")) throw new AppError("USER_EMAIL_TAKEN", "a user with this email exists");
        throw error;
      }
    },

    async logInAdmin(input: { email: string; password: string }) {
      const user = await assertCredentials(
        await findEstablishmentUserByEmail(db, normaliseEmail(input.email)),
        input.password,
      );
      const session = await sessions.open("ESTABLISHMENT_USER", user.id, establishmentSessionLifetimeMs);
      return {
        token: session.token,
        expiresAt: session.expiresAt,
        user: { id: user.id, email: user.email, establishmentId: user.establishmentId },
      };
    },

    async logOut(actor: EstablishmentActor): Promise<void> {
      await sessions.revoke(requireAdminSession(actor).sessionId);
    },

    /** A session token (ist_…) of an establishment user, or a direct-link API key (ik_…). */
    async authenticateCaller(token: string): Promise<EstablishmentActor | undefined> {
      if (token.startsWith(API_KEY_PREFIX)) {
        const key = await findLiveApiKeyByHash(db, hashToken(token));
        if (!key) return undefined;
        await touchApiKey(db, key.id, clock.now());
        return {
          kind: "establishment",
          establishmentId: key.establishmentId,
          via: { type: "api_key", apiKeyId: key.id },
        };
      }
      if (!token.startsWith(SESSION_PREFIX)) return undefined;
      const session = await sessions.resolve(token, "ESTABLISHMENT_USER");
      const user = session ? await findEstablishmentUser(db, session.principalId) : undefined;
      if (!session || !user) return undefined;
      return {
        kind: "establishment",
        establishmentId: user.establishmentId,
        via: { type: "session", userId: user.id, sessionId: session.id },
      };
    },

    async createApiKey(actor: EstablishmentActor, establishmentId: string, name: string) {
      const { userId } = requireAdminSession(actor);
      await establishmentOf(actor, establishmentId);
      const key = newToken(API_KEY_PREFIX);
      const record = {
        id: newId("key"),
        establishmentId,
        name,
        displayPrefix: key.slice(0, API_KEY_PREFIX.length + 6),
        keyHash: hashToken(key),
        createdByUserId: userId,
        createdAt: clock.now(),
      };
      await insertApiKey(db, record);
      return { ...record, key, lastUsedAt: null, revokedAt: null };
    },

    async listApiKeys(actor: EstablishmentActor, establishmentId: string) {
      requireAdminSession(actor);
      await establishmentOf(actor, establishmentId);
      return listApiKeys(db, establishmentId);
    },

    async revokeApiKey(actor: EstablishmentActor, establishmentId: string, keyId: string): Promise<void> {
      requireAdminSession(actor);
      await establishmentOf(actor, establishmentId);
      if (!(await revokeApiKey(db, establishmentId, keyId, clock.now()))) {
        throw new AppError("API_KEY_NOT_FOUND", `no live API key ${keyId}`);
      }
    },
  };
}

export type EmployerService = ReturnType<typeof createEmployerService>;
