import type { PrismaClient } from "../../src/shared/db/database.js";
import { luhnCheckDigit } from "../../src/shared/identifiers.js";

let sequence = 0;

/** A fresh Luhn-valid national ID (1…) or iqama (2…), unique within the test process. */
export function newIdNumber(kind: "NATIONAL_ID" | "IQAMA"): string {
  sequence += 1;
  const nine = `${kind === "NATIONAL_ID" ? "1" : "2"}${String((process.pid * 7919 + sequence) % 100_000_000).padStart(8, "0")}`;
  return `${nine}${luhnCheckDigit(nine)}`;
}

/** The person registered under this ID number (tests: fails when there is none). */
export async function subscriberNumbered(db: PrismaClient, idNumber: string) {
  return db.subscriber.findUniqueOrThrow({ where: { identifierNumber: idNumber } });
}

/** The ids of every employment of the person registered under this ID number. */
export async function employmentIdsOf(db: PrismaClient, idNumber: string): Promise<string[]> {
  const subscriber = await subscriberNumbered(db, idNumber);
  const employments = await db.employment.findMany({ where: { subscriberId: subscriber.id }, select: { id: true } });
  return employments.map((employment) => employment.id);
}
