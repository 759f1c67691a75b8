import type { EstablishmentRecord } from "../employers/repository.js";
import { createPdf, drawLine, type Pdf, type TextStyle } from "../shared/pdf/document.js";
import type { presentInvoice, presentInvoiceLine } from "./presentation.js";

export type InvoiceView = ReturnType<typeof presentInvoice>;
export type InvoiceLineView = ReturnType<typeof presentInvoiceLine>;

/** What the printed invoice says, in both languages; labels in one place for HTML and PDF. */
const labels = {
  title: { ar: "فاتورة الاشتراكات الشهرية", en: "Monthly contribution invoice" },
  number: { ar: "رقم الفاتورة", en: "Invoice number" },
  month: { ar: "شهر الاشتراك", en: "Contribution month" },
  issueDate: { ar: "تاريخ الإصدار", en: "Issue date" },
  dueDate: { ar: "تاريخ الاستحقاق", en: "Due date" },
  establishment: { ar: "رقم المنشأة", en: "Establishment number" },
  status: { ar: "الحالة", en: "Status" },
  branch: { ar: "الفرع", en: "Branch" },
  employer: { ar: "حصة صاحب العمل", en: "Employer share" },
  employee: { ar: "حصة المشترك", en: "Employee share" },
  total: { ar: "الإجمالي", en: "Total" },
  contributions: { ar: "إجمالي الاشتراكات", en: "Contributions" },
  adjustments: { ar: "منها تسويات أشهر سابقة", en: "of which corrections of earlier months" },
  fines: { ar: "غرامات التأخير", en: "Late-payment fines" },
  settled: { ar: "المسدد", en: "Paid" },
  outstanding: { ar: "المتبقي", en: "Outstanding" },
  lines: { ar: "تفاصيل المشتركين", en: "Lines by subscriber" },
  idNumber: { ar: "رقم الهوية", en: "ID number" },
  name: { ar: "الاسم", en: "Name" },
  days: { ar: "الأيام", en: "Days" },
  wage: { ar: "الأجر الخاضع", en: "Contributory wage" },
  kind: { ar: "النوع", en: "Kind" },
} as const;

const branchNames = {
  ANNUITIES: { ar: "المعاشات", en: "Annuities" },
  SANED: { ar: "ساند", en: "SANED" },
  OCCUPATIONAL_HAZARDS: { ar: "الأخطار المهنية", en: "Occupational hazards" },
} as const;

const statusNames = {
  OPEN: { ar: "مفتوحة", en: "Open" },
  PARTIALLY_PAID: { ar: "مسددة جزئيا", en: "Partially paid" },
  PAID: { ar: "مسددة", en: "Paid" },
  OVERDUE: { ar: "متأخرة", en: "Overdue" },
  VOID: { ar: "ملغاة بإشعار دائن", en: "Void (credit note)" },
} as const;

const kindNames = {
  CONTRIBUTION: { ar: "اشتراك", en: "Contribution" },
  ADJUSTMENT: { ar: "تسوية", en: "Correction" },
} as const;

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
const both = (label: { ar: string; en: string }) =>
  `<span lang="ar">${escapeHtml(label.ar)}</span> <span lang="en" dir="ltr">${escapeHtml(label.en)}</span>`;
const number = (text: string | number) => `<bdi dir="ltr">${escapeHtml(String(text))}</bdi>`;

/**
 * The printable invoice as HTML (right to left, Arabic and English side by side), streamed:
 * the lines arrive a page at a time, so an invoice of tens of thousands of lines is never held
 * whole in memory.
 */
export async function* invoiceHtml(
  establishment: EstablishmentRecord,
  invoice: InvoiceView,
  linePages: AsyncIterable<InvoiceLineView[]>,
): AsyncGenerator<string> {
  const info: [{ ar: string; en: string }, string][] = [
    [labels.number, invoice.number],
    [labels.month, invoice.month],
    [labels.issueDate, invoice.issueDate],
    [labels.dueDate, invoice.dueDate],
    [labels.establishment, String(establishment.registrationNumber)],
  ];
  yield `<!doctype html>
<html lang="ar" dir="rtl">
<head>
<meta charset="utf-8">
<title>${escapeHtml(invoice.number)}</title>
<style>
  body { font-family: "Noto Naskh Arabic", "Amiri", "Segoe UI", sans-serif; margin: 2rem; color: #111; }
  h1 { font-size: 1.4rem; margin: 0 0 .25rem; } h2 { font-size: 1.1rem; margin-top: 1.5rem; }
  span[lang=en] { color: #555; font-size: .85em; } table { border-collapse: collapse; width: 100%; margin-top: .5rem; }
  th, td { border: 1px solid #bbb; padding: .25rem .5rem; text-align: start; } td.amount { text-align: end; }
  @media print { body { margin: 0; } thead { display: table-header-group; } }
</style>
</head>
<body>
<h1>${both(labels.title)}</h1>
<p>${escapeHtml(establishment.nameAr)} · <span lang="en" dir="ltr">${escapeHtml(establishment.nameEn)}</span></p>
<table><tbody>
${info.map(([label, value]) => `<tr><th>${both(label)}</th><td>${number(value)}</td></tr>`).join("\n")}
<tr><th>${both(labels.status)}</th><td>${both(statusNames[invoice.status])}</td></tr>
</tbody></table>
<table><thead><tr><th>${both(labels.branch)}</th><th>${both(labels.employer)}</th><th>${both(labels.employee)}</th><th>${both(labels.total)}</th></tr></thead><tbody>
${invoice.branches
  .map(
    (branch) =>
      `<tr><td>${both(branchNames[branch.branch])}</td><td class="amount">${number(branch.employer)}</td><td class="amount">${number(branch.employee)}</td><td class="amount">${number(branch.total)}</td></tr>`,
  )
  .join("\n")}
</tbody></table>
<table><tbody>
<tr><th>${both(labels.contributions)}</th><td class="amount">${number(invoice.totals.contributions)}</td></tr>
<tr><th>${both(labels.adjustments)}</th><td class="amount">${number(invoice.totals.adjustments)}</td></tr>
<tr><th>${both(labels.fines)}</th><td class="amount">${number(invoice.totals.finesAssessed)}</td></tr>
<tr><th>${both(labels.settled)}</th><td class="amount">${number(invoice.totals.settled)}</td></tr>
<tr><th>${both(labels.outstanding)}</th><td class="amount"><strong>${number(invoice.totals.outstanding)} SAR</strong></td></tr>
</tbody></table>
<h2>${both(labels.lines)}</h2>
<table><thead><tr><th>#</th><th>${both(labels.idNumber)}</th><th>${both(labels.name)}</th><th>${both(labels.kind)}</th><th>${both(labels.month)}</th><th>${both(labels.days)}</th><th>${both(labels.wage)}</th><th>${both(labels.employer)}</th><th>${both(labels.employee)}</th><th>${both(labels.total)}</th></tr></thead><tbody>
`;
  for await (const page of linePages) {
    yield page
      .map(
        (line) =>
          `<tr><td>${line.lineNumber}</td><td>${number(line.idNumber)}</td><td>${escapeHtml(line.name)}</td><td>${both(kindNames[line.kind])}</td><td>${number(line.month)}</td><td>${line.daysInService}</td><td class="amount">${number(line.contributoryWage)}</td><td class="amount">${number(line.employerTotal)}</td><td class="amount">${number(line.employeeTotal)}</td><td class="amount">${number(line.total)}</td></tr>\n`,
      )
      .join("");
  }
  yield "</tbody></table>\n</body>\n</html>\n";
}

const PAGE = { left: 40, right: 555, top: 40, bottom: 800 };
const ROW = 16;

/** Columns of the lines table, right to left as the page reads; widths in points. */
const lineColumns: { label: { ar: string; en: string }; width: number; value: (line: InvoiceLineView) => string }[] = [
  { label: { ar: "#", en: "#" }, width: 28, value: (line) => String(line.lineNumber) },
  { label: labels.idNumber, width: 62, value: (line) => line.idNumber },
  { label: labels.name, width: 110, value: (line) => line.name },
  { label: { ar: "الشهر", en: "Month" }, width: 44, value: (line) => line.month },
  { label: labels.days, width: 30, value: (line) => String(line.daysInService) },
  { label: labels.wage, width: 62, value: (line) => line.contributoryWage },
  { label: labels.employer, width: 60, value: (line) => line.employerTotal },
  { label: labels.employee, width: 60, value: (line) => line.employeeTotal },
  { label: labels.total, width: 59, value: (line) => line.total },
];

/**
 * The same invoice as a PDF (pdfkit, Noto Naskh Arabic from npm, a bidi step of our own),
 * written to the returned document as it goes: pipe it to the response and call nothing else.
 */
export async function invoicePdf(
  establishment: EstablishmentRecord,
  invoice: InvoiceView,
  linePages: AsyncIterable<InvoiceLineView[]>,
): Promise<Pdf> {
  const pdf = await createPdf({ title: invoice.number, subject: `${labels.title.en} ${invoice.month}` });
  const line = (text: string, y: number, align: "left" | "right" | "center", style: TextStyle = {}) =>
    drawLine(pdf, text, { left: PAGE.left, right: PAGE.right, y, align }, style);
  let y = PAGE.top;
  line(labels.title.ar, y, "right", { size: 16, bold: true });
  line(labels.title.en, y + 2, "left", { size: 13, bold: true, direction: "ltr" });
  y += 28;
  line(establishment.nameAr, y, "right", { size: 11 });
  line(establishment.nameEn, y, "left", { size: 11, direction: "ltr" });
  y += 24;

  const pair = (label: { ar: string; en: string }, value: string, style: TextStyle = {}) => {
    line(label.ar, y, "right");
    line(label.en, y, "left", { direction: "ltr" });
    line(value, y, "center", { direction: "ltr", ...style });
    y += ROW;
  };
  pair(labels.number, invoice.number, { bold: true });
  pair(labels.month, invoice.month);
  pair(labels.issueDate, invoice.issueDate);
  pair(labels.dueDate, invoice.dueDate);
  pair(labels.establishment, String(establishment.registrationNumber));
  line(statusNames[invoice.status].ar, y, "center");
  line(labels.status.ar, y, "right");
  line(`${labels.status.en}: ${statusNames[invoice.status].en}`, y, "left", { direction: "ltr" });
  y += ROW * 1.5;

  // Branch summary: branch on the right, then employer, employee, total towards the left.
  const amountColumns = [PAGE.right - 200, PAGE.right - 300, PAGE.right - 400, PAGE.right - 515];
  const summaryRow = (cells: string[], style: TextStyle = {}) => {
    line(cells[0] ?? "", y, "right", style);
    cells.slice(1).forEach((cell, index) => {
      const right = amountColumns[index] ?? PAGE.left;
      drawLine(pdf, cell, { left: right - 95, right, y, align: "right" }, { direction: "ltr", ...style });
    });
    y += ROW;
  };
  summaryRow([labels.branch.ar, labels.employer.en, labels.employee.en, labels.total.en], { bold: true, size: 9 });
  for (const branch of invoice.branches) {
    summaryRow([
      `${branchNames[branch.branch].ar} / ${branchNames[branch.branch].en}`,
      branch.employer,
      branch.employee,
      branch.total,
    ]);
  }
  y += ROW / 2;
  pair(labels.contributions, `${invoice.totals.contributions} SAR`);
  pair(labels.adjustments, `${invoice.totals.adjustments} SAR`);
  pair(labels.fines, `${invoice.totals.finesAssessed} SAR`);
  pair(labels.settled, `${invoice.totals.settled} SAR`);
  pair(labels.outstanding, `${invoice.totals.outstanding} SAR`, { bold: true });
  y += ROW;

  const tableHeader = () => {
    let right = PAGE.right;
    for (const column of lineColumns) {
      drawLine(pdf, column.label.ar, { left: right - column.width, right, y, align: "right" }, { size: 7, bold: true });
      drawLine(
        pdf,
        column.label.en,
        { left: right - column.width, right, y: y + 9, align: "right" },
        {
          size: 6,
          direction: "ltr",
        },
      );
      right -= column.width;
    }
    y += ROW + 6;
  };
  line(`${labels.lines.ar} / ${labels.lines.en}`, y, "right", { bold: true, size: 11 });
  y += ROW + 2;
  tableHeader();

  (async () => {
    for await (const page of linePages) {
      for (const invoiceLine of page) {
        if (y > PAGE.bottom) {
          pdf.addPage();
          y = PAGE.top;
          tableHeader();
        }
        let right = PAGE.right;
        for (const column of lineColumns) {
          drawLine(
            pdf,
            column.value(invoiceLine),
            { left: right - column.width, right: right - 2, y, align: "right" },
            {
              size: 7,
              direction: column.label === labels.name ? "rtl" : "ltr",
            },
          );
          right -= column.width;
        }
        y += 11;
      }
    }
    pdf.end();
  })().catch((error: unknown) => pdf.emit("error", error));
  return pdf;
}
