-- CreateEnum
CREATE TYPE "staff_role" AS ENUM ('AGENCY_ADMIN', 'ACCOUNTANT');

-- CreateEnum
CREATE TYPE "principal_type" AS ENUM ('STAFF', 'ESTABLISHMENT_USER', 'SUBSCRIBER');

-- CreateEnum
CREATE TYPE "ledger_account_type" AS ENUM ('ASSET', 'LIABILITY', 'INCOME', 'EXPENSE');

-- CreateEnum
CREATE TYPE "journal_source_type" AS ENUM ('INVOICE', 'PAYMENT', 'WEBHOOK_EVENT', 'FINE', 'ADJUSTMENT', 'REVERSAL');

-- CreateTable
CREATE TABLE "staff_users" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "role" "staff_role" NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "staff_users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sessions" (
    "id" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "principal_type" "principal_type" NOT NULL,
    "principal_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,
    "expires_at" TIMESTAMPTZ(6) NOT NULL,
    "revoked_at" TIMESTAMPTZ(6),

    CONSTRAINT "sessions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ledger_accounts" (
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "type" "ledger_account_type" NOT NULL,
    "description" TEXT NOT NULL,
    "has_establishment_dimension" BOOLEAN NOT NULL,

    CONSTRAINT "ledger_accounts_pkey" PRIMARY KEY ("code")
);

-- CreateTable
CREATE TABLE "journal_entries" (
    "id" TEXT NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "content_hash" TEXT NOT NULL,
    "source_type" "journal_source_type" NOT NULL,
    "source_id" TEXT NOT NULL,
    "entry_code" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "effective_date" DATE NOT NULL,
    "recorded_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "line_count" SMALLINT NOT NULL,
    "reverses_entry_id" TEXT,

    CONSTRAINT "journal_entries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "journal_lines" (
    "entry_id" TEXT NOT NULL,
    "line_number" SMALLINT NOT NULL,
    "account_code" TEXT NOT NULL,
    "establishment_id" TEXT,
    "amount" DECIMAL(18,2) NOT NULL,
    "effective_date" DATE NOT NULL,

    CONSTRAINT "journal_lines_pkey" PRIMARY KEY ("entry_id","line_number")
);

-- CreateTable
CREATE TABLE "ledger_daily_balances" (
    "account_code" TEXT NOT NULL,
    "establishment_id" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "bucket" SMALLINT NOT NULL,
    "net_change" DECIMAL(18,2) NOT NULL,
    "line_count" BIGINT NOT NULL,

    CONSTRAINT "ledger_daily_balances_pkey" PRIMARY KEY ("account_code","establishment_id","day","bucket")
);

-- CreateIndex
CREATE UNIQUE INDEX "staff_users_email_key" ON "staff_users"("email");

-- CreateIndex
CREATE UNIQUE INDEX "sessions_token_hash_key" ON "sessions"("token_hash");

-- CreateIndex
CREATE INDEX "sessions_principal_type_principal_id_idx" ON "sessions"("principal_type", "principal_id");

-- CreateIndex
CREATE UNIQUE INDEX "ledger_accounts_name_key" ON "ledger_accounts"("name");

-- CreateIndex
CREATE UNIQUE INDEX "journal_entries_idempotency_key_key" ON "journal_entries"("idempotency_key");

-- CreateIndex
CREATE UNIQUE INDEX "journal_entries_reverses_entry_id_key" ON "journal_entries"("reverses_entry_id");

-- CreateIndex
CREATE INDEX "journal_entries_source_type_source_id_idx" ON "journal_entries"("source_type", "source_id");

-- CreateIndex
CREATE INDEX "journal_entries_effective_date_id_idx" ON "journal_entries"("effective_date", "id");

-- CreateIndex
CREATE INDEX "journal_lines_account_code_establishment_id_effective_date_idx" ON "journal_lines"("account_code", "establishment_id", "effective_date");

-- CreateIndex
CREATE INDEX "journal_lines_account_code_effective_date_idx" ON "journal_lines"("account_code", "effective_date");

-- CreateIndex
CREATE INDEX "journal_lines_effective_date_entry_id_line_number_idx" ON "journal_lines"("effective_date", "entry_id", "line_number");

-- AddForeignKey
ALTER TABLE "journal_entries" ADD CONSTRAINT "journal_entries_reverses_entry_id_fkey" FOREIGN KEY ("reverses_entry_id") REFERENCES "journal_entries"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "journal_lines" ADD CONSTRAINT "journal_lines_entry_id_fkey" FOREIGN KEY ("entry_id") REFERENCES "journal_entries"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "journal_lines" ADD CONSTRAINT "journal_lines_account_code_fkey" FOREIGN KEY ("account_code") REFERENCES "ledger_accounts"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- ─── Written by hand below this line: what Prisma's schema language cannot say ───────────

-- A line moves money: never zero (debit positive, credit negative). An entry has two lines or more.
ALTER TABLE "journal_lines" ADD CONSTRAINT "journal_lines_amount_not_zero" CHECK ("amount" <> 0);
ALTER TABLE "journal_entries" ADD CONSTRAINT "journal_entries_at_least_two_lines" CHECK ("line_count" >= 2);

-- The chart of accounts (mirrored by src/ledger/chart-of-accounts.ts; a test keeps them equal).
INSERT INTO "ledger_accounts" ("code", "name", "type", "description", "has_establishment_dimension") VALUES
  ('RECEIVABLE_CONTRIBUTIONS', 'assets:receivable:contributions', 'ASSET', 'Contributions invoiced to an establishment and not yet paid', true),
  ('RECEIVABLE_FINES', 'assets:receivable:fines', 'ASSET', 'Late-payment fines assessed on an establishment and not yet paid', true),
  ('PROCESSOR_CASH', 'assets:processor:stripe', 'ASSET', 'Cash held at the payment processor, not yet paid out', false),
  ('BANK', 'assets:bank', 'ASSET', 'The agency''s bank account, credited by processor payouts', false),
  ('DISPUTED_FUNDS', 'assets:disputed', 'ASSET', 'Amounts the processor withheld for open disputes', false),
  ('UNAPPLIED_PAYMENTS', 'liabilities:unapplied-payments', 'LIABILITY', 'Money received from an establishment and not applied to an invoice: its credit balance', true),
  ('REFUNDS_PAYABLE', 'liabilities:refunds-payable', 'LIABILITY', 'Refunds granted to an establishment and not yet paid out by the processor', true),
  ('CONTRIBUTIONS_ANNUITIES_EMPLOYER', 'income:contributions:annuities:employer', 'INCOME', 'Annuities branch, employer share', false),
  ('CONTRIBUTIONS_ANNUITIES_EMPLOYEE', 'income:contributions:annuities:employee', 'INCOME', 'Annuities branch, employee share (deducted from pay)', false),
  ('CONTRIBUTIONS_SANED_EMPLOYER', 'income:contributions:saned:employer', 'INCOME', 'Unemployment insurance (SANED), employer share', false),
  ('CONTRIBUTIONS_SANED_EMPLOYEE', 'income:contributions:saned:employee', 'INCOME', 'Unemployment insurance (SANED), employee share (deducted from pay)', false),
  ('CONTRIBUTIONS_HAZARDS_EMPLOYER', 'income:contributions:occupational-hazards:employer', 'INCOME', 'Occupational hazards branch, employer only', false),
  ('FINES_INCOME', 'income:fines:late-payment', 'INCOME', 'Late-payment fines (2% a month of unpaid contributions)', false),
  ('PROCESSOR_FEES', 'expenses:processor-fees', 'EXPENSE', 'Fees the payment processor charged, including dispute fees', false);

-- Entries and lines are immutable: a correction is a reversing entry.
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger rows are immutable: % on % refused; post a reversing entry instead', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'P0001', HINT = 'LEDGER_IMMUTABLE';
END
$$;

CREATE TRIGGER journal_entries_immutable BEFORE UPDATE OR DELETE ON "journal_entries"
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER journal_entries_not_truncated BEFORE TRUNCATE ON "journal_entries"
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER journal_lines_immutable BEFORE UPDATE OR DELETE ON "journal_lines"
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER journal_lines_not_truncated BEFORE TRUNCATE ON "journal_lines"
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- After every statement that inserts lines: each entry it touched balances to the halala and
-- has exactly its declared lines (so lines cannot be added to an old entry later), each line
-- carries its entry's date and the establishment dimension its account needs; then the
-- daily summaries that make balances fast are updated in the same transaction. One set-based
-- check per statement, so a batch of thousands of entries costs one query, not one per line.
CREATE FUNCTION ledger_check_and_summarise_lines() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  offending record;
BEGIN
  SELECT e.id, e.line_count, count(*) AS lines, coalesce(sum(l.amount), 0) AS debits_minus_credits
    INTO offending
    FROM (SELECT DISTINCT entry_id FROM inserted_lines) touched
    JOIN "journal_entries" e ON e.id = touched.entry_id
    JOIN "journal_lines" l ON l.entry_id = e.id
   GROUP BY e.id, e.line_count
  HAVING coalesce(sum(l.amount), 0) <> 0 OR count(*) <> e.line_count
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'journal entry % does not balance: % line(s) of % declared, debits minus credits %',
      offending.id, offending.lines, offending.line_count, offending.debits_minus_credits
      USING ERRCODE = '23514', HINT = 'LEDGER_UNBALANCED';
  END IF;

  SELECT n.entry_id, n.line_number, n.account_code INTO offending
    FROM inserted_lines n
    JOIN "journal_entries" e ON e.id = n.entry_id
    JOIN "ledger_accounts" a ON a.code = n.account_code
   WHERE n.effective_date <> e.effective_date
      OR a.has_establishment_dimension <> (n.establishment_id IS NOT NULL)
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'journal entry % line % on %: date differs from the entry or establishment dimension misused',
      offending.entry_id, offending.line_number, offending.account_code
      USING ERRCODE = '23514', HINT = 'LEDGER_LINE_INVALID';
  END IF;

  INSERT INTO "ledger_daily_balances" ("account_code", "establishment_id", "day", "bucket", "net_change", "line_count")
  SELECT s.account_code, s.establishment_key, s.effective_date, (txid_current() % 8)::smallint, sum(s.amount), count(*)
    FROM (
      SELECT account_code, '' AS establishment_key, effective_date, amount FROM inserted_lines
      UNION ALL
      SELECT account_code, establishment_id, effective_date, amount FROM inserted_lines WHERE establishment_id IS NOT NULL
    ) s
   GROUP BY s.account_code, s.establishment_key, s.effective_date
   ORDER BY s.account_code, s.establishment_key, s.effective_date
  ON CONFLICT ("account_code", "establishment_id", "day", "bucket") DO UPDATE
    SET "net_change" = "ledger_daily_balances"."net_change" + excluded."net_change",
        "line_count" = "ledger_daily_balances"."line_count" + excluded."line_count";
  RETURN NULL;
END
$$;

CREATE TRIGGER journal_lines_check_and_summarise AFTER INSERT ON "journal_lines"
  REFERENCING NEW TABLE AS inserted_lines
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_and_summarise_lines();

-- An entry and its lines are written by one statement (a writable CTE, see
-- src/ledger/repository.ts). After that statement, every entry it inserted has all its lines:
-- one set-based check per statement, which also refuses an entry inserted on its own.
CREATE FUNCTION ledger_check_entries_complete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  offending record;
BEGIN
  SELECT n.id, n.line_count, count(l.entry_id) AS lines
    INTO offending
    FROM inserted_entries n
    LEFT JOIN "journal_lines" l ON l.entry_id = n.id
   GROUP BY n.id, n.line_count
  HAVING count(l.entry_id) <> n.line_count
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'journal entry % was written with % of its % lines; write an entry and its lines in one statement',
      offending.id, offending.lines, offending.line_count
      USING ERRCODE = '23514', HINT = 'LEDGER_UNBALANCED';
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER journal_entries_complete AFTER INSERT ON "journal_entries"
  REFERENCING NEW TABLE AS inserted_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_entries_complete();
