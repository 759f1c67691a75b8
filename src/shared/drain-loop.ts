/**
 * One drain at a time over a queue that others keep filling: `round` takes what is due now;
 * a drain runs rounds until one starts with nobody having asked for more during the previous.
 *
 * - `wake()` is for producers (a stored webhook delivery): it returns at once, starting a drain
 *   or making the running one go round again. Any number of wakes during a round cost one more
 *   round, nothing else: no callbacks pile up on the running drain.
 * - `drain()` is for callers that wait (the sweep job, the processing endpoint): it resolves
 *   with the totals of a drain that started after the call.
 */
export function createDrainLoop<Totals>(options: {
  round: () => Promise<Totals>;
  empty: () => Totals;
  add: (sum: Totals, round: Totals) => Totals;
  onError: (error: unknown) => void;
}): { wake(): void; drain(): Promise<Totals> } {
  let draining: Promise<Totals> | undefined;
  let again = false;

  function wake(): void {
    if (draining) {
      again = true;
      return;
    }
    drain().catch(options.onError);
  }

  function drain(): Promise<Totals> {
    if (draining) {
      again = true;
      return draining.then(() => drain());
    }
    draining = (async () => {
      let totals = options.empty();
      do {
        again = false;
        totals = options.add(totals, await options.round());
      } while (again);
      return totals;
    })().finally(() => {
      draining = undefined;
      // A wake that came after the last round looked, but before this ran, still gets its round.
      if (again) wake();
    });
    return draining;
  }

  return { wake, drain };
}
