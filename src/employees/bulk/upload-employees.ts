import { createHash } from "node:crypto";
import type { EstablishmentActor } from "../../auth/actor.js";
import type { EmployerService } from "../../employers/service.js";
import { claimIdempotencyKey, completeIdempotencyKey, findIdempotencyKey } from "../../idempotency/repository.js";
import { BusinessDate } from "../../shared/business-date.js";
import type { Clock } from "../../shared/clock.js";
import { ContributionMonth } from "../../shared/contribution-month.js";
import type { PrismaClient } from "../../shared/db/database.js";
import { AppError } from "../../shared/errors.js";
import { stagingBatchSize, uploadRowsMax } from "../limits.js";
import { describeActor, LATE_REGISTRATION_REASON } from "../service.js";
import { parseUploadRows, type UploadFormat } from "./parse.js";
import { applyStagedRows, createStagingTable, discardRows, findDatabaseProblems, stageRows } from "./repository.js";
import { type RowError, type StagedRow, validateUploadRow } from "./row.js";

export type RejectedRow = { line: number; idNumber?: string; errors: RowError[] };

export type UploadReport = {
  rowsReceived: number;
  rowsAccepted: number;
  rowsRejected: number;
  subscribersCreated: number;
  employmentsRegistered: number;
  wagesRecorded: number;
  rejected: RejectedRow[];
};

/** Thrown inside the transaction to roll it back and answer with what was already stored. */
class StoredAnswer extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super("idempotent replay");
  }
}

const problemMessages = {
  DUPLICATE_ROW: "this person appears on more than one row",
  SUBSCRIBER_DETAILS_MISMATCH: "this ID number is registered with another date of birth",
  EMPLOYMENT_PERIOD_OVERLAPS: "starts before this person's previous employment here ended",
  CORRECTION_REASON_REQUIRED: "a change to a billed month needs correctionReason",
  WAGE_MONTH_OUTSIDE_EMPLOYMENT: "effectiveMonth is before the employment started",
} as const;

/** Hashes the body's bytes as they stream past, for the Idempotency-Key comparison. */
function tapped(body: ReadableStream<Uint8Array>, hash: ReturnType<typeof createHash>): ReadableStream<Uint8Array> {
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        hash.update(chunk);
        controller.enqueue(chunk);
      },
    }),
  );
}

/**
 * Registers or updates up to 100,000 employees from one CSV or JSON Lines body. Every row is
 * checked; by default the upload is all-or-nothing (any rejected row: 422, nothing written),
 * with `partial` the good rows land and the rejected ones are listed. Rows stream into a
 * staging table and land through set-based statements, all in one transaction together with
 * the Idempotency-Key's stored answer. Re-sending the same file changes nothing: people
 * already employed get a wage row only when their wage differs.
 */
export function createEmployeeUploader(deps: { db: PrismaClient; clock: Clock; employers: EmployerService }) {
  const { db, clock, employers } = deps;
  return async function uploadEmployees(
    actor: EstablishmentActor,
    establishmentId: string,
    input: {
      body: ReadableStream<Uint8Array>;
      format: UploadFormat;
      isPartialAllowed: boolean;
      maxBytes: number;
      idempotencyKey?: string | undefined;
      /** Kept in a stored refusal, so a replay names the request that was judged. */
      requestId: string;
    },
  ): Promise<{ status: 200 | 201 | 422; body: string; isReplay: boolean }> {
    await employers.establishmentOf(actor, establishmentId);
    const now = clock.now();
    const currentMonth = ContributionMonth.containing(BusinessDate.fromInstant(now));
    const hash = createHash("sha256").update(
      `upload ${establishmentId} ${input.format} partial=${input.isPartialAllowed}\n`,
    );
    try {
      return await db.$transaction(
        async (tx) => {
          await createStagingTable(tx);
          const rejected = new Map<number, RejectedRow>();
          let batch: StagedRow[] = [];
          let rowsReceived = 0;
          // The previous batch's INSERT runs while the next batch is parsed; one at a time,
          // since a transaction has one connection.
          let staging: Promise<void> = Promise.resolve();
          const stage = async (rows: StagedRow[]) => {
            await staging;
            staging = stageRows(tx, rows);
            staging.catch(() => {});
          };
          for await (const parsed of parseUploadRows(tapped(input.body, hash), input.format, input.maxBytes)) {
            rowsReceived += 1;
            if (rowsReceived > uploadRowsMax)
              throw new AppError("UPLOAD_TOO_MANY_ROWS", `an upload holds at most ${uploadRowsMax} rows`);
            if ("error" in parsed) {
              rejected.set(parsed.line, {
                line: parsed.line,
                errors: [{ code: "VALIDATION_FAILED", message: parsed.error }],
              });
              continue;
            }
            const row = validateUploadRow(parsed.raw, parsed.line, currentMonth);
            if (Array.isArray(row)) {
              const idNumber = typeof parsed.raw.idNumber === "string" ? parsed.raw.idNumber : undefined;
              rejected.set(parsed.line, { line: parsed.line, ...(idNumber ? { idNumber } : {}), errors: row });
              continue;
            }
            batch.push(row);
            if (batch.length >= stagingBatchSize) {
              await stage(batch);
              batch = [];
            }
          }
          await stage(batch);
          await staging;

          const problems = await findDatabaseProblems(tx, establishmentId, currentMonth.firstDay().toString());
          for (const problem of problems) {
            const entry = rejected.get(problem.line) ?? { line: problem.line, errors: [] };
            entry.errors.push({ code: problem.code, message: problemMessages[problem.code] });
            rejected.set(problem.line, entry);
          }
          await discardRows(tx, [...new Set(problems.map((problem) => problem.line))]);
          const rejectedRows = [...rejected.values()].sort((a, b) => a.line - b.line);

          const requestHash = hash.digest("hex");
          let status: 200 | 201 | 422;
          let body: string;
          if (rejectedRows.length > 0 && !input.isPartialAllowed) {
            status = 422;
            body = JSON.stringify({
              error: {
                code: "UPLOAD_ROWS_REJECTED",
                message: `${rejectedRows.length} of ${rowsReceived} rows were rejected; nothing was written (send partial=true to accept the others)`,
                details: rejectedRows.map((row) => ({
                  ...row,
                  message: `line ${row.line}: ${row.errors.map((error) => error.code).join(", ")}`,
                })),
                requestId: input.requestId,
              },
            });
          } else {
            const counts = await applyStagedRows(tx, {
              establishmentId,
              firstUnbilledMonth: currentMonth.firstDay().toString(),
              now,
              recordedBy: describeActor(actor),
              lateRegistrationReason: LATE_REGISTRATION_REASON,
            });
            const report: UploadReport = {
              rowsReceived,
              rowsAccepted: rowsReceived - rejectedRows.length,
              rowsRejected: rejectedRows.length,
              ...counts,
              rejected: rejectedRows,
            };
            status = counts.employmentsRegistered + counts.wagesRecorded > 0 ? 201 : 200;
            body = JSON.stringify(report);
          }

          if (input.idempotencyKey !== undefined) {
            const scope = `establishment:${establishmentId}`;
            const claim = { scope, key: input.idempotencyKey, requestHash, createdAt: now };
            if (!(await claimIdempotencyKey(tx, claim))) {
              const stored = await findIdempotencyKey(tx, scope, input.idempotencyKey);
              if (stored?.requestHash !== requestHash) {
                throw new AppError("IDEMPOTENCY_KEY_REUSED", "this Idempotency-Key was used with a different upload");
              }
              throw new StoredAnswer(stored.responseStatus ?? 409, stored.responseBody ?? "");
            }
            await completeIdempotencyKey(tx, scope, input.idempotencyKey, { status, body });
          }
          return { status, body, isReplay: false };
        },
        { timeout: 10 * 60 * 1000, maxWait: 30_000 },
      );
    } catch (error) {
      if (error instanceof StoredAnswer) return { status: error.status as 200, body: error.body, isReplay: true };
      throw error;
    }
  };
}

export type EmployeeUploader = ReturnType<typeof createEmployeeUploader>;
