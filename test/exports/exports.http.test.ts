import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TrialBalanceResponse } from "../../src/exports/schemas.js";
import { chartOfAccounts } from "../../src/ledger/chart-of-accounts.js";
import { credit, debit, type JournalEntryDraft } from "../../src/ledger/journal-entry.js";
import { postJournalEntries, reverseJournalEntry } from "../../src/ledger/service.js";
import { BusinessDate } from "../../src/shared/business-date.js";
import { Money } from "../../src/shared/money.js";
import { bearer, buildTestApp, expectError, requestJson, signInStaff, type TestContext } from "../support/test-app.js";

const run = promisify(execFile);
let context: TestContext;
let accountant: string;
let scratch: string;

function entry(key: string, date: string, description: string, lines: JournalEntryDraft["lines"]): JournalEntryDraft {
  return {
    idempotencyKey: key,
    sourceType: "ADJUSTMENT",
    sourceId: key,
    entryCode: "TEST",
    description,
    effectiveDate: BusinessDate.parse(date),
    lines,
  };
}

/** A small but varied journal: invoices, a payment with a fee, an overpayment, a reversal, awkward text. */
beforeAll(async () => {
  context = await buildTestApp();
  accountant = (await signInStaff(context, "ACCOUNTANT")).token;
  scratch = await mkdtemp(path.join(tmpdir(), "ishtirak-exports-"));
  const sar = Money.sar;
  const posted = await context.database.prisma.$transaction((tx) =>
    postJournalEntries(tx, [
      entry("e1", "2026-10-01", 'Invoice 2026-09, "Al-Noor" Trading; branch, Riyadh', [
        debit("RECEIVABLE_CONTRIBUTIONS", sar("1218.75"), "est_1"),
        credit("CONTRIBUTIONS_ANNUITIES_EMPLOYER", sar("562.50")),
        credit("CONTRIBUTIONS_ANNUITIES_EMPLOYEE", sar("562.50")),
        credit("CONTRIBUTIONS_HAZARDS_EMPLOYER", sar("93.75")),
      ]),
      entry("e2", "2026-10-01", "فاتورة اشتراكات سبتمبر", [
        debit("RECEIVABLE_CONTRIBUTIONS", sar("80.00"), "est_2"),
        credit("CONTRIBUTIONS_HAZARDS_EMPLOYER", sar("80.00")),
      ]),
      entry("e3", "2026-10-14", "Payment pi_1\nsecond line", [
        debit("PROCESSOR_CASH", sar("1218.75")),
        credit("RECEIVABLE_CONTRIBUTIONS", sar("1218.75"), "est_1"),
        debit("PROCESSOR_FEES", sar("12.19")),
        credit("PROCESSOR_CASH", sar("12.19")),
      ]),
      entry("e4", "2026-10-20", "Overpayment", [
        debit("PROCESSOR_CASH", sar("100.00")),
        credit("RECEIVABLE_CONTRIBUTIONS", sar("80.00"), "est_2"),
        credit("UNAPPLIED_PAYMENTS", sar("20.00"), "est_2"),
      ]),
      entry("e5", "2026-11-02", "Payout", [debit("BANK", sar("1306.56")), credit("PROCESSOR_CASH", sar("1306.56"))]),
    ]),
  );
  const payout = posted[4]?.entryId ?? "";
  await context.database.prisma.$transaction((tx) =>
    reverseJournalEntry(tx, payout, {
      effectiveDate: BusinessDate.parse("2026-11-03"),
      reason: "payout returned by the bank",
    }),
  );
});

afterAll(async () => {
  await context.close();
  await rm(scratch, { recursive: true, force: true });
});

const download = async (query: string, token = accountant) => {
  const response = await context.app.request(query, { headers: bearer(token) });
  return { status: response.status, headers: response.headers, text: await response.text() };
};

describe("journal export", () => {
  it("streams CSV with every line, escaped text, and a TOTAL row whose debits equal credits", async () => {
    const file = await download("/v1/exports/journal?from=2026-10-01&to=2026-11-30&format=csv");
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(file.headers.get("content-disposition")).toBe('attachment; filename="journal-2026-10-01-2026-11-30.csv"');
    const rows = parse(file.text, { columns: true }) as Record<string, string>[];
    const lines = rows.filter((row) => row.date !== "TOTAL");
    const total = rows.at(-1);
    expect(lines).toHaveLength(17);
    expect(total).toMatchObject({ date: "TOTAL", line: "17", debit: "5242.81", credit: "5242.81" });
    expect(lines[0]).toMatchObject({
      date: "2026-10-01",
      account: "assets:receivable:contributions",
      establishment_id: "est_1",
      debit: "1218.75",
      credit: "0.00",
      description: 'Invoice 2026-09, "Al-Noor" Trading; branch, Riyadh',
    });
    expect(lines.some((row) => row.description === "فاتورة اشتراكات سبتمبر")).toBe(true);
    const sum = (column: "debit" | "credit") => Money.sum(lines.map((row) => Money.sar(row[column] ?? "0"))).toString();
    expect([sum("debit"), sum("credit")]).toEqual(["5242.81", "5242.81"]);
    const dates = lines.map((row) => row.date);
    expect(dates).toEqual([...dates].sort());
  });

  it("keeps to the range", async () => {
    const rows = parse((await download("/v1/exports/journal?from=2026-10-14&to=2026-10-20&format=csv")).text, {
      columns: true,
    }) as Record<string, string>[];
    expect(rows.at(-1)).toMatchObject({ date: "TOTAL", line: "7", debit: "1330.94", credit: "1330.94" });
    expect(new Set(rows.slice(0, -1).map((row) => row.date))).toEqual(new Set(["2026-10-14", "2026-10-20"]));
  });

  it("streams JSON Lines ending in a totals object", async () => {
    const file = await download("/v1/exports/journal?from=2026-10-01&to=2026-11-30&format=jsonl");
    const objects = file.text
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(objects.filter((object) => object.type === "line")).toHaveLength(17);
    expect(objects.at(-1)).toEqual({ type: "totals", lines: 17, debit: "5242.81", credit: "5242.81" });
    const paymentLines = objects.filter((object) => object.description === "Payment pi_1\nsecond line");
    expect(
      paymentLines.map((object) => [object.accountCode, object.establishmentId, object.debit, object.credit]),
    ).toEqual([
      ["PROCESSOR_CASH", null, "1218.75", "0.00"],
      ["RECEIVABLE_CONTRIBUTIONS", "est_1", "0.00", "1218.75"],
      ["PROCESSOR_FEES", null, "12.19", "0.00"],
      ["PROCESSOR_CASH", null, "0.00", "12.19"],
    ]);
  });

  it.each([
    ["from=2026-11-30&to=2026-10-01", 400, "DATE_RANGE_REVERSED"],
    ["from=2025-01-01&to=2026-01-02", 400, "DATE_RANGE_TOO_LONG"],
    ["from=2026-10-01&to=2026-13-01", 400, "VALIDATION_FAILED"],
    ["from=2026-10-01&to=2026-10-31&format=xml", 400, "VALIDATION_FAILED"],
  ])("refuses %s", async (query, status, code) => {
    expectError(
      await requestJson(context.app, "GET", `/v1/exports/journal?${query}`, undefined, bearer(accountant)),
      status,
      code,
    );
  });

  it("is for staff only", async () => {
    expectError(
      await requestJson(context.app, "GET", "/v1/exports/journal?from=2026-10-01&to=2026-10-31"),
      401,
      "AUTHENTICATION_REQUIRED",
    );
    const admin = await signInStaff(context, "AGENCY_ADMIN");
    expect((await download("/v1/exports/trial-balance?asOf=2026-11-30", admin.token)).status).toBe(200);
  });
});

describe.runIf(process.env.DATABASE_URL)("journal CSV written by PostgreSQL's COPY", () => {
  it("is byte for byte the CSV the page-by-page path writes", async () => {
    const { createExportService } = await import("../../src/exports/service.js");
    const { createLedgerService } = await import("../../src/ledger/service.js");
    const ledger = createLedgerService({ db: context.database.prisma });
    const exports = createExportService({ ledger, openSnapshot: context.database.openSnapshot });
    const collect = async (body: AsyncIterable<string | Uint8Array>) => {
      let text = "";
      for await (const chunk of body) text += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      return text;
    };
    const range = { from: "2026-01-01", to: "2026-12-31", format: "csv" as const };
    const copied = await collect(exports.journal(range).body);
    const paged = await collect(exports.journal({ ...range, pageByPage: true }).body);
    expect(copied).toBe(paged);
    expect(parse(copied)).toHaveLength(19);
  });
});

describe("trial balance", () => {
  it("balances to the halala as JSON and as CSV", async () => {
    const response = await requestJson(
      context.app,
      "GET",
      "/v1/exports/trial-balance?asOf=2026-10-31",
      undefined,
      bearer(accountant),
    );
    const balance = TrialBalanceResponse.parse(response.body);
    expect(balance.totals).toEqual({ debit: "1318.75", credit: "1318.75" });
    const byCode = Object.fromEntries(balance.accounts.map((account) => [account.code, account]));
    expect(byCode.PROCESSOR_CASH).toMatchObject({ debit: "1306.56", credit: "0.00" });
    expect(byCode.UNAPPLIED_PAYMENTS).toMatchObject({ debit: "0.00", credit: "20.00" });
    expect(byCode.RECEIVABLE_CONTRIBUTIONS).toMatchObject({ balance: "0.00" });
    expect(balance.accounts).toHaveLength(Object.keys(chartOfAccounts).length);

    const csv = parse((await download("/v1/exports/trial-balance?asOf=2026-10-31&format=csv")).text, {
      columns: true,
    }) as Record<string, string>[];
    expect(csv.at(-1)).toEqual({ code: "TOTAL", account: "", type: "", debit: "1318.75", credit: "1318.75" });
  });
});

describe("general ledger", () => {
  it("gives an establishment's receivable with opening, running and closing balances", async () => {
    const file = await download(
      "/v1/exports/general-ledger?accountCode=RECEIVABLE_CONTRIBUTIONS&establishmentId=est_2&from=2026-10-02&to=2026-10-31",
    );
    const rows = parse(file.text, { columns: true }) as Record<string, string>[];
    expect(rows.map((row) => [row.kind, row.date, row.debit, row.credit, row.balance])).toEqual([
      ["OPENING", "2026-10-01", "80.00", "0.00", "80.00"],
      ["LINE", "2026-10-20", "0.00", "80.00", "0.00"],
      ["CLOSING", "2026-10-31", "0.00", "0.00", "0.00"],
      ["TOTAL", "", "0.00", "80.00", "-80.00"],
    ]);
  });

  it("gives a whole account as JSON Lines", async () => {
    const file = await download(
      "/v1/exports/general-ledger?accountCode=PROCESSOR_CASH&from=2026-10-01&to=2026-11-30&format=jsonl",
    );
    const objects = file.text
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(objects.map((object) => [object.type, object.balance])).toEqual([
      ["opening", "0.00"],
      ["line", "1218.75"],
      ["line", "1206.56"],
      ["line", "1306.56"],
      ["line", "0.00"],
      ["line", "1306.56"],
      ["closing", "1306.56"],
      ["total", "1306.56"],
    ]);
  });

  it.each([
    ["accountCode=SUSPENSE&from=2026-10-01&to=2026-10-31", 404, "LEDGER_ACCOUNT_NOT_FOUND"],
    ["accountCode=BANK&establishmentId=est_1&from=2026-10-01&to=2026-10-31", 422, "LEDGER_ESTABLISHMENT_DIMENSION"],
    ["accountCode=BANK&from=2026-10-31&to=2026-10-01", 400, "DATE_RANGE_REVERSED"],
  ])("refuses %s", async (query, status, code) => {
    expectError(
      await requestJson(context.app, "GET", `/v1/exports/general-ledger?${query}`, undefined, bearer(accountant)),
      status,
      code,
    );
  });
});

/** hledger is installed by .ci/run; a developer's `npm test` without it skips this part. */
const hasHledger = await run("hledger", ["--version"]).then(
  () => true,
  () => false,
);

describe.runIf(hasHledger || process.env.CI === "true")("plain-text journal for hledger", () => {
  it("passes hledger check --strict, and hledger's balances equal the trial balance", async () => {
    const file = await download("/v1/exports/journal?from=2026-01-01&to=2026-11-30&format=ledger");
    expect(file.text).toContain("commodity 1,000.00 SAR");
    expect(file.text.trimEnd().split("\n").at(-1)).toBe("; totals: 17 lines, debits 5242.81 SAR, credits 5242.81 SAR");
    const journal = path.join(scratch, "export.journal");
    await writeFile(journal, file.text);
    await run("hledger", ["-f", journal, "check", "--strict"]);

    const { stdout } = await run("hledger", ["-f", journal, "balance", "--flat", "--no-elide", "-O", "csv"]);
    const fromHledger = new Map(
      (parse(stdout, { columns: true }) as { account: string; balance: string }[]).map((row) => [
        row.account,
        row.balance === "0" ? "0.00" : row.balance.replace(/ SAR$/, "").replaceAll(",", ""),
      ]),
    );
    const trialBalance = TrialBalanceResponse.parse(
      (
        await requestJson(
          context.app,
          "GET",
          "/v1/exports/trial-balance?asOf=2026-11-30",
          undefined,
          bearer(accountant),
        )
      ).body,
    );
    for (const account of trialBalance.accounts) {
      expect(fromHledger.get(account.name) ?? "0.00", account.name).toBe(account.balance);
    }
    expect(fromHledger.get("total")).toBe("0.00");
  });
});
