import { describe, expect, it } from 'vitest';
import { importBinance } from '../../sim-exchange/market/replay/import-binance.ts';
import { runMarketOffline } from '../../sim-exchange/market/offline.ts';
import { computeMarketStats } from '../../sim-exchange/market/stats/stats.ts';
import { compareStats } from '../../sim-exchange/market/stats/compare.ts';
import { defaultCapture } from '../../sim-exchange/market/stats/report.ts';

const capture = defaultCapture();

describe('calibration statistics on real and simulated data', () => {
  // ~1 s: import of the 3.6 MB Binance capture (93,954 lines) plus the statistics.
  it.skipIf(capture === undefined)('the Binance BTCUSDT capture has plausible statistics', async () => {
    const session = await importBinance(capture!);
    const s = computeMarketStats(session.events, { lotSize: session.lotSize, symbol: session.symbol });
    expect(s.symbol).toBe('BTCUSDT');
    expect(s.durationS).toBeGreaterThan(340);
    expect(s.durationS).toBeLessThan(346);
    expect(s.samples.crossed + s.samples.locked + s.samples.empty).toBeLessThan(5);
    expect(s.spreadTicks.median).toBe(1);
    expect(s.trades.ratePerS).toBeGreaterThan(40);
    expect(s.trades.ratePerS).toBeLessThan(80);
    expect(s.trades.sizeP50).toBeGreaterThan(0.005);
    expect(s.trades.sizeP50).toBeLessThan(0.05);
    expect(s.trades.sizeP99!).toBeGreaterThan(s.trades.sizeP90!);
    expect(s.topDepth.median).toBeGreaterThan(1);
    expect(s.topDepth.median).toBeLessThan(50);
    expect(s.deepDepth.median!).toBeGreaterThan(s.topDepth.median!);
    expect(s.returns.n).toBeGreaterThan(330);
    expect(s.returns.volBps).toBeGreaterThan(0.3);
    expect(s.returns.volBps).toBeLessThan(5);
    expect(Math.abs(s.returns.autocorrLag1!)).toBeLessThan(0.3);
    expect(s.trades.buyShare).toBeGreaterThan(0.3);
    expect(s.trades.buyShare).toBeLessThan(0.7);
  });

  // ~1 s: 15 s of the calm market; the full 344.8 s comparison is `npm run calibrate` (about 13 s).
  it('the simulated calm market yields a usable book and every figure', () => {
    const events = runMarketOffline({ seed: 1, regime: 'calm', durationMs: 15_000, symbol: 'BTCUSDT' });
    const s = computeMarketStats(events, { lotSize: '0.001', symbol: 'BTCUSDT' });
    expect(s.samples.total).toBeGreaterThanOrEqual(150);
    expect(s.samples.ok).toBe(s.samples.total);
    expect(s.spreadTicks.median).toBeGreaterThanOrEqual(1);
    expect(s.trades.count).toBeGreaterThan(0);
    expect(compareStats(s, s).every((r) => r.within === true)).toBe(true);
  });
});
