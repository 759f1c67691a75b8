import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningService, startService } from "../support/service-process.js";

/**
 * A proxy or load balancer keeps its connections to the service open while idle (60 s for most)
 * and sends the next request on one whenever it likes. If the service closed idle connections
 * sooner (Node's default is 5 s), a request sent as it closes one is reset, and the client sees
 * a 502. Each test holds one raw keep-alive connection, idle, and watches when the service
 * closes it.
 */
let dataDirectory: string;
beforeAll(async () => {
  dataDirectory = await mkdtemp(path.join(tmpdir(), "ishtirak-keep-alive-"));
});
afterAll(() => rm(dataDirectory, { recursive: true, force: true }));

/** Sends one keep-alive request on a new connection; resolves once its answer has arrived. */
async function idleConnection(service: RunningService): Promise<{ closedAfterMs(): number | undefined }> {
  const url = new URL(service.url);
  const socket = net.connect(Number(url.port), url.hostname);
  let answered = 0;
  let closedAt: number | undefined;
  socket.on("close", () => {
    closedAt = performance.now();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.on("data", (chunk: Buffer) => {
      if (chunk.toString().startsWith("HTTP/1.1 200")) {
        answered = performance.now();
        resolve();
      }
    });
    socket.write(`GET /healthz HTTP/1.1\r\nHost: ${url.host}\r\nConnection: keep-alive\r\n\r\n`);
  });
  return { closedAfterMs: () => (closedAt === undefined ? undefined : closedAt - answered) };
}

const waitMs = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

describe("idle keep-alive connections", () => {
  it("stay open for 65 s by default, longer than the idle timeout of the proxies in front", async () => {
    const service = await startService({ DATA_DIR: dataDirectory });
    try {
      const connection = await idleConnection(service);
      await waitMs(8_000);
      expect(connection.closedAfterMs()).toBeUndefined();
    } finally {
      expect(await service.stop()).toBe(0);
    }
  }, 60_000);

  it("are closed after HTTP_KEEP_ALIVE_TIMEOUT_MS of idleness", async () => {
    const service = await startService({ DATA_DIR: dataDirectory, HTTP_KEEP_ALIVE_TIMEOUT_MS: "1000" });
    try {
      const connection = await idleConnection(service);
      await waitMs(5_000);
      // Node closes an idle connection up to a second after its timeout (5 s gave 6.0 s).
      expect(connection.closedAfterMs()).toBeGreaterThanOrEqual(900);
      expect(connection.closedAfterMs()).toBeLessThan(4_000);
    } finally {
      expect(await service.stop()).toBe(0);
    }
  }, 60_000);

  it("do not hold up a stop: a request in flight is answered, then its connection is closed", async () => {
    const service = await startService({ DATA_DIR: dataDirectory });
    const url = new URL(service.url);
    const socket = net.connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    let answer = "";
    socket.on("data", (chunk: Buffer) => {
      answer += chunk.toString();
    });
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    // The request has begun (headers sent, half its body) when the service is told to stop.
    const body = '{"id":"evt_in_flight"}';
    socket.write(
      `POST /webhooks/stripe HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\nConnection: keep-alive\r\n\r\n${body.slice(0, 8)}`,
    );
    await waitMs(300);
    const stopping = performance.now();
    const exited = service.stop();
    await waitMs(300);
    socket.write(body.slice(8));
    // Answered (no signature: 400), then closed, and the process ends long before the 65 s an
    // idle keep-alive connection would otherwise be kept.
    expect(await exited).toBe(0);
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(performance.now() - stopping).toBeLessThan(10_000);
  }, 90_000);
});
