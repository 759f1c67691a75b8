-- DropForeignKey
ALTER TABLE "journal_lines" DROP CONSTRAINT "journal_lines_account_code_fkey";

-- DropForeignKey
ALTER TABLE "journal_lines" DROP CONSTRAINT "journal_lines_entry_id_fkey";

-- Written by hand: the two foreign keys above are replaced by the statement-level check that
-- already read every new line's entry and account (for its date and establishment dimension):
-- it now also refuses a line whose entry or account does not exist. The keys looked both up
-- again for each line, 0.05–0.6 s of a billing chunk's statement. Entries are immutable
-- (journal_entries_immutable); accounts, which lines name by code, can no longer be deleted,
-- renamed or truncated away.

CREATE OR REPLACE FUNCTION ledger_check_and_summarise_lines() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  offending record;
BEGIN
  SELECT touched.entry_id AS id, e.line_count, totals.lines, totals.debits_minus_credits
    INTO offending
    FROM (SELECT DISTINCT entry_id FROM inserted_lines) touched
    CROSS JOIN LATERAL (SELECT line_count FROM "journal_entries" WHERE id = touched.entry_id) e
    CROSS JOIN LATERAL (SELECT count(*) AS lines, coalesce(sum(amount), 0) AS debits_minus_credits
                          FROM "journal_lines" WHERE entry_id = touched.entry_id) totals
   WHERE totals.debits_minus_credits <> 0 OR totals.lines <> e.line_count
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'journal entry % does not balance: % line(s) of % declared, debits minus credits %',
      offending.id, offending.lines, offending.line_count, offending.debits_minus_credits
      USING ERRCODE = '23514', HINT = 'LEDGER_UNBALANCED';
  END IF;

  SELECT n.entry_id, n.line_number, n.account_code, e.found IS NOT NULL AND a.code IS NOT NULL AS refers_to_existing
    INTO offending
    FROM inserted_lines n
    LEFT JOIN LATERAL (SELECT true AS found, effective_date FROM "journal_entries" WHERE id = n.entry_id) e ON true
    LEFT JOIN "ledger_accounts" a ON a.code = n.account_code
   WHERE e.found IS NULL OR a.code IS NULL
      OR n.effective_date <> e.effective_date
      OR a.has_establishment_dimension <> (n.establishment_id IS NOT NULL)
   LIMIT 1;
  IF FOUND AND NOT offending.refers_to_existing THEN
    RAISE EXCEPTION 'journal entry % line %: no such entry, or no account %',
      offending.entry_id, offending.line_number, offending.account_code
      USING ERRCODE = '23503', HINT = 'LEDGER_LINE_INVALID';
  END IF;
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

CREATE FUNCTION ledger_refuse_account_removal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger accounts are never deleted or renamed: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = '55000';
END
$$;

CREATE TRIGGER ledger_accounts_kept BEFORE UPDATE OF code OR DELETE ON "ledger_accounts"
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_account_removal();
CREATE TRIGGER ledger_accounts_not_truncated BEFORE TRUNCATE ON "ledger_accounts"
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_account_removal();
