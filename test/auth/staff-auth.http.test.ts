import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StaffSessionResponse, StaffUserResponse } from "../../src/auth/schemas.js";
import { createAuthService } from "../../src/auth/service.js";
import { bearer, buildTestApp, expectError, requestJson, signInStaff, type TestContext } from "../support/test-app.js";

let context: TestContext;
beforeAll(async () => {
  context = await buildTestApp();
  await createAuthService({ db: context.database.prisma, clock: context.clock }).createStaffUser({
    email: "Layla.Accountant@agency.test",
    displayName: "Layla",
    password: "a long enough password",
    role: "ACCOUNTANT",
  });
});
afterAll(() => context.close());

describe("staff sign-in", () => {
  it("returns a bearer token and sets an HttpOnly, Secure, SameSite=Strict cookie; email is case-insensitive", async () => {
    const response = await requestJson(context.app, "POST", "/v1/auth/staff/sessions", {
      email: "layla.accountant@AGENCY.test",
      password: "a long enough password",
    });
    expect(response.status).toBe(201);
    const session = StaffSessionResponse.parse(response.body);
    expect(session.staffUser).toMatchObject({ email: "layla.accountant@agency.test", role: "ACCOUNTANT" });
    expect(session.expiresAt).toBe("2026-11-25T21:00:00.000Z");
    const cookie = response.headers.get("set-cookie") ?? "";
    expect(cookie).toContain(`ishtirak_session=${session.token}`);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/SameSite=Strict/);

    const byBearer = await requestJson(context.app, "GET", "/v1/auth/staff/me", undefined, bearer(session.token));
    expect(StaffUserResponse.parse(byBearer.body).displayName).toBe("Layla");
    const byCookie = await requestJson(context.app, "GET", "/v1/auth/staff/me", undefined, {
      cookie: `ishtirak_session=${session.token}`,
    });
    expect(byCookie.status).toBe(200);
    const stored = await context.database.prisma.session.findFirstOrThrow({
      where: { principalId: session.staffUser.id },
    });
    expect(stored.tokenHash).not.toContain(session.token);
  });

  it.each([
    ["a wrong password", "layla.accountant@agency.test", "not the password"],
    ["an unknown email", "nobody@agency.test", "a long enough password"],
  ])("refuses %s with the same answer", async (_, email, password) => {
    expectError(
      await requestJson(context.app, "POST", "/v1/auth/staff/sessions", { email, password }),
      401,
      "INVALID_CREDENTIALS",
    );
  });

  it("refuses requests without a valid token", async () => {
    expectError(await requestJson(context.app, "GET", "/v1/auth/staff/me"), 401, "AUTHENTICATION_REQUIRED");
    expectError(
      await requestJson(context.app, "GET", "/v1/auth/staff/me", undefined, bearer("ist_forged")),
      401,
      "AUTHENTICATION_REQUIRED",
    );
  });

  it("ends a session at sign-out and after twelve hours", async () => {
    const { token } = await signInStaff(context, "ACCOUNTANT");
    expect(
      (await requestJson(context.app, "DELETE", "/v1/auth/staff/sessions/current", undefined, bearer(token))).status,
    ).toBe(204);
    expectError(
      await requestJson(context.app, "GET", "/v1/auth/staff/me", undefined, bearer(token)),
      401,
      "AUTHENTICATION_REQUIRED",
    );

    const later = await signInStaff(context, "ACCOUNTANT");
    context.clock.advanceBy(12 * 60 * 60 * 1000 + 1);
    try {
      expectError(
        await requestJson(context.app, "GET", "/v1/auth/staff/me", undefined, bearer(later.token)),
        401,
        "AUTHENTICATION_REQUIRED",
      );
    } finally {
      context.clock.advanceBy(-(12 * 60 * 60 * 1000 + 1));
    }
  });
});

describe("staff users", () => {
  it("an agency admin creates staff users; others may not; emails are unique", async () => {
    const admin = await signInStaff(context, "AGENCY_ADMIN");
    const accountant = await signInStaff(context, "ACCOUNTANT");
    const body = {
      email: "new.accountant@agency.test",
      displayName: "New",
      password: "twelve chars ok",
      role: "ACCOUNTANT",
    };
    const created = await requestJson(context.app, "POST", "/v1/staff-users", body, bearer(admin.token));
    expect(created.status).toBe(201);
    expect(StaffUserResponse.parse(created.body).role).toBe("ACCOUNTANT");
    expectError(
      await requestJson(context.app, "POST", "/v1/staff-users", body, bearer(admin.token)),
      409,
      "STAFF_EMAIL_TAKEN",
    );
    expectError(
      await requestJson(
        context.app,
        "POST",
        "/v1/staff-users",
        { ...body, email: "x@agency.test" },
        bearer(accountant.token),
      ),
      403,
      "ROLE_NOT_PERMITTED",
    );
    const weak = await requestJson(
      context.app,
      "POST",
      "/v1/staff-users",
      { ...body, email: "y@agency.test", password: "short" },
      bearer(admin.token),
    );
    expect(expectError(weak, 400, "VALIDATION_FAILED").details?.[0]?.path).toBe("json.password");
  });

  it("creates the bootstrap admin once", async () => {
    const database = await import("../support/test-database.js").then((module) => module.createTestDatabase());
    try {
      const auth = createAuthService({ db: database.prisma, clock: context.clock });
      expect(await auth.ensureBootstrapAdmin({ email: "root@agency.test", password: "bootstrap password" })).toBe(true);
      expect(await auth.ensureBootstrapAdmin({ email: "other@agency.test", password: "bootstrap password" })).toBe(
        false,
      );
      expect(await database.prisma.staffUser.findMany({ select: { email: true, role: true } })).toEqual([
        { email: "root@agency.test", role: "AGENCY_ADMIN" },
      ]);
    } finally {
      await database.drop();
    }
  });
});
