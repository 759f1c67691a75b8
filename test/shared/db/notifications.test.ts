import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { listenForNotifications, type NotificationListener } from "../../../src/shared/db/notifications.js";
import { testDatabaseKind } from "../../support/test-database.js";

async function eventually(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The listener a process keeps on PostgreSQL: each channel on a connection of its own, heard
 * again after the connection is lost, with a call on every (re)start because notifications sent
 * while nobody listened are gone.
 */
describe.runIf(testDatabaseKind() === "postgresql")("listening for notifications on PostgreSQL", () => {
  const url = process.env.DATABASE_URL as string;
  const channel = `ishtirak_test_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  let listener: NotificationListener | undefined;
  let sender: Promise<pg.Client> | undefined;

  afterEach(async () => {
    await listener?.close();
    await (await sender)?.end();
    listener = undefined;
    sender = undefined;
  });

  const listen = (heard: (string | undefined)[], errors: unknown[]) =>
    listenForNotifications({ connectionString: url }, channel, {
      onNotification: (payload) => heard.push(payload),
      onError: (error) => errors.push(error),
      retryMinMs: 50,
      retryMaxMs: 200,
    });

  async function notify(onChannel: string, payload: string) {
    sender ??= (async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      return client;
    })();
    await (await sender).query("SELECT pg_notify($1, $2)", [onChannel, payload]);
  }

  /** The listening connection's backend, found by its last statement. */
  async function listeningBackends(): Promise<number[]> {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE query = $1 AND pid <> pg_backend_pid()",
        [`LISTEN "${channel}"`],
      );
      return rows.map((row) => row.pid);
    } finally {
      await admin.end();
    }
  }

  it("hears its channel's notifications with their payloads, and no other channel's", async () => {
    const heard: (string | undefined)[] = [];
    const errors: unknown[] = [];
    listener = listen(heard, errors);
    // The call that marks the start of listening.
    await eventually(() => heard.length === 1, "listening to start");
    expect(heard).toEqual([undefined]);

    await notify(`${channel}_other`, "not for it");
    await notify(channel, "first");
    await notify(channel, "second");
    await eventually(() => heard.length === 3, "two notifications");
    expect(heard).toEqual([undefined, "first", "second"]);
    expect(errors).toEqual([]);
  });

  it("listens again after its connection is killed, says so, and hears what comes next", async () => {
    const heard: (string | undefined)[] = [];
    const errors: unknown[] = [];
    listener = listen(heard, errors);
    await eventually(async () => (await listeningBackends()).length === 1, "the LISTEN to run");
    const [first] = await listeningBackends();

    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query("SELECT pg_terminate_backend($1)", [first]);
    await admin.end();

    await eventually(
      async () => (await listeningBackends()).some((pid) => pid !== first),
      "a new listening connection",
    );
    expect(errors.length).toBeGreaterThanOrEqual(1);
    // Started twice: once at first, once after the loss (the catch-up call).
    await eventually(() => heard.filter((payload) => payload === undefined).length === 2, "the catch-up call");

    await notify(channel, "after the loss");
    await eventually(() => heard.includes("after the loss"), "the notification after the loss");
  });

  it("stops listening when closed: its connection ends and nothing more is heard", async () => {
    const heard: (string | undefined)[] = [];
    listener = listen(heard, []);
    await eventually(async () => (await listeningBackends()).length === 1, "the LISTEN to run");
    await listener.close();
    await eventually(async () => (await listeningBackends()).length === 0, "the connection to end");

    await notify(channel, "too late");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(heard).not.toContain("too late");
  });
});
