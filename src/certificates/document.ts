import { createPdf, drawLine, pdfBuffer, type TextStyle } from "../shared/pdf/document.js";
import { type Branch, type CertificateContent, hijriDate } from "./content.js";

const labels = {
  agency: { ar: "المؤسسة العامة للتأمينات الاجتماعية", en: "Social Insurance Agency (Ishtirak)" },
  title: { ar: "شهادة بيان مدد وأجور مشترك", en: "Certificate of contribution periods and wages" },
  number: { ar: "رقم الشهادة", en: "Certificate number" },
  code: { ar: "رمز التحقق", en: "Verification code" },
  issued: { ar: "تاريخ الإصدار", en: "Issued" },
  hijri: { ar: "التاريخ الهجري", en: "Hijri date" },
  purpose: { ar: "الغرض", en: "Purpose" },
  addressee: { ar: "الجهة الموجهة إليها", en: "Addressed to" },
  name: { ar: "الاسم", en: "Name" },
  idNumber: { ar: "رقم الهوية / الإقامة", en: "ID / iqama number" },
  nationality: { ar: "الجنسية", en: "Nationality" },
  dateOfBirth: { ar: "تاريخ الميلاد", en: "Date of birth" },
  system: { ar: "نظام الاشتراك", en: "Contribution system" },
  periods: { ar: "مدد الاشتراك", en: "Contribution periods" },
  registration: { ar: "رقم المنشأة", en: "Establishment no." },
  from: { ar: "من", en: "From" },
  to: { ar: "إلى", en: "To" },
  active: { ar: "على رأس العمل", en: "active" },
  duration: { ar: "المدة", en: "Duration" },
  months: { ar: "شهر", en: "months" },
  days: { ar: "يوم", en: "days" },
  branches: { ar: "الفروع", en: "Branches" },
  wage: { ar: "الأجر الخاضع للاشتراك", en: "Contributory wage" },
  totals: { ar: "الإجماليات", en: "Totals" },
  insuredMonths: { ar: "إجمالي أشهر الاشتراك", en: "Total contribution months" },
  periodCount: { ar: "عدد المدد", en: "Number of periods" },
  validity: {
    ar: "هذه الشهادة صالحة فقط للغرض الذي صدرت من أجله، ولا يعتد بأي تعديل أو شطب عليها.",
    en: "Valid only for the purpose it was issued for. Any handwritten change voids it.",
  },
  verify: {
    ar: "للتحقق: امسح الرمز أو ادخل رمز التحقق مع رقم الهوية في صفحة التحقق.",
    en: "To verify: scan the code, or enter the verification code with the ID number at",
  },
} as const;

const nationalityNames: Record<string, { ar: string; en: string }> = {
  SAUDI: { ar: "سعودي", en: "Saudi" },
  GCC: { ar: "مواطن خليجي", en: "GCC national" },
  OTHER: { ar: "غير سعودي", en: "Non-Saudi" },
};

const systemNames: Record<string, { ar: string; en: string }> = {
  SAUDI_LEGACY: { ar: "النظام السابق", en: "Legacy system" },
  SAUDI_NEW_2024: { ar: "نظام 2024", en: "2024 law" },
  NON_SAUDI: { ar: "غير السعوديين", en: "Non-Saudi" },
};

const branchNames: Record<Branch, { ar: string; en: string }> = {
  ANNUITIES: { ar: "المعاشات", en: "Annuities" },
  SANED: { ar: "ساند", en: "SANED" },
  OCCUPATIONAL_HAZARDS: { ar: "الأخطار المهنية", en: "Occupational hazards" },
};

const PAGE = { left: 40, right: 555, bottom: 780 } as const;

/**
 * The certificate as an A4 PDF: Arabic on the right, English on the left of each row, a QR code
 * with the verification link. pdfkit with the shared bidi step (stack-probes.md §1), so it
 * renders after `npm ci` alone; set in Amiri, whose text extracts with its dots.
 */
export async function renderCertificatePdf(content: CertificateContent, verificationUrl: string): Promise<Buffer> {
  const pdf = await createPdf({
    title: `${labels.title.en} ${content.number}`,
    subject: labels.title.en,
    typeface: "amiri",
  });
  const done = pdfBuffer(pdf);
  // Loaded with the first certificate, not at start-up (see loadPdfKit).
  const { default: QRCode } = await import("qrcode");
  const qr = await QRCode.toBuffer(verificationUrl, { type: "png", margin: 1, width: 180, errorCorrectionLevel: "M" });
  let y = 40;

  const line = (
    text: string,
    align: "left" | "right" | "center",
    style: TextStyle = {},
    box: { left: number; right: number } = PAGE,
  ) => drawLine(pdf, text, { left: box.left, right: box.right, y, align }, style);
  const ensureRoom = (height: number) => {
    if (y + height > PAGE.bottom) {
      pdf.addPage();
      y = 40;
    }
  };
  /** English label and value on the left, Arabic label and value on the right. */
  const row = (label: { ar: string; en: string }, valueAr: string, valueEn = valueAr) => {
    ensureRoom(18);
    line(`${label.en}: ${valueEn}`, "left", { direction: "ltr" }, { ...PAGE, right: 300 });
    line(`${label.ar}: ${valueAr}`, "right", {}, { ...PAGE, left: 300 });
    y += 17;
  };

  pdf.image(qr, PAGE.left, y, { width: 90 });
  line(labels.agency.ar, "right", { size: 13, bold: true });
  y += 20;
  line(labels.agency.en, "right", { size: 10, direction: "ltr" });
  y += 40;
  line(labels.title.ar, "center", { size: 17, bold: true }, { ...PAGE, left: 140 });
  y += 26;
  line(labels.title.en, "center", { size: 12, direction: "ltr" }, { ...PAGE, left: 140 });
  y += 34;

  const issued = new Date(content.issuedAt);
  const issuedText = `${content.issuedAt.slice(0, 10)} ${new Intl.DateTimeFormat("en-GB", {
    hour: "2-digit",
    minute: "2-digit",
    timeZone: "Asia/Riyadh",
  }).format(issued)}`;
  row(labels.number, content.number);
  row(labels.code, content.verificationCode);
  row(labels.issued, issuedText);
  row(labels.hijri, hijriDate(issued, "ar"), content.issuedOnHijri);
  if (content.purpose) row(labels.purpose, content.purpose);
  if (content.addressee) row(labels.addressee, content.addressee);
  y += 8;
  const holder = content.holder;
  row(labels.name, holder.name);
  row(labels.idNumber, holder.idNumber);
  const nationality = nationalityNames[holder.nationality] ?? { ar: holder.nationality, en: holder.nationality };
  row(labels.nationality, nationality.ar, nationality.en);
  row(labels.dateOfBirth, holder.dateOfBirth);
  const system = systemNames[holder.contributionSystem] ?? {
    ar: holder.contributionSystem,
    en: holder.contributionSystem,
  };
  row(labels.system, system.ar, system.en);

  y += 12;
  ensureRoom(30);
  line(labels.periods.ar, "right", { size: 13, bold: true });
  line(labels.periods.en, "left", { size: 11, bold: true, direction: "ltr" });
  y += 24;
  for (const period of content.periods) {
    ensureRoom(60 + 16 * period.wages.length);
    pdf
      .moveTo(PAGE.left, y - 4)
      .lineTo(PAGE.right, y - 4)
      .lineWidth(0.5)
      .strokeColor("#999999")
      .stroke();
    line(`${period.establishment.nameAr} (${period.establishment.registrationNumber})`, "right", { bold: true });
    line(
      `${period.establishment.nameEn} (${labels.registration.en} ${period.establishment.registrationNumber})`,
      "left",
      {
        direction: "ltr",
      },
    );
    y += 17;
    const end = period.endDate ?? labels.active.ar;
    const endEn = period.endDate ?? labels.active.en;
    row(
      labels.duration,
      `${labels.from.ar} ${period.startDate} ${labels.to.ar} ${end} — ${period.fullMonths} ${labels.months.ar} ${period.partMonthDays} ${labels.days.ar}`,
      `${period.startDate} to ${endEn}, ${period.fullMonths} ${labels.months.en} ${period.partMonthDays} ${labels.days.en}`,
    );
    row(
      labels.branches,
      period.branches.map((branch) => branchNames[branch].ar).join("، "),
      period.branches.map((branch) => branchNames[branch].en).join(", "),
    );
    for (const wage of period.wages) {
      row(
        labels.wage,
        `${wage.contributoryWage} ريال من ${wage.effectiveMonth}`,
        `${wage.contributoryWage} SAR from ${wage.effectiveMonth}`,
      );
    }
    y += 8;
  }

  y += 6;
  ensureRoom(90);
  line(labels.totals.ar, "right", { size: 13, bold: true });
  line(labels.totals.en, "left", { size: 11, bold: true, direction: "ltr" });
  y += 24;
  row(labels.insuredMonths, String(content.totals.insuredMonths));
  row(labels.periodCount, String(content.totals.periods));

  y += 16;
  ensureRoom(70);
  line(labels.validity.ar, "right", { size: 9 });
  y += 15;
  line(labels.validity.en, "left", { size: 8, direction: "ltr" });
  y += 15;
  line(labels.verify.ar, "right", { size: 9 });
  y += 15;
  line(`${labels.verify.en} ${verificationUrl}`, "left", { size: 8, direction: "ltr" });
  pdf.end();
  return done;
}
