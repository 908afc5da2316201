/**
 * Runs callbacks after a delay, FIFO per key (a socket, a WebSocket connection, an account): a callback never runs
 * before one scheduled earlier on the same key, whatever their delays (due = max(now + delay, due of the previous)).
 * One timer per key with pending work. flush() runs everything pending at once, in order, and leaves no timer.
 */
import type { FaultTimers, TimerHandle } from './timers.ts';

interface Item {
  readonly due: number;
  readonly fn: () => void;
}

interface Queue {
  readonly items: Item[];
  head: number;
  timer: TimerHandle | undefined;
  firing: boolean;
}

export class FifoDelayer {
  private readonly queues = new Map<unknown, Queue>();

  constructor(
    private readonly timers: FaultTimers,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** Work still waiting (all keys). */
  get pending(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.items.length - q.head;
    return n;
  }

  schedule(key: unknown, delayMs: number, fn: () => void): void {
    let q = this.queues.get(key);
    if (q === undefined) this.queues.set(key, (q = { items: [], head: 0, timer: undefined, firing: false }));
    const last = q.items.length > q.head ? q.items[q.items.length - 1]!.due : -Infinity;
    const due = Math.max(this.timers.now() + Math.max(0, delayMs), last);
    q.items.push({ due, fn });
    if (q.timer === undefined && !q.firing) this.arm(key, q);
  }

  /** Runs everything pending now, key by key, each key in order; cancels the timers. */
  flush(): void {
    const queues = [...this.queues.values()];
    this.queues.clear();
    for (const q of queues) {
      if (q.timer !== undefined) this.timers.clearTimeout(q.timer);
      q.timer = undefined;
      for (let i = q.head; i < q.items.length; i++) this.call(q.items[i]!.fn);
    }
  }

  private arm(key: unknown, q: Queue): void {
    const wait = q.items[q.head]!.due - this.timers.now();
    q.timer = this.timers.setTimeout(() => this.fire(key, q), Math.max(0, wait));
  }

  private fire(key: unknown, q: Queue): void {
    q.timer = undefined;
    if (this.queues.get(key) !== q) return;
    const now = this.timers.now();
    q.firing = true;
    // +0.5: real timers may fire a fraction of a millisecond early on the monotonic clock.
    while (q.head < q.items.length && q.items[q.head]!.due <= now + 0.5) this.call(q.items[q.head++]!.fn);
    q.firing = false;
    if (this.queues.get(key) !== q) return; // flushed meanwhile
    if (q.head >= q.items.length) this.queues.delete(key);
    else this.arm(key, q);
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.onError(err);
    }
  }
}
