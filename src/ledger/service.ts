import type { BusinessDate } from "../shared/business-date.js";
import type { PrismaClient, Snapshot, Tx } from "../shared/db/database.js";
import { AppError } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import { Money } from "../shared/money.js";
import type { LedgerAccountCode } from "./chart-of-accounts.js";
import { chartOfAccounts, isLedgerAccountCode } from "./chart-of-accounts.js";
import { assertPostable, type JournalEntryDraft, journalEntryContentHash } from "./journal-entry.js";
import {
  type AccountBalanceRow,
  accountBalanceAsOf,
  accountBalancesAsOf,
  databaseNow,
  findEntryHeadersByKeys,
  findJournalEntry,
  insertJournalEntries,
  type JournalCursor,
  type JournalLineRow,
  journalCsvCopyStatement,
  journalLinesPage,
  journalTotalsQuery,
  listLedgerAccounts,
  type PreparedEntry,
  type StoredJournalEntry,
} from "./repository.js";

export type PostingResult = { entryId: string; status: "posted" | "already_posted" };

/** Entries per INSERT statement: large enough to amortise the round trip and the trigger. */
export const postingBatchSizeMax = 2_000;

/**
 * Posts entries inside the caller's transaction, so the business change and its ledger
 * effect commit together. An entry whose idempotency key was posted before is not posted
 * again (its existing id is returned), unless its content differs: that is a bug or a
 * reused key, refused with IDEMPOTENCY_KEY_REUSED.
 */
export async function postJournalEntries(tx: Tx, drafts: readonly JournalEntryDraft[]): Promise<PostingResult[]> {
  const byKey = new Map<string, PreparedEntry>();
  for (const draft of drafts) {
    assertPostable(draft);
    const contentHash = journalEntryContentHash(draft);
    const earlier = byKey.get(draft.idempotencyKey);
    if (earlier && earlier.contentHash !== contentHash) {
      throw new AppError("IDEMPOTENCY_KEY_REUSED", `two entries in one batch share the key ${draft.idempotencyKey}`);
    }
    if (!earlier) byKey.set(draft.idempotencyKey, { id: newId("je"), contentHash, draft });
  }
  const prepared = [...byKey.values()];
  const inserted = new Set<string>();
  for (let start = 0; start < prepared.length; start += postingBatchSizeMax) {
    for (const id of await insertJournalEntries(tx, prepared.slice(start, start + postingBatchSizeMax)))
      inserted.add(id);
  }

  const skipped = prepared.filter((entry) => !inserted.has(entry.id));
  const existing = new Map(
    (
      await findEntryHeadersByKeys(
        tx,
        skipped.map((entry) => entry.draft.idempotencyKey),
      )
    ).map((header) => [header.idempotencyKey, header]),
  );
  const outcome = new Map<string, PostingResult>();
  for (const entry of prepared) {
    if (inserted.has(entry.id)) {
      outcome.set(entry.draft.idempotencyKey, { entryId: entry.id, status: "posted" });
      continue;
    }
    const stored = existing.get(entry.draft.idempotencyKey);
    if (!stored) throw new Error(`entry ${entry.draft.idempotencyKey} was neither inserted nor found`);
    if (stored.contentHash !== entry.contentHash) {
      throw new AppError(
        "IDEMPOTENCY_KEY_REUSED",
        `journal entry key ${entry.draft.idempotencyKey} was posted before with different content`,
        [{ message: "existing entry", entryId: stored.id }],
      );
    }
    outcome.set(entry.draft.idempotencyKey, { entryId: stored.id, status: "already_posted" });
  }
  return drafts.map((draft) => outcome.get(draft.idempotencyKey) as PostingResult);
}

export async function postJournalEntry(tx: Tx, draft: JournalEntryDraft): Promise<PostingResult> {
  const [result] = await postJournalEntries(tx, [draft]);
  if (!result) throw new Error("posting returned no result");
  return result;
}

/**
 * The draft of the entry that undoes `original`: every line negated, dated `effectiveDate`,
 * pointing back at the original. Posting it twice is a no-op (its key names the original).
 */
export function reversalDraft(
  original: StoredJournalEntry,
  options: { effectiveDate: BusinessDate; reason: string },
): JournalEntryDraft {
  return {
    idempotencyKey: `reversal:${original.id}`,
    sourceType: "REVERSAL",
    sourceId: original.id,
    entryCode: `REVERSAL_OF_${original.entryCode}`,
    description: options.reason,
    effectiveDate: options.effectiveDate,
    reversesEntryId: original.id,
    lines: original.lines.map((line) => ({
      accountCode: line.accountCode,
      amount: line.amount.negate(),
      ...(line.establishmentId === null ? {} : { establishmentId: line.establishmentId }),
    })),
  };
}

export async function reverseJournalEntry(
  tx: Tx,
  entryId: string,
  options: { effectiveDate: BusinessDate; reason: string },
): Promise<PostingResult> {
  const original = await findJournalEntry(tx, entryId);
  if (!original) throw new AppError("LEDGER_ENTRY_NOT_FOUND", `no journal entry ${entryId}`);
  const draft = reversalDraft(original, options);
  try {
    return await postJournalEntry(tx, draft);
  } catch (error) {
    if (error instanceof AppError && error.code === "IDEMPOTENCY_KEY_REUSED") {
      throw new AppError("LEDGER_ENTRY_ALREADY_REVERSED", `journal entry ${entryId} was reversed already`, [
        { message: "reversed by", entryId: original.reversedByEntryId ?? "" },
      ]);
    }
    throw error;
  }
}

export function assertLedgerAccount(code: string): LedgerAccountCode {
  if (!isLedgerAccountCode(code)) {
    throw new AppError("LEDGER_ACCOUNT_NOT_FOUND", `no account ${code} in the chart of accounts`);
  }
  return code;
}

/** An account to read, and the establishment to read it for when it is a control account. */
export function assertAccountSelection(
  code: string,
  establishmentId: string | undefined,
): { code: LedgerAccountCode; establishmentId?: string } {
  const accountCode = assertLedgerAccount(code);
  if (establishmentId === undefined) return { code: accountCode };
  if (!chartOfAccounts[accountCode].hasEstablishmentDimension) {
    throw new AppError("LEDGER_ESTABLISHMENT_DIMENSION", `account ${accountCode} has no establishment dimension`);
  }
  return { code: accountCode, establishmentId };
}

export type TrialBalance = {
  asOf: BusinessDate;
  rows: (AccountBalanceRow & { debit: Money; credit: Money })[];
  totalDebit: Money;
  totalCredit: Money;
};

/** Each account's balance on the side it falls; the two totals are equal by construction. */
export function toTrialBalance(asOf: BusinessDate, balances: readonly AccountBalanceRow[]): TrialBalance {
  const rows = balances.map((row) => ({
    ...row,
    debit: row.balance.isPositive() ? row.balance : Money.zero,
    credit: row.balance.isNegative() ? row.balance.negate() : Money.zero,
  }));
  return {
    asOf,
    rows,
    totalDebit: Money.sum(rows.map((row) => row.debit)),
    totalCredit: Money.sum(rows.map((row) => row.credit)),
  };
}

/** Journal lines page by page, in export order; constant memory whatever the range. */
export async function* readJournalLines(
  db: PrismaClient,
  range: Parameters<typeof journalLinesPage>[1],
  pageSize: number,
): AsyncGenerator<JournalLineRow[]> {
  // Every entry id is longer than "", so the first page starts at the first line dated `from`.
  let cursor: JournalCursor = { effectiveDate: range.from.toString(), entryId: "", lineNumber: 0 };
  let pending = journalLinesPage(db, range, cursor, pageSize);
  for (;;) {
    const page = await pending;
    const last = page.at(-1);
    const isLastPage = !last || page.length < pageSize;
    if (last && !isLastPage) {
      cursor = { effectiveDate: last.effectiveDate, entryId: last.entryId, lineNumber: last.lineNumber };
      // Ask for the next page now, so the database works while this one is formatted and sent.
      pending = journalLinesPage(db, range, cursor, pageSize);
      pending.catch(() => {});
    }
    const included = page.filter((line) => line.isIncluded);
    if (included.length > 0) yield included;
    if (isLastPage) return;
  }
}

/** Totals of the journal lines in [from, to], read in the snapshot the rows will be copied from. */
export async function journalTotalsInSnapshot(
  snapshot: Snapshot,
  range: { from: BusinessDate; to: BusinessDate },
): Promise<{ lines: number; debit: string; credit: string }> {
  const [totals] = await snapshot.query<{ lines: number; debit: string; credit: string }>(journalTotalsQuery, [
    range.from.toString(),
    range.to.toString(),
  ]);
  return totals ?? { lines: 0, debit: "0.00", credit: "0.00" };
}

/** The journal's CSV rows for [from, to] as PostgreSQL's COPY writes them, chunk by chunk. */
export function copyJournalCsvRows(
  snapshot: Snapshot,
  range: { from: BusinessDate; to: BusinessDate },
): AsyncIterable<Buffer> {
  return snapshot.copyOut(journalCsvCopyStatement(range));
}

export function createLedgerService(deps: { db: PrismaClient }) {
  const { db } = deps;
  return {
    listAccounts: () => listLedgerAccounts(db),

    async postAdjustment(draft: JournalEntryDraft): Promise<PostingResult> {
      return db.$transaction((tx) => postJournalEntry(tx, draft));
    },

    async reverse(entryId: string, options: { effectiveDate: BusinessDate; reason: string }): Promise<PostingResult> {
      return db.$transaction((tx) => reverseJournalEntry(tx, entryId, options));
    },

    async getEntry(entryId: string): Promise<StoredJournalEntry> {
      const entry = await findJournalEntry(db, entryId);
      if (!entry) throw new AppError("LEDGER_ENTRY_NOT_FOUND", `no journal entry ${entryId}`);
      return entry;
    },

    async accountBalance(code: string, asOf: BusinessDate, establishmentId?: string) {
      const account = assertAccountSelection(code, establishmentId);
      return {
        accountCode: account.code,
        asOf,
        balance: await accountBalanceAsOf(db, account.code, asOf, account.establishmentId),
      };
    },

    async trialBalance(asOf: BusinessDate): Promise<TrialBalance> {
      return toTrialBalance(asOf, await accountBalancesAsOf(db, asOf));
    },

    readJournalLines: (range: Parameters<typeof journalLinesPage>[1], pageSize: number) =>
      readJournalLines(db, range, pageSize),

    /** The instant an export's snapshot ends: entries recorded later are left out. */
    snapshotInstant: () => databaseNow(db),
  };
}

export type LedgerService = ReturnType<typeof createLedgerService>;
