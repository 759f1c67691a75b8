import { z } from "@hono/zod-openapi";
import { BusinessDateString, MoneyString, PositiveMoneyString } from "../shared/schemas.js";
import { ledgerAccountCodes } from "./chart-of-accounts.js";

export const LedgerAccountCodeSchema = z.enum(ledgerAccountCodes as [string, ...string[]]).openapi("LedgerAccountCode");

export const LedgerAccountResponse = z
  .object({
    code: z.string(),
    name: z.string().openapi({ example: "assets:receivable:contributions" }),
    type: z.enum(["ASSET", "LIABILITY", "INCOME", "EXPENSE"]),
    description: z.string(),
    hasEstablishmentDimension: z.boolean(),
  })
  .openapi("LedgerAccount");

export const LedgerAccountListResponse = z
  .object({ accounts: z.array(LedgerAccountResponse) })
  .openapi("LedgerAccountList");

export const AccountCodeParams = z.object({
  code: z.string().openapi({ param: { name: "code", in: "path" }, example: "BANK" }),
});

export const BalanceQuery = z.object({
  asOf: BusinessDateString.optional().openapi({ description: "Defaults to today in Riyadh" }),
  establishmentId: z.string().min(1).max(64).optional(),
});

export const AccountBalanceResponse = z
  .object({
    accountCode: z.string(),
    establishmentId: z.string().optional(),
    asOf: z.string(),
    balance: MoneyString.openapi({ description: "Debits minus credits" }),
    debit: MoneyString,
    credit: MoneyString,
  })
  .openapi("AccountBalance");

export const JournalLineResponse = z
  .object({
    lineNumber: z.number().int(),
    accountCode: z.string(),
    establishmentId: z.string().nullable(),
    debit: MoneyString,
    credit: MoneyString,
  })
  .openapi("JournalLine");

export const JournalEntryResponse = z
  .object({
    id: z.string(),
    idempotencyKey: z.string(),
    sourceType: z.string(),
    sourceId: z.string(),
    entryCode: z.string(),
    description: z.string(),
    effectiveDate: z.string(),
    recordedAt: z.iso.datetime(),
    reversesEntryId: z.string().nullable(),
    reversedByEntryId: z.string().nullable(),
    lines: z.array(JournalLineResponse),
  })
  .openapi("JournalEntry");

export const EntryIdParams = z.object({
  entryId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "entryId", in: "path" } }),
});

export const AdjustmentLineBody = z
  .object({
    accountCode: z.string().openapi({ example: "RECEIVABLE_CONTRIBUTIONS" }),
    establishmentId: z.string().min(1).max(64).optional(),
    debit: PositiveMoneyString.optional(),
    credit: PositiveMoneyString.optional(),
  })
  .refine((line) => (line.debit === undefined) !== (line.credit === undefined), {
    message: "a line has either a debit or a credit",
  });

export const AdjustmentBody = z
  .object({
    effectiveDate: BusinessDateString,
    description: z.string().trim().min(1).max(500),
    lines: z.array(AdjustmentLineBody).min(2).max(200),
  })
  .openapi("AdjustmentBody");

export const ReversalBody = z
  .object({
    effectiveDate: BusinessDateString,
    reason: z.string().trim().min(1).max(500),
  })
  .openapi("ReversalBody");
