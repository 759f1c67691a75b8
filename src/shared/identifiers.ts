/**
 * Saudi identifiers, per ../shared/domain/identifiers.md. Input may use Eastern Arabic digits
 * (٠–٩) and contain spaces or dashes; everything is normalised to ASCII digits before checks
 * and stored normalised.
 */

export type IdentifierProblem =
  /** Not 10 digits once normalised. */
  | "ID_FORMAT_INVALID"
  /** 10 digits, but the first is neither 1 (national ID) nor 2 (iqama). */
  | "ID_TYPE_UNKNOWN"
  /** The 10th digit does not satisfy the Luhn check. */
  | "ID_CHECK_DIGIT_INVALID";

export type PersonIdentifierKind = "NATIONAL_ID" | "IQAMA";
export type PersonIdentifier = { kind: PersonIdentifierKind; value: string };

const EASTERN_ARABIC_ZERO = 0x0660;
const EXTENDED_ARABIC_ZERO = 0x06f0;

/** Eastern Arabic (and Persian) digits to ASCII; spaces and dashes removed. */
export function normaliseDigits(input: string): string {
  let output = "";
  for (const character of input) {
    const code = character.codePointAt(0) ?? 0;
    if (code >= EASTERN_ARABIC_ZERO && code <= EASTERN_ARABIC_ZERO + 9) output += String(code - EASTERN_ARABIC_ZERO);
    else if (code >= EXTENDED_ARABIC_ZERO && code <= EXTENDED_ARABIC_ZERO + 9)
      output += String(code - EXTENDED_ARABIC_ZERO);
    else if (character !== " " && character !== "-" && character !== "\u00a0") output += character;
  }
  return output;
}

/** Standard Luhn over a digit string: valid when the weighted sum is a multiple of 10. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) {
    let digit = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** The digit that completes nine digits into a Luhn-valid ten (test data generators use it). */
export function luhnCheckDigit(firstNine: string): string {
  for (let digit = 0; digit <= 9; digit += 1) {
    if (passesLuhn(`${firstNine}${digit}`)) return String(digit);
  }
  throw new Error("unreachable: one of ten digits always completes a Luhn number");
}

export function parsePersonIdentifier(input: string): PersonIdentifier | { problem: IdentifierProblem } {
  const value = normaliseDigits(input);
  if (!/^\d{10}$/.test(value)) return { problem: "ID_FORMAT_INVALID" };
  if (value[0] !== "1" && value[0] !== "2") return { problem: "ID_TYPE_UNKNOWN" };
  if (!passesLuhn(value)) return { problem: "ID_CHECK_DIGIT_INVALID" };
  return { kind: value[0] === "1" ? "NATIONAL_ID" : "IQAMA", value };
}

/**
 * A Saudi mobile number in E.164 (+9665XXXXXXXX), or undefined. Accepts 05…, 9665…, 009665…,
 * +9665…; the operator block after 5 may not be 2 (identifiers.md §2, ASSUMED from validators).
 */
export function parseSaudiMobile(input: string): string | undefined {
  const digits = normaliseDigits(input).replace(/^\+/, "");
  const match = /^(?:00966|966|0)(5[013456789]\d{7})$/.exec(digits);
  return match ? `+966${match[1]}` : undefined;
}

/** Commercial registration: 10 digits, no public check digit (identifiers.md §4, ASSUMED). */
export function parseCommercialRegistration(input: string): string | undefined {
  const value = normaliseDigits(input);
  return /^\d{10}$/.test(value) ? value : undefined;
}

/** Unified national number ("700 number"): 10 digits starting with 7 (identifiers.md §5). */
export function parseUnifiedNumber(input: string): string | undefined {
  const value = normaliseDigits(input);
  return /^7\d{9}$/.test(value) ? value : undefined;
}
