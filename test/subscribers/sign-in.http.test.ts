import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hire } from "../support/billing.js";
import { newIdNumber } from "../support/people.js";
import {
  e164,
  latestCode,
  messagesTo,
  newCaptchaId,
  newMobile,
  registerSubscriber,
  SUBSCRIBER_PASSWORD,
  signInSubscriber,
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

async function subscriber() {
  const { idNumber } = await hire(context, employer, { startDate: "2026-09-01", basic: "8000.00" });
  return registerSubscriber(context, { idNumber });
}
const me = (token: string) => requestJson(context.app, "GET", "/v1/subscribers/me", undefined, bearer(token));

describe("signing in", () => {
  it("signs in with the ID number and password (Eastern Arabic digits too) and out again", async () => {
    const person = await subscriber();
    const eastern = [...person.idNumber].map((digit) => String.fromCodePoint(0x0660 + Number(digit))).join("");
    const signedIn = await signInSubscriber(context, eastern);
    expect(signedIn.status).toBe(201);
    expect(signedIn.headers.get("set-cookie")).toMatch(/HttpOnly/i);
    const { token } = signedIn.body as { token: string };
    expect((await me(token)).status).toBe(200);

    const cookie = await requestJson(context.app, "GET", "/v1/subscribers/me", undefined, {
      cookie: `ishtirak_session=${token}`,
    });
    expect(cookie.status).toBe(200);

    const out = await requestJson(
      context.app,
      "DELETE",
      "/v1/auth/subscriber/sessions/current",
      undefined,
      bearer(token),
    );
    expect(out.status).toBe(204);
    expectError(await me(token), 401, "AUTHENTICATION_REQUIRED");
  });

  it("answers a wrong password and an unknown ID alike", async () => {
    const person = await subscriber();
    expectError(await signInSubscriber(context, person.idNumber, "Wrong-password1"), 401, "INVALID_CREDENTIALS");
    expectError(await signInSubscriber(context, newIdNumber("NATIONAL_ID")), 401, "INVALID_CREDENTIALS");
    expectError(await signInSubscriber(context, "1000000000"), 400, "ID_CHECK_DIGIT_INVALID");
  });

  it("locks an ID for 15 minutes after 5 failures in a row, whether or not it has an account", async () => {
    const person = await subscriber();
    const nobody = newIdNumber("NATIONAL_ID");
    for (let attempt = 0; attempt < 5; attempt++) {
      expectError(await signInSubscriber(context, person.idNumber, "Wrong-password1"), 401, "INVALID_CREDENTIALS");
      expectError(await signInSubscriber(context, nobody, "Wrong-password1"), 401, "INVALID_CREDENTIALS");
    }
    const locked = await signInSubscriber(context, person.idNumber);
    expectError(locked, 429, "SIGN_IN_LOCKED");
    expect(Number(locked.headers.get("retry-after"))).toBe(15 * 60);
    expectError(await signInSubscriber(context, nobody), 429, "SIGN_IN_LOCKED");

    context.clock.advanceBy(15 * 60 * 1000 + 1000);
    expect((await signInSubscriber(context, person.idNumber)).status).toBe(201);
  });

  it("does not take staff or employer sessions for subscriber routes", async () => {
    expectError(await me(employer.token), 401, "AUTHENTICATION_REQUIRED");
    expectError(await requestJson(context.app, "GET", "/v1/subscribers/me"), 401, "AUTHENTICATION_REQUIRED");
  });
});

describe("resetting a forgotten password by SMS code", () => {
  const request = async (idNumber: string) =>
    requestJson(context.app, "POST", "/v1/subscriber-password-resets", {
      idNumber,
      captchaId: await newCaptchaId(context),
      captchaAnswer: TEST_CAPTCHA_ANSWER,
    });
  const confirm = (resetId: string, body: Record<string, string>) =>
    requestJson(context.app, "POST", `/v1/subscriber-password-resets/${resetId}/confirmation`, body);

  it("sets a new password, ends every session and lifts a lockout", async () => {
    const person = await subscriber();
    for (let attempt = 0; attempt < 5; attempt++) await signInSubscriber(context, person.idNumber, "Wrong-password1");
    expectError(await signInSubscriber(context, person.idNumber), 429, "SIGN_IN_LOCKED");

    const started = await request(person.idNumber);
    expect(started.status).toBe(202);
    const { resetId } = started.body as { resetId: string };
    const code = await latestCode(context, e164(person.mobile));

    expectError(
      await confirm(resetId, { code, password: "weakpass", passwordConfirmation: "weakpass" }),
      400,
      "PASSWORD_TOO_WEAK",
    );
    expectError(
      await confirm(resetId, { code, password: "NewPassword1", passwordConfirmation: "NewPassword2" }),
      400,
      "PASSWORD_MISMATCH",
    );
    const done = await confirm(resetId, { code, password: "NewPassword1", passwordConfirmation: "NewPassword1" });
    expect(done.status).toBe(204);

    expectError(await me(person.token), 401, "AUTHENTICATION_REQUIRED");
    expectError(await signInSubscriber(context, person.idNumber), 401, "INVALID_CREDENTIALS");
    expect((await signInSubscriber(context, person.idNumber, "NewPassword1")).status).toBe(201);
    // The code was used.
    expectError(
      await confirm(resetId, { code, password: "NewPassword3", passwordConfirmation: "NewPassword3" }),
      422,
      "OTP_INVALID",
    );
  });

  it("answers the same for an ID without an account, and nothing is sent", async () => {
    const { idNumber } = await hire(context, employer, { startDate: "2026-09-01", basic: "8000.00" });
    const started = await request(idNumber);
    expect(started.status).toBe(202);
    expect(Object.keys(started.body as object).sort()).toEqual(["message", "resetId"]);
    const { resetId } = started.body as { resetId: string };
    expectError(
      await confirm(resetId, { code: "123456", password: "NewPassword1", passwordConfirmation: "NewPassword1" }),
      422,
      "OTP_INVALID",
    );
    expectError(await request(idNumber), 429, "RATE_LIMITED");
  });

  it("needs a solved captcha", async () => {
    const person = await subscriber();
    const response = await requestJson(context.app, "POST", "/v1/subscriber-password-resets", {
      idNumber: person.idNumber,
      captchaId: await newCaptchaId(context),
      captchaAnswer: "nope",
    });
    expectError(response, 400, "CAPTCHA_INVALID");
  });
});

describe("changing contact details", () => {
  it("changes the mobile only once the new number confirms its code, and tells the old number", async () => {
    const person = await subscriber();
    const newNumber = newMobile();
    const path = "/v1/subscribers/me/mobile-changes";
    expectError(
      await requestJson(
        context.app,
        "POST",
        path,
        { mobile: newNumber, mobileConfirmation: newNumber, password: "Wrong-1a" },
        bearer(person.token),
      ),
      401,
      "INVALID_CREDENTIALS",
    );
    expectError(
      await requestJson(
        context.app,
        "POST",
        path,
        { mobile: newNumber, mobileConfirmation: newMobile(), password: SUBSCRIBER_PASSWORD },
        bearer(person.token),
      ),
      400,
      "MOBILE_MISMATCH",
    );
    const started = await requestJson(
      context.app,
      "POST",
      path,
      { mobile: newNumber, mobileConfirmation: newNumber, password: SUBSCRIBER_PASSWORD },
      bearer(person.token),
    );
    expect(started.status).toBe(202);
    const { changeId } = started.body as { changeId: string };
    expect((await me(person.token)).body).toMatchObject({ mobile: e164(person.mobile) });

    const confirmed = await requestJson(
      context.app,
      "POST",
      `${path}/${changeId}/confirmation`,
      { code: await latestCode(context, e164(newNumber)) },
      bearer(person.token),
    );
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ mobile: e164(newNumber) });
    expect((await messagesTo(context, e164(person.mobile)))[0]).toMatchObject({ purpose: "MOBILE_CHANGED" });

    // Another subscriber cannot confirm this change id.
    const other = await subscriber();
    expectError(
      await requestJson(
        context.app,
        "POST",
        `${path}/${changeId}/confirmation`,
        { code: "123456" },
        bearer(other.token),
      ),
      404,
      "CONTACT_CHANGE_NOT_FOUND",
    );
  });

  it("changes the email with a code sent to the new address", async () => {
    const person = await subscriber();
    const address = `new-${person.idNumber}@subscriber.test`;
    const started = await requestJson(
      context.app,
      "POST",
      "/v1/subscribers/me/email-changes",
      { email: address, emailConfirmation: address, password: SUBSCRIBER_PASSWORD },
      bearer(person.token),
    );
    expect(started.status).toBe(202);
    const [message] = await messagesTo(context, address);
    expect(message).toMatchObject({ channel: "EMAIL", purpose: "ONE_TIME_CODE" });
    const confirmed = await requestJson(
      context.app,
      "POST",
      `/v1/subscribers/me/email-changes/${(started.body as { changeId: string }).changeId}/confirmation`,
      { code: await latestCode(context, address) },
      bearer(person.token),
    );
    expect(confirmed.body).toMatchObject({ email: address });

    const other = await subscriber();
    const taken = await requestJson(
      context.app,
      "POST",
      "/v1/subscribers/me/email-changes",
      { email: address, emailConfirmation: address, password: SUBSCRIBER_PASSWORD },
      bearer(other.token),
    );
    expectError(taken, 409, "USER_EMAIL_TAKEN");
  });
});
