import { describe, expect, it } from 'vitest';
import type { BookEvent, Level, MarketEvent, TradeEvent } from '../../sim-exchange/market/events.ts';
import { BookSide, L2Book } from '../../sim-exchange/market/stats/book.ts';
import { autocorrLag1, quantile, stdev } from '../../sim-exchange/market/stats/numeric.ts';
import { computeMarketStats } from '../../sim-exchange/market/stats/stats.ts';
import { compareStats, FIGURES, judge, markdownTable, summaryLine, textTable } from '../../sim-exchange/market/stats/compare.ts';

const SYM = 'BTCUSDT';
const T0 = 1_700_000_000_000_000; // µs
const at = (ms: number): number => T0 + ms * 1000;

function snap(ms: number, bids: Level[], asks: Level[]): BookEvent {
  return { kind: 'book', tsUs: at(ms), symbol: SYM, snapshot: true, bids, asks };
}
function delta(ms: number, bids: Level[], asks: Level[]): BookEvent {
  return { kind: 'book', tsUs: at(ms), symbol: SYM, snapshot: false, bids, asks };
}
function trade(ms: number, qtyLots: number, takerSide: 'Buy' | 'Sell', priceTicks = 1000): TradeEvent {
  return { kind: 'trade', tsUs: at(ms), symbol: SYM, priceTicks, qtyLots, takerSide };
}

describe('numeric helpers', () => {
  it('quantile interpolates linearly between order statistics (type 7)', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted on purpose
    expect(quantile(xs, 0.5)).toBeCloseTo(50.5, 12);
    expect(quantile(xs, 0.9)).toBeCloseTo(90.1, 12);
    expect(quantile(xs, 0.99)).toBeCloseTo(99.01, 12);
    expect(quantile(xs, 0)).toBe(1);
    expect(quantile(xs, 1)).toBe(100);
    expect(quantile([7], 0.9)).toBe(7);
    expect(quantile([], 0.5)).toBeNull();
    expect(xs[0]).toBe(100); // input untouched
  });

  it('stdev is the sample standard deviation', () => {
    expect(stdev([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(stdev([1])).toBeNull();
  });

  it('lag-1 autocorrelation: sign on constructed series, gaps skip pairs', () => {
    expect(autocorrLag1([1, -1, 1, -1])).toBeCloseTo(-0.75, 12); // num 3·(−1), den 4
    expect(autocorrLag1([1, 1, -1, -1, 1, 1, -1, -1])).toBeCloseTo(0.125, 12); // num 4 − 3, den 8
    expect(autocorrLag1([1, null, -1, 1, -1])).toBeCloseTo(-0.5, 12); // pairs (−1,1),(1,−1); den 4
    expect(autocorrLag1([3, 3, 3])).toBeNull(); // constant
    expect(autocorrLag1([1, 2])).toBeNull(); // one pair
  });
});

describe('book maintenance', () => {
  it('keeps each side sorted best-first, deletes on size 0, snapshot replaces everything', () => {
    const b = new L2Book();
    b.apply(snap(0, [[99, 1], [100, 2], [97, 3]], [[103, 4], [101, 5], [102, 6]]));
    expect(b.bids.top(5)).toEqual([[100, 2], [99, 1], [97, 3]]);
    expect(b.asks.top(5)).toEqual([[101, 5], [102, 6], [103, 4]]);
    b.apply(delta(1, [[100, 0], [98, 7], [99, 9], [50, 0]], [[101, 0], [100.5, 1]]));
    expect(b.bids.top(5)).toEqual([[99, 9], [98, 7], [97, 3]]);
    expect(b.asks.best()).toBe(100.5);
    expect(b.bids.depth(2)).toBe(16);
    expect(b.asks.depth(10)).toBe(11);
    b.apply(snap(2, [[10, 1]], []));
    expect(b.bids.top(5)).toEqual([[10, 1]]);
    expect(b.asks.levels).toBe(0);
    expect(b.top()).toEqual({ kind: 'empty' });
    expect([b.snapshots, b.deltas]).toEqual([2, 1]);
  });

  it('BookSide agrees with a naive sorted map under random updates', () => {
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (const isBid of [true, false]) {
      const side = new BookSide(isBid);
      const ref = new Map<number, number>();
      for (let i = 0; i < 3000; i++) {
        const p = 1000 + rnd(60);
        const q = rnd(3) === 0 ? 0 : 1 + rnd(9);
        side.set(p, q);
        if (q === 0) ref.delete(p);
        else ref.set(p, q);
      }
      const want = [...ref.entries()].sort((a, b) => (isBid ? b[0] - a[0] : a[0] - b[0]));
      expect(side.top(1000)).toEqual(want);
      expect(side.depth(10)).toBe(want.slice(0, 10).reduce((s, [, q]) => s + q, 0));
    }
  });
});

describe('computeMarketStats', () => {
  it('spread median and p90 over the 100 ms grid', () => {
    // Samples at 0..1000 ms (11). Spread 1 at 0,100,200; 3 at 300,400; 2 at 500..1000.
    const ev: MarketEvent[] = [
      snap(0, [[100, 1]], [[101, 1]]),
      delta(250, [], [[101, 0], [103, 1]]),
      delta(500, [], [[102, 1]]), // event exactly on a grid point counts for that sample
      delta(1000, [], []),
    ];
    const s = computeMarketStats(ev, { lotSize: 1 });
    expect(s.samples).toEqual({ total: 11, ok: 11, empty: 0, locked: 0, crossed: 0 });
    // sorted [1,1,1,2,2,2,2,2,2,3,3]
    expect(s.spreadTicks.median).toBe(2);
    expect(s.spreadTicks.p90).toBe(3);
    expect(s.spreadTicks.mean).toBeCloseTo(21 / 11, 12);
  });

  it('top-of-book and top-10 depth in base units', () => {
    const bids: Level[] = Array.from({ length: 12 }, (_, i) => [1000 - i, 10 + i] as const); // 10..21 lots
    const asks: Level[] = Array.from({ length: 12 }, (_, i) => [1001 + i, 20] as const);
    const ev: MarketEvent[] = [snap(0, bids, asks), delta(550, [[1000, 30]], []), delta(1000, [], [])];
    const s = computeMarketStats(ev, { lotSize: '0.5' });
    // Samples 0..500 (6): top = (10 + 20)·0.5 = 15; samples 600..1000 (5): (30 + 20)·0.5 = 25 → median 15.
    expect(s.topDepth.median).toBe(15);
    expect(s.topDepth.askMedian).toBe(10);
    expect(s.topDepth.bidMedian).toBe(5);
    // Top 10 bids: 10+…+19 = 145 lots, later 165; asks 200 lots. (145 + 200)·0.5 = 172.5.
    expect(s.deepDepth.median).toBe(172.5);
    expect(s.deepDepth.bidMedian).toBe(72.5);
    expect(s.deepDepth.askMedian).toBe(100);
    expect(s.profile.bid.sizeMedian).toEqual([5, 5.5, 6, 6.5, 7, 7.5, 8, 8.5, 9, 9.5]);
    expect(s.profile.bid.distMedian).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(s.profile.ask.sizeMedian).toEqual(Array(10).fill(10));
  });

  it('trade rate, size quantiles and aggressor share per print', () => {
    const ev: MarketEvent[] = [snap(0, [[999, 5]], [[1001, 5]])];
    for (let i = 1; i <= 100; i++) ev.push(trade(i * 100, i, i % 4 === 0 ? 'Sell' : 'Buy'));
    const s = computeMarketStats(ev, { lotSize: 0.001 });
    expect(s.durationS).toBe(10);
    expect(s.trades.count).toBe(100);
    expect(s.trades.ratePerS).toBe(10);
    expect(s.trades.sizeP50).toBeCloseTo(0.0505, 12);
    expect(s.trades.sizeP90).toBeCloseTo(0.0901, 12);
    expect(s.trades.sizeP99).toBeCloseTo(0.09901, 12);
    expect(s.trades.buyShare).toBe(0.75);
    // Sells are 4, 8, …, 100: 25 prints, 4·(1+…+25) = 1300 lots of 5050.
    expect(s.trades.buyVolumeShare).toBeCloseTo(1 - 1300 / 5050, 12);
    expect(s.trades.volume).toBeCloseTo(5.05, 9);
  });

  it('taker bursts group same-side prints at most 1 ms apart', () => {
    const ev: MarketEvent[] = [
      snap(0, [[999, 5]], [[1001, 5]]),
      trade(100, 1, 'Buy'), trade(100.5, 2, 'Buy'), trade(101.5, 3, 'Buy'), // one burst (gaps 0.5 ms, 1 ms), 6 lots
      trade(101.6, 4, 'Sell'), // side changes: new burst
      trade(103, 5, 'Sell'), // 1.4 ms later: new burst
      trade(2000, 6, 'Buy'),
    ];
    const s = computeMarketStats(ev, { lotSize: 1 });
    expect(s.bursts.count).toBe(4);
    expect(s.bursts.ratePerS).toBe(2);
    expect(s.bursts.printsPerBurst).toBe(1.5);
    expect(s.bursts.sizeP50).toBe(5.5); // sizes [6, 4, 5, 6] → sorted [4, 5, 6, 6]
    expect(computeMarketStats(ev, { lotSize: 1, burstGapUs: 0 }).bursts.count).toBe(6);
  });

  it('an explicit window limits the trades counted and the duration', () => {
    const ev: MarketEvent[] = [snap(0, [[999, 5]], [[1001, 5]])];
    for (let i = 0; i < 20; i++) ev.push(trade(i * 500, 1, 'Buy'));
    const s = computeMarketStats(ev, { lotSize: 1, startUs: at(2000), endUs: at(6000) });
    expect(s.trades.count).toBe(9); // 2000, 2500, …, 6000
    expect(s.trades.ratePerS).toBe(9 / 4);
    expect(s.samples.total).toBe(41);
  });

  it('1 s returns: volatility and negative autocorrelation of a bouncing mid', () => {
    // Mid (bid+ask)/2 at the 1 s grid points: 1000, 1001, 1000, 1001, 1000 (changes 50 ms before each point).
    const ev: MarketEvent[] = [snap(0, [[999, 1]], [[1001, 1]])];
    for (let k = 1; k <= 4; k++) {
      ev.push(k % 2 === 1
        ? delta(k * 1000 - 50, [[999, 0], [1000, 1]], [[1001, 0], [1002, 1]])
        : delta(k * 1000 - 50, [[1000, 0], [999, 1]], [[1002, 0], [1001, 1]]));
    }
    ev.push(delta(4000, [], []));
    const s = computeMarketStats(ev, { lotSize: 1 });
    const a = 1e4 * Math.log(1001 / 1000);
    expect(s.returns.gridPoints).toBe(5);
    expect(s.returns.n).toBe(4);
    expect(s.returns.volBps).toBeCloseTo((2 * a) / Math.sqrt(3), 9); // [a, −a, a, −a]
    expect(s.returns.autocorrLag1).toBeCloseTo(-0.75, 9);
    expect(s.returns.zeroShare).toBe(0);
  });

  it('1 s returns: positive autocorrelation of a trending-in-runs mid', () => {
    const mids = [1000, 1001, 1002, 1001, 1000, 1001, 1002, 1001, 1000]; // returns + + − − + + − −
    const ev: MarketEvent[] = [snap(0, [[999, 1]], [[1001, 1]])];
    for (let k = 1; k < mids.length; k++) {
      const prev = mids[k - 1] as number;
      const m = mids[k] as number;
      ev.push(delta(k * 1000 - 10, [[prev - 1, 0], [m - 1, 1]], [[prev + 1, 0], [m + 1, 1]]));
    }
    ev.push(delta((mids.length - 1) * 1000, [], []));
    const s = computeMarketStats(ev, { lotSize: 1 });
    expect(s.returns.n).toBe(8);
    expect(s.returns.autocorrLag1).toBeGreaterThan(0.05);
  });

  it('crossed, locked and one-sided books are skipped and counted, and break returns', () => {
    const ev: MarketEvent[] = [
      snap(0, [[100, 1]], [[102, 1]]), // ok at 0, 100
      delta(150, [[102, 2]], []), // locked at 200
      delta(250, [[103, 2]], []), // crossed (103 > 102) at 300
      delta(350, [[102, 0], [103, 0]], [[102, 0]]), // asks empty at 400
      delta(450, [], [[101, 1]]), // ok again: bid 100 / ask 101 at 500..1000
      delta(1000, [], []),
    ];
    const s = computeMarketStats(ev, { lotSize: 1 });
    expect(s.samples).toEqual({ total: 11, ok: 8, empty: 1, locked: 1, crossed: 1 });
    expect(s.spreadTicks.median).toBe(1); // [2,2,1,1,1,1,1,1]
    expect(s.spreadTicks.p90).toBe(2); // sorted [1×6, 2×2], h = 6.3 → x[6] = x[7] = 2
    // Only one 1 s interval exists (0 → 1000), both ends usable.
    expect(s.returns.n).toBe(1);

    // A grid point on a crossed book leaves a gap in the return series.
    const ev2: MarketEvent[] = [snap(0, [[100, 1]], [[102, 1]]), delta(900, [[105, 1]], []), delta(1900, [[105, 0]], []), delta(3000, [], [])];
    const s2 = computeMarketStats(ev2, { lotSize: 1 });
    expect(s2.returns.gridPoints).toBe(4);
    expect(s2.returns.unusablePoints).toBe(1);
    expect(s2.returns.n).toBe(1); // only 2 s → 3 s
  });

  it('ignores other symbols and survives an empty input', () => {
    const other: BookEvent = { kind: 'book', tsUs: at(50), symbol: 'ETHUSDT', snapshot: true, bids: [[1, 1]], asks: [[2, 1]] };
    const s = computeMarketStats([snap(0, [[100, 1]], [[101, 1]]), other, delta(100, [], [])], { lotSize: 1 });
    expect(s.events.otherSymbol).toBe(1);
    expect(s.samples.ok).toBe(2);
    const e = computeMarketStats([], { lotSize: 1 });
    expect(e.samples.total).toBe(0);
    expect(e.trades.ratePerS).toBeNull();
    expect(e.spreadTicks.median).toBeNull();
  });
});

describe('comparison table', () => {
  it('judges ±30 % relative, ±0.1 absolute for the autocorrelation, and pending without a sim', () => {
    const rel = FIGURES.find((f) => f.key === 'tradeRate')!;
    const acf = FIGURES.find((f) => f.key === 'acf1')!;
    expect(judge(rel, 60, 78)).toBe(true);
    expect(judge(rel, 60, 79)).toBe(false);
    expect(judge(rel, 60, 42)).toBe(true);
    expect(judge(acf, -0.05, 0.04)).toBe(true);
    expect(judge(acf, -0.05, 0.06)).toBe(false);
    expect(judge(rel, 60, null)).toBeNull();

    const ev: MarketEvent[] = [snap(0, [[100, 1]], [[101, 1]]), trade(500, 1, 'Buy'), trade(1000, 2, 'Sell')];
    const s = computeMarketStats(ev, { lotSize: 1 });
    const same = compareStats(s, s);
    expect(same.every((r) => r.within !== false)).toBe(true);
    expect(summaryLine(same)).toMatch(/^\d+ of \d+ figures within ±30%/);
    const pending = compareStats(s, null);
    expect(pending.every((r) => r.within === null)).toBe(true);
    expect(summaryLine(pending)).toContain(`0 of 0 figures within ±30% (${FIGURES.length} pending`);
    const md = markdownTable(same).split('\n');
    expect(md).toHaveLength(FIGURES.length + 2);
    expect(md[0]).toBe('| figure | real | sim calm | sim/real | within ±30%? |');
    expect(textTable(same).split('\n')).toHaveLength(FIGURES.length + 2);
  });
});
