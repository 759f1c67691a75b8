import pg from "pg";

export type NotificationListener = { close(): Promise<void> };

export type ListenOptions = {
  /** Called with the payload of each notification on the channel, and with none each time listening (re)starts. */
  onNotification: (payload?: string) => void;
  /** A lost or refused connection, before the next attempt. */
  onError: (error: unknown) => void;
  /** Pause before the first attempt to reconnect, doubled up to `retryMaxMs` while attempts fail. */
  retryMinMs?: number;
  retryMaxMs?: number;
};

/**
 * LISTENs on a PostgreSQL channel over a connection of its own (a pooled connection goes back to
 * the pool between queries, and its LISTEN with it), and keeps listening: a lost connection is
 * opened again after a pause. Notifications sent while nobody listened are lost, so
 * `onNotification` is also called each time listening starts: a listener only ever hears
 * "look again", and looking is what catches up.
 */
export function listenForNotifications(
  connection: pg.ClientConfig,
  channel: string,
  options: ListenOptions,
): NotificationListener {
  const retryMinMs = options.retryMinMs ?? 1_000;
  const retryMaxMs = options.retryMaxMs ?? 30_000;
  let retryMs = retryMinMs;
  let current: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;

  function lost(client: pg.Client, error: unknown) {
    if (current !== client) return;
    current = undefined;
    client.removeAllListeners("notification");
    client.end().catch(() => {});
    if (closed) return;
    options.onError(error);
    retry = setTimeout(() => {
      retry = undefined;
      void connect();
    }, retryMs);
    retryMs = Math.min(retryMs * 2, retryMaxMs);
  }

  async function connect() {
    const client = new pg.Client(connection);
    current = client;
    client.on("notification", (message) => {
      if (message.channel === channel) options.onNotification(message.payload);
    });
    client.on("error", (error) => lost(client, error));
    client.on("end", () => lost(client, new Error("the listening connection ended")));
    try {
      await client.connect();
      await client.query(`LISTEN "${channel.replaceAll('"', '""')}"`);
    } catch (error) {
      lost(client, error);
      return;
    }
    if (current !== client) return;
    retryMs = retryMinMs;
    options.onNotification();
  }

  void connect();
  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const client = current;
      current = undefined;
      await client?.end().catch(() => {});
    },
  };
}
