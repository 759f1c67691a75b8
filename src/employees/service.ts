import type { EstablishmentActor } from "../auth/actor.js";
import { type Nationality, populationAtFirstEntry } from "../employers/population.js";
import type { EmployerService } from "../employers/service.js";
import type { EmploymentEndReason } from "../generated/prisma/enums.js";
import { BusinessDate } from "../shared/business-date.js";
import type { Clock } from "../shared/clock.js";
import { ContributionMonth } from "../shared/contribution-month.js";
import type { PrismaClient } from "../shared/db/database.js";
import { isUniqueViolation } from "../shared/db/unique-violation.js";
import { AppError } from "../shared/errors.js";
import { parsePersonIdentifier } from "../shared/identifiers.js";
import { newId } from "../shared/ids.js";
import { Money } from "../shared/money.js";
import { contributoryWage, standingWageLimits } from "../wages/contributory-wage.js";
import { parseWage, type WageInput } from "../wages/wage-input.js";
import { employeePageSizeMax, retroactiveMonthsMax, wageMonthsAheadMax } from "./limits.js";
import {
  currentWages,
  endEmployment,
  findEmployeeAt,
  findEmploymentsAt,
  findSubscriberByIdentifier,
  insertEmployment,
  insertSubscriberUnlessKnown,
  insertWage,
  listEmployments,
} from "./repository.js";

export type RegisterEmployeeInput = {
  idNumber: string;
  nationality: Nationality;
  gccCountry?: string | undefined;
  name: string;
  dateOfBirth: string;
  occupation: string;
  startDate: string;
  /** The day the person was first insured anywhere; defaults to the start date for someone new. */
  firstInsuredOn?: string | undefined;
  /** A Saudi with periods under the civil pension or the 2000 law stays on the legacy rates. */
  hasEarlierContributionPeriods?: boolean | undefined;
  wage: WageInput;
};

/** Reason recorded on the first wage of a registration that reaches into billed months. */
export const LATE_REGISTRATION_REASON = "late registration";

export function describeActor(actor: EstablishmentActor): string {
  return actor.via.type === "session" ? `establishment-user:${actor.via.userId}` : `api-key:${actor.via.apiKeyId}`;
}

export function createEmployeeService(deps: { db: PrismaClient; clock: Clock; employers: EmployerService }) {
  const { db, clock, employers } = deps;

  /**
   * The first contribution month not yet billed: the invoice for month M is issued on the 1st
   * of M+1 (billing-cycle.md §1), so every month before the current one counts as billed.
   * The billing issue will read this from the invoices themselves.
   */
  const firstUnbilledMonth = () => ContributionMonth.containing(BusinessDate.fromInstant(clock.now()));

  async function registerEmployee(actor: EstablishmentActor, establishmentId: string, input: RegisterEmployeeInput) {
    await employers.establishmentOf(actor, establishmentId);
    const identifier = parsePersonIdentifier(input.idNumber);
    if ("problem" in identifier)
      throw new AppError(identifier.problem, "the ID number is not a valid national ID or iqama");
    if (input.nationality === "SAUDI" && identifier.kind === "IQAMA") {
      throw new AppError("IQAMA_GIVEN_FOR_SAUDI", "a Saudi is registered with a national ID (starting with 1)");
    }
    if (input.nationality !== "SAUDI" && identifier.kind === "NATIONAL_ID") {
      throw new AppError(
        "NATIONAL_ID_GIVEN_FOR_NON_SAUDI",
        "a non-Saudi is registered with an iqama (starting with 2)",
      );
    }
    const startDate = BusinessDate.parse(input.startDate);
    const startMonth = ContributionMonth.containing(startDate);
    const currentMonth = firstUnbilledMonth();
    if (startMonth.isBefore(currentMonth.plusMonths(-retroactiveMonthsMax))) {
      throw new AppError("START_DATE_TOO_FAR_BACK", `an employment starts at most ${retroactiveMonthsMax} months back`);
    }
    if (startDate.isAfter(currentMonth.lastDay())) {
      throw new AppError("START_DATE_IN_FUTURE", "register an employment in the month it starts");
    }
    const wage = parseWage(input.wage, "json.wage");
    const dateOfBirth = BusinessDate.parse(input.dateOfBirth);
    const now = clock.now();
    const recordedBy = describeActor(actor);

    try {
      return await db.$transaction(async (tx) => {
        if (!(await findSubscriberByIdentifier(tx, identifier.value))) {
          const firstInsuredOn = input.firstInsuredOn ? BusinessDate.parse(input.firstInsuredOn) : startDate;
          // A concurrent registration of the same new person may insert first: then this one
          // does nothing, waits for that commit, and reads the winner's row below.
          await insertSubscriberUnlessKnown(tx, {
            id: newId("sub"),
            identifierKind: identifier.kind,
            identifierNumber: identifier.value,
            nationality: input.nationality,
            gccCountry: input.nationality === "GCC" ? (input.gccCountry ?? null) : null,
            name: input.name,
            dateOfBirth: dateOfBirth.toDateColumn(),
            firstInsuredOn: firstInsuredOn.toDateColumn(),
            population: populationAtFirstEntry(
              input.nationality,
              firstInsuredOn,
              input.hasEarlierContributionPeriods ?? false,
            ),
            createdAt: now,
          });
        }
        const subscriber = await findSubscriberByIdentifier(tx, identifier.value);
        if (!subscriber) throw new Error("subscriber vanished inside its transaction");
        if (!BusinessDate.fromDateColumn(subscriber.dateOfBirth).equals(dateOfBirth)) {
          throw new AppError("SUBSCRIBER_DETAILS_MISMATCH", "this ID number is registered with another date of birth");
        }
        for (const earlier of await findEmploymentsAt(tx, subscriber.id, establishmentId)) {
          if (earlier.endDate === null) {
            throw new AppError("EMPLOYMENT_ALREADY_ACTIVE", "this person already works at this establishment");
          }
          if (!BusinessDate.fromDateColumn(earlier.endDate).isBefore(startDate)) {
            throw new AppError("EMPLOYMENT_PERIOD_OVERLAPS", "the new employment starts before the previous one ended");
          }
        }
        const employmentId = newId("emp");
        await insertEmployment(tx, {
          id: employmentId,
          subscriberId: subscriber.id,
          establishmentId,
          occupation: input.occupation,
          startDate: startDate.toDateColumn(),
          registeredAt: now,
          registeredBy: recordedBy,
        });
        const isLate = startMonth.isBefore(currentMonth);
        await insertWage(tx, {
          id: newId("wg"),
          employmentId,
          effectiveMonth: startMonth.firstDay().toDateColumn(),
          basic: wage.basic.toString(),
          housing: wage.housing.toString(),
          otherAllowances: wage.otherAllowances.toString(),
          housingInKind: wage.housingInKind,
          isRetroactiveCorrection: isLate,
          correctionReason: isLate ? LATE_REGISTRATION_REASON : null,
          recordedAt: now,
          recordedBy,
        });
        return subscriber.id;
      });
    } catch (error) {
      if (isUniqueViolation(error, "employments_one_active_per_establishment")) {
        throw new AppError("EMPLOYMENT_ALREADY_ACTIVE", "this person already works at this establishment");
      }
      throw error;
    }
  }

  async function getEmployee(actor: EstablishmentActor, establishmentId: string, subscriberId: string) {
    await employers.establishmentOf(actor, establishmentId);
    const employee = await findEmployeeAt(db, subscriberId, establishmentId);
    if (!employee) throw new AppError("EMPLOYEE_NOT_FOUND", `no employee ${subscriberId} at this establishment`);
    return {
      ...employee,
      employments: employee.employments.map((employment) => ({
        ...employment,
        wages: employment.wages.map((wage) => {
          const components = {
            basic: Money.fromDecimal(wage.basic),
            housing: Money.fromDecimal(wage.housing),
            otherAllowances: Money.fromDecimal(wage.otherAllowances),
            housingInKind: wage.housingInKind,
          };
          return {
            ...wage,
            ...components,
            contributoryWage: contributoryWage(components, standingWageLimits[employee.population]),
          };
        }),
      })),
    };
  }

  async function employmentsAt(establishmentId: string, subscriberId: string) {
    const employments = await findEmploymentsAt(db, subscriberId, establishmentId);
    if (employments.length === 0)
      throw new AppError("EMPLOYEE_NOT_FOUND", `no employee ${subscriberId} at this establishment`);
    return employments;
  }

  return {
    registerEmployee,
    getEmployee,

    async endEmployment(
      actor: EstablishmentActor,
      establishmentId: string,
      subscriberId: string,
      input: { endDate: string; reason: EmploymentEndReason },
    ) {
      await employers.establishmentOf(actor, establishmentId);
      const active = (await employmentsAt(establishmentId, subscriberId)).find(
        (employment) => employment.endDate === null,
      );
      if (!active) throw new AppError("EMPLOYMENT_NOT_ACTIVE", "this person's employment here has ended already");
      const endDate = BusinessDate.parse(input.endDate);
      if (endDate.isBefore(BusinessDate.fromDateColumn(active.startDate))) {
        throw new AppError("EMPLOYMENT_END_BEFORE_START", "the end date is before the start date");
      }
      const ended = await endEmployment(db, active.id, {
        endDate: endDate.toDateColumn(),
        endReason: input.reason,
        endedAt: clock.now(),
        endedBy: describeActor(actor),
      });
      if (!ended) throw new AppError("EMPLOYMENT_NOT_ACTIVE", "this person's employment here has ended already");
      return getEmployee(actor, establishmentId, subscriberId);
    },

    /**
     * Appends a wage from a month on. A month already billed is a retroactive correction: it
     * needs a reason and is marked so billing adjusts it on the next invoice.
     */
    async recordWage(
      actor: EstablishmentActor,
      establishmentId: string,
      subscriberId: string,
      input: WageInput & { effectiveMonth: string; correctionReason?: string | undefined },
    ) {
      await employers.establishmentOf(actor, establishmentId);
      const month = ContributionMonth.parse(input.effectiveMonth);
      const currentMonth = firstUnbilledMonth();
      if (
        month.isBefore(currentMonth.plusMonths(-retroactiveMonthsMax)) ||
        month.isAfter(currentMonth.plusMonths(wageMonthsAheadMax))
      ) {
        throw new AppError(
          "WAGE_MONTH_OUT_OF_RANGE",
          `a wage month is at most ${retroactiveMonthsMax} months back and ${wageMonthsAheadMax} ahead`,
        );
      }
      const wage = parseWage(input, "json");
      const employment = (await employmentsAt(establishmentId, subscriberId)).find(
        (candidate) =>
          !ContributionMonth.containing(BusinessDate.fromDateColumn(candidate.startDate)).isAfter(month) &&
          (candidate.endDate === null ||
            !ContributionMonth.containing(BusinessDate.fromDateColumn(candidate.endDate)).isBefore(month)),
      );
      if (!employment)
        throw new AppError("WAGE_MONTH_OUTSIDE_EMPLOYMENT", `no employment here covers ${month.toString()}`);
      const isRetroactive = month.isBefore(currentMonth);
      const reason = input.correctionReason?.trim();
      if (isRetroactive && !reason) {
        throw new AppError(
          "CORRECTION_REASON_REQUIRED",
          `${month.toString()} was billed already: give the reason for the correction`,
        );
      }
      await insertWage(db, {
        id: newId("wg"),
        employmentId: employment.id,
        effectiveMonth: month.firstDay().toDateColumn(),
        basic: wage.basic.toString(),
        housing: wage.housing.toString(),
        otherAllowances: wage.otherAllowances.toString(),
        housingInKind: wage.housingInKind,
        isRetroactiveCorrection: isRetroactive,
        correctionReason: isRetroactive ? (reason ?? null) : null,
        recordedAt: clock.now(),
        recordedBy: describeActor(actor),
      });
      return getEmployee(actor, establishmentId, subscriberId);
    },

    async listEmployees(
      actor: EstablishmentActor,
      establishmentId: string,
      query: {
        activeIn?: string | undefined;
        nationality?: Nationality | undefined;
        idNumber?: string | undefined;
        cursor?: string | undefined;
        limit: number;
      },
    ) {
      await employers.establishmentOf(actor, establishmentId);
      const month = query.activeIn ? ContributionMonth.parse(query.activeIn) : undefined;
      const identifier = query.idNumber ? parsePersonIdentifier(query.idNumber) : undefined;
      if (identifier && "problem" in identifier)
        throw new AppError(identifier.problem, "the ID number filter is not valid");
      const limit = Math.min(query.limit, employeePageSizeMax);
      const page = await listEmployments(db, {
        establishmentId,
        limit: limit + 1,
        ...(month
          ? { activeIn: { firstDay: month.firstDay().toDateColumn(), lastDay: month.lastDay().toDateColumn() } }
          : {}),
        ...(query.nationality ? { nationality: query.nationality } : {}),
        ...(identifier ? { identifierNumber: identifier.value } : {}),
        ...(query.cursor ? { afterEmploymentId: query.cursor } : {}),
      });
      const items = page.slice(0, limit);
      const asOf = (month ?? firstUnbilledMonth()).firstDay().toDateColumn();
      const wages = new Map(
        (
          await currentWages(
            db,
            items.map((item) => item.id),
            asOf,
          )
        ).map((wage) => [wage.employmentId, wage]),
      );
      return {
        items: items.map((employment) => {
          const wage = wages.get(employment.id);
          const components = wage && {
            basic: Money.sar(wage.basic),
            housing: Money.sar(wage.housing),
            otherAllowances: Money.sar(wage.otherAllowances),
            housingInKind: wage.housingInKind,
          };
          return {
            employment,
            subscriber: employment.subscriber,
            contributoryWage: components
              ? contributoryWage(components, standingWageLimits[employment.subscriber.population])
              : undefined,
          };
        }),
        nextCursor: page.length > limit ? items.at(-1)?.id : undefined,
      };
    },
  };
}

export type EmployeeService = ReturnType<typeof createEmployeeService>;
