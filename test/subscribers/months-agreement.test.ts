import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BusinessDate } from "../../src/shared/business-date.js";
import { ContributionMonth } from "../../src/shared/contribution-month.js";
import { newId } from "../../src/shared/ids.js";
import { Money } from "../../src/shared/money.js";
import { monthlyRecord } from "../../src/subscribers/contribution-record.js";
import { listBilledMonths, listEmploymentsOf, monthlyContributionsJson } from "../../src/subscribers/repository.js";
import { MonthsResponse } from "../../src/subscribers/schemas.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

/**
 * The month-by-month answer is built by SQL (monthlyContributionsJson); monthlyRecord is its
 * specification in TypeScript, with its own unit and property tests. On random histories
 * (employments starting, ending and overlapping, invoices billing a month and correcting it
 * later, settled not at all, partly, exactly or beyond, voided, due before or after today) the
 * two must give the same answer, field for field.
 */
let database: TestDatabase;
const firstRunMonth = ContributionMonth.parse("2024-01");
const runMonths = 48;
const runId = (month: ContributionMonth) => `run_${month.toString()}`;

beforeAll(async () => {
  database = await createTestDatabase();
  const now = new Date("2026-11-25T09:00:00Z");
  await database.prisma.billingRun.createMany({
    data: Array.from({ length: runMonths }, (_, index) => {
      const month = firstRunMonth.plusMonths(index);
      return {
        id: runId(month),
        month: month.firstDay().toDateColumn(),
        status: "COMPLETED" as const,
        requestedBy: "test",
        createdAt: now,
        updatedAt: now,
      };
    }),
  });
});
afterAll(() => database.drop());

/** Months from 2024-01, days from 2024-01-01. */
type PartSpec = {
  monthOffset: number;
  invoiceLag: number;
  employee: number;
  employer: number;
  wage: number;
  days: number;
  twoLines: boolean;
};
type InvoiceSpec = { dueLagDays: number; settledShare: number; voided: boolean };
type EmploymentSpec = { startDay: number; lengthDays: number | null; parts: PartSpec[] };

const partSpec = fc.record({
  monthOffset: fc.integer({ min: 0, max: 35 }),
  invoiceLag: fc.constantFrom(0, 0, 0, 1, 3),
  employee: fc.integer({ min: 0, max: 200_000 }),
  employer: fc.integer({ min: 1, max: 300_000 }),
  wage: fc.integer({ min: 150_000, max: 4_500_000 }),
  days: fc.integer({ min: 1, max: 31 }),
  // Billing writes one line per invoice, employment and month, but nothing in the schema says
  // so: sometimes the part comes as two lines, the later one carrying the wage and days.
  twoLines: fc.integer({ min: 0, max: 4 }).map((draw) => draw === 0),
});
const employmentSpec = fc.record({
  startDay: fc.integer({ min: 0, max: 1_000 }),
  lengthDays: fc.option(fc.integer({ min: 0, max: 900 }), { nil: null }),
  parts: fc.array(partSpec, { maxLength: 8 }),
});
const invoiceSpec = fc.record({
  dueLagDays: fc.integer({ min: 20, max: 60 }),
  // 0: nothing paid; 1: exactly; 2: beyond; otherwise a part.
  settledShare: fc.constantFrom(0, 0.5, 1, 1, 2),
  voided: fc.integer({ min: 0, max: 4 }).map((draw) => draw === 0),
});

let sequence = 0;

async function insertHistory(
  employments: EmploymentSpec[],
  invoiceSpecs: InvoiceSpec[],
): Promise<{ subscriberId: string; boundaries: BusinessDate[] }> {
  const boundaries: BusinessDate[] = [];
  sequence += 1;
  const now = new Date("2026-11-25T09:00:00Z");
  const origin = BusinessDate.parse("2024-01-01");
  const subscriberId = newId("sub");
  await database.prisma.subscriber.create({
    data: {
      id: subscriberId,
      identifierKind: "NATIONAL_ID",
      identifierNumber: `1${String(sequence).padStart(9, "0")}`,
      nationality: "SAUDI",
      name: `Subscriber ${sequence}`,
      dateOfBirth: new Date("1990-01-01"),
      firstInsuredOn: new Date("2020-01-01"),
      population: "SAUDI_LEGACY",
      createdAt: now,
    },
  });
  let invoiceIndex = 0;
  for (const spec of employments) {
    const establishmentId = newId("est");
    await database.prisma.establishment.create({
      data: {
        id: establishmentId,
        nameAr: "منشأة",
        nameEn: `Agreement ${sequence}`,
        contactEmail: "agreement@test",
        contactMobile: "+966501234567",
        city: "Riyadh",
        createdAt: now,
      },
    });
    const employmentId = newId("emp");
    const start = origin.plusDays(spec.startDay);
    boundaries.push(start);
    if (spec.lengthDays !== null) boundaries.push(start.plusDays(spec.lengthDays));
    await database.prisma.employment.create({
      data: {
        id: employmentId,
        subscriberId,
        establishmentId,
        occupation: "Tester",
        startDate: start.toDateColumn(),
        endDate: spec.lengthDays === null ? null : start.plusDays(spec.lengthDays).toDateColumn(),
        registeredAt: now,
        registeredBy: "test",
      },
    });
    // One invoice per (establishment, invoice month): each part is billed by the invoice of its
    // month plus a lag (a correction billed later), at most one part per contribution month each.
    const byInvoiceMonth = new Map<number, PartSpec[]>();
    for (const part of spec.parts) {
      const invoiceMonth = Math.min(part.monthOffset + part.invoiceLag, runMonths - 1);
      const parts = byInvoiceMonth.get(invoiceMonth) ?? [];
      if (!parts.some((other) => other.monthOffset === part.monthOffset) && part.monthOffset <= invoiceMonth) {
        parts.push(part);
      }
      byInvoiceMonth.set(invoiceMonth, parts);
    }
    for (const [invoiceMonthOffset, parts] of byInvoiceMonth) {
      const invoiceSpec = invoiceSpecs[invoiceIndex++ % Math.max(invoiceSpecs.length, 1)] ?? {
        dueLagDays: 45,
        settledShare: 0,
        voided: false,
      };
      const month = firstRunMonth.plusMonths(invoiceMonthOffset);
      const employee = parts.reduce((sum, part) => sum + part.employee, 0);
      const employer = parts.reduce((sum, part) => sum + part.employer, 0);
      const total = employee + employer;
      const invoiceId = newId("inv");
      // Due dates twice: OVERDUE turns on the day after, the edge most worth hitting.
      const dueDate = month.next().firstDay().plusDays(invoiceSpec.dueLagDays);
      boundaries.push(dueDate, dueDate);
      await database.prisma.invoice.create({
        data: {
          id: invoiceId,
          number: `C-${month.toString().replace("-", "")}-A${sequence}-${invoiceIndex}`,
          establishmentId,
          contributionMonth: month.firstDay().toDateColumn(),
          billingRunId: runId(month),
          issueDate: month.next().firstDay().toDateColumn(),
          dueDate: month.next().firstDay().plusDays(invoiceSpec.dueLagDays).toDateColumn(),
          annuitiesEmployer: Money.fromHalalas(BigInt(employer)).toString(),
          annuitiesEmployee: Money.fromHalalas(BigInt(employee)).toString(),
          sanedEmployer: "0",
          sanedEmployee: "0",
          hazardsEmployer: "0",
          adjustmentTotal: "0",
          total: Money.fromHalalas(BigInt(total)).toString(),
          contributionLineCount: parts.length,
          adjustmentLineCount: 0,
          createdAt: now,
        },
      });
      // A two-line part: one line for a third of the amounts at another wage and day count, one
      // for the rest; lines are numbered evens first, so a part's two lines are seldom adjacent
      // and the one with the higher number (whose wage and days count) is either.
      const lines = parts.flatMap((part) =>
        part.twoLines
          ? [
              {
                part,
                employee: Math.floor(part.employee / 3),
                employer: Math.floor(part.employer / 3),
                wage: part.wage + 1_000,
                days: 31 - part.days + 1,
              },
              {
                part,
                employee: part.employee - Math.floor(part.employee / 3),
                employer: part.employer - Math.floor(part.employer / 3),
                wage: part.wage,
                days: part.days,
              },
            ]
          : [{ part, employee: part.employee, employer: part.employer, wage: part.wage, days: part.days }],
      );
      const numbered = [...lines.filter((_, index) => index % 2 === 0), ...lines.filter((_, index) => index % 2 === 1)];
      const lineNumbers = new Map(numbered.map((line, index) => [line, index + 1]));
      await database.prisma.invoiceLine.createMany({
        data: lines.map((line) => ({
          invoiceId,
          lineNumber: lineNumbers.get(line) ?? 0,
          kind: line.part.monthOffset === invoiceMonthOffset ? ("CONTRIBUTION" as const) : ("ADJUSTMENT" as const),
          contributionMonth: firstRunMonth.plusMonths(line.part.monthOffset).firstDay().toDateColumn(),
          employmentId,
          subscriberId,
          identifierNumber: `1${String(sequence).padStart(9, "0")}`,
          subscriberName: `Subscriber ${sequence}`,
          population: "SAUDI_LEGACY" as const,
          daysInService: line.days,
          contributoryWage: Money.fromHalalas(BigInt(line.wage)).toString(),
          chargeableWage: Money.fromHalalas(BigInt(line.wage)).toString(),
          annuitiesEmployer: Money.fromHalalas(BigInt(line.employer)).toString(),
          annuitiesEmployee: Money.fromHalalas(BigInt(line.employee)).toString(),
          sanedEmployer: "0",
          sanedEmployee: "0",
          hazardsEmployer: "0",
        })),
      });
      const settled = Math.round(total * invoiceSpec.settledShare);
      if (settled > 0) {
        await database.prisma.invoiceSettlement.create({
          data: {
            id: newId("alc"),
            invoiceId,
            sourceType: "ALLOCATION",
            sourceId: newId("alc"),
            amount: Money.fromHalalas(BigInt(settled)).toString(),
            settledOn: month.next().firstDay().toDateColumn(),
            createdAt: now,
          },
        });
      }
      if (invoiceSpec.voided) {
        await database.prisma.invoiceVoid.create({
          data: {
            invoiceId,
            creditNoteNumber: `CN-${invoiceId}`,
            reason: "agreement test",
            voidedAt: now,
            voidedBy: "test",
          },
        });
      }
    }
  }
  return { subscriberId, boundaries };
}

/** The answer as monthlyRecord gives it, shaped as the endpoint answers. */
async function specifiedAnswer(
  subscriberId: string,
  today: BusinessDate,
  firstBilledMonth: ContributionMonth | undefined,
  range: { from?: ContributionMonth; to?: ContributionMonth },
) {
  const employments = await listEmploymentsOf(database.prisma, subscriberId);
  const billed = await listBilledMonths(database.prisma, subscriberId);
  const rows = monthlyRecord({
    spans: employments.map((employment) => ({
      employmentId: employment.id,
      start: BusinessDate.fromDateColumn(employment.startDate),
      end: employment.endDate ? BusinessDate.fromDateColumn(employment.endDate) : undefined,
    })),
    billed: billed.map((row) => ({
      employmentId: row.employmentId,
      month: ContributionMonth.parse(row.month),
      invoiceNumber: row.invoiceNumber,
      invoiceMonth: ContributionMonth.parse(row.invoiceMonth),
      dueDate: BusinessDate.parse(row.dueDate),
      invoiceTotal: Money.fromDecimal(row.invoiceTotal),
      invoiceSettled: Money.fromDecimal(row.invoiceSettled),
      employeeShare: Money.fromDecimal(row.employeeShare),
      employerShare: Money.fromDecimal(row.employerShare),
      contributoryWage: Money.fromDecimal(row.contributoryWage),
      daysInService: row.daysInService,
    })),
    today,
    firstBilledMonth,
  }).filter((row) => (!range.from || !row.month.isBefore(range.from)) && (!range.to || !row.month.isAfter(range.to)));
  const shown = new Set(rows.map((row) => row.employmentId));
  return {
    asOf: today.toString(),
    employments: employments
      .filter((employment) => shown.has(employment.id))
      .map((employment) => ({
        employmentId: employment.id,
        establishment: {
          id: employment.establishmentId,
          registrationNumber: String(employment.registrationNumber).padStart(9, "0"),
          nameAr: employment.establishmentNameAr,
          nameEn: employment.establishmentNameEn,
        },
      })),
    months: rows.map((row) => ({
      month: row.month.toString(),
      employmentId: row.employmentId,
      daysInService: row.daysInService,
      contributoryWage: row.contributoryWage?.toString() ?? null,
      employeeShare: row.employeeShare.toString(),
      employerShare: row.employerShare.toString(),
      status: row.status,
      invoices: row.invoices.map((invoice) => ({ ...invoice, dueDate: invoice.dueDate.toString() })),
    })),
  };
}

describe("the month-by-month SQL agrees with monthlyRecord", () => {
  it("field for field on random histories, dates and ranges", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(employmentSpec, { minLength: 1, maxLength: 3 }),
        fc.array(invoiceSpec, { minLength: 1, maxLength: 12 }),
        // Today: any day, or exactly a due date, a start or an end (the comparisons' edges).
        fc.oneof(
          fc.record({ day: fc.integer({ min: 0, max: 1_300 }) }),
          fc.record({ boundary: fc.nat(), shift: fc.constantFrom(0, 0, 1, -1) }),
        ),
        fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
        fc.option(fc.tuple(fc.integer({ min: -6, max: 40 }), fc.integer({ min: 0, max: 24 })), { nil: undefined }),
        async (employments, invoices, todayChoice, firstBilledOffset, range) => {
          const { subscriberId, boundaries } = await insertHistory(employments, invoices);
          const today =
            "day" in todayChoice
              ? BusinessDate.parse("2024-01-01").plusDays(todayChoice.day)
              : (boundaries[todayChoice.boundary % boundaries.length] as BusinessDate).plusDays(todayChoice.shift);
          const firstBilledMonth =
            firstBilledOffset === undefined ? undefined : firstRunMonth.plusMonths(firstBilledOffset);
          const from = range ? firstRunMonth.plusMonths(range[0]) : undefined;
          const to = range ? firstRunMonth.plusMonths(range[0] + range[1]) : undefined;
          const answer = MonthsResponse.parse(
            JSON.parse(
              await monthlyContributionsJson(database.readText, {
                subscriberId,
                today: today.toString(),
                firstBilledMonth: firstBilledMonth?.firstDay().toString(),
                from: from?.firstDay().toString(),
                to: to?.firstDay().toString(),
              }),
            ),
          );
          const expected = await specifiedAnswer(subscriberId, today, firstBilledMonth, {
            ...(from ? { from } : {}),
            ...(to ? { to } : {}),
          });
          expect(answer).toEqual(expected);
        },
      ),
      // Every run writes a history to the database, so shrinking a failure takes minutes and once
      // ran past the test's time limit, reporting nothing (CI, 2026-12-07; 6,000 runs since and
      // 50 whole tests did not fail again): a failure or a stuck run is reported as drawn, with
      // its seed and path, so it can be replayed.
      { numRuns: 100, endOnFailure: true, timeout: 30_000 },
    );
  }, 120_000);
});
