import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credit, debit } from "../../src/ledger/journal-entry.js";
import { accountBalanceAsOf } from "../../src/ledger/repository.js";
import { postJournalEntries, postJournalEntry, reverseJournalEntry } from "../../src/ledger/service.js";
import { BusinessDate } from "../../src/shared/business-date.js";
import { AppError } from "../../src/shared/errors.js";
import { Money } from "../../src/shared/money.js";
import { invoiceDraft } from "../support/ledger-drafts.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

const expectAppError = async (promise: Promise<unknown>, code: string) => {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
};

async function rawSqlFails(sql: string): Promise<string> {
  try {
    await database.prisma.$transaction(async (tx) => {
      for (const statement of sql.split(";\n").filter((part) => part.trim() !== ""))
        await tx.$executeRawUnsafe(statement);
    });
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error(`expected the database to refuse: ${sql}`);
}

describe("posting journal entries", () => {
  it("posts a balanced entry and moves both balances", async () => {
    const draft = invoiceDraft({ establishmentId: "est_post1", amount: "1218.75" });
    const result = await database.prisma.$transaction((tx) => postJournalEntry(tx, draft));
    expect(result.status).toBe("posted");
    expect(result.entryId).toMatch(/^je_[0-9a-f]{32}$/);
    const asOf = BusinessDate.parse("2026-11-30");
    expect((await accountBalanceAsOf(database.prisma, "RECEIVABLE_CONTRIBUTIONS", asOf, "est_post1")).toString()).toBe(
      "1218.75",
    );
    const lines = await database.prisma.journalLine.findMany({
      where: { entryId: result.entryId },
      orderBy: { lineNumber: "asc" },
    });
    expect(lines.map((line) => [line.accountCode, line.establishmentId, line.amount.toString()])).toEqual([
      ["RECEIVABLE_CONTRIBUTIONS", "est_post1", "1218.75"],
      ["CONTRIBUTIONS_ANNUITIES_EMPLOYER", null, "-1218.75"],
    ]);
  });

  it("posting the same business event twice is a no-op", async () => {
    const draft = invoiceDraft({ establishmentId: "est_twice" });
    const first = await database.prisma.$transaction((tx) => postJournalEntry(tx, draft));
    const second = await database.prisma.$transaction((tx) => postJournalEntry(tx, draft));
    expect(second).toEqual({ entryId: first.entryId, status: "already_posted" });
    expect(await database.prisma.journalEntry.count({ where: { idempotencyKey: draft.idempotencyKey } })).toBe(1);
    const balance = await accountBalanceAsOf(
      database.prisma,
      "RECEIVABLE_CONTRIBUTIONS",
      BusinessDate.parse("2026-12-31"),
      "est_twice",
    );
    expect(balance.toString()).toBe("1000.00");
  });

  it("refuses a reused key whose content differs, and writes nothing", async () => {
    const draft = invoiceDraft();
    await database.prisma.$transaction((tx) => postJournalEntry(tx, draft));
    const changed = invoiceDraft({ idempotencyKey: draft.idempotencyKey, amount: "999.99" });
    await expectAppError(
      database.prisma.$transaction((tx) => postJournalEntry(tx, changed)),
      "IDEMPOTENCY_KEY_REUSED",
    );
  });

  it.each([
    [
      "debits ≠ credits",
      [debit("BANK", Money.sar("10.00")), credit("PROCESSOR_CASH", Money.sar("9.99"))],
      "LEDGER_ENTRY_UNBALANCED",
    ],
    ["a single line", [debit("BANK", Money.sar("10.00"))], "LEDGER_ENTRY_UNBALANCED"],
    ["a zero line", [debit("BANK", Money.zero), credit("PROCESSOR_CASH", Money.zero)], "LEDGER_ENTRY_UNBALANCED"],
    [
      "a control account without its establishment",
      [debit("RECEIVABLE_CONTRIBUTIONS", Money.sar("5")), credit("FINES_INCOME", Money.sar("5"))],
      "LEDGER_ESTABLISHMENT_DIMENSION",
    ],
    [
      "an establishment on an account without the dimension",
      [debit("BANK", Money.sar("5"), "est_x"), credit("PROCESSOR_CASH", Money.sar("5"))],
      "LEDGER_ESTABLISHMENT_DIMENSION",
    ],
    [
      "an account outside the chart",
      [debit("SUSPENSE" as "BANK", Money.sar("5")), credit("PROCESSOR_CASH", Money.sar("5"))],
      "LEDGER_ACCOUNT_UNKNOWN",
    ],
  ])("refuses %s before writing anything", async (_, lines, code) => {
    const draft = { ...invoiceDraft(), lines };
    await expectAppError(
      database.prisma.$transaction((tx) => postJournalEntry(tx, draft)),
      code,
    );
    expect(await database.prisma.journalEntry.count({ where: { idempotencyKey: draft.idempotencyKey } })).toBe(0);
  });

  it("posts a batch in one call, skipping what was posted before", async () => {
    const drafts = Array.from({ length: 300 }, (_, index) =>
      invoiceDraft({ establishmentId: "est_batch", amount: `${index + 1}.00` }),
    );
    const first = await database.prisma.$transaction((tx) => postJournalEntries(tx, drafts.slice(0, 100)));
    expect(first.every((result) => result.status === "posted")).toBe(true);
    const all = await database.prisma.$transaction((tx) => postJournalEntries(tx, drafts));
    expect(all.slice(0, 100)).toEqual(first.map((result) => ({ ...result, status: "already_posted" })));
    expect(all.slice(100).every((result) => result.status === "posted")).toBe(true);
    const balance = await accountBalanceAsOf(
      database.prisma,
      "RECEIVABLE_CONTRIBUTIONS",
      BusinessDate.parse("2026-12-31"),
      "est_batch",
    );
    expect(balance.toString()).toBe("45150.00"); // 1 + 2 + ... + 300
  });
});

describe("reversals", () => {
  it("reverses an entry once, with every line negated, and restores the balances", async () => {
    const posted = await database.prisma.$transaction((tx) =>
      postJournalEntry(tx, invoiceDraft({ establishmentId: "est_rev", amount: "500.00" })),
    );
    const options = { effectiveDate: BusinessDate.parse("2026-11-20"), reason: "issued in error" };
    const reversal = await database.prisma.$transaction((tx) => reverseJournalEntry(tx, posted.entryId, options));
    expect(reversal.status).toBe("posted");
    const again = await database.prisma.$transaction((tx) => reverseJournalEntry(tx, posted.entryId, options));
    expect(again).toEqual({ entryId: reversal.entryId, status: "already_posted" });
    await expectAppError(
      database.prisma.$transaction((tx) =>
        reverseJournalEntry(tx, posted.entryId, { ...options, reason: "another reason" }),
      ),
      "LEDGER_ENTRY_ALREADY_REVERSED",
    );
    await expectAppError(
      database.prisma.$transaction((tx) => reverseJournalEntry(tx, "je_missing", options)),
      "LEDGER_ENTRY_NOT_FOUND",
    );
    const establishment = (date: string) =>
      accountBalanceAsOf(database.prisma, "RECEIVABLE_CONTRIBUTIONS", BusinessDate.parse(date), "est_rev");
    expect((await establishment("2026-11-19")).toString()).toBe("500.00");
    expect((await establishment("2026-11-20")).toString()).toBe("0.00");
  });
});

describe("the database enforces the ledger's rules", () => {
  const entryValues = (id: string, lineCount = 2) =>
    `('${id}', '${id}', 'h', 'ADJUSTMENT', 's', 'RAW', 'raw sql', '2026-11-01', ${lineCount})`;
  const entryColumns =
    "INSERT INTO journal_entries (id, idempotency_key, content_hash, source_type, source_id, entry_code, description, effective_date, line_count)";
  const lineColumns =
    "INSERT INTO journal_lines (entry_id, line_number, account_code, establishment_id, amount, effective_date)";
  const line = (id: string, number: number, account: string, amount: string, establishment = "NULL") =>
    `('${id}', ${number}, '${account}', ${establishment}, ${amount}, DATE '2026-11-01')`;
  /** An entry and its lines in one statement, as the repository writes them. */
  const entryWithLines = (id: string, ...lines: string[]) =>
    `WITH entry AS (${entryColumns} VALUES ${entryValues(id, lines.length)} RETURNING id) ${lineColumns} VALUES ${lines.join(", ")}`;

  it("refuses an unbalanced entry written with raw SQL", async () => {
    const message = await rawSqlFails(
      entryWithLines("je_raw1", line("je_raw1", 1, "BANK", "10.00"), line("je_raw1", 2, "PROCESSOR_CASH", "-9.99")),
    );
    expect(message).toContain("does not balance");
    expect(await database.prisma.journalEntry.count({ where: { id: "je_raw1" } })).toBe(0);
  });

  it("refuses an entry written without its lines", async () => {
    expect(await rawSqlFails(`${entryColumns} VALUES ${entryValues("je_raw2")}`)).toContain(
      "written with 0 of its 2 lines",
    );
    expect(await database.prisma.journalEntry.count({ where: { id: "je_raw2" } })).toBe(0);
  });

  it("refuses lines added later to an entry that balanced", async () => {
    await database.prisma.$executeRawUnsafe(
      entryWithLines("je_raw3", line("je_raw3", 1, "BANK", "10.00"), line("je_raw3", 2, "PROCESSOR_CASH", "-10.00")),
    );
    const message = await rawSqlFails(
      `${lineColumns} VALUES ${line("je_raw3", 3, "BANK", "5.00")}, ${line("je_raw3", 4, "PROCESSOR_CASH", "-5.00")}`,
    );
    expect(message).toContain("does not balance: 4 line(s) of 2 declared");
    // As many balanced lines as declared, numbered outside 1..line_count so no number repeats.
    expect(
      await rawSqlFails(
        `${lineColumns} VALUES ${line("je_raw3", 0, "BANK", "5.00")}, ${line("je_raw3", -1, "PROCESSOR_CASH", "-5.00")}`,
      ),
    ).toContain("does not balance: 4 line(s) of 2 declared");
    // The same numbers again: the key refuses them before the check.
    expect(
      await rawSqlFails(
        `${lineColumns} VALUES ${line("je_raw3", 1, "BANK", "5.00")}, ${line("je_raw3", 2, "PROCESSOR_CASH", "-5.00")}`,
      ),
    ).toContain("journal_lines_pkey");
    expect(await database.prisma.journalLine.count({ where: { entryId: "je_raw3" } })).toBe(2);
  });

  it("refuses lines dated otherwise than their entry, and entries whose lines are split over statements", async () => {
    const otherDay = `('je_raw7', 2, 'PROCESSOR_CASH', NULL, -10.00, DATE '2026-11-02')`;
    expect(
      await rawSqlFails(
        `WITH entry AS (${entryColumns} VALUES ${entryValues("je_raw7")} RETURNING id) ${lineColumns} VALUES ${line("je_raw7", 1, "BANK", "10.00")}, ${otherDay}`,
      ),
    ).toContain("date differs from the entry");
    expect(
      await rawSqlFails(
        `WITH entry AS (${entryColumns} VALUES ${entryValues("je_raw8")} RETURNING id) ${lineColumns} VALUES ${line("je_raw8", 1, "BANK", "10.00")};\n` +
          `${lineColumns} VALUES ${line("je_raw8", 2, "PROCESSOR_CASH", "-10.00")}`,
      ),
    ).toContain("does not balance: 1 line(s) of 2 declared");
    expect(await database.prisma.journalEntry.count({ where: { id: { in: ["je_raw7", "je_raw8"] } } })).toBe(0);
  });

  it("refuses updates, deletes and truncation of posted entries and lines", async () => {
    expect(
      await rawSqlFails("UPDATE journal_lines SET amount = 11 WHERE entry_id = 'je_raw3' AND line_number = 1"),
    ).toContain("immutable");
    expect(await rawSqlFails("DELETE FROM journal_lines WHERE entry_id = 'je_raw3'")).toContain("immutable");
    expect(await rawSqlFails("UPDATE journal_entries SET description = 'x' WHERE id = 'je_raw3'")).toContain(
      "immutable",
    );
    expect(await rawSqlFails("DELETE FROM journal_entries WHERE id = 'je_raw3'")).toContain("immutable");
    expect(await rawSqlFails("TRUNCATE journal_lines, journal_entries")).toContain("immutable");
  });

  it("refuses a zero line and a misused establishment dimension", async () => {
    expect(
      await rawSqlFails(
        entryWithLines("je_raw4", line("je_raw4", 1, "BANK", "0"), line("je_raw4", 2, "PROCESSOR_CASH", "0")),
      ),
    ).toContain("journal_lines_amount_not_zero");
    expect(
      await rawSqlFails(
        entryWithLines(
          "je_raw5",
          line("je_raw5", 1, "RECEIVABLE_CONTRIBUTIONS", "10"),
          line("je_raw5", 2, "FINES_INCOME", "-10"),
        ),
      ),
    ).toContain("establishment dimension");
  });

  it("refuses lines for an entry or an account that does not exist, and keeps the accounts lines name", async () => {
    const linesBefore = await database.prisma.journalLine.count();
    // Balanced lines of an entry nobody wrote: the check, not a foreign key, stops them.
    expect(
      await rawSqlFails(
        `${lineColumns} VALUES ${line("je_none", 1, "BANK", "10.00")}, ${line("je_none", 2, "PROCESSOR_CASH", "-10.00")}`,
      ),
    ).toMatch(/journal entry je_none line [12]: no such entry/);
    expect(
      await rawSqlFails(
        entryWithLines("je_raw6", line("je_raw6", 1, "BANK", "10.00"), line("je_raw6", 2, "NO_SUCH_ACCOUNT", "-10.00")),
      ),
    ).toContain("no account NO_SUCH_ACCOUNT");
    expect(await database.prisma.journalLine.count()).toBe(linesBefore);
    expect(await database.prisma.journalEntry.count({ where: { id: "je_raw6" } })).toBe(0);
    expect(await rawSqlFails("DELETE FROM ledger_accounts WHERE code = 'BANK'")).toContain("never deleted or renamed");
    expect(await rawSqlFails("UPDATE ledger_accounts SET code = 'BANK2' WHERE code = 'BANK'")).toContain(
      "never deleted or renamed",
    );
    expect(await rawSqlFails("TRUNCATE ledger_accounts CASCADE")).toContain("never deleted or renamed");
  });
});
