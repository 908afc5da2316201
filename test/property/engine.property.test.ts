/**
 * Property tests of the matching engine (fast-check). Random command sequences (place of every kind/TIF/SMP policy,
 * amend, cancel, cancelAll; several owners; valid and invalid inputs) are run through `OrderBook` and checked
 * against invariants and, differentially, against the simple `ReferenceBook`.
 *
 * Reproduce a failure with FC_SEED=<printed seed>.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { OrderBook } from '../../sim-exchange/engine/order-book.ts';
import type {
  AmendCommand,
  BookSpec,
  EngineEvent,
  Level,
  MatchingEngine,
  OrderKind,
  PlaceCommand,
  RejectReason,
  Side,
  SmpPolicy,
  TimeInForce,
} from '../../sim-exchange/engine/types.ts';
import { ReferenceBook } from './reference-book.ts';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
console.log('fast-check seed', seed);
const RUNS = Number(process.env.FC_RUNS ?? 300);
const params = { seed, numRuns: RUNS };

const SPEC: BookSpec = {
  minPriceTicks: 90,
  maxPriceTicks: 110,
  minQtyLots: 2,
  maxQtyLots: 40,
  maxMktQtyLots: 25,
  minNotional: 200,
};
const OWNERS = [1, 2, 3] as const;

// ------------------------------------------------------------------------------------------------------------------
// Command model: abstract commands, materialized into concrete ones step by step (see Materializer). In the
// differential tests the reference book drives the materialization and both books get the same concrete command.

type Cmd =
  | { t: 'place'; dup: boolean; owner: number; side: Side; kind: OrderKind; tif: TimeInForce; price: number; qty: number; smp: SmpPolicy }
  | { t: 'amend'; pick: number; unknown: boolean; price: number | undefined; qty: number | undefined }
  | { t: 'cancel'; pick: number; unknown: boolean }
  | { t: 'cancelAll'; owner: number };

type Concrete =
  | { t: 'place'; cmd: PlaceCommand }
  | { t: 'amend'; cmd: AmendCommand }
  | { t: 'cancel'; id: number }
  | { t: 'cancelAll'; owner: number };

const price = fc.oneof(
  { weight: 20, arbitrary: fc.integer({ min: 95, max: 105 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -3, 100.5, 85, 115, Number.NaN) },
);
const qty = fc.oneof(
  { weight: 20, arbitrary: fc.integer({ min: 1, max: 14 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -2, 2.5, 30, 41, Number.POSITIVE_INFINITY) },
);
const placeArb = fc.record({
  t: fc.constant('place' as const),
  dup: fc.constant(false), // set below: 1 in 30 places reuses the previous id
  owner: fc.constantFrom(...OWNERS),
  side: fc.constantFrom<Side>(1, -1),
  kind: fc.oneof({ weight: 6, arbitrary: fc.constant<OrderKind>('Limit') }, { weight: 1, arbitrary: fc.constant<OrderKind>('Market') }),
  tif: fc.constantFrom<TimeInForce>('GTC', 'GTC', 'GTC', 'GTC', 'GTC', 'PostOnly', 'PostOnly', 'IOC', 'IOC', 'FOK', 'FOK'),
  price,
  qty,
  smp: fc.constantFrom<SmpPolicy>('CancelTaker', 'CancelMaker', 'CancelBoth'),
});
/**
 * Prices of new orders lean to their own side of 100 (buys mostly below, sells mostly above, with an overlap where
 * they cross), so the book keeps both sides; Market bounds lean the other way (they are meant to trade).
 */
const placeCmd: fc.Arbitrary<Cmd> = fc
  .tuple(placeArb, fc.integer({ min: 0, max: 29 }), fc.integer({ min: -2, max: 5 }))
  .map(([p, r, rel]) => {
    const valid = p.price >= 95 && p.price <= 105 && Number.isInteger(p.price);
    const px = !valid ? p.price : p.kind === 'Market' ? 100 + p.side * Math.abs(rel) : 100 - p.side * rel;
    return { ...p, price: px, dup: r === 0 };
  });
const amendCmd: fc.Arbitrary<Cmd> = fc.record({
  t: fc.constant('amend' as const),
  pick: fc.nat(),
  unknown: fc.integer({ min: 0, max: 19 }).map((r) => r === 0),
  price: fc.option(price, { nil: undefined, freq: 3 }),
  qty: fc.option(qty, { nil: undefined }),
});
const cancelCmd: fc.Arbitrary<Cmd> = fc.record({
  t: fc.constant('cancel' as const),
  pick: fc.nat(),
  unknown: fc.integer({ min: 0, max: 9 }).map((r) => r === 0),
});
const cancelAllCmd: fc.Arbitrary<Cmd> = fc.record({ t: fc.constant('cancelAll' as const), owner: fc.constantFrom(...OWNERS, 9) });
const cmdArb = fc.oneof(
  { weight: 18, arbitrary: placeCmd },
  { weight: 6, arbitrary: amendCmd },
  { weight: 3, arbitrary: cancelCmd },
  { weight: 1, arbitrary: cancelAllCmd },
);
const cmds = fc.array(cmdArb, { minLength: 1, maxLength: 60, size: 'max' });

const ALL_OWNERS = [...OWNERS, 9];

/**
 * Turns abstract commands into concrete ones. Amend/cancel targets are picked among the orders live in `book` at
 * that moment (so most of them hit), sometimes among all ids ever used (often gone), sometimes unknown ids. Given
 * the same book behaviour the output is a pure function of the input list.
 */
class Materializer {
  private nextId = 1;
  private readonly used: number[] = [];

  next(c: Cmd, book: MatchingEngine): Concrete {
    switch (c.t) {
      case 'place': {
        const id = c.dup && this.nextId > 1 ? this.nextId - 1 : this.nextId++;
        this.used.push(id);
        return { t: 'place', cmd: { id, owner: c.owner, side: c.side, kind: c.kind, tif: c.tif, price: c.price, qty: c.qty, smp: c.smp } };
      }
      case 'amend':
        return { t: 'amend', cmd: { id: this.pick(c.pick, c.unknown, book), price: c.price, qty: c.qty } };
      case 'cancel':
        return { t: 'cancel', id: this.pick(c.pick, c.unknown, book) };
      case 'cancelAll':
        return { t: 'cancelAll', owner: c.owner };
    }
  }

  private pick(p: number, unknown: boolean, book: MatchingEngine): number {
    if (unknown) return 1_000_000 + p;
    const live = ALL_OWNERS.flatMap((o) => book.ordersOf(o).map((v) => v.id)).sort((x, y) => x - y);
    if (live.length > 0 && p % 8 !== 0) return live[p % live.length]!;
    return this.used.length > 0 ? this.used[p % this.used.length]! : 1_000_000 + p;
  }
}

// ------------------------------------------------------------------------------------------------------------------
// Running and observing

interface Snapshot {
  seq: number;
  size: number;
  bids: Level[];
  asks: Level[];
  bestBid: number | undefined;
  bestAsk: number | undefined;
  owners: unknown[];
}

function snapshot(book: MatchingEngine): Snapshot {
  return {
    seq: book.seq,
    size: book.size,
    bids: book.depth(1, 1000),
    asks: book.depth(-1, 1000),
    bestBid: book.bestBid(),
    bestAsk: book.bestAsk(),
    owners: ALL_OWNERS.map((o) => book.ordersOf(o)),
  };
}

interface Step {
  c: Concrete;
  ret: RejectReason | null | number;
  events: EngineEvent[];
  before: Snapshot;
  after: Snapshot;
}

function apply(book: MatchingEngine, c: Concrete, out: EngineEvent[]): RejectReason | null | number {
  switch (c.t) {
    case 'place':
      return book.place(c.cmd, out);
    case 'amend':
      return book.amend(c.cmd, out);
    case 'cancel':
      return book.cancel(c.id, out);
    case 'cancelAll':
      return book.cancelAll(c.owner, out);
  }
}

function run(book: MatchingEngine, list: readonly Cmd[], withSnapshots = true): Step[] {
  const steps: Step[] = [];
  const m = new Materializer();
  let before = snapshot(book);
  for (const abstract of list) {
    const c = m.next(abstract, book);
    const events: EngineEvent[] = [];
    const ret = apply(book, c, events);
    const after = withSnapshots ? snapshot(book) : before;
    steps.push({ c, ret, events, before, after });
    before = after;
  }
  return steps;
}

const newBook = (): OrderBook => new OrderBook(SPEC);

/** Order facts gathered from commands and events: total qty (after amends), limit price, tif. */
interface OrderFacts {
  qty: number;
  price: number;
  side: Side;
  tif: TimeInForce;
  kind: OrderKind;
  filled: number;
  cancelled: number;
}

function collectFacts(steps: readonly Step[]): Map<number, OrderFacts> {
  const facts = new Map<number, OrderFacts>();
  for (const s of steps) {
    if (s.c.t === 'place' && s.ret === null) {
      const c = s.c.cmd;
      facts.set(c.id, { qty: c.qty, price: c.price, side: c.side, tif: c.kind === 'Market' ? 'IOC' : c.tif, kind: c.kind, filled: 0, cancelled: 0 });
    }
    for (const e of s.events) {
      if (e.type === 'amended') {
        const f = facts.get(e.id)!;
        f.qty = e.qty;
        f.price = e.price;
      } else if (e.type === 'fill') {
        facts.get(e.takerId)!.filled += e.qty;
        facts.get(e.makerId)!.filled += e.qty;
      } else if (e.type === 'cancelled') {
        facts.get(e.id)!.cancelled += e.leaves;
      }
    }
  }
  return facts;
}

/** FC_STATS=1: print how often each scenario occurred in the differential property (to check the generators). */
const STATS = process.env.FC_STATS === '1';
const stats = new Map<string, number>();
function count(c: Concrete, ret: RejectReason | null | number, events: readonly EngineEvent[]): void {
  const bump = (k: string): void => void stats.set(k, (stats.get(k) ?? 0) + 1);
  bump(`${c.t}${c.t === 'place' ? `:${c.cmd.kind}:${c.cmd.tif}` : ''} -> ${typeof ret === 'number' ? (ret > 0 ? 'n>0' : '0') : (ret ?? 'ok')}`);
  for (const e of events) {
    if (e.type === 'cancelled') bump(`event cancelled:${e.reason}`);
    else if (e.type === 'amended') bump(`event amended:requeued=${e.requeued}`);
    else bump(`event ${e.type}`);
  }
  if (c.t === 'amend' && events.some((e) => e.type === 'fill')) bump('amend that trades');
  if (c.t === 'amend' && events.some((e) => e.type === 'cancelled')) bump('amend that cancels (post_only/smp)');
  if (c.t === 'place' && c.cmd.tif === 'FOK' && events.some((e) => e.type === 'fill')) bump(`FOK filled (${c.cmd.smp})`);
  if (events.some((e) => e.type === 'cancelled' && e.reason === 'smp') && events.some((e) => e.type === 'fill')) bump('smp + fills in one command');
}

// ------------------------------------------------------------------------------------------------------------------

describe('OrderBook properties', () => {
  if (STATS) {
    afterAll(() => {
      console.log([...stats.entries()].sort().map(([k, v]) => `${String(v).padStart(7)}  ${k}`).join('\n'));
    });
  }

  it('differential: same events, answers and state as the reference book', () => {
    fc.assert(
      fc.property(cmds, (list) => {
        const a = newBook();
        const b = new ReferenceBook(SPEC);
        const m = new Materializer();
        const concrete: Concrete[] = [];
        for (const abstract of list) {
          const c = m.next(abstract, b);
          concrete.push(c);
          const ea: EngineEvent[] = [];
          const eb: EngineEvent[] = [];
          const ra = apply(a, c, ea);
          expect(ra).toEqual(apply(b, c, eb));
          expect(ea).toEqual(eb);
          expect(snapshot(a)).toEqual(snapshot(b));
          if (STATS) count(c, ra, ea);
        }
        // Per-order queries at the end.
        for (const c of concrete) {
          const id = c.t === 'place' ? c.cmd.id : c.t === 'amend' ? c.cmd.id : c.t === 'cancel' ? c.id : -1;
          expect(a.getOrder(id)).toEqual(b.getOrder(id));
          expect(a.queueAhead(id)).toEqual(b.queueAhead(id));
        }
        for (const p of [90, 95, 98, 100, 102, 105, 110]) {
          expect(a.levelQty(1, p)).toBe(b.levelQty(1, p));
          expect(a.levelQty(-1, p)).toBe(b.levelQty(-1, p));
        }
      }),
      params,
    );
  });

  it('the book is never crossed after any command', () => {
    fc.assert(
      fc.property(cmds, (list) => {
        for (const s of run(newBook(), list)) {
          const { bestBid, bestAsk } = s.after;
          if (bestBid !== undefined && bestAsk !== undefined) expect(bestBid).toBeLessThan(bestAsk);
        }
      }),
      params,
    );
  });

  it('quantity is conserved per order and in total (qty after amends = filled + cancelled + resting)', () => {
    fc.assert(
      fc.property(cmds, (list) => {
        const book = newBook();
        const steps = run(book, list, false);
        const facts = collectFacts(steps);
        let placed = 0;
        let accounted = 0;
        for (const [id, f] of facts) {
          const live = book.getOrder(id);
          const resting = live ? live.qty - live.filled : 0;
          expect(f.filled + f.cancelled + resting).toBe(f.qty);
          if (live) {
            expect(live.filled).toBe(f.filled);
            expect(live.qty).toBe(f.qty);
          }
          placed += f.qty;
          accounted += f.filled + f.cancelled + resting;
        }
        expect(accounted).toBe(placed);
        // Total resting = sum of depth.
        const depthSum = [...book.depth(1, 1e9), ...book.depth(-1, 1e9)].reduce((x, l) => x + l[1], 0);
        const restingSum = [...facts.keys()].reduce((x, id) => {
          const o = book.getOrder(id);
          return x + (o ? o.qty - o.filled : 0);
        }, 0);
        expect(depthSum).toBe(restingSum);
      }),
      params,
    );
  });

  it('no fill exceeds what either order had left; leaves reported after each fill are exact', () => {
    fc.assert(
      fc.property(cmds, (list) => {
        const leaves = new Map<number, number>();
        for (const s of run(newBook(), list)) {
          if (s.c.t === 'place' && s.ret === null) leaves.set(s.c.cmd.id, s.c.cmd.qty);
          for (const e of s.events) {
            if (e.type === 'amended') {
              // New total qty; what is left = new qty - filled so far.
              const filledSoFar = (s.before.owners.flat() as { id: number; filled: number }[]).find((o) => o.id === e.id)!.filled;
              leaves.set(e.id, e.qty - filledSoFar);
            } else if (e.type === 'fill') {
              const tl = leaves.get(e.takerId)!;
              const ml = leaves.get(e.makerId)!;
              expect(e.qty).toBeGreaterThan(0);
              expect(e.qty).toBeLessThanOrEqual(tl);
              expect(e.qty).toBeLessThanOrEqual(ml);
              expect(e.takerLeaves).toBe(tl - e.qty);
              expect(e.makerLeaves).toBe(ml - e.qty);
              leaves.set(e.takerId, tl - e.qty);
              leaves.set(e.makerId, ml - e.qty);
            }
          }
        }
      }),
      params,
    );
  });

  it('trades happen at the maker price, never worse than the taker limit, and fills walk prices best first', () => {
    fc.assert(
      fc.property(cmds, (list) => {
        // Current limit price of every order, updated as commands and amend events happen.
        const limit = new Map<number, number>();
        for (const s of run(newBook(), list)) {
          if (s.c.t === 'place' && s.ret === null) limit.set(s.c.cmd.id, s.c.cmd.price);
          let last: number | undefined;
          for (const e of s.events) {
            if (e.type === 'amended') limit.set(e.id, e.price);
            if (e.type !== 'fill') continue;
            expect(e.price).toBe(limit.get(e.makerId));
            const takerLimit = limit.get(e.takerId)!;
            if (e.takerSide === 1) expect(e.price).toBeLessThanOrEqual(takerLimit);
            else expect(e.price).toBeGreaterThanOrEqual(takerLimit);
            // Price-time priority: within one command, prices never get better for the maker side being swept.
            if (last !== undefined) {
              if (e.takerSide === 1) expect(e.price).toBeGreaterThanOrEqual(last);
              else expect(e.price).toBeLessThanOrEqual(last);
            }
            last = e.price;
            // Before the fill, this maker was the best price on its side.
            const bestBefore = e.takerSide === 1 ? s.before.bestAsk : s.before.bestBid;
            if (bestBefore !== undefined) {
              if (e.takerSide === 1) expect(e.price).toBeGreaterThanOrEqual(bestBefore);
              else expect(e.price).toBeLessThanOrEqual(bestBefore);
            }
          }
        }
      }),
      params,
    );
  });

  it('positions and cash are conserved across owners', () => {
    fc.assert(
      fc.property(cmds, (list) => {
        const pos = new Map<number, number>();
        const cash = new Map<number, number>();
        const add = (m: Map<number, number>, k: number, v: number): void => void m.set(k, (m.get(k) ?? 0) + v);
        for (const s of run(newBook(), list, false)) {
          for (const e of s.events) {
            if (e.type !== 'fill') continue;
            expect(e.takerOwner).not.toBe(e.makerOwner); // STP is always on
            add(pos, e.takerOwner, e.takerSide * e.qty);
            add(pos, e.makerOwner, -e.takerSide * e.qty);
            add(cash, e.takerOwner, -e.takerSide * e.price * e.qty);
            add(cash, e.makerOwner, e.takerSide * e.price * e.qty);
          }
        }
        expect([...pos.values()].reduce((a, b) => a + b, 0)).toBe(0);
        expect([...cash.values()].reduce((a, b) => a + b, 0)).toBe(0);
      }),
      params,
    );
  });

  it('replaying the same commands into a fresh book gives identical events and state', () => {
    fc.assert(
      fc.property(cmds, (list) => {
        const a = run(newBook(), list);
        const b = run(newBook(), list);
        expect(b).toEqual(a);
        // And feeding the concrete commands of the first run straight into a third book.
        const book = newBook();
        const replay = a.map((s) => {
          const events: EngineEvent[] = [];
          return { ret: apply(book, s.c, events), events };
        });
        expect(replay).toEqual(a.map((s) => ({ ret: s.ret, events: s.events })));
        expect(snapshot(book)).toEqual(a[a.length - 1]!.after);
      }),
      params,
    );
  });

  it('rejected commands push no events and leave the state unchanged', () => {
    fc.assert(
      fc.property(cmds, (list) => {
        for (const s of run(newBook(), list)) {
          if (typeof s.ret === 'string') {
            expect(s.events).toEqual([]);
            expect(s.after).toEqual(s.before);
          }
          if (s.c.t === 'cancelAll' && s.ret === 0) expect(s.after).toEqual(s.before);
        }
      }),
      params,
    );
  });

  it('PostOnly orders never take liquidity (as a new order or after an amend)', () => {
    fc.assert(
      fc.property(cmds, (list) => {
        const steps = run(newBook(), list, false);
        const facts = collectFacts(steps);
        for (const s of steps) for (const e of s.events) if (e.type === 'fill') expect(facts.get(e.takerId)!.tif).not.toBe('PostOnly');
      }),
      params,
    );
  });

  it('FOK orders fill completely or not at all, and an unfilled FOK changes nothing', () => {
    fc.assert(
      fc.property(cmds, (list) => {
        for (const s of run(newBook(), list)) {
          if (s.c.t !== 'place' || s.ret !== null || s.c.cmd.tif !== 'FOK' || s.c.cmd.kind !== 'Limit') continue;
          const id = s.c.cmd.id;
          const filled = s.events.reduce((x, e) => x + (e.type === 'fill' && e.takerId === id ? e.qty : 0), 0);
          if (filled === 0) {
            expect(s.events).toEqual([
              { type: 'accepted', id, owner: s.c.cmd.owner },
              { type: 'cancelled', id, owner: s.c.cmd.owner, leaves: s.c.cmd.qty, reason: 'fok_unfilled' },
            ]);
            expect(s.after).toEqual(s.before);
          } else {
            expect(filled).toBe(s.c.cmd.qty);
            expect(s.events.some((e) => e.type === 'cancelled' && e.id === id)).toBe(false);
          }
        }
      }),
      params,
    );
  });

  it('seq is monotonic: +1 exactly for commands that changed the book, else unchanged', () => {
    fc.assert(
      fc.property(cmds, (list) => {
        for (const s of run(newBook(), list)) {
          const d = s.after.seq - s.before.seq;
          expect(d === 0 || d === 1).toBe(true);
          const { seq: _a, ...restBefore } = s.before;
          const { seq: _b, ...restAfter } = s.after;
          const changedState = JSON.stringify(restBefore) !== JSON.stringify(restAfter);
          const hasBookEvent = s.events.some((e) => e.type === 'fill' || e.type === 'amended');
          if (changedState || hasBookEvent) expect(d).toBe(1);
          if (d === 0) expect(changedState).toBe(false);
        }
      }),
      params,
    );
  });

  it('event stream shape: accepted first, then fills/STP maker cancels, then at most one terminal cancel', () => {
    fc.assert(
      fc.property(cmds, (list) => {
        for (const s of run(newBook(), list)) {
          if (s.c.t === 'place' && s.ret === null) {
            const { id, owner } = s.c.cmd;
            expect(s.events[0]).toEqual({ type: 'accepted', id, owner });
            const own = s.events.filter((e) => e.type === 'cancelled' && e.id === id);
            expect(own.length).toBeLessThanOrEqual(1);
            if (own.length === 1) expect(s.events[s.events.length - 1]).toBe(own[0]);
            for (const e of s.events.slice(1)) {
              if (e.type === 'fill') expect(e.takerId).toBe(id);
              else if (e.type === 'cancelled' && e.id !== id) expect(e.reason).toBe('smp');
              else expect(e.type).toBe('cancelled');
            }
          }
          if (s.c.t === 'amend' && s.ret === null) {
            expect(s.events[0]?.type).toBe('amended');
            expect(s.events.filter((e) => e.type === 'amended').length).toBe(1);
          }
          if (s.c.t === 'cancelAll') {
            expect(s.events.length).toBe(s.ret);
            const before = s.before.owners[ALL_OWNERS.indexOf(s.c.owner)] as { id: number }[];
            expect(s.events.map((e) => (e.type === 'cancelled' ? e.id : -1))).toEqual(before.map((o) => o.id));
            expect(s.after.owners[ALL_OWNERS.indexOf(s.c.owner)]).toEqual([]);
          }
        }
      }),
      params,
    );
  });

  it('queries agree with each other: depth = sum of live orders, levelQty, queueAhead, size', () => {
    fc.assert(
      fc.property(cmds, (list) => {
        const book = newBook();
        const m = new Materializer();
        for (const abstract of list) {
          apply(book, m.next(abstract, book), []);
          const live = ALL_OWNERS.flatMap((o) => book.ordersOf(o));
          expect(live.length).toBe(book.size);
          for (const side of [1, -1] as const) {
            const agg = new Map<number, number>();
            for (const o of live) if (o.side === side) agg.set(o.price, (agg.get(o.price) ?? 0) + o.qty - o.filled);
            const d = book.depth(side, 1000);
            expect(new Map(d)).toEqual(agg);
            for (const [p, q] of d) {
              expect(q).toBeGreaterThan(0);
              expect(book.levelQty(side, p)).toBe(q);
            }
            // Sorted best first.
            for (let i = 1; i < d.length; i++) expect(side * (d[i - 1]![0] - d[i]![0])).toBeGreaterThan(0);
            expect(d[0]?.[0]).toBe(side === 1 ? book.bestBid() : book.bestAsk());
          }
          for (const o of live) {
            expect(book.getOrder(o.id)).toEqual(o);
            const ahead = book.queueAhead(o.id)!;
            expect(ahead).toBeGreaterThanOrEqual(0);
            expect(ahead + o.qty - o.filled).toBeLessThanOrEqual(book.levelQty(o.side, o.price));
          }
        }
      }),
      params,
    );
  });

  it('differential on a large random book (long sequences, two owners, dense prices)', () => {
    const longCmds = fc.array(cmdArb, { minLength: 100, maxLength: 300, size: 'max' });
    fc.assert(
      fc.property(longCmds, (list) => {
        const a = newBook();
        const b = new ReferenceBook(SPEC);
        const m = new Materializer();
        for (const abstract of list) {
          const c = m.next(abstract, b);
          const ea: EngineEvent[] = [];
          const eb: EngineEvent[] = [];
          expect(apply(a, c, ea)).toEqual(apply(b, c, eb));
          expect(ea).toEqual(eb);
        }
        expect(snapshot(a)).toEqual(snapshot(b));
      }),
      { seed, numRuns: Math.max(10, Math.round(RUNS / 5)) },
    );
  });
});
