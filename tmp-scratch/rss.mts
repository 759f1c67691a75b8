import { readFile } from "node:fs/promises";
import { startService } from "../test/support/service-process.ts";

const s = await startService({ DATABASE_URL: "postgres://postgres@127.0.0.1:5432/test", LOG_LEVEL: "warn" });
await fetch(`${s.url}/readyz`);
const status = await readFile(`/proc/${s.pid}/status`, "utf8");
console.log(/VmHWM.*|VmRSS.*/g[Symbol.match](status));
await s.stop();
