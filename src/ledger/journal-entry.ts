import { createHash } from "node:crypto";
import type { BusinessDate } from "../shared/business-date.js";
import { AppError } from "../shared/errors.js";
import { Money } from "../shared/money.js";
import { chartOfAccounts, isLedgerAccountCode, type LedgerAccountCode } from "./chart-of-accounts.js";

export type JournalSourceType = "INVOICE" | "PAYMENT" | "WEBHOOK_EVENT" | "FINE" | "ADJUSTMENT" | "REVERSAL";

/** One line: debit positive, credit negative, never zero. */
export type JournalLineDraft = {
  accountCode: LedgerAccountCode;
  establishmentId?: string;
  amount: Money;
};

/** A journal entry before it is posted: the business event, its date and its lines. */
export type JournalEntryDraft = {
  /** Names the business event, so posting the same event again is a no-op. */
  idempotencyKey: string;
  sourceType: JournalSourceType;
  sourceId: string;
  /** Why the entry exists: INVOICE_ISSUED, PAYMENT_RECEIVED, MANUAL_ADJUSTMENT, ... */
  entryCode: string;
  description: string;
  effectiveDate: BusinessDate;
  lines: readonly JournalLineDraft[];
  reversesEntryId?: string;
};

export const linesPerEntryMax = 200;

export function debit(accountCode: LedgerAccountCode, amount: Money, establishmentId?: string): JournalLineDraft {
  return { accountCode, amount, ...(establishmentId === undefined ? {} : { establishmentId }) };
}

export function credit(accountCode: LedgerAccountCode, amount: Money, establishmentId?: string): JournalLineDraft {
  return { accountCode, amount: amount.negate(), ...(establishmentId === undefined ? {} : { establishmentId }) };
}

/**
 * Refuses a draft that could not be posted: too few or too many lines, a zero line, an
 * account outside the chart, a missing or needless establishment, debits ≠ credits. The
 * database checks the same things again; this gives the caller a precise error first.
 */
export function assertPostable(draft: JournalEntryDraft): void {
  if (draft.idempotencyKey.length === 0 || draft.idempotencyKey.length > 200) {
    throw new AppError("VALIDATION_FAILED", "an idempotency key has 1 to 200 characters");
  }
  if (draft.lines.length < 2 || draft.lines.length > linesPerEntryMax) {
    throw new AppError("LEDGER_ENTRY_UNBALANCED", `a journal entry has 2 to ${linesPerEntryMax} lines`, [
      { message: `${draft.lines.length} line(s)`, path: "lines" },
    ]);
  }
  draft.lines.forEach((line, index) => {
    const path = `lines.${index}`;
    if (!isLedgerAccountCode(line.accountCode)) {
      throw new AppError("LEDGER_ACCOUNT_UNKNOWN", `no account ${line.accountCode} in the chart of accounts`, [
        { path: `${path}.accountCode`, message: "unknown account" },
      ]);
    }
    if (line.amount.isZero()) {
      throw new AppError("LEDGER_ENTRY_UNBALANCED", "a journal line moves a non-zero amount", [
        { path: `${path}.amount`, message: "zero" },
      ]);
    }
    const needsEstablishment = chartOfAccounts[line.accountCode].hasEstablishmentDimension;
    if (needsEstablishment !== (line.establishmentId !== undefined)) {
      throw new AppError(
        "LEDGER_ESTABLISHMENT_DIMENSION",
        needsEstablishment
          ? `account ${line.accountCode} needs the establishment the line concerns`
          : `account ${line.accountCode} has no establishment dimension`,
        [{ path: `${path}.establishmentId`, message: needsEstablishment ? "required" : "not allowed" }],
      );
    }
  });
  const imbalance = Money.sum(draft.lines.map((line) => line.amount));
  if (!imbalance.isZero()) {
    throw new AppError("LEDGER_ENTRY_UNBALANCED", `debits and credits differ by ${imbalance.toString()} SAR`, [
      { path: "lines", message: `debits minus credits = ${imbalance.toString()}` },
    ]);
  }
}

/** A fingerprint of what the entry says, to tell a retry from a different event reusing a key. */
export function journalEntryContentHash(draft: JournalEntryDraft): string {
  const canonical = JSON.stringify([
    draft.sourceType,
    draft.sourceId,
    draft.entryCode,
    draft.description,
    draft.effectiveDate.toString(),
    draft.reversesEntryId ?? null,
    draft.lines.map((line) => [line.accountCode, line.establishmentId ?? null, line.amount.toString()]),
  ]);
  return createHash("sha256").update(canonical).digest("hex");
}
