import { createRoute } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { requireStaff } from "../auth/middleware.js";
import type { AuthService } from "../auth/service.js";
import { BusinessDate } from "../shared/business-date.js";
import type { Clock } from "../shared/clock.js";
import { type AppEnv, createRouter, errorResponses, jsonContent, sessionSecurity } from "../shared/http.js";
import { Money } from "../shared/money.js";
import { IdempotencyKeyHeader } from "../shared/schemas.js";
import type { LedgerAccountCode } from "./chart-of-accounts.js";
import type { JournalEntryDraft } from "./journal-entry.js";
import type { StoredJournalEntry } from "./repository.js";
import {
  AccountBalanceResponse,
  AccountCodeParams,
  AdjustmentBody,
  BalanceQuery,
  EntryIdParams,
  JournalEntryResponse,
  LedgerAccountListResponse,
  ReversalBody,
} from "./schemas.js";
import type { LedgerService } from "./service.js";

const listAccounts = createRoute({
  method: "get",
  path: "/v1/ledger/accounts",
  tags: ["Ledger"],
  summary: "The chart of accounts",
  security: sessionSecurity,
  responses: {
    200: { description: "Accounts", ...jsonContent(LedgerAccountListResponse) },
    ...errorResponses("AUTHENTICATION_REQUIRED", "ROLE_NOT_PERMITTED"),
  },
});

const accountBalance = createRoute({
  method: "get",
  path: "/v1/ledger/accounts/{code}/balance",
  tags: ["Ledger"],
  summary: "An account's balance as of a date, in total or for one establishment",
  security: sessionSecurity,
  request: { params: AccountCodeParams, query: BalanceQuery },
  responses: {
    200: { description: "Balance", ...jsonContent(AccountBalanceResponse) },
    ...errorResponses(
      "AUTHENTICATION_REQUIRED",
      "ROLE_NOT_PERMITTED",
      "LEDGER_ACCOUNT_NOT_FOUND",
      "LEDGER_ESTABLISHMENT_DIMENSION",
    ),
  },
});

const getEntry = createRoute({
  method: "get",
  path: "/v1/ledger/entries/{entryId}",
  tags: ["Ledger"],
  summary: "One journal entry with its lines",
  security: sessionSecurity,
  request: { params: EntryIdParams },
  responses: {
    200: { description: "Entry", ...jsonContent(JournalEntryResponse) },
    ...errorResponses("AUTHENTICATION_REQUIRED", "ROLE_NOT_PERMITTED", "LEDGER_ENTRY_NOT_FOUND"),
  },
});

const postAdjustment = createRoute({
  method: "post",
  path: "/v1/ledger/adjustments",
  tags: ["Ledger"],
  summary: "Post a manual adjusting entry (agency admin). Idempotent by the Idempotency-Key header.",
  security: sessionSecurity,
  request: { headers: IdempotencyKeyHeader, body: { required: true, ...jsonContent(AdjustmentBody) } },
  responses: {
    200: {
      description: "The same key and body were posted before: the original entry",
      ...jsonContent(JournalEntryResponse),
    },
    201: { description: "Posted", ...jsonContent(JournalEntryResponse) },
    ...errorResponses(
      "AUTHENTICATION_REQUIRED",
      "ROLE_NOT_PERMITTED",
      "LEDGER_ENTRY_UNBALANCED",
      "LEDGER_ACCOUNT_UNKNOWN",
      "LEDGER_ESTABLISHMENT_DIMENSION",
      "IDEMPOTENCY_KEY_REUSED",
    ),
  },
});

const reverseEntry = createRoute({
  method: "post",
  path: "/v1/ledger/entries/{entryId}/reversal",
  tags: ["Ledger"],
  summary: "Reverse an entry (agency admin): a new entry with every line negated",
  security: sessionSecurity,
  request: { params: EntryIdParams, body: { required: true, ...jsonContent(ReversalBody) } },
  responses: {
    200: {
      description: "Reversed before with the same reason and date: the reversing entry",
      ...jsonContent(JournalEntryResponse),
    },
    201: { description: "Reversed", ...jsonContent(JournalEntryResponse) },
    ...errorResponses(
      "AUTHENTICATION_REQUIRED",
      "ROLE_NOT_PERMITTED",
      "LEDGER_ENTRY_NOT_FOUND",
      "LEDGER_ENTRY_ALREADY_REVERSED",
    ),
  },
});

export function toJournalEntryResponse(entry: StoredJournalEntry) {
  return {
    ...entry,
    effectiveDate: entry.effectiveDate.toString(),
    recordedAt: entry.recordedAt.toISOString(),
    lines: entry.lines.map(({ amount, ...line }) => ({
      ...line,
      debit: (amount.isPositive() ? amount : Money.zero).toString(),
      credit: (amount.isNegative() ? amount.negate() : Money.zero).toString(),
    })),
  };
}

export function ledgerRoutes(deps: {
  ledger: LedgerService;
  auth: AuthService;
  clock: Clock;
  idempotency: MiddlewareHandler<AppEnv>;
}) {
  const { ledger, auth, clock } = deps;
  const app = createRouter();
  const readers = requireStaff(auth, ["ACCOUNTANT", "AGENCY_ADMIN"]);
  app.use("/v1/ledger/*", async (c, next) =>
    c.req.method === "GET" ? readers(c, next) : requireStaff(auth, ["AGENCY_ADMIN"])(c, next),
  );
  app.use("/v1/ledger/*", deps.idempotency);

  return app
    .openapi(listAccounts, async (c) => c.json({ accounts: await ledger.listAccounts() }, 200))
    .openapi(accountBalance, async (c) => {
      const query = c.req.valid("query");
      const asOf = query.asOf ? BusinessDate.parse(query.asOf) : BusinessDate.fromInstant(clock.now());
      const { accountCode, balance } = await ledger.accountBalance(
        c.req.valid("param").code,
        asOf,
        query.establishmentId,
      );
      return c.json(
        {
          accountCode,
          ...(query.establishmentId === undefined ? {} : { establishmentId: query.establishmentId }),
          asOf: asOf.toString(),
          balance: balance.toString(),
          debit: (balance.isPositive() ? balance : Money.zero).toString(),
          credit: (balance.isNegative() ? balance.negate() : Money.zero).toString(),
        },
        200,
      );
    })
    .openapi(getEntry, async (c) =>
      c.json(toJournalEntryResponse(await ledger.getEntry(c.req.valid("param").entryId)), 200),
    )
    .openapi(postAdjustment, async (c) => {
      const body = c.req.valid("json");
      const key = c.req.valid("header")["idempotency-key"];
      const draft: JournalEntryDraft = {
        idempotencyKey: `adjustment:${key}`,
        sourceType: "ADJUSTMENT",
        sourceId: key,
        entryCode: "MANUAL_ADJUSTMENT",
        description: body.description,
        effectiveDate: BusinessDate.parse(body.effectiveDate),
        lines: body.lines.map((line) => ({
          accountCode: line.accountCode as LedgerAccountCode,
          amount: line.debit !== undefined ? Money.sar(line.debit) : Money.sar(line.credit ?? "0").negate(),
          ...(line.establishmentId === undefined ? {} : { establishmentId: line.establishmentId }),
        })),
      };
      const result = await ledger.postAdjustment(draft);
      const entry = toJournalEntryResponse(await ledger.getEntry(result.entryId));
      return result.status === "posted" ? c.json(entry, 201) : c.json(entry, 200);
    })
    .openapi(reverseEntry, async (c) => {
      const body = c.req.valid("json");
      const result = await ledger.reverse(c.req.valid("param").entryId, {
        effectiveDate: BusinessDate.parse(body.effectiveDate),
        reason: body.reason,
      });
      const entry = toJournalEntryResponse(await ledger.getEntry(result.entryId));
      return result.status === "posted" ? c.json(entry, 201) : c.json(entry, 200);
    });
}
