-- Written by hand (no schema change): the statement-level checks look up, by key, each row or
-- entry the statement touched (LATERAL probes into journal_entries, journal_lines, invoices,
-- billing_runs, subscribers, establishments, employments). PL/pgSQL plans each query of a
-- function on a connection's first call and keeps the plan for the connection's life, until the
-- probed table's statistics change (ANALYZE, which autovacuum runs about once a minute at most).
-- A plan made while a table was nearly empty (a new database, the first minutes of a service)
-- is a sequential scan, the cheapest way then, and stays one as the table grows: one scan of the
-- whole table per probe. Seen in the webhook benchmark: a batch's posting (128 entries, each
-- probed in journal_entries and journal_lines) took 160-500 ms instead of a few, and the service
-- applied ~300 events/s instead of ~1,000 until the tables were analysed. With sequential scans
-- off inside these functions every probe is planned on its index, whatever the statistics said
-- when it was planned; the functions read nothing a sequential scan would serve better (their
-- transition tables are scanned either way). stripe_events_announce reads only its own
-- transition table. test/shared/db/check-trigger-plans.test.ts holds every transition-table
-- trigger to this, so a CREATE OR REPLACE of one of them (which drops the setting) is caught.
ALTER FUNCTION ledger_check_and_summarise_lines() SET enable_seqscan = off;
ALTER FUNCTION ledger_check_entries_complete() SET enable_seqscan = off;
ALTER FUNCTION billing_check_lines_reference_invoices() SET enable_seqscan = off;
ALTER FUNCTION billing_check_invoices_reference_runs() SET enable_seqscan = off;
ALTER FUNCTION fines_check_checks_reference_invoices() SET enable_seqscan = off;
ALTER FUNCTION employments_check_parties() SET enable_seqscan = off;
ALTER FUNCTION wages_check_employments() SET enable_seqscan = off;
