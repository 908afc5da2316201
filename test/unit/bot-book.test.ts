/** The bot's local order book: snapshot + delta maintenance and the integrity rules that make it stale. */
import { describe, expect, it } from 'vitest';
import { LocalBook, silence, type BookMessage } from '../../bot/marketdata/book.ts';
import { Instrument } from '../../bot/marketdata/instrument.ts';

const inst = new Instrument({ symbol: 'BTCUSDT', tickSize: '0.10', qtyStep: '0.001', minOrderQty: '0.001', maxOrderQty: '100', minNotional: '5' });
type L = [string, string][];
const snap = (u: number, b: L, a: L, seq = u * 10): BookMessage => ({ type: 'snapshot', data: { b, a, u, seq } });
const delta = (u: number, b: L, a: L, seq = u * 10): BookMessage => ({ type: 'delta', data: { b, a, u, seq } });

function live(): LocalBook {
  const book = new LocalBook(inst);
  expect(book.apply(snap(100, [['100.0', '1.000'], ['99.9', '2.000']], [['100.1', '1.500'], ['100.2', '3.000']]))).toEqual({ kind: 'applied' });
  return book;
}

describe('LocalBook', () => {
  it('builds from a snapshot in ticks and lots, sorted', () => {
    const v = live().view();
    expect(v.bids).toEqual([{ px: 1000, qty: 1000 }, { px: 999, qty: 2000 }]);
    expect(v.asks).toEqual([{ px: 1001, qty: 1500 }, { px: 1002, qty: 3000 }]);
    expect(v.u).toBe(100);
  });

  it('applies consecutive deltas: insert, replace, delete (size 0)', () => {
    const book = live();
    expect(book.apply(delta(101, [['99.8', '4.000'], ['100.0', '0.500']], [['100.1', '0']]))).toEqual({ kind: 'applied' });
    const v = book.view();
    expect(v.bids).toEqual([{ px: 1000, qty: 500 }, { px: 999, qty: 2000 }, { px: 998, qty: 4000 }]);
    expect(v.asks).toEqual([{ px: 1002, qty: 3000 }]);
    expect(book.isLive).toBe(true);
  });

  it('a gap in u marks the book stale and later deltas are ignored until a snapshot', () => {
    const book = live();
    const r = book.apply(delta(102, [['99.8', '4.000']], []));
    expect(r).toMatchObject({ kind: 'stale', reason: 'gap' });
    expect(book.isLive).toBe(false);
    expect(book.stale).toBe('gap');
    expect(book.apply(delta(103, [['99.7', '1.000']], []))).toEqual({ kind: 'ignored' });
    // The resync's snapshot makes it live again.
    book.expectSnapshot();
    expect(book.apply(snap(200, [['99.0', '1.000']], [['99.5', '1.000']]))).toEqual({ kind: 'applied' });
    expect(book.isLive).toBe(true);
    expect(book.view().bids).toEqual([{ px: 990, qty: 1000 }]);
  });

  it('a u=1 snapshot mid-stream resets the book and marks it stale (venue restart)', () => {
    const book = live();
    const r = book.apply(snap(1, [['50.0', '1.000']], [['50.1', '1.000']]));
    expect(r).toMatchObject({ kind: 'stale', reason: 'resnapshot' });
    // The old levels are gone: the book is the new snapshot.
    expect(book.view().bids).toEqual([{ px: 500, qty: 1000 }]);
    expect(book.updateId).toBe(1);
    // The snapshot that answers our own resubscribe may carry u=1 too, and is accepted.
    book.expectSnapshot();
    expect(book.apply(snap(1, [['50.0', '1.000']], [['50.1', '1.000']]))).toEqual({ kind: 'applied' });
    expect(book.apply(delta(2, [['49.9', '1.000']], []))).toEqual({ kind: 'applied' });
  });

  it('the first snapshot may have u=1', () => {
    const book = new LocalBook(inst);
    expect(book.apply(snap(1, [['1.0', '1.000']], [['1.1', '1.000']]))).toEqual({ kind: 'applied' });
  });

  it('seq going backwards, a crossed book, an off-grid price and a delta before any snapshot are stale', () => {
    expect(live().apply(delta(101, [], [], 5))).toMatchObject({ kind: 'stale', reason: 'seq_regress' });
    expect(live().apply(delta(101, [['100.1', '1.000']], []))).toMatchObject({ kind: 'stale', reason: 'crossed' });
    expect(live().apply(delta(101, [['100.05', '1.000']], []))).toMatchObject({ kind: 'stale', reason: 'bad_level' });
    expect(new LocalBook(inst).apply(delta(5, [], []))).toMatchObject({ kind: 'stale', reason: 'delta_before_snapshot' });
  });

  it('a non-u=1 snapshot mid-stream is a plain reset (Bybit may resend snapshots)', () => {
    const book = live();
    expect(book.apply(snap(500, [['90.0', '1.000']], [['90.1', '1.000']]))).toEqual({ kind: 'applied' });
    expect(book.apply(delta(501, [], []))).toEqual({ kind: 'applied' });
  });
});

describe('silence()', () => {
  it('silent only while the connection is demonstrably alive', () => {
    expect(silence(1000, 500, 900, 1000)).toBeUndefined();
    expect(silence(3000, 1000, 2900, 1000)).toBe('silent');
    expect(silence(3000, 1000, 1000, 1000)).toBe('disconnected');
  });
});

describe('Instrument', () => {
  it('converts decimal strings exactly both ways', () => {
    expect(inst.priceToTicks('60000.10')).toBe(600001);
    expect(inst.priceToTicks('60000.1')).toBe(600001);
    expect(inst.ticksToPrice(600001)).toBe('60000.10');
    expect(inst.ticksToPrice(1)).toBe('0.10');
    expect(inst.lotsToQty(10)).toBe('0.010');
    expect(inst.qtyToLotsFloor('0.0159')).toBe(15);
    expect(() => inst.priceToTicks('1.05')).toThrow(/not a multiple/);
  });

  it('checks min notional exactly', () => {
    // 5 USDT at 1000.0: 0.005 is exactly 5.
    expect(inst.meetsMinNotional(10000, 5)).toBe(true);
    expect(inst.meetsMinNotional(10000, 4)).toBe(false);
    expect(inst.minLotsAt(10000)).toBe(5);
    expect(inst.minLotsAt(9999)).toBe(6);
  });
});
