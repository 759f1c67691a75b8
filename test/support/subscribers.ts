import { createLogEmailSender, createLogSmsSender } from "../../src/messaging/senders.js";
import { createMessaging } from "../../src/messaging/service.js";
import { createLogger } from "../../src/shared/logger.js";
import { createSubscriberNotices } from "../../src/subscribers/notifications.js";
import { requestJson, TEST_CAPTCHA_ANSWER, type TestContext, type TestResponse } from "./test-app.js";

let mobileSequence = 0;

/** A fresh valid Saudi mobile number in national form (05…), unique within the test process. */
export function newMobile(): string {
  mobileSequence += 1;
  return `055${String((process.pid * 31 + mobileSequence) % 10_000_000).padStart(7, "0")}`;
}

/** The national form's E.164 twin (+9665…), as stored and texted. */
export const e164 = (mobile: string) => `+966${mobile.slice(1)}`;

export async function newCaptchaId(context: TestContext): Promise<string> {
  const response = await requestJson(context.app, "POST", "/v1/captchas");
  if (response.status !== 201) throw new Error(`captcha refused: ${JSON.stringify(response.body)}`);
  return (response.body as { id: string }).id;
}

/** Every message sent to a recipient, newest first, as the outbox holds them. */
export async function messagesTo(context: TestContext, recipient: string) {
  return context.database.prisma.outboundMessage.findMany({
    where: { recipient },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
  });
}

/** The last one-time code texted (or emailed) to a recipient. */
export async function latestCode(context: TestContext, recipient: string): Promise<string> {
  const codes = (await messagesTo(context, recipient)).filter((message) => message.purpose === "ONE_TIME_CODE");
  const code = /\b(\d{6})\b/.exec(codes[0]?.body ?? "")?.[1];
  if (!code) throw new Error(`no code was sent to ${recipient}`);
  return code;
}

export type RegistrationDetails = {
  idNumber: string;
  nationality?: "SAUDI" | "NON_SAUDI";
  dateOfBirth?: string;
  email?: string;
  mobile?: string;
  password?: string;
};

export const SUBSCRIBER_PASSWORD = "Subscriber2026";

/** The registration body with every confirmation matching and a solved captcha; override to break one field. */
export async function registrationBody(
  context: TestContext,
  details: RegistrationDetails,
  overrides: Record<string, unknown> = {},
) {
  const email = details.email ?? `person-${details.idNumber}@subscriber.test`;
  const mobile = details.mobile ?? newMobile();
  const password = details.password ?? SUBSCRIBER_PASSWORD;
  return {
    idNumber: details.idNumber,
    nationality: details.nationality ?? (details.idNumber.startsWith("1") ? "SAUDI" : "NON_SAUDI"),
    dateOfBirth: details.dateOfBirth ?? "1990-05-05",
    email,
    emailConfirmation: email,
    password,
    passwordConfirmation: password,
    mobile,
    mobileConfirmation: mobile,
    captchaId: await newCaptchaId(context),
    captchaAnswer: TEST_CAPTCHA_ANSWER,
    acceptTerms: true,
    ...overrides,
  };
}

export const startRegistration = (context: TestContext, body: unknown): Promise<TestResponse> =>
  requestJson(context.app, "POST", "/v1/subscriber-registrations", body);

/** Registers an insured person's portal account through every step; returns the session token and details. */
export async function registerSubscriber(context: TestContext, details: RegistrationDetails) {
  const body = await registrationBody(context, details);
  const started = await startRegistration(context, body);
  if (started.status !== 201) throw new Error(`registration refused: ${JSON.stringify(started.body)}`);
  const { registrationId } = started.body as { registrationId: string };
  const code = await latestCode(context, e164(body.mobile));
  const confirmed = await requestJson(
    context.app,
    "POST",
    `/v1/subscriber-registrations/${registrationId}/confirmation`,
    {
      code,
    },
  );
  if (confirmed.status !== 201) throw new Error(`confirmation refused: ${JSON.stringify(confirmed.body)}`);
  const session = confirmed.body as { token: string; subscriberId: string };
  return { ...session, mobile: body.mobile, email: body.email, password: body.password, idNumber: details.idNumber };
}

export async function signInSubscriber(context: TestContext, idNumber: string, password = SUBSCRIBER_PASSWORD) {
  return requestJson(context.app, "POST", "/v1/auth/subscriber/sessions", { idNumber, password });
}

/** The notice jobs as the scheduler runs them, over the test database and clock. */
export function noticeJobs(context: TestContext) {
  const logger = createLogger({ level: "silent" });
  const messaging = createMessaging({
    db: context.database.prisma,
    clock: context.clock,
    logger,
    sms: createLogSmsSender(logger),
    email: createLogEmailSender(logger),
  });
  return createSubscriberNotices({ db: context.database.prisma, clock: context.clock, messaging });
}
