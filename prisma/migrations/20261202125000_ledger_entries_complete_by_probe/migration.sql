-- Written by hand: an entry inserted without its lines is found by probing for one line of it
-- instead of counting them all. Since ledger_checks_from_inserted_lines, the lines a statement
-- writes for an entry must be all of its lines (exactly line_count, numbered 1..line_count), and
-- that check runs at the end of the same statement; so an entry with any line has them all, and
-- what is left to refuse here is an entry with none. Counting read each entry's lines from the
-- heap: 0.10 s of a billing chunk of 13,551 invoices.
CREATE OR REPLACE FUNCTION ledger_check_entries_complete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  offending record;
BEGIN
  SELECT n.id, n.line_count
    INTO offending
    FROM inserted_entries n
    LEFT JOIN LATERAL (SELECT true AS found FROM "journal_lines" WHERE entry_id = n.id LIMIT 1) written ON true
   WHERE written.found IS NULL
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'journal entry % was written with 0 of its % lines; write an entry and its lines in one statement',
      offending.id, offending.line_count
      USING ERRCODE = '23514', HINT = 'LEDGER_UNBALANCED';
  END IF;
  RETURN NULL;
END
$$;
