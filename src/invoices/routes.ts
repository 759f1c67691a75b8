import { Readable } from "node:stream";
import { createRoute } from "@hono/zod-openapi";
import { requireStaff, staffActor } from "../auth/middleware.js";
import type { AuthService } from "../auth/service.js";
import { establishmentActor } from "../employers/middleware.js";
import { EstablishmentIdParams } from "../employers/schemas.js";
import { presentLateFine } from "../fines/presentation.js";
import { ContributionMonth } from "../shared/contribution-month.js";
import type { ErrorCode } from "../shared/errors.js";
import { createRouter, errorResponses, jsonContent, sessionSecurity } from "../shared/http.js";
import { invoiceHtml, invoicePdf } from "./document.js";
import { presentInvoice, presentInvoiceLine } from "./presentation.js";
import {
  CreditNoteResponse,
  InvoiceDetailResponse,
  InvoiceDocumentQuery,
  InvoiceLinesQuery,
  InvoiceLinesResponse,
  InvoiceListQuery,
  InvoiceListResponse,
  InvoiceParams,
  VoidInvoiceBody,
  VoidInvoiceParams,
} from "./schemas.js";
import type { InvoiceService } from "./service.js";

const tenantErrors: ErrorCode[] = ["AUTHENTICATION_REQUIRED", "ESTABLISHMENT_NOT_FOUND"];

const listInvoices = createRoute({
  method: "get",
  path: "/v1/establishments/{establishmentId}/invoices",
  tags: ["Invoices"],
  summary: "The establishment's invoices, latest month first, filtered by month and status (cursor pages)",
  security: sessionSecurity,
  request: { params: EstablishmentIdParams, query: InvoiceListQuery },
  responses: {
    200: { description: "A page", ...jsonContent(InvoiceListResponse) },
    ...errorResponses(...tenantErrors),
  },
});

const getInvoice = createRoute({
  method: "get",
  path: "/v1/establishments/{establishmentId}/invoices/{invoiceId}",
  tags: ["Invoices"],
  summary: "One invoice: totals, per-branch summary, settlement and late fines",
  security: sessionSecurity,
  request: { params: InvoiceParams },
  responses: {
    200: { description: "Invoice", ...jsonContent(InvoiceDetailResponse) },
    ...errorResponses(...tenantErrors, "INVOICE_NOT_FOUND"),
  },
});

const invoiceLines = createRoute({
  method: "get",
  path: "/v1/establishments/{establishmentId}/invoices/{invoiceId}/lines",
  tags: ["Invoices"],
  summary: "An invoice's lines, one per employee and month, a page at a time",
  security: sessionSecurity,
  request: { params: InvoiceParams, query: InvoiceLinesQuery },
  responses: {
    200: { description: "A page of lines", ...jsonContent(InvoiceLinesResponse) },
    ...errorResponses(...tenantErrors, "INVOICE_NOT_FOUND"),
  },
});

const invoiceDocument = createRoute({
  method: "get",
  path: "/v1/establishments/{establishmentId}/invoices/{invoiceId}/document",
  tags: ["Invoices"],
  summary: "The invoice to print: HTML (default) or PDF, in Arabic and English",
  security: sessionSecurity,
  request: { params: InvoiceParams, query: InvoiceDocumentQuery },
  responses: {
    200: {
      description: "The document, streamed",
      content: {
        "text/html": { schema: { type: "string" } },
        "application/pdf": { schema: { type: "string", format: "binary" } },
      },
    },
    ...errorResponses(...tenantErrors, "INVOICE_NOT_FOUND"),
  },
});

const voidInvoice = createRoute({
  method: "post",
  path: "/v1/invoices/{invoiceId}/void",
  tags: ["Invoices"],
  summary:
    "Void an invoice with a credit note (agency admin): its posting is reversed and the next run re-bills its months",
  security: sessionSecurity,
  request: { params: VoidInvoiceParams, body: { required: true, ...jsonContent(VoidInvoiceBody) } },
  responses: {
    201: { description: "Voided", ...jsonContent(CreditNoteResponse) },
    ...errorResponses(
      "AUTHENTICATION_REQUIRED",
      "ROLE_NOT_PERMITTED",
      "INVOICE_NOT_FOUND",
      "INVOICE_ALREADY_VOID",
      "INVOICE_HAS_SETTLEMENTS",
      "INVOICE_HAS_FINES",
    ),
  },
});

export function invoiceRoutes(invoices: InvoiceService, auth: AuthService) {
  const app = createRouter();
  app.use("/v1/invoices/*", requireStaff(auth, ["AGENCY_ADMIN"]));
  return app
    .openapi(voidInvoice, async (c) => {
      const credit = await invoices.voidInvoice(
        staffActor(c.get("actor")),
        c.req.valid("param").invoiceId,
        c.req.valid("json").reason,
      );
      return c.json({ ...credit, voidedAt: credit.voidedAt.toISOString() }, 201);
    })
    .openapi(listInvoices, async (c) => {
      const { establishmentId } = c.req.valid("param");
      const query = c.req.valid("query");
      const page = await invoices.listInvoices(establishmentActor(c.get("actor")), establishmentId, {
        month: query.month ? ContributionMonth.parse(query.month) : undefined,
        status: query.status,
        cursor: query.cursor,
        limit: query.limit,
      });
      return c.json({ invoices: page.items.map(presentInvoice), nextCursor: page.nextCursor }, 200);
    })
    .openapi(getInvoice, async (c) => {
      const { establishmentId, invoiceId } = c.req.valid("param");
      const { invoice, fines } = await invoices.getInvoice(
        establishmentActor(c.get("actor")),
        establishmentId,
        invoiceId,
      );
      return c.json({ ...presentInvoice(invoice), fines: fines.map(presentLateFine) }, 200);
    })
    .openapi(invoiceLines, async (c) => {
      const { establishmentId, invoiceId } = c.req.valid("param");
      const page = await invoices.invoiceLines(
        establishmentActor(c.get("actor")),
        establishmentId,
        invoiceId,
        c.req.valid("query"),
      );
      return c.json({ lines: page.items.map(presentInvoiceLine), nextCursor: page.nextCursor }, 200);
    })
    .openapi(invoiceDocument, async (c) => {
      const { establishmentId, invoiceId } = c.req.valid("param");
      const { establishment, invoice, linePages } = await invoices.invoiceDocument(
        establishmentActor(c.get("actor")),
        establishmentId,
        invoiceId,
      );
      if (c.req.valid("query").format === "pdf") {
        const pdf = await invoicePdf(establishment, invoice, linePages);
        return new Response(Readable.toWeb(pdf) as ReadableStream, {
          status: 200,
          headers: {
            "content-type": "application/pdf",
            "content-disposition": `inline; filename="${invoice.number}.pdf"`,
          },
        });
      }
      const encoder = new TextEncoder();
      const chunks = invoiceHtml(establishment, invoice, linePages);
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const next = await chunks.next();
          if (next.done) controller.close();
          else controller.enqueue(encoder.encode(next.value));
        },
        async cancel() {
          await chunks.return(undefined);
        },
      });
      return new Response(body, { status: 200, headers: { "content-type": "text/html; charset=utf-8" } });
    });
}
