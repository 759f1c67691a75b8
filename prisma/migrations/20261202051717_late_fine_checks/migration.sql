-- CreateTable
CREATE TABLE "late_fine_checks" (
    "check_on" DATE NOT NULL,
    "invoice_id" TEXT NOT NULL,

    CONSTRAINT "late_fine_checks_pkey" PRIMARY KEY ("check_on","invoice_id")
);

-- AddForeignKey
ALTER TABLE "late_fine_checks" ADD CONSTRAINT "late_fine_checks_invoice_id_fkey" FOREIGN KEY ("invoice_id") REFERENCES "invoices"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Hand-written: every invoice already issued gets a first look, as the job used to read them
-- all each night. The first night assesses what is owed and keeps only the invoices still
-- unpaid (an invoice with corrections is looked at from its issue day: corrections may be
-- fined from their own months' due dates).
INSERT INTO "late_fine_checks" ("check_on", "invoice_id")
SELECT CASE WHEN i."adjustment_line_count" > 0 THEN i."issue_date" ELSE i."due_date" + 1 END, i."id"
  FROM "invoices" i
 WHERE (i."total" > 0 OR i."adjustment_line_count" > 0)
   AND NOT EXISTS (SELECT 1 FROM "invoice_voids" v WHERE v."invoice_id" = i."id");
