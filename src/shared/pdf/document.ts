import { createRequire } from "node:module";
import type PDFDocument from "pdfkit";
import { visualRuns } from "./bidi-runs.js";

const require = createRequire(import.meta.url);

/**
 * Arabic typefaces from npm (OFL), TTF with Arabic, Latin, digits and punctuation each, so
 * documents render after `npm ci` alone (stack-probes.md §1 compares the fonts tried):
 * - Noto Naskh Arabic lays out fastest (long invoices), but draws dotted letters as a base glyph
 *   plus a dots mark, so text copied or extracted from it loses the dots;
 * - Amiri has a glyph per dotted letter: its text extracts as written (certificates, which are
 *   read back by people and programs), at about 4x the layout time.
 */
const typefaces = {
  naskh: {
    regular: require.resolve("@expo-google-fonts/noto-naskh-arabic/400Regular/NotoNaskhArabic_400Regular.ttf"),
    bold: require.resolve("@expo-google-fonts/noto-naskh-arabic/700Bold/NotoNaskhArabic_700Bold.ttf"),
  },
  amiri: {
    regular: require.resolve("@expo-google-fonts/amiri/400Regular/Amiri_400Regular.ttf"),
    bold: require.resolve("@expo-google-fonts/amiri/700Bold/Amiri_700Bold.ttf"),
  },
} as const;

export type Pdf = InstanceType<typeof PDFDocument>;

/**
 * pdfkit and its font machinery weigh about 20 MB of memory: they load with the first document,
 * not at start-up, so a process that never renders one (an export worker, say) never holds them.
 */
let pdfKit: Promise<typeof PDFDocument> | undefined;
const loadPdfKit = () => {
  pdfKit ??= import("pdfkit").then((module) => module.default);
  return pdfKit;
};

export async function createPdf(info: {
  title: string;
  subject: string;
  typeface?: keyof typeof typefaces;
}): Promise<Pdf> {
  const PDFDocument = await loadPdfKit();
  const pdf = new PDFDocument({ size: "A4", margin: 40, info: { Title: info.title, Subject: info.subject } });
  const fonts = typefaces[info.typeface ?? "naskh"];
  pdf.registerFont("regular", fonts.regular);
  pdf.registerFont("bold", fonts.bold);
  pdf.font("regular");
  return pdf;
}

export type TextStyle = { size?: number; bold?: boolean; direction?: "rtl" | "ltr" };

function applyStyle(pdf: Pdf, style: TextStyle) {
  pdf.font(style.bold ? "bold" : "regular").fontSize(style.size ?? 10);
}

/** The width a line takes once shaped, whatever its mix of scripts. */
export function lineWidth(pdf: Pdf, text: string, style: TextStyle = {}): number {
  applyStyle(pdf, style);
  return visualRuns(text, style.direction ?? "rtl").reduce(
    (width, run) => width + pdf.widthOfString(run.text, run.rtl ? { features: [] } : {}),
    0,
  );
}

/**
 * Draws one line so that it ends at `right` (right-aligned), `starts` at `left`
 * (left-aligned) or is centred between them. Arabic is shaped and ordered right to left,
 * numbers and Latin keep their order.
 */
export function drawLine(
  pdf: Pdf,
  text: string,
  box: { left: number; right: number; y: number; align: "left" | "right" | "center" },
  style: TextStyle = {},
): void {
  const width = lineWidth(pdf, text, style);
  let x =
    box.align === "left" ? box.left : box.align === "right" ? box.right - width : (box.left + box.right - width) / 2;
  for (const run of visualRuns(text, style.direction ?? "rtl")) {
    pdf.text(run.text, x, box.y, { lineBreak: false, ...(run.rtl ? { features: [] } : {}) });
    x += pdf.widthOfString(run.text, run.rtl ? { features: [] } : {});
  }
}

/** Collects the document into one buffer (small documents) once `pdf.end()` is called. */
export function pdfBuffer(pdf: Pdf): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    pdf.on("data", (chunk: Buffer) => chunks.push(chunk));
    pdf.on("end", () => resolve(Buffer.concat(chunks)));
    pdf.on("error", reject);
  });
}
