import { createHash } from "node:crypto";
import type { Clock } from "../shared/clock.js";
import type { PrismaClient } from "../shared/db/database.js";
import { AppError } from "../shared/errors.js";
import { newId } from "../shared/ids.js";

/** Makes one puzzle: the text to type and the picture of it. */
export type CaptchaGenerator = () => Promise<{ text: string; svg: string }> | { text: string; svg: string };

/**
 * Five characters without the look-alikes (0/o, 1/l/i), drawn with noise lines: svg-captcha,
 * loaded with the first puzzle (its font outlines are not needed before).
 */
export const svgCaptchaGenerator: CaptchaGenerator = async () => {
  const { default: svgCaptcha } = await import("svg-captcha");
  const { text, data } = svgCaptcha.create({ size: 5, noise: 3, ignoreChars: "0oO1lIi", color: false });
  return { text, svg: data };
};

export const captchaLifetimeMs = 5 * 60 * 1000;

/** Answers are compared without case: people read "W" and "w" alike in a distorted picture. */
const answerHash = (id: string, answer: string) =>
  createHash("sha256").update(`${id}:${answer.trim().toLowerCase()}`).digest("hex");

/** Server-side captchas: only the answer's hash is stored; each is good for one try, for 5 minutes. */
export function createCaptchaStore(deps: { db: PrismaClient; clock: Clock; generate: CaptchaGenerator }) {
  const { db, clock } = deps;
  return {
    async issue() {
      const { text, svg } = await deps.generate();
      const id = newId("cap");
      const createdAt = clock.now();
      const expiresAt = new Date(createdAt.getTime() + captchaLifetimeMs);
      await db.captchaChallenge.create({ data: { id, answerHash: answerHash(id, text), createdAt, expiresAt } });
      return { id, svg, expiresAt };
    },

    /**
     * Uses the captcha up whatever the answer (one try each, so guessing costs a new puzzle) and
     * answers CAPTCHA_INVALID or CAPTCHA_EXPIRED unless it was solved in time.
     */
    async solve(id: string, answer: string): Promise<void> {
      const now = clock.now();
      const [used] = await db.$queryRaw<{ answerHash: string; expiresAt: Date }[]>`
        UPDATE captcha_challenges SET used_at = ${now}
         WHERE id = ${id} AND used_at IS NULL
        RETURNING answer_hash AS "answerHash", expires_at AS "expiresAt"`;
      if (!used) throw new AppError("CAPTCHA_INVALID", "the captcha is unknown or was used already: get a new one");
      if (used.expiresAt <= now) throw new AppError("CAPTCHA_EXPIRED", "the captcha expired: get a new one");
      if (used.answerHash !== answerHash(id, answer))
        throw new AppError("CAPTCHA_INVALID", "the captcha's answer is wrong: get a new one");
    },
  };
}

export type CaptchaStore = ReturnType<typeof createCaptchaStore>;

/** Captchas that expired before the cut-off (the daily purge). */
export async function purgeCaptchas(db: PrismaClient, expiredBefore: Date): Promise<number> {
  const { count } = await db.captchaChallenge.deleteMany({ where: { expiresAt: { lt: expiredBefore } } });
  return count;
}
