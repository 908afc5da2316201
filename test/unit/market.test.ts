import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { runMarketOfflineDetailed, runMarketOffline } from '../../sim-exchange/market/offline.ts';
import { Scheduler } from '../../sim-exchange/market/scheduler.ts';
import { Hawkes, drawSize } from '../../sim-exchange/market/agents/takers.ts';
import { CALM, REGIMES, lerpParams, regimeParams } from '../../sim-exchange/market/params.ts';
import { Rng } from '../../sim-exchange/rng.ts';
import type { MarketEvent } from '../../sim-exchange/market/events.ts';

const ledgerHash = (seed: number, timeline = true): string => {
  const run = runMarketOfflineDetailed({
    seed,
    durationMs: 4000,
    warmupMs: 500,
    ...(timeline ? { timeline: [{ atMs: 1500, regime: 'vol-spike' as const, transitionMs: 1000 }, { atMs: 3000, regime: 'flash-crash' as const }] } : {}),
  });
  return createHash('sha256').update(JSON.stringify(run.venue.ledger.entries())).digest('hex');
};

/** Book state and statistics from a run's events: what calibration does, in miniature. */
function summarise(events: readonly MarketEvent[]) {
  const bids = new Map<number, number>();
  const asks = new Map<number, number>();
  const spreads: number[] = [];
  const sizes: number[] = [];
  const mids: number[] = [];
  const t0 = events[0]!.tsUs;
  for (const e of events) {
    if (e.kind === 'trade') {
      sizes.push(e.qtyLots);
      continue;
    }
    if (e.snapshot) {
      bids.clear();
      asks.clear();
    }
    for (const [p, q] of e.bids) (q === 0 ? bids.delete(p) : bids.set(p, q));
    for (const [p, q] of e.asks) (q === 0 ? asks.delete(p) : asks.set(p, q));
    const bb = Math.max(...bids.keys());
    const ba = Math.min(...asks.keys());
    spreads.push(ba - bb);
    while (mids.length <= Math.floor((e.tsUs - t0) / 1e6)) mids.push((bb + ba) / 2);
  }
  const q = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.floor(p * (a.length - 1))]!;
  const r = mids.slice(1).map((m, i) => Math.log(m / mids[i]!) * 1e4);
  const mean = r.reduce((a, b) => a + b, 0) / r.length;
  const vol = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / r.length);
  const seconds = (events[events.length - 1]!.tsUs - t0) / 1e6;
  return { spreadP50: q(spreads, 0.5), sizeP50: q(sizes, 0.5), sizeP99: q(sizes, 0.99), tradesPerS: sizes.length / seconds, vol1s: vol };
}

describe('market scheduler', () => {
  it('runs events in time order, ties in scheduling order, and skips cancelled ones', () => {
    const s = new Scheduler();
    const out: string[] = [];
    s.at(20, () => out.push('c'));
    s.at(10, () => out.push('a'));
    s.at(10, () => out.push('b'));
    s.at(15, () => out.push('x')).cancelled = true;
    for (let e = s.pop(); e; e = s.pop()) e.run();
    expect(out).toEqual(['a', 'b', 'c']);
  });
});

describe('market point processes and sizes', () => {
  it('a Hawkes process has the long-run rate μ / (1 − n)', () => {
    const seed = 7;
    console.log(`seed ${seed}`);
    const h = new Hawkes(new Rng(seed), 0);
    let n = 0;
    let t = 0;
    while (t < 2_000e6) {
      const a = h.next(10 * 0.5, 0.5, 0.2)!;
      h.arrive(a);
      t = a.atUs;
      n++;
    }
    // μ = 5/s, n = 0.5 → 10/s.
    expect(n / 2000).toBeGreaterThan(9);
    expect(n / 2000).toBeLessThan(11);
  });

  it('taker sizes are heavy-tailed: lognormal body around the median, an optional Pareto tail', () => {
    const seed = 8;
    console.log(`seed ${seed}`);
    const rng = new Rng(seed);
    // Calm: lognormal(median 30 lots, σ 2.45), no Pareto tail (docs/market.md).
    const xs = Array.from({ length: 20_000 }, () => drawSize(rng, CALM, 1, 500_000)).sort((a, b) => a - b);
    expect(xs[10_000]).toBeGreaterThan(25);
    expect(xs[10_000]).toBeLessThan(36);
    expect(xs[19_800]! / xs[10_000]!).toBeGreaterThan(50);
    // Every draw from the tail: Pareto(xm, α), median xm · 2^(1/α).
    const tail = { ...CALM, tailProb: 1, tailMinLots: 1000, tailAlpha: 2 };
    const ts = Array.from({ length: 20_000 }, () => drawSize(rng, tail, 1, 500_000)).sort((a, b) => a - b);
    expect(ts[0]).toBeGreaterThanOrEqual(1000);
    expect(ts[10_000]! / (1000 * Math.SQRT2)).toBeCloseTo(1, 1);
  });
});

describe('market regimes', () => {
  it('interpolates numeric parameters during a transition', () => {
    const p = lerpParams(REGIMES.calm, REGIMES['vol-spike'], 0.5);
    expect(p.volBps).toBeCloseTo((CALM.volBps + REGIMES['vol-spike'].volBps) / 2);
    expect(regimeParams('calm', { volBps: 3 }).volBps).toBe(3);
  });

  it('a flash crash drops the latent price by its jump, then gives part of it back', () => {
    const seed = 3;
    console.log(`seed ${seed}`);
    const crash = REGIMES['flash-crash'].shock!;
    const run = (ms: number) => runMarketOfflineDetailed({ seed, durationMs: ms, warmupMs: 0, regime: 'flash-crash', params: { volBps: 0, jumpsPerMin: 0 } }).market.latentTicks;
    const during = run(1000);
    const after = run(crash.withdrawMs + crash.reboundMs + 1000);
    expect(during / 600_000 - 1).toBeCloseTo(crash.jumpBps / 10_000, 3);
    expect(after / 600_000 - 1).toBeCloseTo((crash.jumpBps * (1 - crash.reboundFraction)) / 10_000, 3);
  });
});

describe('market determinism', () => {
  it('the same seed and inputs give a byte-identical venue ledger; another seed does not', () => {
    console.log('seeds 5, 6');
    const a = ledgerHash(5);
    expect(ledgerHash(5)).toBe(a);
    expect(ledgerHash(6)).not.toBe(a);
    expect(ledgerHash(5, false)).not.toBe(a);
  });

  it('runMarketOffline is repeatable event for event', () => {
    const seed = 9;
    console.log(`seed ${seed}`);
    const a = runMarketOffline({ seed, durationMs: 1000 });
    const b = runMarketOffline({ seed, durationMs: 1000 });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(a[0]).toMatchObject({ kind: 'book', snapshot: true });
    expect(a.some((e) => e.kind === 'trade')).toBe(true);
  });
});

describe('calm regime resembles BTCUSDT perp (Binance capture, ../shared/data)', () => {
  it('one-tick median spread, ~60 prints/s, p50 print 0.005–0.03 BTC with a heavy tail, 1 s σ ≈ 1–2 bps', () => {
    const seed = 1;
    console.log(`seed ${seed}`);
    const s = summarise(runMarketOffline({ seed, durationMs: 20_000 }));
    console.log(s);
    expect(s.spreadP50).toBe(1);
    expect(s.tradesPerS).toBeGreaterThan(40);
    expect(s.tradesPerS).toBeLessThan(90);
    expect(s.sizeP50).toBeGreaterThanOrEqual(5);
    expect(s.sizeP50).toBeLessThanOrEqual(30);
    expect(s.sizeP99 / s.sizeP50).toBeGreaterThan(30);
    expect(s.vol1s).toBeGreaterThan(0.7);
    expect(s.vol1s).toBeLessThan(2.2);
  });

  it('a liquidity drought has far less depth than calm', () => {
    const seed = 2;
    console.log(`seed ${seed}`);
    const dr = runMarketOfflineDetailed({ seed, durationMs: 5000, regime: 'liquidity-drought' });
    const calm = runMarketOfflineDetailed({ seed, durationMs: 5000, regime: 'calm' });
    const depth = (r: typeof dr) => r.venue.book('BTCUSDT').depth(1, 5).reduce((a, [, q]) => a + q, 0);
    expect(depth(dr)).toBeLessThan(depth(calm) / 2);
  });
});
