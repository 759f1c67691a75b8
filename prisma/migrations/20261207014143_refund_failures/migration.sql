-- CreateTable
CREATE TABLE "payment_refund_failures" (
    "refund_id" TEXT NOT NULL,
    "failed_at" TIMESTAMPTZ(6) NOT NULL,
    "failed_on" DATE NOT NULL,
    "reason" TEXT,
    "journal_entry_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "payment_refund_failures_pkey" PRIMARY KEY ("refund_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "payment_refund_failures_journal_entry_id_key" ON "payment_refund_failures"("journal_entry_id");

-- CreateIndex
CREATE INDEX "payment_refund_failures_failed_at_idx" ON "payment_refund_failures"("failed_at");

-- AddForeignKey
ALTER TABLE "payment_refund_failures" ADD CONSTRAINT "payment_refund_failures_refund_id_fkey" FOREIGN KEY ("refund_id") REFERENCES "payment_refunds"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Money records are facts: never changed, never removed.
CREATE TRIGGER payment_refund_failures_immutable BEFORE UPDATE OR DELETE ON "payment_refund_failures"
  FOR EACH ROW EXECUTE FUNCTION billing_refuse_change();
