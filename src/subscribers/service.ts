import type { SubscriberActor } from "../auth/actor.js";
import { assertCredentials, hashPassword, normaliseEmail } from "../auth/service.js";
import { hashToken, type SessionStore } from "../auth/sessions.js";
import type { OneTimeCodePurpose } from "../generated/prisma/enums.js";
import { maskEmail, maskMobile } from "../messaging/senders.js";
import type { Messaging } from "../messaging/service.js";
import { BusinessDate } from "../shared/business-date.js";
import type { Clock } from "../shared/clock.js";
import type { PrismaClient, Tx } from "../shared/db/database.js";
import { isUniqueViolation } from "../shared/db/unique-violation.js";
import { AppError, type ErrorCode } from "../shared/errors.js";
import { parsePersonIdentifier, parseSaudiMobile } from "../shared/identifiers.js";
import { newId } from "../shared/ids.js";
import { countHit, createLockout } from "../shared/throttle.js";
import type { CaptchaStore } from "./captcha.js";
import type { CodeCheck, OneTimeCodes } from "./one-time-codes.js";
import { subscriberPasswordProblems } from "./password-policy.js";
import {
  type AccountRecord,
  completePendingRegistration,
  findAccount,
  findAccountOfSubscriber,
  findInsuredPerson,
  findInsuredPersonById,
  findSubscriberSession,
  insertAccount,
  insertPendingRegistration,
  isEmailTaken,
  lockLivePendingRegistration,
  revokeAccountSessions,
  updateAccountContact,
  updateAccountPassword,
} from "./repository.js";

/** The terms a registrant accepts; a new text gets a new version, and accounts keep theirs. */
export const CURRENT_TERMS_VERSION = "2026-01";
/** Subscriber sessions last two hours (ASSUMED: government portals sign citizens out early). */
export const subscriberSessionLifetimeMs = 2 * 60 * 60 * 1000;
/** A registration waits this long for its code (several resends fit in it). */
export const pendingRegistrationLifetimeMs = 30 * 60 * 1000;
/** Five wrong passwords for an ID number in 15 minutes lock it for 15 minutes (ASSUMED). */
export const signInLockout = { failures: 5, windowMs: 15 * 60 * 1000, lockMs: 15 * 60 * 1000 } as const;

export type RegistrationInput = {
  idNumber: string;
  nationality: "SAUDI" | "NON_SAUDI";
  dateOfBirth: string;
  email: string;
  emailConfirmation: string;
  password: string;
  passwordConfirmation: string;
  mobile: string;
  mobileConfirmation: string;
  captchaId: string;
  captchaAnswer: string;
  acceptTerms: boolean;
};

const codeMessage = (code: string) =>
  `رمز التحقق ${code} صالح لمدة 5 دقائق. لا تشاركه مع أحد. Ishtirak code: ${code} (valid 5 minutes; never share it).`;

/** The ID number parsed, or its format problem as an error. */
export function parseIdNumber(input: string) {
  const parsed = parsePersonIdentifier(input);
  if ("problem" in parsed) throw new AppError(parsed.problem, "the ID number is not a valid national ID or iqama");
  return parsed;
}

function requireSame(value: string, confirmation: string, code: ErrorCode, what: string) {
  if (value !== confirmation) throw new AppError(code, `the ${what} and its confirmation differ`);
}

function assertPasswordAcceptable(password: string, idNumber?: string) {
  const problems = subscriberPasswordProblems(password, idNumber);
  if (problems.length > 0) {
    throw new AppError(
      "PASSWORD_TOO_WEAK",
      `the password needs ${problems.join(", ")}`,
      problems.map((message) => ({ path: "json.password", message })),
    );
  }
}

/** The email normalised (lower case), or EMAIL_MISMATCH when its confirmation differs. */
function parseEmail(email: string, confirmation: string): string {
  const normalised = normaliseEmail(email);
  requireSame(normalised, normaliseEmail(confirmation), "EMAIL_MISMATCH", "email");
  return normalised;
}

function parseMobile(mobile: string, confirmation: string): string {
  const parsed = parseSaudiMobile(mobile);
  if (!parsed) throw new AppError("MOBILE_INVALID", "not a Saudi mobile number (05XXXXXXXX or +9665XXXXXXXX)");
  if (parseSaudiMobile(confirmation) !== parsed)
    throw new AppError("MOBILE_MISMATCH", "the mobile number and its confirmation differ");
  return parsed;
}

/** Throws a failed code check after its transaction committed (a wrong try must count). */
function unwrap<T>(result: { failure: CodeCheck & { ok: false } } | { value: T }): T {
  if ("failure" in result) throw result.failure.error;
  return result.value;
}

/**
 * Subscriber accounts: registration with an SMS code (portal.md §5), sign-in with lockout,
 * password reset by SMS code, and re-verified changes of mobile and email.
 */
export function createSubscriberAccounts(deps: {
  db: PrismaClient;
  clock: Clock;
  sessions: SessionStore;
  captchas: CaptchaStore;
  codes: OneTimeCodes;
  messaging: Messaging;
}) {
  const { db, clock, sessions, captchas, codes, messaging } = deps;
  const lockout = createLockout(db, signInLockout);
  const signInKey = (idNumber: string) => `subscriber-sign-in:${idNumber}`;

  /** Sends what a step queued; a provider that is down leaves it queued for the sweep. */
  const dispatchQueued = () => messaging.dispatch();

  async function openSession(account: AccountRecord) {
    const session = await sessions.open("SUBSCRIBER", account.id, subscriberSessionLifetimeMs);
    return { token: session.token, expiresAt: session.expiresAt, subscriberId: account.subscriberId };
  }

  async function register(input: RegistrationInput) {
    const id = parseIdNumber(input.idNumber);
    if (input.nationality === "SAUDI" && id.kind === "IQAMA")
      throw new AppError("IQAMA_GIVEN_FOR_SAUDI", "a Saudi registers with the national ID (starting with 1)");
    if (input.nationality === "NON_SAUDI" && id.kind === "NATIONAL_ID")
      throw new AppError(
        "NATIONAL_ID_GIVEN_FOR_NON_SAUDI",
        "a resident registers with the iqama number (starting with 2)",
      );
    const email = parseEmail(input.email, input.emailConfirmation);
    requireSame(input.password, input.passwordConfirmation, "PASSWORD_MISMATCH", "password");
    assertPasswordAcceptable(input.password, id.value);
    const mobile = parseMobile(input.mobile, input.mobileConfirmation);
    if (input.acceptTerms !== true) throw new AppError("TERMS_NOT_ACCEPTED", "accept the terms to register");
    const dateOfBirth = BusinessDate.parse(input.dateOfBirth);

    // The captcha is spent before anything is looked up, so guessing who is insured costs a
    // solved captcha per guess.
    await captchas.solve(input.captchaId, input.captchaAnswer);

    const person = await findInsuredPerson(db, id.value);
    if (!person || !BusinessDate.fromDateColumn(person.dateOfBirth).equals(dateOfBirth)) {
      throw new AppError(
        "SUBSCRIBER_NOT_FOUND",
        "no insured person has this ID number and date of birth: an employer registers a person first",
      );
    }
    if (await findAccountOfSubscriber(db, person.id))
      throw new AppError("ACCOUNT_ALREADY_EXISTS", "this ID number has an account: sign in or reset the password");
    if (await isEmailTaken(db, email)) throw new AppError("USER_EMAIL_TAKEN", "another account uses this email");

    const passwordHash = await hashPassword(input.password);
    const now = clock.now();
    const registrationId = newId("reg");
    const code = await db.$transaction(async (tx) => {
      await insertPendingRegistration(tx, {
        id: registrationId,
        subscriberId: person.id,
        email,
        mobile,
        passwordHash,
        termsVersion: CURRENT_TERMS_VERSION,
        termsAcceptedAt: now,
        createdAt: now,
        expiresAt: new Date(now.getTime() + pendingRegistrationLifetimeMs),
      });
      return codes.issue(tx, {
        purpose: "REGISTRATION",
        subjectId: registrationId,
        channel: "SMS",
        destination: mobile,
        subscriberId: person.id,
        message: codeMessage,
      });
    });
    await dispatchQueued();
    return {
      registrationId,
      codeSentTo: maskMobile(mobile),
      codeExpiresAt: code.expiresAt,
      resendAvailableAt: code.resendAvailableAt,
    };
  }

  async function resendRegistrationCode(registrationId: string) {
    const code = await db.$transaction(async (tx) => {
      const pending = await lockLivePendingRegistration(tx, registrationId, clock.now());
      if (!pending)
        throw new AppError("REGISTRATION_NOT_FOUND", "no registration is waiting with this id: start again");
      return codes.issue(tx, {
        purpose: "REGISTRATION",
        subjectId: registrationId,
        channel: "SMS",
        destination: pending.mobile,
        subscriberId: pending.subscriberId,
        message: codeMessage,
      });
    });
    await dispatchQueued();
    return { registrationId, codeExpiresAt: code.expiresAt, resendAvailableAt: code.resendAvailableAt };
  }

  /** The code confirmed: the account is created and signed in, all in one transaction with the code's use. */
  async function confirmRegistration(registrationId: string, code: string) {
    const now = clock.now();
    let account: AccountRecord;
    try {
      account = unwrap(
        await db.$transaction(async (tx) => {
          const pending = await lockLivePendingRegistration(tx, registrationId, now);
          if (!pending)
            throw new AppError("REGISTRATION_NOT_FOUND", "no registration is waiting with this id: start again");
          const check = await codes.checkLatest(tx, "REGISTRATION", registrationId, code);
          if (!check.ok) return { failure: check };
          const created = {
            id: newId("sua"),
            subscriberId: pending.subscriberId,
            email: pending.email,
            mobile: pending.mobile,
            passwordHash: pending.passwordHash,
          };
          await insertAccount(tx, {
            ...created,
            termsVersion: pending.termsVersion,
            termsAcceptedAt: pending.termsAcceptedAt,
            createdAt: now,
            passwordChangedAt: now,
          });
          await completePendingRegistration(tx, registrationId, now);
          return { value: { ...created, createdAt: now } };
        }),
      );
    } catch (error) {
      if (isUniqueViolation(error, "subscriber_id"))
        throw new AppError("ACCOUNT_ALREADY_EXISTS", "this ID number has an account: sign in or reset the password");
      if (isUniqueViolation(error, "email")) throw new AppError("USER_EMAIL_TAKEN", "another account uses this email");
      throw error;
    }
    return openSession(account);
  }

  async function logIn(input: { idNumber: string; password: string }) {
    const id = parseIdNumber(input.idNumber);
    const key = signInKey(id.value);
    await lockout.assertOpen(key, clock.now());
    const person = await findInsuredPerson(db, id.value);
    const account = person ? await findAccountOfSubscriber(db, person.id) : undefined;
    try {
      await assertCredentials(account, input.password);
    } catch {
      await lockout.recordFailure(key, clock.now());
      throw new AppError("INVALID_CREDENTIALS", "the ID number or the password is wrong");
    }
    await lockout.clear(key);
    return openSession(account as AccountRecord);
  }

  /**
   * Starts a password reset. The answer is the same whether or not the ID has an account (a
   * reset id that leads nowhere), so this cannot be used to learn who has one.
   */
  async function requestPasswordReset(input: { idNumber: string; captchaId: string; captchaAnswer: string }) {
    const id = parseIdNumber(input.idNumber);
    await captchas.solve(input.captchaId, input.captchaAnswer);
    // One request a minute per ID number, account or not: the code's own cooldown would only
    // apply where an account exists, and so give it away.
    await countHit(db, `password-reset:${id.value}`, { limit: 1, windowMs: 60 * 1000 }, clock.now());
    const person = await findInsuredPerson(db, id.value);
    const account = person ? await findAccountOfSubscriber(db, person.id) : undefined;
    if (!account) return { resetId: newId("otp") };
    const code = await db.$transaction((tx) =>
      codes.issue(tx, {
        purpose: "PASSWORD_RESET",
        subjectId: account.id,
        channel: "SMS",
        destination: account.mobile,
        subscriberId: account.subscriberId,
        message: codeMessage,
      }),
    );
    await dispatchQueued();
    return { resetId: code.id };
  }

  async function confirmPasswordReset(
    resetId: string,
    input: { code: string; password: string; passwordConfirmation: string },
  ) {
    requireSame(input.password, input.passwordConfirmation, "PASSWORD_MISMATCH", "password");
    assertPasswordAcceptable(input.password);
    const passwordHash = await hashPassword(input.password);
    const now = clock.now();
    const account = unwrap(
      await db.$transaction(async (tx) => {
        const check = await codes.checkById(tx, "PASSWORD_RESET", resetId, input.code);
        if (!check.ok) return { failure: check };
        const owner = await findAccount(tx, check.code.subjectId);
        if (!owner) throw new Error("a reset code names an account that does not exist");
        await updateAccountPassword(tx, owner.id, passwordHash, now);
        await revokeAccountSessions(tx, owner.id, now);
        return { value: owner };
      }),
    );
    const person = await findInsuredPersonById(db, account.subscriberId);
    if (person) await lockout.clear(signInKey(person.identifierNumber));
  }

  async function requestContactChange(
    actor: SubscriberActor,
    change:
      | { kind: "mobile"; mobile: string; confirmation: string; password: string }
      | {
          kind: "email";
          email: string;
          confirmation: string;
          password: string;
        },
  ) {
    const account = await findAccount(db, actor.accountId);
    if (!account) throw new AppError("AUTHENTICATION_REQUIRED", "the session's account no longer exists");
    const destination =
      change.kind === "mobile"
        ? parseMobile(change.mobile, change.confirmation)
        : parseEmail(change.email, change.confirmation);
    await assertCredentials(account, change.password);
    if (change.kind === "email" && (await isEmailTaken(db, destination)))
      throw new AppError("USER_EMAIL_TAKEN", "another account uses this email");
    const purpose: OneTimeCodePurpose = change.kind === "mobile" ? "MOBILE_CHANGE" : "EMAIL_CHANGE";
    const code = await db.$transaction((tx) =>
      codes.issue(tx, {
        purpose,
        subjectId: account.id,
        channel: change.kind === "mobile" ? "SMS" : "EMAIL",
        destination,
        newValue: destination,
        subscriberId: account.subscriberId,
        message: codeMessage,
      }),
    );
    await dispatchQueued();
    return {
      changeId: code.id,
      codeSentTo: change.kind === "mobile" ? maskMobile(destination) : maskEmail(destination),
      codeExpiresAt: code.expiresAt,
    };
  }

  async function confirmContactChange(
    actor: SubscriberActor,
    kind: "mobile" | "email",
    changeId: string,
    code: string,
  ) {
    const purpose: OneTimeCodePurpose = kind === "mobile" ? "MOBILE_CHANGE" : "EMAIL_CHANGE";
    try {
      unwrap(
        await db.$transaction(async (tx: Tx) => {
          const owned = await tx.oneTimeCode.count({ where: { id: changeId, purpose, subjectId: actor.accountId } });
          if (owned === 0) throw new AppError("CONTACT_CHANGE_NOT_FOUND", "no change with this id is waiting");
          const check = await codes.checkById(tx, purpose, changeId, code);
          if (!check.ok) return { failure: check };
          const newValue = check.code.newValue ?? "";
          const before = await findAccount(tx, actor.accountId);
          await updateAccountContact(
            tx,
            actor.accountId,
            kind === "mobile" ? { mobile: newValue } : { email: newValue },
          );
          if (kind === "mobile" && before) {
            // The old number hears of the change: if it was not its owner's doing, they can act.
            await messaging.enqueue(tx, {
              channel: "SMS",
              recipient: before.mobile,
              body: `تم تغيير رقم الجوال المسجل في حسابك. Ishtirak: the mobile number on your account was changed to ${maskMobile(newValue)}.`,
              purpose: "MOBILE_CHANGED",
              subscriberId: before.subscriberId,
            });
          }
          return { value: newValue };
        }),
      );
    } catch (error) {
      if (isUniqueViolation(error, "email")) throw new AppError("USER_EMAIL_TAKEN", "another account uses this email");
      throw error;
    }
    await dispatchQueued();
  }

  return {
    register,
    resendRegistrationCode,
    confirmRegistration,
    logIn,
    logOut: (actor: SubscriberActor) => sessions.revoke(actor.sessionId),
    requestPasswordReset,
    confirmPasswordReset,
    requestContactChange,
    confirmContactChange,

    async authenticate(token: string): Promise<SubscriberActor | undefined> {
      const session = await findSubscriberSession(db, hashToken(token), clock.now());
      return session && { kind: "subscriber", ...session };
    },

    async profile(actor: SubscriberActor) {
      const account = await findAccount(db, actor.accountId);
      const person = await findInsuredPersonById(db, actor.subscriberId);
      if (!account || !person) throw new AppError("AUTHENTICATION_REQUIRED", "the session's account no longer exists");
      return {
        id: person.id,
        idNumber: person.identifierNumber,
        idKind: person.identifierKind,
        name: person.name,
        nationality: person.nationality,
        dateOfBirth: BusinessDate.fromDateColumn(person.dateOfBirth).toString(),
        population: person.population,
        firstInsuredOn: BusinessDate.fromDateColumn(person.firstInsuredOn).toString(),
        email: account.email,
        mobile: account.mobile,
      };
    },
  };
}

export type SubscriberAccounts = ReturnType<typeof createSubscriberAccounts>;
