import type { Clock } from "../shared/clock.js";
import { deleteInBatches } from "../shared/db/batched-delete.js";
import type { PrismaClient, Tx } from "../shared/db/database.js";
import { newId } from "../shared/ids.js";
import type { Logger } from "../shared/logger.js";
import {
  deleteMessagesThatLeftBefore,
  insertMessage,
  leaseDueMessages,
  markMessageFailed,
  markMessageSent,
  type NewMessage,
} from "./repository.js";
import { type EmailSender, SmsGatewayError, type SmsSender } from "./senders.js";

/** A message being sent is leased this long; a crashed sender's messages go out after it. */
const sendLeaseMs = 2 * 60 * 1000;
/** After this many tries a message is marked FAILED and left for support. */
const maxAttempts = 8;
const dispatchBatch = 50;
/** Messages deleted per statement by the purge. */
const purgeBatch = 10_000;

/** 30 s, 1 min, 2 min, ... capped at an hour. */
function retryDelayMs(attempts: number): number {
  return Math.min(30_000 * 2 ** (attempts - 1), 60 * 60 * 1000);
}

/**
 * The outbox: messages are queued in the caller's transaction (so a notice exists exactly when
 * its cause committed) and sent afterwards by `dispatch`, right away by whoever queued them and
 * every minute by the sweep job for anything left behind.
 */
export function createMessaging(deps: {
  db: PrismaClient;
  clock: Clock;
  logger: Logger;
  sms: SmsSender;
  email: EmailSender;
}) {
  const { db, clock, logger } = deps;

  async function sendOne(message: {
    id: string;
    channel: "SMS" | "EMAIL";
    recipient: string;
    body: string;
    attempts: number;
  }) {
    const sender = message.channel === "SMS" ? deps.sms : deps.email;
    try {
      const receipt = await sender.send(message);
      await markMessageSent(db, message.id, clock.now(), receipt.providerMessageId, !sender.readFromOutbox);
      return true;
    } catch (error) {
      const retryable = !(error instanceof SmsGatewayError) || error.retryable;
      const retryAt =
        retryable && message.attempts < maxAttempts
          ? new Date(clock.now().getTime() + retryDelayMs(message.attempts))
          : undefined;
      logger.warn({ messageId: message.id, err: error, retryAt }, "message not sent");
      await markMessageFailed(db, message.id, (error as Error).message, retryAt, !sender.readFromOutbox);
      return false;
    }
  }

  return {
    /** Queues a message inside `tx`; false when a message with its dedupe key exists. */
    enqueue: (tx: Tx, message: NewMessage) => insertMessage(tx, newId("msg"), message, clock.now()),

    /** Sends every due message; returns how many went out. */
    async dispatch(): Promise<number> {
      let sent = 0;
      for (;;) {
        const now = clock.now();
        const due = await leaseDueMessages(db, now, new Date(now.getTime() + sendLeaseMs), dispatchBatch);
        for (const message of due) if (await sendOne(message)) sent += 1;
        if (due.length < dispatchBatch) return sent;
      }
    },

    /**
     * The daily purge: deletes the messages that left the queue (sent or given up) more than
     * `retentionDays` ago, mobile numbers and texts with them; queued ones are never touched.
     * Returns how many it deleted; `batch` is how many one statement deletes.
     */
    async purgeOld(retentionDays: number, batch = purgeBatch): Promise<number> {
      const leftBefore = new Date(clock.now().getTime() - retentionDays * 24 * 60 * 60 * 1000);
      return deleteInBatches((limit) => deleteMessagesThatLeftBefore(db, leftBefore, limit), batch);
    },
  };
}

export type Messaging = ReturnType<typeof createMessaging>;
