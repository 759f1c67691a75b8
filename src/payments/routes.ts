import { createRoute } from "@hono/zod-openapi";
import { html } from "hono/html";
import { requireStaff, staffActor } from "../auth/middleware.js";
import type { AuthService } from "../auth/service.js";
import { establishmentActor } from "../employers/middleware.js";
import { EstablishmentIdParams } from "../employers/schemas.js";
import { InvoiceParams } from "../invoices/schemas.js";
import { BusinessDate } from "../shared/business-date.js";
import type { ErrorCode } from "../shared/errors.js";
import { createRouter, errorResponses, jsonContent, sessionSecurity } from "../shared/http.js";
import { Money } from "../shared/money.js";
import type { Reconciliation } from "./reconciliation.js";
import {
  CreditApplicationResponse,
  PaymentAttemptListQuery,
  PaymentAttemptListResponse,
  PaymentAttemptResponse,
  PaymentListQuery,
  PaymentListResponse,
  ReconciliationBody,
  ReconciliationDifferencesQuery,
  ReconciliationDifferencesResponse,
  ReconciliationParams,
  ReconciliationRunListResponse,
  ReconciliationRunResponse,
  StartPaymentBody,
} from "./schemas.js";
import type { PaymentService } from "./service.js";

const tenantErrors: ErrorCode[] = ["AUTHENTICATION_REQUIRED", "ESTABLISHMENT_NOT_FOUND"];

const startPayment = createRoute({
  method: "post",
  path: "/v1/establishments/{establishmentId}/invoices/{invoiceId}/payments",
  tags: ["Payments"],
  summary: "Start paying an invoice through Stripe: a Checkout URL or a PaymentIntent client secret",
  description:
    "Money is applied to the establishment's open invoices oldest contribution month first, contributions before fines (billing-cycle.md §4), whichever invoice the payment was started from; what is left is a credit balance. Honours Idempotency-Key.",
  security: sessionSecurity,
  request: { params: InvoiceParams, body: { required: false, ...jsonContent(StartPaymentBody) } },
  responses: {
    201: { description: "A new payment attempt", ...jsonContent(PaymentAttemptResponse) },
    200: { description: "An identical attempt that can still be paid", ...jsonContent(PaymentAttemptResponse) },
    ...errorResponses(
      ...tenantErrors,
      "INVOICE_NOT_FOUND",
      "INVOICE_VOID",
      "INVOICE_ALREADY_PAID",
      "PAYMENT_CURRENCY_UNSUPPORTED",
      "PAYMENT_AMOUNT_ABOVE_OUTSTANDING",
      "PAYMENT_PROCESSOR_UNAVAILABLE",
    ),
  },
});

const applyCredit = createRoute({
  method: "post",
  path: "/v1/establishments/{establishmentId}/invoices/{invoiceId}/credit-applications",
  tags: ["Payments"],
  summary: "Apply the establishment's credit balance to its open invoices (oldest month first)",
  security: sessionSecurity,
  request: { params: InvoiceParams },
  responses: {
    200: { description: "What was applied, and the invoice after", ...jsonContent(CreditApplicationResponse) },
    ...errorResponses(
      ...tenantErrors,
      "INVOICE_NOT_FOUND",
      "INVOICE_VOID",
      "INVOICE_ALREADY_PAID",
      "CREDIT_BALANCE_EMPTY",
    ),
  },
});

const listAttempts = createRoute({
  method: "get",
  path: "/v1/establishments/{establishmentId}/payment-attempts",
  tags: ["Payments"],
  summary: "Payments started, newest first, with their status (open, paid, failed, expired)",
  security: sessionSecurity,
  request: { params: EstablishmentIdParams, query: PaymentAttemptListQuery },
  responses: {
    200: { description: "Attempts", ...jsonContent(PaymentAttemptListResponse) },
    ...errorResponses(...tenantErrors, "INVOICE_NOT_FOUND"),
  },
});

const listPayments = createRoute({
  method: "get",
  path: "/v1/establishments/{establishmentId}/payments",
  tags: ["Payments"],
  summary: "Money received (receipts), with refunds and disputes, and the credit balance",
  security: sessionSecurity,
  request: { params: EstablishmentIdParams, query: PaymentListQuery },
  responses: {
    200: { description: "Payments, newest first", ...jsonContent(PaymentListResponse) },
    ...errorResponses(...tenantErrors),
  },
});

const startReconciliation = createRoute({
  method: "post",
  path: "/v1/reconciliation-runs",
  tags: ["Reconciliation"],
  summary: "Compare Stripe's balance transactions for business days with the ledger, now",
  security: sessionSecurity,
  request: { body: { required: true, ...jsonContent(ReconciliationBody) } },
  responses: {
    201: { description: "The comparison and every difference", ...jsonContent(ReconciliationRunResponse) },
    ...errorResponses(
      "AUTHENTICATION_REQUIRED",
      "ROLE_NOT_PERMITTED",
      "DATE_RANGE_REVERSED",
      "DATE_RANGE_TOO_LONG",
      "PAYMENT_PROCESSOR_UNAVAILABLE",
    ),
  },
});

const listReconciliations = createRoute({
  method: "get",
  path: "/v1/reconciliation-runs",
  tags: ["Reconciliation"],
  summary: "Latest reconciliation runs (the daily job's and on request)",
  security: sessionSecurity,
  responses: {
    200: { description: "Runs, newest first", ...jsonContent(ReconciliationRunListResponse) },
    ...errorResponses("AUTHENTICATION_REQUIRED", "ROLE_NOT_PERMITTED"),
  },
});

const getReconciliation = createRoute({
  method: "get",
  path: "/v1/reconciliation-runs/{runId}",
  tags: ["Reconciliation"],
  summary: "One reconciliation run",
  security: sessionSecurity,
  request: { params: ReconciliationParams },
  responses: {
    200: { description: "The run", ...jsonContent(ReconciliationRunResponse) },
    ...errorResponses("AUTHENTICATION_REQUIRED", "ROLE_NOT_PERMITTED", "RECONCILIATION_RUN_NOT_FOUND"),
  },
});

const getReconciliationDifferences = createRoute({
  method: "get",
  path: "/v1/reconciliation-runs/{runId}/differences",
  tags: ["Reconciliation"],
  summary: "A run's differences, a page at a time, in (kind, Stripe id) order",
  security: sessionSecurity,
  request: { params: ReconciliationParams, query: ReconciliationDifferencesQuery },
  responses: {
    200: { description: "A page of differences", ...jsonContent(ReconciliationDifferencesResponse) },
    ...errorResponses(
      "AUTHENTICATION_REQUIRED",
      "ROLE_NOT_PERMITTED",
      "RECONCILIATION_RUN_NOT_FOUND",
      "VALIDATION_FAILED",
    ),
  },
});

type AttemptRow = {
  id: string;
  invoiceId: string;
  method: string;
  amount: { toString(): string };
  currency: string;
  checkoutUrl: string | null;
  clientSecret?: string | null;
  stripeObjectId?: string | null;
  failureMessage: string | null;
  failedAt?: Date | null;
  expiresAt: Date;
  createdAt: Date;
  status?: string;
};

function presentAttempt(attempt: AttemptRow, status: string) {
  return {
    id: attempt.id,
    invoiceId: attempt.invoiceId,
    method: attempt.method as "CHECKOUT" | "PAYMENT_INTENT",
    amount: Money.fromDecimal(attempt.amount).toString(),
    currency: "SAR" as const,
    status: status as "OPEN" | "PAID" | "FAILED" | "EXPIRED",
    checkoutUrl: attempt.checkoutUrl,
    failureMessage: attempt.failureMessage,
    expiresAt: attempt.expiresAt.toISOString(),
    createdAt: attempt.createdAt.toISOString(),
  };
}

function presentReconciliation(run: {
  id: string;
  periodFrom: Date;
  periodTo: Date;
  differenceCount: number;
  differenceCounts: Record<string, number>;
  ranAt: Date;
  ranBy: string;
}) {
  return {
    ...run,
    periodFrom: run.periodFrom.toISOString(),
    periodTo: run.periodTo.toISOString(),
    ranAt: run.ranAt.toISOString(),
  };
}

export function paymentRoutes(deps: { payments: PaymentService; reconciliation: Reconciliation; auth: AuthService }) {
  const { payments, reconciliation, auth } = deps;
  const app = createRouter();
  const readers = requireStaff(auth, ["ACCOUNTANT", "AGENCY_ADMIN"]);
  for (const path of ["/v1/reconciliation-runs", "/v1/reconciliation-runs/*"]) app.use(path, readers);

  // Where Stripe Checkout sends the employer back: the attempt's status, nothing else. While the
  // processor's confirmation is on its way the page refreshes itself every two seconds.
  app.get("/payments/return", async (c) => {
    const attemptId = c.req.query("attempt") ?? "";
    const attempt = /^pat_[0-9a-f]{32}$/.test(attemptId) ? await payments.attemptStatus(attemptId) : undefined;
    const cancelled = c.req.query("cancelled") === "1";
    const status = attempt?.status ?? "UNKNOWN";
    const waiting = !cancelled && status === "OPEN";
    const invoiceLink = attempt ? `/employer/invoices/${encodeURIComponent(attempt.invoiceId)}` : "/employer/invoices";
    return c.html(
      html`<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>الدفع — Payment</title>
<link rel="stylesheet" href="/assets/portal.css">${waiting ? html`<meta http-equiv="refresh" content="2">` : ""}</head>
<body><main><h1>${cancelled ? "أُلغي الدفع — Payment cancelled" : "شكراً — Thank you"}</h1>
<p>حالة الدفع / Payment status: <strong id="status">${status}</strong></p>
<p lang="en" dir="ltr">The invoice shows the payment once Stripe confirms it (a few seconds).</p>
<p><a href="${invoiceLink}">عرض الفاتورة / View the invoice</a></p></main></body></html>`,
      attempt ? 200 : 404,
    );
  });

  return app
    .openapi(startPayment, async (c) => {
      const params = c.req.valid("param");
      const body = c.req.valid("json") ?? { method: "CHECKOUT" as const, currency: "SAR" };
      const { attempt, reused } = await payments.startPayment(
        establishmentActor(c.get("actor")),
        params.establishmentId,
        params.invoiceId,
        {
          method: body.method ?? "CHECKOUT",
          currency: body.currency ?? "SAR",
          amount: body.amount === undefined ? undefined : Money.sar(body.amount),
        },
      );
      return c.json(
        {
          ...presentAttempt(attempt, "OPEN"),
          clientSecret: attempt.clientSecret,
          stripeObjectId: attempt.stripeObjectId,
          reused,
          allocation: "OLDEST_FIRST" as const,
        },
        reused ? 200 : 201,
      );
    })
    .openapi(applyCredit, async (c) => {
      const params = c.req.valid("param");
      const result = await payments.applyCredit(
        establishmentActor(c.get("actor")),
        params.establishmentId,
        params.invoiceId,
      );
      return c.json(
        {
          applied: result.applied.toString(),
          creditBalance: result.creditBalance.toString(),
          invoice: {
            id: result.invoice.id,
            number: result.invoice.number,
            status: result.invoice.status,
            settled: Money.fromDecimal(result.invoice.settled).toString(),
          },
        },
        200,
      );
    })
    .openapi(listAttempts, async (c) => {
      const { establishmentId } = c.req.valid("param");
      const query = c.req.valid("query");
      const rows = await payments.listAttempts(
        establishmentActor(c.get("actor")),
        establishmentId,
        query.invoiceId,
        query.limit,
      );
      return c.json({ attempts: rows.map((row) => presentAttempt(row, row.status)) }, 200);
    })
    .openapi(listPayments, async (c) => {
      const { establishmentId } = c.req.valid("param");
      const query = c.req.valid("query");
      const page = await payments.listPayments(establishmentActor(c.get("actor")), establishmentId, {
        limit: query.limit,
        before: query.cursor,
      });
      return c.json(
        {
          payments: page.items.map((row) => ({
            ...row,
            amount: Money.fromDecimal(row.amount).toString(),
            fee: Money.fromDecimal(row.fee).toString(),
            refunded: Money.fromDecimal(row.refunded).toString(),
            disputed: Money.fromDecimal(row.disputed).toString(),
            disputeStatus: row.disputeStatus as "OPEN" | "WON" | "LOST" | null,
            receivedAt: row.receivedAt.toISOString(),
            receivedOn: BusinessDate.fromDateColumn(row.receivedOn).toString(),
          })),
          creditBalance: page.creditBalance.toString(),
          nextCursor: page.nextCursor,
        },
        200,
      );
    })
    .openapi(startReconciliation, async (c) => {
      const body = c.req.valid("json");
      const run = await reconciliation.run(
        { from: BusinessDate.parse(body.from), to: BusinessDate.parse(body.to) },
        `staff:${staffActor(c.get("actor")).staffUserId}`,
      );
      return c.json(presentReconciliation(run), 201);
    })
    .openapi(listReconciliations, async (c) =>
      c.json({ runs: (await reconciliation.list(20)).map(presentReconciliation) }, 200),
    )
    .openapi(getReconciliation, async (c) =>
      c.json(presentReconciliation(await reconciliation.find(c.req.valid("param").runId)), 200),
    )
    .openapi(getReconciliationDifferences, async (c) => {
      const query = c.req.valid("query");
      const page = await reconciliation.differences(c.req.valid("param").runId, {
        kind: query.kind,
        after: query.cursor,
        limit: query.limit,
      });
      return c.json(page, 200);
    });
}
