import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreatedApiKeyResponse, RegisteredEstablishmentResponse } from "../../src/employers/schemas.js";
import {
  bearer,
  buildTestApp,
  expectError,
  registerEstablishment,
  requestJson,
  type TestContext,
} from "../support/test-app.js";

let context: TestContext;
beforeAll(async () => {
  context = await buildTestApp();
});
afterAll(() => context.close());

const registration = (unifiedNumber: string, email: string) => ({
  nameAr: "مؤسسة",
  nameEn: "Retry Co",
  unifiedNumber,
  contactEmail: "c@retry.example",
  contactMobile: "0501234567",
  city: "Jeddah",
  admin: { email, password: "a long enough password" },
});

describe("Idempotency-Key on POST", () => {
  it("replays the first answer for a retry with the same body, and creates nothing twice", async () => {
    const body = registration("7005550001", "retry-1@retry.example");
    const headers = { "idempotency-key": "payroll-upload-42" };
    const first = await requestJson(context.app, "POST", "/v1/establishments", body, headers);
    const retry = await requestJson(context.app, "POST", "/v1/establishments", body, headers);
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(RegisteredEstablishmentResponse.parse(retry.body)).toEqual(
      RegisteredEstablishmentResponse.parse(first.body),
    );
    expect(await context.database.prisma.establishment.count({ where: { unifiedNumber: "7005550001" } })).toBe(1);
  });

  it("refuses the same key with a different body", async () => {
    const headers = { "idempotency-key": "reused-key" };
    await requestJson(
      context.app,
      "POST",
      "/v1/establishments",
      registration("7005550002", "retry-2@retry.example"),
      headers,
    );
    const other = await requestJson(
      context.app,
      "POST",
      "/v1/establishments",
      registration("7005550003", "retry-3@retry.example"),
      headers,
    );
    expectError(other, 422, "IDEMPOTENCY_KEY_REUSED");
    expect(await context.database.prisma.establishment.count({ where: { unifiedNumber: "7005550003" } })).toBe(0);
  });

  it("replays refusals too, and expires keys after 24 hours", async () => {
    const headers = { "idempotency-key": "bad-mobile" };
    const body = { ...registration("7005550004", "retry-4@retry.example"), contactMobile: "0521234567" };
    expectError(await requestJson(context.app, "POST", "/v1/establishments", body, headers), 400, "MOBILE_INVALID");
    const replayed = await requestJson(context.app, "POST", "/v1/establishments", body, headers);
    expect(replayed.headers.get("idempotent-replayed")).toBe("true");
    expect(replayed.status).toBe(400);

    context.clock.advanceBy(24 * 60 * 60 * 1000 + 1);
    try {
      const fresh = await requestJson(context.app, "POST", "/v1/establishments", body, headers);
      expect(fresh.headers.get("idempotent-replayed")).toBeNull();
    } finally {
      context.clock.advanceBy(-(24 * 60 * 60 * 1000 + 1));
    }
  });

  it("scopes keys to the caller: another establishment's identical key is its own", async () => {
    const first = await registerEstablishment(context);
    const second = await registerEstablishment(context);
    const create = (who: typeof first) =>
      requestJson(
        context.app,
        "POST",
        `/v1/establishments/${who.establishment.id}/api-keys`,
        { name: "payroll" },
        {
          ...bearer(who.token),
          "idempotency-key": "same-key",
        },
      );
    const mine = CreatedApiKeyResponse.parse((await create(first)).body);
    const theirs = CreatedApiKeyResponse.parse((await create(second)).body);
    expect(mine.id).not.toBe(theirs.id);
    const retried = await create(first);
    expect(CreatedApiKeyResponse.parse(retried.body).id).toBe(mine.id);
    expect(
      await context.database.prisma.establishmentApiKey.count({ where: { establishmentId: first.establishment.id } }),
    ).toBe(1);
  });

  it("answers 409 while the first request with the key is still running", async () => {
    const body = registration("7005550005", "retry-5@retry.example");
    const requestHash = createHash("sha256")
      .update("POST /v1/establishments\n")
      .update(JSON.stringify(body))
      .digest("hex");
    // The first request has claimed the key and not answered yet.
    await context.database.prisma.idempotencyKey.create({
      data: {
        scope: "anonymous:/v1/establishments",
        key: "in-flight",
        requestHash,
        createdAt: new Date("2026-11-25T08:59:59Z"),
      },
    });
    const response = await requestJson(context.app, "POST", "/v1/establishments", body, {
      "idempotency-key": "in-flight",
    });
    expectError(response, 409, "IDEMPOTENCY_KEY_IN_USE");
    expect(await context.database.prisma.establishment.count({ where: { unifiedNumber: "7005550005" } })).toBe(0);
  });

  it("refuses an over-long key", async () => {
    const response = await requestJson(
      context.app,
      "POST",
      "/v1/establishments",
      registration("7005550006", "r6@retry.example"),
      {
        "idempotency-key": "k".repeat(201),
      },
    );
    expectError(response, 400, "VALIDATION_FAILED");
  });
});
