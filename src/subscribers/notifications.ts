import type { Messaging } from "../messaging/service.js";
import { BusinessDate } from "../shared/business-date.js";
import type { Clock } from "../shared/clock.js";
import type { PrismaClient } from "../shared/db/database.js";

/**
 * Employment changes are looked for this far back on each pass. Each notice has a dedupe key, so
 * overlapping passes send nothing twice; the window only has to outlast a stopped scheduler.
 */
export const employmentNoticeLookbackMs = 2 * 24 * 60 * 60 * 1000;
/** Invoices that fell due this many days back or less are checked for overdue notices. */
export const overdueNoticeLookbackDays = 35;

const newMessageId = `'msg_' || replace(gen_random_uuid()::text, '-', '')`;

/**
 * Notices to subscribers (portal.md §7), written set-based into the outbox and sent by the
 * dispatcher: an employer registered or ended their employment (so a person can spot an
 * employer that does not register them, or ends them without telling), and a month they were
 * billed for went past its due date unpaid (so they know deductions were not paid in). Only
 * people with a portal account get them: the account holds the confirmed mobile.
 */
export function createSubscriberNotices(deps: { db: PrismaClient; clock: Clock; messaging: Messaging }) {
  const { db, clock } = deps;

  /** One pass of one kind of employment notice: changes stamped in `column` since `since`. */
  function queueEmploymentChange(change: {
    column: "registered_at" | "ended_at";
    purpose: "EMPLOYMENT_REGISTERED" | "EMPLOYMENT_ENDED";
    dedupePrefix: string;
    /** format() text taking the Arabic name, a date, the English name and the date again. */
    text: string;
    dateColumn: "start_date" | "end_date";
    since: Date;
    now: Date;
  }): Promise<number> {
    return db.$executeRawUnsafe(
      `INSERT INTO outbound_messages (id, channel, recipient, body, purpose, dedupe_key, subscriber_id, status,
                                      attempts, created_at, next_attempt_at)
       SELECT ${newMessageId}, 'SMS', a.mobile,
              format($3, s.name_ar, e.${change.dateColumn}, s.name_en, e.${change.dateColumn}),
              $4, $5 || e.id, a.subscriber_id, 'QUEUED', 0, $2, $2
         FROM employments e
         JOIN subscriber_accounts a ON a.subscriber_id = e.subscriber_id AND a.created_at <= e.${change.column}
         JOIN establishments s ON s.id = e.establishment_id
        WHERE e.${change.column} > $1 AND e.${change.column} <= $2
       ON CONFLICT (dedupe_key) DO NOTHING`,
      change.since,
      change.now,
      change.text,
      change.purpose,
      change.dedupePrefix,
    );
  }

  async function queueEmploymentNotices(): Promise<number> {
    const now = clock.now();
    const since = new Date(now.getTime() - employmentNoticeLookbackMs);
    const registered = await queueEmploymentChange({
      column: "registered_at",
      purpose: "EMPLOYMENT_REGISTERED",
      dedupePrefix: "employment-registered:",
      text: "سجلتك منشأة %s في التأمينات اعتبارا من %s. Ishtirak: %s registered your employment from %s.",
      dateColumn: "start_date",
      since,
      now,
    });
    const ended = await queueEmploymentChange({
      column: "ended_at",
      purpose: "EMPLOYMENT_ENDED",
      dedupePrefix: "employment-ended:",
      text: "أنهت منشأة %s اشتراكك اعتبارا من %s. Ishtirak: %s ended your employment on %s.",
      dateColumn: "end_date",
      since,
      now,
    });
    return registered + ended;
  }

  /**
   * One notice per invoice and subscriber once the invoice is past its due date with its
   * contributions not covered (fines aside). Looks at invoices that fell due in the last 35 days
   * through the due-date index, so the daily pass stays small whatever the history.
   */
  async function queueOverdueNotices(): Promise<number> {
    const now = clock.now();
    const today = BusinessDate.fromInstant(now);
    return db.$executeRawUnsafe(
      `INSERT INTO outbound_messages (id, channel, recipient, body, purpose, dedupe_key, subscriber_id, status,
                                      attempts, created_at, next_attempt_at)
       SELECT ${newMessageId}, 'SMS', a.mobile,
              format('لم تسدد منشأة %s اشتراكات شهر %s المستحقة في %s. Ishtirak: %s has not paid the contributions for %s, due %s.',
                     s.name_ar, to_char(i.contribution_month, 'YYYY-MM'), i.due_date,
                     s.name_en, to_char(i.contribution_month, 'YYYY-MM'), i.due_date),
              'MONTH_OVERDUE', 'month-overdue:' || i.id || ':' || a.subscriber_id, a.subscriber_id, 'QUEUED', 0, $3, $3
         FROM invoices i
         JOIN establishments s ON s.id = i.establishment_id
         JOIN LATERAL (SELECT DISTINCT subscriber_id FROM invoice_lines WHERE invoice_id = i.id) l ON true
         JOIN subscriber_accounts a ON a.subscriber_id = l.subscriber_id
        WHERE i.due_date < $1::date AND i.due_date >= $2::date AND i.total > 0
          AND NOT EXISTS (SELECT 1 FROM invoice_voids v WHERE v.invoice_id = i.id)
          AND (SELECT coalesce(sum(amount), 0) FROM invoice_settlements WHERE invoice_id = i.id) < i.total
       ON CONFLICT (dedupe_key) DO NOTHING`,
      today.toString(),
      today.plusDays(-overdueNoticeLookbackDays).toString(),
      now,
    );
  }

  return {
    queueEmploymentNotices,
    queueOverdueNotices,
    /** The minute job: employment notices, then send everything due. */
    async sendEmploymentNotices() {
      const queued = await queueEmploymentNotices();
      const sent = await deps.messaging.dispatch();
      return { queued, sent };
    },
    async sendOverdueNotices() {
      const queued = await queueOverdueNotices();
      const sent = await deps.messaging.dispatch();
      return { queued, sent };
    },
  };
}

export type SubscriberNotices = ReturnType<typeof createSubscriberNotices>;
