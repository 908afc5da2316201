/**
 * Price levels (FIFO queues as intrusive doubly linked lists of order slots), one side of the book (levels sorted by
 * price with the best level at the END of an array, plus a price index) and per-owner queues. The link operations
 * live in `OrderBook`, next to the order store they write. Nothing here validates anything.
 */
import type { Side } from './types.ts';
import { NIL } from './order-store.ts';

/**
 * One price on one side: a FIFO of order slots (head = first in time priority), linked through the store's
 * I_PREV/I_NEXT fields, and the sum of their leaves.
 */
export class PriceLevel {
  price = 0;
  /** side * price: levels are kept sorted by ascending key, so the best level has the largest key. */
  key = 0;
  /** Sum of leaves of the orders in the queue. */
  total = 0;
  count = 0;
  head = NIL;
  tail = NIL;
}

const LEVEL_POOL_MAX = 4096;
/** Keys covered by the direct-mapped window of a side (256 KB of pointers, allocated with the first level). */
const WINDOW = 1 << 15;
/** Room above the best key kept inside the window when it is re-centred. */
const HEADROOM = WINDOW >> 3;

/**
 * The resting orders of one side. `levels` is sorted by ascending `key = side * price`, so the best price (highest
 * bid, lowest ask) is always `levels[levels.length - 1]`: best-price lookup is O(1), and removing the best level
 * (the common case when liquidity is taken) is a pop(). Inserting or removing a level elsewhere is a binary search
 * plus a splice (a memmove of the levels behind it, which are few when activity is near the touch).
 *
 * Price -> level lookup: a direct-mapped window of WINDOW keys ending a little above the best key (an array index,
 * no hashing), plus a Map for levels outside it. When a new level appears outside the window near or above the best,
 * the window is re-centred on the best (O(WINDOW + levels), rare: it needs the touch to move WINDOW/2 ticks).
 */
export class BookSide {
  readonly side: Side;
  readonly levels: PriceLevel[] = [];
  private dense: (PriceLevel | undefined)[] | null = null;
  /** Key of dense[0]. */
  private baseKey = 0;
  private readonly sparse = new Map<number, PriceLevel>();
  private readonly pool: PriceLevel[] = [];

  constructor(side: Side) {
    this.side = side;
  }

  best(): PriceLevel | undefined {
    return this.levels[this.levels.length - 1];
  }

  /** The level at `price`, if any. */
  get(price: number): PriceLevel | undefined {
    const off = this.side * price - this.baseKey;
    const dense = this.dense;
    if (off >= 0 && off < WINDOW && dense !== null) return dense[off];
    return this.sparse.size === 0 ? undefined : this.sparse.get(price);
  }

  getOrCreate(price: number): PriceLevel {
    const found = this.get(price);
    if (found !== undefined) return found;
    const lvl = this.pool.pop() ?? new PriceLevel();
    lvl.price = price;
    const key = this.side * price;
    lvl.key = key;
    lvl.total = 0;
    lvl.count = 0;
    lvl.head = NIL;
    lvl.tail = NIL;
    const levels = this.levels;
    const n = levels.length;
    if (n === 0 || levels[n - 1]!.key < key) {
      levels.push(lvl);
    } else {
      // First index whose key is greater than `key` (keys are unique, and `key` is not present).
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (levels[mid]!.key < key) lo = mid + 1;
        else hi = mid;
      }
      levels.splice(lo, 0, lvl);
    }
    const off = key - this.baseKey;
    if (this.dense !== null && off >= 0 && off < WINDOW) {
      this.dense[off] = lvl;
    } else {
      const bestKey = levels[levels.length - 1]!.key;
      if (this.dense === null || key >= bestKey - WINDOW / 2) this.rebase(bestKey - WINDOW + HEADROOM);
      else this.sparse.set(price, lvl);
    }
    return lvl;
  }

  /** Removes an (empty) level from the side. */
  removeLevel(lvl: PriceLevel): void {
    const levels = this.levels;
    const n = levels.length;
    if (levels[n - 1] === lvl) {
      levels.pop();
    } else {
      const key = lvl.key;
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (levels[mid]!.key < key) lo = mid + 1;
        else hi = mid;
      }
      levels.splice(lo, 1);
    }
    const off = lvl.key - this.baseKey;
    if (this.dense !== null && off >= 0 && off < WINDOW) this.dense[off] = undefined;
    else this.sparse.delete(lvl.price);
    if (this.pool.length < LEVEL_POOL_MAX) this.pool.push(lvl);
  }

  /** Re-indexes every level with the window starting at `baseKey`. */
  private rebase(baseKey: number): void {
    if (this.dense === null) this.dense = new Array<PriceLevel | undefined>(WINDOW).fill(undefined);
    else this.dense.fill(undefined);
    this.sparse.clear();
    this.baseKey = baseKey;
    const dense = this.dense;
    for (const l of this.levels) {
      const off = l.key - baseKey;
      if (off >= 0 && off < WINDOW) dense[off] = l;
      else this.sparse.set(l.price, l);
    }
  }
}

/** The live orders of one owner in time-priority order (most recently (re)queued last), linked via I_OPREV/I_ONEXT. */
export class OwnerQueue {
  readonly index: number;
  head = NIL;
  tail = NIL;
  count = 0;
  /** Live buy orders / sell orders of this owner, for the FOK liquidity check's fast path. */
  buys = 0;
  sells = 0;

  constructor(index: number) {
    this.index = index;
  }
}
