import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthService } from "../../src/auth/service.js";
import { hire } from "../support/billing.js";
import { dataAttribute, pageSession } from "../support/pages.js";
import { e164, latestCode, newMobile, registerSubscriber } from "../support/subscribers.js";
import {
  bearer,
  buildTestApp,
  registerEstablishment,
  requestJson,
  TEST_CAPTCHA_ANSWER,
  type TestContext,
} from "../support/test-app.js";

/**
 * The portal's other forms through HTTP: password reset, contact changes, certificates, an
 * employee's wage and end, API keys, and the staff pages. Each goes through the page and is
 * checked through the API.
 */
let context: TestContext;
let employer: Awaited<ReturnType<typeof registerEstablishment>>;
const STAFF_PASSWORD = "correct horse battery staple";
let adminEmail: string;

beforeAll(async () => {
  context = await buildTestApp();
  employer = await registerEstablishment(context);
  adminEmail = `admin-${Date.now()}@agency.test`;
  await createAuthService({ db: context.database.prisma, clock: context.clock }).createStaffUser({
    email: adminEmail,
    displayName: "Admin",
    password: STAFF_PASSWORD,
    role: "AGENCY_ADMIN",
  });
});
afterAll(() => context.close());

const hiddenValue = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];

async function subscriberWithAccount() {
  const { idNumber } = await hire(context, employer, { startDate: "2026-10-01", basic: "6000" });
  const account = await registerSubscriber(context, { idNumber });
  const session = pageSession(context.app);
  const signed = await session.signIn("/subscriber/login", { idNumber, password: account.password });
  expect(signed).toMatchObject({ status: 303, location: "/subscriber" });
  return { session, account, idNumber };
}

describe("subscriber forms", () => {
  it("resets a forgotten password with the captcha and the SMS code, then signs in with the new one", async () => {
    const { account, idNumber } = await subscriberWithAccount();
    const visitor = pageSession(context.app);
    const form = await visitor.get("/subscriber/forgot");
    expect(form.html).toContain('id="captcha-image"');
    const started = await visitor.post("/subscriber/forgot", {
      idNumber,
      captchaId: hiddenValue(form.html, "captchaId") ?? "",
      captchaAnswer: TEST_CAPTCHA_ANSWER,
    });
    expect(started.location).toMatch(/^\/subscriber\/forgot\/[^/]+$/);
    const resetPath = started.location as string;
    await visitor.get(resetPath);
    const mismatch = await visitor.post(resetPath, {
      code: await latestCode(context, e164(account.mobile)),
      password: "NewPassword2027",
      passwordConfirmation: "NewPassword2028",
    });
    expect(dataAttribute(mismatch.html, "data-code")).toBe("PASSWORD_MISMATCH");
    const done = await visitor.post(resetPath, {
      code: await latestCode(context, e164(account.mobile)),
      password: "NewPassword2027",
      passwordConfirmation: "NewPassword2027",
    });
    expect(done.location).toBe("/subscriber/login?reset=1");
    const signed = await pageSession(context.app).signIn("/subscriber/login", {
      idNumber,
      password: "NewPassword2027",
    });
    expect(signed.location).toBe("/subscriber");
  });

  it("changes the mobile number only once the code sent to the new number is confirmed", async () => {
    const { session, account } = await subscriberWithAccount();
    const mobile = newMobile();
    const requested = await session.post("/subscriber/contact/mobile", {
      mobile,
      mobileConfirmation: mobile,
      password: account.password,
    });
    expect(requested.location).toMatch(/^\/subscriber\/contact\/mobile\/[^/?]+\?to=/);
    const confirmPath = (requested.location as string).split("?")[0] as string;
    expect((await session.get("/subscriber/contact")).html).toContain(e164(account.mobile));
    const wrong = await session.post(confirmPath, { code: "000000" });
    expect(dataAttribute(wrong.html, "data-code")).toBe("OTP_INVALID");
    const confirmed = await session.post(confirmPath, { code: await latestCode(context, e164(mobile)) });
    expect(confirmed.location).toBe("/subscriber/contact?changed=1");
    expect((await session.get("/subscriber/contact?changed=1")).html).toContain(e164(mobile));
  });

  it("issues a certificate and links its PDF, which the session cookie downloads", async () => {
    const { session } = await subscriberWithAccount();
    expect((await session.post("/subscriber/certificates", {})).location).toBe("/subscriber/certificates?issued=1");
    const page = await session.get("/subscriber/certificates?issued=1");
    const link = /href="(\/v1\/subscribers\/me\/certificates\/[^"]+\/pdf)"/.exec(page.html)?.[1];
    expect(link).toBeDefined();
    const pdf = await context.app.request(link as string, {
      headers: { cookie: `ishtirak_session=${session.cookies.get("ishtirak_session")}` },
    });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get("content-type")).toContain("application/pdf");
  });

  it("shows the dashboard with periods, the wage chart and the month table", async () => {
    const { session } = await subscriberWithAccount();
    const dashboard = await session.get("/subscriber");
    expect(dashboard.status).toBe(200);
    expect(dashboard.html).toContain('id="periods"');
    // Not billed yet: the chart draws the registered wage for October and November.
    expect(dataAttribute(dashboard.html, "data-points")).toBe("2");
    const months = await session.get("/subscriber/months?from=2026-10");
    expect(months.html).toContain('data-month="2026-11"');
  });
});

describe("establishment forms", () => {
  const signIn = async () => {
    const session = pageSession(context.app);
    await session.signIn("/employer/login", {
      email: employer.body.admin.email,
      password: employer.body.admin.password,
    });
    return session;
  };

  it("records a wage change and ends an employment from the employee's page", async () => {
    const { subscriberId } = await hire(context, employer, { startDate: "2026-10-01", basic: "5000" });
    const session = await signIn();
    const page = await session.get(`/employer/employees/${subscriberId}`);
    const wage = await session.post(`/employer/employees/${subscriberId}/wage`, {
      formKey: crypto.randomUUID(),
      effectiveMonth: "2026-11",
      basic: "5500",
      housing: "1000",
    });
    expect(wage.location).toBe(`/employer/employees/${subscriberId}?wage=1`);
    expect(page.status).toBe(200);
    const ended = await session.post(`/employer/employees/${subscriberId}/end`, {
      formKey: crypto.randomUUID(),
      endDate: "2026-11-20",
      reason: "RESIGNATION",
    });
    expect(ended.location).toBe(`/employer/employees/${subscriberId}?ended=1`);
    const employee = await requestJson(
      context.app,
      "GET",
      `/v1/establishments/${employer.establishment.id}/employees/${subscriberId}`,
      undefined,
      bearer(employer.token),
    );
    const [employment] = (
      employee.body as {
        employments: { endDate: string; wages: { effectiveMonth: string; contributoryWage: string }[] }[];
      }
    ).employments;
    expect(employment?.endDate).toBe("2026-11-20");
    expect(employment?.wages.map((w) => [w.effectiveMonth, w.contributoryWage])).toContainEqual(["2026-11", "6500.00"]);
  });

  it("creates an API key shown once, and revokes it", async () => {
    const session = await signIn();
    await session.get("/employer/api-keys");
    const created = await session.post("/employer/api-keys", { formKey: crypto.randomUUID(), name: "Payroll" });
    const key = /id="new-api-key">([^<]+)</.exec(created.html)?.[1];
    expect(key).toMatch(/^ik_/);
    const listed = await session.get("/employer/api-keys");
    expect(listed.html).not.toContain(key);
    const keyId = /action="\/employer\/api-keys\/([^/"]+)\/revoke"/.exec(listed.html)?.[1];
    expect((await session.post(`/employer/api-keys/${keyId}/revoke`, {})).location).toBe("/employer/api-keys");
    const api = await requestJson(
      context.app,
      "GET",
      `/v1/establishments/${employer.establishment.id}/employees`,
      undefined,
      bearer(key as string),
    );
    expect(api.status).toBe(401);
  });
});

describe("staff pages", () => {
  it("shows the rates in force, runs a reconciliation and offers the downloads", async () => {
    const session = pageSession(context.app);
    await session.signIn("/staff/login", { email: adminEmail, password: STAFF_PASSWORD });
    const rates = await session.get("/admin/rates");
    expect(rates.status).toBe(200);
    expect((rates.html.match(/class="status PAID"/g) ?? []).length).toBe(1);
    expect((await session.get("/admin/fines")).status).toBe(200);
    const downloads = await session.get("/accountant/downloads");
    expect(downloads.html).toContain('action="/v1/exports/journal"');
    await session.get("/accountant/reconciliation");
    // A charge on the agency's Stripe account that is no Ishtirak payment: the ledger never has it.
    const stand = context.stripe.local.state;
    const stray = stand.createPaymentIntent({ amount: 4_321, currency: "sar", metadata: {} });
    const strayCharge = stand.confirmPaymentIntent(stray.id as string, "succeeded").latest_charge as string;
    const ran = await session.post("/accountant/reconciliation", { from: "2026-11-01", to: "2026-11-25" });
    expect(ran.location).toBe("/accountant/reconciliation");
    const runs = await session.get("/accountant/reconciliation");
    expect(runs.html).toContain("data-run=");
    expect(runs.html).toContain("<code>PAYMENT_MISSING_IN_LEDGER</code>");
    const runLink = runs.html.match(/href="(\/accountant\/reconciliation\/rec_[^"]+)"/)?.[1];
    const detail = await session.get(runLink as string);
    expect(detail.status).toBe(200);
    expect(detail.html).toContain(`<code>${strayCharge}</code>`);
    expect(detail.html).toContain("43.21");
    expect((await session.get("/accountant/reconciliation/rec_unknown")).status).toBe(404);
    const reversed = await session.post("/accountant/reconciliation", { from: "2026-11-25", to: "2026-11-01" });
    expect(dataAttribute(reversed.html, "data-code")).toBe("DATE_RANGE_REVERSED");
  });
});
