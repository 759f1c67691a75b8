-- DropForeignKey
ALTER TABLE "invoice_lines" DROP CONSTRAINT "invoice_lines_invoice_id_fkey";

-- Written by hand: the foreign key above is replaced by one check per statement. A billing run
-- writes a chunk's 100,000 lines in one statement; the key checked and locked the invoice once
-- per line (0.5–0.7 s of each chunk). This looks each invoice the statement touched up by
-- index, once (LATERAL, so the planner never hashes the whole invoices table for a small
-- statement). Invoices are never deleted or changed (invoices_immutable), so checking at insert
-- is all the key did.
CREATE FUNCTION billing_check_lines_reference_invoices() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  missing text;
BEGIN
  SELECT touched.invoice_id INTO missing
    FROM (SELECT DISTINCT invoice_id FROM inserted_lines) touched
    LEFT JOIN LATERAL (SELECT true AS found FROM "invoices" WHERE id = touched.invoice_id) i ON true
   WHERE i.found IS NULL
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'invoice lines refer to invoice %, which does not exist', missing
      USING ERRCODE = '23503', HINT = 'INVOICE_LINE_WITHOUT_INVOICE';
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER invoice_lines_reference_invoices AFTER INSERT ON "invoice_lines"
  REFERENCING NEW TABLE AS inserted_lines
  FOR EACH STATEMENT EXECUTE FUNCTION billing_check_lines_reference_invoices();
