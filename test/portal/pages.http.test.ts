import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SESSION_COOKIE } from "../../src/auth/middleware.js";
import { createAuthService } from "../../src/auth/service.js";
import { CSRF_COOKIE } from "../../src/portal/csrf.js";
import { hire } from "../support/billing.js";
import { dataAttribute, pageSession } from "../support/pages.js";
import { newIdNumber } from "../support/people.js";
import { bearer, buildTestApp, registerEstablishment, requestJson, type TestContext } from "../support/test-app.js";

/** The portal's pages through HTTP without a browser: languages, forms' protection, roles, tenancy. */
let context: TestContext;
let employer: Awaited<ReturnType<typeof registerEstablishment>>;
let otherEmployer: Awaited<ReturnType<typeof registerEstablishment>>;
const STAFF_PASSWORD = "correct horse battery staple";
const staffEmail = (role: string) => `${role}-${Date.now()}@agency.test`;
let accountantEmail: string;
let adminEmail: string;

beforeAll(async () => {
  context = await buildTestApp();
  employer = await registerEstablishment(context);
  otherEmployer = await registerEstablishment(context);
  const auth = createAuthService({ db: context.database.prisma, clock: context.clock });
  accountantEmail = staffEmail("accountant");
  adminEmail = staffEmail("admin");
  await auth.createStaffUser({
    email: accountantEmail,
    displayName: "A",
    password: STAFF_PASSWORD,
    role: "ACCOUNTANT",
  });
  await auth.createStaffUser({ email: adminEmail, displayName: "B", password: STAFF_PASSWORD, role: "AGENCY_ADMIN" });
});
afterAll(() => context.close());

const signInEmployer = async (who = employer) => {
  const session = pageSession(context.app);
  const signed = await session.signIn("/employer/login", {
    email: who.body.admin.email,
    password: who.body.admin.password,
  });
  expect(signed).toMatchObject({ status: 303, location: "/employer" });
  return session;
};

describe("pages and languages", () => {
  it("serves Arabic right to left by default with a CSRF cookie and a strict content security policy", async () => {
    const page = await pageSession(context.app).get("/");
    expect(page.status).toBe(200);
    expect(page.html).toMatch(/^<!doctype html><html lang="ar" dir="rtl">/);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(page.headers.get("cache-control")).toBe("no-store");
    const csrf = page.headers.getSetCookie().find((line) => line.startsWith(`${CSRF_COOKIE}=`));
    expect(csrf).toMatch(/HttpOnly/);
    expect(csrf).toMatch(/Secure/);
    expect(csrf).toMatch(/SameSite=Strict/);
  });

  it("switches to English and back on the same page, and never redirects off the site", async () => {
    const session = pageSession(context.app);
    const switched = await session.get("/lang/en?next=%2Fsubscriber%2Flogin%3Fnext%3D%252Fsubscriber");
    expect(switched).toMatchObject({ status: 303, location: "/subscriber/login?next=%2Fsubscriber" });
    const english = await session.get("/subscriber/login");
    expect(english.html).toContain('<html lang="en" dir="ltr">');
    expect(english.html).toContain("Subscriber sign-in");
    for (const next of ["//evil.example/x", "https://evil.example/", "/\\evil.example"]) {
      expect((await session.get(`/lang/ar?next=${encodeURIComponent(next)}`)).location).toBe("/");
    }
    expect((await session.get("/subscriber/login")).html).toContain('<html lang="ar" dir="rtl">');
  });

  it("answers an unknown page with an HTML 404, while the API keeps its JSON 404", async () => {
    const page = await pageSession(context.app).get("/employer/no-such-page");
    expect(page.status).toBe(404);
    expect(page.html).toContain("<html");
    const api = await requestJson(context.app, "GET", "/v1/no-such-route");
    expect(api.body).toMatchObject({ error: { code: "ROUTE_NOT_FOUND" } });
  });
});

describe("forms are protected against cross-site request forgery", () => {
  it("refuses a form without the token, or with another's, and signs nobody in", async () => {
    const session = pageSession(context.app);
    await session.get("/employer/login");
    const fields = { email: employer.body.admin.email, password: employer.body.admin.password };
    const missing = await session.post("/employer/login", fields, { withoutCsrf: true });
    expect(missing.status).toBe(403);
    expect(missing.html).toContain("CSRF_TOKEN_INVALID");
    const forged = await session.post("/employer/login", { ...fields, _csrf: "A".repeat(43) }, { withoutCsrf: true });
    expect(forged.status).toBe(403);
    expect(session.cookies.has(SESSION_COOKIE)).toBe(false);
  });

  it("refuses a form posted from another site's page even with a token", async () => {
    const session = pageSession(context.app);
    await session.get("/employer/login");
    const crossSite = await session.post(
      "/employer/login",
      { email: employer.body.admin.email, password: employer.body.admin.password },
      { headers: { origin: "https://evil.example" } },
    );
    expect(crossSite.status).toBe(403);
    expect(session.cookies.has(SESSION_COOKIE)).toBe(false);
  });

  it("refuses an upload over the page's limit before reading it, with its own page", async () => {
    const session = await signInEmployer();
    await session.get("/employer/upload");
    const huge = new FormData();
    huge.set("_csrf", session.cookies.get(CSRF_COOKIE) as string);
    huge.set("file", new File([new Uint8Array(17 * 1024 * 1024)], "big.csv", { type: "text/csv" }));
    const request = new Request("http://localhost/employer/upload", { method: "POST", body: huge });
    const body = await request.arrayBuffer();
    const response = await context.app.request("/employer/upload", {
      method: "POST",
      body,
      headers: {
        "content-type": request.headers.get("content-type") as string,
        "content-length": String(body.byteLength),
        cookie: [...session.cookies.entries()].map(([name, value]) => `${name}=${value}`).join("; "),
      },
    });
    expect(response.status).toBe(413);
    expect(dataAttribute(await response.text(), "data-code")).toBe("PAYLOAD_TOO_LARGE");
  });

  it("leaves the JSON API alone: no CSRF cookie, bearer calls work as before", async () => {
    const response = await context.app.request("/v1/captchas", { method: "POST" });
    expect(response.status).toBe(201);
    expect(response.headers.getSetCookie().some((line) => line.startsWith(CSRF_COOKIE))).toBe(false);
  });
});

describe("every page checks the role and the tenant like the API", () => {
  it("sends a visitor without a session to the right sign-in page, and back afterwards", async () => {
    const session = pageSession(context.app);
    expect((await session.get("/employer/invoices")).location).toBe("/employer/login?next=%2Femployer%2Finvoices");
    expect((await session.get("/subscriber/months")).location).toBe("/subscriber/login?next=%2Fsubscriber%2Fmonths");
    expect((await session.get("/accountant")).location).toBe("/staff/login?next=%2Faccountant");
    const signed = await session.post("/staff/login?next=%2Faccountant%2Fdownloads", {
      email: accountantEmail,
      password: STAFF_PASSWORD,
    });
    expect(signed).toMatchObject({ status: 303, location: "/accountant/downloads" });
    const cookie = signed.headers.getSetCookie().find((line) => line.startsWith(`${SESSION_COOKIE}=`));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/SameSite=Strict/);
  });

  it("gives an accountant the books but not the admin's pages, and an employer neither", async () => {
    const accountant = pageSession(context.app);
    await accountant.signIn("/staff/login", { email: accountantEmail, password: STAFF_PASSWORD });
    expect((await accountant.get("/accountant")).status).toBe(200);
    expect((await accountant.get("/admin")).status).toBe(403);
    expect((await accountant.get("/admin/fines")).status).toBe(403);
    expect((await accountant.get("/employer")).location).toMatch(/^\/employer\/login/);

    const admin = pageSession(context.app);
    await admin.signIn("/staff/login", { email: adminEmail, password: STAFF_PASSWORD });
    expect((await admin.get("/admin/rates")).status).toBe(200);
    expect((await admin.get("/accountant")).status).toBe(200);

    const employerPages = await signInEmployer();
    expect((await employerPages.get("/accountant")).location).toMatch(/^\/staff\/login/);
    expect((await employerPages.get("/subscriber")).location).toMatch(/^\/subscriber\/login/);
  });

  it("shows an employer only its own employees: another establishment's is 404", async () => {
    const theirs = await hire(context, otherEmployer, { startDate: "2026-10-01", basic: "6000" });
    const mine = await hire(context, employer, { startDate: "2026-10-01", basic: "7000" });
    const session = await signInEmployer();
    expect((await session.get(`/employer/employees/${mine.subscriberId}`)).status).toBe(200);
    const foreign = await session.get(`/employer/employees/${theirs.subscriberId}`);
    expect(foreign.status).toBe(404);
    expect(dataAttribute(foreign.html, "data-code")).toBe("EMPLOYEE_NOT_FOUND");
    expect(foreign.html).not.toContain(theirs.idNumber);
  });

  it("does not take a direct-link API key as a page session", async () => {
    const key = await requestJson(
      context.app,
      "POST",
      `/v1/establishments/${employer.establishment.id}/api-keys`,
      { name: "payroll" },
      bearer(employer.token),
    );
    const session = pageSession(context.app);
    session.cookies.set(SESSION_COOKIE, (key.body as { key: string }).key);
    expect((await session.get("/employer")).location).toMatch(/^\/employer\/login/);
  });

  it("ends the session on sign-out, for the API too", async () => {
    const session = await signInEmployer();
    const token = session.cookies.get(SESSION_COOKIE) as string;
    expect((await session.post("/logout", {})).location).toBe("/");
    expect(session.cookies.has(SESSION_COOKIE)).toBe(false);
    const api = await requestJson(
      context.app,
      "GET",
      `/v1/establishments/${employer.establishment.id}`,
      undefined,
      bearer(token),
    );
    expect(api.status).toBe(401);
  });
});

describe("forms do their work once and say what is wrong", () => {
  it("registers a new establishment from its page and signs its admin in", async () => {
    const session = pageSession(context.app);
    await session.get("/employer/register");
    const unique = String(Date.now()).slice(-9);
    const registered = await session.post("/employer/register", {
      formKey: crypto.randomUUID(),
      nameAr: "مؤسسة الصفحة",
      nameEn: "Page Trading",
      unifiedNumber: `7${unique}`,
      city: "Jeddah",
      contactEmail: `contact-${unique}@page.test`,
      contactMobile: "0501234567",
      adminEmail: `admin-${unique}@page.test`,
      adminPassword: "a long admin password",
    });
    expect(registered).toMatchObject({ status: 303, location: "/employer" });
    const employees = await session.get("/employer");
    expect(employees.status).toBe(200);
    const again = await session.post("/employer/register", {
      formKey: crypto.randomUUID(),
      nameAr: "مؤسسة الصفحة",
      nameEn: "Page Trading",
      unifiedNumber: `7${unique}`,
      city: "Jeddah",
      contactEmail: `contact-${unique}@page.test`,
      contactMobile: "0501234567",
      adminEmail: `other-${unique}@page.test`,
      adminPassword: "a long admin password",
    });
    expect(again.status).toBe(409);
    expect(dataAttribute(again.html, "data-code")).toBe("ESTABLISHMENT_ALREADY_REGISTERED");
  });

  it("registers one employee however often the same form is submitted", async () => {
    const session = await signInEmployer();
    await session.get("/employer/employees/new");
    const idNumber = newIdNumber("NATIONAL_ID");
    const fields = {
      formKey: crypto.randomUUID(),
      idNumber,
      nationality: "SAUDI",
      name: "Faisal",
      dateOfBirth: "1990-02-02",
      occupation: "Engineer",
      startDate: "2026-11-01",
      basic: "٩٠٠٠٫٥٠",
      housing: "2,250.00",
    };
    const first = await session.post("/employer/employees/new", fields);
    const second = await session.post("/employer/employees/new", fields);
    expect(first.status).toBe(303);
    expect(second.location).toBe(first.location);
    const listed = await requestJson(
      context.app,
      "GET",
      `/v1/establishments/${employer.establishment.id}/employees?idNumber=${idNumber}`,
      undefined,
      bearer(employer.token),
    );
    const employees = (listed.body as { employees: { contributoryWage: string }[] }).employees;
    // Arabic-Indic digits and separators typed into the form reach the API as the amount meant.
    expect(employees).toEqual([expect.objectContaining({ contributoryWage: "11250.50" })]);
  });

  it("puts a refused form back with the code, the field marked and the typed values kept", async () => {
    const session = await signInEmployer();
    await session.get("/employer/employees/new");
    const refused = await session.post("/employer/employees/new", {
      formKey: crypto.randomUUID(),
      idNumber: "1000000001",
      nationality: "SAUDI",
      name: "Typed name",
      dateOfBirth: "1990-02-02",
      occupation: "Engineer",
      startDate: "2026-11-01",
      basic: "5000",
      housing: "0",
    });
    expect(refused.status).toBe(400);
    expect(dataAttribute(refused.html, "data-code")).toBe("ID_CHECK_DIGIT_INVALID");
    expect(refused.html).toContain('value="Typed name"');
  });

  it("answers a wrong subscriber password with the sign-in page and its code, not a session", async () => {
    const session = pageSession(context.app);
    const refused = await session.signIn("/subscriber/login", {
      idNumber: newIdNumber("NATIONAL_ID"),
      password: "Nope12345",
    });
    expect(refused.status).toBe(401);
    expect(dataAttribute(refused.html, "data-code")).toBe("INVALID_CREDENTIALS");
    expect(session.cookies.has(SESSION_COOKIE)).toBe(false);
  });
});
