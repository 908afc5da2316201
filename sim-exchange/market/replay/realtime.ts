/**
 * The real-time driver for `npm run sim -- --replay`: wakes up when the next event is due (by the caller's clock,
 * which the venue stamps with too) and lets the player apply what is due. Timers are unref'd so a finished or idle
 * replay never keeps the process alive; the deterministic core (player.advanceTo) knows nothing of timers.
 */
import type { ReplayPlayer } from './player.ts';

export interface RealtimeOptions {
  /** Simulated now in ms (e.g. () => clock.now()). Should not jump: a control-plane clock skew would skip events. */
  readonly now: () => number;
  /** Longest sleep between checks (ms), so a changed clock is noticed; default 1000. */
  readonly maxSleepMs?: number;
  /** Called once when the last event has been applied. */
  readonly onEnd?: () => void;
  /** Called when applying events throws (the driver then stops); default: rethrow from the timer. */
  readonly onError?: (e: unknown) => void;
}

export interface RealtimeDriver {
  stop(): void;
  readonly running: boolean;
}

export function startRealtime(player: ReplayPlayer, opts: RealtimeOptions): RealtimeDriver {
  const maxSleep = opts.maxSleepMs ?? 1000;
  let timer: NodeJS.Timeout | undefined;
  let running = true;
  const tick = (): void => {
    timer = undefined;
    if (!running) return;
    try {
      player.advanceTo(opts.now());
    } catch (e) {
      running = false;
      if (opts.onError) return opts.onError(e);
      throw e;
    }
    const due = player.nextDueMs();
    if (due === undefined) {
      running = false;
      opts.onEnd?.();
      return;
    }
    timer = setTimeout(tick, Math.min(maxSleep, Math.max(0, Math.ceil(due - opts.now()))));
    timer.unref();
  };
  tick();
  return {
    stop() {
      running = false;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
    get running() {
      return running;
    },
  };
}
