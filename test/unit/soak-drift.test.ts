import { describe, expect, it } from 'vitest';
import { detectDrift, linearFit, mannKendall, normalCdf, type DriftPoint } from '../../scenarios/soak/drift.ts';
import { seededRandom } from '../../bot/execution/retry.ts';

/** mulberry32 (the bot's seeded PRNG), so every random series here is reproducible from the printed seed. */
const rng = seededRandom;
function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

const MIN = 60_000;
/** n windows of `winMs`, value = base + slopePerHour·t + noise·N(0,1) (+ step after window `stepAt`). */
function series(seed: number, n: number, winMs: number, base: number, slopePerHour: number, noise: number, step?: { at: number; by: number }): DriftPoint[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const tMs = (i + 0.5) * winMs;
    const v = base + (slopePerHour * tMs) / 3_600_000 + noise * gauss(r) + (step && i >= step.at ? step.by : 0);
    return { tMs, value: v };
  });
}

const SEEDS = [1, 2, 3, 42, 1234, 20261124, 777, 31337];

describe('soak drift detection', () => {
  it('helpers: exact line fit, Mann-Kendall on monotone data, normal CDF', () => {
    const f = linearFit([0, 1, 2, 3], [1, 3, 5, 7]);
    expect(f.slope).toBeCloseTo(2);
    expect(f.intercept).toBeCloseTo(1);
    expect(f.sse).toBeCloseTo(0);
    expect(mannKendall([1, 2, 3, 4, 5, 6, 7, 8]).pRising).toBeLessThan(0.001);
    expect(mannKendall([8, 7, 6, 5, 4, 3, 2, 1]).pRising).toBeGreaterThan(0.99);
    expect(normalCdf(0)).toBeCloseTo(0.5, 6);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 5);
  });

  it.each(SEEDS)('a planted linear heap leak with noise is flagged (seed %i)', (seed) => {
    // 10-minute soak, 1-minute windows: heap 100 MB growing 30 MB/h (5 MB over the run), noise σ = 0.5 MB.
    const pts = series(seed, 10, MIN, 100e6, 30e6, 0.5e6);
    const d = detectDrift(pts);
    console.log(`leak seed=${seed}: ${d.flagged} ${d.reason}`);
    expect(d.flagged, d.reason).toBe(true);
    expect(d.slopePerHour).toBeGreaterThan(20e6);
    expect(d.slopePerHour).toBeLessThan(40e6);
  });

  it.each(SEEDS)('a planted slow leak over a 24 h soak is flagged (seed %i)', (seed) => {
    // 48 half-hour windows, RSS 200 MB + 8 %/h, σ = 10 MB.
    const d = detectDrift(series(seed, 48, 30 * MIN, 200e6, 16e6, 10e6));
    console.log(`24h leak seed=${seed}: ${d.flagged} ${d.reason}`);
    expect(d.flagged, d.reason).toBe(true);
  });

  it.each(SEEDS)('a flat noisy run is not flagged (seed %i)', (seed) => {
    const d = detectDrift(series(seed, 24, MIN, 100e6, 0, 5e6));
    console.log(`flat seed=${seed}: ${d.flagged} ${d.reason}`);
    expect(d.flagged, d.reason).toBe(false);
  });

  it.each(SEEDS)('a one-off step (a GC heap-size jump) is not flagged as a leak (seed %i)', (seed) => {
    // Flat at 100 MB, one jump of +20 MB at window 8 of 20, then flat again; σ = 1 MB.
    const d = detectDrift(series(seed, 20, MIN, 100e6, 0, 1e6, { at: 8, by: 20e6 }));
    console.log(`step seed=${seed}: ${d.flagged} ${d.reason}`);
    expect(d.flagged, d.reason).toBe(false);
    expect(d.reason).toMatch(/one-off|no significant rise/);
  });

  it.each(SEEDS)('a leak that also had a step is still flagged (seed %i)', (seed) => {
    const d = detectDrift(series(seed, 30, MIN, 100e6, 120e6, 0.5e6, { at: 5, by: 30e6 }));
    console.log(`step+leak seed=${seed}: ${d.flagged} ${d.reason}`);
    expect(d.flagged, d.reason).toBe(true);
  });

  it('a single spike does not make a flat run a leak; a slow significant rise is not flagged; too few windows never are', () => {
    const pts = series(5, 20, MIN, 50, 0, 2);
    const spiked = pts.map((p, i) => (i === 19 ? { ...p, value: 500 } : p));
    expect(detectDrift(spiked).flagged).toBe(false);
    // 1 %/h of the mean with almost no noise: significant but under the 5 %/h materiality threshold.
    const slow = detectDrift(series(6, 20, MIN, 100, 1, 0.001));
    expect(slow.flagged).toBe(false);
    expect(slow.reason).toMatch(/slowly/);
    const few = detectDrift(series(7, 5, MIN, 100, 1000, 0.1));
    expect(few.flagged).toBe(false);
    expect(few.reason).toMatch(/only 5 windows/);
  });

  it('skips null windows', () => {
    const pts = series(8, 12, MIN, 100e6, 60e6, 0.2e6).map((p, i) => (i % 4 === 1 ? { ...p, value: null } : p));
    const d = detectDrift(pts);
    expect(d.n).toBe(9);
    expect(d.flagged).toBe(true);
  });
});
