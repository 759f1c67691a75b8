-- Written by hand: the ledger's statement-level checks look up the entries and lines they
-- touch by index, one LATERAL lookup per touched entry. Joined plainly, the planner could not
-- know the size of a transition table and hashed the whole journal instead, so each posting
-- got slower as the journal grew (a billing run's later chunks took seconds each).

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

  SELECT n.entry_id, n.line_number, n.account_code INTO offending
    FROM inserted_lines n
    CROSS JOIN LATERAL (SELECT effective_date FROM "journal_entries" WHERE id = n.entry_id) e
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

CREATE OR REPLACE FUNCTION ledger_check_entries_complete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  offending record;
BEGIN
  SELECT n.id, n.line_count, written.lines
    INTO offending
    FROM inserted_entries n
    CROSS JOIN LATERAL (SELECT count(*) AS lines FROM "journal_lines" WHERE entry_id = n.id) written
   WHERE written.lines <> n.line_count
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'journal entry % was written with % of its % lines; write an entry and its lines in one statement',
      offending.id, offending.lines, offending.line_count
      USING ERRCODE = '23514', HINT = 'LEDGER_UNBALANCED';
  END IF;
  RETURN NULL;
END
$$;
