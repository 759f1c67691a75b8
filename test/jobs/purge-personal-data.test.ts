import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createLogEmailSender, createLogSmsSender } from "../../src/messaging/senders.js";
import { createMessaging } from "../../src/messaging/service.js";
import { createLogger } from "../../src/shared/logger.js";
import { purgeSpentSignUpData } from "../../src/subscribers/retention.js";
import { hire } from "../support/billing.js";
import {
  e164,
  messagesTo,
  noticeJobs,
  registerSubscriber,
  registrationBody,
  signInSubscriber,
  startRegistration,
} from "../support/subscribers.js";
import { buildTestApp, registerEstablishment, requestJson, TEST_NOW, type TestContext } from "../support/test-app.js";

let context: TestContext;

beforeAll(async () => {
  context = await buildTestApp();
});
afterAll(() => context.close());

const daysAfterStart = (days: number) => new Date(Date.parse(TEST_NOW) + days * 24 * 60 * 60 * 1000).toISOString();

function messaging() {
  const logger = createLogger({ level: "silent" });
  return createMessaging({
    db: context.database.prisma,
    clock: context.clock,
    logger,
    sms: createLogSmsSender(logger),
    email: createLogEmailSender(logger),
  });
}

const rowCounts = async () => ({
  registrations: await context.database.prisma.pendingRegistration.count(),
  codes: await context.database.prisma.oneTimeCode.count(),
});

describe("the daily purge of personal data", () => {
  it("deletes spent registrations and codes after a day, and messages that left the queue after the retention, never a queued one", async () => {
    const first = await registerEstablishment(context);
    const second = await registerEstablishment(context);
    // One person completes registration; another gives up before the code.
    const completed = await hire(context, first, { startDate: "2026-09-01", basic: "8000.00" });
    context.clock.set(daysAfterStart(0.005));
    const account = await registerSubscriber(context, { idNumber: completed.idNumber });
    const abandoned = await hire(context, first, { startDate: "2026-09-01", basic: "6000.00" });
    const abandonedBody = await registrationBody(context, { idNumber: abandoned.idNumber });
    const abandonedStart = await startRegistration(context, abandonedBody);
    expect(abandonedStart.status).toBe(201);
    // A notice: the person with an account is registered by a second employer.
    context.clock.set(daysAfterStart(0.01));
    await hire(context, second, { startDate: "2026-11-01", basic: "9000.00", idNumber: completed.idNumber });
    expect((await noticeJobs(context).sendEmploymentNotices()).queued).toBe(1);
    const accountMessages = (await messagesTo(context, e164(account.mobile))).map((message) => message.purpose);
    expect(accountMessages.sort()).toEqual(["EMPLOYMENT_REGISTERED", "ONE_TIME_CODE"]);
    expect(await rowCounts()).toEqual({ registrations: 2, codes: 2 });

    // Within a day of their expiry, registrations and codes stay (the sending caps count a day back).
    context.clock.set(daysAfterStart(1));
    expect(await purgeSpentSignUpData({ db: context.database.prisma, clock: context.clock })).toEqual({
      registrations: 0,
      codes: 0,
    });
    context.clock.set(daysAfterStart(1.1));
    expect(await purgeSpentSignUpData({ db: context.database.prisma, clock: context.clock })).toEqual({
      registrations: 2,
      codes: 2,
    });
    expect(await rowCounts()).toEqual({ registrations: 0, codes: 0 });
    // The account is whole: its holder signs in; the abandoned registration is gone, and its
    // person can register afresh.
    expect((await signInSubscriber(context, completed.idNumber)).status).toBe(201);
    const confirmGone = await requestJson(
      context.app,
      "POST",
      `/v1/subscriber-registrations/${(abandonedStart.body as { registrationId: string }).registrationId}/confirmation`,
      { code: "123456" },
    );
    expect(confirmGone.status).toBe(404);
    expect(
      (await startRegistration(context, await registrationBody(context, { idNumber: abandoned.idNumber }))).status,
    ).toBe(201);

    // Messages are kept the retention period after they left the queue, then deleted a batch at a time.
    const retentionDays = loadConfig({}).notifications.messageRetentionDays;
    expect(retentionDays).toBe(90);
    context.clock.set(daysAfterStart(retentionDays));
    expect(await messaging().purgeOld(retentionDays, 2)).toBe(0);
    context.clock.set(daysAfterStart(retentionDays + 0.02));
    // A message queued since the first day and never sent (no dispatcher ran): never purged.
    await context.database.prisma.outboundMessage.create({
      data: {
        id: "msg_still_queued",
        channel: "SMS",
        recipient: "+966550000001",
        body: "queued",
        purpose: "EMPLOYMENT_REGISTERED",
        status: "QUEUED",
        createdAt: new Date(TEST_NOW),
        nextAttemptAt: new Date(TEST_NOW),
      },
    });
    // The three sent on the first day (two codes, one notice); the new registration's code is recent.
    expect(await messaging().purgeOld(retentionDays, 2)).toBe(3);
    expect(await messagesTo(context, e164(account.mobile))).toEqual([]);
    expect(await messagesTo(context, e164(abandonedBody.mobile))).toEqual([]);
    const left = await context.database.prisma.outboundMessage.findMany({ orderBy: { createdAt: "asc" } });
    expect(left.map((message) => [message.id, message.status])).toEqual([
      ["msg_still_queued", "QUEUED"],
      [expect.any(String), "SENT"],
    ]);
    // The deleted notice is not written again: its change is far outside the notices' look-back.
    expect((await noticeJobs(context).sendEmploymentNotices()).queued).toBe(0);
  });

  it("refuses a message retention shorter than the overdue notices' look-back (their dedupe keys must outlive it)", () => {
    expect(() => loadConfig({ MESSAGE_RETENTION_DAYS: "30" })).toThrow(/MESSAGE_RETENTION_DAYS/);
    expect(loadConfig({ MESSAGE_RETENTION_DAYS: "36" }).notifications.messageRetentionDays).toBe(36);
  });
});
