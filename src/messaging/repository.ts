import { Prisma } from "../generated/prisma/client.js";
import type { MessageChannel } from "../generated/prisma/enums.js";
import type { Tx } from "../shared/db/database.js";

export type NewMessage = {
  channel: MessageChannel;
  recipient: string;
  body: string;
  purpose: string;
  /** A notice with the same key is never queued twice. */
  dedupeKey?: string | undefined;
  subscriberId?: string | undefined;
};

/**
 * The purpose of a message carrying a one-time code, the only secret the outbox holds. With a
 * sender that delivers outside the outbox, such a body is replaced by redactedSecretBody once the
 * message is sent or given up (the code itself is kept only as a hash, in one_time_codes).
 */
export const oneTimeCodePurpose = "ONE_TIME_CODE";
export const redactedSecretBody = "[one-time code: redacted once the message left the queue]";

const bodyAfterLeavingQueue = (redactSecret: boolean) => Prisma.sql`
  CASE WHEN ${redactSecret} AND purpose = ${oneTimeCodePurpose} THEN ${redactedSecretBody} ELSE body END`;

export type QueuedMessage = { id: string; channel: MessageChannel; recipient: string; body: string; attempts: number };

/** Queues a message; false when its dedupe key was queued before. */
export async function insertMessage(tx: Tx, id: string, message: NewMessage, now: Date): Promise<boolean> {
  const inserted = await tx.$executeRaw`
    INSERT INTO outbound_messages (id, channel, recipient, body, purpose, dedupe_key, subscriber_id, status,
                                   attempts, created_at, next_attempt_at)
    VALUES (${id}, ${message.channel}::message_channel, ${message.recipient}, ${message.body}, ${message.purpose},
            ${message.dedupeKey ?? null}, ${message.subscriberId ?? null}, 'QUEUED', 0, ${now}, ${now})
    ON CONFLICT (dedupe_key) DO NOTHING`;
  return inserted === 1;
}

/**
 * Takes up to `limit` queued messages that are due, pushing their next attempt past the lease
 * so a second dispatcher (another process) skips them while this one sends.
 */
export async function leaseDueMessages(tx: Tx, now: Date, leaseUntil: Date, limit: number): Promise<QueuedMessage[]> {
  return tx.$queryRaw<QueuedMessage[]>`
    UPDATE outbound_messages m SET next_attempt_at = ${leaseUntil}, attempts = m.attempts + 1
      FROM (SELECT id FROM outbound_messages
             WHERE status = 'QUEUED' AND next_attempt_at <= ${now}
             ORDER BY next_attempt_at LIMIT ${limit} FOR UPDATE SKIP LOCKED) due
     WHERE m.id = due.id
    RETURNING m.id, m.channel, m.recipient, m.body, m.attempts`;
}

/** Sent; a secret body is redacted when `redactSecret` (see SmsSender.readFromOutbox). */
export async function markMessageSent(
  tx: Tx,
  id: string,
  now: Date,
  providerMessageId: string | undefined,
  redactSecret: boolean,
) {
  await tx.$executeRaw`
    UPDATE outbound_messages SET status = 'SENT', sent_at = ${now}, provider_message_id = ${providerMessageId ?? null},
                                 last_error = NULL, body = ${bodyAfterLeavingQueue(redactSecret)}
     WHERE id = ${id}`;
}

/**
 * A failed send: tried again at `retryAt`, or given up (FAILED) when retryAt is undefined, and
 * then a secret body is redacted as for a sent one.
 */
export async function markMessageFailed(
  tx: Tx,
  id: string,
  error: string,
  retryAt: Date | undefined,
  redactSecret: boolean,
) {
  await tx.$executeRaw`
    UPDATE outbound_messages
       SET status = ${retryAt ? "QUEUED" : "FAILED"}::message_status, last_error = ${error.slice(0, 500)},
           next_attempt_at = coalesce(${retryAt ?? null}::timestamptz, next_attempt_at),
           body = ${retryAt ? Prisma.sql`body` : bodyAfterLeavingQueue(redactSecret)}
     WHERE id = ${id}`;
}

export type MessageRecord = {
  id: string;
  channel: MessageChannel;
  recipient: string;
  body: string;
  purpose: string;
  status: string;
  createdAt: Date;
};

/** A recipient's messages, newest first (support and tests read codes from here). */
export async function listMessagesTo(tx: Tx, recipient: string, limit: number): Promise<MessageRecord[]> {
  return tx.$queryRaw<MessageRecord[]>(Prisma.sql`
    SELECT id, channel, recipient, body, purpose, status::text AS status, created_at AS "createdAt"
      FROM outbound_messages WHERE recipient = ${recipient} ORDER BY created_at DESC, id DESC LIMIT ${limit}`);
}

/**
 * Deletes up to `limit` messages that left the queue (sent or given up) before `leftBefore`; how
 * many it deleted. A message's next attempt is never before its creation and, once it has left
 * the queue, is its last lease's end (the send plus two minutes), so the (status, next attempt)
 * index finds them without reading the queue.
 */
export async function deleteMessagesThatLeftBefore(tx: Tx, leftBefore: Date, limit: number): Promise<number> {
  return tx.$executeRaw`
    DELETE FROM outbound_messages
     WHERE id IN (SELECT id FROM outbound_messages
                   WHERE status IN ('SENT', 'FAILED') AND next_attempt_at < ${leftBefore}
                   LIMIT ${limit}::int)`;
}
