import { readdirSync, readFileSync } from "node:fs";
import pg from "pg";
import { openPostgresDatabase } from "../src/shared/db/database.js";
import { applyPendingMigrations } from "../src/shared/db/migrations.js";
import { billBenchMonth, seedPopulation } from "./billing.bench.js";
import { benchmarkServerUrl, timed } from "./support.js";

/**
 * Comparing two versions of the billing run on one machine, alternately (docs/billing.md, "Speed").
 * A whole run moves by a quarter from one run to the next on a shared machine, more than most
 * changes are worth, so a change is judged by runs of both versions in turn over the same seeded
 * register, with PostgreSQL's own CPU time beside the wall time:
 *
 *   npx tsx bench/billing-ab.ts seed <template> [employments]   seed a template database once
 *   npx tsx bench/billing-ab.ts copy <name> <template>          a copy migrated by this checkout's code
 *   npx tsx bench/billing-ab.ts run <template>                  bill 2026-10 on a fresh copy of it
 *
 * `run` prints the wall time, the CPU every PostgreSQL process spent (backends, reaped children
 * and the background writers, from /proc: only on the machine that runs the server, as the
 * bench's server here does), the WAL written and the checkpoints that fell inside the run.
 * Template databases are left for the next comparison; drop them when done.
 */

const serverUrl = () => new URL(benchmarkServerUrl());
const databaseUrl = (name: string) => {
  const url = serverUrl();
  url.pathname = `/${name}`;
  return url.toString();
};

async function admin<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl("postgres") });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

const identifier = (name: string | undefined): string => {
  if (!name || !/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a database name: ${name}`);
  return name;
};

/** Seconds of CPU the PostgreSQL server's processes have used, exited ones included. */
function postgresCpuSeconds(dataDirectory: string): number | undefined {
  let postmaster: string;
  try {
    postmaster = readFileSync(`${dataDirectory}/postmaster.pid`, "utf8").split("\n")[0]?.trim() ?? "";
  } catch {
    return undefined;
  }
  // Fields after the command name: state is 0, ppid 1, utime 11, stime 12, cutime 13, cstime 14.
  const fields = (pid: string) => readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  const own = fields(postmaster);
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const child = fields(pid);
      if (child[1] === postmaster) ticks += Number(child[11]) + Number(child[12]);
    } catch {
      // The process ended while being read; its time is in the postmaster's reaped children now.
    }
  }
  return ticks / 100;
}

async function walPosition(): Promise<{ lsn: string; checkpoints: number }> {
  const [row] = await admin<{ lsn: string; checkpoints: number }>(
    "SELECT pg_current_wal_lsn()::text AS lsn, (checkpoints_req + checkpoints_timed)::int AS checkpoints FROM pg_stat_bgwriter",
  );
  if (!row) throw new Error("no WAL position");
  return row;
}

async function seed(template: string, employments: number) {
  await admin(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${template}`);
  const database = await openPostgresDatabase({ url: databaseUrl(template), poolMax: 4 });
  try {
    await applyPendingMigrations(database);
    console.log(template, await seedPopulation(database, employments));
  } finally {
    await database.close();
  }
}

async function copy(name: string, template: string) {
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  const database = await openPostgresDatabase({ url: databaseUrl(name), poolMax: 4 });
  try {
    console.log(name, "migrated:", (await applyPendingMigrations(database)).join(", ") || "nothing to apply");
    await database.prisma.$executeRawUnsafe("VACUUM (ANALYZE)");
    await database.prisma.$executeRawUnsafe("CHECKPOINT");
  } finally {
    await database.close();
  }
}

async function run(template: string) {
  const scratch = "billing_ab_run";
  await admin(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${scratch} TEMPLATE ${template}`);
  await admin("CHECKPOINT");
  const [settings] = await admin<{ data_directory: string }>(
    "SELECT current_setting('data_directory') AS data_directory",
  );
  try {
    const database = await openPostgresDatabase({ url: databaseUrl(scratch), poolMax: 4 });
    const wal = await walPosition();
    const cpuBefore = settings ? postgresCpuSeconds(settings.data_directory) : undefined;
    const { result: finished, milliseconds } = await timed(() =>
      billBenchMonth(database, Number(process.env.BILLING_RUN_WORKERS ?? 2)),
    ).finally(() => database.close());
    const cpuAfter = settings ? postgresCpuSeconds(settings.data_directory) : undefined;
    const [written] = await admin<{ megabytes: number; checkpoints: number }>(
      `SELECT (pg_wal_lsn_diff(pg_current_wal_lsn(), '${wal.lsn}') / 1048576)::int AS megabytes,
              (checkpoints_req + checkpoints_timed)::int - ${wal.checkpoints} AS checkpoints FROM pg_stat_bgwriter`,
    );
    const cpu = cpuBefore === undefined || cpuAfter === undefined ? "n/a" : `${(cpuAfter - cpuBefore).toFixed(1)} s`;
    console.log(
      `${template}\t${(milliseconds / 1000).toFixed(2)} s\tPostgreSQL CPU ${cpu}\tWAL ${written?.megabytes} MB, ${written?.checkpoints} checkpoint(s)\t` +
        `${finished.status}: ${finished.contributionLines} lines, ${finished.invoicesIssued} invoices`,
    );
  } finally {
    // A failed run leaves no copy behind either.
    await admin(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
  }
}

async function main(command: string | undefined, first: string | undefined, second: string | undefined) {
  if (command === "seed") return seed(identifier(first), Number(second ?? 1_000_000));
  if (command === "copy") return copy(identifier(first), identifier(second));
  if (command === "run") return run(identifier(first));
  throw new Error("usage: billing-ab.ts seed <template> [employments] | copy <name> <template> | run <template>");
}

const [command, first, second] = process.argv.slice(2);
main(command, first, second).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
