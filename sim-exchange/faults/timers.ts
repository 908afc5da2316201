/**
 * The time seam of the faults: when windows end, when scheduled faults start, when delayed commands run. Real timers
 * by default (monotonic, unref'd: a fault never keeps the process alive); ManualTimers lets tests and the scenario
 * runner drive time by hand.
 */
export type TimerHandle = unknown;

export interface FaultTimers {
  /** Milliseconds on a monotonic clock (only differences matter). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const realTimers: FaultTimers = {
  now: () => performance.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

interface ManualTimer {
  readonly due: number;
  readonly seq: number;
  readonly fn: () => void;
}

/** Timers driven by advance(): callbacks run in (due time, creation order), each with now() = its due time. */
export class ManualTimers implements FaultTimers {
  private t: number;
  private seq = 0;
  private readonly timers = new Set<ManualTimer>();

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: ManualTimer = { due: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.add(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as ManualTimer);
  }

  /** Timers still pending. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way (also those they create). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: ManualTimer | undefined;
      for (const x of this.timers) if (x.due <= end && (next === undefined || x.due < next.due || (x.due === next.due && x.seq < next.seq))) next = x;
      if (next === undefined) break;
      this.timers.delete(next);
      this.t = next.due;
      next.fn();
    }
    this.t = end;
  }
}
