/**
 * The only source of the current time. Services take a Clock so tests, benchmarks and
 * replays can pin "now"; `new Date()` without an argument appears in this file alone.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = {
  now: () => new Date(),
};

/** A clock that stays where it is set; `advanceBy` moves it forward explicitly. */
export class FixedClock implements Clock {
  private current: Date;

  constructor(instant: Date | string) {
    this.current = new Date(instant);
    if (Number.isNaN(this.current.getTime())) throw new RangeError(`invalid instant ${String(instant)}`);
  }

  now(): Date {
    return new Date(this.current);
  }

  set(instant: Date | string): void {
    this.current = new Date(instant);
  }

  advanceBy(milliseconds: number): void {
    this.current = new Date(this.current.getTime() + milliseconds);
  }
}

/** Monotonic milliseconds for measuring durations (logs, benchmarks), never for business time. */
export function monotonicMilliseconds(): number {
  return performance.now();
}

/** Wall-clock milliseconds for ordering generated ids (ids.ts), never for business time. */
export function wallClockMilliseconds(): number {
  return Date.now();
}
