import type { PrismaClient } from "../shared/db/database.js";
import { appliedMigrationNames } from "../shared/db/migrations.js";
import { AppError } from "../shared/errors.js";

export type Readiness = { migrationsApplied: number };

/**
 * Ready when the database answers and has applied every migration this build ships with:
 * a process that started against an older schema must not take traffic.
 */
export async function checkReadiness(db: PrismaClient, expectedMigrations: readonly string[]): Promise<Readiness> {
  let applied: Set<string>;
  try {
    applied = await appliedMigrationNames({ prisma: db });
  } catch (error) {
    throw new AppError("NOT_READY", "the database is not reachable or has no migration history", [
      { message: error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error) },
    ]);
  }
  const pending = expectedMigrations.filter((name) => !applied.has(name));
  if (pending.length > 0) {
    throw new AppError(
      "NOT_READY",
      `${pending.length} migration(s) not applied`,
      pending.map((name) => ({ message: "not applied", migration: name })),
    );
  }
  return { migrationsApplied: applied.size };
}
