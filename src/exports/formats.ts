import { stringify } from "csv-stringify/sync";
import { chartOfAccounts, ledgerAccountCodes } from "../ledger/chart-of-accounts.js";
import type { JournalLineRow } from "../ledger/repository.js";
import { Money } from "../shared/money.js";

/**
 * Text formats for accountants. Every export ends with its totals (a TOTAL row, a totals
 * object, a closing comment): a download cut short has no totals, so it cannot pass for whole.
 */

export type DebitCredit = { debit: string; credit: string };

/** "1218.75" → debit; "-1218.75" → credit. Amounts arrive as NUMERIC text with two decimals. */
export function splitSignedAmount(amount: string): DebitCredit {
  return amount.startsWith("-") ? { debit: "0.00", credit: amount.slice(1) } : { debit: amount, credit: "0.00" };
}

/** Running totals of what an export has written so far. */
export class ExportTotals {
  lines = 0;
  private debits = Money.zero;
  private credits = Money.zero;

  add(amount: string): void {
    const money = Money.sar(amount);
    this.lines += 1;
    if (money.isNegative()) this.credits = this.credits.minus(money);
    else this.debits = this.debits.plus(money);
  }

  get debit(): string {
    return this.debits.toString();
  }

  get credit(): string {
    return this.credits.toString();
  }
}

export const journalCsvHeader = [
  "date",
  "entry_id",
  "line",
  "account_code",
  "account",
  "establishment_id",
  "debit",
  "credit",
  "entry_code",
  "source_type",
  "source_id",
  "description",
];

export function journalCsvRows(rows: readonly JournalLineRow[], totals: ExportTotals): string {
  return stringify(
    rows.map((row) => {
      totals.add(row.amount);
      const { debit, credit } = splitSignedAmount(row.amount);
      return [
        row.effectiveDate,
        row.entryId,
        row.lineNumber,
        row.accountCode,
        row.accountName,
        row.establishmentId ?? "",
        debit,
        credit,
        row.entryCode,
        row.sourceType,
        row.sourceId,
        row.description,
      ];
    }),
  );
}

export function journalCsvTotal(totals: ExportTotals): string {
  return stringify([["TOTAL", "", totals.lines, "", "", "", totals.debit, totals.credit, "", "", "", ""]]);
}

export function journalJsonLines(rows: readonly JournalLineRow[], totals: ExportTotals): string {
  let text = "";
  for (const row of rows) {
    totals.add(row.amount);
    text += `${JSON.stringify({
      type: "line",
      date: row.effectiveDate,
      entryId: row.entryId,
      line: row.lineNumber,
      accountCode: row.accountCode,
      account: row.accountName,
      establishmentId: row.establishmentId,
      ...splitSignedAmount(row.amount),
      entryCode: row.entryCode,
      sourceType: row.sourceType,
      sourceId: row.sourceId,
      description: row.description,
      reversesEntryId: row.reversesEntryId,
    })}\n`;
  }
  return text;
}

export function journalJsonLinesTotal(totals: ExportTotals): string {
  return `${JSON.stringify({ type: "totals", lines: totals.lines, debit: totals.debit, credit: totals.credit })}\n`;
}

/** Text hledger and ledger-cli read: declared commodity and accounts, so `hledger check --strict` passes. */
export function hledgerHeader(range: { from: string; to: string; recordedBefore: Date }): string {
  const accounts = ledgerAccountCodes
    .map((code) => `account ${chartOfAccounts[code].name}  ; code: ${code}`)
    .join("\n");
  return `; Ishtirak journal ${range.from} to ${range.to}, entries recorded up to ${range.recordedBefore.toISOString()}\ncommodity 1,000.00 SAR\n${accounts}\n`;
}

/** Turns lines into transactions; `state` carries the open entry across page boundaries. */
export function hledgerTransactions(
  rows: readonly JournalLineRow[],
  totals: ExportTotals,
  state: { entryId?: string },
): string {
  let text = "";
  for (const row of rows) {
    totals.add(row.amount);
    if (row.entryId !== state.entryId) {
      state.entryId = row.entryId;
      const reverses = row.reversesEntryId ? `, reverses: ${row.reversesEntryId}` : "";
      text += `\n${row.effectiveDate} ${oneLine(row.entryCode)} | ${oneLine(row.description)}  ; entry: ${row.entryId}, source: ${row.sourceType} ${oneLine(row.sourceId)}${reverses}\n`;
    }
    const tag = row.establishmentId ? `  ; establishment: ${row.establishmentId}` : "";
    text += `    ${row.accountName}    ${row.amount} SAR${tag}\n`;
  }
  return text;
}

export function hledgerTotal(totals: ExportTotals): string {
  return `\n; totals: ${totals.lines} lines, debits ${totals.debit} SAR, credits ${totals.credit} SAR\n`;
}

/** hledger descriptions end at a newline and comments start at ";". */
function oneLine(text: string): string {
  return text.replace(/[\r\n;]+/g, " ").trim();
}
