import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chartOfAccounts } from "../../src/ledger/chart-of-accounts.js";
import { AccountBalanceResponse, JournalEntryResponse, LedgerAccountListResponse } from "../../src/ledger/schemas.js";
import { bearer, buildTestApp, expectError, requestJson, signInStaff, type TestContext } from "../support/test-app.js";

let context: TestContext;
let admin: string;
let accountant: string;

beforeAll(async () => {
  context = await buildTestApp();
  admin = (await signInStaff(context, "AGENCY_ADMIN")).token;
  accountant = (await signInStaff(context, "ACCOUNTANT")).token;
});
afterAll(() => context.close());

const adjustment = (establishmentId: string, amount: string, effectiveDate = "2026-11-10") => ({
  effectiveDate,
  description: "Opening receivable carried over from the legacy system",
  lines: [
    { accountCode: "RECEIVABLE_CONTRIBUTIONS", establishmentId, debit: amount },
    { accountCode: "CONTRIBUTIONS_HAZARDS_EMPLOYER", credit: amount },
  ],
});

const post = (body: unknown, key: string, token = admin) =>
  requestJson(context.app, "POST", "/v1/ledger/adjustments", body, { ...bearer(token), "idempotency-key": key });

describe("chart of accounts", () => {
  it("serves the chart the migration seeded, equal to the one in code", async () => {
    const response = await requestJson(context.app, "GET", "/v1/ledger/accounts", undefined, bearer(accountant));
    const { accounts } = LedgerAccountListResponse.parse(response.body);
    expect(Object.fromEntries(accounts.map(({ code, ...rest }) => [code, rest]))).toEqual(chartOfAccounts);
  });
});

describe("POST /v1/ledger/adjustments", () => {
  it("posts a balanced adjustment, and a retry with the same key returns the same entry", async () => {
    const first = await post(adjustment("est_adj", "250.50"), "adj-1");
    expect(first.status).toBe(201);
    const entry = JournalEntryResponse.parse(first.body);
    expect(entry.lines).toEqual([
      {
        lineNumber: 1,
        accountCode: "RECEIVABLE_CONTRIBUTIONS",
        establishmentId: "est_adj",
        debit: "250.50",
        credit: "0.00",
      },
      {
        lineNumber: 2,
        accountCode: "CONTRIBUTIONS_HAZARDS_EMPLOYER",
        establishmentId: null,
        debit: "0.00",
        credit: "250.50",
      },
    ]);
    const retry = await post(adjustment("est_adj", "250.50"), "adj-1");
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(JournalEntryResponse.parse(retry.body).id).toBe(entry.id);
    expectError(await post(adjustment("est_adj", "999.00"), "adj-1"), 422, "IDEMPOTENCY_KEY_REUSED");
    expect(await context.database.prisma.journalEntry.count({ where: { sourceId: "adj-1" } })).toBe(1);
  });

  it.each([
    [
      "unbalanced",
      {
        ...adjustment("est_bad", "10.00"),
        lines: [
          { accountCode: "BANK", debit: "10.00" },
          { accountCode: "PROCESSOR_CASH", credit: "9.99" },
        ],
      },
      422,
      "LEDGER_ENTRY_UNBALANCED",
    ],
    [
      "unknown account",
      {
        ...adjustment("est_bad", "10.00"),
        lines: [
          { accountCode: "SUSPENSE", debit: "10.00" },
          { accountCode: "BANK", credit: "10.00" },
        ],
      },
      422,
      "LEDGER_ACCOUNT_UNKNOWN",
    ],
    [
      "receivable without establishment",
      {
        ...adjustment("est_bad", "10.00"),
        lines: [
          { accountCode: "RECEIVABLE_FINES", debit: "10.00" },
          { accountCode: "FINES_INCOME", credit: "10.00" },
        ],
      },
      422,
      "LEDGER_ESTABLISHMENT_DIMENSION",
    ],
    [
      "a line with both sides",
      {
        ...adjustment("est_bad", "1.00"),
        lines: [
          { accountCode: "BANK", debit: "1.00", credit: "1.00" },
          { accountCode: "BANK", credit: "1.00" },
        ],
      },
      400,
      "VALIDATION_FAILED",
    ],
    ["three decimals", adjustment("est_bad", "10.005"), 400, "VALIDATION_FAILED"],
    [
      "a float amount",
      {
        ...adjustment("est_bad", "1.00"),
        lines: [
          { accountCode: "BANK", debit: 10.5 },
          { accountCode: "BANK", credit: "10.50" },
        ],
      },
      400,
      "VALIDATION_FAILED",
    ],
    ["an impossible date", adjustment("est_bad", "10.00", "2026-02-30"), 400, "VALIDATION_FAILED"],
  ])("refuses %s and writes nothing", async (label, body, status, code) => {
    expectError(await post(body, `bad-${label}`), status, code);
    expect(await context.database.prisma.journalEntry.count({ where: { sourceId: `bad-${label}` } })).toBe(0);
  });

  it("needs an Idempotency-Key, an agency admin, and a session", async () => {
    const missingKey = await requestJson(
      context.app,
      "POST",
      "/v1/ledger/adjustments",
      adjustment("est_x", "1.00"),
      bearer(admin),
    );
    expect(expectError(missingKey, 400, "VALIDATION_FAILED").details?.[0]?.path).toBe("header.idempotency-key");
    expectError(await post(adjustment("est_x", "1.00"), "by-accountant", accountant), 403, "ROLE_NOT_PERMITTED");
    expectError(
      await requestJson(context.app, "POST", "/v1/ledger/adjustments", adjustment("est_x", "1.00"), {
        "idempotency-key": "anon",
      }),
      401,
      "AUTHENTICATION_REQUIRED",
    );
  });
});

describe("balances and entries", () => {
  it("gives an account's balance as of a date, in total and per establishment", async () => {
    await post(adjustment("est_bal_1", "100.00", "2026-10-05"), "bal-1");
    await post(adjustment("est_bal_2", "40.25", "2026-10-20"), "bal-2");
    const balance = async (query: string) => {
      const response = await requestJson(
        context.app,
        "GET",
        `/v1/ledger/accounts/RECEIVABLE_CONTRIBUTIONS/balance?${query}`,
        undefined,
        bearer(accountant),
      );
      expect(response.status).toBe(200);
      return AccountBalanceResponse.parse(response.body);
    };
    expect(await balance("asOf=2026-10-04&establishmentId=est_bal_1")).toMatchObject({ balance: "0.00" });
    expect(await balance("asOf=2026-10-05&establishmentId=est_bal_1")).toMatchObject({
      balance: "100.00",
      debit: "100.00",
    });
    expect(await balance("asOf=2026-10-31&establishmentId=est_bal_2")).toMatchObject({ balance: "40.25" });
    const hazards = await requestJson(
      context.app,
      "GET",
      "/v1/ledger/accounts/CONTRIBUTIONS_HAZARDS_EMPLOYER/balance?asOf=2026-10-31",
      undefined,
      bearer(accountant),
    );
    expect(AccountBalanceResponse.parse(hazards.body)).toMatchObject({
      balance: "-140.25",
      credit: "140.25",
      debit: "0.00",
    });
    // Without asOf: today in Riyadh by the injected clock (2026-11-25).
    expect((await balance("establishmentId=est_bal_1")).asOf).toBe("2026-11-25");
  });

  it("answers unknown accounts and entries with 404, a misused dimension with 422", async () => {
    expectError(
      await requestJson(context.app, "GET", "/v1/ledger/accounts/SUSPENSE/balance", undefined, bearer(accountant)),
      404,
      "LEDGER_ACCOUNT_NOT_FOUND",
    );
    expectError(
      await requestJson(
        context.app,
        "GET",
        "/v1/ledger/accounts/BANK/balance?establishmentId=est_1",
        undefined,
        bearer(accountant),
      ),
      422,
      "LEDGER_ESTABLISHMENT_DIMENSION",
    );
    expectError(
      await requestJson(context.app, "GET", "/v1/ledger/entries/je_nothing", undefined, bearer(accountant)),
      404,
      "LEDGER_ENTRY_NOT_FOUND",
    );
  });

  it("reverses an entry through HTTP once", async () => {
    const posted = JournalEntryResponse.parse((await post(adjustment("est_rev_http", "75.00"), "rev-http")).body);
    const reversal = { effectiveDate: "2026-11-12", reason: "posted to the wrong establishment" };
    const first = await requestJson(
      context.app,
      "POST",
      `/v1/ledger/entries/${posted.id}/reversal`,
      reversal,
      bearer(admin),
    );
    expect(first.status).toBe(201);
    const reversing = JournalEntryResponse.parse(first.body);
    expect(reversing).toMatchObject({
      reversesEntryId: posted.id,
      sourceType: "REVERSAL",
      effectiveDate: "2026-11-12",
    });
    expect(reversing.lines.map((line) => [line.debit, line.credit])).toEqual([
      ["0.00", "75.00"],
      ["75.00", "0.00"],
    ]);
    const again = await requestJson(
      context.app,
      "POST",
      `/v1/ledger/entries/${posted.id}/reversal`,
      reversal,
      bearer(admin),
    );
    expect(again.status).toBe(200);
    expectError(
      await requestJson(
        context.app,
        "POST",
        `/v1/ledger/entries/${posted.id}/reversal`,
        { ...reversal, reason: "other" },
        bearer(admin),
      ),
      409,
      "LEDGER_ENTRY_ALREADY_REVERSED",
    );
    const original = JournalEntryResponse.parse(
      (await requestJson(context.app, "GET", `/v1/ledger/entries/${posted.id}`, undefined, bearer(accountant))).body,
    );
    expect(original.reversedByEntryId).toBe(reversing.id);
  });
});
