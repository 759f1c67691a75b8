import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ApiKeyListResponse,
  CreatedApiKeyResponse,
  EstablishmentResponse,
  EstablishmentSessionResponse,
  RegisteredEstablishmentResponse,
} from "../../src/employers/schemas.js";
import {
  bearer,
  buildTestApp,
  expectError,
  registerEstablishment,
  requestJson,
  signInStaff,
  type TestContext,
} from "../support/test-app.js";

let context: TestContext;
beforeAll(async () => {
  context = await buildTestApp();
});
afterAll(() => context.close());

const validBody = (overrides: Record<string, unknown> = {}) => ({
  nameAr: "مؤسسة النور للتجارة",
  nameEn: "Al-Noor Trading",
  commercialRegistration: "1010123456",
  unifiedNumber: "7001234567",
  contactEmail: "Finance@AlNoor.example",
  contactMobile: "00966 55 123 4567",
  city: "Riyadh",
  admin: { email: "Owner@AlNoor.example", password: "a long enough password" },
  ...overrides,
});

describe("registering an establishment", () => {
  it("issues a 9-digit registration number, normalises contacts, and makes the first user its admin", async () => {
    const response = await requestJson(context.app, "POST", "/v1/establishments", validBody());
    expect(response.status).toBe(201);
    const { establishment, admin } = RegisteredEstablishmentResponse.parse(response.body);
    expect(establishment).toMatchObject({
      nameAr: "مؤسسة النور للتجارة",
      commercialRegistration: "1010123456",
      unifiedNumber: "7001234567",
      contactEmail: "finance@alnoor.example",
      contactMobile: "+966551234567",
      createdAt: "2026-11-25T09:00:00.000Z",
    });
    expect(establishment.registrationNumber).toMatch(/^\d{9}$/);
    expect(establishment.id).toMatch(/^est_/);
    expect(admin.email).toBe("owner@alnoor.example");
    const user = await context.database.prisma.establishmentUser.findUniqueOrThrow({ where: { id: admin.id } });
    expect(user).toMatchObject({ establishmentId: establishment.id, role: "ESTABLISHMENT_ADMIN" });
    expect(user.passwordHash).toMatch(/^\$argon2id\$/);
  });

  it.each([
    [{ commercialRegistration: "101012345", unifiedNumber: undefined }, 400, "COMMERCIAL_REGISTRATION_INVALID"],
    [{ unifiedNumber: "1010123456" }, 400, "UNIFIED_NUMBER_INVALID"],
    [{ unifiedNumber: "700123456" }, 400, "UNIFIED_NUMBER_INVALID"],
    [{ commercialRegistration: undefined, unifiedNumber: undefined }, 400, "ESTABLISHMENT_IDENTIFIER_REQUIRED"],
    [{ contactMobile: "0521234567" }, 400, "MOBILE_INVALID"],
    [{ contactMobile: "+966 11 234 5678" }, 400, "MOBILE_INVALID"],
    [{ admin: { email: "short@x.example", password: "short" } }, 400, "PASSWORD_TOO_WEAK"],
    [{ nameAr: "" }, 400, "VALIDATION_FAILED"],
    [{ contactEmail: "not-an-email" }, 400, "VALIDATION_FAILED"],
  ])("refuses %j with %s and writes nothing", async (overrides, status, code) => {
    const before = await context.database.prisma.establishment.count();
    const body = validBody({
      unifiedNumber: "7009999999",
      admin: { email: "refused@x.example", password: "a long enough password" },
      ...overrides,
    });
    expectError(await requestJson(context.app, "POST", "/v1/establishments", body), status, code);
    expect(await context.database.prisma.establishment.count()).toBe(before);
    expect(await context.database.prisma.establishmentUser.count({ where: { email: "refused@x.example" } })).toBe(0);
  });

  it("refuses a second establishment with the same unified number, or an admin email in use", async () => {
    const first = await registerEstablishment(context);
    expectError(
      await requestJson(
        context.app,
        "POST",
        "/v1/establishments",
        validBody({
          unifiedNumber: first.body.unifiedNumber,
          admin: { email: "new@x.example", password: "a long enough password" },
        }),
      ),
      409,
      "ESTABLISHMENT_ALREADY_REGISTERED",
    );
    expectError(
      await requestJson(
        context.app,
        "POST",
        "/v1/establishments",
        validBody({ unifiedNumber: "7008888888", admin: first.body.admin }),
      ),
      409,
      "USER_EMAIL_TAKEN",
    );
    expect(await context.database.prisma.establishment.count({ where: { unifiedNumber: "7008888888" } })).toBe(0);
  });

  it("accepts Eastern Arabic digits in identifiers and stores ASCII", async () => {
    const response = await requestJson(
      context.app,
      "POST",
      "/v1/establishments",
      validBody({
        commercialRegistration: "٤٠٣٠١٢٣٤٥٦",
        unifiedNumber: "٧٠٠٧٧٧٧٧٧٧",
        admin: { email: "arabic-digits@x.example", password: "a long enough password" },
      }),
    );
    expect(RegisteredEstablishmentResponse.parse(response.body).establishment).toMatchObject({
      commercialRegistration: "4030123456",
      unifiedNumber: "7007777777",
    });
  });
});

describe("admin sessions", () => {
  it("signs in with an HttpOnly, Secure, SameSite cookie and a bearer token; signs out", async () => {
    const registered = await registerEstablishment(context);
    const login = await requestJson(context.app, "POST", "/v1/auth/establishment/sessions", {
      email: registered.body.admin.email.toUpperCase(),
      password: registered.body.admin.password,
    });
    expect(login.status).toBe(201);
    const session = EstablishmentSessionResponse.parse(login.body);
    expect(session.user.establishmentId).toBe(registered.establishment.id);
    expect(login.headers.get("set-cookie")).toMatch(/ishtirak_session=ist_.*HttpOnly.*Secure.*SameSite=Strict/);

    const byCookie = await requestJson(
      context.app,
      "GET",
      `/v1/establishments/${registered.establishment.id}`,
      undefined,
      {
        cookie: `ishtirak_session=${session.token}`,
      },
    );
    expect(EstablishmentResponse.parse(byCookie.body).id).toBe(registered.establishment.id);

    expect(
      (
        await requestJson(
          context.app,
          "DELETE",
          "/v1/auth/establishment/sessions/current",
          undefined,
          bearer(session.token),
        )
      ).status,
    ).toBe(204);
    expectError(
      await requestJson(
        context.app,
        "GET",
        `/v1/establishments/${registered.establishment.id}`,
        undefined,
        bearer(session.token),
      ),
      401,
      "AUTHENTICATION_REQUIRED",
    );
  });

  it("refuses wrong passwords and unknown emails alike", async () => {
    const registered = await registerEstablishment(context);
    for (const attempt of [
      { email: registered.body.admin.email, password: "wrong password!!" },
      { email: "nobody@employer.test", password: registered.body.admin.password },
    ]) {
      expectError(
        await requestJson(context.app, "POST", "/v1/auth/establishment/sessions", attempt),
        401,
        "INVALID_CREDENTIALS",
      );
    }
  });
});

describe("direct-link API keys", () => {
  it("are shown once, stored hashed, reach their own establishment, record use, and stop at revocation", async () => {
    const registered = await registerEstablishment(context);
    const establishmentPath = `/v1/establishments/${registered.establishment.id}`;
    const created = await requestJson(
      context.app,
      "POST",
      `${establishmentPath}/api-keys`,
      { name: "SAP payroll" },
      bearer(registered.token),
    );
    expect(created.status).toBe(201);
    const key = CreatedApiKeyResponse.parse(created.body);
    expect(key.key).toMatch(/^ik_[A-Za-z0-9_-]{43}$/);
    expect(key.key.startsWith(key.displayPrefix)).toBe(true);
    const stored = await context.database.prisma.establishmentApiKey.findUniqueOrThrow({ where: { id: key.id } });
    expect(stored.keyHash).not.toContain(key.key);
    expect(stored.lastUsedAt).toBeNull();

    const listed = ApiKeyListResponse.parse(
      (await requestJson(context.app, "GET", `${establishmentPath}/api-keys`, undefined, bearer(registered.token)))
        .body,
    );
    expect(listed.apiKeys).toEqual([expect.objectContaining({ id: key.id, name: "SAP payroll", lastUsedAt: null })]);
    expect(JSON.stringify(listed)).not.toContain(key.key);

    const byKey = await requestJson(context.app, "GET", establishmentPath, undefined, bearer(key.key));
    expect(EstablishmentResponse.parse(byKey.body).id).toBe(registered.establishment.id);
    expect(
      (
        await context.database.prisma.establishmentApiKey.findUniqueOrThrow({ where: { id: key.id } })
      ).lastUsedAt?.toISOString(),
    ).toBe("2026-11-25T09:00:00.000Z");

    expectError(
      await requestJson(context.app, "POST", `${establishmentPath}/api-keys`, { name: "by key" }, bearer(key.key)),
      403,
      "API_KEY_NOT_PERMITTED",
    );

    expect(
      (
        await requestJson(
          context.app,
          "DELETE",
          `${establishmentPath}/api-keys/${key.id}`,
          undefined,
          bearer(registered.token),
        )
      ).status,
    ).toBe(204);
    expectError(
      await requestJson(context.app, "GET", establishmentPath, undefined, bearer(key.key)),
      401,
      "AUTHENTICATION_REQUIRED",
    );
    expectError(
      await requestJson(
        context.app,
        "DELETE",
        `${establishmentPath}/api-keys/${key.id}`,
        undefined,
        bearer(registered.token),
      ),
      404,
      "API_KEY_NOT_FOUND",
    );
  });

  it("never reach another establishment: its records answer 404 as if they did not exist", async () => {
    const mine = await registerEstablishment(context);
    const theirs = await registerEstablishment(context);
    const myKey = CreatedApiKeyResponse.parse(
      (
        await requestJson(
          context.app,
          "POST",
          `/v1/establishments/${mine.establishment.id}/api-keys`,
          { name: "mine" },
          bearer(mine.token),
        )
      ).body,
    );
    const theirKey = CreatedApiKeyResponse.parse(
      (
        await requestJson(
          context.app,
          "POST",
          `/v1/establishments/${theirs.establishment.id}/api-keys`,
          { name: "theirs" },
          bearer(theirs.token),
        )
      ).body,
    );
    const theirPath = `/v1/establishments/${theirs.establishment.id}`;
    for (const token of [myKey.key, mine.token]) {
      expectError(
        await requestJson(context.app, "GET", theirPath, undefined, bearer(token)),
        404,
        "ESTABLISHMENT_NOT_FOUND",
      );
    }
    expectError(
      await requestJson(context.app, "GET", `${theirPath}/api-keys`, undefined, bearer(mine.token)),
      404,
      "ESTABLISHMENT_NOT_FOUND",
    );
    expectError(
      await requestJson(context.app, "DELETE", `${theirPath}/api-keys/${theirKey.id}`, undefined, bearer(mine.token)),
      404,
      "ESTABLISHMENT_NOT_FOUND",
    );
    expectError(
      await requestJson(
        context.app,
        "DELETE",
        `/v1/establishments/${mine.establishment.id}/api-keys/${theirKey.id}`,
        undefined,
        bearer(mine.token),
      ),
      404,
      "API_KEY_NOT_FOUND",
    );
    expect(
      (await context.database.prisma.establishmentApiKey.findUniqueOrThrow({ where: { id: theirKey.id } })).revokedAt,
    ).toBeNull();
    expectError(
      await requestJson(context.app, "GET", "/v1/establishments/est_does_not_exist", undefined, bearer(mine.token)),
      404,
      "ESTABLISHMENT_NOT_FOUND",
    );
  });

  it("staff tokens and anonymous callers do not reach establishment data", async () => {
    const registered = await registerEstablishment(context);
    const staff = await signInStaff(context, "AGENCY_ADMIN");
    const path = `/v1/establishments/${registered.establishment.id}`;
    expectError(
      await requestJson(context.app, "GET", path, undefined, bearer(staff.token)),
      401,
      "AUTHENTICATION_REQUIRED",
    );
    expectError(await requestJson(context.app, "GET", path), 401, "AUTHENTICATION_REQUIRED");
    expectError(
      await requestJson(context.app, "GET", "/v1/exports/trial-balance", undefined, bearer(registered.token)),
      401,
      "AUTHENTICATION_REQUIRED",
    );
  });
});
