import { describe, expect, it } from 'vitest';
import { OrderBook } from '../../sim-exchange/engine/index.ts';
import type {
  AmendCommand,
  BookSpec,
  EngineEvent,
  MatchingEngine,
  PlaceCommand,
  RejectReason,
} from '../../sim-exchange/engine/index.ts';
import { ReferenceBook } from '../property/reference-book.ts';

const SPEC: BookSpec = {
  minPriceTicks: 1,
  maxPriceTicks: 10_000,
  minQtyLots: 1,
  maxQtyLots: 1_000,
  maxMktQtyLots: 500,
  minNotional: 0,
};

const A = 1; // owners
const B = 2;
const C = 3;

/** A book plus helpers that fill in defaults and return the events of each command. */
class Harness {
  readonly book: OrderBook;
  private nextId = 1;
  constructor(spec: BookSpec = SPEC) {
    this.book = new OrderBook(spec);
  }

  place(p: Partial<PlaceCommand>): { ret: RejectReason | null; ev: EngineEvent[]; id: number } {
    const id = p.id ?? this.nextId;
    this.nextId = Math.max(this.nextId, id + 1);
    const cmd: PlaceCommand = { owner: A, side: 1, kind: 'Limit', tif: 'GTC', price: 100, qty: 10, smp: 'CancelTaker', ...p, id };
    const ev: EngineEvent[] = [];
    const ret = this.book.place(cmd, ev);
    return { ret, ev, id };
  }
  /** Places and asserts acceptance; returns the id. */
  rest(p: Partial<PlaceCommand>): number {
    const r = this.place(p);
    expect(r.ret).toBeNull();
    return r.id;
  }
  buy(owner: number, price: number, qty: number, extra: Partial<PlaceCommand> = {}): number {
    return this.rest({ owner, side: 1, price, qty, ...extra });
  }
  sell(owner: number, price: number, qty: number, extra: Partial<PlaceCommand> = {}): number {
    return this.rest({ owner, side: -1, price, qty, ...extra });
  }
  amend(cmd: AmendCommand): { ret: RejectReason | null; ev: EngineEvent[] } {
    const ev: EngineEvent[] = [];
    return { ret: this.book.amend(cmd, ev), ev };
  }
  cancel(id: number, reason?: Parameters<OrderBook['cancel']>[2]): { ret: RejectReason | null; ev: EngineEvent[] } {
    const ev: EngineEvent[] = [];
    return { ret: this.book.cancel(id, ev, reason), ev };
  }
  cancelAll(owner: number): { n: number; ev: EngineEvent[] } {
    const ev: EngineEvent[] = [];
    return { n: this.book.cancelAll(owner, ev), ev };
  }
  state(): unknown {
    const b = this.book;
    return { seq: b.seq, size: b.size, bids: b.depth(1, 100), asks: b.depth(-1, 100), a: b.ordersOf(A), b: b.ordersOf(B), c: b.ordersOf(C) };
  }
}

const fill = (takerId: number, takerOwner: number, makerId: number, makerOwner: number, takerSide: 1 | -1, price: number, qty: number, takerLeaves: number, makerLeaves: number): EngineEvent => ({
  type: 'fill',
  takerId,
  takerOwner,
  makerId,
  makerOwner,
  takerSide,
  price,
  qty,
  takerLeaves,
  makerLeaves,
});

// ---------------------------------------------------------------------------------------------------------------------

describe('validation', () => {
  it('rejects before any state change, pushing no events', () => {
    const h = new Harness();
    h.sell(B, 101, 5);
    const before = h.state();
    const bad: Array<[Partial<PlaceCommand>, RejectReason]> = [
      [{ qty: 0 }, 'qty_invalid'],
      [{ qty: -3 }, 'qty_invalid'],
      [{ qty: 1.5 }, 'qty_invalid'],
      [{ qty: Number.NaN }, 'qty_invalid'],
      [{ qty: Number.POSITIVE_INFINITY }, 'qty_invalid'],
      [{ qty: 2 ** 53 }, 'qty_invalid'],
      [{ qty: 1_001 }, 'qty_above_max'],
      [{ kind: 'Market', qty: 501 }, 'qty_above_max'],
      [{ price: 0 }, 'price_invalid'],
      [{ price: -5 }, 'price_invalid'],
      [{ price: 100.5 }, 'price_invalid'],
      [{ price: Number.NaN }, 'price_invalid'],
      [{ price: 10_001 }, 'price_out_of_range'],
      [{ kind: 'Market', price: 0 }, 'price_invalid'],
    ];
    for (const [p, reason] of bad) {
      const r = h.place(p);
      expect(r.ret, JSON.stringify(p)).toBe(reason);
      expect(r.ev).toEqual([]);
    }
    expect(h.state()).toEqual(before);
  });

  it('min qty, min price and min notional', () => {
    const h = new Harness({ ...SPEC, minQtyLots: 2, minPriceTicks: 50, minNotional: 1_000 });
    expect(h.place({ qty: 1 }).ret).toBe('qty_below_min');
    expect(h.place({ price: 49, qty: 30 }).ret).toBe('price_out_of_range');
    expect(h.place({ price: 100, qty: 9 }).ret).toBe('notional_below_min');
    expect(h.place({ price: 100, qty: 10 }).ret).toBeNull(); // exactly the minimum is fine
    // Market orders skip the notional check and the price range check (their price is only a bound).
    h.sell(B, 100, 20);
    expect(h.place({ kind: 'Market', side: 1, price: 20_000, qty: 2 }).ret).toBeNull();
    expect(h.place({ kind: 'Market', side: 1, price: 20_000, qty: 1 }).ret).toBe('qty_below_min');
  });

  it('checks in a fixed order: duplicate id, qty, price, notional', () => {
    const h = new Harness({ ...SPEC, minNotional: 1_000 });
    const id = h.rest({ price: 100, qty: 10 });
    expect(h.place({ id, qty: 0, price: 0 }).ret).toBe('duplicate_id');
    expect(h.place({ qty: 0, price: 0 }).ret).toBe('qty_invalid');
    expect(h.place({ qty: 5_000, price: 0 }).ret).toBe('qty_above_max');
    expect(h.place({ qty: 1, price: 0 }).ret).toBe('price_invalid');
    expect(h.place({ qty: 1, price: 20_000 }).ret).toBe('price_out_of_range');
    expect(h.place({ qty: 1, price: 100 }).ret).toBe('notional_below_min');
  });

  it('ids must be strictly increasing: live, gone and lower ids are duplicates; rejected ids are not consumed', () => {
    const h = new Harness();
    expect(h.place({ id: 10 }).ret).toBeNull();
    expect(h.place({ id: 10 }).ret).toBe('duplicate_id'); // live
    expect(h.cancel(10).ret).toBeNull();
    expect(h.place({ id: 10 }).ret).toBe('duplicate_id'); // gone, but seen
    expect(h.place({ id: 5 }).ret).toBe('duplicate_id'); // lower than one already accepted
    expect(h.place({ id: 20, qty: 0 }).ret).toBe('qty_invalid'); // rejected: does not advance
    expect(h.place({ id: 15 }).ret).toBeNull();
    expect(h.place({ id: 20 }).ret).toBeNull();
    expect(h.place({ id: Number.NaN }).ret).toBe('duplicate_id');
  });

  it('accepts unusual but increasing ids (negative, fractional, huge) and finds them again', () => {
    const h = new Harness();
    const ids = [-7, 0, 1.5, 3, 2 ** 40, 2 ** 52 + 1];
    for (const id of ids) expect(h.place({ id, price: 90 }).ret).toBeNull();
    for (const id of ids) expect(h.book.getOrder(id)?.id).toBe(id);
    expect(h.book.size).toBe(ids.length);
    expect(h.cancel(1.5).ret).toBeNull();
    expect(h.cancel(2 ** 40).ret).toBeNull();
    expect(h.book.getOrder(1.5)).toBeUndefined();
    expect(h.book.getOrder(2 ** 40)).toBeUndefined();
    expect(h.book.size).toBe(ids.length - 2);
  });
});

describe('matching', () => {
  it('price-time priority: best price first, then oldest first; trades at the maker price', () => {
    const h = new Harness();
    const s1 = h.sell(B, 102, 5);
    const s2 = h.sell(C, 101, 5);
    const s3 = h.sell(B, 101, 5);
    const r = h.place({ owner: A, side: 1, price: 105, qty: 12 });
    expect(r.ev).toEqual([
      { type: 'accepted', id: r.id, owner: A },
      fill(r.id, A, s2, C, 1, 101, 5, 7, 0),
      fill(r.id, A, s3, B, 1, 101, 5, 2, 0),
      fill(r.id, A, s1, B, 1, 102, 2, 0, 3),
    ]);
    expect(h.book.depth(-1, 10)).toEqual([[102, 3]]);
    expect(h.book.getOrder(s1)).toMatchObject({ filled: 2, status: 'PartiallyFilled' });
  });

  it('sell side mirrors buy side', () => {
    const h = new Harness();
    const b1 = h.buy(B, 99, 4);
    const b2 = h.buy(C, 100, 4);
    const r = h.place({ owner: A, side: -1, price: 95, qty: 6 });
    expect(r.ev).toEqual([
      { type: 'accepted', id: r.id, owner: A },
      fill(r.id, A, b2, C, -1, 100, 4, 2, 0),
      fill(r.id, A, b1, B, -1, 99, 2, 0, 2),
    ]);
  });

  it('a partially filled maker keeps its place at the head of the queue', () => {
    const h = new Harness();
    const first = h.sell(B, 100, 10);
    const second = h.sell(C, 100, 10);
    h.place({ owner: A, side: 1, price: 100, qty: 3, tif: 'IOC' });
    expect(h.book.queueAhead(first)).toBe(0);
    expect(h.book.queueAhead(second)).toBe(7);
    const r = h.place({ owner: A, side: 1, price: 100, qty: 8, tif: 'IOC' });
    expect(r.ev.filter((e) => e.type === 'fill')).toEqual([fill(r.id, A, first, B, 1, 100, 7, 1, 0), fill(r.id, A, second, C, 1, 100, 1, 0, 9)]);
  });

  it('GTC rests its remainder at its limit price', () => {
    const h = new Harness();
    h.sell(B, 100, 4);
    const r = h.place({ owner: A, side: 1, price: 101, qty: 10 });
    expect(r.ev.map((e) => e.type)).toEqual(['accepted', 'fill']);
    expect(h.book.getOrder(r.id)).toMatchObject({ price: 101, qty: 10, filled: 4, status: 'PartiallyFilled' });
    expect(h.book.bestBid()).toBe(101);
    expect(h.book.bestAsk()).toBeUndefined();
  });

  it('a non-crossing GTC rests with only an accepted event', () => {
    const h = new Harness();
    h.sell(B, 101, 4);
    const r = h.place({ owner: A, side: 1, price: 100, qty: 10 });
    expect(r.ev).toEqual([{ type: 'accepted', id: r.id, owner: A }]);
    expect(h.book.getOrder(r.id)?.status).toBe('New');
  });

  it('IOC cancels its remainder (ioc_remainder), with or without fills', () => {
    const h = new Harness();
    const m = h.sell(B, 100, 4);
    const r = h.place({ owner: A, side: 1, price: 100, qty: 10, tif: 'IOC' });
    expect(r.ev).toEqual([
      { type: 'accepted', id: r.id, owner: A },
      fill(r.id, A, m, B, 1, 100, 4, 6, 0),
      { type: 'cancelled', id: r.id, owner: A, leaves: 6, reason: 'ioc_remainder' },
    ]);
    const r2 = h.place({ owner: A, side: 1, price: 100, qty: 10, tif: 'IOC' });
    expect(r2.ev).toEqual([
      { type: 'accepted', id: r2.id, owner: A },
      { type: 'cancelled', id: r2.id, owner: A, leaves: 10, reason: 'ioc_remainder' },
    ]);
    expect(h.book.size).toBe(0);
  });

  it('Market is an IOC bounded by its price (worst acceptable), whatever its tif', () => {
    const h = new Harness();
    const a1 = h.sell(B, 100, 3);
    const a2 = h.sell(B, 101, 3);
    h.sell(B, 103, 3);
    const r = h.place({ owner: A, side: 1, kind: 'Market', tif: 'GTC', price: 102, qty: 10 });
    expect(r.ev).toEqual([
      { type: 'accepted', id: r.id, owner: A },
      fill(r.id, A, a1, B, 1, 100, 3, 7, 0),
      fill(r.id, A, a2, B, 1, 101, 3, 4, 0),
      { type: 'cancelled', id: r.id, owner: A, leaves: 4, reason: 'ioc_remainder' },
    ]);
    expect(h.book.getOrder(r.id)).toBeUndefined();
    expect(h.book.depth(-1, 5)).toEqual([[103, 3]]);
    // A sell market bounded above the best bid trades nothing.
    h.buy(C, 99, 5);
    const r2 = h.place({ owner: A, side: -1, kind: 'Market', price: 100, qty: 2 });
    expect(r2.ev.map((e) => e.type)).toEqual(['accepted', 'cancelled']);
    // Fully filled market: no cancel.
    const r3 = h.place({ owner: A, side: -1, kind: 'Market', price: 1, qty: 2 });
    expect(r3.ev.map((e) => e.type)).toEqual(['accepted', 'fill']);
    expect(h.book.levelQty(1, 99)).toBe(3);
  });
});

describe('FOK', () => {
  it('fills completely across levels when it can', () => {
    const h = new Harness();
    h.sell(B, 100, 3);
    h.sell(C, 101, 3);
    const r = h.place({ owner: A, side: 1, price: 101, qty: 6, tif: 'FOK' });
    expect(r.ev.map((e) => e.type)).toEqual(['accepted', 'fill', 'fill']);
    expect(h.book.size).toBe(0);
  });

  it('otherwise is accepted then cancelled fok_unfilled with no fills and no book change', () => {
    const h = new Harness();
    h.sell(B, 100, 3);
    h.sell(C, 101, 3);
    h.sell(C, 102, 10); // beyond the limit: does not count
    const before = h.state();
    const r = h.place({ owner: A, side: 1, price: 101, qty: 7, tif: 'FOK' });
    expect(r.ev).toEqual([
      { type: 'accepted', id: r.id, owner: A },
      { type: 'cancelled', id: r.id, owner: A, leaves: 7, reason: 'fok_unfilled' },
    ]);
    expect(h.state()).toEqual(before);
    // Nothing at an acceptable price at all.
    const r2 = h.place({ owner: A, side: -1, price: 100, qty: 1, tif: 'FOK' });
    expect(r2.ev[1]).toMatchObject({ type: 'cancelled', reason: 'fok_unfilled' });
  });

  it('with CancelTaker (and CancelBoth), liquidity behind the first own order does not count', () => {
    for (const smp of ['CancelTaker', 'CancelBoth'] as const) {
      const h = new Harness();
      h.sell(B, 100, 2);
      h.sell(A, 100, 5); // own order
      h.sell(B, 100, 10);
      const before = h.state();
      const r = h.place({ owner: A, side: 1, price: 100, qty: 3, tif: 'FOK', smp });
      expect(r.ev.map((e) => e.type)).toEqual(['accepted', 'cancelled']);
      expect(h.state()).toEqual(before);
      // Enough in front of the own order: fills without touching it.
      const r2 = h.place({ owner: A, side: 1, price: 100, qty: 2, tif: 'FOK', smp });
      expect(r2.ev.map((e) => e.type)).toEqual(['accepted', 'fill']);
      expect(h.book.levelQty(-1, 100)).toBe(15);
    }
  });

  it('with CancelMaker, own orders are skipped and do not count; when it fills they are cancelled on the way', () => {
    const h = new Harness();
    const own = h.sell(A, 100, 5);
    const other = h.sell(B, 101, 4);
    const before = h.state();
    const r = h.place({ owner: A, side: 1, price: 101, qty: 5, tif: 'FOK', smp: 'CancelMaker' });
    expect(r.ev.map((e) => e.type)).toEqual(['accepted', 'cancelled']);
    expect(h.state()).toEqual(before);
    const r2 = h.place({ owner: A, side: 1, price: 101, qty: 4, tif: 'FOK', smp: 'CancelMaker' });
    expect(r2.ev).toEqual([
      { type: 'accepted', id: r2.id, owner: A },
      { type: 'cancelled', id: own, owner: A, leaves: 5, reason: 'smp' },
      fill(r2.id, A, other, B, 1, 101, 4, 0, 0),
    ]);
    expect(h.book.size).toBe(0);
  });
});

describe('PostOnly', () => {
  it('is cancelled post_only when it would cross (touching the best counts), leaving the book unchanged', () => {
    const h = new Harness();
    h.sell(B, 101, 5);
    h.buy(B, 99, 5);
    const before = h.state();
    for (const [side, price] of [[1, 101], [1, 150], [-1, 99], [-1, 50]] as const) {
      const r = h.place({ owner: A, side, price, qty: 3, tif: 'PostOnly' });
      expect(r.ev).toEqual([
        { type: 'accepted', id: r.id, owner: A },
        { type: 'cancelled', id: r.id, owner: A, leaves: 3, reason: 'post_only' },
      ]);
    }
    expect(h.state()).toEqual(before);
  });

  it('rests when it does not cross, including against an own order (no STP involved)', () => {
    const h = new Harness();
    h.sell(A, 101, 5);
    const r = h.place({ owner: A, side: 1, price: 100, qty: 3, tif: 'PostOnly' });
    expect(r.ev).toEqual([{ type: 'accepted', id: r.id, owner: A }]);
    expect(h.book.getOrder(r.id)).toMatchObject({ tif: 'PostOnly', price: 100, qty: 3 });
    // Crossing an own order is still a post_only cancel, not an STP one.
    const r2 = h.place({ owner: A, side: 1, price: 101, qty: 3, tif: 'PostOnly', smp: 'CancelMaker' });
    expect(r2.ev[1]).toMatchObject({ type: 'cancelled', reason: 'post_only' });
    expect(h.book.levelQty(-1, 101)).toBe(5);
  });
});

describe('self-trade prevention', () => {
  it('CancelTaker: fills up to the own order, then the taker remainder is cancelled smp; the own maker stays', () => {
    const h = new Harness();
    const other = h.sell(B, 100, 2);
    const own = h.sell(A, 100, 5);
    h.sell(B, 100, 5);
    const r = h.place({ owner: A, side: 1, price: 100, qty: 6, smp: 'CancelTaker' });
    expect(r.ev).toEqual([
      { type: 'accepted', id: r.id, owner: A },
      fill(r.id, A, other, B, 1, 100, 2, 4, 0),
      { type: 'cancelled', id: r.id, owner: A, leaves: 4, reason: 'smp' },
    ]);
    expect(h.book.getOrder(own)).toMatchObject({ filled: 0 });
    expect(h.book.getOrder(r.id)).toBeUndefined(); // a GTC does not rest after an STP stop
    expect(h.book.levelQty(-1, 100)).toBe(10);
  });

  it('CancelMaker: each own maker is cancelled smp when reached and matching continues', () => {
    const h = new Harness();
    const own1 = h.sell(A, 100, 3);
    const other = h.sell(B, 100, 2);
    const own2 = h.sell(A, 101, 3);
    const other2 = h.sell(C, 101, 5);
    const r = h.place({ owner: A, side: 1, price: 101, qty: 4, smp: 'CancelMaker' });
    expect(r.ev).toEqual([
      { type: 'accepted', id: r.id, owner: A },
      { type: 'cancelled', id: own1, owner: A, leaves: 3, reason: 'smp' },
      fill(r.id, A, other, B, 1, 100, 2, 2, 0),
      { type: 'cancelled', id: own2, owner: A, leaves: 3, reason: 'smp' },
      fill(r.id, A, other2, C, 1, 101, 2, 0, 3),
    ]);
    expect(h.book.depth(-1, 5)).toEqual([[101, 3]]);
  });

  it('CancelBoth: the own maker and the taker remainder are both cancelled smp (maker first)', () => {
    const h = new Harness();
    const other = h.sell(B, 100, 2);
    const own = h.sell(A, 100, 5);
    h.sell(B, 100, 5);
    const r = h.place({ owner: A, side: 1, price: 100, qty: 6, smp: 'CancelBoth' });
    expect(r.ev).toEqual([
      { type: 'accepted', id: r.id, owner: A },
      fill(r.id, A, other, B, 1, 100, 2, 4, 0),
      { type: 'cancelled', id: own, owner: A, leaves: 5, reason: 'smp' },
      { type: 'cancelled', id: r.id, owner: A, leaves: 4, reason: 'smp' },
    ]);
    expect(h.book.levelQty(-1, 100)).toBe(5);
  });

  it("the taker's policy applies, not the maker's; different owners trade normally", () => {
    const h = new Harness();
    const own = h.sell(A, 100, 5, { smp: 'CancelTaker' });
    const r = h.place({ owner: A, side: 1, price: 100, qty: 2, smp: 'CancelMaker', tif: 'IOC' });
    expect(r.ev[1]).toEqual({ type: 'cancelled', id: own, owner: A, leaves: 5, reason: 'smp' });
    const m = h.sell(A, 100, 5, { smp: 'CancelBoth' });
    const r2 = h.place({ owner: B, side: 1, price: 100, qty: 2, smp: 'CancelTaker' });
    expect(r2.ev[1]).toEqual(fill(r2.id, B, m, A, 1, 100, 2, 0, 3));
  });

  it('STP on a market order', () => {
    const h = new Harness();
    const own = h.buy(A, 100, 5);
    const other = h.buy(B, 99, 5);
    const r = h.place({ owner: A, side: -1, kind: 'Market', price: 1, qty: 7, smp: 'CancelMaker' });
    expect(r.ev).toEqual([
      { type: 'accepted', id: r.id, owner: A },
      { type: 'cancelled', id: own, owner: A, leaves: 5, reason: 'smp' },
      fill(r.id, A, other, B, -1, 99, 5, 2, 0),
      { type: 'cancelled', id: r.id, owner: A, leaves: 2, reason: 'ioc_remainder' },
    ]);
  });
});

describe('amend', () => {
  it('unknown order', () => {
    const h = new Harness();
    expect(h.amend({ id: 42, qty: 5 })).toEqual({ ret: 'unknown_order', ev: [] });
  });

  it('a qty decrease at the same price keeps queue priority', () => {
    const h = new Harness();
    const first = h.sell(B, 100, 10);
    const second = h.sell(C, 100, 10);
    const seq = h.book.seq;
    const r = h.amend({ id: first, qty: 4 });
    expect(r).toEqual({ ret: null, ev: [{ type: 'amended', id: first, owner: B, price: 100, qty: 4, requeued: false }] });
    expect(h.book.seq).toBe(seq + 1);
    expect(h.book.queueAhead(second)).toBe(4);
    expect(h.book.levelQty(-1, 100)).toBe(14);
    const t = h.place({ owner: A, side: 1, price: 100, qty: 1 });
    expect(t.ev[1]).toMatchObject({ makerId: first });
  });

  it('a qty increase re-queues at the tail of the level', () => {
    const h = new Harness();
    const first = h.sell(B, 100, 10);
    const second = h.sell(C, 100, 10);
    const r = h.amend({ id: first, qty: 12 });
    expect(r.ev).toEqual([{ type: 'amended', id: first, owner: B, price: 100, qty: 12, requeued: true }]);
    expect(h.book.queueAhead(first)).toBe(10);
    expect(h.book.queueAhead(second)).toBe(0);
    expect(h.book.levelQty(-1, 100)).toBe(22);
  });

  it('a price change re-queues at the tail of the new level', () => {
    const h = new Harness();
    const x = h.sell(B, 101, 10);
    const y = h.sell(C, 102, 10);
    const r = h.amend({ id: x, price: 102 });
    expect(r.ev).toEqual([{ type: 'amended', id: x, owner: B, price: 102, qty: 10, requeued: true }]);
    expect(h.book.depth(-1, 5)).toEqual([[102, 20]]);
    expect(h.book.queueAhead(x)).toBe(10);
    expect(h.book.queueAhead(y)).toBe(0);
  });

  it('a crossing price change matches as a taker after the amended event; the remainder rests at the new price', () => {
    const h = new Harness();
    const bid = h.buy(B, 99, 3);
    const bid2 = h.buy(C, 98, 3);
    const ask = h.sell(A, 101, 10);
    const r = h.amend({ id: ask, price: 98 });
    expect(r.ev).toEqual([
      { type: 'amended', id: ask, owner: A, price: 98, qty: 10, requeued: true },
      fill(ask, A, bid, B, -1, 99, 3, 7, 0),
      fill(ask, A, bid2, C, -1, 98, 3, 4, 0),
    ]);
    expect(h.book.getOrder(ask)).toMatchObject({ price: 98, qty: 10, filled: 6, status: 'PartiallyFilled' });
    expect(h.book.bestAsk()).toBe(98);
    expect(h.book.bestBid()).toBeUndefined();
  });

  it('a crossing amend that fills completely removes the order', () => {
    const h = new Harness();
    h.buy(B, 99, 10);
    const ask = h.sell(A, 101, 4);
    const r = h.amend({ id: ask, price: 99 });
    expect(r.ev.map((e) => e.type)).toEqual(['amended', 'fill']);
    expect(h.book.getOrder(ask)).toBeUndefined();
    expect(h.book.levelQty(1, 99)).toBe(6);
  });

  it('a crossing amend is subject to the order own STP policy', () => {
    const h = new Harness();
    h.buy(A, 99, 10);
    const ask = h.sell(A, 101, 4, { smp: 'CancelTaker' });
    const r = h.amend({ id: ask, price: 99 });
    expect(r.ev).toEqual([
      { type: 'amended', id: ask, owner: A, price: 99, qty: 4, requeued: true },
      { type: 'cancelled', id: ask, owner: A, leaves: 4, reason: 'smp' },
    ]);
    expect(h.book.levelQty(1, 99)).toBe(10);
  });

  it('a PostOnly order amended to a crossing price is cancelled post_only, with no fills', () => {
    const h = new Harness();
    h.buy(B, 99, 10);
    const ask = h.sell(A, 101, 4, { tif: 'PostOnly' });
    const r = h.amend({ id: ask, price: 99, qty: 6 });
    expect(r.ev).toEqual([
      { type: 'amended', id: ask, owner: A, price: 99, qty: 6, requeued: true },
      { type: 'cancelled', id: ask, owner: A, leaves: 6, reason: 'post_only' },
    ]);
    expect(h.book.getOrder(ask)).toBeUndefined();
    expect(h.book.levelQty(1, 99)).toBe(10);
    // Non-crossing PostOnly amend is fine.
    const ask2 = h.sell(A, 101, 4, { tif: 'PostOnly' });
    expect(h.amend({ id: ask2, price: 100 }).ev.map((e) => e.type)).toEqual(['amended']);
  });

  it('qty is the new total: it must stay above the filled qty', () => {
    const h = new Harness();
    const ask = h.sell(B, 100, 10);
    h.place({ owner: A, side: 1, price: 100, qty: 4, tif: 'IOC' });
    expect(h.amend({ id: ask, qty: 4 }).ret).toBe('amend_qty_le_filled');
    expect(h.amend({ id: ask, qty: 3 }).ret).toBe('amend_qty_le_filled');
    const r = h.amend({ id: ask, qty: 5 });
    expect(r.ret).toBeNull();
    expect(h.book.getOrder(ask)).toMatchObject({ qty: 5, filled: 4 });
    expect(h.book.levelQty(-1, 100)).toBe(1);
  });

  it('no change, and validation of the new values (book unchanged on reject)', () => {
    const h = new Harness({ ...SPEC, minQtyLots: 2, minPriceTicks: 50, minNotional: 700 });
    const id = h.sell(B, 100, 10);
    const before = h.state();
    const cases: Array<[AmendCommand, RejectReason]> = [
      [{ id }, 'amend_no_change'],
      [{ id, price: 100, qty: 10 }, 'amend_no_change'],
      [{ id, qty: 0 }, 'qty_invalid'],
      [{ id, qty: 2.5 }, 'qty_invalid'],
      [{ id, qty: 1 }, 'qty_below_min'],
      [{ id, qty: 1_001 }, 'qty_above_max'],
      [{ id, price: 0 }, 'price_invalid'],
      [{ id, price: 99.5 }, 'price_invalid'],
      [{ id, price: 49 }, 'price_out_of_range'],
      [{ id, price: 10_001 }, 'price_out_of_range'],
      [{ id, qty: 4 }, 'notional_below_min'],
      [{ id, price: 60 }, 'notional_below_min'],
    ];
    for (const [cmd, reason] of cases) expect(h.amend(cmd), JSON.stringify(cmd)).toEqual({ ret: reason, ev: [] });
    expect(h.state()).toEqual(before);
  });

  it('moves the order to the end of its owner list when it is re-queued', () => {
    const h = new Harness();
    const x = h.buy(A, 90, 1);
    const y = h.buy(A, 91, 1);
    h.amend({ id: x, qty: 1 + 1 });
    expect(h.book.ordersOf(A).map((o) => o.id)).toEqual([y, x]);
    h.amend({ id: y, qty: 1 }); // unchanged -> rejected, no move
    h.amend({ id: x, qty: 1 }); // decrease: keeps its place
    expect(h.book.ordersOf(A).map((o) => o.id)).toEqual([y, x]);
  });
});

describe('cancel and cancelAll', () => {
  it('cancel emits cancelled with leaves; default reason user; explicit reason kept', () => {
    const h = new Harness();
    const x = h.sell(B, 100, 10);
    const y = h.sell(B, 101, 10);
    h.place({ owner: A, side: 1, price: 100, qty: 3, tif: 'IOC' });
    const seq = h.book.seq;
    expect(h.cancel(x)).toEqual({ ret: null, ev: [{ type: 'cancelled', id: x, owner: B, leaves: 7, reason: 'user' }] });
    expect(h.cancel(y, 'external').ev).toEqual([{ type: 'cancelled', id: y, owner: B, leaves: 10, reason: 'external' }]);
    expect(h.book.seq).toBe(seq + 2);
    expect(h.book.size).toBe(0);
    expect(h.book.bestAsk()).toBeUndefined();
  });

  it('unknown or no longer live order -> unknown_order, nothing happens', () => {
    const h = new Harness();
    const x = h.sell(B, 100, 2);
    h.place({ owner: A, side: 1, price: 100, qty: 2 });
    const before = h.state();
    expect(h.cancel(x)).toEqual({ ret: 'unknown_order', ev: [] });
    expect(h.cancel(999)).toEqual({ ret: 'unknown_order', ev: [] });
    expect(h.state()).toEqual(before);
  });

  it('cancelAll cancels the owner orders in time priority order and returns the count; one seq step', () => {
    const h = new Harness();
    const a1 = h.buy(A, 90, 1);
    h.buy(B, 90, 1);
    const a2 = h.sell(A, 110, 2);
    const a3 = h.buy(A, 95, 3);
    h.amend({ id: a1, qty: 5 }); // re-queued: now the most recent
    const seq = h.book.seq;
    const r = h.cancelAll(A);
    expect(r.n).toBe(3);
    expect(r.ev).toEqual([
      { type: 'cancelled', id: a2, owner: A, leaves: 2, reason: 'user' },
      { type: 'cancelled', id: a3, owner: A, leaves: 3, reason: 'user' },
      { type: 'cancelled', id: a1, owner: A, leaves: 5, reason: 'user' },
    ]);
    expect(h.book.seq).toBe(seq + 1);
    expect(h.book.ordersOf(A)).toEqual([]);
    expect(h.book.ordersOf(B).length).toBe(1);
    expect(h.cancelAll(A)).toEqual({ n: 0, ev: [] });
    expect(h.book.seq).toBe(seq + 1);
    const ev: EngineEvent[] = [];
    expect(h.book.cancelAll(B, ev, 'external')).toBe(1);
    expect(ev[0]).toMatchObject({ reason: 'external' });
  });
});

describe('queries', () => {
  it('getOrder returns live orders only, with status', () => {
    const h = new Harness();
    const x = h.sell(B, 100, 5, { smp: 'CancelBoth' });
    expect(h.book.getOrder(x)).toEqual({
      id: x,
      owner: B,
      side: -1,
      kind: 'Limit',
      tif: 'GTC',
      smp: 'CancelBoth',
      price: 100,
      qty: 5,
      filled: 0,
      status: 'New',
    });
    h.place({ owner: A, side: 1, price: 100, qty: 2, tif: 'IOC' });
    expect(h.book.getOrder(x)?.status).toBe('PartiallyFilled');
    h.place({ owner: A, side: 1, price: 100, qty: 3, tif: 'IOC' });
    expect(h.book.getOrder(x)).toBeUndefined();
    expect(h.book.queueAhead(x)).toBeUndefined();
  });

  it('depth is aggregated and best first; levelQty; best prices; size', () => {
    const h = new Harness();
    expect(h.book.bestBid()).toBeUndefined();
    expect(h.book.bestAsk()).toBeUndefined();
    expect(h.book.depth(1, 5)).toEqual([]);
    h.buy(A, 98, 1);
    h.buy(B, 99, 2);
    h.buy(C, 98, 3);
    h.buy(A, 97, 4);
    h.sell(B, 102, 5);
    h.sell(C, 101, 6);
    h.sell(B, 102, 7);
    expect(h.book.depth(1, 10)).toEqual([[99, 2], [98, 4], [97, 4]]);
    expect(h.book.depth(1, 2)).toEqual([[99, 2], [98, 4]]);
    expect(h.book.depth(-1, 10)).toEqual([[101, 6], [102, 12]]);
    expect(h.book.levelQty(1, 98)).toBe(4);
    expect(h.book.levelQty(-1, 98)).toBe(0);
    expect(h.book.levelQty(-1, 102)).toBe(12);
    expect(h.book.bestBid()).toBe(99);
    expect(h.book.bestAsk()).toBe(101);
    expect(h.book.size).toBe(7);
  });

  it('queueAhead is the qty in front of the order at its level', () => {
    const h = new Harness();
    const x = h.buy(A, 98, 1);
    const y = h.buy(B, 98, 2);
    const z = h.buy(C, 98, 3);
    expect([x, y, z].map((id) => h.book.queueAhead(id))).toEqual([0, 1, 3]);
    h.cancel(y);
    expect(h.book.queueAhead(z)).toBe(1);
  });

  it('ordersOf lists an owner live orders oldest first', () => {
    const h = new Harness();
    const a = h.buy(A, 98, 1);
    h.buy(B, 98, 1);
    const b = h.sell(A, 105, 1);
    const c = h.buy(A, 97, 1);
    expect(h.book.ordersOf(A).map((o) => o.id)).toEqual([a, b, c]);
    expect(h.book.ordersOf(77)).toEqual([]);
  });

  it('seq moves once per command that changed the book, never on rejects or no-op commands', () => {
    const h = new Harness();
    expect(h.book.seq).toBe(0);
    h.sell(B, 100, 1);
    h.sell(B, 101, 1);
    expect(h.book.seq).toBe(2);
    h.place({ owner: A, side: 1, price: 105, qty: 2, tif: 'IOC' }); // two fills, one command
    expect(h.book.seq).toBe(3);
    h.place({ qty: 0 }); // reject
    h.place({ owner: A, side: 1, price: 105, qty: 2, tif: 'IOC' }); // nothing to take
    h.place({ owner: A, side: 1, price: 105, qty: 2, tif: 'FOK' }); // unfilled
    h.cancel(12345);
    h.cancelAll(9);
    expect(h.book.seq).toBe(3);
    const x = h.sell(B, 100, 1);
    h.place({ owner: B, side: 1, price: 100, qty: 1, tif: 'PostOnly' }); // post_only cancel
    h.place({ owner: B, side: 1, price: 100, qty: 1, tif: 'IOC', smp: 'CancelTaker' }); // smp stop, no change
    expect(h.book.seq).toBe(4);
    h.place({ owner: B, side: 1, price: 100, qty: 1, tif: 'IOC', smp: 'CancelMaker' }); // maker cancelled: change
    expect(h.book.getOrder(x)).toBeUndefined();
    expect(h.book.seq).toBe(5);
  });
});

describe('scale and layout edge cases', () => {
  /** Runs a fixed command list through the engine and the reference book; they must agree on everything. */
  function differential(cmds: Array<(b: MatchingEngine, out: EngineEvent[]) => unknown>): void {
    const a = new OrderBook(SPEC_WIDE);
    const r = new ReferenceBook(SPEC_WIDE);
    for (const c of cmds) {
      const ea: EngineEvent[] = [];
      const er: EngineEvent[] = [];
      expect(c(a, ea)).toEqual(c(r, er));
      expect(ea).toEqual(er);
    }
    for (const side of [1, -1] as const) expect(a.depth(side, 1e6)).toEqual(r.depth(side, 1e6));
    expect(a.size).toBe(r.size);
    expect(a.seq).toBe(r.seq);
  }
  const SPEC_WIDE: BookSpec = { ...SPEC, maxPriceTicks: 10_000_000, maxQtyLots: 1e9, maxMktQtyLots: 1e9 };
  const place = (id: number, owner: number, side: 1 | -1, price: number, qty: number, tif: PlaceCommand['tif'] = 'GTC') =>
    (b: MatchingEngine, out: EngineEvent[]) => b.place({ id, owner, side, kind: 'Limit', tif, price, qty, smp: 'CancelMaker' }, out);

  it('levels far apart (outside the direct-mapped price window) and a touch that moves across it', () => {
    const cmds: Array<(b: MatchingEngine, out: EngineEvent[]) => unknown> = [];
    let id = 1;
    // Bids spread over a very wide range, asks far above; then the touch is walked down through everything.
    for (const p of [5_000_000, 4_990_000, 4_000_000, 1_000_000, 999_999, 50, 5_000_001, 4_999_999, 3_000_000, 100_000]) {
      cmds.push(place(id++, 1 + (id % 3), 1, p, 3));
    }
    for (const p of [9_000_000, 6_000_000, 5_000_002, 8_000_000]) cmds.push(place(id++, 2, -1, p, 2));
    cmds.push(place(id++, 9, -1, 4_000_000, 10, 'IOC'));
    cmds.push(place(id++, 9, -1, 1, 100, 'IOC'));
    for (const p of [70, 60, 30_000, 45_000, 2_000_000]) cmds.push(place(id++, 1, 1, p, 1));
    cmds.push((b, out) => b.amend({ id: 3, price: 4_000_001 }, out));
    cmds.push((b, out) => b.amend({ id: id - 1, price: 9_500_000 }, out));
    cmds.push(place(id++, 9, 1, 10_000_000, 50, 'IOC'));
    differential(cmds);
  });

  it('thousands of orders and levels: storage growth, id pages, level removal in the middle', () => {
    const cmds: Array<(b: MatchingEngine, out: EngineEvent[]) => unknown> = [];
    let x = 12345;
    const rnd = (n: number): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x % n;
    };
    let id = 1;
    const ids: number[] = [];
    for (let i = 0; i < 3_000; i++) {
      const r = rnd(10);
      if (r < 6) {
        const side = rnd(2) === 0 ? 1 : -1;
        const price = side === 1 ? 50_000 - 1 - rnd(300) : 50_000 + 1 + rnd(300);
        ids.push(id);
        // Sparse ids across pages.
        cmds.push(place(id, 1 + rnd(4), side, price, 1 + rnd(9)));
        id += 1 + rnd(1500);
      } else if (r < 9 && ids.length > 0) {
        const target = ids[rnd(ids.length)]!;
        cmds.push((b, out) => b.cancel(target, out));
      } else {
        cmds.push(place(id, 1 + rnd(4), rnd(2) === 0 ? 1 : -1, 50_000, 1 + rnd(40), 'IOC'));
        id += 1;
      }
    }
    differential(cmds);
  });
});

describe('determinism', () => {
  it('the same commands give the same events and state', () => {
    const script = (h: Harness): unknown[] => {
      const log: unknown[] = [];
      h.sell(B, 101, 5);
      h.sell(C, 101, 5);
      h.buy(A, 99, 5);
      log.push(h.place({ owner: A, side: 1, price: 101, qty: 7, smp: 'CancelMaker' }));
      log.push(h.amend({ id: 3, price: 102 }));
      log.push(h.cancelAll(C));
      log.push(h.state());
      return log;
    };
    expect(script(new Harness())).toEqual(script(new Harness()));
  });
});
