import { type Nationality, type Population, populationAtFirstEntry } from "../../employers/population.js";
import { BusinessDate } from "../../shared/business-date.js";
import { ContributionMonth } from "../../shared/contribution-month.js";
import { AppError, type ErrorCode } from "../../shared/errors.js";
import { parsePersonIdentifier } from "../../shared/identifiers.js";
import { parseAmount } from "../../wages/wage-input.js";
import { retroactiveMonthsMax, wageMonthsAheadMax } from "../limits.js";

/** One row of an upload as it arrives: CSV cells or JSON Lines values, all optional. */
export type RawUploadRow = Record<string, unknown>;

/** A row that passed every check that needs no database, ready for the staging table. */
export type StagedRow = {
  line: number;
  idNumber: string;
  identifierKind: "NATIONAL_ID" | "IQAMA";
  nationality: Nationality;
  gccCountry: string | null;
  name: string;
  dateOfBirth: string;
  occupation: string;
  startDate: string;
  firstInsuredOn: string;
  population: Population;
  effectiveMonth: string;
  basic: string;
  housing: string;
  otherAllowances: string;
  housingInKind: boolean;
  correctionReason: string | null;
};

export type RowError = { code: ErrorCode; field?: string; message: string };

export const uploadColumns = [
  "idNumber",
  "nationality",
  "gccCountry",
  "name",
  "dateOfBirth",
  "occupation",
  "startDate",
  "basic",
  "housing",
  "otherAllowances",
  "housingInKind",
  "effectiveMonth",
  "correctionReason",
  "firstInsuredOn",
  "hasEarlierContributionPeriods",
] as const;

const knownColumns: ReadonlySet<string> = new Set<string>(uploadColumns);

/** The columns a row cannot do without (the others have defaults or apply to some rows only). */
const requiredColumns = ["idNumber", "nationality", "name", "dateOfBirth", "occupation", "startDate", "basic"];

/**
 * Problems with a CSV header: a required column missing, a column repeated, or one that is not an
 * upload column. A misspelt column would otherwise be dropped without a word, and a wage upload
 * whose housing column was misnamed would bill every row without its housing allowance.
 */
export function uploadHeaderProblems(header: readonly string[]): { path: string; message: string }[] {
  const seen = new Set<string>();
  const problems: { path: string; message: string }[] = [];
  for (const column of header) {
    if (!knownColumns.has(column)) problems.push({ path: "header", message: `unknown column "${column}"` });
    else if (seen.has(column)) problems.push({ path: "header", message: `column "${column}" appears twice` });
    seen.add(column);
  }
  for (const column of requiredColumns) {
    if (!seen.has(column)) problems.push({ path: "header", message: `column "${column}" is missing` });
  }
  return problems;
}

/** The longest texts the single-employee endpoint takes (schemas.ts). */
const textLimits: Record<string, number> = { name: 200, occupation: 200, correctionReason: 500 };

const NATIONALITIES = new Set(["SAUDI", "GCC", "OTHER"]);
const GCC_COUNTRIES = new Set(["KW", "BH", "OM", "QA", "AE"]);

function text(raw: RawUploadRow, field: string): string | undefined {
  const value = raw[field];
  if (value === undefined || value === null) return undefined;
  const trimmed = String(value).trim();
  return trimmed === "" ? undefined : trimmed;
}

function flag(raw: RawUploadRow, field: string): boolean | "invalid" {
  const value = raw[field];
  if (value === undefined || value === null || value === "") return false;
  if (value === true || value === "true" || value === "1") return true;
  if (value === false || value === "false" || value === "0") return false;
  return "invalid";
}

/**
 * Checks a row the way the single-employee endpoint does, collecting every problem instead
 * of stopping at the first, so the uploader can fix a file in one pass.
 */
export function validateUploadRow(
  raw: RawUploadRow,
  line: number,
  currentMonth: ContributionMonth,
): StagedRow | RowError[] {
  const errors: RowError[] = [];
  // A CSV's columns were checked once, in its header; a JSON Lines row names its own. A misnamed
  // field would otherwise be dropped without a word (a housing allowance billed as nothing).
  for (const field of Object.keys(raw)) {
    if (!knownColumns.has(field))
      errors.push({ code: "VALIDATION_FAILED", field, message: `unknown field "${field}"` });
  }
  const limited = (field: string, value: string | undefined): string | undefined => {
    const limit = textLimits[field];
    if (value !== undefined && limit !== undefined && value.length > limit) {
      errors.push({ code: "VALIDATION_FAILED", field, message: `${field} is at most ${limit} characters` });
    }
    return value;
  };
  const required = (field: string): string | undefined => {
    const value = text(raw, field);
    if (value === undefined) errors.push({ code: "VALIDATION_FAILED", field, message: `${field} is required` });
    return limited(field, value);
  };
  const date = (field: string, value: string | undefined): BusinessDate | undefined => {
    if (value === undefined) return undefined;
    try {
      return BusinessDate.parse(value);
    } catch {
      errors.push({ code: "VALIDATION_FAILED", field, message: `${field} is not a date (YYYY-MM-DD)` });
      return undefined;
    }
  };
  const amount = (field: string, fallback?: string): string | undefined => {
    const value = text(raw, field) ?? fallback;
    if (value === undefined) {
      errors.push({ code: "VALIDATION_FAILED", field, message: `${field} is required` });
      return undefined;
    }
    try {
      return parseAmount(value, field).toString();
    } catch (error) {
      if (error instanceof AppError) errors.push({ code: error.code, field, message: error.message });
      return undefined;
    }
  };

  const idText = required("idNumber");
  const nationality = required("nationality");
  const identifier = idText === undefined ? undefined : parsePersonIdentifier(idText);
  if (identifier && "problem" in identifier)
    errors.push({ code: identifier.problem, field: "idNumber", message: "not a valid national ID or iqama" });
  if (nationality !== undefined && !NATIONALITIES.has(nationality)) {
    errors.push({ code: "VALIDATION_FAILED", field: "nationality", message: "SAUDI, GCC or OTHER" });
  }
  const kind = identifier && !("problem" in identifier) ? identifier.kind : undefined;
  if (nationality === "SAUDI" && kind === "IQAMA")
    errors.push({ code: "IQAMA_GIVEN_FOR_SAUDI", field: "idNumber", message: "a Saudi has a national ID" });
  if (nationality && nationality !== "SAUDI" && kind === "NATIONAL_ID") {
    errors.push({ code: "NATIONAL_ID_GIVEN_FOR_NON_SAUDI", field: "idNumber", message: "a non-Saudi has an iqama" });
  }
  const gccCountry = text(raw, "gccCountry");
  if (nationality === "GCC" && (gccCountry === undefined || !GCC_COUNTRIES.has(gccCountry))) {
    errors.push({
      code: "VALIDATION_FAILED",
      field: "gccCountry",
      message: "a GCC national needs KW, BH, OM, QA or AE",
    });
  }
  const name = required("name");
  const occupation = required("occupation");
  const dateOfBirth = date("dateOfBirth", required("dateOfBirth"));
  const startDate = date("startDate", required("startDate"));
  const firstInsuredOn = date("firstInsuredOn", text(raw, "firstInsuredOn")) ?? startDate;
  if (startDate) {
    const startMonth = ContributionMonth.containing(startDate);
    if (startMonth.isBefore(currentMonth.plusMonths(-retroactiveMonthsMax))) {
      errors.push({
        code: "START_DATE_TOO_FAR_BACK",
        field: "startDate",
        message: `at most ${retroactiveMonthsMax} months back`,
      });
    }
    if (startDate.isAfter(currentMonth.lastDay()))
      errors.push({ code: "START_DATE_IN_FUTURE", field: "startDate", message: "after this month" });
  }
  let effectiveMonth = currentMonth;
  const monthText = text(raw, "effectiveMonth");
  if (monthText !== undefined) {
    try {
      effectiveMonth = ContributionMonth.parse(monthText);
      if (
        effectiveMonth.isBefore(currentMonth.plusMonths(-retroactiveMonthsMax)) ||
        effectiveMonth.isAfter(currentMonth.plusMonths(wageMonthsAheadMax))
      ) {
        errors.push({
          code: "WAGE_MONTH_OUT_OF_RANGE",
          field: "effectiveMonth",
          message: "outside the months a wage may be recorded for",
        });
      }
    } catch {
      errors.push({ code: "VALIDATION_FAILED", field: "effectiveMonth", message: "a month as YYYY-MM" });
    }
  }
  const correctionReason = limited("correctionReason", text(raw, "correctionReason")) ?? null;
  const basic = amount("basic");
  const housing = amount("housing", "0");
  const otherAllowances = amount("otherAllowances", "0");
  const housingInKind = flag(raw, "housingInKind");
  const hasEarlierPeriods = flag(raw, "hasEarlierContributionPeriods");
  if (housingInKind === "invalid")
    errors.push({ code: "VALIDATION_FAILED", field: "housingInKind", message: "true or false" });
  if (hasEarlierPeriods === "invalid")
    errors.push({ code: "VALIDATION_FAILED", field: "hasEarlierContributionPeriods", message: "true or false" });

  if (
    errors.length > 0 ||
    kind === undefined ||
    idText === undefined ||
    !dateOfBirth ||
    !startDate ||
    !firstInsuredOn ||
    name === undefined ||
    occupation === undefined ||
    basic === undefined ||
    housing === undefined ||
    otherAllowances === undefined ||
    housingInKind === "invalid" ||
    hasEarlierPeriods === "invalid"
  ) {
    return errors;
  }
  const validNationality = nationality as Nationality;
  return {
    line,
    idNumber: (identifier as { value: string }).value,
    identifierKind: kind,
    nationality: validNationality,
    gccCountry: validNationality === "GCC" ? (gccCountry ?? null) : null,
    name,
    dateOfBirth: dateOfBirth.toString(),
    occupation,
    startDate: startDate.toString(),
    firstInsuredOn: firstInsuredOn.toString(),
    population: populationAtFirstEntry(validNationality, firstInsuredOn, hasEarlierPeriods),
    effectiveMonth: effectiveMonth.firstDay().toString(),
    basic,
    housing,
    otherAllowances,
    housingInKind,
    correctionReason,
  };
}
