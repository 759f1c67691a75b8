import { validate } from "@readme/openapi-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestContext } from "../support/test-app.js";

let context: TestContext;
beforeAll(async () => {
  context = await buildTestApp();
});
afterAll(() => context.close());

describe("OpenAPI", () => {
  it("serves a valid OpenAPI 3.1 document generated from the route schemas", async () => {
    const response = await context.app.request("/openapi.json");
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    expect(document.openapi).toBe("3.1.0");
    const result = await validate(structuredClone(document) as never);
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(["/healthz", "/readyz"]));
    expect(document.components.schemas).toHaveProperty("Error");
  });

  it("documents error responses from the error table", async () => {
    const document = (await (await context.app.request("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>>;
    };
    const readiness = document.paths["/readyz"]?.get?.responses;
    expect(readiness?.["503"]?.description).toContain("NOT_READY");
    expect(readiness?.["500"]?.description).toContain("INTERNAL");
  });

  it("serves an interactive reference at /docs", async () => {
    const response = await context.app.request("/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    const html = await response.text();
    expect(html).toContain("/openapi.json");
    expect(html.toLowerCase()).toContain("scalar");
  });
});
