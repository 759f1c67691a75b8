-- CreateTable
CREATE TABLE "reconciliation_stripe_transactions" (
    "run_id" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "amount" DECIMAL(18,2) NOT NULL,
    "fee" DECIMAL(18,2) NOT NULL,
    "reporting_category" TEXT NOT NULL,
    "staged_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "reconciliation_stripe_transactions_pkey" PRIMARY KEY ("run_id","id")
);

-- CreateIndex
CREATE INDEX "reconciliation_stripe_transactions_staged_at_idx" ON "reconciliation_stripe_transactions"("staged_at");

-- Recomputed from Stripe whenever lost: writing it to the WAL would only cost time.
ALTER TABLE "reconciliation_stripe_transactions" SET UNLOGGED;
