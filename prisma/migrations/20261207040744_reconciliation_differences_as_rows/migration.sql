-- CreateTable
CREATE TABLE "reconciliation_differences" (
    "run_id" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "stripe_id" TEXT NOT NULL,
    "stripe_amount" DECIMAL(18,2),
    "ledger_amount" DECIMAL(18,2),

    CONSTRAINT "reconciliation_differences_pkey" PRIMARY KEY ("run_id","position")
);

-- CreateIndex
CREATE INDEX "reconciliation_differences_run_id_kind_position_idx" ON "reconciliation_differences"("run_id", "kind", "position");

-- AddForeignKey
ALTER TABLE "reconciliation_differences" ADD CONSTRAINT "reconciliation_differences_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "reconciliation_runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- The runs stored so far keep their differences, as rows in the order they were stored (already
-- sorted by kind, then Stripe id).
INSERT INTO "reconciliation_differences" ("run_id", "position", "kind", "stripe_id", "stripe_amount", "ledger_amount")
SELECT r."id", d.position::int, d.difference->>'kind', d.difference->>'stripeId',
       (d.difference->>'stripeAmount')::numeric(18,2), (d.difference->>'ledgerAmount')::numeric(18,2)
  FROM "reconciliation_runs" r
  CROSS JOIN LATERAL jsonb_array_elements(r."differences") WITH ORDINALITY AS d(difference, position);

-- AlterTable
ALTER TABLE "reconciliation_runs" DROP COLUMN "differences";
