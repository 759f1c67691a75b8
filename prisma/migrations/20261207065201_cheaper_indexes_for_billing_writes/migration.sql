-- The two indexes a billing run wrote most dearly (docs/billing.md, "Cheaper indexes for the
-- run's writes"): invoice lines by employment become a hash index (every lookup is by equality;
-- a run's lines arrive in random employment order, which a B-tree pays for on every insert), and
-- the journal's establishment index keeps only lines that have an establishment.
--
-- Building an index here holds writes to its table until it is built: on a database with years
-- of invoice lines, build both first without holding writes (README, "Upgrading a large
-- database"), and this migration then finds them and only drops the old invoice-lines index.

-- DropIndex
DROP INDEX IF EXISTS "invoice_lines_employment_id_contribution_month_idx";

-- CreateIndex
CREATE INDEX IF NOT EXISTS "invoice_lines_employment_id_idx" ON "invoice_lines" USING HASH ("employment_id");

-- DropIndex, CreateIndex: the full index gives way to the partial one of the same name, unless
-- the partial one is there already.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_indexes
                  WHERE schemaname = current_schema()
                    AND indexname = 'journal_lines_account_code_establishment_id_effective_date_idx'
                    AND indexdef LIKE '%WHERE (establishment_id IS NOT NULL)%') THEN
    DROP INDEX IF EXISTS "journal_lines_account_code_establishment_id_effective_date_idx";
    CREATE INDEX "journal_lines_account_code_establishment_id_effective_date_idx" ON "journal_lines"("account_code", "establishment_id", "effective_date") WHERE (establishment_id IS NOT NULL);
  END IF;
END $$;
