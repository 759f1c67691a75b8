import { luhnCheckDigit } from "../../src/shared/identifiers.js";

let sequence = 0;

/** A fresh Luhn-valid national ID (1…) or iqama (2…), unique within the test process. */
export function newIdNumber(kind: "NATIONAL_ID" | "IQAMA"): string {
  sequence += 1;
  const nine = `${kind === "NATIONAL_ID" ? "1" : "2"}${String((process.pid * 7919 + sequence) % 100_000_000).padStart(8, "0")}`;
  return `${nine}${luhnCheckDigit(nine)}`;
}
