import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hire } from "../support/billing.js";
import { newIdNumber } from "../support/people.js";
import {
  e164,
  latestCode,
  messagesTo,
  newMobile,
  registerSubscriber,
  registrationBody,
  startRegistration,
} from "../support/subscribers.js";
import {
  bearer,
  buildTestApp,
  expectError,
  registerEstablishment,
  requestJson,
  TEST_CAPTCHA_ANSWER,
  type TestContext,
} from "../support/test-app.js";

let context: TestContext;
let employer: Awaited<ReturnType<typeof registerEstablishment>>;

beforeAll(async () => {
  context = await buildTestApp();
  employer = await registerEstablishment(context);
});
afterAll(() => context.close());

/** A person an employer registered, with no portal account yet. */
async function insuredPerson(kind: "NATIONAL_ID" | "IQAMA" = "NATIONAL_ID") {
  const { idNumber, subscriberId } = await hire(context, employer, {
    startDate: "2026-09-01",
    basic: "8000.00",
    nationality: kind === "NATIONAL_ID" ? "SAUDI" : "OTHER",
  });
  return { idNumber, subscriberId };
}

const counts = async () => ({
  accounts: await context.database.prisma.subscriberAccount.count(),
  pending: await context.database.prisma.pendingRegistration.count(),
  codes: await context.database.prisma.oneTimeCode.count(),
});

const confirm = (registrationId: string, code: string) =>
  requestJson(context.app, "POST", `/v1/subscriber-registrations/${registrationId}/confirmation`, { code });

describe("registering as a subscriber", () => {
  it("walks every step: captcha, details, SMS code; the account is created only when the code is confirmed", async () => {
    const person = await insuredPerson();
    const captcha = await requestJson(context.app, "POST", "/v1/captchas");
    expect(captcha.status).toBe(201);
    expect((captcha.body as { image: string }).image).toMatch(/^<svg[\s\S]*<\/svg>$/);

    const body = await registrationBody(context, {
      idNumber: person.idNumber,
      email: `Mixed.Case.${person.idNumber}@Subscriber.TEST`,
    });
    const started = await startRegistration(context, body);
    expect(started.status).toBe(201);
    const registration = started.body as { registrationId: string; codeSentTo: string; codeExpiresAt: string };
    expect(registration.codeSentTo).toMatch(/^\+9665\*+\d\d$/);
    expect(new Date(registration.codeExpiresAt).getTime() - context.clock.now().getTime()).toBe(5 * 60 * 1000);
    expect(
      await context.database.prisma.subscriberAccount.count({ where: { subscriberId: person.subscriberId } }),
    ).toBe(0);

    const [sms] = await messagesTo(context, e164(body.mobile));
    expect(sms).toMatchObject({ channel: "SMS", purpose: "ONE_TIME_CODE", status: "SENT" });
    expect(sms?.body).toMatch(/\b\d{6}\b/);

    const confirmed = await confirm(registration.registrationId, await latestCode(context, e164(body.mobile)));
    expect(confirmed.status).toBe(201);
    expect(confirmed.headers.get("set-cookie")).toMatch(
      /ishtirak_session=ist_[^;]+;.*HttpOnly.*Secure.*SameSite=Strict/i,
    );
    const { token } = confirmed.body as { token: string };

    const profile = await requestJson(context.app, "GET", "/v1/subscribers/me", undefined, bearer(token));
    expect(profile.body).toMatchObject({
      id: person.subscriberId,
      idNumber: person.idNumber,
      email: `mixed.case.${person.idNumber}@subscriber.test`,
      mobile: e164(body.mobile),
    });
    const account = await context.database.prisma.subscriberAccount.findUniqueOrThrow({
      where: { subscriberId: person.subscriberId },
    });
    expect(account.passwordHash).toMatch(/^\$argon2id\$/);
    expect(account).toMatchObject({ termsVersion: expect.any(String), termsAcceptedAt: context.clock.now() });

    // The code is used: it does not confirm twice, and the ID cannot register again.
    expectError(await confirm(registration.registrationId, "000000"), 404, "REGISTRATION_NOT_FOUND");
    const again = await startRegistration(context, await registrationBody(context, { idNumber: person.idNumber }));
    expectError(again, 409, "ACCOUNT_ALREADY_EXISTS");
  });

  it("accepts an iqama holder, Eastern Arabic digits and the international mobile form", async () => {
    const person = await insuredPerson("IQAMA");
    const eastern = [...person.idNumber].map((digit) => String.fromCodePoint(0x0660 + Number(digit))).join("");
    const mobile = newMobile();
    const body = await registrationBody(
      context,
      { idNumber: eastern, nationality: "NON_SAUDI", mobile, email: `iqama-${person.idNumber}@subscriber.test` },
      { mobileConfirmation: `00966 ${mobile.slice(1)}` },
    );
    const started = await startRegistration(context, body);
    expect(started.status).toBe(201);
    const confirmed = await confirm(
      (started.body as { registrationId: string }).registrationId,
      await latestCode(context, e164(mobile)),
    );
    expect(confirmed.status).toBe(201);
  });

  it.each([
    ["EMAIL_MISMATCH", 400, { emailConfirmation: "someone.else@subscriber.test" }],
    ["PASSWORD_MISMATCH", 400, { passwordConfirmation: "Subscriber2027" }],
    ["PASSWORD_TOO_WEAK", 400, { password: "short1A", passwordConfirmation: "short1A" }],
    ["PASSWORD_TOO_WEAK", 400, { password: "alllowercase1", passwordConfirmation: "alllowercase1" }],
    ["MOBILE_INVALID", 400, { mobile: "0521234567", mobileConfirmation: "0521234567" }],
    ["MOBILE_MISMATCH", 400, { mobileConfirmation: "0509999999" }],
    ["TERMS_NOT_ACCEPTED", 400, { acceptTerms: false }],
    ["ID_CHECK_DIGIT_INVALID", 400, { idNumber: "1000000000" }],
    ["ID_FORMAT_INVALID", 400, { idNumber: "100000008" }],
    ["ID_TYPE_UNKNOWN", 400, { idNumber: "3000000004" }],
    ["IQAMA_GIVEN_FOR_SAUDI", 422, { idNumber: "2000000006", nationality: "SAUDI" }],
    ["NATIONAL_ID_GIVEN_FOR_NON_SAUDI", 422, { nationality: "NON_SAUDI" }],
    ["CAPTCHA_INVALID", 400, { captchaAnswer: "wrong" }],
    ["CAPTCHA_INVALID", 400, { captchaId: "cap_unknown" }],
    ["SUBSCRIBER_NOT_FOUND", 404, { dateOfBirth: "1991-05-05" }],
    ["SUBSCRIBER_NOT_FOUND", 404, { idNumber: newIdNumber("NATIONAL_ID") }],
    ["VALIDATION_FAILED", 400, { email: "not-an-email" }],
  ])("refuses %s (%i) and creates nothing", async (code, status, overrides) => {
    const person = await insuredPerson();
    const before = await counts();
    const response = await startRegistration(
      context,
      await registrationBody(context, { idNumber: person.idNumber }, overrides),
    );
    expectError(response, status, code);
    expect(await counts()).toEqual(before);
  });

  it("uses a captcha once, and not after 5 minutes", async () => {
    const person = await insuredPerson();
    const body = await registrationBody(context, { idNumber: person.idNumber }, { captchaAnswer: "wrong" });
    expectError(await startRegistration(context, body), 400, "CAPTCHA_INVALID");
    // Right answer, same captcha: spent by the wrong try.
    expectError(
      await startRegistration(context, { ...body, captchaAnswer: TEST_CAPTCHA_ANSWER }),
      400,
      "CAPTCHA_INVALID",
    );

    const stale = await registrationBody(context, { idNumber: person.idNumber });
    context.clock.advanceBy(5 * 60 * 1000 + 1);
    expectError(await startRegistration(context, stale), 400, "CAPTCHA_EXPIRED");
    // Answers are not case-sensitive.
    const upper = await registrationBody(
      context,
      { idNumber: person.idNumber },
      { captchaAnswer: TEST_CAPTCHA_ANSWER.toUpperCase() },
    );
    expect((await startRegistration(context, upper)).status).toBe(201);
  });

  it("refuses an email another account uses", async () => {
    const first = await insuredPerson();
    const registered = await registerSubscriber(context, { idNumber: first.idNumber });
    const second = await insuredPerson();
    const response = await startRegistration(
      context,
      await registrationBody(context, { idNumber: second.idNumber, email: registered.email.toUpperCase() }),
    );
    expectError(response, 409, "USER_EMAIL_TAKEN");
  });
});

describe("the SMS code", () => {
  async function started() {
    const person = await insuredPerson();
    const body = await registrationBody(context, { idNumber: person.idNumber });
    const response = await startRegistration(context, body);
    expect(response.status).toBe(201);
    return {
      ...person,
      mobile: e164(body.mobile),
      registrationId: (response.body as { registrationId: string }).registrationId,
    };
  }
  const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, "0");

  it("allows five tries: each wrong one says how many remain, the fifth voids the code", async () => {
    const registration = await started();
    const code = await latestCode(context, registration.mobile);
    for (let attempt = 1; attempt <= 4; attempt++) {
      const error = expectError(await confirm(registration.registrationId, wrongCode(code)), 422, "OTP_INVALID");
      expect(error.details?.[0]).toMatchObject({ remaining: 5 - attempt });
    }
    expectError(await confirm(registration.registrationId, wrongCode(code)), 422, "OTP_ATTEMPTS_EXCEEDED");
    expectError(await confirm(registration.registrationId, code), 422, "OTP_ATTEMPTS_EXCEEDED");
    expect(
      await context.database.prisma.subscriberAccount.count({ where: { subscriberId: registration.subscriberId } }),
    ).toBe(0);

    // A new code (after the cooldown) works.
    context.clock.advanceBy(61_000);
    const resent = await requestJson(
      context.app,
      "POST",
      `/v1/subscriber-registrations/${registration.registrationId}/code`,
    );
    expect(resent.status).toBe(202);
    expect((await confirm(registration.registrationId, await latestCode(context, registration.mobile))).status).toBe(
      201,
    );
  });

  it("expires after 5 minutes", async () => {
    const registration = await started();
    const code = await latestCode(context, registration.mobile);
    context.clock.advanceBy(5 * 60 * 1000 + 1);
    expectError(await confirm(registration.registrationId, code), 422, "OTP_EXPIRED");
  });

  it("resends after a minute, voiding the code before; five an hour at most", async () => {
    const registration = await started();
    const resend = () =>
      requestJson(context.app, "POST", `/v1/subscriber-registrations/${registration.registrationId}/code`);
    const tooSoon = await resend();
    expectError(tooSoon, 429, "OTP_RESEND_TOO_SOON");
    expect(Number(tooSoon.headers.get("retry-after"))).toBeGreaterThan(0);

    const first = await latestCode(context, registration.mobile);
    context.clock.advanceBy(61_000);
    expect((await resend()).status).toBe(202);
    const second = await latestCode(context, registration.mobile);
    if (first !== second) expectError(await confirm(registration.registrationId, first), 422, "OTP_INVALID");

    for (let sent = 2; sent < 5; sent++) {
      context.clock.advanceBy(61_000);
      expect((await resend()).status).toBe(202);
    }
    context.clock.advanceBy(61_000);
    const capped = await resend();
    expectError(capped, 429, "OTP_SEND_LIMIT_REACHED");
    expect(Number(capped.headers.get("retry-after"))).toBeGreaterThan(3000);
    // The latest code still completes the registration.
    expect((await confirm(registration.registrationId, await latestCode(context, registration.mobile))).status).toBe(
      201,
    );
  });

  it("creates one account when two registrations for one ID are confirmed at once", async () => {
    const person = await insuredPerson();
    const registrations = [];
    for (let index = 0; index < 2; index++) {
      const body = await registrationBody(context, {
        idNumber: person.idNumber,
        email: `race-${index}-${person.idNumber}@subscriber.test`,
      });
      const response = await startRegistration(context, body);
      expect(response.status).toBe(201);
      registrations.push({
        id: (response.body as { registrationId: string }).registrationId,
        mobile: e164(body.mobile),
      });
    }
    const codes = await Promise.all(registrations.map((registration) => latestCode(context, registration.mobile)));
    const answers = await Promise.all(
      registrations.map((registration, index) => confirm(registration.id, codes[index] as string)),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409]);
    expect(
      await context.database.prisma.subscriberAccount.count({ where: { subscriberId: person.subscriberId } }),
    ).toBe(1);
  });

  it("answers REGISTRATION_NOT_FOUND for an unknown registration", async () => {
    expectError(await confirm("reg_unknown", "123456"), 404, "REGISTRATION_NOT_FOUND");
  });
});
