-- DropIndex
DROP INDEX "wages_employment_id_effective_month_recorded_at_idx";

-- CreateIndex
CREATE INDEX "wages_employment_id_effective_month_recorded_at_id_idx" ON "wages"("employment_id", "effective_month", "recorded_at", "id");
