-- CreateTable
CREATE TABLE "payout_failures" (
    "stripe_payout_id" TEXT NOT NULL,
    "amount" DECIMAL(18,2) NOT NULL,
    "failed_at" TIMESTAMPTZ(6) NOT NULL,
    "failed_on" DATE NOT NULL,
    "failure_code" TEXT,
    "created_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "payout_failures_pkey" PRIMARY KEY ("stripe_payout_id")
);
