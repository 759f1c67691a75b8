import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redactedSecretBody } from "../../src/messaging/repository.js";
import { createHttpSmsGateway, createLogEmailSender, createLogSmsSender } from "../../src/messaging/senders.js";
import { createMessaging } from "../../src/messaging/service.js";
import { FixedClock } from "../../src/shared/clock.js";
import { createLogger } from "../../src/shared/logger.js";
import { createTestDatabase, type TestDatabase } from "../support/test-database.js";

/** A provider on a loopback port that answers as told and keeps what it received. */
let server: Server;
let url: string;
let answer: { status: number; body: string } = { status: 200, body: '{"id":"prov-1"}' };
const received: { headers: IncomingMessage["headers"]; body: unknown }[] = [];
let database: TestDatabase;

beforeAll(async () => {
  server = createServer((request, response) => {
    let text = "";
    request.on("data", (chunk) => {
      text += chunk;
    });
    request.on("end", () => {
      received.push({ headers: request.headers, body: JSON.parse(text) });
      response.writeHead(answer.status, { "content-type": "application/json" }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/messages`;
  database = await createTestDatabase();
});
afterAll(async () => {
  server.close();
  await database.drop();
});

function outbox() {
  const clock = new FixedClock("2026-11-25T09:00:00.000Z");
  const logger = createLogger({ level: "silent" });
  const messaging = createMessaging({
    db: database.prisma,
    clock,
    logger,
    sms: createHttpSmsGateway({ url, token: "secret-token", senderId: "Ishtirak" }),
    email: createLogEmailSender(logger),
  });
  return { messaging, clock };
}
const queue = (messaging: ReturnType<typeof outbox>["messaging"], recipient: string) =>
  database.prisma.$transaction((tx) =>
    messaging.enqueue(tx, { channel: "SMS", recipient, body: "رمز التحقق 123456", purpose: "ONE_TIME_CODE" }),
  );
const stored = (recipient: string) => database.prisma.outboundMessage.findFirstOrThrow({ where: { recipient } });

describe("the HTTP SMS gateway behind the outbox", () => {
  it("posts the message with the bearer token and the message id as idempotency key, and records the provider's id", async () => {
    answer = { status: 200, body: '{"id":"prov-1"}' };
    const { messaging } = outbox();
    await queue(messaging, "+966551111111");
    expect(await messaging.dispatch()).toBe(1);
    const message = await stored("+966551111111");
    expect(message).toMatchObject({ status: "SENT", providerMessageId: "prov-1", attempts: 1 });
    expect(received.at(-1)).toMatchObject({
      headers: { authorization: "Bearer secret-token", "idempotency-key": message.id },
      body: { recipient: "+966551111111", sender: "Ishtirak", body: "رمز التحقق 123456" },
    });
    // The provider has the code; the outbox no longer does.
    expect(message.body).toBe(redactedSecretBody);
  });

  it("keeps a message the provider could not take (5xx) queued and sends it on a later pass", async () => {
    answer = { status: 503, body: "busy" };
    const { messaging, clock } = outbox();
    await queue(messaging, "+966552222222");
    expect(await messaging.dispatch()).toBe(0);
    expect(await stored("+966552222222")).toMatchObject({
      status: "QUEUED",
      lastError: expect.stringContaining("503"),
      body: "رمز التحقق 123456",
    });
    // Not retried before its backoff ends.
    answer = { status: 200, body: '{"id":"prov-2"}' };
    expect(await messaging.dispatch()).toBe(0);
    clock.advanceBy(31_000);
    expect(await messaging.dispatch()).toBe(1);
    expect(await stored("+966552222222")).toMatchObject({ status: "SENT", providerMessageId: "prov-2", attempts: 2 });
  });

  it("gives up at once on a 4xx (a bad number stays bad)", async () => {
    answer = { status: 400, body: '{"error":"invalid recipient"}' };
    const { messaging, clock } = outbox();
    await queue(messaging, "+966553333333");
    await messaging.dispatch();
    clock.advanceBy(60 * 60 * 1000);
    await messaging.dispatch();
    expect(await stored("+966553333333")).toMatchObject({ status: "FAILED", attempts: 1, body: redactedSecretBody });
  });

  it("redacts only one-time codes: a notice keeps its text once sent", async () => {
    answer = { status: 200, body: '{"id":"prov-4"}' };
    const { messaging } = outbox();
    await database.prisma.$transaction((tx) =>
      messaging.enqueue(tx, { channel: "SMS", recipient: "+966555555555", body: "تم تسجيلك", purpose: "TEST" }),
    );
    expect(await messaging.dispatch()).toBe(1);
    expect(await stored("+966555555555")).toMatchObject({ status: "SENT", body: "تم تسجيلك" });
  });

  it("keeps the code readable in the outbox with the log sender, where local use and tests read it", async () => {
    const logger = createLogger({ level: "silent" });
    const messaging = createMessaging({
      db: database.prisma,
      clock: new FixedClock("2026-11-25T09:00:00.000Z"),
      logger,
      sms: createLogSmsSender(logger),
      email: createLogEmailSender(logger),
    });
    await queue(messaging, "+966556666666");
    expect(await messaging.dispatch()).toBe(1);
    expect(await stored("+966556666666")).toMatchObject({ status: "SENT", body: "رمز التحقق 123456" });
  });

  it("sends a notice with a dedupe key once", async () => {
    answer = { status: 200, body: '{"id":"prov-3"}' };
    const { messaging } = outbox();
    const notice = {
      channel: "SMS" as const,
      recipient: "+966554444444",
      body: "notice",
      purpose: "TEST",
      dedupeKey: "test:1",
    };
    expect(await database.prisma.$transaction((tx) => messaging.enqueue(tx, notice))).toBe(true);
    expect(await database.prisma.$transaction((tx) => messaging.enqueue(tx, notice))).toBe(false);
    expect(await database.prisma.outboundMessage.count({ where: { recipient: "+966554444444" } })).toBe(1);
  });
});
