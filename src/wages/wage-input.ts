import { AppError } from "../shared/errors.js";
import { Money } from "../shared/money.js";

/** Wage components as a client sends them: amounts as text, checked here with precise codes. */
export type WageInput = {
  basic: string;
  housing: string;
  otherAllowances?: string | undefined;
  housingInKind?: boolean | undefined;
};

export function parseAmount(text: string, field: string): Money {
  if (!/^-?\d{1,16}(\.\d+)?$/.test(text)) {
    throw new AppError("VALIDATION_FAILED", `${field} is not an amount`, [{ path: field, message: "not an amount" }]);
  }
  if ((text.split(".")[1]?.length ?? 0) > 2) {
    throw new AppError("AMOUNT_PRECISION_EXCEEDED", `${field} has more than two decimals`, [
      { path: field, message: "halalas at most" },
    ]);
  }
  const amount = Money.sar(text);
  if (amount.isNegative())
    throw new AppError("WAGE_NEGATIVE", `${field} is negative`, [{ path: field, message: "negative" }]);
  return amount;
}

export function parseWage(input: WageInput, path: string) {
  return {
    basic: parseAmount(input.basic, `${path}.basic`),
    housing: parseAmount(input.housing, `${path}.housing`),
    otherAllowances: parseAmount(input.otherAllowances ?? "0", `${path}.otherAllowances`),
    housingInKind: input.housingInKind ?? false,
  };
}
