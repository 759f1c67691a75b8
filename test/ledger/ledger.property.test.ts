import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chartOfAccounts, type LedgerAccountCode, ledgerAccountCodes } from "../../src/ledger/chart-of-accounts.js";
import type { JournalEntryDraft } from "../../src/ledger/journal-entry.js";
import { accountBalanceAsOf, accountBalancesAsOf } from "../../src/ledger/repository.js";
import { postJournalEntries, toTrialBalance } from "../../src/ledger/service.js";
import { BusinessDate } from "../../src/shared/business-date.js";
import { Money } from "../../src/shared/money.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

const establishments = ["est_a", "est_b", "est_c"];
const line = fc.record({
  accountCode: fc.constantFrom(...ledgerAccountCodes),
  establishment: fc.constantFrom(...establishments),
  halalas: fc.bigInt({ min: 1n, max: 10_000_000n }),
  isDebit: fc.boolean(),
});
/** A balanced entry: random lines, then one closing line on a random account that evens them out. */
const entry = fc.record({
  lines: fc.array(line, { minLength: 1, maxLength: 6 }),
  closingAccount: fc.constantFrom(...ledgerAccountCodes),
  closingEstablishment: fc.constantFrom(...establishments),
  day: fc.integer({ min: 0, max: 60 }),
});

let sequence = 0;
type GeneratedEntry = typeof entry extends fc.Arbitrary<infer T> ? T : never;

function toDraft(generated: GeneratedEntry): JournalEntryDraft | undefined {
  const dimension = (code: LedgerAccountCode, establishment: string) =>
    chartOfAccounts[code].hasEstablishmentDimension ? { establishmentId: establishment } : {};
  const lines = generated.lines.map((generatedLine) => ({
    accountCode: generatedLine.accountCode,
    amount: Money.fromHalalas(generatedLine.isDebit ? generatedLine.halalas : -generatedLine.halalas),
    ...dimension(generatedLine.accountCode, generatedLine.establishment),
  }));
  const imbalance = Money.sum(lines.map((draftLine) => draftLine.amount));
  if (imbalance.isZero()) return undefined;
  lines.push({
    accountCode: generated.closingAccount,
    amount: imbalance.negate(),
    ...dimension(generated.closingAccount, generated.closingEstablishment),
  });
  sequence += 1;
  return {
    idempotencyKey: `property:${sequence}`,
    sourceType: "ADJUSTMENT",
    sourceId: `property-${sequence}`,
    entryCode: "PROPERTY_TEST",
    description: "generated",
    effectiveDate: BusinessDate.parse("2026-01-01").plusDays(generated.day),
    lines,
  };
}

describe("ledger properties", () => {
  it("any sequence of postings keeps every trial balance balanced and every balance equal to the sum of its lines", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(entry, { minLength: 1, maxLength: 15 }),
        fc.integer({ min: 0, max: 70 }),
        async (entries, asOfDay) => {
          const drafts = entries.map(toDraft).filter((draft): draft is JournalEntryDraft => draft !== undefined);
          await database.prisma.$transaction((tx) => postJournalEntries(tx, drafts));

          const asOf = BusinessDate.parse("2026-01-01").plusDays(asOfDay);
          const trialBalance = toTrialBalance(asOf, await accountBalancesAsOf(database.prisma, asOf));
          expect(trialBalance.totalDebit.equals(trialBalance.totalCredit)).toBe(true);

          const sums = await database.prisma.$queryRaw<
            { account_code: string; establishment_id: string | null; is_account_total: boolean; total: string }[]
          >`
          SELECT account_code, establishment_id, GROUPING(establishment_id) = 1 AS is_account_total, sum(amount)::text AS total
            FROM journal_lines
           WHERE effective_date <= ${asOf.toString()}::date
           GROUP BY GROUPING SETS ((account_code), (account_code, establishment_id))`;
          for (const row of trialBalance.rows) {
            const fromLines = sums.find((sum) => sum.account_code === row.code && sum.is_account_total);
            expect(row.balance.toString(), row.code).toBe(Money.fromDecimal(fromLines?.total ?? "0").toString());
          }
          for (const establishmentId of establishments) {
            const balance = await accountBalanceAsOf(
              database.prisma,
              "RECEIVABLE_CONTRIBUTIONS",
              asOf,
              establishmentId,
            );
            const fromLines = sums.find(
              (sum) =>
                sum.account_code === "RECEIVABLE_CONTRIBUTIONS" &&
                !sum.is_account_total &&
                sum.establishment_id === establishmentId,
            );
            expect(balance.toString()).toBe(Money.fromDecimal(fromLines?.total ?? "0").toString());
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
