import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Venue } from '../../sim-exchange/venue/venue.ts';
import { ManualClock } from '../../sim-exchange/clock.ts';
import { DEFAULT_INSTRUMENTS } from '../../sim-exchange/instruments.ts';
import { VenueError } from '../../sim-exchange/bybit-v5/errors.ts';
import { isOpen } from '../../sim-exchange/venue/orders.ts';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
console.log('fast-check seed', seed);

const SYMBOL = 'BTCUSDT';
const MID = 600_000;
/** BTCUSDT: 1 tick (0.1) × 1 lot (0.001) = 1e-4 USDT = 10,000 nano-USDT. */
const CASH_PER_TICK_LOT = 10_000;

type Cmd =
  | { kind: 'place'; who: number; side: 1 | -1; type: 'Limit' | 'Market'; tif: 'GTC' | 'IOC' | 'FOK' | 'PostOnly'; off: number; qty: number; reduceOnly: boolean }
  | { kind: 'cancel'; who: number; pick: number }
  | { kind: 'amend'; who: number; pick: number; dPrice: number; qty: number }
  | { kind: 'cancelAll'; who: number };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 6, arbitrary: fc.record({
    kind: fc.constant('place' as const), who: fc.integer({ min: 0, max: 3 }), side: fc.constantFrom(1 as const, -1 as const),
    type: fc.constantFrom('Limit' as const, 'Limit' as const, 'Limit' as const, 'Market' as const),
    tif: fc.constantFrom('GTC' as const, 'IOC' as const, 'FOK' as const, 'PostOnly' as const),
    off: fc.integer({ min: -20, max: 20 }), qty: fc.integer({ min: 0, max: 3000 }), reduceOnly: fc.integer({ min: 0, max: 4 }).map((n) => n === 0) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), who: fc.integer({ min: 0, max: 3 }), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('amend' as const), who: fc.integer({ min: 0, max: 3 }), pick: fc.nat(), dPrice: fc.integer({ min: -10, max: 10 }), qty: fc.integer({ min: 0, max: 3000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancelAll' as const), who: fc.integer({ min: 0, max: 3 }) }) },
);

function setup() {
  const clock = new ManualClock(1_700_000_000_000);
  const v = new Venue({ instruments: DEFAULT_INSTRUMENTS, clock, seed: 3 });
  const uids = [0, 1, 2, 3].map((i) =>
    v.createAccount({ apiKey: `acct-${i}-key`, secret: 'secret', balance: i === 0 ? '20000' : '1000000', makerFeeRate: i % 2 ? '-0.0001' : '0.0002', takerFeeRate: '0.00055' }).uid,
  );
  return { v, clock, uids };
}

/** Everything a command may change, as one string: a refused command must leave it identical. */
function digest(v: Venue): string {
  const book = v.book(SYMBOL);
  return JSON.stringify({
    bids: book.depth(1, 1000), asks: book.depth(-1, 1000), seq: book.seq, fills: v.ledger.size,
    accounts: [...v.accounts.values()].map((a) => [a.walletBalance(), a.positions.get(SYMBOL)?.size ?? 0, a.orderIM(SYMBOL), [...v.orders.openOf(a.uid)].map((o) => [o.orderId, o.price, o.qty, o.filled])]),
  });
}

function run(v: Venue, clock: ManualClock, uids: number[], c: Cmd): void {
  clock.advance(3);
  const uid = uids[c.who]!;
  const open = [...v.orders.openOf(uid)];
  try {
    if (c.kind === 'place') {
      v.place(uid, { symbol: SYMBOL, side: c.side, orderType: c.type, timeInForce: c.tif, price: MID + c.off, qty: c.qty, reduceOnly: c.reduceOnly, signedAt: clock.now() });
    } else if (c.kind === 'cancel' && open.length > 0) {
      v.cancel(uid, { symbol: SYMBOL, orderId: open[c.pick % open.length]!.orderId });
    } else if (c.kind === 'amend' && open.length > 0) {
      const o = open[c.pick % open.length]!;
      v.amend(uid, { symbol: SYMBOL, orderId: o.orderId, price: o.price + c.dPrice, qty: c.qty > 2000 ? undefined : c.qty });
    } else if (c.kind === 'cancelAll') {
      v.cancelAll(uid, SYMBOL);
    }
  } catch (e) {
    if (!(e instanceof VenueError)) throw e;
  }
}

describe('venue properties', () => {
  it('conserves position and cash across accounts exactly (fees aside), whatever the commands', () => {
    fc.assert(
      fc.property(fc.array(cmd, { minLength: 1, maxLength: 120 }), fc.integer({ min: 500_000, max: 700_000 }), (cmds, mark) => {
        const { v, clock, uids } = setup();
        for (const c of cmds) run(v, clock, uids, c);
        const accts = [...v.accounts.values()];
        expect(accts.reduce((s, a) => s + (a.positions.get(SYMBOL)?.size ?? 0), 0)).toBe(0);
        const equityPlusFees = accts.reduce((s, a) => {
          const p = a.positions.get(SYMBOL);
          return s + a.walletBalance() + (p ? p.fees + p.size * mark * CASH_PER_TICK_LOT - p.cost : 0);
        }, 0);
        expect(equityPlusFees).toBe(accts.reduce((s, a) => s + a.deposits, 0));
      }),
      { seed, numRuns: 150 },
    );
  });

  it('keeps order records, ledger and engine in agreement', () => {
    fc.assert(
      fc.property(fc.array(cmd, { minLength: 1, maxLength: 120 }), (cmds) => {
        const { v, clock, uids } = setup();
        for (const c of cmds) run(v, clock, uids, c);
        const book = v.book(SYMBOL);
        const filledByOrder = new Map<string, number>();
        for (const e of v.ledger.entries()) filledByOrder.set(e.orderId, (filledByOrder.get(e.orderId) ?? 0) + e.qty);
        let live = 0;
        for (const uid of uids) {
          for (const o of v.orders.openOf(uid)) {
            live++;
            expect(isOpen(o)).toBe(true);
            const e = book.getOrder(o.engineId);
            expect(e).toBeDefined();
            expect([e!.price, e!.qty, e!.filled]).toEqual([o.price, o.qty, o.filled]);
            expect(o.filled).toBe(filledByOrder.get(o.orderId) ?? 0);
          }
          for (const o of v.orders.closedOf(uid)) {
            expect(o.filled).toBe(filledByOrder.get(o.orderId) ?? 0);
            expect(o.filled).toBeLessThanOrEqual(o.qty);
          }
        }
        expect(live).toBe(book.size);
        // Every fill has a counterparty fill with the same id, price and qty on the other side.
        const byExec = new Map<string, number>();
        for (const e of v.ledger.entries()) byExec.set(e.execId, (byExec.get(e.execId) ?? 0) + e.side * e.qty);
        for (const net of byExec.values()) expect(net).toBe(0);
      }),
      { seed, numRuns: 150 },
    );
  });

  it('keeps each account exposure equal to its resting orders', () => {
    fc.assert(
      fc.property(fc.array(cmd, { minLength: 1, maxLength: 120 }), (cmds) => {
        const { v, clock, uids } = setup();
        for (const c of cmds) run(v, clock, uids, c);
        for (const uid of uids) {
          const acct = v.account(uid);
          // Recompute the order IM from scratch in a fresh account with the same position and orders.
          const fresh = setup().v.account(uid);
          fresh.positions.set(SYMBOL, { ...acct.positions.get(SYMBOL)! });
          if (!acct.positions.get(SYMBOL)) fresh.positions.delete(SYMBOL);
          for (const o of v.orders.openOf(uid)) fresh.expose(SYMBOL, o.side, o.qty - o.filled, o.price * (o.qty - o.filled) * CASH_PER_TICK_LOT);
          expect(acct.orderIM(SYMBOL)).toBe(fresh.orderIM(SYMBOL));
        }
      }),
      { seed, numRuns: 100 },
    );
  });

  it('leaves state unchanged when it refuses a command', () => {
    fc.assert(
      fc.property(fc.array(cmd, { maxLength: 60 }), cmd, (prefix, last) => {
        const { v, clock, uids } = setup();
        for (const c of prefix) run(v, clock, uids, c);
        const before = digest(v);
        let refused = false;
        const uid = uids[last.who]!;
        try {
          if (last.kind === 'place') {
            v.place(uid, { symbol: SYMBOL, side: last.side, orderType: last.type, timeInForce: last.tif, price: MID + last.off, qty: last.qty, reduceOnly: last.reduceOnly, signedAt: 0 });
          } else if (last.kind === 'amend' || last.kind === 'cancel') {
            const open = [...v.orders.openOf(uid)];
            const o = open[last.pick % Math.max(1, open.length)];
            if (last.kind === 'cancel') v.cancel(uid, { symbol: SYMBOL, orderId: o?.orderId ?? 'missing' });
            else v.amend(uid, { symbol: SYMBOL, orderId: o?.orderId ?? 'missing', price: o ? o.price + last.dPrice : undefined, qty: last.qty });
          }
        } catch (e) {
          if (!(e instanceof VenueError)) throw e;
          refused = true;
        }
        if (refused) expect(digest(v)).toBe(before);
      }),
      { seed, numRuns: 200 },
    );
  });
});
