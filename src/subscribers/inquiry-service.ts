import type { SubscriberActor } from "../auth/actor.js";
import { BusinessDate } from "../shared/business-date.js";
import type { Clock } from "../shared/clock.js";
import { ContributionMonth } from "../shared/contribution-month.js";
import type { PrismaClient, ReadText } from "../shared/db/database.js";
import { AppError } from "../shared/errors.js";
import { Money } from "../shared/money.js";
import { countHit } from "../shared/throttle.js";
import { contributoryWage, standingWageLimits } from "../wages/contributory-wage.js";
import { type EmploymentSpan, insuredMonthCount, servicePeriod } from "./contribution-record.js";
import {
  type EmploymentRecord,
  findInsuredPerson,
  findInsuredPersonById,
  firstBilledMonth,
  listEmploymentsOf,
  listWagesOf,
  monthlyContributionsJson,
} from "./repository.js";
import { parseIdNumber } from "./service.js";

/** The public "is this ID insured" service: 10 lookups per client per 10 minutes (ASSUMED). */
export const publicInquiryLimit = { limit: 10, windowMs: 10 * 60 * 1000 } as const;

/** Each word keeps its first letter: "Mohammed Al-Qahtani" → "M******* A*********". */
export function maskName(name: string): string {
  return name
    .split(/\s+/u)
    .filter(Boolean)
    .map((word) => {
      const letters = [...word];
      return letters[0] + "*".repeat(Math.max(letters.length - 1, 1));
    })
    .join(" ");
}

const day = (value: Date) => BusinessDate.fromDateColumn(value);

/**
 * The subscriber a signed-in path names: `me` or the caller's own id. Any other id answers 404,
 * as if it did not exist.
 */
export function ownSubscriberId(actor: SubscriberActor, subject: string): string {
  if (subject !== "me" && subject !== actor.subscriberId)
    throw new AppError("SUBSCRIBER_NOT_FOUND", "no subscriber with this id that you may see");
  return actor.subscriberId;
}

function spanOf(employment: EmploymentRecord): EmploymentSpan {
  return {
    employmentId: employment.id,
    start: day(employment.startDate),
    end: employment.endDate ? day(employment.endDate) : undefined,
  };
}

function establishmentOf(employment: EmploymentRecord) {
  return {
    id: employment.establishmentId,
    registrationNumber: String(employment.registrationNumber).padStart(9, "0"),
    nameAr: employment.establishmentNameAr,
    nameEn: employment.establishmentNameEn,
  };
}

/**
 * What a subscriber may look up about themselves (portal.md §3), and the public inquiry. Every
 * signed-in read takes the subject from the session: `subject` is "me" or the caller's own
 * subscriber id, and any other id answers 404 as if it did not exist.
 */
export function createSubscriberInquiries(deps: { db: PrismaClient; clock: Clock; readText: ReadText }) {
  const { db, clock, readText } = deps;
  const today = () => BusinessDate.fromInstant(clock.now());

  async function periods(subscriberId: string) {
    const asOf = today();
    const employments = await listEmploymentsOf(db, subscriberId);
    return {
      asOf: asOf.toString(),
      totalInsuredMonths: insuredMonthCount(employments.map(spanOf), asOf),
      periods: employments.map((employment) => {
        const span = spanOf(employment);
        return {
          employmentId: employment.id,
          establishment: establishmentOf(employment),
          occupation: employment.occupation,
          startDate: span.start.toString(),
          endDate: span.end?.toString() ?? null,
          active: !span.end?.isBefore(asOf),
          ...servicePeriod(span, asOf),
        };
      }),
    };
  }

  async function wages(subscriberId: string) {
    const person = await findInsuredPersonById(db, subscriberId);
    if (!person) throw new AppError("SUBSCRIBER_NOT_FOUND", "no subscriber with this id that you may see");
    const [employments, recorded] = await Promise.all([
      listEmploymentsOf(db, subscriberId),
      listWagesOf(db, subscriberId),
    ]);
    return {
      employments: employments.map((employment) => ({
        employmentId: employment.id,
        establishment: establishmentOf(employment),
        startDate: day(employment.startDate).toString(),
        endDate: employment.endDate ? day(employment.endDate).toString() : null,
        wages: recorded
          .filter((wage) => wage.employmentId === employment.id)
          .map((wage) => {
            const components = {
              basic: Money.fromDecimal(wage.basic),
              housing: Money.fromDecimal(wage.housing),
              otherAllowances: Money.fromDecimal(wage.otherAllowances),
              housingInKind: wage.housingInKind,
            };
            return {
              effectiveMonth: ContributionMonth.fromDateColumn(wage.effectiveMonth).toString(),
              basic: components.basic.toString(),
              housing: components.housing.toString(),
              otherAllowances: components.otherAllowances.toString(),
              housingInKind: wage.housingInKind,
              contributoryWage: contributoryWage(components, standingWageLimits[person.population]).toString(),
              isCorrection: wage.isRetroactiveCorrection,
              recordedAt: wage.recordedAt.toISOString(),
            };
          }),
      })),
    };
  }

  // Runs are never started for a month before the first one, so once a first billed month
  // exists it never changes: it is read once per process, not on every request.
  let knownFirstBilledMonth: Date | undefined;
  const firstBilled = async () => {
    knownFirstBilledMonth ??= await firstBilledMonth(db);
    return knownFirstBilledMonth;
  };

  /** The month-by-month answer as JSON text, built by the database (see monthlyContributionsJson). */
  async function months(
    subscriberId: string,
    range: { from?: ContributionMonth | undefined; to?: ContributionMonth | undefined },
  ): Promise<string> {
    if (range.from && range.to?.isBefore(range.from))
      throw new AppError("DATE_RANGE_REVERSED", "`to` is before `from`");
    const first = await firstBilled();
    return monthlyContributionsJson(readText, {
      subscriberId,
      today: today().toString(),
      firstBilledMonth: first ? ContributionMonth.fromDateColumn(first).firstDay().toString() : undefined,
      from: range.from?.firstDay().toString(),
      to: range.to?.firstDay().toString(),
    });
  }

  return {
    periods: (actor: SubscriberActor, subject: string) => periods(ownSubscriberId(actor, subject)),
    wages: (actor: SubscriberActor, subject: string) => wages(ownSubscriberId(actor, subject)),
    months: (actor: SubscriberActor, subject: string, range: Parameters<typeof months>[1]) =>
      months(ownSubscriberId(actor, subject), range),
    /** For the certificate: the same periods and wages, for the signed-in subscriber. */
    periodsOf: periods,
    wagesOf: wages,

    /**
     * Is this ID insured, and under which name (masked)? Needs the date of birth as well, and
     * answers an unknown ID and a wrong date of birth alike; rate-limited per client.
     */
    async publicInquiry(input: { idNumber: string; dateOfBirth: string }, clientKey: string) {
      const id = parseIdNumber(input.idNumber);
      await countHit(db, `public-inquiry:${clientKey}`, publicInquiryLimit, clock.now());
      const person = await findInsuredPerson(db, id.value);
      const matches = person && day(person.dateOfBirth).equals(BusinessDate.parse(input.dateOfBirth));
      if (!person || !matches) return { registered: false as const };
      const employments = await listEmploymentsOf(db, person.id);
      const asOf = today();
      return {
        registered: true as const,
        maskedName: maskName(person.name),
        currentlyEmployed: employments.some(
          (employment) => !employment.endDate || !day(employment.endDate).isBefore(asOf),
        ),
      };
    },
  };
}

export type SubscriberInquiries = ReturnType<typeof createSubscriberInquiries>;
