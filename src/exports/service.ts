import type { LedgerAccountCode } from "../ledger/chart-of-accounts.js";
import type { JournalLineRow } from "../ledger/repository.js";
import {
  assertAccountSelection,
  copyJournalCsvRows,
  journalTotalsInSnapshot,
  type LedgerService,
  type TrialBalance,
} from "../ledger/service.js";
import { BusinessDate } from "../shared/business-date.js";
import type { OpenSnapshot } from "../shared/db/database.js";
import { AppError } from "../shared/errors.js";
import { Money } from "../shared/money.js";
import { csvRow, csvRows } from "./csv.js";
import {
  ExportTotals,
  hledgerHeader,
  hledgerTotal,
  hledgerTransactions,
  journalCsvHeader,
  journalCsvRows,
  journalCsvTotal,
  journalJsonLines,
  journalJsonLinesTotal,
  splitSignedAmount,
} from "./formats.js";

/** One request exports at most a year and a day; larger spans are asked for year by year. */
export const exportRangeDaysMax = 366;
/** Lines read per query: big enough to amortise the round trip, small enough to stay flat in memory. */
export const exportPageLines = 10_000;

export type JournalFormat = "csv" | "jsonl" | "ledger";
export type TextExport = { contentType: string; filename: string; body: AsyncIterable<string | Uint8Array> };

export function parseExportRange(from: string, to: string): { from: BusinessDate; to: BusinessDate } {
  const range = { from: BusinessDate.parse(from), to: BusinessDate.parse(to) };
  if (range.to.isBefore(range.from)) {
    throw new AppError("DATE_RANGE_REVERSED", `the range ends (${to}) before it starts (${from})`);
  }
  if (range.from.daysUntil(range.to) + 1 > exportRangeDaysMax) {
    throw new AppError("DATE_RANGE_TOO_LONG", `an export covers at most ${exportRangeDaysMax} days; split the range`);
  }
  return range;
}

const contentTypes = {
  csv: "text/csv; charset=utf-8",
  jsonl: "application/jsonl; charset=utf-8",
  ledger: "text/plain; charset=utf-8",
  json: "application/json; charset=utf-8",
} as const;

export function createExportService(deps: { ledger: LedgerService; openSnapshot?: OpenSnapshot | undefined }) {
  const { ledger, openSnapshot } = deps;

  /**
   * On PostgreSQL the CSV journal is written by the database (COPY … TO STDOUT) inside one
   * repeatable-read snapshot, totals from the same snapshot: several times faster than reading
   * pages into Node, and exactly consistent. PGlite takes the page-by-page path.
   */
  async function* copiedJournalCsv(open: OpenSnapshot, range: { from: BusinessDate; to: BusinessDate }) {
    const snapshot = await open();
    let isComplete = false;
    try {
      const totals = await journalTotalsInSnapshot(snapshot, range);
      yield csvRow(journalCsvHeader);
      for await (const chunk of copyJournalCsvRows(snapshot, range)) yield chunk;
      yield csvRow(["TOTAL", "", totals.lines, "", "", "", totals.debit, totals.credit, "", "", "", ""]);
      isComplete = true;
    } finally {
      await snapshot.close({ abandon: !isComplete });
    }
  }

  async function* journalText(
    range: { from: BusinessDate; to: BusinessDate },
    format: JournalFormat,
  ): AsyncGenerator<string> {
    const recordedBefore = await ledger.snapshotInstant();
    const totals = new ExportTotals();
    const hledgerState: { entryId?: string } = {};
    if (format === "csv") yield csvRow(journalCsvHeader);
    if (format === "ledger")
      yield hledgerHeader({ from: range.from.toString(), to: range.to.toString(), recordedBefore });
    for await (const page of ledger.readJournalLines({ ...range, recordedBefore }, exportPageLines)) {
      if (format === "csv") yield journalCsvRows(page, totals);
      else if (format === "jsonl") yield journalJsonLines(page, totals);
      else yield hledgerTransactions(page, totals, hledgerState);
    }
    if (format === "csv") yield journalCsvTotal(totals);
    else if (format === "jsonl") yield journalJsonLinesTotal(totals);
    else yield hledgerTotal(totals);
  }

  async function* generalLedgerText(
    account: { code: LedgerAccountCode; establishmentId?: string },
    range: { from: BusinessDate; to: BusinessDate },
    format: "csv" | "jsonl",
  ): AsyncGenerator<string> {
    const recordedBefore = await ledger.snapshotInstant();
    const opening = (await ledger.accountBalance(account.code, range.from.plusDays(-1), account.establishmentId))
      .balance;
    let running = opening;
    const totals = new ExportTotals();
    const row = (kind: string, fields: Record<string, string | number | null>) =>
      format === "csv"
        ? csvRow([kind, ...Object.values(fields)])
        : `${JSON.stringify({ type: kind.toLowerCase(), ...fields })}\n`;
    const balanceRow = (kind: "OPENING" | "CLOSING", date: string, balance: Money) =>
      row(kind, {
        date,
        entryId: null,
        line: null,
        establishmentId: account.establishmentId ?? null,
        description: kind === "OPENING" ? "opening balance" : "closing balance",
        ...splitSignedAmount(balance.toString()),
        balance: balance.toString(),
      });

    if (format === "csv") {
      yield csvRow([
        "kind",
        "date",
        "entry_id",
        "line",
        "establishment_id",
        "description",
        "debit",
        "credit",
        "balance",
      ]);
    }
    yield balanceRow("OPENING", range.from.plusDays(-1).toString(), opening);
    for await (const page of ledger.readJournalLines({ ...range, recordedBefore, account }, exportPageLines)) {
      let text = "";
      for (const line of page as JournalLineRow[]) {
        totals.add(line.amount);
        running = running.plus(Money.sar(line.amount));
        text += row("LINE", {
          date: line.effectiveDate,
          entryId: line.entryId,
          line: line.lineNumber,
          establishmentId: line.establishmentId,
          description: line.description,
          ...splitSignedAmount(line.amount),
          balance: running.toString(),
        });
      }
      yield text;
    }
    yield balanceRow("CLOSING", range.to.toString(), running);
    yield row("TOTAL", {
      date: null,
      entryId: null,
      line: totals.lines,
      establishmentId: null,
      description: "movements in the range",
      debit: totals.debit,
      credit: totals.credit,
      balance: running.minus(opening).toString(),
    });
  }

  return {
    /** `pageByPage` forces the portable path (tests compare the two). */
    journal(input: { from: string; to: string; format: JournalFormat; pageByPage?: boolean }): TextExport {
      const range = parseExportRange(input.from, input.to);
      const extension = input.format === "ledger" ? "journal" : input.format;
      return {
        contentType: contentTypes[input.format],
        filename: `journal-${input.from}-${input.to}.${extension}`,
        body:
          input.format === "csv" && openSnapshot && !input.pageByPage
            ? copiedJournalCsv(openSnapshot, range)
            : journalText(range, input.format),
      };
    },

    async trialBalance(asOf: BusinessDate): Promise<TrialBalance> {
      return ledger.trialBalance(asOf);
    },

    trialBalanceCsv(trialBalance: TrialBalance): string {
      return csvRows([
        ["code", "account", "type", "debit", "credit"],
        ...trialBalance.rows.map((row) => [row.code, row.name, row.type, row.debit.toString(), row.credit.toString()]),
        ["TOTAL", "", "", trialBalance.totalDebit.toString(), trialBalance.totalCredit.toString()],
      ]);
    },

    generalLedger(input: {
      accountCode: string;
      establishmentId?: string;
      from: string;
      to: string;
      format: "csv" | "jsonl";
    }): TextExport {
      const account = assertAccountSelection(input.accountCode, input.establishmentId);
      const range = parseExportRange(input.from, input.to);
      return {
        contentType: contentTypes[input.format],
        filename: `general-ledger-${account.code}-${input.from}-${input.to}.${input.format}`,
        body: generalLedgerText(account, range, input.format),
      };
    },
  };
}

export type ExportService = ReturnType<typeof createExportService>;
