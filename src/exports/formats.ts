import { chartOfAccounts, ledgerAccountCodes } from "../ledger/chart-of-accounts.js";
import type { JournalLineRow } from "../ledger/repository.js";
import { Money } from "../shared/money.js";
import { csvRow } from "./csv.js";

/**
 * Text formats for accountants. Every export ends with its totals (a TOTAL row, a totals
 * object, a closing comment): a download cut short has no totals, so it cannot pass for whole.
 */

export type DebitCredit = { debit: string; credit: string };

/** "1218.75" → debit; "-1218.75" → credit. Amounts arrive as NUMERIC text with two decimals. */
export function splitSignedAmount(amount: string): DebitCredit {
  return amount.startsWith("-") ? { debit: "0.00", credit: amount.slice(1) } : { debit: amount, credit: "0.00" };
}

/** Running totals of what an export has written so far, in exact integer halalas. */
export class ExportTotals {
  lines = 0;
  private debitHalalas = 0n;
  private creditHalalas = 0n;

  /** `amount` is NUMERIC(18,2) text, so it always has exactly two decimals. */
  add(amount: string): void {
    const halalas = BigInt(amount.replace(".", ""));
    this.lines += 1;
    if (halalas < 0n) this.creditHalalas -= halalas;
    else this.debitHalalas += halalas;
  }

  get debit(): string {
    return Money.fromHalalas(this.debitHalalas).toString();
  }

  get credit(): string {
    return Money.fromHalalas(this.creditHalalas).toString();
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
  let text = "";
  for (const row of rows) {
    totals.add(row.amount);
    const { debit, credit } = splitSignedAmount(row.amount);
    text += csvRow([
      row.effectiveDate,
      row.entryId,
      row.lineNumber,
      row.accountCode,
      row.accountName,
      row.establishmentId,
      debit,
      credit,
      row.entryCode,
      row.sourceType,
      row.sourceId,
      row.description,
    ]);
  }
  return text;
}

export function journalCsvTotal(totals: ExportTotals): string {
  return csvRow(["TOTAL", "", totals.lines, "", "", "", totals.debit, totals.credit, "", "", "", ""]);
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
