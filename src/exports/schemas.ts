import { z } from "@hono/zod-openapi";
import { BusinessDateString, MoneyString } from "../shared/schemas.js";

export const JournalExportQuery = z.object({
  from: BusinessDateString,
  to: BusinessDateString,
  format: z
    .enum(["csv", "jsonl", "ledger"])
    .default("csv")
    .openapi({ description: "ledger: plain text for hledger / ledger-cli" }),
});

export const TrialBalanceQuery = z.object({
  asOf: BusinessDateString.optional().openapi({ description: "Defaults to today in Riyadh" }),
  format: z.enum(["json", "csv"]).default("json"),
});

export const GeneralLedgerQuery = z.object({
  accountCode: z.string().min(1).max(64),
  establishmentId: z.string().min(1).max(64).optional(),
  from: BusinessDateString,
  to: BusinessDateString,
  format: z.enum(["csv", "jsonl"]).default("csv"),
});

export const TrialBalanceResponse = z
  .object({
    asOf: z.string(),
    accounts: z.array(
      z.object({
        code: z.string(),
        name: z.string(),
        type: z.string(),
        debit: MoneyString,
        credit: MoneyString,
        balance: MoneyString.openapi({ description: "Debits minus credits" }),
      }),
    ),
    totals: z.object({ debit: MoneyString, credit: MoneyString }),
  })
  .openapi("TrialBalance");
