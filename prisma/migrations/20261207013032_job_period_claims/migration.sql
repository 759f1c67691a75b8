-- CreateTable
CREATE TABLE "job_period_claims" (
    "job" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "claimed_by" TEXT NOT NULL,
    "claimed_at" TIMESTAMPTZ(6) NOT NULL,
    "lease_until" TIMESTAMPTZ(6) NOT NULL,
    "finished_at" TIMESTAMPTZ(6),
    "outcome" JSONB,

    CONSTRAINT "job_period_claims_pkey" PRIMARY KEY ("job","period")
);

-- Days the daily reconciliation job compared before claims existed count as done, so the job's
-- first catch-up after this migration does not compare them again.
INSERT INTO "job_period_claims" ("job", "period", "claimed_by", "claimed_at", "lease_until", "finished_at", "outcome")
SELECT DISTINCT ON ("day")
       'reconcile-stripe', "day", 'migration', "ran_at", "ran_at", "ran_at",
       jsonb_build_object('runId', "id", 'differences', "difference_count")
  FROM (SELECT *, to_char("period_from" AT TIME ZONE 'Asia/Riyadh', 'YYYY-MM-DD') AS "day"
          FROM "reconciliation_runs"
         WHERE "ran_by" = 'job:reconciliation') AS "job_runs"
 ORDER BY "day", "ran_at" DESC;
