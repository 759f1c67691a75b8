import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FixedClock } from "../../src/shared/clock.js";
import { applyPendingMigrations } from "../../src/shared/db/migrations.js";
import { createJobClaims } from "../../src/shared/job-claims.js";
import { databaseBeforeMigration } from "../support/earlier-migrations.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

let database: TestDatabase;
const clock = new FixedClock("2026-12-07T01:00:00Z");
const hour = { ms: 60 * 60 * 1000 };
const processes = () => ({
  first: createJobClaims({ db: database.prisma, clock, owner: "host-a#1" }),
  second: createJobClaims({ db: database.prisma, clock, owner: "host-b#1" }),
});
const claimOf = (job: string, period: string) =>
  database.prisma.jobPeriodClaim.findUniqueOrThrow({ where: { job_period: { job, period } } });

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

describe("a job that runs once per period across processes", () => {
  it("runs in the process that claims the period first; the other skips it, during the run and after", async () => {
    const { first, second } = processes();
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let runs = 0;
    const work = async () => {
      runs += 1;
      await held;
      return runs;
    };
    const running = first.runOnce("job-a", "2026-12-06", hour, work, (count) => ({ count }));
    // The claim is taken before the work starts; a second process now finds it live.
    await expect.poll(() => runs).toBe(1);
    expect(await second.runOnce("job-a", "2026-12-06", hour, work, (count) => ({ count }))).toEqual({ ran: false });
    release();
    expect(await running).toEqual({ ran: true, result: 1 });
    expect(await second.runOnce("job-a", "2026-12-06", hour, work, (count) => ({ count }))).toEqual({ ran: false });
    expect(await first.runOnce("job-a", "2026-12-06", hour, work, (count) => ({ count }))).toEqual({ ran: false });
    expect(runs).toBe(1);
    expect(await claimOf("job-a", "2026-12-06")).toMatchObject({
      claimedBy: "host-a#1",
      finishedAt: clock.now(),
      outcome: { count: 1 },
    });
    // Another period, or another job on the same period, is claimed apart.
    expect(await second.runOnce("job-a", "2026-12-07", hour, work, () => ({}))).toMatchObject({ ran: true });
    expect(await second.runOnce("job-b", "2026-12-06", hour, work, () => ({}))).toMatchObject({ ran: true });
  });

  it("runs once when processes claim the same period at the same moment", async () => {
    const owners = Array.from({ length: 6 }, (_, index) =>
      createJobClaims({ db: database.prisma, clock, owner: `host-${index}` }),
    );
    let runs = 0;
    const outcomes = await Promise.all(
      owners.map((claims) =>
        claims.runOnce(
          "job-c",
          "2026-12-06",
          hour,
          async () => ++runs,
          () => ({}),
        ),
      ),
    );
    expect(runs).toBe(1);
    expect(outcomes.filter((outcome) => outcome.ran)).toHaveLength(1);
  });

  it("releases a period whose work failed, with the error, so the next attempt anywhere runs it", async () => {
    const { first, second } = processes();
    await expect(
      first.runOnce(
        "job-d",
        "2026-12-06",
        hour,
        async () => {
          throw new Error("Stripe unreachable");
        },
        () => ({}),
      ),
    ).rejects.toThrow("Stripe unreachable");
    expect(await claimOf("job-d", "2026-12-06")).toMatchObject({
      finishedAt: null,
      outcome: { error: "Stripe unreachable" },
    });
    expect(
      await second.runOnce(
        "job-d",
        "2026-12-06",
        hour,
        async () => "compared",
        () => ({ ok: true }),
      ),
    ).toEqual({ ran: true, result: "compared" });
    expect(await claimOf("job-d", "2026-12-06")).toMatchObject({ claimedBy: "host-b#1", outcome: { ok: true } });
  });

  it("takes over a claim whose process died once its lease has run out, not before", async () => {
    const { second } = processes();
    await database.prisma.jobPeriodClaim.create({
      data: {
        job: "job-e",
        period: "2026-12-06",
        claimedBy: "host-dead#1",
        claimedAt: new Date("2026-12-07T00:00:00Z"),
        leaseUntil: new Date("2026-12-07T01:30:00Z"),
      },
    });
    const work = async () => "done";
    expect(await second.runOnce("job-e", "2026-12-06", hour, work, () => ({}))).toEqual({ ran: false });
    const later = createJobClaims({
      db: database.prisma,
      clock: new FixedClock("2026-12-07T01:30:00Z"),
      owner: "host-b#1",
    });
    expect(await later.runOnce("job-e", "2026-12-06", hour, work, () => ({}))).toEqual({ ran: true, result: "done" });
  });

  it("says which periods are finished", async () => {
    const { first } = processes();
    await first.runOnce(
      "job-f",
      "2026-12-01",
      hour,
      async () => 1,
      () => ({}),
    );
    await first
      .runOnce(
        "job-f",
        "2026-12-02",
        hour,
        async () => {
          throw new Error("no");
        },
        () => ({}),
      )
      .catch(() => undefined);
    expect(await first.finishedPeriods("job-f", ["2026-12-01", "2026-12-02", "2026-12-03"])).toEqual(
      new Set(["2026-12-01"]),
    );
  });
});

describe("the job_period_claims migration", { timeout: 120_000 }, () => {
  it("counts the days the daily reconciliation compared before it as done, once each, and no other run", async () => {
    const earlier = await databaseBeforeMigration("job_period_claims");
    try {
      await earlier.database.prisma.$executeRawUnsafe(`
        INSERT INTO reconciliation_runs (id, period_from, period_to, differences, difference_count, ran_at, ran_by)
        VALUES ('rec_job_1', '2026-12-04T21:00:00Z', '2026-12-05T21:00:00Z', '[]', 0, '2026-12-06T01:00:00Z', 'job:reconciliation'),
               ('rec_job_2', '2026-12-04T21:00:00Z', '2026-12-05T21:00:00Z', '[]', 2, '2026-12-06T01:05:00Z', 'job:reconciliation'),
               ('rec_job_3', '2026-12-05T21:00:00Z', '2026-12-06T21:00:00Z', '[]', 1, '2026-12-07T01:00:00Z', 'job:reconciliation'),
               ('rec_staff', '2026-12-01T21:00:00Z', '2026-12-02T21:00:00Z', '[]', 0, '2026-12-03T08:00:00Z', 'staff:stf_1')`);
      expect(await applyPendingMigrations(earlier.database)).toEqual(earlier.fromThisOn);
      const claims = await earlier.database.prisma.jobPeriodClaim.findMany({ orderBy: { period: "asc" } });
      expect(claims.map(({ job, period, finishedAt, outcome }) => ({ job, period, finishedAt, outcome }))).toEqual([
        {
          job: "reconcile-stripe",
          period: "2026-12-05",
          finishedAt: new Date("2026-12-06T01:05:00Z"),
          outcome: { runId: "rec_job_2", differences: 2 },
        },
        {
          job: "reconcile-stripe",
          period: "2026-12-06",
          finishedAt: new Date("2026-12-07T01:00:00Z"),
          outcome: { runId: "rec_job_3", differences: 1 },
        },
      ]);
    } finally {
      await earlier.drop();
    }
  });
});
