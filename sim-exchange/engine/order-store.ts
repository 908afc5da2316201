/**
 * Storage of live orders without one JS object per order: every order is a slot in one ArrayBuffer, 64 bytes (one
 * cache line) per slot, read through a Float64Array (numeric fields) and an Int32Array (flags and links) over the
 * same buffer. Links (level queue, owner queue, free list) are slot numbers, NIL = -1.
 *
 * Why: with ~1M resting orders, per-order objects and a Map<id, object> made the garbage collector the biggest cost
 * (old-to-new pointers on every insert, mark-compact over a million objects) and cost several cache misses per
 * lookup. Here the heap holds no per-order objects at all; an order's fields share one cache line; the id index is
 * a paged direct map (see `pages`), which for increasing ids is small and cache friendly.
 */
import type { OrderKind, Side, SmpPolicy, TimeInForce } from './types.ts';

export const NIL = -1;

/** Float64 field offsets within a slot (8 doubles per slot). */
export const F_ID = 0;
export const F_OWNER = 1;
export const F_PRICE = 2;
export const F_QTY = 3;
export const F_FILLED = 4;
/** Int32 field offsets within a slot (16 int32 per slot; 0..9 overlap the doubles above). */
export const I_FLAGS = 10;
export const I_PREV = 11;
export const I_NEXT = 12;
export const I_OPREV = 13;
export const I_ONEXT = 14;
/** Index of the owner's queue (OrderBook.ownerQueues). */
export const I_OWNERQ = 15;

/** Flags layout: bit 0 buy, bit 1 market, bits 2-3 time in force, bits 4-5 SMP policy. */
export const FLAG_BUY = 1;
export const FLAG_MARKET = 2;
export const TIF_CODES: readonly TimeInForce[] = ['GTC', 'IOC', 'FOK', 'PostOnly'];
export const SMP_CODES: readonly SmpPolicy[] = ['CancelTaker', 'CancelMaker', 'CancelBoth'];
export const TIF_POST_ONLY = 3;

export function tifCode(t: TimeInForce): number {
  return t === 'GTC' ? 0 : t === 'IOC' ? 1 : t === 'FOK' ? 2 : 3;
}
export function smpCode(p: SmpPolicy): number {
  return p === 'CancelTaker' ? 0 : p === 'CancelMaker' ? 1 : 2;
}
export function encodeFlags(side: Side, kind: OrderKind, tif: TimeInForce, smp: SmpPolicy): number {
  return (side === 1 ? FLAG_BUY : 0) | (kind === 'Market' ? FLAG_MARKET : 0) | (tifCode(tif) << 2) | (smpCode(smp) << 4);
}
export const flagSide = (f: number): Side => ((f & FLAG_BUY) !== 0 ? 1 : -1);
export const flagKind = (f: number): OrderKind => ((f & FLAG_MARKET) !== 0 ? 'Market' : 'Limit');
export const flagTif = (f: number): TimeInForce => TIF_CODES[(f >> 2) & 3]!;
export const flagSmp = (f: number): SmpPolicy => SMP_CODES[(f >> 4) & 3]!;

const SLOT_BYTES = 64;
const PAGE_SIZE = 1024;
const MIN_SLOTS = 1024;

export class OrderStore {
  /** Numeric fields, index slot * 8 + F_*. Replaced when the store grows: do not cache across alloc(). */
  F: Float64Array;
  /** Flags and links, index slot * 16 + I_*. Same buffer as F. */
  I: Int32Array;
  private cap: number;
  /** Slots below `highWater` have been used; freed ones are chained through I_NEXT from `freeHead`. */
  private highWater = 0;
  private freeHead = NIL;

  /**
   * Id index for non-negative safe-integer ids: pages of PAGE_SIZE entries (slot + 1, 0 = none; the live count at
   * index PAGE_SIZE) in a Map keyed by id / PAGE_SIZE. Increasing ids fill one page at a time, so inserts hit a hot
   * page and a million dense ids need ~4 MB; a page is released when its last order goes. Other ids (negative,
   * fractional, huge) go to `oddIds`.
   */
  private readonly pages = new Map<number, Int32Array>();
  private lastPageNo = -1;
  private lastPage: Int32Array | null = null;
  private readonly oddIds = new Map<number, number>();
  private count = 0;

  constructor(initialSlots = MIN_SLOTS) {
    let cap = MIN_SLOTS;
    while (cap < initialSlots) cap *= 2;
    this.cap = cap;
    const buf = new ArrayBuffer(cap * SLOT_BYTES);
    this.F = new Float64Array(buf);
    this.I = new Int32Array(buf);
  }

  /** Number of ids in the index (= live orders). */
  get size(): number {
    return this.count;
  }

  // --- slots

  alloc(): number {
    let s = this.freeHead;
    if (s !== NIL) {
      this.freeHead = this.I[(s << 4) + I_NEXT]!;
      return s;
    }
    if (this.highWater === this.cap) this.grow();
    s = this.highWater++;
    return s;
  }

  free(s: number): void {
    this.I[(s << 4) + I_NEXT] = this.freeHead;
    this.freeHead = s;
  }

  private grow(): void {
    const cap = this.cap * 2;
    const buf = new ArrayBuffer(cap * SLOT_BYTES);
    const F = new Float64Array(buf);
    F.set(this.F);
    this.F = F;
    this.I = new Int32Array(buf);
    this.cap = cap;
  }

  // --- id index

  private page(pageNo: number): Int32Array | undefined {
    if (pageNo === this.lastPageNo) return this.lastPage!;
    return this.pages.get(pageNo);
  }

  /** Slot of live order `id`, or NIL. */
  find(id: number): number {
    if (!(id >= 0 && id <= Number.MAX_SAFE_INTEGER && Math.floor(id) === id)) return this.oddIds.get(id) ?? NIL;
    const pageNo = Math.floor(id / PAGE_SIZE);
    const page = this.page(pageNo);
    if (page === undefined) return NIL;
    return page[id - pageNo * PAGE_SIZE]! - 1;
  }

  /** Adds id -> slot; `id` must not be present. */
  insert(id: number, slot: number): void {
    this.count++;
    if (!(id >= 0 && id <= Number.MAX_SAFE_INTEGER && Math.floor(id) === id)) {
      this.oddIds.set(id, slot);
      return;
    }
    const pageNo = Math.floor(id / PAGE_SIZE);
    let page = this.page(pageNo);
    if (page === undefined) {
      page = new Int32Array(PAGE_SIZE + 1);
      this.pages.set(pageNo, page);
    }
    this.lastPageNo = pageNo;
    this.lastPage = page;
    page[id - pageNo * PAGE_SIZE] = slot + 1;
    page[PAGE_SIZE]!++;
  }

  /** Removes `id` (must be present). */
  remove(id: number): void {
    this.count--;
    if (!(id >= 0 && id <= Number.MAX_SAFE_INTEGER && Math.floor(id) === id)) {
      this.oddIds.delete(id);
      return;
    }
    const pageNo = Math.floor(id / PAGE_SIZE);
    const page = this.page(pageNo)!;
    page[id - pageNo * PAGE_SIZE] = 0;
    if (--page[PAGE_SIZE]! === 0) {
      this.pages.delete(pageNo);
      if (pageNo === this.lastPageNo) {
        this.lastPageNo = -1;
        this.lastPage = null;
      }
    }
  }
}
