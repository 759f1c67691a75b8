import { z } from "@hono/zod-openapi";
import { BusinessDateString, ContributionMonthString, MoneyString } from "../shared/schemas.js";

const IdNumber = z
  .string()
  .trim()
  .min(1)
  .max(32)
  .openapi({ example: "1000000008", description: "National ID or iqama; Eastern Arabic digits accepted" });
const Mobile = z.string().trim().min(1).max(32).openapi({ example: "0501234567" });
const Email = z.email().max(254);
const Password = z.string().min(1).max(1024);
const Code = z
  .string()
  .trim()
  .regex(/^\d{6}$/, "the 6-digit code")
  .openapi({ example: "123456" });

export const CaptchaResponse = z
  .object({
    id: z.string(),
    image: z.string().openapi({ description: "An SVG picture of the text to type" }),
    expiresAt: z.iso.datetime(),
  })
  .openapi("Captcha");

export const RegistrationBody = z
  .object({
    idNumber: IdNumber,
    nationality: z
      .enum(["SAUDI", "NON_SAUDI"])
      .openapi({ description: "Saudis give the national ID, others the iqama" }),
    dateOfBirth: BusinessDateString.openapi({
      description: "As registered by the employer; proves the ID is the registrant's",
    }),
    email: Email,
    emailConfirmation: Email,
    password: Password,
    passwordConfirmation: Password,
    mobile: Mobile,
    mobileConfirmation: Mobile,
    captchaId: z.string().min(1).max(64),
    captchaAnswer: z.string().trim().min(1).max(16),
    acceptTerms: z.boolean(),
  })
  .openapi("SubscriberRegistrationBody");

export const RegistrationResponse = z
  .object({
    registrationId: z.string(),
    codeSentTo: z.string().openapi({ example: "+9665*****67" }),
    codeExpiresAt: z.iso.datetime(),
    resendAvailableAt: z.iso.datetime(),
  })
  .openapi("SubscriberRegistration");

export const ResendResponse = z
  .object({ registrationId: z.string(), codeExpiresAt: z.iso.datetime(), resendAvailableAt: z.iso.datetime() })
  .openapi("RegistrationCodeResent");

export const RegistrationParams = z.object({ registrationId: z.string().min(1).max(64) });

export const CodeBody = z.object({ code: Code }).openapi("OneTimeCodeBody");

export const SubscriberSessionResponse = z
  .object({
    token: z.string().openapi({ description: "Bearer token; also set as the HttpOnly session cookie" }),
    expiresAt: z.iso.datetime(),
    subscriberId: z.string(),
  })
  .openapi("SubscriberSession");

export const SubscriberLoginBody = z.object({ idNumber: IdNumber, password: Password }).openapi("SubscriberLoginBody");

export const PasswordResetBody = z
  .object({ idNumber: IdNumber, captchaId: z.string().min(1).max(64), captchaAnswer: z.string().trim().min(1).max(16) })
  .openapi("PasswordResetBody");

export const PasswordResetResponse = z
  .object({
    resetId: z.string(),
    message: z.string(),
  })
  .openapi("PasswordResetStarted");

export const ResetParams = z.object({ resetId: z.string().min(1).max(64) });

export const PasswordResetConfirmationBody = z
  .object({ code: Code, password: Password, passwordConfirmation: Password })
  .openapi("PasswordResetConfirmationBody");

export const MobileChangeBody = z
  .object({ mobile: Mobile, mobileConfirmation: Mobile, password: Password })
  .openapi("MobileChangeBody");

export const EmailChangeBody = z
  .object({ email: Email, emailConfirmation: Email, password: Password })
  .openapi("EmailChangeBody");

export const ContactChangeResponse = z
  .object({ changeId: z.string(), codeSentTo: z.string(), codeExpiresAt: z.iso.datetime() })
  .openapi("ContactChange");

export const ChangeParams = z.object({ changeId: z.string().min(1).max(64) });

export const SubjectParams = z.object({
  subscriberId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ example: "me", description: "`me`, or the signed-in subscriber's own id (any other answers 404)" }),
});

export const ProfileResponse = z
  .object({
    id: z.string(),
    idNumber: z.string(),
    idKind: z.enum(["NATIONAL_ID", "IQAMA"]),
    name: z.string(),
    nationality: z.string(),
    dateOfBirth: z.string(),
    population: z.string(),
    firstInsuredOn: z.string(),
    email: z.string(),
    mobile: z.string(),
  })
  .openapi("SubscriberProfile");

const Establishment = z
  .object({ id: z.string(), registrationNumber: z.string(), nameAr: z.string(), nameEn: z.string() })
  .openapi("SubscriberEstablishment");

export const PeriodsResponse = z
  .object({
    asOf: z.string(),
    totalInsuredMonths: z.number().int(),
    periods: z.array(
      z.object({
        employmentId: z.string(),
        establishment: Establishment,
        occupation: z.string(),
        startDate: z.string(),
        endDate: z.string().nullable(),
        active: z.boolean(),
        fullMonths: z.number().int(),
        partMonthDays: z.number().int(),
      }),
    ),
  })
  .openapi("ContributionPeriods");

export const WagesResponse = z
  .object({
    employments: z.array(
      z.object({
        employmentId: z.string(),
        establishment: Establishment,
        startDate: z.string(),
        endDate: z.string().nullable(),
        wages: z.array(
          z.object({
            effectiveMonth: z.string(),
            basic: MoneyString,
            housing: MoneyString,
            otherAllowances: MoneyString,
            housingInKind: z.boolean(),
            contributoryWage: MoneyString,
            isCorrection: z.boolean(),
            recordedAt: z.iso.datetime(),
          }),
        ),
      }),
    ),
  })
  .openapi("SubscriberWages");

export const MonthsQuery = z.object({
  from: ContributionMonthString.optional(),
  to: ContributionMonthString.optional(),
});

export const MonthStatus = z
  .enum(["PAID", "PARTIALLY_PAID", "UNPAID", "OVERDUE", "NOT_YET_BILLED", "BEFORE_RECORDS"])
  .openapi("MonthPaymentStatus");

export const MonthsResponse = z
  .object({
    asOf: z.string(),
    employments: z.array(z.object({ employmentId: z.string(), establishment: Establishment })),
    months: z.array(
      z.object({
        month: z.string(),
        employmentId: z.string().openapi({ description: "One of `employments`" }),
        daysInService: z.number().int(),
        contributoryWage: MoneyString.nullable(),
        employeeShare: MoneyString,
        employerShare: MoneyString,
        status: MonthStatus,
        invoices: z.array(z.object({ number: z.string(), dueDate: z.string(), paid: z.boolean() })),
      }),
    ),
  })
  .openapi("MonthlyContributions");

export const PublicInquiryBody = z
  .object({ idNumber: IdNumber, dateOfBirth: BusinessDateString })
  .openapi("PublicInquiryBody");

export const PublicInquiryResponse = z
  .object({
    registered: z.boolean(),
    maskedName: z.string().optional(),
    currentlyEmployed: z.boolean().optional(),
  })
  .openapi("PublicInquiry");
