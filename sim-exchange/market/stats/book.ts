import type { BookEvent, Level } from '../events.ts';

/**
 * One side of an L2 book rebuilt from snapshot + delta events: price (ticks) → size (lots), plus the prices kept
 * sorted with the best price LAST, so the busy end of the book (the touch) is the cheap end of the array for
 * inserts and deletes. Bids are stored ascending, asks descending.
 */
export class BookSide {
  private readonly sizes = new Map<number, number>();
  /** Sorted so that the best price is at the end. */
  private readonly prices: number[] = [];

  /** `isBid`: true for bids (best = highest), false for asks (best = lowest). */
  constructor(private readonly isBid: boolean) {}

  get levels(): number {
    return this.prices.length;
  }

  clear(): void {
    this.sizes.clear();
    this.prices.length = 0;
  }

  /** Sets a level to an absolute size; 0 (or less) deletes it. */
  set(price: number, size: number): void {
    const had = this.sizes.has(price);
    if (size <= 0) {
      if (!had) return;
      this.sizes.delete(price);
      const i = this.indexOf(price);
      if (i < this.prices.length && this.prices[i] === price) this.prices.splice(i, 1);
      return;
    }
    this.sizes.set(price, size);
    if (had) return;
    const i = this.indexOf(price);
    if (i === this.prices.length) this.prices.push(price);
    else this.prices.splice(i, 0, price);
  }

  /** Best price, or null when the side is empty. */
  best(): number | null {
    const n = this.prices.length;
    return n === 0 ? null : (this.prices[n - 1] as number);
  }

  /** Size at the best price (0 when empty). */
  bestSize(): number {
    const p = this.best();
    return p === null ? 0 : (this.sizes.get(p) ?? 0);
  }

  /** Sum of the sizes of the best `n` levels (fewer when the side has fewer). */
  depth(n: number): number {
    let sum = 0;
    const end = this.prices.length;
    for (let i = end - 1; i >= 0 && i >= end - n; i--) sum += this.sizes.get(this.prices[i] as number) ?? 0;
    return sum;
  }

  /** Levels best first, as [price, size] (for tests and debugging). */
  top(n: number): Level[] {
    const out: Level[] = [];
    for (let i = this.prices.length - 1; i >= 0 && out.length < n; i--) {
      const p = this.prices[i] as number;
      out.push([p, this.sizes.get(p) ?? 0]);
    }
    return out;
  }

  /**
   * Where `price` is or would go in the array. The array is ascending for bids and descending for asks; compare in
   * "worse → better" order either way.
   */
  private indexOf(price: number): number {
    let lo = 0;
    let hi = this.prices.length;
    const bid = this.isBid;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const p = this.prices[mid] as number;
      const before = bid ? p < price : p > price;
      if (before) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** State of the top of the book at one instant. */
export type TopState =
  | { readonly kind: 'ok'; readonly bid: number; readonly ask: number }
  | { readonly kind: 'empty' }
  | { readonly kind: 'crossed'; readonly bid: number; readonly ask: number }
  | { readonly kind: 'locked'; readonly bid: number; readonly ask: number };

/** An L2 book for one symbol, maintained from the common event format (absolute sizes, snapshot replaces all). */
export class L2Book {
  readonly bids = new BookSide(true);
  readonly asks = new BookSide(false);
  snapshots = 0;
  deltas = 0;

  apply(ev: BookEvent): void {
    if (ev.snapshot) {
      this.bids.clear();
      this.asks.clear();
      this.snapshots++;
    } else {
      this.deltas++;
    }
    for (const [p, q] of ev.bids) this.bids.set(p, q);
    for (const [p, q] of ev.asks) this.asks.set(p, q);
  }

  /** Classifies the touch: a usable two-sided book, an empty side, a locked (bid = ask) or crossed (bid > ask) book. */
  top(): TopState {
    const bid = this.bids.best();
    const ask = this.asks.best();
    if (bid === null || ask === null) return { kind: 'empty' };
    if (bid > ask) return { kind: 'crossed', bid, ask };
    if (bid === ask) return { kind: 'locked', bid, ask };
    return { kind: 'ok', bid, ask };
  }
}
