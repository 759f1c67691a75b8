-- CreateEnum
CREATE TYPE "contribution_branch" AS ENUM ('ANNUITIES', 'SANED', 'OCCUPATIONAL_HAZARDS');

-- CreateEnum
CREATE TYPE "contribution_share" AS ENUM ('EMPLOYER', 'EMPLOYEE');

-- CreateEnum
CREATE TYPE "billing_run_status" AS ENUM ('PLANNING', 'ISSUING', 'COMPLETED');

-- CreateEnum
CREATE TYPE "invoice_line_kind" AS ENUM ('CONTRIBUTION', 'ADJUSTMENT');

-- CreateTable
CREATE TABLE "rate_sets" (
    "from_month" DATE NOT NULL,
    "description" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,
    "created_by" TEXT NOT NULL,

    CONSTRAINT "rate_sets_pkey" PRIMARY KEY ("from_month")
);

-- CreateTable
CREATE TABLE "contribution_rates" (
    "from_month" DATE NOT NULL,
    "population" "population" NOT NULL,
    "branch" "contribution_branch" NOT NULL,
    "share" "contribution_share" NOT NULL,
    "rate" DECIMAL(9,6) NOT NULL,

    CONSTRAINT "contribution_rates_pkey" PRIMARY KEY ("from_month","population","branch","share")
);

-- CreateTable
CREATE TABLE "wage_limits" (
    "from_month" DATE NOT NULL,
    "population" "population" NOT NULL,
    "floor" DECIMAL(18,2) NOT NULL,
    "cap" DECIMAL(18,2) NOT NULL,

    CONSTRAINT "wage_limits_pkey" PRIMARY KEY ("from_month","population")
);

-- CreateTable
CREATE TABLE "billing_runs" (
    "id" TEXT NOT NULL,
    "month" DATE NOT NULL,
    "status" "billing_run_status" NOT NULL,
    "requested_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,
    "corrections_since" TIMESTAMPTZ(6),
    "planned_at" TIMESTAMPTZ(6),
    "completed_at" TIMESTAMPTZ(6),
    "establishment_count" INTEGER NOT NULL DEFAULT 0,
    "chunk_count" INTEGER NOT NULL DEFAULT 0,
    "chunks_issued" INTEGER NOT NULL DEFAULT 0,
    "invoices_issued" INTEGER NOT NULL DEFAULT 0,
    "contribution_lines" INTEGER NOT NULL DEFAULT 0,
    "adjustment_lines" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "updated_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "billing_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "billing_run_chunks" (
    "run_id" TEXT NOT NULL,
    "chunk_number" INTEGER NOT NULL,
    "issued_at" TIMESTAMPTZ(6),

    CONSTRAINT "billing_run_chunks_pkey" PRIMARY KEY ("run_id","chunk_number")
);

-- CreateTable
CREATE TABLE "billing_run_establishments" (
    "run_id" TEXT NOT NULL,
    "establishment_id" TEXT NOT NULL,
    "chunk_number" INTEGER NOT NULL,
    "planned_lines" INTEGER NOT NULL,

    CONSTRAINT "billing_run_establishments_pkey" PRIMARY KEY ("run_id","establishment_id")
);

-- CreateTable
CREATE TABLE "invoices" (
    "id" TEXT NOT NULL,
    "number" TEXT NOT NULL,
    "establishment_id" TEXT NOT NULL,
    "contribution_month" DATE NOT NULL,
    "billing_run_id" TEXT NOT NULL,
    "issue_date" DATE NOT NULL,
    "due_date" DATE NOT NULL,
    "annuities_employer" DECIMAL(18,2) NOT NULL,
    "annuities_employee" DECIMAL(18,2) NOT NULL,
    "saned_employer" DECIMAL(18,2) NOT NULL,
    "saned_employee" DECIMAL(18,2) NOT NULL,
    "hazards_employer" DECIMAL(18,2) NOT NULL,
    "adjustment_total" DECIMAL(18,2) NOT NULL,
    "total" DECIMAL(18,2) NOT NULL,
    "contribution_line_count" INTEGER NOT NULL,
    "adjustment_line_count" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "invoices_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "invoice_lines" (
    "invoice_id" TEXT NOT NULL,
    "line_number" INTEGER NOT NULL,
    "kind" "invoice_line_kind" NOT NULL,
    "contribution_month" DATE NOT NULL,
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
    "hazards_employer" DECIMAL(18,2) NOT NULL,

    CONSTRAINT "invoice_lines_pkey" PRIMARY KEY ("invoice_id","line_number")
);

-- CreateTable
CREATE TABLE "invoice_settlements" (
    "id" TEXT NOT NULL,
    "invoice_id" TEXT NOT NULL,
    "source_type" TEXT NOT NULL,
    "source_id" TEXT NOT NULL,
    "amount" DECIMAL(18,2) NOT NULL,
    "settled_on" DATE NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "invoice_settlements_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "late_fines" (
    "id" TEXT NOT NULL,
    "invoice_id" TEXT NOT NULL,
    "establishment_id" TEXT NOT NULL,
    "period_number" INTEGER NOT NULL,
    "period_start" DATE NOT NULL,
    "period_end" DATE NOT NULL,
    "unpaid_base" DECIMAL(18,2) NOT NULL,
    "amount" DECIMAL(18,2) NOT NULL,
    "assessed_on" DATE NOT NULL,
    "journal_entry_id" TEXT,
    "waived_at" TIMESTAMPTZ(6),
    "waived_by" TEXT,
    "waiver_reason" TEXT,
    "waiver_entry_id" TEXT,
    "created_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "late_fines_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "billing_runs_month_key" ON "billing_runs"("month");

-- CreateIndex
CREATE INDEX "billing_run_establishments_run_id_chunk_number_idx" ON "billing_run_establishments"("run_id", "chunk_number");

-- CreateIndex
CREATE UNIQUE INDEX "invoices_number_key" ON "invoices"("number");

-- CreateIndex
CREATE INDEX "invoices_establishment_id_due_date_idx" ON "invoices"("establishment_id", "due_date");

-- CreateIndex
CREATE INDEX "invoices_due_date_idx" ON "invoices"("due_date");

-- CreateIndex
CREATE UNIQUE INDEX "invoices_establishment_id_contribution_month_key" ON "invoices"("establishment_id", "contribution_month");

-- CreateIndex
CREATE INDEX "invoice_lines_employment_id_contribution_month_idx" ON "invoice_lines"("employment_id", "contribution_month");

-- CreateIndex
CREATE INDEX "invoice_settlements_invoice_id_settled_on_idx" ON "invoice_settlements"("invoice_id", "settled_on");

-- CreateIndex
CREATE UNIQUE INDEX "invoice_settlements_source_type_source_id_invoice_id_key" ON "invoice_settlements"("source_type", "source_id", "invoice_id");

-- CreateIndex
CREATE UNIQUE INDEX "late_fines_journal_entry_id_key" ON "late_fines"("journal_entry_id");

-- CreateIndex
CREATE UNIQUE INDEX "late_fines_waiver_entry_id_key" ON "late_fines"("waiver_entry_id");

-- CreateIndex
CREATE INDEX "late_fines_establishment_id_period_start_idx" ON "late_fines"("establishment_id", "period_start");

-- CreateIndex
CREATE UNIQUE INDEX "late_fines_invoice_id_period_number_key" ON "late_fines"("invoice_id", "period_number");

-- CreateIndex
CREATE INDEX "employments_registered_at_idx" ON "employments"("registered_at");

-- CreateIndex
CREATE INDEX "employments_ended_at_idx" ON "employments"("ended_at");

-- CreateIndex
CREATE INDEX "wages_recorded_at_idx" ON "wages"("recorded_at");

-- AddForeignKey
ALTER TABLE "contribution_rates" ADD CONSTRAINT "contribution_rates_from_month_fkey" FOREIGN KEY ("from_month") REFERENCES "rate_sets"("from_month") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "wage_limits" ADD CONSTRAINT "wage_limits_from_month_fkey" FOREIGN KEY ("from_month") REFERENCES "rate_sets"("from_month") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_billing_run_id_fkey" FOREIGN KEY ("billing_run_id") REFERENCES "billing_runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invoice_lines" ADD CONSTRAINT "invoice_lines_invoice_id_fkey" FOREIGN KEY ("invoice_id") REFERENCES "invoices"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invoice_settlements" ADD CONSTRAINT "invoice_settlements_invoice_id_fkey" FOREIGN KEY ("invoice_id") REFERENCES "invoices"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "late_fines" ADD CONSTRAINT "late_fines_invoice_id_fkey" FOREIGN KEY ("invoice_id") REFERENCES "invoices"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- CreateTable
CREATE TABLE "invoice_voids" (
    "invoice_id" TEXT NOT NULL,
    "credit_note_number" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "voided_at" TIMESTAMPTZ(6) NOT NULL,
    "voided_by" TEXT NOT NULL,
    "reversal_entry_id" TEXT,

    CONSTRAINT "invoice_voids_pkey" PRIMARY KEY ("invoice_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "invoice_voids_credit_note_number_key" ON "invoice_voids"("credit_note_number");

-- CreateIndex
CREATE UNIQUE INDEX "invoice_voids_reversal_entry_id_key" ON "invoice_voids"("reversal_entry_id");

-- CreateIndex
CREATE INDEX "invoice_voids_voided_at_idx" ON "invoice_voids"("voided_at");

-- AddForeignKey
ALTER TABLE "invoice_voids" ADD CONSTRAINT "invoice_voids_invoice_id_fkey" FOREIGN KEY ("invoice_id") REFERENCES "invoices"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Written by hand: what the schema language cannot say.

-- Rates and wage limits: sane values, first days of months, and never edited. A whole rate
-- set that no run has used may still be withdrawn (the service checks that), so DELETE is
-- allowed; UPDATE never is.
ALTER TABLE "rate_sets" ADD CONSTRAINT "rate_sets_from_first_day" CHECK (extract(day FROM "from_month") = 1);
ALTER TABLE "contribution_rates" ADD CONSTRAINT "contribution_rates_fraction" CHECK ("rate" >= 0 AND "rate" < 1);
ALTER TABLE "contribution_rates" ADD CONSTRAINT "contribution_rates_hazards_employer_only"
  CHECK ("branch" <> 'OCCUPATIONAL_HAZARDS' OR "share" = 'EMPLOYER');
ALTER TABLE "wage_limits" ADD CONSTRAINT "wage_limits_floor_below_cap" CHECK ("floor" >= 0 AND "cap" > "floor");

CREATE FUNCTION billing_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'billing records are immutable: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'P0001', HINT = 'BILLING_IMMUTABLE';
END
$$;
CREATE TRIGGER rate_sets_immutable BEFORE UPDATE ON "rate_sets"
  FOR EACH ROW EXECUTE FUNCTION billing_refuse_change();
CREATE TRIGGER contribution_rates_immutable BEFORE UPDATE ON "contribution_rates"
  FOR EACH ROW EXECUTE FUNCTION billing_refuse_change();
CREATE TRIGGER wage_limits_immutable BEFORE UPDATE ON "wage_limits"
  FOR EACH ROW EXECUTE FUNCTION billing_refuse_change();

-- Issued invoices never change (corrections go on a later invoice); their lines neither.
CREATE TRIGGER invoices_immutable BEFORE UPDATE OR DELETE ON "invoices"
  FOR EACH ROW EXECUTE FUNCTION billing_refuse_change();
CREATE TRIGGER invoices_not_truncated BEFORE TRUNCATE ON "invoices"
  FOR EACH STATEMENT EXECUTE FUNCTION billing_refuse_change();
CREATE TRIGGER invoice_lines_immutable BEFORE UPDATE OR DELETE ON "invoice_lines"
  FOR EACH ROW EXECUTE FUNCTION billing_refuse_change();
CREATE TRIGGER invoice_lines_not_truncated BEFORE TRUNCATE ON "invoice_lines"
  FOR EACH STATEMENT EXECUTE FUNCTION billing_refuse_change();
CREATE TRIGGER invoice_settlements_immutable BEFORE UPDATE OR DELETE ON "invoice_settlements"
  FOR EACH ROW EXECUTE FUNCTION billing_refuse_change();
CREATE TRIGGER invoice_voids_immutable BEFORE UPDATE OR DELETE ON "invoice_voids"
  FOR EACH ROW EXECUTE FUNCTION billing_refuse_change();

-- A fine is assessed once; the only change it may see is being waived, once.
CREATE FUNCTION late_fines_only_waived() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD."waived_at" IS NULL AND NEW."waived_at" IS NOT NULL
     AND (OLD."id", OLD."invoice_id", OLD."establishment_id", OLD."period_number", OLD."period_start",
          OLD."period_end", OLD."unpaid_base", OLD."amount", OLD."assessed_on", OLD."journal_entry_id",
          OLD."created_at")
         IS NOT DISTINCT FROM
         (NEW."id", NEW."invoice_id", NEW."establishment_id", NEW."period_number", NEW."period_start",
          NEW."period_end", NEW."unpaid_base", NEW."amount", NEW."assessed_on", NEW."journal_entry_id",
          NEW."created_at") THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'late fines are immutable except for one waiver: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'P0001', HINT = 'BILLING_IMMUTABLE';
END
$$;
CREATE TRIGGER late_fines_immutable BEFORE UPDATE OR DELETE ON "late_fines"
  FOR EACH ROW EXECUTE FUNCTION late_fines_only_waived();

ALTER TABLE "invoices" ADD CONSTRAINT "invoices_month_first_day" CHECK (extract(day FROM "contribution_month") = 1);
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_total_is_sum"
  CHECK ("total" = "annuities_employer" + "annuities_employee" + "saned_employer" + "saned_employee" + "hazards_employer");
ALTER TABLE "invoice_lines" ADD CONSTRAINT "invoice_lines_month_first_day" CHECK (extract(day FROM "contribution_month") = 1);
ALTER TABLE "invoice_lines" ADD CONSTRAINT "invoice_lines_days" CHECK ("days_in_service" BETWEEN 0 AND 31);
ALTER TABLE "invoice_settlements" ADD CONSTRAINT "invoice_settlements_positive" CHECK ("amount" > 0);
ALTER TABLE "late_fines" ADD CONSTRAINT "late_fines_amounts" CHECK ("amount" >= 0 AND "unpaid_base" > 0);
ALTER TABLE "late_fines" ADD CONSTRAINT "late_fines_posted_when_positive"
  CHECK (("amount" > 0) = ("journal_entry_id" IS NOT NULL));
ALTER TABLE "late_fines" ADD CONSTRAINT "late_fines_waiver_complete"
  CHECK (("waived_at" IS NULL) = ("waived_by" IS NULL) AND ("waived_at" IS NULL) = ("waiver_reason" IS NULL)
         AND ("waiver_entry_id" IS NULL OR "waived_at" IS NOT NULL));
ALTER TABLE "billing_runs" ADD CONSTRAINT "billing_runs_month_first_day" CHECK (extract(day FROM "month") = 1);

-- The rates of ../shared/domain/contributions.md §2 and the wage limits of §3, as rate sets.
-- Ishtirak bills from February 2022 on (charging by days began then, §4). A set holds every
-- population, so SAUDI_NEW_2024 appears before July 2024 with the legacy rates; nobody can
-- belong to it then (it starts with first insurance on 3 July 2024). Each 2024-law step applies
-- to the whole July it starts in (ASSUMED there, §2.2).
INSERT INTO "rate_sets" ("from_month", "description", "created_at", "created_by") VALUES
  ('2022-02-01', 'SANED 0.75% a side from January 2022; days-based charging from February 2022', '2026-11-25T00:00:00Z', 'migration'),
  ('2024-07-01', '2024 Social Insurance Law: new Saudi subscribers from 3 July 2024, annuities 9% a side', '2026-11-25T00:00:00Z', 'migration'),
  ('2025-07-01', '2024 law, second year: annuities 9.5% a side for new Saudi subscribers', '2026-11-25T00:00:00Z', 'migration'),
  ('2026-07-01', '2024 law, third year: annuities 10% a side for new Saudi subscribers', '2026-11-25T00:00:00Z', 'migration'),
  ('2027-07-01', '2024 law, fourth year: annuities 10.5% a side for new Saudi subscribers', '2026-11-25T00:00:00Z', 'migration'),
  ('2028-07-01', '2024 law, fifth year: annuities 11% a side for new Saudi subscribers', '2026-11-25T00:00:00Z', 'migration');

INSERT INTO "contribution_rates" ("from_month", "population", "branch", "share", "rate")
SELECT s.from_month::date, p.population::"population", r.branch::"contribution_branch", r.share::"contribution_share",
       CASE
         WHEN p.population = 'NON_SAUDI' THEN CASE WHEN r.branch = 'OCCUPATIONAL_HAZARDS' THEN 0.02 ELSE 0 END
         WHEN r.branch = 'OCCUPATIONAL_HAZARDS' THEN 0.02
         WHEN r.branch = 'SANED' THEN 0.0075
         WHEN p.population = 'SAUDI_LEGACY' THEN 0.09
         ELSE s.new_law_annuities
       END
  FROM (VALUES ('2022-02-01', 0.09), ('2024-07-01', 0.09), ('2025-07-01', 0.095),
               ('2026-07-01', 0.10), ('2027-07-01', 0.105), ('2028-07-01', 0.11)) AS s(from_month, new_law_annuities)
 CROSS JOIN (VALUES ('SAUDI_LEGACY'), ('SAUDI_NEW_2024'), ('NON_SAUDI')) AS p(population)
 CROSS JOIN (VALUES ('ANNUITIES', 'EMPLOYER'), ('ANNUITIES', 'EMPLOYEE'), ('SANED', 'EMPLOYER'),
                    ('SANED', 'EMPLOYEE'), ('OCCUPATIONAL_HAZARDS', 'EMPLOYER')) AS r(branch, share);

INSERT INTO "wage_limits" ("from_month", "population", "floor", "cap")
SELECT s.from_month, p.population::"population", p.floor, 45000.00
  FROM "rate_sets" s
 CROSS JOIN (VALUES ('SAUDI_LEGACY', 1500.00), ('SAUDI_NEW_2024', 1500.00), ('NON_SAUDI', 400.00)) AS p(population, floor);
