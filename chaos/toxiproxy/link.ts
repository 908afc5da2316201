/**
 * One direction of one proxied connection (Toxiproxy's ToxicLink): socket reader → [hidden noop] → toxic stages in
 * chain order → socket writer. Adding, updating and removing toxics rewires the live chain: the affected stage (and
 * for add/remove the one before it) is interrupted, flushes what it holds, and is restarted on its new output, so no
 * byte is lost or reordered. Rewiring operations on a link are serialised.
 */
import type { Socket } from 'node:net';
import type { Rng } from '../../sim-exchange/rng.ts';
import { Inbox, Stub, noopPipe } from './stub.ts';
import type { ToxicSpec } from './toxics/index.ts';

export type Direction = 'upstream' | 'downstream';

/** A toxic as configured on a proxy (shared by all links of its direction). */
export interface ToxicWrapper {
  name: string;
  type: string;
  /** As sent by the client (`UPSTREAM` stays `UPSTREAM`). */
  stream: string;
  direction: Direction;
  toxicity: number;
  attributes: Record<string, number>;
  spec: ToxicSpec;
}

/** Toxiproxy reads with io.Copy's 32 KiB buffer; larger Node reads are cut to that so slicer/bandwidth see the same. */
const MAX_CHUNK = 32 * 1024;
/** Chunks the reader may queue at the head of the chain before it pauses the socket (TCP backpressure). */
const HEAD_BUFFER = 8;

interface Entry {
  stub: Stub;
  toxic: ToxicWrapper | null; // null = the hidden head noop
}

export interface LinkHooks {
  rng: Rng;
  /** Close with RST (SO_LINGER=0) rather than FIN. */
  readonly rst: () => boolean;
  onError(err: unknown): void;
  /** Called once when the writer has closed the destination. */
  onEnd(link: Link): void;
}

export class Link {
  private readonly entries: Entry[] = [];
  private readonly out = new Inbox(1);
  private ops: Promise<void> = Promise.resolve();
  private pumping = false;
  private ended = false;
  private dead = false;
  /** Bytes read from the source / written to the destination (for /metrics). */
  received = 0;
  sent = 0;

  constructor(
    readonly direction: Direction,
    chain: readonly ToxicWrapper[],
    private readonly source: Socket,
    private readonly dest: Socket,
    private readonly hooks: LinkHooks,
  ) {
    const specs: (ToxicWrapper | null)[] = [null, ...chain];
    let input = new Inbox(HEAD_BUFFER);
    for (let i = 0; i < specs.length; i++) {
      const next = specs[i + 1];
      const output = next ? new Inbox(next.spec.bufferSize) : this.out;
      const stub = new Stub(input, output, hooks.rng, hooks.onError);
      const toxic = specs[i]!;
      if (toxic?.spec.newState) stub.state = toxic.spec.newState();
      this.entries.push({ stub, toxic });
      input = output;
    }
  }

  start(): void {
    const head = this.entries[0]!.stub.input;
    const resume = (): void => {
      if (!head.full()) {
        head.unwatch(resume);
        if (!this.source.destroyed) this.source.resume();
      }
    };
    this.source.on('data', (buf: Buffer) => {
      const ts = performance.now();
      this.received += buf.length;
      if (buf.length <= MAX_CHUNK) head.push({ data: buf, ts });
      else for (let i = 0; i < buf.length; i += MAX_CHUNK) head.push({ data: buf.subarray(i, i + MAX_CHUNK), ts });
      if (head.full()) {
        this.source.pause();
        head.watch(resume);
      }
    });
    const eof = (): void => head.pushEof();
    this.source.on('end', eof);
    this.source.on('close', eof);
    for (const e of this.entries) e.stub.run(this.pipeOf(e.toxic), e.toxic ? e.toxic.toxicity : 1);
    this.out.watch(this.pump);
    this.dest.on('drain', this.pump);
    this.pump();
    this.source.resume(); // accepted/dialled paused so no byte arrives before the chain exists
  }

  /** Appends a toxic at the end of the chain. */
  addToxic(w: ToxicWrapper): Promise<void> {
    return this.enqueue(async () => {
      if (this.entries.some((e) => e.toxic === w)) return; // the link was created after the toxic
      const last = this.entries[this.entries.length - 1]!;
      const input = new Inbox(w.spec.bufferSize);
      const stub = new Stub(input, last.stub.output, this.hooks.rng, this.hooks.onError);
      if (w.spec.newState) stub.state = w.spec.newState();
      const entry = { stub, toxic: w };
      if (await last.stub.interrupt()) {
        last.stub.output = input;
        this.entries.push(entry);
        stub.run(this.pipeOf(w), w.toxicity);
        last.stub.run(this.pipeOf(last.toxic), last.toxic ? last.toxic.toxicity : 1);
      } else {
        // The chain already closed: the new stage stays idle, as in Toxiproxy.
        this.entries.push(entry);
      }
    });
  }

  /** Restarts a toxic's stage with its new attributes (toxicity is drawn again). */
  updateToxic(w: ToxicWrapper): Promise<void> {
    return this.enqueue(async () => {
      const e = this.entries.find((x) => x.toxic === w);
      if (e && (await e.stub.interrupt())) e.stub.run(this.pipeOf(w), w.toxicity);
    });
  }

  /** Splices a toxic out; data held by it or queued in front of it is passed on in order. */
  removeToxic(w: ToxicWrapper): Promise<void> {
    return this.enqueue(async () => {
      const i = this.entries.findIndex((x) => x.toxic === w);
      if (i < 1) return;
      const cur = this.entries[i]!;
      const prev = this.entries[i - 1]!;
      const curOk = await cur.stub.interrupt();
      if (curOk && w.spec.closesOnRemove) {
        // timeout's Cleanup: removing it closes the link.
        cur.stub.close();
        this.entries.splice(i, 1);
        return;
      }
      const prevOk = await prev.stub.interrupt();
      cur.stub.input.drainInto(cur.stub.output);
      prev.stub.output = cur.stub.output;
      this.entries.splice(i, 1);
      if (prevOk) prev.stub.run(this.pipeOf(prev.toxic), prev.toxic ? prev.toxic.toxicity : 1);
    });
  }

  get isKilled(): boolean {
    return this.dead;
  }

  /** Stops every stage and its timers (the connection is gone). */
  kill(): void {
    this.dead = true;
    for (const e of this.entries) e.stub.kill();
    this.out.unwatch(this.pump);
  }

  private pipeOf(t: ToxicWrapper | null): (s: Stub) => Promise<void> {
    if (!t) return noopPipe;
    const attrs = t.attributes;
    const spec = t.spec;
    return (s) => spec.pipe(s, attrs);
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const run = async (): Promise<void> => {
      if (!this.dead) await fn();
    };
    this.ops = this.ops.then(run, run);
    return this.ops.catch((err: unknown) => this.hooks.onError(err));
  }

  /** Writes queued chunks while the socket accepts them; closes the destination once EOF comes out of the chain. */
  private readonly pump = (): void => {
    if (this.pumping || this.ended) return;
    this.pumping = true;
    try {
      for (;;) {
        if (!this.dest.destroyed && this.dest.writableNeedDrain) return;
        const c = this.out.take();
        if (!c) {
          if (this.out.eof) this.end();
          return;
        }
        if (c.data.length > 0 && !this.dest.destroyed && this.dest.writable) {
          this.dest.write(c.data);
          this.sent += c.data.length;
        }
      }
    } finally {
      this.pumping = false;
    }
  };

  /** Full close of the destination (no half-close, as in Toxiproxy): FIN after the flush, or RST when lingering 0. */
  private end(): void {
    this.ended = true;
    this.out.unwatch(this.pump);
    const d = this.dest;
    if (!d.destroyed) {
      if (this.hooks.rst()) d.resetAndDestroy();
      else {
        d.end(() => d.destroy());
        // A peer that never reads would keep 'finish' from firing; Go's Close() does not wait for it either.
        setTimeout(() => d.destroy(), 5000).unref();
      }
    }
    this.hooks.onEnd(this);
  }
}
