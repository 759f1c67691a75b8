-- The two indexes a billing run wrote most dearly (docs/billing.md, "Cheaper indexes for the
-- run's writes"): invoice lines by employment become a hash index (every lookup is by equality;
-- a run's lines arrive in random employment order, which a B-tree pays for on every insert), and
-- the journal's establishment index keeps only lines that have an establishment.
-- DropIndex
DROP INDEX "invoice_lines_employment_id_contribution_month_idx";

-- DropIndex
DROP INDEX "journal_lines_account_code_establishment_id_effective_date_idx";

-- CreateIndex
CREATE INDEX "invoice_lines_employment_id_idx" ON "invoice_lines" USING HASH ("employment_id");

-- CreateIndex
CREATE INDEX "journal_lines_account_code_establishment_id_effective_date_idx" ON "journal_lines"("account_code", "establishment_id", "effective_date") WHERE (establishment_id IS NOT NULL);
