import { BusinessDate } from "../shared/business-date.js";

export type Nationality = "SAUDI" | "GCC" | "OTHER";
export type Population = "SAUDI_LEGACY" | "SAUDI_NEW_2024" | "NON_SAUDI";

/** The 2024 Social Insurance Law applies to Saudis first insured on or after this day (contributions.md §2.2). */
export const NEW_SYSTEM_FIRST_DAY = BusinessDate.parse("2024-07-03");

/**
 * A person's contribution population, fixed when they first enter the system and never
 * recomputed from a later employer. A Saudi with contribution periods elsewhere before (civil
 * pension, the 2000 law) stays on the legacy rates even if first insured here later.
 * GCC nationals are billed as non-Saudis for now (contributions.md §1, ASSUMED).
 */
export function populationAtFirstEntry(
  nationality: Nationality,
  firstInsuredOn: BusinessDate,
  hasEarlierPeriods: boolean,
): Population {
  if (nationality !== "SAUDI") return "NON_SAUDI";
  return !hasEarlierPeriods && !firstInsuredOn.isBefore(NEW_SYSTEM_FIRST_DAY) ? "SAUDI_NEW_2024" : "SAUDI_LEGACY";
}
