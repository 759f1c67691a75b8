import { z } from "@hono/zod-openapi";
import { BusinessDate } from "./business-date.js";
import { ContributionMonth } from "./contribution-month.js";
import { Money } from "./money.js";

/** Field schemas used across features, so every endpoint reads money and dates the same way. */

export const MoneyString = z
  .string()
  .regex(/^-?\d{1,16}(\.\d{1,2})?$/, "an amount in SAR with at most 2 decimals, as a string")
  .openapi({ example: "1218.75", description: "SAR, at most two decimals, as a string (never a JSON number)" });

export const PositiveMoneyString = MoneyString.refine(
  (value) => Money.parse(value)?.isPositive() ?? true,
  "must be more than zero",
);

/** True when `parse` accepts the text: lets a domain type's own parser be the schema's rule. */
function parsesWith(parse: (text: string) => unknown): (text: string) => boolean {
  return (text) => {
    try {
      parse(text);
      return true;
    } catch {
      return false;
    }
  };
}

export const BusinessDateString = z
  .string()
  .refine(parsesWith(BusinessDate.parse), "a calendar date as YYYY-MM-DD")
  .openapi({ example: "2026-11-01", format: "date" });

export const ContributionMonthString = z
  .string()
  .refine(parsesWith(ContributionMonth.parse), "a month as YYYY-MM")
  .openapi({ example: "2026-10" });

export const IdempotencyKeyHeader = z.object({
  "idempotency-key": z
    .string()
    .min(1)
    .max(200)
    .openapi({ description: "Names the operation: a retry with the same key and body returns the first result" }),
});
