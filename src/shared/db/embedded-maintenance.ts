import type { PGlite } from "@electric-sql/pglite";

/**
 * Vacuums and analyses the embedded database, which nothing else does: PGlite runs PostgreSQL as
 * a single-user backend, where the autovacuum launcher never starts (`autovacuum` reads "on";
 * 200,000 dead rows of a 100,000-row table were all still there 80 s later). Without this every
 * updated or deleted row stays behind for good (each Stripe event is updated twice, sessions and
 * captchas are purged, runs count their progress) and the planner never gets statistics, nor do
 * cached plans (the statement-level checks') get replanned. On PostgreSQL autovacuum does this and
 * the job is not scheduled.
 *
 * PGlite runs one statement or transaction at a time, so this waits for any open transaction
 * (a billing run's chunk, say) and holds the others back while it runs.
 */
export async function vacuumEmbeddedDatabase(
  pglite: PGlite,
): Promise<{ deadRowsBefore: number; deadRowsAfter: number }> {
  const deadRows = async () => {
    // The counts reach the statistics views when the backend next reports them (at most once a
    // second); this makes the statement before the read report them.
    await pglite.query("SELECT pg_stat_force_next_flush()");
    const { rows } = await pglite.query<{ dead: number }>(
      "SELECT coalesce(sum(n_dead_tup), 0)::int AS dead FROM pg_stat_user_tables",
    );
    return rows[0]?.dead ?? 0;
  };
  const deadRowsBefore = await deadRows();
  await pglite.exec("VACUUM (ANALYZE)");
  return { deadRowsBefore, deadRowsAfter: await deadRows() };
}
