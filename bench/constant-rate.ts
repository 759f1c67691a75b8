import http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";

export type ConstantRateResult = {
  sent: number;
  achievedRate: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
  /** CPU this process (the generator) spent per request, user and kernel: what it took from the service. */
  generatorCpuMs: number;
};

/**
 * An open-model load at a constant arrival rate, as wrk2 does it: request i is due at
 * start + i / rate whatever became of the ones before, and its latency counts from that due
 * time, so a stall in the service shows in the figures instead of slowing the generator down
 * (no coordinated omission). Connections are kept alive and opened as the load needs them.
 * (autocannon's `overallRate` was used before: it lets every connection send its whole
 * second's share at the start of each second, a burst of `rate` requests, so its latencies
 * measured queueing behind that burst rather than the service at the rate.)
 */
export async function constantRateLoad(options: {
  url: string;
  rate: number;
  durationSeconds: number;
  headers: (index: number) => Record<string, string>;
  maxSockets?: number;
}): Promise<ConstantRateResult> {
  // LIFO reuses the most recently used socket, so few sit idle long enough to race the server's keep-alive timeout.
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64, scheduling: "lifo" });
  const total = Math.round(options.rate * options.durationSeconds);
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  let lastEnd = 0;
  const send = (index: number, due: number) =>
    new Promise<void>((resolve) => {
      const request = http.get(options.url, { agent, headers: options.headers(index) }, (response) => {
        response.resume();
        response.on("end", () => {
          const ended = performance.now();
          lastEnd = Math.max(lastEnd, ended);
          latencies.push(ended - due);
          if ((response.statusCode ?? 0) >= 300) non2xx += 1;
          resolve();
        });
      });
      request.on("error", () => {
        errors += 1;
        resolve();
      });
    });

  const cpuAtStart = process.cpuUsage();
  const start = performance.now() + 20;
  const inFlight: Promise<void>[] = [];
  for (let index = 0; index < total; index++) {
    const due = start + (index * 1000) / options.rate;
    const wait = due - performance.now();
    if (wait > 0.5) await sleep(wait);
    inFlight.push(send(index, due));
  }
  await Promise.all(inFlight);
  const cpu = process.cpuUsage(cpuAtStart);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (share: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(share * latencies.length))] ?? 0);
  return {
    sent: total,
    achievedRate: Math.round((latencies.length * 1000) / Math.max(1, lastEnd - start)),
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: Math.round(latencies.at(-1) ?? 0),
    non2xx,
    errors,
    generatorCpuMs: Math.round((cpu.user + cpu.system) / total / 10) / 100,
  };
}
