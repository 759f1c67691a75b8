-- CreateEnum
CREATE TYPE "establishment_user_role" AS ENUM ('ESTABLISHMENT_ADMIN');

-- CreateTable
CREATE TABLE "establishments" (
    "id" TEXT NOT NULL,
    "registration_number" SERIAL NOT NULL,
    "name_ar" TEXT NOT NULL,
    "name_en" TEXT NOT NULL,
    "commercial_registration" TEXT,
    "unified_number" TEXT,
    "contact_email" TEXT NOT NULL,
    "contact_mobile" TEXT NOT NULL,
    "city" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "establishments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "establishment_users" (
    "id" TEXT NOT NULL,
    "establishment_id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "role" "establishment_user_role" NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "establishment_users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "establishment_api_keys" (
    "id" TEXT NOT NULL,
    "establishment_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "display_prefix" TEXT NOT NULL,
    "key_hash" TEXT NOT NULL,
    "created_by_user_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,
    "last_used_at" TIMESTAMPTZ(6),
    "revoked_at" TIMESTAMPTZ(6),

    CONSTRAINT "establishment_api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "establishments_registration_number_key" ON "establishments"("registration_number");

-- CreateIndex
CREATE UNIQUE INDEX "establishments_unified_number_key" ON "establishments"("unified_number");

-- CreateIndex
CREATE UNIQUE INDEX "establishment_users_email_key" ON "establishment_users"("email");

-- CreateIndex
CREATE INDEX "establishment_users_establishment_id_idx" ON "establishment_users"("establishment_id");

-- CreateIndex
CREATE UNIQUE INDEX "establishment_api_keys_key_hash_key" ON "establishment_api_keys"("key_hash");

-- CreateIndex
CREATE INDEX "establishment_api_keys_establishment_id_idx" ON "establishment_api_keys"("establishment_id");

-- AddForeignKey
ALTER TABLE "establishment_users" ADD CONSTRAINT "establishment_users_establishment_id_fkey" FOREIGN KEY ("establishment_id") REFERENCES "establishments"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "establishment_api_keys" ADD CONSTRAINT "establishment_api_keys_establishment_id_fkey" FOREIGN KEY ("establishment_id") REFERENCES "establishments"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Written by hand: registration numbers are 9 digits, so the sequence starts at 100000001.
ALTER SEQUENCE "establishments_registration_number_seq" RESTART WITH 100000001;
