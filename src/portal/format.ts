import type { Locale } from "./i18n.js";

/**
 * Locale formatting for the portal's pages. Arabic pages use Arabic-Indic digits and the
 * Arabic SAR sign (ar-SA), English pages Western digits; amounts arrive as the API's decimal
 * strings and Intl formats those strings exactly (no conversion through a float).
 */
const tags: Record<Locale, string> = { ar: "ar-SA", en: "en-GB" };

const moneyFormats = new Map<Locale, Intl.NumberFormat>();
const numberFormats = new Map<Locale, Intl.NumberFormat>();

function moneyFormat(locale: Locale): Intl.NumberFormat {
  let format = moneyFormats.get(locale);
  if (!format) {
    format = new Intl.NumberFormat(tags[locale], {
      style: "currency",
      currency: "SAR",
      minimumFractionDigits: 2,
      maximumFractionDigits: 2,
    });
    moneyFormats.set(locale, format);
  }
  return format;
}

/** "1234.50" → "١٬٢٣٤٫٥٠ ر.س.‏" (ar) or "SAR 1,234.50" (en), digit for digit. */
export function formatMoney(locale: Locale, amount: string): string {
  // Intl.NumberFormat formats decimal strings exactly; the cast is for TypeScript's older lib types.
  return moneyFormat(locale).format(amount as unknown as number);
}

export function formatNumber(locale: Locale, value: number): string {
  let format = numberFormats.get(locale);
  if (!format) {
    format = new Intl.NumberFormat(tags[locale]);
    numberFormats.set(locale, format);
  }
  return format.format(value);
}

function utcDate(isoDate: string): Date {
  return new Date(`${isoDate.slice(0, 10)}T00:00:00Z`);
}

/** A business date (YYYY-MM-DD) in the Gregorian calendar, as the agency prints it. */
export function formatDate(locale: Locale, isoDate: string): string {
  return new Intl.DateTimeFormat(`${tags[locale]}-u-ca-gregory`, {
    day: "numeric",
    month: "long",
    year: "numeric",
    timeZone: "UTC",
  }).format(utcDate(isoDate));
}

/** The same day in the Umm al-Qura calendar, which the agency shows beside the Gregorian date. */
export function formatHijriDate(locale: Locale, isoDate: string): string {
  return new Intl.DateTimeFormat(`${tags[locale]}-u-ca-islamic-umalqura`, {
    day: "numeric",
    month: "long",
    year: "numeric",
    timeZone: "UTC",
  }).format(utcDate(isoDate));
}

/** A contribution month (YYYY-MM): "أكتوبر ٢٠٢٦" or "October 2026". */
export function formatMonth(locale: Locale, month: string): string {
  return new Intl.DateTimeFormat(`${tags[locale]}-u-ca-gregory`, {
    month: "long",
    year: "numeric",
    timeZone: "UTC",
  }).format(utcDate(`${month}-01`));
}

/** An instant in Riyadh time, for "recorded at" columns. */
export function formatInstant(locale: Locale, iso: string): string {
  return new Intl.DateTimeFormat(`${tags[locale]}-u-ca-gregory`, {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: "Asia/Riyadh",
  }).format(new Date(iso));
}
