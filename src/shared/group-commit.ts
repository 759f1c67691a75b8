/**
 * Group commit: callers hand in one item each and wait for its own result, while the items
 * are written `batchMax` at a time by `flush` (one statement, one commit). Nothing waits on a
 * timer: an item that finds fewer than `inFlightMax` flushes running goes out at once, alone if
 * need be; items that arrive while every flush is busy gather and go out together when one
 * finishes. So an idle service answers as fast as before, and a busy one pays one round trip
 * and one commit per batch instead of per item.
 *
 * `flush` returns one result per item, in order. If a batch of several fails, each of its
 * items is flushed again alone, so one bad item fails only its own caller.
 */
export function createGroupCommit<Item, Result>(
  flush: (items: readonly Item[]) => Promise<readonly Result[]>,
  options: { inFlightMax: number; batchMax: number },
): (item: Item) => Promise<Result> {
  type Waiting = { item: Item; resolve: (result: Result) => void; reject: (error: unknown) => void };
  const waiting: Waiting[] = [];
  let inFlight = 0;

  async function flushEach(batch: readonly Waiting[]): Promise<void> {
    try {
      const results = await flush(batch.map((entry) => entry.item));
      if (results.length !== batch.length) {
        throw new Error(`a group commit of ${batch.length} items returned ${results.length} results`);
      }
      for (const [index, entry] of batch.entries()) entry.resolve(results[index] as Result);
    } catch (error) {
      if (batch.length === 1) {
        (batch[0] as Waiting).reject(error);
        return;
      }
      await Promise.all(batch.map((entry) => flushEach([entry])));
    }
  }

  function pump(): void {
    while (inFlight < options.inFlightMax && waiting.length > 0) {
      const batch = waiting.splice(0, options.batchMax);
      inFlight += 1;
      void flushEach(batch).finally(() => {
        inFlight -= 1;
        pump();
      });
    }
  }

  return (item) =>
    new Promise<Result>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      pump();
    });
}
