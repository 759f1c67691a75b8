import { benchmarkBilling } from "./billing.bench.js";
import { benchmarkEmployees } from "./employees.bench.js";
import { benchmarkLedger } from "./ledger.bench.js";
import { benchmarkMachine } from "./machine.bench.js";
import { benchmarkStartup } from "./startup.bench.js";
import { benchmarkSubscribers } from "./subscribers.bench.js";
import { benchmarkServerUrl, isServerReachable } from "./support.js";
import { benchmarkWebhooks } from "./webhooks.bench.js";

/**
 * npm run bench [-- --only <name>] [--employments N]: prints figures, asserts nothing. Each benchmark runs on
 * PGlite and, when the server at BENCH_DATABASE_URL (default: the local PostgreSQL) answers,
 * on PostgreSQL in a scratch database it drops afterwards.
 */
const benchmarks: Record<string, (options: { postgres: boolean; argv: string[] }) => Promise<void>> = {
  startup: benchmarkStartup,
  ledger: benchmarkLedger,
  employees: benchmarkEmployees,
  billing: benchmarkBilling,
  webhooks: benchmarkWebhooks,
  subscribers: benchmarkSubscribers,
};

async function runBenchmarks(argv: string[]): Promise<void> {
  const onlyIndex = argv.indexOf("--only");
  const only = onlyIndex >= 0 ? argv[onlyIndex + 1] : undefined;
  const postgres = await isServerReachable(benchmarkServerUrl());
  if (!postgres) console.log(`PostgreSQL at ${benchmarkServerUrl()} is not reachable: PGlite figures only`);
  // Always first, whatever --only says: the yardstick the other figures are read against.
  await benchmarkMachine({ postgres });
  for (const [name, run] of Object.entries(benchmarks)) {
    if (only && only !== name) continue;
    await run({ postgres, argv });
  }
}

runBenchmarks(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
