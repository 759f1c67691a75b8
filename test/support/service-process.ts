import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

const projectRoot = path.resolve(import.meta.dirname, "../..");

export type RunningService = {
  url: string;
  pid: number | undefined;
  firstLine: string;
  output(): string;
  stop(): Promise<number | null>;
};

/**
 * Starts the service and waits for the line announcing its URL: from the TypeScript sources
 * (tests, through tsx) or from the compiled build that `npm start` runs (benchmarks). Either
 * way node itself is spawned, so the pid is the serving process's.
 */
export function startService(
  environment: Record<string, string>,
  options: { entry?: "source" | "build"; timeoutMs?: number } = {},
): Promise<RunningService> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  // The compiled entry runs as `npm start` runs it (its V8 and glibc malloc settings), plus any
  // node options in BENCH_SERVICE_NODE_ARGS (to profile it: "--cpu-prof --cpu-prof-dir=/tmp/prof").
  const extraNodeArgs = process.env.BENCH_SERVICE_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  const args =
    options.entry === "build"
      ? ["--max-semi-space-size=4", ...extraNodeArgs, "--enable-source-maps", "dist/main.js"]
      : ["--import", "tsx", "src/main.ts"];
  const startEnvironment = options.entry === "build" ? { MALLOC_ARENA_MAX: "2", MALLOC_MMAP_THRESHOLD_: "131072" } : {};
  const child = spawn(process.execPath, args, {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "info", PORT: "0", ...startEnvironment, ...environment },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`service did not start within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    const poll = setInterval(() => {
      const match = /^Ishtirak listening on (http:\/\/\S+) .*$/m.exec(stdout);
      if (match?.[1]) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve({
          url: match[1],
          pid: child.pid,
          firstLine: match[0],
          output: () => stdout + stderr,
          stop: () => stopChild(child),
        });
      }
    }, 50);
    child.on("exit", (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new ServiceExitedError(code, stdout, stderr));
    });
  });
}

export class ServiceExitedError extends Error {
  constructor(
    readonly exitCode: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`service exited with ${exitCode}: ${stderr}`);
  }
}

function stopChild(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once("exit", (code) => resolve(code));
    child.kill("SIGTERM");
  });
}
