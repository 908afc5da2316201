/**
 * The local order book: pure maintenance of one symbol's book from Bybit's orderbook.{depth} snapshot + delta stream.
 *
 * Integrity rules (../shared/reference/bybit-v5.md §6.3): after a snapshot, each delta's `u` must be the previous
 * `u` + 1 and `seq` must not go backwards. A broken rule, a `u=1` snapshot in the middle of the stream (the venue's
 * book service restarted) or a crossed book marks the book STALE: the caller resyncs (resubscribes for a fresh
 * snapshot) and the pipeline does not quote until that snapshot arrives. While stale, deltas are ignored — they
 * cannot be applied to a book we no longer trust.
 *
 * Prices are integer ticks and sizes integer lots (see instrument.ts).
 */
import type { Instrument } from './instrument.ts';

export interface BookMessage {
  readonly type: string;
  readonly data: {
    readonly b: readonly (readonly [string, string])[];
    readonly a: readonly (readonly [string, string])[];
    readonly u: number;
    readonly seq?: number;
  };
}

export type StaleReason = 'gap' | 'seq_regress' | 'resnapshot' | 'crossed' | 'bad_level' | 'delta_before_snapshot' | 'silent' | 'disconnected';

export type ApplyResult =
  | { readonly kind: 'applied' }
  | { readonly kind: 'ignored' }
  | { readonly kind: 'stale'; readonly reason: StaleReason; readonly detail: string };

export interface Level {
  /** Price in ticks. */
  readonly px: number;
  /** Size in lots. */
  readonly qty: number;
}

/** An immutable copy of the top of the book, the pipeline's market input. */
export interface BookView {
  /** Descending by price. */
  readonly bids: readonly Level[];
  /** Ascending by price. */
  readonly asks: readonly Level[];
  readonly u: number;
  readonly seq: number;
}

export class LocalBook {
  private readonly bids = new Map<number, number>();
  private readonly asks = new Map<number, number>();
  private u = 0;
  private seq = -1;
  private live = false;
  /** True until the snapshot that answers our own (re)subscribe arrives: that one may legitimately carry u=1. */
  private awaitingSnapshot = true;
  private staleReason: StaleReason | undefined;

  constructor(private readonly inst: Instrument) {}

  get isLive(): boolean {
    return this.live;
  }

  get stale(): StaleReason | undefined {
    return this.staleReason;
  }

  get updateId(): number {
    return this.u;
  }

  /** We are about to (re)subscribe: the next snapshot is expected, whatever its `u`. */
  expectSnapshot(): void {
    this.awaitingSnapshot = true;
  }

  /** Mark the book stale from outside (silent stream, disconnect). */
  markStale(reason: StaleReason): void {
    this.live = false;
    this.staleReason = reason;
  }

  apply(msg: BookMessage): ApplyResult {
    const d = msg.data;
    if (msg.type === 'snapshot') {
      const restarted = d.u === 1 && !this.awaitingSnapshot;
      const r = this.reset(d);
      if (r.kind === 'stale') return r;
      if (restarted) return this.fail('resnapshot', 'u=1 snapshot mid-stream: the venue book service restarted');
      return r;
    }
    if (msg.type !== 'delta') return { kind: 'ignored' };
    if (!this.live) {
      if (this.staleReason === undefined && this.u === 0) return this.fail('delta_before_snapshot', `delta u=${d.u} before any snapshot`);
      return { kind: 'ignored' };
    }
    if (d.u !== this.u + 1) return this.fail('gap', `expected u=${this.u + 1}, got u=${d.u}`);
    if (d.seq !== undefined && d.seq < this.seq) return this.fail('seq_regress', `seq ${d.seq} < previous ${this.seq}`);
    const bad = this.applyLevels(d.b, d.a);
    if (bad !== undefined) return this.fail('bad_level', bad);
    this.u = d.u;
    if (d.seq !== undefined) this.seq = d.seq;
    return this.checkCrossed();
  }

  /** Top `depth` levels per side (all when omitted). */
  view(depth = Number.MAX_SAFE_INTEGER): BookView {
    const bids = [...this.bids].sort((x, y) => y[0] - x[0]).slice(0, depth).map(([px, qty]) => ({ px, qty }));
    const asks = [...this.asks].sort((x, y) => x[0] - y[0]).slice(0, depth).map(([px, qty]) => ({ px, qty }));
    return { bids, asks, u: this.u, seq: this.seq };
  }

  private reset(d: BookMessage['data']): ApplyResult {
    this.bids.clear();
    this.asks.clear();
    this.awaitingSnapshot = false;
    const bad = this.applyLevels(d.b, d.a);
    if (bad !== undefined) return this.fail('bad_level', bad);
    this.u = d.u;
    this.seq = d.seq ?? -1;
    this.live = true;
    this.staleReason = undefined;
    return this.checkCrossed();
  }

  private applyLevels(b: BookMessage['data']['b'], a: BookMessage['data']['a']): string | undefined {
    for (const [side, levels] of [[this.bids, b], [this.asks, a]] as const) {
      for (const [p, q] of levels) {
        let px: number;
        let qty: number;
        try {
          px = this.inst.priceToTicks(p);
          qty = this.inst.qtyToLots(q);
        } catch (err) {
          return (err as Error).message;
        }
        if (qty === 0) side.delete(px);
        else side.set(px, qty);
      }
    }
    return undefined;
  }

  private checkCrossed(): ApplyResult {
    let bb = -Infinity;
    for (const p of this.bids.keys()) if (p > bb) bb = p;
    let ba = Infinity;
    for (const p of this.asks.keys()) if (p < ba) ba = p;
    if (bb >= ba) return this.fail('crossed', `best bid ${bb} >= best ask ${ba} (ticks)`);
    return { kind: 'applied' };
  }

  private fail(reason: StaleReason, detail: string): ApplyResult {
    this.markStale(reason);
    return { kind: 'stale', reason, detail };
  }
}

/**
 * Silent-stream rule: no book message for `silentMs` is a broken stream only while the connection is demonstrably
 * alive (a pong within the same period); without pongs it is a disconnect, which the WS client repairs itself.
 */
export function silence(now: number, lastBookAt: number, lastPongAt: number, silentMs: number): 'silent' | 'disconnected' | undefined {
  if (now - lastBookAt < silentMs) return undefined;
  return now - lastPongAt < silentMs ? 'silent' : 'disconnected';
}
