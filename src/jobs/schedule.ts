import cron from "node-cron";
import { createSessionStore } from "../auth/sessions.js";
import { purgeExpiredIdempotencyKeys } from "../idempotency/service.js";
import { AGENCY_TIME_ZONE } from "../shared/business-date.js";
import type { Clock } from "../shared/clock.js";
import type { PrismaClient } from "../shared/db/database.js";
import type { Logger } from "../shared/logger.js";

/**
 * Maps times to service calls, nothing more (times in Asia/Riyadh). Billing runs and late-fine
 * assessment join this list with the billing issue.
 */
export function scheduleJobs(deps: { db: PrismaClient; clock: Clock; logger: Logger }): { stop(): void } {
  const tasks = [
    cron.schedule(
      "30 3 * * *",
      async () => {
        const purged = await purgeExpiredIdempotencyKeys(deps);
        deps.logger.info({ job: "purge-idempotency-keys", purged }, "job finished");
      },
      { timezone: AGENCY_TIME_ZONE, name: "purge-idempotency-keys", noOverlap: true },
    ),
    cron.schedule(
      "40 3 * * *",
      async () => {
        const purged = await createSessionStore(deps).purgeEnded();
        deps.logger.info({ job: "purge-ended-sessions", purged }, "job finished");
      },
      { timezone: AGENCY_TIME_ZONE, name: "purge-ended-sessions", noOverlap: true },
    ),
  ];
  return {
    stop() {
      for (const task of tasks) task.stop();
    },
  };
}
