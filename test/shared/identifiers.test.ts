import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  luhnCheckDigit,
  normaliseDigits,
  parseCommercialRegistration,
  parsePersonIdentifier,
  parseSaudiMobile,
  parseUnifiedNumber,
  passesLuhn,
} from "../../src/shared/identifiers.js";

describe("national ID and iqama (identifiers.md §1)", () => {
  it.each([
    ["1000000008", "NATIONAL_ID"],
    ["1111111116", "NATIONAL_ID"],
    ["1234567897", "NATIONAL_ID"],
    ["1098765439", "NATIONAL_ID"],
    ["2000000006", "IQAMA"],
    ["2123456788", "IQAMA"],
    ["2456789011", "IQAMA"],
    ["2876543212", "IQAMA"],
  ])("accepts %s as %s", (input, kind) => {
    expect(parsePersonIdentifier(input)).toEqual({ kind, value: input });
  });

  it("accepts Eastern Arabic digits, spaces and dashes, and stores ASCII", () => {
    expect(parsePersonIdentifier("١٠٠٠٠٠٠٠٠٨")).toEqual({ kind: "NATIONAL_ID", value: "1000000008" });
    expect(parsePersonIdentifier("1000-000 008")).toEqual({ kind: "NATIONAL_ID", value: "1000000008" });
  });

  it.each([
    ["1000000000", "ID_CHECK_DIGIT_INVALID"],
    ["1234567890", "ID_CHECK_DIGIT_INVALID"],
    ["2123456786", "ID_CHECK_DIGIT_INVALID"],
    ["2123456787", "ID_CHECK_DIGIT_INVALID"],
    ["3000000004", "ID_TYPE_UNKNOWN"],
    ["100000008", "ID_FORMAT_INVALID"],
    ["1000000O08", "ID_FORMAT_INVALID"],
    ["", "ID_FORMAT_INVALID"],
  ])("refuses %s with %s", (input, problem) => {
    expect(parsePersonIdentifier(input)).toEqual({ problem });
  });

  it("the left-positions rule in the notes equals standard Luhn on 10 digits (property)", () => {
    const byNotes = (digits: string) => {
      let sum = 0;
      for (let position = 1; position <= 10; position += 1) {
        let digit = Number(digits[position - 1]);
        if (position % 2 === 1) {
          digit *= 2;
          if (digit > 9) digit -= 9;
        }
        sum += digit;
      }
      return sum % 10 === 0;
    };
    fc.assert(
      fc.property(fc.stringMatching(/^\d{10}$/), (digits) => {
        expect(passesLuhn(digits)).toBe(byNotes(digits));
      }),
    );
  });

  it("every generated ID with a computed check digit is valid, and changing that digit breaks it (property)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("1", "2"),
        fc.stringMatching(/^\d{8}$/),
        fc.integer({ min: 1, max: 9 }),
        (first, middle, shift) => {
          const nine = `${first}${middle}`;
          const check = luhnCheckDigit(nine);
          expect(parsePersonIdentifier(`${nine}${check}`)).toMatchObject({ value: `${nine}${check}` });
          const wrong = String((Number(check) + shift) % 10);
          expect(parsePersonIdentifier(`${nine}${wrong}`)).toEqual({ problem: "ID_CHECK_DIGIT_INVALID" });
        },
      ),
    );
  });
});

describe("mobile numbers (identifiers.md §2)", () => {
  it.each([
    ["0501234567", "+966501234567"],
    ["+966501234567", "+966501234567"],
    ["00966 55 123 4567", "+966551234567"],
    ["966581234567", "+966581234567"],
    ["0591234567", "+966591234567"],
    ["٠٥٠١٢٣٤٥٦٧", "+966501234567"],
  ])("normalises %s to %s", (input, normalised) => {
    expect(parseSaudiMobile(input)).toBe(normalised);
  });

  it.each(["0521234567", "050123456", "05012345678", "+966 11 234 5678", "abc"])("refuses %s", (input) => {
    expect(parseSaudiMobile(input)).toBeUndefined();
  });
});

describe("establishment numbers (identifiers.md §4, §5)", () => {
  it("validates commercial registrations and unified numbers by format", () => {
    expect(parseCommercialRegistration("1010123456")).toBe("1010123456");
    expect(parseCommercialRegistration("101012345")).toBeUndefined();
    expect(parseUnifiedNumber("7001234567")).toBe("7001234567");
    expect(parseUnifiedNumber("700123456")).toBeUndefined();
    expect(parseUnifiedNumber("1010123456")).toBeUndefined();
  });

  it("normalises digits only", () => {
    expect(normaliseDigits("۱۲۳ ٤٥-٦")).toBe("123456");
  });
});
