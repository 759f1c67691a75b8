import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hire, invoiceLines, invoicesOf, runBilling } from "../support/billing.js";
import {
  bearer,
  buildTestApp,
  expectError,
  registerEstablishment,
  requestJson,
  signInStaff,
  type TestContext,
} from "../support/test-app.js";

const run = promisify(execFile);
let context: TestContext;
let employer: Awaited<ReturnType<typeof registerEstablishment>>;
let other: Awaited<ReturnType<typeof registerEstablishment>>;
let invoice: Awaited<ReturnType<typeof invoicesOf>>["invoices"][number];
let idNumbers: string[];

beforeAll(async () => {
  context = await buildTestApp();
  const admin = (await signInStaff(context, "AGENCY_ADMIN")).token;
  employer = await registerEstablishment(context, { nameAr: "شركة <الاختبار> للتجارة", nameEn: "Test & Trading <Co>" });
  other = await registerEstablishment(context);
  idNumbers = [];
  // Enough lines for several PDF pages.
  for (let index = 0; index < 90; index++) {
    const hired = await hire(context, employer, {
      nationality: index % 3 === 0 ? "OTHER" : "SAUDI",
      startDate: index % 10 === 0 ? "2026-10-20" : "2026-09-01",
      basic: `${4000 + index * 10}.00`,
      housing: "1000.00",
    });
    idNumbers.push(hired.idNumber);
  }
  await runBilling(context, admin, "2026-10");
  [invoice] = (await invoicesOf(context, employer)).invoices as [typeof invoice];
});
afterAll(() => context.close());

const documentOf = (format: string, who = employer, invoiceId = invoice.id) =>
  context.app.request(`/v1/establishments/${who.establishment.id}/invoices/${invoiceId}/document?format=${format}`, {
    headers: bearer(who.token),
  });

describe("the printable invoice", () => {
  it("is HTML, right to left, in Arabic and English, with every line and the totals, escaped", async () => {
    const response = await documentOf("html");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await response.text();
    expect(html).toContain('<html lang="ar" dir="rtl">');
    expect(html).toContain("فاتورة الاشتراكات الشهرية");
    expect(html).toContain("Monthly contribution invoice");
    expect(html).toContain(invoice.number);
    expect(html).toContain(invoice.totals.contributions);
    expect(html).toContain("شركة &#60;الاختبار&#62; للتجارة");
    expect(html).not.toContain("<Co>");
    for (const idNumber of idNumbers) expect(html).toContain(idNumber);
    const lines = await invoiceLines(context, employer, invoice.id);
    expect(html.match(/<tr><td>\d+<\/td>/g)).toHaveLength(lines.length);
  });

  it("is a PDF with the Arabic font embedded", async () => {
    const response = await documentOf("pdf");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/pdf");
    expect(response.headers.get("content-disposition")).toContain(`${invoice.number}.pdf`);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.subarray(0, 5).toString()).toBe("%PDF-");
    expect(bytes.toString("latin1")).toContain("NotoNaskhArabic");
    expect(bytes.subarray(-6).toString()).toContain("%%EOF");
  });

  it("answers 404 for another establishment's invoice, and for an unknown one", async () => {
    const foreign = await requestJson(
      context.app,
      "GET",
      `/v1/establishments/${other.establishment.id}/invoices/${invoice.id}/document`,
      undefined,
      bearer(other.token),
    );
    expectError(foreign, 404, "INVOICE_NOT_FOUND");
    expect((await documentOf("pdf", employer, "inv_unknown")).status).toBe(404);
    expect((await documentOf("docx")).status).toBe(400);
  });
});

/** poppler-utils is installed by .ci/run; without it a developer's `npm test` skips this part. */
const hasPoppler = await run("pdftotext", ["-v"]).then(
  () => true,
  () => false,
);

describe.runIf(hasPoppler || process.env.CI === "true")("the PDF read back with poppler", () => {
  it("holds the invoice number, every ID number and the totals, on pages that render", async () => {
    const directory = await mkdtemp(join(tmpdir(), "ishtirak-invoice-"));
    try {
      const file = join(directory, "invoice.pdf");
      await writeFile(file, Buffer.from(await (await documentOf("pdf")).arrayBuffer()));
      const { stdout: text } = await run("pdftotext", ["-layout", file, "-"]);
      expect(text).toContain(invoice.number);
      expect(text).toContain(`${invoice.totals.contributions} SAR`);
      expect(text).toContain("Monthly contribution invoice");
      for (const idNumber of idNumbers) expect(text).toContain(idNumber);
      const { stdout: info } = await run("pdfinfo", [file]);
      expect(Number(/Pages:\s+(\d+)/.exec(info)?.[1])).toBeGreaterThanOrEqual(2);
      await run("pdftoppm", ["-png", "-r", "30", "-f", "1", "-l", "1", file, join(directory, "page")]);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
