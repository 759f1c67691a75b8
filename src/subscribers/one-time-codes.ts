import { createHash, randomInt, timingSafeEqual } from "node:crypto";
import type { MessageChannel, OneTimeCodePurpose } from "../generated/prisma/enums.js";
import { oneTimeCodePurpose } from "../messaging/repository.js";
import type { Messaging } from "../messaging/service.js";
import type { Clock } from "../shared/clock.js";
import type { Tx } from "../shared/db/database.js";
import { AppError } from "../shared/errors.js";
import { newId } from "../shared/ids.js";

/**
 * portal.md §5.7: 6 digits, valid 5 minutes, void after 5 wrong tries, a resend voids the code
 * before it. The cooldown and the caps (per destination, so several pending registrations can
 * not flood one phone) are ASSUMED: a minute between codes, 5 an hour, 10 a day.
 */
export const oneTimeCodeRules = {
  lifetimeMs: 5 * 60 * 1000,
  maxFailedAttempts: 5,
  resendCooldownMs: 60 * 1000,
  perHour: 5,
  perDay: 10,
} as const;

const hourMs = 60 * 60 * 1000;
const dayMs = 24 * hourMs;

const codeHash = (id: string, code: string) => createHash("sha256").update(`${id}:${code}`).digest("hex");

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, "hex");
  const right = Buffer.from(b, "hex");
  return left.length === right.length && timingSafeEqual(left, right);
}

export type IssuedCode = { id: string; expiresAt: Date; resendAvailableAt: Date };

export type CheckedCode = { id: string; subjectId: string; destination: string; newValue: string | null };

/** A wrong code must still count, so checking returns the failure for the caller to throw after commit. */
export type CodeCheck = { ok: true; code: CheckedCode } | { ok: false; error: AppError };

type CodeRow = CheckedCode & {
  codeHash: string;
  createdAt: Date;
  expiresAt: Date;
  failedAttempts: number;
  consumedAt: Date | null;
  voidedAt: Date | null;
};

export function createOneTimeCodes(deps: { clock: Clock; messaging: Messaging }) {
  const { clock, messaging } = deps;

  async function assertMaySend(tx: Tx, purpose: OneTimeCodePurpose, subjectId: string, destination: string, now: Date) {
    const [last] = await tx.$queryRaw<{ createdAt: Date }[]>`
      SELECT created_at AS "createdAt" FROM one_time_codes
       WHERE subject_id = ${subjectId} AND purpose = ${purpose}::one_time_code_purpose
       ORDER BY created_at DESC LIMIT 1`;
    const cooldownEnds = last ? last.createdAt.getTime() + oneTimeCodeRules.resendCooldownMs : 0;
    if (cooldownEnds > now.getTime()) {
      throw new AppError(
        "OTP_RESEND_TOO_SOON",
        "a code was sent less than a minute ago",
        undefined,
        (cooldownEnds - now.getTime()) / 1000,
      );
    }
    const sent = await tx.$queryRaw<{ createdAt: Date }[]>`
      SELECT created_at AS "createdAt" FROM one_time_codes
       WHERE destination = ${destination} AND created_at > ${new Date(now.getTime() - dayMs)}
       ORDER BY created_at`;
    const lastHour = sent.filter((row) => row.createdAt.getTime() > now.getTime() - hourMs);
    const [oldestToday] = sent;
    const [oldestThisHour] = lastHour;
    if (oldestToday && sent.length >= oneTimeCodeRules.perDay) {
      throw new AppError(
        "OTP_SEND_LIMIT_REACHED",
        `at most ${oneTimeCodeRules.perDay} codes a day go to one number`,
        undefined,
        (oldestToday.createdAt.getTime() + dayMs - now.getTime()) / 1000,
      );
    }
    if (oldestThisHour && lastHour.length >= oneTimeCodeRules.perHour) {
      throw new AppError(
        "OTP_SEND_LIMIT_REACHED",
        `at most ${oneTimeCodeRules.perHour} codes an hour go to one number`,
        undefined,
        (oldestThisHour.createdAt.getTime() + hourMs - now.getTime()) / 1000,
      );
    }
  }

  async function check(tx: Tx, row: CodeRow | undefined, code: string, now: Date): Promise<CodeCheck> {
    if (!row || row.consumedAt)
      return { ok: false, error: new AppError("OTP_INVALID", "no code is waiting: ask for a new one") };
    if (row.voidedAt)
      return { ok: false, error: new AppError("OTP_ATTEMPTS_EXCEEDED", "this code is void: ask for a new one") };
    if (row.expiresAt <= now)
      return { ok: false, error: new AppError("OTP_EXPIRED", "the code expired: ask for a new one") };
    const presented = codeHash(row.id, code.trim());
    if (sameHash(presented, row.codeHash)) {
      await tx.$executeRaw`UPDATE one_time_codes SET consumed_at = ${now} WHERE id = ${row.id}`;
      return {
        ok: true,
        code: { id: row.id, subjectId: row.subjectId, destination: row.destination, newValue: row.newValue },
      };
    }
    const failures = row.failedAttempts + 1;
    const exhausted = failures >= oneTimeCodeRules.maxFailedAttempts;
    await tx.$executeRaw`
      UPDATE one_time_codes SET failed_attempts = ${failures}, voided_at = ${exhausted ? now : null}
       WHERE id = ${row.id}`;
    if (exhausted) {
      return {
        ok: false,
        error: new AppError("OTP_ATTEMPTS_EXCEEDED", "five wrong codes: this code is void; ask for a new one"),
      };
    }
    const remaining = oneTimeCodeRules.maxFailedAttempts - failures;
    return {
      ok: false,
      error: new AppError("OTP_INVALID", "the code is wrong", [
        { path: "json.code", message: "wrong code", remaining },
      ]),
    };
  }

  const selectCode = `SELECT id, subject_id AS "subjectId", destination, new_value AS "newValue", code_hash AS "codeHash",
                             created_at AS "createdAt", expires_at AS "expiresAt", failed_attempts AS "failedAttempts",
                             consumed_at AS "consumedAt", voided_at AS "voidedAt"
                        FROM one_time_codes`;

  return {
    /**
     * Sends a new code inside `tx` (queued in the outbox; the caller dispatches after commit),
     * voiding any earlier one for the same subject and purpose.
     */
    async issue(
      tx: Tx,
      request: {
        purpose: OneTimeCodePurpose;
        subjectId: string;
        channel: MessageChannel;
        destination: string;
        newValue?: string | undefined;
        subscriberId?: string | undefined;
        message: (code: string) => string;
      },
    ): Promise<IssuedCode> {
      const now = clock.now();
      await assertMaySend(tx, request.purpose, request.subjectId, request.destination, now);
      await tx.$executeRaw`
        UPDATE one_time_codes SET voided_at = ${now}
         WHERE subject_id = ${request.subjectId} AND purpose = ${request.purpose}::one_time_code_purpose
           AND consumed_at IS NULL AND voided_at IS NULL`;
      const id = newId("otp");
      const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
      const expiresAt = new Date(now.getTime() + oneTimeCodeRules.lifetimeMs);
      await tx.$executeRaw`
        INSERT INTO one_time_codes (id, purpose, subject_id, destination, new_value, code_hash, created_at, expires_at)
        VALUES (${id}, ${request.purpose}::one_time_code_purpose, ${request.subjectId}, ${request.destination},
                ${request.newValue ?? null}, ${codeHash(id, code)}, ${now}, ${expiresAt})`;
      await messaging.enqueue(tx, {
        channel: request.channel,
        recipient: request.destination,
        body: request.message(code),
        purpose: oneTimeCodePurpose,
        subscriberId: request.subscriberId,
      });
      return { id, expiresAt, resendAvailableAt: new Date(now.getTime() + oneTimeCodeRules.resendCooldownMs) };
    },

    /** Checks the code against the latest one sent for the subject and purpose (locked while checked). */
    async checkLatest(tx: Tx, purpose: OneTimeCodePurpose, subjectId: string, code: string): Promise<CodeCheck> {
      const [row] = await tx.$queryRawUnsafe<CodeRow[]>(
        `${selectCode} WHERE subject_id = $1 AND purpose = $2::one_time_code_purpose
          ORDER BY created_at DESC, id DESC LIMIT 1 FOR UPDATE`,
        subjectId,
        purpose,
      );
      return check(tx, row, code, clock.now());
    },

    /**
     * Checks a code named by its id (a password reset, a contact change), which must be the
     * latest of its subject's: a resend voids the one before.
     */
    async checkById(tx: Tx, purpose: OneTimeCodePurpose, codeId: string, code: string): Promise<CodeCheck> {
      const [row] = await tx.$queryRawUnsafe<CodeRow[]>(
        `${selectCode} WHERE id = $1 AND purpose = $2::one_time_code_purpose FOR UPDATE`,
        codeId,
        purpose,
      );
      return check(tx, row, code, clock.now());
    },
  };
}

export type OneTimeCodes = ReturnType<typeof createOneTimeCodes>;

/**
 * Deletes codes (their destinations with them) that expired before `expiredBefore`, which must
 * be a day or more back: the sending caps count a destination's codes of the last day.
 */
export async function deleteCodesExpiredBefore(tx: Tx, expiredBefore: Date): Promise<number> {
  return tx.$executeRaw`DELETE FROM one_time_codes WHERE expires_at < ${expiredBefore}`;
}
