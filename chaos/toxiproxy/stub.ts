/**
 * The plumbing between toxics: an Inbox is the channel into a stage, a Stub is one running stage of one link
 * (Toxiproxy's ToxicStub). Go's toxics block on channel sends and select on an interrupt channel; here a stage is an
 * async function whose every wait (input, room downstream, timer) also wakes on interrupt, so an interrupt always
 * completes within a microtask and the stage can forward what it holds before it returns (no data loss on rewiring).
 *
 * Sends never block: a chunk is appended to the next inbox at once, and the sender then waits until that inbox is
 * below its capacity again. An inbox can therefore exceed its capacity by one chunk per producer, which keeps
 * interrupts trivially deadlock-free while still propagating backpressure all the way to the TCP reader.
 */
import type { Rng } from '../../sim-exchange/rng.ts';

export interface Chunk {
  data: Buffer;
  /** performance.now() (ms) when the proxy read the bytes; latency counts from here. */
  ts: number;
}

export const EOF: unique symbol = Symbol('eof');
export const INTR: unique symbol = Symbol('interrupt');
export const TIMEOUT: unique symbol = Symbol('timeout');

/** setTimeout fires after 1 ms for delays above 2^31-1 ms; longer sleeps are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class Inbox {
  private readonly items: Chunk[] = [];
  private head = 0;
  /** EOF is sticky: once queued behind the items, every later receive sees it (a closed Go channel). */
  eof = false;
  private readonly watchers = new Set<() => void>();

  constructor(readonly cap: number) {}

  get length(): number {
    return this.items.length - this.head;
  }
  full(): boolean {
    return this.length >= this.cap;
  }
  push(c: Chunk): void {
    if (this.eof) return; // writes after close are dropped, as on a closed pipe
    this.items.push(c);
    this.notify();
  }
  pushEof(): void {
    if (this.eof) return;
    this.eof = true;
    this.notify();
  }
  take(): Chunk | undefined {
    if (this.head >= this.items.length) return undefined;
    const c = this.items[this.head]!;
    this.items[this.head++] = undefined as unknown as Chunk;
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    this.notify();
    return c;
  }
  /** Moves everything (items, then EOF) into `to`, preserving order. */
  drainInto(to: Inbox): void {
    for (let c = this.take(); c; c = this.take()) to.push(c);
    if (this.eof) to.pushEof();
  }
  watch(fn: () => void): void {
    this.watchers.add(fn);
  }
  unwatch(fn: () => void): void {
    this.watchers.delete(fn);
  }
  private notify(): void {
    if (this.watchers.size === 0) return;
    for (const w of [...this.watchers]) w();
  }
}

/** What a toxic's pipe function gets: Go's ToxicStub plus the seeded random stream and the per-link state. */
export class Stub {
  output: Inbox;
  closed = false;
  /** Per-link state of stateful toxics (limit_data); survives restarts of this stub. */
  state: unknown = undefined;
  private interrupted = false;
  private killed = false;
  private wake: (() => void) | null = null;
  private running: Promise<void> | null = null;

  constructor(
    readonly input: Inbox,
    output: Inbox,
    readonly rng: Rng,
    readonly onError: (err: unknown) => void,
  ) {
    this.output = output;
  }

  /** Starts `pipe`; toxicity is drawn here, once per start, as Toxiproxy does (per connection and direction). */
  run(pipe: (s: Stub) => Promise<void>, toxicity: number): void {
    if (this.closed || this.killed) return;
    const active = this.rng.next() < toxicity;
    this.interrupted = false;
    this.running = (active ? pipe(this) : noopPipe(this)).catch((err: unknown) => {
      this.onError(err);
      this.close();
    });
  }

  /** Stops the running pipe (which forwards any data it holds) and waits for it; false if the stub is closed. */
  async interrupt(): Promise<boolean> {
    if (this.closed || this.killed) return false;
    this.interrupted = true;
    this.wake?.();
    await this.running;
    this.running = null;
    return !this.closed;
  }

  /** Link teardown: stop for good, cancel timers. */
  kill(): void {
    this.killed = true;
    this.interrupted = true;
    this.wake?.();
  }

  get isInterrupted(): boolean {
    return this.interrupted;
  }

  /** Next chunk, EOF (sticky, not consumed), INTR, or TIMEOUT when `timeoutMs` passes with no input. */
  recv(): Promise<Chunk | typeof EOF | typeof INTR>;
  recv(timeoutMs: number): Promise<Chunk | typeof EOF | typeof INTR | typeof TIMEOUT>;
  async recv(timeoutMs?: number): Promise<Chunk | typeof EOF | typeof INTR | typeof TIMEOUT> {
    const deadline = timeoutMs === undefined ? Infinity : performance.now() + timeoutMs;
    for (;;) {
      if (this.interrupted) return INTR;
      const c = this.input.take();
      if (c) return c;
      if (this.input.eof) return EOF;
      const left = deadline - performance.now();
      if (left <= 0) return TIMEOUT;
      await this.park(this.input, left === Infinity ? undefined : Math.min(left, MAX_TIMER_MS));
    }
  }

  /** Forwards `c`, then waits for room downstream; false if interrupted meanwhile (the chunk is delivered anyway). */
  async send(c: Chunk): Promise<boolean> {
    this.output.push(c);
    while (this.output.full() && !this.interrupted) await this.park(this.output);
    return !this.interrupted;
  }

  /** Forwards without waiting for room: used when an interrupted toxic flushes what it holds. */
  forward(c: Chunk): void {
    if (c.data.length > 0) this.output.push(c);
  }

  /**
   * Sleeps `ms` (at least: Node's timers may fire up to a millisecond early against performance.now(), so the wait
   * is re-armed until the deadline has really passed, as Go's time.Sleep guarantees); false if interrupted first.
   */
  async sleep(ms: number): Promise<boolean> {
    const end = performance.now() + ms;
    let left = ms;
    while (left > 0 && !this.interrupted) {
      await this.park(null, Math.min(Math.max(left, 1), MAX_TIMER_MS));
      left = end - performance.now();
    }
    return !this.interrupted;
  }

  /** Sleeps without honouring interrupts (reset_peer's wait in Toxiproxy is not interruptible); false if killed. */
  async sleepHard(ms: number): Promise<boolean> {
    const saved = this.interrupted;
    const end = performance.now() + ms;
    let left = ms;
    while (left > 0 && !this.killed) {
      const step = Math.min(Math.max(left, 1), MAX_TIMER_MS);
      await new Promise<void>((res) => {
        const t = setTimeout(done, step);
        function done(): void {
          clearTimeout(t);
          res();
        }
        this.wake = () => {
          if (this.killed) done();
        };
      });
      this.wake = null;
      left = end - performance.now();
    }
    this.interrupted = saved || this.interrupted;
    return !this.killed;
  }

  /** Waits until interrupted (a stalled toxic). */
  async hold(): Promise<void> {
    while (!this.interrupted) await this.park(null);
  }

  /** Closes this stage's output: everything after it sees EOF and the link's writer closes the socket. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.output.pushEof();
  }

  private park(inbox: Inbox | null, ms?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (inbox) inbox.unwatch(done);
        if (timer) clearTimeout(timer);
        if (this.wake === done) this.wake = null;
        resolve();
      };
      if (inbox) inbox.watch(done);
      if (ms !== undefined) timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}

/** Pass-through; also the hidden head of every chain and what a toxic becomes when its toxicity draw fails. */
export async function noopPipe(s: Stub): Promise<void> {
  for (;;) {
    const c = await s.recv();
    if (c === INTR) return;
    if (c === EOF) return s.close();
    if (!(await s.send(c))) return;
  }
}
