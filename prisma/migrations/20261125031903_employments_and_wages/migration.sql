-- CreateEnum
CREATE TYPE "person_identifier_kind" AS ENUM ('NATIONAL_ID', 'IQAMA');

-- CreateEnum
CREATE TYPE "nationality" AS ENUM ('SAUDI', 'GCC', 'OTHER');

-- CreateEnum
CREATE TYPE "population" AS ENUM ('SAUDI_LEGACY', 'SAUDI_NEW_2024', 'NON_SAUDI');

-- CreateEnum
CREATE TYPE "employment_end_reason" AS ENUM ('RESIGNATION', 'TERMINATION', 'CONTRACT_END', 'RETIREMENT', 'DEATH', 'TRANSFER', 'OTHER');

-- CreateTable
CREATE TABLE "subscribers" (
    "id" TEXT NOT NULL,
    "identifier_kind" "person_identifier_kind" NOT NULL,
    "identifier_number" TEXT NOT NULL,
    "nationality" "nationality" NOT NULL,
    "gcc_country" TEXT,
    "name" TEXT NOT NULL,
    "date_of_birth" DATE NOT NULL,
    "first_insured_on" DATE NOT NULL,
    "population" "population" NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "subscribers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "employments" (
    "id" TEXT NOT NULL,
    "subscriber_id" TEXT NOT NULL,
    "establishment_id" TEXT NOT NULL,
    "occupation" TEXT NOT NULL,
    "start_date" DATE NOT NULL,
    "end_date" DATE,
    "end_reason" "employment_end_reason",
    "registered_at" TIMESTAMPTZ(6) NOT NULL,
    "registered_by" TEXT NOT NULL,
    "ended_at" TIMESTAMPTZ(6),
    "ended_by" TEXT,

    CONSTRAINT "employments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "wages" (
    "id" TEXT NOT NULL,
    "employment_id" TEXT NOT NULL,
    "effective_month" DATE NOT NULL,
    "basic" DECIMAL(18,2) NOT NULL,
    "housing" DECIMAL(18,2) NOT NULL,
    "other_allowances" DECIMAL(18,2) NOT NULL,
    "housing_in_kind" BOOLEAN NOT NULL,
    "is_retroactive_correction" BOOLEAN NOT NULL,
    "correction_reason" TEXT,
    "recorded_at" TIMESTAMPTZ(6) NOT NULL,
    "recorded_by" TEXT NOT NULL,

    CONSTRAINT "wages_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "subscribers_identifier_number_key" ON "subscribers"("identifier_number");

-- CreateIndex
CREATE INDEX "employments_establishment_id_start_date_idx" ON "employments"("establishment_id", "start_date");

-- CreateIndex
CREATE INDEX "employments_subscriber_id_idx" ON "employments"("subscriber_id");

-- CreateIndex
CREATE INDEX "wages_employment_id_effective_month_recorded_at_idx" ON "wages"("employment_id", "effective_month", "recorded_at");

-- AddForeignKey
ALTER TABLE "employments" ADD CONSTRAINT "employments_subscriber_id_fkey" FOREIGN KEY ("subscriber_id") REFERENCES "subscribers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "employments" ADD CONSTRAINT "employments_establishment_id_fkey" FOREIGN KEY ("establishment_id") REFERENCES "establishments"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "wages" ADD CONSTRAINT "wages_employment_id_fkey" FOREIGN KEY ("employment_id") REFERENCES "employments"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Written by hand: what the schema language cannot say.
-- One active employment per person per establishment (several employers at once are allowed).
CREATE UNIQUE INDEX "employments_one_active_per_establishment"
  ON "employments" ("subscriber_id", "establishment_id") WHERE "end_date" IS NULL;
ALTER TABLE "employments" ADD CONSTRAINT "employments_end_not_before_start"
  CHECK ("end_date" IS NULL OR "end_date" >= "start_date");
ALTER TABLE "wages" ADD CONSTRAINT "wages_amounts_not_negative"
  CHECK ("basic" >= 0 AND "housing" >= 0 AND "other_allowances" >= 0);
ALTER TABLE "wages" ADD CONSTRAINT "wages_effective_month_is_first_day"
  CHECK (extract(day FROM "effective_month") = 1);
ALTER TABLE "wages" ADD CONSTRAINT "wages_correction_has_reason"
  CHECK (NOT "is_retroactive_correction" OR "correction_reason" IS NOT NULL);
