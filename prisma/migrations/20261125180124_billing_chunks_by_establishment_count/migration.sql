-- AlterTable
ALTER TABLE "billing_run_chunks" ADD COLUMN     "establishment_count" INTEGER NOT NULL DEFAULT 0;
