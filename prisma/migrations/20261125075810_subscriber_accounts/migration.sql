-- CreateEnum
CREATE TYPE "one_time_code_purpose" AS ENUM ('REGISTRATION', 'PASSWORD_RESET', 'MOBILE_CHANGE', 'EMAIL_CHANGE');

-- CreateEnum
CREATE TYPE "message_channel" AS ENUM ('SMS', 'EMAIL');

-- CreateEnum
CREATE TYPE "message_status" AS ENUM ('QUEUED', 'SENT', 'FAILED');

-- CreateTable
CREATE TABLE "subscriber_accounts" (
    "id" TEXT NOT NULL,
    "subscriber_id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "mobile" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "terms_version" TEXT NOT NULL,
    "terms_accepted_at" TIMESTAMPTZ(6) NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,
    "password_changed_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "subscriber_accounts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "pending_registrations" (
    "id" TEXT NOT NULL,
    "subscriber_id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "mobile" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "terms_version" TEXT NOT NULL,
    "terms_accepted_at" TIMESTAMPTZ(6) NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,
    "expires_at" TIMESTAMPTZ(6) NOT NULL,
    "completed_at" TIMESTAMPTZ(6),

    CONSTRAINT "pending_registrations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "one_time_codes" (
    "id" TEXT NOT NULL,
    "purpose" "one_time_code_purpose" NOT NULL,
    "subject_id" TEXT NOT NULL,
    "destination" TEXT NOT NULL,
    "new_value" TEXT,
    "code_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,
    "expires_at" TIMESTAMPTZ(6) NOT NULL,
    "failed_attempts" SMALLINT NOT NULL DEFAULT 0,
    "consumed_at" TIMESTAMPTZ(6),
    "voided_at" TIMESTAMPTZ(6),

    CONSTRAINT "one_time_codes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "captcha_challenges" (
    "id" TEXT NOT NULL,
    "answer_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,
    "expires_at" TIMESTAMPTZ(6) NOT NULL,
    "used_at" TIMESTAMPTZ(6),

    CONSTRAINT "captcha_challenges_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "throttles" (
    "key" TEXT NOT NULL,
    "window_started_at" TIMESTAMPTZ(6) NOT NULL,
    "hits" INTEGER NOT NULL,
    "locked_until" TIMESTAMPTZ(6),

    CONSTRAINT "throttles_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "outbound_messages" (
    "id" TEXT NOT NULL,
    "channel" "message_channel" NOT NULL,
    "recipient" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "dedupe_key" TEXT,
    "subscriber_id" TEXT,
    "status" "message_status" NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(6) NOT NULL,
    "next_attempt_at" TIMESTAMPTZ(6) NOT NULL,
    "sent_at" TIMESTAMPTZ(6),
    "provider_message_id" TEXT,
    "last_error" TEXT,

    CONSTRAINT "outbound_messages_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "certificates" (
    "id" TEXT NOT NULL,
    "number" TEXT NOT NULL,
    "verification_code" TEXT NOT NULL,
    "subscriber_id" TEXT NOT NULL,
    "issued_at" TIMESTAMPTZ(6) NOT NULL,
    "content" TEXT NOT NULL,
    "signature" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,

    CONSTRAINT "certificates_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "subscriber_accounts_subscriber_id_key" ON "subscriber_accounts"("subscriber_id");

-- CreateIndex
CREATE UNIQUE INDEX "subscriber_accounts_email_key" ON "subscriber_accounts"("email");

-- CreateIndex
CREATE INDEX "pending_registrations_subscriber_id_idx" ON "pending_registrations"("subscriber_id");

-- CreateIndex
CREATE INDEX "pending_registrations_expires_at_idx" ON "pending_registrations"("expires_at");

-- CreateIndex
CREATE INDEX "one_time_codes_subject_id_purpose_created_at_idx" ON "one_time_codes"("subject_id", "purpose", "created_at");

-- CreateIndex
CREATE INDEX "one_time_codes_destination_created_at_idx" ON "one_time_codes"("destination", "created_at");

-- CreateIndex
CREATE INDEX "captcha_challenges_expires_at_idx" ON "captcha_challenges"("expires_at");

-- CreateIndex
CREATE INDEX "throttles_window_started_at_idx" ON "throttles"("window_started_at");

-- CreateIndex
CREATE UNIQUE INDEX "outbound_messages_dedupe_key_key" ON "outbound_messages"("dedupe_key");

-- CreateIndex
CREATE INDEX "outbound_messages_status_next_attempt_at_idx" ON "outbound_messages"("status", "next_attempt_at");

-- CreateIndex
CREATE INDEX "outbound_messages_subscriber_id_created_at_idx" ON "outbound_messages"("subscriber_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "certificates_number_key" ON "certificates"("number");

-- CreateIndex
CREATE UNIQUE INDEX "certificates_verification_code_key" ON "certificates"("verification_code");

-- CreateIndex
CREATE INDEX "certificates_subscriber_id_issued_at_idx" ON "certificates"("subscriber_id", "issued_at");

-- AddForeignKey
ALTER TABLE "subscriber_accounts" ADD CONSTRAINT "subscriber_accounts_subscriber_id_fkey" FOREIGN KEY ("subscriber_id") REFERENCES "subscribers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "pending_registrations" ADD CONSTRAINT "pending_registrations_subscriber_id_fkey" FOREIGN KEY ("subscriber_id") REFERENCES "subscribers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- An issued certificate is what was printed: never edited or deleted (verification relies on it).
CREATE TRIGGER certificates_immutable BEFORE UPDATE OR DELETE ON "certificates"
  FOR EACH ROW EXECUTE FUNCTION billing_refuse_change();
