import { v7 as uuidv7 } from "uuid";

/**
 * Public identifiers carry a type prefix ("je_", "stf_", ...) so one seen in a log or a
 * support ticket says what it names. The rest is a UUIDv7 in hex: time-ordered, so new rows
 * land at the end of their index instead of all over it.
 */
export type IdPrefix =
  | "je"
  | "stf"
  | "ses"
  | "est"
  | "eu"
  | "key"
  | "sub"
  | "emp"
  | "wg"
  | "run"
  | "inv"
  | "fine"
  | "pat"
  | "pay"
  | "rfd"
  | "dsp"
  | "pbt"
  | "pout"
  | "alc"
  | "rec"
  | "msg"
  | "sua"
  | "reg"
  | "otp"
  | "cap"
  | "crt";

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${uuidv7().replaceAll("-", "")}`;
}
