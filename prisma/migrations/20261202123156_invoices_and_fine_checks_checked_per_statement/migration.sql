-- DropForeignKey
ALTER TABLE "invoices" DROP CONSTRAINT "invoices_billing_run_id_fkey";

-- DropForeignKey
ALTER TABLE "late_fine_checks" DROP CONSTRAINT "late_fine_checks_invoice_id_fkey";

-- Written by hand: the two foreign keys above are replaced by one check per statement, like
-- invoice_lines_reference_invoices. A billing chunk issues up to ~13,500 invoices and as many
-- late-fine checks in one statement, and each key looked up (and locked) its parent once per
-- row: 0.10 s and 0.09 s of a 4.4 s chunk. These look each parent the statement names up by
-- index, once. Invoices are never deleted or changed (invoices_immutable); billing runs keep
-- what the key kept them from (billing_runs_kept, below).
CREATE FUNCTION billing_check_invoices_reference_runs() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  missing text;
BEGIN
  SELECT touched.billing_run_id INTO missing
    FROM (SELECT DISTINCT billing_run_id FROM inserted_invoices) touched
    LEFT JOIN LATERAL (SELECT true AS found FROM "billing_runs" WHERE id = touched.billing_run_id) r ON true
   WHERE r.found IS NULL
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'invoices refer to billing run %, which does not exist', missing
      USING ERRCODE = '23503', HINT = 'INVOICE_WITHOUT_BILLING_RUN';
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER invoices_reference_billing_runs AFTER INSERT ON "invoices"
  REFERENCING NEW TABLE AS inserted_invoices
  FOR EACH STATEMENT EXECUTE FUNCTION billing_check_invoices_reference_runs();

CREATE FUNCTION fines_check_checks_reference_invoices() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  missing text;
BEGIN
  SELECT touched.invoice_id INTO missing
    FROM (SELECT DISTINCT invoice_id FROM inserted_checks) touched
    LEFT JOIN LATERAL (SELECT true AS found FROM "invoices" WHERE id = touched.invoice_id) i ON true
   WHERE i.found IS NULL
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'late-fine checks refer to invoice %, which does not exist', missing
      USING ERRCODE = '23503', HINT = 'LATE_FINE_CHECK_WITHOUT_INVOICE';
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER late_fine_checks_reference_invoices AFTER INSERT ON "late_fine_checks"
  REFERENCING NEW TABLE AS inserted_checks
  FOR EACH STATEMENT EXECUTE FUNCTION fines_check_checks_reference_invoices();
CREATE TRIGGER late_fine_checks_updated_reference_invoices AFTER UPDATE ON "late_fine_checks"
  REFERENCING NEW TABLE AS inserted_checks
  FOR EACH STATEMENT EXECUTE FUNCTION fines_check_checks_reference_invoices();

-- What the key refused on the run's side: deleting or renumbering a run that has invoices (its
-- status and counters still change), and truncating the runs.
CREATE FUNCTION billing_keep_runs_with_invoices() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'TRUNCATE' OR EXISTS (SELECT 1 FROM "invoices" WHERE billing_run_id = OLD.id) THEN
    RAISE EXCEPTION 'billing runs with invoices are never deleted or renumbered: % on % refused', TG_OP, TG_TABLE_NAME
      USING ERRCODE = '23503';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;

CREATE TRIGGER billing_runs_kept BEFORE UPDATE OF id OR DELETE ON "billing_runs"
  FOR EACH ROW EXECUTE FUNCTION billing_keep_runs_with_invoices();
CREATE TRIGGER billing_runs_not_truncated BEFORE TRUNCATE ON "billing_runs"
  FOR EACH STATEMENT EXECUTE FUNCTION billing_keep_runs_with_invoices();
