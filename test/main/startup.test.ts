import { randomUUID } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPgliteDatabase } from "../../src/shared/db/database.js";
import { ServiceExitedError, startService } from "../support/service-process.js";
import { testDatabaseKind } from "../support/test-database.js";

/** `npm start` as a user runs it: a real process, a real port, the real database modes. */
describe("starting the service", () => {
  let dataDirectory: string;
  beforeAll(async () => {
    dataDirectory = await mkdtemp(path.join(tmpdir(), "ishtirak-data-"));
  });
  afterAll(() => rm(dataDirectory, { recursive: true, force: true }));

  it.runIf(testDatabaseKind() === "pglite")(
    "runs on the embedded database, answers on its port, and keeps its data across restarts",
    async () => {
      const first = await startService({ DATA_DIR: dataDirectory });
      expect(first.firstLine).toMatch(
        /^Ishtirak listening on http:\/\/localhost:\d+ \(database: PGlite \(embedded\) in .*pglite; ready in \d+ ms\)$/,
      );
      expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${first.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(ready.headers.get("x-request-id")).toBeTruthy();
      expect(first.output()).toMatch(/"msg":"request"/);
      expect(await first.stop()).toBe(0);
      expect(await readdir(path.join(dataDirectory, "pglite"))).toContain("PG_VERSION");

      // Something written between runs must still be there after the next start.
      const between = await openPgliteDatabase({ dataDirectory: path.join(dataDirectory, "pglite") });
      await between.prisma.$executeRawUnsafe("CREATE TABLE restart_marker (note text)");
      await between.prisma.$executeRawUnsafe("INSERT INTO restart_marker VALUES ('kept')");
      await between.close();

      const second = await startService({ DATA_DIR: dataDirectory });
      expect((await fetch(`${second.url}/readyz`)).status).toBe(200);
      expect(second.output()).not.toContain("applied pending migrations");
      expect(await second.stop()).toBe(0);

      const after = await openPgliteDatabase({ dataDirectory: path.join(dataDirectory, "pglite") });
      expect(await after.prisma.$queryRawUnsafe("SELECT note FROM restart_marker")).toEqual([{ note: "kept" }]);
      await after.close();
    },
  );

  it.runIf(testDatabaseKind() === "postgresql")("runs on PostgreSQL when DATABASE_URL is set", async () => {
    const serverUrl = new URL(process.env.DATABASE_URL ?? "");
    const databaseName = `ishtirak_start_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const admin = new pg.Client({ connectionString: serverUrl.toString() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${databaseName}`);
    try {
      serverUrl.pathname = `/${databaseName}`;
      const service = await startService({ DATABASE_URL: serverUrl.toString() });
      expect(service.firstLine).toContain(
        `(database: PostgreSQL postgres@${serverUrl.hostname}:${serverUrl.port || "5432"}/${databaseName};`,
      );
      expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
      expect(service.output()).toContain("applied pending migrations");
      expect(await service.stop()).toBe(0);
      // A restart with nothing pending applies nothing and is ready.
      const restarted = await startService({ DATABASE_URL: serverUrl.toString() });
      expect((await fetch(`${restarted.url}/readyz`)).status).toBe(200);
      expect(restarted.output()).not.toContain("applied pending migrations");
      expect(await restarted.stop()).toBe(0);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
      await admin.end();
    }
  });

  it("exits non-zero with one line, not a stack trace, when DATABASE_URL is unreachable", async () => {
    const failure = await startService({ DATABASE_URL: "postgres://postgres@127.0.0.1:1/nowhere" }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ServiceExitedError);
    const exited = failure as ServiceExitedError;
    expect(exited.exitCode).toBe(1);
    expect(exited.stderr.trim().split("\n")).toEqual([
      "ishtirak: cannot reach the database (PostgreSQL postgres@127.0.0.1:1/nowhere): connect ECONNREFUSED 127.0.0.1:1",
    ]);
  });

  it("exits non-zero listing every bad setting", async () => {
    const failure = (await startService({ PORT: "http", LOG_LEVEL: "loud", DATA_DIR: dataDirectory }).catch(
      (error: unknown) => error,
    )) as ServiceExitedError;
    expect(failure.exitCode).toBe(1);
    expect(failure.stderr.trim().split("\n")).toHaveLength(1);
    expect(failure.stderr).toMatch(/^ishtirak: invalid configuration: .*PORT.*LOG_LEVEL/);
  });
});
