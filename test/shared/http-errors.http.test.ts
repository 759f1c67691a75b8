import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createRoute, z } from "@hono/zod-openapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorResponses } from "../../src/shared/http.js";
import { buildTestApp, expectError, requestJson, type TestContext, type TestResponse } from "../support/test-app.js";

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

/** POSTs JSON over a real socket: with Content-Length, or chunked in pieces with none. */
function postOverSocket(port: number, body: string, framing: "declared" | "chunked"): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: "127.0.0.1",
        port,
        path: "/test-probe",
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(framing === "declared"
            ? { "content-length": String(Buffer.byteLength(body)) }
            : { "transfer-encoding": "chunked" }),
        },
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (piece: string) => {
          text += piece;
        });
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: new Headers(response.headers as Record<string, string>),
            body: JSON.parse(text),
          }),
        );
      },
    );
    request.on("error", reject);
    if (framing === "chunked") for (let at = 0; at < body.length; at += 500) request.write(body.slice(at, at + 500));
    else request.write(body);
    request.end();
  });
}

describe("the body limit over a real socket (Content-Length judged from the header, chunked bodies counted)", () => {
  const body = (nameLength: number) =>
    JSON.stringify({ name: "x".repeat(nameLength), amount: "1.00", lines: [{ quantity: 1 }] });

  it("takes bodies within the limit and refuses larger ones, however they are framed", async () => {
    const server = serve({ fetch: context.app.fetch, port: 0, hostname: "127.0.0.1" });
    await new Promise((resolve) => server.once("listening", resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      for (const framing of ["declared", "chunked"] as const) {
        const within = await postOverSocket(port, body(1900), framing);
        expect(within.status, framing).toBe(201);
        expect((within.body as { name: string }).name).toHaveLength(1900);
        expectError(await postOverSocket(port, body(2100), framing), 413, "PAYLOAD_TOO_LARGE");
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
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

describe("text the database cannot store", () => {
  it("refuses the NUL character with 400, in a body or a path, and writes nothing", async () => {
    const establishments = await context.database.prisma.establishment.count();
    const registration = {
      nameAr: "مؤسسة الاختبار",
      nameEn: "Test\u0000Establishment",
      unifiedNumber: "7009876543",
      contactEmail: "contact-nul@employer.test",
      contactMobile: "0501234567",
      city: "Riyadh",
      admin: { email: "admin-nul@employer.test", password: "payroll admin password" },
    };
    const refused = expectError(
      await requestJson(context.app, "POST", "/v1/establishments", registration),
      400,
      "VALIDATION_FAILED",
    );
    expect(refused.message).toMatch(/NUL/);
    expect(await context.database.prisma.establishment.count()).toBe(establishments);
    expect(await context.database.prisma.establishmentUser.count({ where: { email: "admin-nul@employer.test" } })).toBe(
      0,
    );
    // The same registration without it is taken.
    const taken = await requestJson(context.app, "POST", "/v1/establishments", {
      ...registration,
      nameEn: "Test Establishment",
    });
    expect(taken.status).toBe(201);

    expectError(
      await requestJson(context.app, "POST", "/v1/subscriber-registrations/reg%00x/code"),
      400,
      "VALIDATION_FAILED",
    );
  });
});
