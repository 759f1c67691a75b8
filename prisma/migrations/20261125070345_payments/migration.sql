-- CreateEnum
CREATE TYPE "payment_method" AS ENUM ('CHECKOUT', 'PAYMENT_INTENT');

-- CreateEnum
CREATE TYPE "dispute_status" AS ENUM ('OPEN', 'WON', 'LOST');

-- CreateEnum
CREATE TYPE "allocation_direction" AS ENUM ('APPLY', 'RELEASE');

-- CreateEnum
CREATE TYPE "stripe_event_status" AS ENUM ('PENDING', 'PROCESSED', 'IGNORED', 'REJECTED');

-- CreateTable
CREATE TABLE "payment_attempts" (
    "id" TEXT NOT NULL,
    "establishment_id" TEXT NOT NULL,
    "invoice_id" TEXT NOT NULL,
    "method" "payment_method" NOT NULL,
    "amount" DECIMAL(18,2) NOT NULL,
    "currency" TEXT NOT NULL,
    "stripe_object_id" TEXT,
    "checkout_url" TEXT,
    "client_secret" TEXT,
    "expires_at" TIMESTAMPTZ(6) NOT NULL,
    "failed_at" TIMESTAMPTZ(6),
    "failure_message" TEXT,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "payment_attempts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "payments" (
    "id" TEXT NOT NULL,
    "stripe_payment_intent_id" TEXT NOT NULL,
    "stripe_charge_id" TEXT NOT NULL,
    "establishment_id" TEXT NOT NULL,
    "attempt_id" TEXT,
    "invoice_id" TEXT,
    "amount" DECIMAL(18,2) NOT NULL,
    "fee" DECIMAL(18,2) NOT NULL,
    "currency" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ(6) NOT NULL,
    "received_on" DATE NOT NULL,
    "journal_entry_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "payments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "payment_refunds" (
    "id" TEXT NOT NULL,
    "stripe_refund_id" TEXT NOT NULL,
    "payment_id" TEXT NOT NULL,
    "amount" DECIMAL(18,2) NOT NULL,
    "refunded_at" TIMESTAMPTZ(6) NOT NULL,
    "refunded_on" DATE NOT NULL,
    "journal_entry_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "payment_refunds_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "payment_disputes" (
    "id" TEXT NOT NULL,
    "stripe_dispute_id" TEXT NOT NULL,
    "payment_id" TEXT NOT NULL,
    "amount" DECIMAL(18,2) NOT NULL,
    "status" "dispute_status" NOT NULL,
    "opened_at" TIMESTAMPTZ(6) NOT NULL,
    "closed_at" TIMESTAMPTZ(6),
    "loss_entry_id" TEXT,
    "created_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "payment_disputes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "processor_balance_transactions" (
    "id" TEXT NOT NULL,
    "stripe_balance_transaction_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "amount" DECIMAL(18,2) NOT NULL,
    "fee" DECIMAL(18,2) NOT NULL,
    "occurred_at" TIMESTAMPTZ(6) NOT NULL,
    "journal_entry_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "processor_balance_transactions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "payouts" (
    "id" TEXT NOT NULL,
    "stripe_payout_id" TEXT NOT NULL,
    "amount" DECIMAL(18,2) NOT NULL,
    "arrived_on" DATE NOT NULL,
    "journal_entry_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "payouts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "payment_allocations" (
    "id" TEXT NOT NULL,
    "establishment_id" TEXT NOT NULL,
    "direction" "allocation_direction" NOT NULL,
    "amount" DECIMAL(18,2) NOT NULL,
    "cause" TEXT NOT NULL,
    "cause_id" TEXT NOT NULL,
    "effective_on" DATE NOT NULL,
    "journal_entry_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "payment_allocations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "stripe_events" (
    "id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "api_version" TEXT,
    "livemode" BOOLEAN NOT NULL,
    "stripe_created_at" TIMESTAMPTZ(6) NOT NULL,
    "payload" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ(6) NOT NULL,
    "deliveries" INTEGER NOT NULL DEFAULT 1,
    "status" "stripe_event_status" NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "leased_until" TIMESTAMPTZ(6),
    "next_attempt_at" TIMESTAMPTZ(6) NOT NULL,
    "last_error" TEXT,
    "outcome" TEXT,
    "processed_at" TIMESTAMPTZ(6),

    CONSTRAINT "stripe_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "reconciliation_runs" (
    "id" TEXT NOT NULL,
    "period_from" TIMESTAMPTZ(6) NOT NULL,
    "period_to" TIMESTAMPTZ(6) NOT NULL,
    "differences" JSONB NOT NULL,
    "difference_count" INTEGER NOT NULL,
    "ran_at" TIMESTAMPTZ(6) NOT NULL,
    "ran_by" TEXT NOT NULL,

    CONSTRAINT "reconciliation_runs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "payment_attempts_stripe_object_id_key" ON "payment_attempts"("stripe_object_id");

-- CreateIndex
CREATE INDEX "payment_attempts_invoice_id_created_at_idx" ON "payment_attempts"("invoice_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "payments_stripe_payment_intent_id_key" ON "payments"("stripe_payment_intent_id");

-- CreateIndex
CREATE UNIQUE INDEX "payments_stripe_charge_id_key" ON "payments"("stripe_charge_id");

-- CreateIndex
CREATE UNIQUE INDEX "payments_journal_entry_id_key" ON "payments"("journal_entry_id");

-- CreateIndex
CREATE INDEX "payments_establishment_id_received_at_idx" ON "payments"("establishment_id", "received_at");

-- CreateIndex
CREATE INDEX "payments_received_at_idx" ON "payments"("received_at");

-- CreateIndex
CREATE UNIQUE INDEX "payment_refunds_stripe_refund_id_key" ON "payment_refunds"("stripe_refund_id");

-- CreateIndex
CREATE UNIQUE INDEX "payment_refunds_journal_entry_id_key" ON "payment_refunds"("journal_entry_id");

-- CreateIndex
CREATE INDEX "payment_refunds_payment_id_idx" ON "payment_refunds"("payment_id");

-- CreateIndex
CREATE INDEX "payment_refunds_refunded_at_idx" ON "payment_refunds"("refunded_at");

-- CreateIndex
CREATE UNIQUE INDEX "payment_disputes_stripe_dispute_id_key" ON "payment_disputes"("stripe_dispute_id");

-- CreateIndex
CREATE UNIQUE INDEX "payment_disputes_loss_entry_id_key" ON "payment_disputes"("loss_entry_id");

-- CreateIndex
CREATE INDEX "payment_disputes_payment_id_idx" ON "payment_disputes"("payment_id");

-- CreateIndex
CREATE UNIQUE INDEX "processor_balance_transactions_stripe_balance_transaction_i_key" ON "processor_balance_transactions"("stripe_balance_transaction_id");

-- CreateIndex
CREATE UNIQUE INDEX "processor_balance_transactions_journal_entry_id_key" ON "processor_balance_transactions"("journal_entry_id");

-- CreateIndex
CREATE UNIQUE INDEX "payouts_stripe_payout_id_key" ON "payouts"("stripe_payout_id");

-- CreateIndex
CREATE UNIQUE INDEX "payouts_journal_entry_id_key" ON "payouts"("journal_entry_id");

-- CreateIndex
CREATE UNIQUE INDEX "payment_allocations_journal_entry_id_key" ON "payment_allocations"("journal_entry_id");

-- CreateIndex
CREATE INDEX "payment_allocations_establishment_id_created_at_idx" ON "payment_allocations"("establishment_id", "created_at");

-- CreateIndex
CREATE INDEX "stripe_events_status_next_attempt_at_idx" ON "stripe_events"("status", "next_attempt_at");

-- CreateIndex
CREATE INDEX "stripe_events_stripe_created_at_idx" ON "stripe_events"("stripe_created_at");

-- CreateIndex
CREATE INDEX "reconciliation_runs_ran_at_idx" ON "reconciliation_runs"("ran_at");

-- AddForeignKey
ALTER TABLE "payment_refunds" ADD CONSTRAINT "payment_refunds_payment_id_fkey" FOREIGN KEY ("payment_id") REFERENCES "payments"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "payment_disputes" ADD CONSTRAINT "payment_disputes_payment_id_fkey" FOREIGN KEY ("payment_id") REFERENCES "payments"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
-- A release (a refund or lost dispute taking back what was applied) is a negative settlement;
-- settlements stay immutable, so the history of an invoice's money is its rows' sum.
ALTER TABLE "invoice_settlements" DROP CONSTRAINT "invoice_settlements_positive";
ALTER TABLE "invoice_settlements" ADD CONSTRAINT "invoice_settlements_not_zero" CHECK ("amount" <> 0);

ALTER TABLE "payment_attempts" ADD CONSTRAINT "payment_attempts_positive" CHECK ("amount" > 0 AND "currency" = 'SAR');
ALTER TABLE "payments" ADD CONSTRAINT "payments_amounts" CHECK ("amount" > 0 AND "fee" >= 0 AND "currency" = 'SAR');
ALTER TABLE "payment_refunds" ADD CONSTRAINT "payment_refunds_positive" CHECK ("amount" > 0);
ALTER TABLE "payment_disputes" ADD CONSTRAINT "payment_disputes_positive" CHECK ("amount" > 0);
ALTER TABLE "payment_disputes" ADD CONSTRAINT "payment_disputes_closed"
  CHECK (("status" = 'OPEN') = ("closed_at" IS NULL) AND ("loss_entry_id" IS NULL OR "status" = 'LOST'));
ALTER TABLE "payouts" ADD CONSTRAINT "payouts_positive" CHECK ("amount" > 0);
ALTER TABLE "payment_allocations" ADD CONSTRAINT "payment_allocations_positive" CHECK ("amount" > 0);


-- Money records are facts: never changed, never removed.
CREATE TRIGGER payments_immutable BEFORE UPDATE OR DELETE ON "payments"
  FOR EACH ROW EXECUTE FUNCTION billing_refuse_change();
CREATE TRIGGER payment_refunds_immutable BEFORE UPDATE OR DELETE ON "payment_refunds"
  FOR EACH ROW EXECUTE FUNCTION billing_refuse_change();
CREATE TRIGGER processor_balance_transactions_immutable BEFORE UPDATE OR DELETE ON "processor_balance_transactions"
  FOR EACH ROW EXECUTE FUNCTION billing_refuse_change();
CREATE TRIGGER payouts_immutable BEFORE UPDATE OR DELETE ON "payouts"
  FOR EACH ROW EXECUTE FUNCTION billing_refuse_change();
CREATE TRIGGER payment_allocations_immutable BEFORE UPDATE OR DELETE ON "payment_allocations"
  FOR EACH ROW EXECUTE FUNCTION billing_refuse_change();

-- A dispute closes once: OPEN to WON or LOST, nothing else about it changes.
CREATE FUNCTION payment_disputes_close_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD."status" = 'OPEN' AND NEW."status" <> 'OPEN'
     AND (OLD."id", OLD."stripe_dispute_id", OLD."payment_id", OLD."amount", OLD."opened_at", OLD."created_at")
         IS NOT DISTINCT FROM
         (NEW."id", NEW."stripe_dispute_id", NEW."payment_id", NEW."amount", NEW."opened_at", NEW."created_at") THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'a dispute only closes, once: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'P0001', HINT = 'BILLING_IMMUTABLE';
END
$$;
CREATE TRIGGER payment_disputes_close_once BEFORE UPDATE OR DELETE ON "payment_disputes"
  FOR EACH ROW EXECUTE FUNCTION payment_disputes_close_once();
