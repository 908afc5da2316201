import { describe, it, expect, beforeEach } from 'vitest';
import { Venue, type PlaceRequest } from '../../sim-exchange/venue/venue.ts';
import { ManualClock } from '../../sim-exchange/clock.ts';
import { DEFAULT_INSTRUMENTS } from '../../sim-exchange/instruments.ts';
import { VenueError } from '../../sim-exchange/bybit-v5/errors.ts';
import type { AccountUpdate } from '../../sim-exchange/venue/venue.ts';

const BTC = 'BTCUSDT';
// BTCUSDT: tick 0.1 USDT, lot 0.001 BTC → 1 tick × 1 lot = 0.0001 USDT = 10,000 nano-USDT.
const limit = (side: 1 | -1, price: number, qty: number, extra: Partial<PlaceRequest> = {}): PlaceRequest => ({
  symbol: BTC, side, orderType: 'Limit', timeInForce: 'GTC', price, qty, signedAt: 0, ...extra,
});

function retCode(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof VenueError) return e.retCode;
    throw e;
  }
  return undefined;
}

describe('venue', () => {
  let clock: ManualClock;
  let v: Venue;
  let maker: number;
  let taker: number;
  beforeEach(() => {
    clock = new ManualClock(1_700_000_000_000);
    v = new Venue({ instruments: DEFAULT_INSTRUMENTS, clock, seed: 42 });
    maker = v.createAccount({ apiKey: 'maker-key', secret: 'secret1', balance: '100000', makerFeeRate: '-0.0001', takerFeeRate: '0.0006' }).uid;
    taker = v.createAccount({ apiKey: 'taker-key', secret: 'secret2', balance: '100000', makerFeeRate: '0.0002', takerFeeRate: '0.00055' }).uid;
  });

  it('refuses a wallet beyond 50M USDT (cash stays an exact integer of nano-USDT)', () => {
    expect(() => v.createAccount({ apiKey: 'too-rich-key', secret: 'too-rich-secret', balance: '50000000.00000001' })).toThrow(/at most 50000000 USDT/);
    const a = v.createAccount({ apiKey: 'rich-key', secret: 'rich-secret', balance: '50000000' });
    expect(Number.isSafeInteger(a.walletBalance())).toBe(true);
  });

  it('fills at the maker price, charges the taker fee and pays the maker rebate', () => {
    const bid = v.place(maker, limit(1, 600_000, 100)); // 0.1 BTC at 60000.0
    v.place(taker, limit(-1, 599_990, 40, { timeInForce: 'IOC' }));
    expect(bid.status).toBe('PartiallyFilled');
    expect(bid.filled).toBe(40);
    const [m, t] = v.ledger.entries();
    // notional 60000 × 0.04 = 2400 USDT = 2.4e11 nano
    expect(m).toMatchObject({ uid: maker, isMaker: true, price: 600_000, qty: 40, notional: 240_000_000_000, fee: -24_000_000 });
    expect(t).toMatchObject({ uid: taker, isMaker: false, price: 600_000, qty: 40, fee: 132_000_000 });
    expect(v.account(maker).walletBalance()).toBe(100_000 * 1e8 + 24_000_000);
    expect(v.account(taker).walletBalance()).toBe(100_000 * 1e8 - 132_000_000);
  });

  it('records the venue mid just before the order that caused the fill', () => {
    v.place(maker, limit(1, 600_000, 10));
    v.place(maker, limit(-1, 600_011, 10));
    v.place(taker, { symbol: BTC, side: -1, orderType: 'Market', timeInForce: 'IOC', qty: 10, signedAt: 123 });
    const fills = v.ledger.entries();
    expect(fills).toHaveLength(2);
    for (const f of fills) {
      expect(f.midBefore).toBe(600_005.5);
      expect(f.takerSignedAt).toBe(123);
    }
    expect(fills.find((f) => !f.isMaker)!.touchBefore).toBe(600_000);
    // After the fill the bid side is empty: no mid.
    expect(v.mid(BTC)).toBeNull();
  });

  it('realises PnL on reduction with an average-cost basis', () => {
    v.place(maker, limit(-1, 600_000, 100));
    v.place(taker, limit(1, 600_000, 100)); // taker long 0.1 @ 60000
    v.place(maker, limit(1, 610_000, 50));
    v.place(taker, limit(-1, 610_000, 50)); // taker sells 0.05 @ 61000: +50 USDT gross
    const p = v.account(taker).positions.get(BTC)!;
    expect(p.size).toBe(50);
    expect(p.realisedGross).toBe(50 * 1e8);
    expect(v.account(maker).positions.get(BTC)!.realisedGross).toBe(-50 * 1e8);
  });

  it('conserves cash and position across accounts (fees aside)', () => {
    v.place(maker, limit(-1, 600_000, 100));
    v.place(taker, limit(1, 600_000, 70));
    v.place(maker, limit(1, 599_000, 30));
    v.place(taker, limit(-1, 599_000, 100, { timeInForce: 'IOC' }));
    const accts = [...v.accounts.values()];
    const size = accts.reduce((s, a) => s + (a.positions.get(BTC)?.size ?? 0), 0);
    expect(size).toBe(0);
    const mark = 600_123;
    const equity = accts.reduce((s, a) => {
      const p = a.positions.get(BTC)!;
      return s + a.walletBalance() + p.fees + (p.size * mark * 10_000 - p.cost);
    }, 0);
    expect(equity).toBe(accts.reduce((s, a) => s + a.deposits, 0));
  });

  it('refuses an order the margin cannot carry with 110007 and changes nothing', () => {
    const before = v.book(BTC).size;
    // 10x leverage, 100000 USDT → at most ~1,000,000 USDT notional; 20 BTC at 60000 = 1.2M.
    expect(retCode(() => v.place(maker, limit(1, 600_000, 20_000)))).toBe(110007);
    expect(v.book(BTC).size).toBe(before);
    expect([...v.orders.openOf(maker)]).toHaveLength(0);
    expect(retCode(() => v.place(maker, limit(1, 600_000, 15_000)))).toBeUndefined();
  });

  it('lets reduce-only orders through without margin and caps them at the position', () => {
    expect(retCode(() => v.place(taker, limit(-1, 600_000, 10, { reduceOnly: true })))).toBe(110017);
    v.place(maker, limit(-1, 600_000, 10));
    v.place(taker, limit(1, 600_000, 10));
    const r = v.place(taker, limit(-1, 600_100, 50, { reduceOnly: true }));
    expect(r.qty).toBe(10);
  });

  it('enforces orderLinkId uniqueness per account, not across accounts', () => {
    v.place(maker, limit(1, 590_000, 10, { orderLinkId: 'q-1' }));
    expect(retCode(() => v.place(maker, limit(1, 590_000, 10, { orderLinkId: 'q-1' })))).toBe(110072);
    expect(retCode(() => v.place(taker, limit(1, 590_000, 10, { orderLinkId: 'q-1' })))).toBeUndefined();
  });

  it('hides other accounts orders: cancel by a foreign orderId is 110001', () => {
    const o = v.place(maker, limit(1, 590_000, 10));
    expect(retCode(() => v.cancel(taker, { symbol: BTC, orderId: o.orderId }))).toBe(110001);
    expect(v.cancel(maker, { symbol: BTC, orderId: o.orderId }).status).toBe('Cancelled');
    expect(retCode(() => v.cancel(maker, { symbol: BTC, orderId: o.orderId }))).toBe(110008);
  });

  it('rejects aggressive limits beyond the price band (110003) but not passive ones far away', () => {
    v.place(maker, limit(1, 600_000, 10));
    v.place(maker, limit(-1, 600_010, 10));
    expect(retCode(() => v.place(taker, limit(1, 700_000, 1)))).toBe(110003);
    expect(retCode(() => v.place(taker, limit(1, 300_000, 1)))).toBeUndefined();
  });

  it('refuses below min notional with 110094', () => {
    // 0.001 BTC at 1000 USDT = 1 USDT < 5
    expect(retCode(() => v.place(maker, limit(1, 10_000, 1)))).toBe(110094);
  });

  it('cancels a crossing PostOnly with EC_PostOnlyWillTakeLiquidity after accepting it', () => {
    v.place(maker, limit(-1, 600_010, 10));
    const updates: AccountUpdate[] = [];
    v.listen({ onAccountUpdate: (uid, u) => uid === taker && updates.push(u) });
    const o = v.place(taker, limit(1, 600_010, 10, { timeInForce: 'PostOnly' }));
    expect(o).toMatchObject({ status: 'Cancelled', rejectReason: 'EC_PostOnlyWillTakeLiquidity', filled: 0 });
    expect(v.ledger.size).toBe(0);
    expect(updates).toHaveLength(1);
  });

  it('cancel-all by DCP marks cancelType CancelByDCP and releases order margin', () => {
    v.place(maker, limit(1, 590_000, 10));
    v.place(maker, limit(-1, 610_000, 10));
    expect(v.marginOf(maker).orderIM).toBeGreaterThan(0);
    const done = v.cancelAll(maker, undefined, 'CancelByDCP');
    expect(done.map((o) => o.cancelType)).toEqual(['CancelByDCP', 'CancelByDCP']);
    expect(v.marginOf(maker).orderIM).toBe(0);
  });

  it('produces identical ids, fills and state from the same seed and inputs', () => {
    const run = () => {
      const c = new ManualClock(5);
      const x = new Venue({ instruments: DEFAULT_INSTRUMENTS, clock: c, seed: 9 });
      const a = x.createAccount({ apiKey: 'aaaaaa', secret: 'ssssss', balance: '1000000' }).uid;
      const b = x.createAccount({ apiKey: 'bbbbbb', secret: 'ssssss', balance: '1000000' }).uid;
      for (let i = 0; i < 50; i++) {
        c.advance(7);
        x.place(i % 2 ? a : b, limit(i % 3 ? 1 : -1, 600_000 + (i % 7) - 3, 5 + (i % 4)));
      }
      return JSON.stringify({ fills: x.ledger.entries(), orders: [...x.orders.openOf(a), ...x.orders.openOf(b)] });
    };
    expect(run()).toBe(run());
  });
});
