import type { StaffActor } from "../auth/actor.js";
import type { Population } from "../employers/population.js";
import { postJournalEntries } from "../ledger/service.js";
import { applyCreditBalancesWithin } from "../payments/record.js";
import { BusinessDate } from "../shared/business-date.js";
import type { Clock } from "../shared/clock.js";
import { ContributionMonth } from "../shared/contribution-month.js";
import type { PrismaClient, Tx } from "../shared/db/database.js";
import { isUniqueViolation } from "../shared/db/unique-violation.js";
import { AppError } from "../shared/errors.js";
import { newId } from "../shared/ids.js";
import type { Logger } from "../shared/logger.js";
import { Money, Rate } from "../shared/money.js";
import { negativeInvoiceCredits } from "./negative-invoices.js";
import { deleteRateSet, insertRateSet, loadRateSets } from "./rate-repository.js";
import { contributionComponents, populations, type RateSet } from "./rates.js";
import { issueChunkInvoices, StagedLinesLost } from "./repository/issuing.js";
import {
  type BillingRunRow,
  type CorrectionWindow,
  chunkEstablishments,
  claimNextChunk,
  claimNextPartition,
  earliestRunMonth,
  findRun,
  insertRun,
  latestRun,
  listRuns,
  lockBillingCalendar,
  planRun,
  recordChunkIssued,
  recordCompleted,
  recordPartitionStaged,
  recordPlanned,
  recordRunError,
  recordStagingLost,
  recordStagingSealed,
  unissuedChunkCount,
  unstagedPartitionCount,
} from "./repository/runs.js";
import { stagePartition } from "./repository/staging.js";

/** Corrections reach back at most 24 months (billing-cycle.md §5). */
export const correctionMonthsMax = 24;

/**
 * A change recorded this long before the previous run started is still looked at again: a
 * transaction that stamped its rows just before the run and committed just after it would
 * otherwise be missed. Looking again is harmless: an unchanged month corrects to nothing.
 */
const correctionLookbackMs = 60 * 60 * 1000;

/** Lines per chunk transaction: large enough to amortise, small enough to keep locks short. */
export const defaultChunkLines = 100_000;

/**
 * Lines per staging transaction: each scans the whole register once, so the scans grow with
 * partitions × register. At 3,000,000 lines, partitions of 1,500,000 billed in 80 s against 87 s
 * for partitions of 500,000; a million lines makes two partitions either way (one per worker).
 */
export const defaultPartitionLines = 1_500_000;

/**
 * How many times one drive stages a run again after its staged lines went missing: once is what
 * a database crash needs; a loss that keeps coming back is a fault to look at, not to loop on.
 */
const restagesMax = 2;

type StepOutcome = "done-one" | "others-busy" | "finished";

const longTransaction = { timeout: 10 * 60 * 1000, maxWait: 60_000 };

/**
 * The due date: the 15th of the month after (billing-cycle.md §2). An invoice the agency
 * issues late (a run caught up after the 1st) gets at least 14 days, so an employer is never
 * fined for the agency's delay. ASSUMED; the notes do not cover late issue.
 */
export function invoiceDueDate(month: ContributionMonth, issueDate: BusinessDate): BusinessDate {
  const statutory = month.dueDate();
  const minimum = issueDate.plusDays(14);
  return minimum.isAfter(statutory) ? minimum : statutory;
}

export type RateSetInput = {
  fromMonth: string;
  description: string;
  populations: {
    population: Population;
    wageFloor: string;
    wageCap: string;
    rates: { branch: string; share: string; rate: string }[];
  }[];
};

export function createBillingService(deps: {
  db: PrismaClient;
  clock: Clock;
  logger: Logger;
  chunkLines?: number;
  partitionLines?: number;
  /** Partitions staged and chunks issued at once, each on its own connection (1 on the embedded database). */
  workers?: number;
}) {
  const { db, clock, logger } = deps;
  const workers = deps.workers ?? 1;
  const planSizes = {
    chunkLines: deps.chunkLines ?? defaultChunkLines,
    partitionLines: deps.partitionLines ?? defaultPartitionLines,
    partitionsMin: workers,
  };
  const today = () => BusinessDate.fromInstant(clock.now());
  /** Drivers running in this process, by run id, so one process never drives a run twice. */
  const drivers = new Map<string, Promise<BillingRunRow>>();

  async function correctionWindow(run: BillingRunRow): Promise<CorrectionWindow | undefined> {
    if (!run.correctionsSince) return undefined;
    const earliest = (await earliestRunMonth(db)) ?? run.month;
    const reach = run.month.plusMonths(-correctionMonthsMax);
    return {
      since: run.correctionsSince,
      firstMonth: earliest.isAfter(reach) ? earliest : reach,
      lastMonth: run.month.previous(),
    };
  }

  /**
   * One transaction: claim the next unstaged partition and stage its lines, or, when every
   * partition is staged, seal the staging (each chunk's line count) and move the run to issuing.
   */
  async function stageNextPartition(runId: string, corrections: CorrectionWindow | undefined): Promise<StepOutcome> {
    return db.$transaction(async (tx) => {
      const run = await findRun(tx, { id: runId });
      if (!run || run.status === "ISSUING" || run.status === "COMPLETED") return "finished";
      const partitionNumber = await claimNextPartition(tx, run.id);
      if (partitionNumber === undefined) {
        if ((await unstagedPartitionCount(tx, run.id)) > 0) return "others-busy";
        // Every partition is staged: one worker seals, under the run's row lock.
        if ((await findRun(tx, { id: run.id }, true))?.status === "STAGING") {
          await recordStagingSealed(tx, run.id, clock.now());
        }
        return "finished";
      }
      const staged = await stagePartition(tx, {
        runId: run.id,
        month: run.month,
        corrections,
        partitionNumber,
        partitionCount: run.partitionCount,
      });
      await recordPartitionStaged(tx, run.id, partitionNumber, staged, clock.now());
      return "done-one";
    }, longTransaction);
  }

  /**
   * One transaction: claim the next free chunk and issue it, or complete the run when every chunk
   * is issued. "others-busy" when the chunks left are being issued by other workers right now.
   * Throws StagedLinesLost when the chunk's staged lines are missing, or when another driver
   * found them so and the run is staging again.
   */
  async function issueNextChunk(runId: string): Promise<StepOutcome> {
    return db.$transaction(async (tx) => {
      const run = await findRun(tx, { id: runId });
      if (!run || run.status === "COMPLETED") return "finished";
      if (run.status !== "ISSUING") throw new StagedLinesLost(`run ${run.id} is ${run.status.toLowerCase()} again`);
      const chunk = await claimNextChunk(tx, run.id);
      if (chunk === undefined) {
        if ((await unissuedChunkCount(tx, run.id)) > 0) return "others-busy";
        await recordCompleted(tx, run.id, clock.now());
        return "finished";
      }
      if (chunk.stagedLines === null) {
        throw new StagedLinesLost(`chunk ${chunk.chunkNumber} was planned before runs staged their lines`);
      }
      const issueDate = today();
      const establishments = await chunkEstablishments(tx, run.id, chunk.chunkNumber);
      const issued = await issueChunkInvoices(tx, {
        runId: run.id,
        chunkNumber: chunk.chunkNumber,
        month: run.month,
        issueDate,
        dueDate: invoiceDueDate(run.month, issueDate),
        now: clock.now(),
        stagedLines: chunk.stagedLines,
        ids: new Map(establishments.map((id) => [id, { invoiceId: newId("inv"), entryId: newId("je") }])),
      });
      // A negative invoice's credit joins the credit balance, and an overpayment settles the
      // establishment's open invoices as soon as this one is issued.
      const credits = negativeInvoiceCredits(issued, issueDate);
      if (credits.length > 0) await postJournalEntries(tx, credits);
      await applyCreditBalancesWithin(
        tx,
        issued.map((invoice) => invoice.establishmentId),
        { cause: "BILLING_RUN", causeId: run.id, on: issueDate },
        clock.now(),
      );
      await recordChunkIssued(
        tx,
        run.id,
        chunk.chunkNumber,
        {
          invoices: issued.length,
          contributionLines: issued.reduce((sum, invoice) => sum + invoice.contributionLineCount, 0),
          adjustmentLines: issued.reduce((sum, invoice) => sum + invoice.adjustmentLineCount, 0),
        },
        clock.now(),
      );
      return "done-one";
    }, longTransaction);
  }

  /**
   * Runs `workers` loops of a step until each finds nothing left; one failing stops the others
   * after their current step, and its error is thrown.
   */
  async function inParallel(step: () => Promise<StepOutcome>): Promise<void> {
    const stop = { requested: false };
    const loop = async () => {
      while (!stop.requested) {
        const outcome = await step();
        if (outcome === "finished") return;
        if (outcome === "others-busy") await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const results = await Promise.allSettled(
      Array.from({ length: workers }, () =>
        loop().catch((error: unknown) => {
          stop.requested = true;
          throw error;
        }),
      ),
    );
    const failure = results.find((result) => result.status === "rejected");
    if (failure) throw failure.reason;
  }

  /** The staged lines went missing: the run goes back to staging (once, whoever notices first). */
  async function stageAgain(runId: string, lost: StagedLinesLost) {
    logger.warn({ billingRun: runId, err: lost.message }, "billing run's staged lines are missing; staging again");
    await db.$transaction(async (tx) => {
      if ((await findRun(tx, { id: runId }, true))?.status === "ISSUING") {
        await recordStagingLost(tx, runId, planSizes, lost.message, clock.now());
      }
    });
  }

  async function driveRun(runId: string): Promise<BillingRunRow> {
    const initial = await findRun(db, { id: runId });
    if (!initial) throw new AppError("BILLING_RUN_NOT_FOUND", `no billing run ${runId}`);
    const corrections = await correctionWindow(initial);
    try {
      await db.$transaction(async (tx) => {
        const run = await findRun(tx, { id: runId }, true);
        if (run?.status !== "PLANNING") return;
        const counts = await planRun(tx, run, corrections, planSizes);
        await recordPlanned(tx, run.id, counts, clock.now());
      }, longTransaction);
      for (let restages = 0; ; restages++) {
        await inParallel(() => stageNextPartition(runId, corrections));
        try {
          await inParallel(() => issueNextChunk(runId));
          break;
        } catch (error) {
          if (!(error instanceof StagedLinesLost) || restages >= restagesMax) throw error;
          await stageAgain(runId, error);
        }
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await recordRunError(db, runId, message.slice(0, 2000), clock.now()).catch(() => undefined);
      throw error;
    }
    const run = (await findRun(db, { id: runId })) as BillingRunRow;
    logger.info(
      { billingRun: run.id, month: run.month.toString(), invoices: run.invoicesIssued },
      "billing run completed",
    );
    return run;
  }

  /** Drives the run unless this process is driving it already; failures are logged, and kept on the run. */
  function driveInBackground(runId: string): Promise<BillingRunRow> {
    const running = drivers.get(runId);
    if (running) return running;
    const driver = driveRun(runId).finally(() => drivers.delete(runId));
    drivers.set(runId, driver);
    driver.catch((error: unknown) => logger.error({ err: error, billingRun: runId }, "billing run stopped"));
    return driver;
  }

  /**
   * Creates the run for a month, or finds the one that exists. Runs go forward one month at a
   * time from the first month ever billed, each after the previous one completed, so "billed"
   * is simply every month from the first run to the latest, and corrections know where to look.
   */
  async function openRun(
    month: ContributionMonth,
    requestedBy: string,
  ): Promise<{ run: BillingRunRow; created: boolean }> {
    const currentMonth = ContributionMonth.containing(today());
    if (!month.isBefore(currentMonth)) {
      throw new AppError(
        "BILLING_MONTH_NOT_ENDED",
        `${month.toString()} has not ended: it is billed from the 1st of the next month`,
      );
    }
    const schedule = await loadRateSets(db);
    const firstRated = schedule[0]?.fromMonth;
    if (!firstRated || month.isBefore(firstRated)) {
      throw new AppError("BILLING_MONTH_BEFORE_RATES", `no contribution rates are in force in ${month.toString()}`);
    }
    try {
      return await db.$transaction(async (tx) => {
        await lockBillingCalendar(tx);
        const existing = await findRun(tx, { month });
        if (existing) return { run: existing, created: false };
        const latest = await latestRun(tx);
        if (latest) {
          if (month.isBefore(latest.month)) {
            throw new AppError(
              "BILLING_MONTH_BEFORE_FIRST_RUN",
              `${month.toString()} is before the first billed month; Ishtirak does not bill it`,
            );
          }
          if (!latest.month.next().equals(month)) {
            throw new AppError("BILLING_MONTH_OUT_OF_ORDER", `bill ${latest.month.next().toString()} first`);
          }
          if (latest.status !== "COMPLETED") {
            throw new AppError("BILLING_RUN_IN_PROGRESS", `the run for ${latest.month.toString()} has not completed`);
          }
        }
        const id = newId("run");
        const now = clock.now();
        await insertRun(tx, {
          id,
          month,
          requestedBy,
          correctionsSince: latest ? new Date(latest.createdAt.getTime() - correctionLookbackMs) : null,
          now,
        });
        return { run: (await findRun(tx, { id })) as BillingRunRow, created: true };
      });
    } catch (error) {
      // Two requests for the same month at once: the loser finds the winner's run.
      if (isUniqueViolation(error, "billing_runs_month_key")) {
        const existing = await findRun(db, { month });
        if (existing) return { run: existing, created: false };
      }
      throw error;
    }
  }

  return {
    driveRun,
    /** Resolves when every run this process is driving has stopped (tests, shutdown). */
    async idle(): Promise<void> {
      await Promise.allSettled([...drivers.values()]);
    },

    /** Starts (or resumes) the month's run and answers at once; the run issues in the background. */
    async requestRun(actor: StaffActor, month: ContributionMonth) {
      const opened = await openRun(month, `staff:${actor.staffUserId}`);
      if (opened.run.status !== "COMPLETED") void driveInBackground(opened.run.id).catch(() => undefined);
      return opened;
    },

    async getRun(runId: string) {
      const run = await findRun(db, { id: runId });
      if (!run) throw new AppError("BILLING_RUN_NOT_FOUND", `no billing run ${runId}`);
      return run;
    },

    listRuns: (limit: number) => listRuns(db, limit),

    /**
     * The scheduled job: bills every month from the one after the latest run up to the month
     * just ended (one, unless the service was down on a 1st), and finishes any run a crash
     * left unfinished. With no run yet, it bills the month just ended.
     */
    async billMonthsDue(): Promise<BillingRunRow[]> {
      const lastEnded = ContributionMonth.containing(today()).previous();
      const completed: BillingRunRow[] = [];
      const latest = await latestRun(db);
      if (latest && latest.status !== "COMPLETED") completed.push(await driveInBackground(latest.id));
      let month = latest ? latest.month.next() : lastEnded;
      while (!month.isAfter(lastEnded)) {
        const { run } = await openRun(month, "schedule");
        completed.push(await driveInBackground(run.id));
        month = month.next();
      }
      return completed;
    },

    /** Start-up: a run a crash interrupted is picked up where its last committed chunk ended. */
    async resumeUnfinishedRuns(): Promise<void> {
      const latest = await latestRun(db);
      if (latest && latest.status !== "COMPLETED") void driveInBackground(latest.id).catch(() => undefined);
    },

    listRateSets: () => loadRateSets(db),

    async addRateSet(actor: StaffActor, input: RateSetInput) {
      const set = parseRateSet(input);
      const now = clock.now();
      await db.$transaction(async (tx) => {
        await lockBillingCalendar(tx);
        await assertMonthUnbilled(tx, set.fromMonth);
        const existing = await tx.rateSet.findUnique({ where: { fromMonth: set.fromMonth.firstDay().toDateColumn() } });
        if (existing) {
          throw new AppError(
            "RATE_SET_EXISTS",
            `a rate set starts in ${set.fromMonth.toString()} already; withdraw it first`,
          );
        }
        await insertRateSet(tx, set, `staff:${actor.staffUserId}`, now);
      });
      return (await loadRateSets(db)).find((stored) => stored.fromMonth.equals(set.fromMonth)) as RateSet;
    },

    async withdrawRateSet(month: ContributionMonth) {
      await db.$transaction(async (tx) => {
        await lockBillingCalendar(tx);
        await assertMonthUnbilled(tx, month);
        if (!(await deleteRateSet(tx, month))) {
          throw new AppError("RATE_SET_NOT_FOUND", `no rate set starts in ${month.toString()}`);
        }
      });
    },
  };

  /** A rate set may only start after the current month and after every month a run has billed. */
  async function assertMonthUnbilled(tx: Tx, month: ContributionMonth) {
    const latest = await latestRun(tx);
    const currentMonth = ContributionMonth.containing(today());
    if (!month.isAfter(currentMonth) || (latest && !month.isAfter(latest.month))) {
      throw new AppError(
        "RATE_SET_NOT_IN_FUTURE",
        `${month.toString()} has begun or been billed: rate sets apply to future months only`,
      );
    }
  }
}

export type BillingService = ReturnType<typeof createBillingService>;

/**
 * A rate set from the API: every population once, every branch and share once per population
 * (a missing one would be a gap, a repeated one an overlap), floor below cap.
 */
export function parseRateSet(input: RateSetInput): RateSet {
  const fromMonth = ContributionMonth.parse(input.fromMonth);
  const problems: { path: string; message: string }[] = [];
  const terms = {} as RateSet["terms"];
  for (const population of populations) {
    const entries = input.populations.filter((entry) => entry.population === population);
    if (entries.length !== 1) {
      problems.push({
        path: "populations",
        message: `${population} must appear exactly once (found ${entries.length})`,
      });
      continue;
    }
    const entry = entries[0] as RateSetInput["populations"][number];
    const index = input.populations.indexOf(entry);
    const floor = Money.sar(entry.wageFloor);
    const cap = Money.sar(entry.wageCap);
    if (floor.isNegative() || cap.compare(floor) <= 0) {
      problems.push({ path: `populations.${index}.wageCap`, message: "the cap must be above a non-negative floor" });
    }
    const rates = {} as RateSet["terms"][Population]["rates"];
    for (const component of contributionComponents) {
      const matches = entry.rates.filter((rate) => rate.branch === component.branch && rate.share === component.share);
      if (matches.length !== 1) {
        problems.push({
          path: `populations.${index}.rates`,
          message: `${component.branch}/${component.share} must appear exactly once (found ${matches.length})`,
        });
        continue;
      }
      rates[component.key] = Rate.of((matches[0] as { rate: string }).rate);
    }
    const unknown = entry.rates.filter(
      (rate) =>
        !contributionComponents.some((component) => component.branch === rate.branch && component.share === rate.share),
    );
    for (const rate of unknown) {
      problems.push({
        path: `populations.${index}.rates`,
        message: `${rate.branch}/${rate.share} is not a contribution`,
      });
    }
    terms[population] = { rates, limits: { floor, cap } };
  }
  if (problems.length > 0) {
    throw new AppError(
      "RATE_SET_INCOMPLETE",
      "a rate set must give every rate of every population exactly once",
      problems,
    );
  }
  return { fromMonth, description: input.description, terms };
}
