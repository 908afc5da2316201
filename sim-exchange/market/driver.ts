import type { Clock } from '../clock.ts';
import type { Market } from './market.ts';

/** Events run per timer turn at most, so the venue's sockets are served between bursts. */
const MAX_EVENTS_PER_TURN = 2000;
/** Longest sleep between turns, ms (a regime change from the control plane is picked up within this). */
const MAX_SLEEP_MS = 50;
/** If market time falls further behind than this (ms of market time), it is re-anchored instead of catching up. */
const MAX_LAG_MS = 2000;

/**
 * Runs a Market in real time at `speed` × the venue clock: market time = anchor + speed × (clock − clock anchor).
 * The venue keeps its own (1×) clock for timestamps; at speed k the market simply produces k× as many events and k×
 * the volatility per venue second. A setTimeout loop, unref'd so it never keeps the process alive. Pause/resume and
 * clock jumps (control-plane offset changes, a stalled process) re-anchor rather than replay the gap in a burst.
 */
export class RealtimeDriver {
  private timer: NodeJS.Timeout | undefined;
  private wall0 = 0;
  private market0 = 0;
  private running = false;
  /** Re-anchors so far (a sign the machine could not keep up with the speed). */
  rebases = 0;

  constructor(private readonly market: Market, private readonly clock: Clock, readonly speed = 1) {
    if (!(speed > 0)) throw new Error(`market speed must be > 0, got ${speed}`);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.anchor();
    this.turn();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  pause(): void {
    this.market.pause();
  }

  resume(): void {
    this.market.resume();
    this.anchor();
  }

  /** Market time (ms) the driver aims at now. */
  target(): number {
    return this.market0 + (this.clock.now() - this.wall0) * this.speed;
  }

  private anchor(): void {
    this.wall0 = this.clock.now();
    this.market0 = this.market.nowMs;
  }

  private turn(): void {
    this.timer = undefined;
    if (!this.running) return;
    let sleep = MAX_SLEEP_MS;
    if (!this.market.paused) {
      let target = this.target();
      const lag = target - this.market.nowMs;
      if (lag > MAX_LAG_MS * Math.max(1, this.speed) || lag < -MAX_LAG_MS) {
        this.rebases++;
        this.anchor();
        target = this.market.nowMs;
      }
      const ran = this.market.advanceTo(target, MAX_EVENTS_PER_TURN);
      const next = this.market.nextEventMs();
      if (ran >= MAX_EVENTS_PER_TURN) sleep = 0;
      else if (next !== undefined) sleep = Math.min(MAX_SLEEP_MS, Math.max(0, (next - target) / this.speed));
    }
    this.timer = setTimeout(() => this.turn(), sleep);
    this.timer.unref();
  }
}
