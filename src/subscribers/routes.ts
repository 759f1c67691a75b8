import { createRoute, type z } from "@hono/zod-openapi";
import { clearSessionCookie, setSessionCookie } from "../auth/middleware.js";
import { ContributionMonth } from "../shared/contribution-month.js";
import type { ErrorCode } from "../shared/errors.js";
import {
  type AppEnv,
  clientAddress,
  createRouter,
  errorResponses,
  jsonContent,
  preparedJson,
  sessionSecurity,
} from "../shared/http.js";
import type { CaptchaStore } from "./captcha.js";
import type { SubscriberInquiries } from "./inquiry-service.js";
import { requireSubscriber, subscriberActor } from "./middleware.js";
import {
  CaptchaResponse,
  ChangeParams,
  CodeBody,
  ContactChangeResponse,
  EmailChangeBody,
  MobileChangeBody,
  MonthsQuery,
  MonthsResponse,
  PasswordResetBody,
  PasswordResetConfirmationBody,
  PasswordResetResponse,
  PeriodsResponse,
  ProfileResponse,
  PublicInquiryBody,
  PublicInquiryResponse,
  RegistrationBody,
  RegistrationParams,
  RegistrationResponse,
  ResendResponse,
  ResetParams,
  SubjectParams,
  SubscriberLoginBody,
  SubscriberSessionResponse,
  WagesResponse,
} from "./schemas.js";
import type { SubscriberAccounts } from "./service.js";

const idErrors: ErrorCode[] = ["ID_FORMAT_INVALID", "ID_TYPE_UNKNOWN", "ID_CHECK_DIGIT_INVALID"];
const codeErrors: ErrorCode[] = ["OTP_INVALID", "OTP_EXPIRED", "OTP_ATTEMPTS_EXCEEDED"];
const sendErrors: ErrorCode[] = ["OTP_RESEND_TOO_SOON", "OTP_SEND_LIMIT_REACHED"];
const captchaErrors: ErrorCode[] = ["CAPTCHA_INVALID", "CAPTCHA_EXPIRED"];
const signedIn: ErrorCode[] = ["AUTHENTICATION_REQUIRED"];
const tags = ["Subscribers"];
const iso = (date: Date) => date.toISOString();

const newCaptcha = createRoute({
  method: "post",
  path: "/v1/captchas",
  tags,
  summary: "A new captcha (SVG), good for one answer within 5 minutes",
  responses: { 201: { description: "Captcha", ...jsonContent(CaptchaResponse) } },
});

const register = createRoute({
  method: "post",
  path: "/v1/subscriber-registrations",
  tags,
  summary: "Start a subscriber's registration: checks every field and the captcha, then texts a 6-digit code",
  request: { body: { required: true, ...jsonContent(RegistrationBody) } },
  responses: {
    201: { description: "Waiting for the code", ...jsonContent(RegistrationResponse) },
    ...errorResponses(
      ...idErrors,
      ...captchaErrors,
      ...sendErrors,
      "IQAMA_GIVEN_FOR_SAUDI",
      "NATIONAL_ID_GIVEN_FOR_NON_SAUDI",
      "EMAIL_MISMATCH",
      "PASSWORD_MISMATCH",
      "PASSWORD_TOO_WEAK",
      "MOBILE_INVALID",
      "MOBILE_MISMATCH",
      "TERMS_NOT_ACCEPTED",
      "SUBSCRIBER_NOT_FOUND",
      "ACCOUNT_ALREADY_EXISTS",
      "USER_EMAIL_TAKEN",
    ),
  },
});

const resendRegistrationCode = createRoute({
  method: "post",
  path: "/v1/subscriber-registrations/{registrationId}/code",
  tags,
  summary: "Send a new code (the previous one stops working); once a minute, a few an hour",
  request: { params: RegistrationParams },
  responses: {
    202: { description: "Sent", ...jsonContent(ResendResponse) },
    ...errorResponses("REGISTRATION_NOT_FOUND", ...sendErrors),
  },
});

const confirmRegistration = createRoute({
  method: "post",
  path: "/v1/subscriber-registrations/{registrationId}/confirmation",
  tags,
  summary: "Confirm the code: the account is created and signed in",
  request: { params: RegistrationParams, body: { required: true, ...jsonContent(CodeBody) } },
  responses: {
    201: { description: "Account created; signed in", ...jsonContent(SubscriberSessionResponse) },
    ...errorResponses("REGISTRATION_NOT_FOUND", ...codeErrors, "ACCOUNT_ALREADY_EXISTS", "USER_EMAIL_TAKEN"),
  },
});

const logIn = createRoute({
  method: "post",
  path: "/v1/auth/subscriber/sessions",
  tags,
  summary: "Sign in with the ID number and password; 5 failures in 15 minutes lock the ID for 15 minutes",
  request: { body: { required: true, ...jsonContent(SubscriberLoginBody) } },
  responses: {
    201: { description: "Signed in", ...jsonContent(SubscriberSessionResponse) },
    ...errorResponses(...idErrors, "INVALID_CREDENTIALS", "SIGN_IN_LOCKED"),
  },
});

const logOut = createRoute({
  method: "delete",
  path: "/v1/auth/subscriber/sessions/current",
  tags,
  summary: "Sign out",
  security: sessionSecurity,
  responses: { 204: { description: "Signed out" }, ...errorResponses(...signedIn) },
});

const requestReset = createRoute({
  method: "post",
  path: "/v1/subscriber-password-resets",
  tags,
  summary: "Forgotten password: texts a code to the account's mobile (the answer is the same for any ID)",
  request: { body: { required: true, ...jsonContent(PasswordResetBody) } },
  responses: {
    202: { description: "A code was sent if the ID has an account", ...jsonContent(PasswordResetResponse) },
    ...errorResponses(...idErrors, ...captchaErrors, ...sendErrors, "RATE_LIMITED"),
  },
});

const confirmReset = createRoute({
  method: "post",
  path: "/v1/subscriber-password-resets/{resetId}/confirmation",
  tags,
  summary: "Set a new password with the code; every session of the account ends",
  request: { params: ResetParams, body: { required: true, ...jsonContent(PasswordResetConfirmationBody) } },
  responses: {
    204: { description: "Password changed" },
    ...errorResponses(...codeErrors, "PASSWORD_MISMATCH", "PASSWORD_TOO_WEAK"),
  },
});

const profile = createRoute({
  method: "get",
  path: "/v1/subscribers/me",
  tags,
  summary: "The signed-in subscriber's details",
  security: sessionSecurity,
  responses: { 200: { description: "Profile", ...jsonContent(ProfileResponse) }, ...errorResponses(...signedIn) },
});

const requestMobileChange = createRoute({
  method: "post",
  path: "/v1/subscribers/me/mobile-changes",
  tags,
  summary: "Change the mobile number: a code goes to the new number; the change applies once it is confirmed",
  security: sessionSecurity,
  request: { body: { required: true, ...jsonContent(MobileChangeBody) } },
  responses: {
    202: { description: "Code sent", ...jsonContent(ContactChangeResponse) },
    ...errorResponses(...signedIn, "MOBILE_INVALID", "MOBILE_MISMATCH", "INVALID_CREDENTIALS", ...sendErrors),
  },
});

const confirmMobileChange = createRoute({
  method: "post",
  path: "/v1/subscribers/me/mobile-changes/{changeId}/confirmation",
  tags,
  summary: "Confirm the new mobile number with its code",
  security: sessionSecurity,
  request: { params: ChangeParams, body: { required: true, ...jsonContent(CodeBody) } },
  responses: {
    200: { description: "Changed", ...jsonContent(ProfileResponse) },
    ...errorResponses(...signedIn, "CONTACT_CHANGE_NOT_FOUND", ...codeErrors),
  },
});

const requestEmailChange = createRoute({
  method: "post",
  path: "/v1/subscribers/me/email-changes",
  tags,
  summary: "Change the email: a code goes to the new address; the change applies once it is confirmed",
  security: sessionSecurity,
  request: { body: { required: true, ...jsonContent(EmailChangeBody) } },
  responses: {
    202: { description: "Code sent", ...jsonContent(ContactChangeResponse) },
    ...errorResponses(...signedIn, "EMAIL_MISMATCH", "INVALID_CREDENTIALS", "USER_EMAIL_TAKEN", ...sendErrors),
  },
});

const confirmEmailChange = createRoute({
  method: "post",
  path: "/v1/subscribers/me/email-changes/{changeId}/confirmation",
  tags,
  summary: "Confirm the new email with its code",
  security: sessionSecurity,
  request: { params: ChangeParams, body: { required: true, ...jsonContent(CodeBody) } },
  responses: {
    200: { description: "Changed", ...jsonContent(ProfileResponse) },
    ...errorResponses(...signedIn, "CONTACT_CHANGE_NOT_FOUND", "USER_EMAIL_TAKEN", ...codeErrors),
  },
});

const periods = createRoute({
  method: "get",
  path: "/v1/subscribers/{subscriberId}/contribution-periods",
  tags,
  summary: "Employment periods per establishment, with months and days, and the total insured months",
  security: sessionSecurity,
  request: { params: SubjectParams },
  responses: {
    200: { description: "Periods", ...jsonContent(PeriodsResponse) },
    ...errorResponses(...signedIn, "SUBSCRIBER_NOT_FOUND"),
  },
});

const wages = createRoute({
  method: "get",
  path: "/v1/subscribers/{subscriberId}/wages",
  tags,
  summary: "Registered wages per employer, in the order recorded (corrections marked)",
  security: sessionSecurity,
  request: { params: SubjectParams },
  responses: {
    200: { description: "Wages", ...jsonContent(WagesResponse) },
    ...errorResponses(...signedIn, "SUBSCRIBER_NOT_FOUND"),
  },
});

const months = createRoute({
  method: "get",
  path: "/v1/subscribers/{subscriberId}/contribution-months",
  tags,
  summary: "Month by month: contributory wage, employee and employer shares, and whether the employer paid them in",
  security: sessionSecurity,
  request: { params: SubjectParams, query: MonthsQuery },
  responses: {
    200: { description: "Months, newest first", ...jsonContent(MonthsResponse) },
    ...errorResponses(...signedIn, "SUBSCRIBER_NOT_FOUND", "DATE_RANGE_REVERSED"),
  },
});

const publicInquiry = createRoute({
  method: "post",
  path: "/v1/public/insurance-inquiries",
  tags: ["Public"],
  summary: "Is this ID insured, and under which name (masked)? Needs the date of birth; rate-limited",
  request: { body: { required: true, ...jsonContent(PublicInquiryBody) } },
  responses: {
    200: { description: "The answer", ...jsonContent(PublicInquiryResponse) },
    ...errorResponses(...idErrors, "RATE_LIMITED"),
  },
});

export function subscriberRoutes(deps: {
  accounts: SubscriberAccounts;
  inquiries: SubscriberInquiries;
  captchas: CaptchaStore;
  trustProxy: boolean;
}) {
  const { accounts, inquiries, captchas } = deps;
  const app = createRouter();
  // Everything under /v1/subscribers/ is signed in: app.ts registers that once for every feature.
  app.use(logOut.path, requireSubscriber(accounts));

  const actor = (c: { get(key: "actor"): AppEnv["Variables"]["actor"] }) => subscriberActor(c.get("actor"));
  const session = (result: { token: string; expiresAt: Date; subscriberId: string }) => ({
    ...result,
    expiresAt: iso(result.expiresAt),
  });

  return app
    .openapi(newCaptcha, async (c) => {
      const captcha = await captchas.issue();
      return c.json({ id: captcha.id, image: captcha.svg, expiresAt: iso(captcha.expiresAt) }, 201);
    })
    .openapi(register, async (c) => {
      const started = await accounts.register(c.req.valid("json"));
      return c.json(
        {
          ...started,
          codeExpiresAt: iso(started.codeExpiresAt),
          resendAvailableAt: iso(started.resendAvailableAt),
        },
        201,
      );
    })
    .openapi(resendRegistrationCode, async (c) => {
      const sent = await accounts.resendRegistrationCode(c.req.valid("param").registrationId);
      return c.json(
        { ...sent, codeExpiresAt: iso(sent.codeExpiresAt), resendAvailableAt: iso(sent.resendAvailableAt) },
        202,
      );
    })
    .openapi(confirmRegistration, async (c) => {
      const signed = await accounts.confirmRegistration(c.req.valid("param").registrationId, c.req.valid("json").code);
      setSessionCookie(c, signed.token, signed.expiresAt);
      return c.json(session(signed), 201);
    })
    .openapi(logIn, async (c) => {
      const signed = await accounts.logIn(c.req.valid("json"));
      setSessionCookie(c, signed.token, signed.expiresAt);
      return c.json(session(signed), 201);
    })
    .openapi(logOut, async (c) => {
      await accounts.logOut(actor(c));
      clearSessionCookie(c);
      return c.body(null, 204);
    })
    .openapi(requestReset, async (c) => {
      const started = await accounts.requestPasswordReset(c.req.valid("json"));
      return c.json(
        { ...started, message: "if this ID number has an account, a code was sent to its mobile number" },
        202,
      );
    })
    .openapi(confirmReset, async (c) => {
      await accounts.confirmPasswordReset(c.req.valid("param").resetId, c.req.valid("json"));
      return c.body(null, 204);
    })
    .openapi(profile, async (c) => c.json(await accounts.profile(actor(c)), 200))
    .openapi(requestMobileChange, async (c) => {
      const body = c.req.valid("json");
      const change = await accounts.requestContactChange(actor(c), {
        kind: "mobile",
        mobile: body.mobile,
        confirmation: body.mobileConfirmation,
        password: body.password,
      });
      return c.json({ ...change, codeExpiresAt: iso(change.codeExpiresAt) }, 202);
    })
    .openapi(confirmMobileChange, async (c) => {
      await accounts.confirmContactChange(actor(c), "mobile", c.req.valid("param").changeId, c.req.valid("json").code);
      return c.json(await accounts.profile(actor(c)), 200);
    })
    .openapi(requestEmailChange, async (c) => {
      const body = c.req.valid("json");
      const change = await accounts.requestContactChange(actor(c), {
        kind: "email",
        email: body.email,
        confirmation: body.emailConfirmation,
        password: body.password,
      });
      return c.json({ ...change, codeExpiresAt: iso(change.codeExpiresAt) }, 202);
    })
    .openapi(confirmEmailChange, async (c) => {
      await accounts.confirmContactChange(actor(c), "email", c.req.valid("param").changeId, c.req.valid("json").code);
      return c.json(await accounts.profile(actor(c)), 200);
    })
    .openapi(periods, async (c) => c.json(await inquiries.periods(actor(c), c.req.valid("param").subscriberId), 200))
    .openapi(wages, async (c) => c.json(await inquiries.wages(actor(c), c.req.valid("param").subscriberId), 200))
    .openapi(months, async (c) => {
      const query = c.req.valid("query");
      const answer = await inquiries.months(actor(c), c.req.valid("param").subscriberId, {
        from: query.from ? ContributionMonth.parse(query.from) : undefined,
        to: query.to ? ContributionMonth.parse(query.to) : undefined,
      });
      return preparedJson<z.infer<typeof MonthsResponse>>(c, answer);
    })
    .openapi(publicInquiry, async (c) =>
      c.json(await inquiries.publicInquiry(c.req.valid("json"), clientAddress(c, deps.trustProxy)), 200),
    );
}
