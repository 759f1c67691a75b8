import type { Population } from "../generated/prisma/enums.js";

/** The Hijri (Umm al-Qura) date the agency prints beside the Gregorian one, in Latin digits. */
export function hijriDate(instant: Date, language: "ar" | "en"): string {
  const locale = language === "ar" ? "ar-SA-u-ca-islamic-umalqura-nu-latn" : "en-u-ca-islamic-umalqura";
  return new Intl.DateTimeFormat(locale, {
    year: "numeric",
    month: "long",
    day: "numeric",
    timeZone: "Asia/Riyadh",
  }).format(instant);
}

export type Branch = "ANNUITIES" | "SANED" | "OCCUPATIONAL_HAZARDS";

/** Saudis are covered by all three branches; non-Saudis by occupational hazards only (contributions.md §2). */
export function branchesCovered(population: Population): Branch[] {
  return population === "NON_SAUDI" ? ["OCCUPATIONAL_HAZARDS"] : ["ANNUITIES", "SANED", "OCCUPATIONAL_HAZARDS"];
}

/** What a certificate says (portal.md §6), frozen at issue: the signature covers exactly this, as JSON. */
export type CertificateContent = {
  version: 1;
  number: string;
  verificationCode: string;
  issuedAt: string;
  issuedOnHijri: string;
  purpose: string | null;
  addressee: string | null;
  holder: {
    name: string;
    idNumber: string;
    idKind: "NATIONAL_ID" | "IQAMA";
    nationality: string;
    dateOfBirth: string;
    contributionSystem: Population;
  };
  periods: {
    establishment: { nameAr: string; nameEn: string; registrationNumber: string };
    startDate: string;
    endDate: string | null;
    wages: { effectiveMonth: string; contributoryWage: string }[];
    branches: Branch[];
    fullMonths: number;
    partMonthDays: number;
  }[];
  totals: { insuredMonths: number; periods: number };
};
