import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { ReadinessResponse } from "../../src/health/schemas.js";
import { FixedClock } from "../../src/shared/clock.js";
import { migrationNames } from "../../src/shared/db/migrations.js";
import { createLogger } from "../../src/shared/logger.js";
import {
  buildTestApp,
  expectError,
  requestJson,
  TEST_NOW,
  type TestContext,
  testCertificateSigner,
} from "../support/test-app.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

let context: TestContext;

beforeAll(async () => {
  context = await buildTestApp();
});
afterAll(() => context.close());

describe("health", () => {
  it("GET /healthz answers while the process is up", async () => {
    const response = await requestJson(context.app, "GET", "/healthz");
    expect(response).toMatchObject({ status: 200, body: { status: "up" } });
  });

  it("GET /readyz is ready once every shipped migration is applied", async () => {
    const response = await requestJson(context.app, "GET", "/readyz");
    expect(response.status).toBe(200);
    expect(ReadinessResponse.parse(response.body).migrationsApplied).toBe((await migrationNames()).length);
  });
});

describe("readiness failures", () => {
  let bare: TestDatabase;
  beforeAll(async () => {
    bare = await createTestDatabase({ migrate: false });
  });
  afterAll(() => bare.drop());

  const appOver = (database: TestDatabase, expectedMigrations: string[]) =>
    createApp({
      db: database.prisma,
      readText: database.readText,
      clock: new FixedClock(TEST_NOW),
      config: context.config,
      logger: createLogger({ level: "silent" }),
      expectedMigrations,
      stripe: context.stripe.connection,
      certificateSigner: testCertificateSigner,
    });

  it("is not ready on a database that has never been migrated", async () => {
    const response = await requestJson(appOver(bare, []), "GET", "/readyz");
    expectError(response, 503, "NOT_READY");
  });

  it("names the migrations this build ships with that the database lacks", async () => {
    const expected = [...(await migrationNames()), "29991231000000_from_a_newer_build"];
    const response = await requestJson(appOver(context.database, expected), "GET", "/readyz");
    const error = expectError(response, 503, "NOT_READY");
    expect(error.details).toEqual([{ message: "not applied", migration: "29991231000000_from_a_newer_build" }]);
  });

  it("is not ready when the database is closed", async () => {
    const closing = await createTestDatabase();
    const app = appOver(closing, []);
    await closing.drop();
    expectError(await requestJson(app, "GET", "/readyz"), 503, "NOT_READY");
  });
});
