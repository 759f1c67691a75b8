import { createRoute, z } from "@hono/zod-openapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorResponses } from "../../src/shared/http.js";
import { buildTestApp, expectError, requestJson, type TestContext } from "../support/test-app.js";

/**
 * The error shape is shared machinery: these tests mount two probe routes on the real app
 * (same middleware, hook and error handler as every feature) to reach each failure.
 */
const ProbeBody = z.object({
  name: z.string().min(1),
  amount: z.string().regex(/^\d+\.\d{2}$/),
  lines: z.array(z.object({ quantity: z.number().int().positive() })).min(1),
});

let context: TestContext;

beforeAll(async () => {
  context = await buildTestApp({ environment: { BODY_LIMIT_BYTES: "2048" } });
  context.app.openapi(
    createRoute({
      method: "post",
      path: "/test-probe",
      request: { body: { required: true, content: { "application/json": { schema: ProbeBody } } } },
      responses: {
        201: { description: "ok", content: { "application/json": { schema: ProbeBody } } },
        ...errorResponses(),
      },
    }),
    (c) => c.json(c.req.valid("json"), 201),
  );
  context.app.get("/test-explode", () => {
    throw new Error("secret detail: password=hunter2 at /srv/app/internal.ts:42");
  });
});

afterAll(() => context.close());

describe("one error shape for every failure", () => {
  it("accepts a valid body", async () => {
    const body = { name: "x", amount: "10.00", lines: [{ quantity: 1 }] };
    const response = await requestJson(context.app, "POST", "/test-probe", body);
    expect(response.status).toBe(201);
    expect(response.body).toEqual(body);
  });

  it("lists every validation issue with its field path", async () => {
    const response = await requestJson(context.app, "POST", "/test-probe", {
      name: "",
      amount: 10.5,
      lines: [{ quantity: 0 }, { quantity: "2" }],
    });
    const error = expectError(response, 400, "VALIDATION_FAILED");
    expect(error.details?.map((detail) => detail.path).sort()).toEqual([
      "json.amount",
      "json.lines.0.quantity",
      "json.lines.1.quantity",
      "json.name",
    ]);
  });

  it("reports missing fields and wrong types, never a 500", async () => {
    const response = await requestJson(context.app, "POST", "/test-probe", { name: 42 });
    const error = expectError(response, 400, "VALIDATION_FAILED");
    expect(error.details?.map((detail) => detail.path).sort()).toEqual(["json.amount", "json.lines", "json.name"]);
  });

  it("answers malformed JSON with 400 MALFORMED_JSON", async () => {
    const response = await requestJson(context.app, "POST", "/test-probe", '{"name": "x",');
    expectError(response, 400, "MALFORMED_JSON");
  });

  it("answers a body that is not JSON with 415", async () => {
    const response = await context.app.request("/test-probe", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "name=x",
    });
    expectError(
      { status: response.status, headers: response.headers, body: await response.json() },
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    );
  });

  it("answers a body over the limit with 413", async () => {
    const response = await requestJson(context.app, "POST", "/test-probe", {
      name: "x".repeat(5000),
      amount: "1.00",
      lines: [],
    });
    expectError(response, 413, "PAYLOAD_TOO_LARGE");
  });

  it("answers an unknown route with 404 and a wrong method with 405 and Allow", async () => {
    expectError(await requestJson(context.app, "GET", "/no-such-thing"), 404, "ROUTE_NOT_FOUND");
    const wrongMethod = await requestJson(context.app, "DELETE", "/healthz");
    expectError(wrongMethod, 405, "METHOD_NOT_ALLOWED");
    expect(wrongMethod.headers.get("allow")).toBe("GET, HEAD");
  });

  it("answers an unexpected failure with 500 and leaks nothing", async () => {
    const response = await context.app.request("/test-explode");
    const text = await response.text();
    expect(response.status).toBe(500);
    expect(text).not.toMatch(/hunter2|internal\.ts|secret|at \//);
    expectError({ status: response.status, headers: response.headers, body: JSON.parse(text) }, 500, "INTERNAL");
  });
});

describe("request ids", () => {
  it("gives every response a request id and keeps a well-formed incoming one", async () => {
    const generated = await context.app.request("/healthz");
    expect(generated.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const echoed = await context.app.request("/healthz", { headers: { "X-Request-Id": "payroll-retry-7" } });
    expect(echoed.headers.get("x-request-id")).toBe("payroll-retry-7");
    const missing = await context.app.request("/nowhere", { headers: { "X-Request-Id": "abc-123" } });
    expect(((await missing.json()) as { error: { requestId: string } }).error.requestId).toBe("abc-123");
  });
});
