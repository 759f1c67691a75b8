import { BusinessDate } from "../shared/business-date.js";
import { ContributionMonth } from "../shared/contribution-month.js";
import { Money } from "../shared/money.js";
import type { InvoiceLineRow, InvoiceSummaryRow } from "./repository.js";

const day = (value: Date) => BusinessDate.fromDateColumn(value).toString();
const month = (value: Date) => ContributionMonth.fromDateColumn(value).toString();
const sar = (value: string) => Money.fromDecimal(value);

/** An invoice as the API, the printable document and the PDF show it. */
export function presentInvoice(row: InvoiceSummaryRow) {
  const employer = Money.sum([sar(row.annuitiesEmployer), sar(row.sanedEmployer), sar(row.hazardsEmployer)]);
  const employee = Money.sum([sar(row.annuitiesEmployee), sar(row.sanedEmployee)]);
  const fines = sar(row.finesAssessed).minus(sar(row.finesWaived));
  const owed = sar(row.total).plus(fines);
  const outstanding = Money.max(owed.minus(sar(row.settled)), Money.zero);
  const branch = (
    name: "ANNUITIES" | "SANED" | "OCCUPATIONAL_HAZARDS",
    employerShare: string,
    employeeShare: string,
  ) => ({
    branch: name,
    employer: sar(employerShare).toString(),
    employee: sar(employeeShare).toString(),
    total: sar(employerShare).plus(sar(employeeShare)).toString(),
  });
  return {
    id: row.id,
    number: row.number,
    establishmentId: row.establishmentId,
    month: month(row.contributionMonth),
    issueDate: day(row.issueDate),
    dueDate: day(row.dueDate),
    status: row.status,
    totals: {
      contributions: sar(row.total).toString(),
      employerShare: employer.toString(),
      employeeShare: employee.toString(),
      adjustments: sar(row.adjustmentTotal).toString(),
      finesAssessed: sar(row.finesAssessed).toString(),
      finesWaived: sar(row.finesWaived).toString(),
      settled: sar(row.settled).toString(),
      outstanding: outstanding.toString(),
    },
    branches: [
      branch("ANNUITIES", row.annuitiesEmployer, row.annuitiesEmployee),
      branch("SANED", row.sanedEmployer, row.sanedEmployee),
      branch("OCCUPATIONAL_HAZARDS", row.hazardsEmployer, "0"),
    ],
    lineCounts: { contributions: row.contributionLineCount, adjustments: row.adjustmentLineCount },
  };
}

export function presentInvoiceLine(row: InvoiceLineRow) {
  const amounts = {
    annuitiesEmployer: sar(row.annuitiesEmployer),
    annuitiesEmployee: sar(row.annuitiesEmployee),
    sanedEmployer: sar(row.sanedEmployer),
    sanedEmployee: sar(row.sanedEmployee),
    hazardsEmployer: sar(row.hazardsEmployer),
  };
  const employerTotal = Money.sum([amounts.annuitiesEmployer, amounts.sanedEmployer, amounts.hazardsEmployer]);
  const employeeTotal = Money.sum([amounts.annuitiesEmployee, amounts.sanedEmployee]);
  return {
    lineNumber: row.lineNumber,
    kind: row.kind,
    month: month(row.contributionMonth),
    subscriberId: row.subscriberId,
    idNumber: row.identifierNumber,
    name: row.subscriberName,
    population: row.population,
    daysInService: row.daysInService,
    contributoryWage: sar(row.contributoryWage).toString(),
    chargeableWage: sar(row.chargeableWage).toString(),
    amounts: Object.fromEntries(Object.entries(amounts).map(([key, value]) => [key, value.toString()])) as Record<
      keyof typeof amounts,
      string
    >,
    employerTotal: employerTotal.toString(),
    employeeTotal: employeeTotal.toString(),
    total: employerTotal.plus(employeeTotal).toString(),
  };
}
