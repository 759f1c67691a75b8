-- AlterEnum
ALTER TYPE "billing_run_status" ADD VALUE 'STAGING';

-- AlterTable
ALTER TABLE "billing_run_chunks" ADD COLUMN     "staged_lines" INTEGER;

-- AlterTable
ALTER TABLE "billing_runs" ADD COLUMN     "partition_count" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "partitions_staged" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "billing_run_partitions" (
    "run_id" TEXT NOT NULL,
    "partition_number" INTEGER NOT NULL,
    "staged_lines" INTEGER,
    "staged_at" TIMESTAMPTZ(6),

    CONSTRAINT "billing_run_partitions_pkey" PRIMARY KEY ("run_id","partition_number")
);

-- CreateTable
-- UNLOGGED, edited in by hand (Prisma does not model it): the staged lines are recomputed from the
-- registrations whenever they are lost, and a crash empties an unlogged table, which the run
-- detects by counting each chunk's lines; writing a million lines to the WAL would only cost time.
CREATE UNLOGGED TABLE "billing_staged_lines" (
    "chunk_number" INTEGER NOT NULL,
    "establishment_id" TEXT NOT NULL,
    "kind" "invoice_line_kind" NOT NULL,
    "month" DATE NOT NULL,
    "employment_id" TEXT NOT NULL,
    "subscriber_id" TEXT NOT NULL,
    "identifier_number" TEXT NOT NULL,
    "subscriber_name" TEXT NOT NULL,
    "population" "population" NOT NULL,
    "days_in_service" SMALLINT NOT NULL,
    "contributory_wage" DECIMAL(18,2) NOT NULL,
    "chargeable_wage" DECIMAL(18,2) NOT NULL,
    "annuities_employer" DECIMAL(18,2) NOT NULL,
    "annuities_employee" DECIMAL(18,2) NOT NULL,
    "saned_employer" DECIMAL(18,2) NOT NULL,
    "saned_employee" DECIMAL(18,2) NOT NULL,
    "hazards_employer" DECIMAL(18,2) NOT NULL
);

-- CreateIndex
CREATE INDEX "billing_staged_lines_chunk_number_idx" ON "billing_staged_lines"("chunk_number");

-- Billing runs stage subscribers by ranges of 1,024 buckets of their hashed id. Without
-- statistics on the bucket the planner guesses a range holds 0.5% of the employments, plans
-- per-line index probes for the half-million lines a partition really has, and the statement
-- takes a third longer (hand-written: Prisma does not model statistics objects).
CREATE STATISTICS "employments_subscriber_bucket" ON ((hashtext("subscriber_id") & 1023)) FROM "employments";
