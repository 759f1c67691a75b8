/**
 * The closed chart of accounts. The migration seeds the same rows into ledger_accounts and a
 * test keeps the two equal; a posting to any other code is refused before it reaches SQL.
 * Names are hledger account paths so the plain-text export needs no mapping.
 *
 * Accounts with an establishment dimension are control accounts: one account, each line
 * naming the establishment, so a receivable can be read per establishment or in total.
 */
export type LedgerAccountType = "ASSET" | "LIABILITY" | "INCOME" | "EXPENSE";

export type LedgerAccountDefinition = {
  name: string;
  type: LedgerAccountType;
  description: string;
  hasEstablishmentDimension: boolean;
};

export const chartOfAccounts = {
  RECEIVABLE_CONTRIBUTIONS: {
    name: "assets:receivable:contributions",
    type: "ASSET",
    description: "Contributions invoiced to an establishment and not yet paid",
    hasEstablishmentDimension: true,
  },
  RECEIVABLE_FINES: {
    name: "assets:receivable:fines",
    type: "ASSET",
    description: "Late-payment fines assessed on an establishment and not yet paid",
    hasEstablishmentDimension: true,
  },
  PROCESSOR_CASH: {
    name: "assets:processor:stripe",
    type: "ASSET",
    description: "Cash held at the payment processor, not yet paid out",
    hasEstablishmentDimension: false,
  },
  BANK: {
    name: "assets:bank",
    type: "ASSET",
    description: "The agency's bank account, credited by processor payouts",
    hasEstablishmentDimension: false,
  },
  DISPUTED_FUNDS: {
    name: "assets:disputed",
    type: "ASSET",
    description: "Amounts the processor withheld for open disputes",
    hasEstablishmentDimension: false,
  },
  UNAPPLIED_PAYMENTS: {
    name: "liabilities:unapplied-payments",
    type: "LIABILITY",
    description: "Money received from an establishment and not applied to an invoice: its credit balance",
    hasEstablishmentDimension: true,
  },
  REFUNDS_PAYABLE: {
    name: "liabilities:refunds-payable",
    type: "LIABILITY",
    description: "Refunds granted to an establishment and not yet paid out by the processor",
    hasEstablishmentDimension: true,
  },
  CONTRIBUTIONS_ANNUITIES_EMPLOYER: {
    name: "income:contributions:annuities:employer",
    type: "INCOME",
    description: "Annuities branch, employer share",
    hasEstablishmentDimension: false,
  },
  CONTRIBUTIONS_ANNUITIES_EMPLOYEE: {
    name: "income:contributions:annuities:employee",
    type: "INCOME",
    description: "Annuities branch, employee share (deducted from pay)",
    hasEstablishmentDimension: false,
  },
  CONTRIBUTIONS_SANED_EMPLOYER: {
    name: "income:contributions:saned:employer",
    type: "INCOME",
    description: "Unemployment insurance (SANED), employer share",
    hasEstablishmentDimension: false,
  },
  CONTRIBUTIONS_SANED_EMPLOYEE: {
    name: "income:contributions:saned:employee",
    type: "INCOME",
    description: "Unemployment insurance (SANED), employee share (deducted from pay)",
    hasEstablishmentDimension: false,
  },
  CONTRIBUTIONS_HAZARDS_EMPLOYER: {
    name: "income:contributions:occupational-hazards:employer",
    type: "INCOME",
    description: "Occupational hazards branch, employer only",
    hasEstablishmentDimension: false,
  },
  FINES_INCOME: {
    name: "income:fines:late-payment",
    type: "INCOME",
    description: "Late-payment fines (2% a month of unpaid contributions)",
    hasEstablishmentDimension: false,
  },
  PROCESSOR_FEES: {
    name: "expenses:processor-fees",
    type: "EXPENSE",
    description: "Fees the payment processor charged, including dispute fees",
    hasEstablishmentDimension: false,
  },
} as const satisfies Record<string, LedgerAccountDefinition>;

export type LedgerAccountCode = keyof typeof chartOfAccounts;

export const ledgerAccountCodes = Object.keys(chartOfAccounts) as LedgerAccountCode[];

export function isLedgerAccountCode(code: string): code is LedgerAccountCode {
  return Object.hasOwn(chartOfAccounts, code);
}
