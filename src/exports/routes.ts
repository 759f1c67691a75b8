import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { requireStaff } from "../auth/middleware.js";
import type { AuthService } from "../auth/service.js";
import { BusinessDate } from "../shared/business-date.js";
import type { Clock } from "../shared/clock.js";
import { type AppEnv, createRouter, errorResponses, sessionSecurity } from "../shared/http.js";
import { GeneralLedgerQuery, JournalExportQuery, TrialBalanceQuery, TrialBalanceResponse } from "./schemas.js";
import type { ExportService, TextExport } from "./service.js";

const streamed = (description: string) => ({
  description,
  content: {
    "text/csv": { schema: { type: "string" as const } },
    "application/jsonl": { schema: { type: "string" as const } },
  },
});

const journalExport = createRoute({
  method: "get",
  path: "/v1/exports/journal",
  tags: ["Exports"],
  summary: "The journal for a date range, streamed; the last row or line carries the totals",
  security: sessionSecurity,
  request: { query: JournalExportQuery },
  responses: {
    200: streamed("Journal lines in (date, entry, line) order"),
    ...errorResponses("AUTHENTICATION_REQUIRED", "ROLE_NOT_PERMITTED", "DATE_RANGE_REVERSED", "DATE_RANGE_TOO_LONG"),
  },
});

const trialBalance = createRoute({
  method: "get",
  path: "/v1/exports/trial-balance",
  tags: ["Exports"],
  summary: "Trial balance as of a date: total debits equal total credits to the halala",
  security: sessionSecurity,
  request: { query: TrialBalanceQuery },
  responses: {
    200: {
      description: "Balances by account",
      content: { "application/json": { schema: TrialBalanceResponse }, "text/csv": { schema: { type: "string" } } },
    },
    ...errorResponses("AUTHENTICATION_REQUIRED", "ROLE_NOT_PERMITTED"),
  },
});

const generalLedger = createRoute({
  method: "get",
  path: "/v1/exports/general-ledger",
  tags: ["Exports"],
  summary: "One account's lines for a range, with opening, running and closing balances, streamed",
  security: sessionSecurity,
  request: { query: GeneralLedgerQuery },
  responses: {
    200: streamed("Opening balance, lines with running balance, closing balance, totals"),
    ...errorResponses(
      "AUTHENTICATION_REQUIRED",
      "ROLE_NOT_PERMITTED",
      "LEDGER_ACCOUNT_NOT_FOUND",
      "LEDGER_ESTABLISHMENT_DIMENSION",
      "DATE_RANGE_REVERSED",
      "DATE_RANGE_TOO_LONG",
    ),
  },
});

/** Pulls the next chunk only when the client has taken the last one: memory stays flat. */
function streamText(c: Context<AppEnv>, file: TextExport): Response {
  const encoder = new TextEncoder();
  const chunks = file.body[Symbol.asyncIterator]();
  const logger = c.get("logger");
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(typeof next.value === "string" ? encoder.encode(next.value) : next.value);
      } catch (error) {
        logger.error({ err: error }, "export failed mid-stream");
        controller.error(error);
      }
    },
    async cancel() {
      await chunks.return?.(undefined);
    },
  });
  return new Response(body, {
    status: 200,
    headers: {
      "content-type": file.contentType,
      "content-disposition": `attachment; filename="${file.filename}"`,
      "cache-control": "no-store",
      "x-request-id": c.get("requestId"),
    },
  });
}

export function exportRoutes(deps: { exports: ExportService; auth: AuthService; clock: Clock }) {
  const { exports, auth, clock } = deps;
  const app = createRouter();
  app.use("/v1/exports/*", requireStaff(auth, ["ACCOUNTANT", "AGENCY_ADMIN"]));
  return app
    .openapi(journalExport, async (c) => streamText(c, exports.journal(c.req.valid("query"))))
    .openapi(trialBalance, async (c) => {
      const query = c.req.valid("query");
      const asOf = query.asOf ? BusinessDate.parse(query.asOf) : BusinessDate.fromInstant(clock.now());
      const balance = await exports.trialBalance(asOf);
      if (query.format === "csv") {
        return c.body(exports.trialBalanceCsv(balance), 200, {
          "content-type": "text/csv; charset=utf-8",
          "content-disposition": `attachment; filename="trial-balance-${asOf.toString()}.csv"`,
        });
      }
      return c.json(
        {
          asOf: asOf.toString(),
          accounts: balance.rows.map((row) => ({
            code: row.code,
            name: row.name,
            type: row.type,
            debit: row.debit.toString(),
            credit: row.credit.toString(),
            balance: row.balance.toString(),
          })),
          totals: { debit: balance.totalDebit.toString(), credit: balance.totalCredit.toString() },
        },
        200,
      );
    })
    .openapi(generalLedger, async (c) => {
      const query = c.req.valid("query");
      const input = {
        accountCode: query.accountCode,
        from: query.from,
        to: query.to,
        format: query.format,
        ...(query.establishmentId === undefined ? {} : { establishmentId: query.establishmentId }),
      };
      return streamText(c, exports.generalLedger(input));
    });
}
