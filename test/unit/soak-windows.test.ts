import { describe, expect, it } from 'vitest';
import { assignSamples, parseDurationMs, planWindows, windowIndexAt } from '../../scenarios/soak/windows.ts';

describe('soak window math', () => {
  it('splits an exact multiple into full windows', () => {
    const w = planWindows(60_000, 10_000);
    expect(w).toHaveLength(6);
    expect(w.every((x) => !x.partial && x.endMs - x.startMs === 10_000)).toBe(true);
    expect(w[5]).toEqual({ index: 5, startMs: 50_000, endMs: 60_000, partial: false });
  });

  it('keeps a remainder of at least half a window as its own partial window', () => {
    const w = planWindows(65_000, 10_000);
    expect(w).toHaveLength(7);
    expect(w[6]).toEqual({ index: 6, startMs: 60_000, endMs: 65_000, partial: true });
  });

  it('merges a remainder shorter than half a window into the previous window', () => {
    const w = planWindows(64_000, 10_000);
    expect(w).toHaveLength(6);
    expect(w[5]).toEqual({ index: 5, startMs: 50_000, endMs: 64_000, partial: true });
    const all = planWindows(64_000, 10_000, { minLastFraction: 0 });
    expect(all).toHaveLength(7);
  });

  it('gives one window for a run shorter than a window, and rejects bad input', () => {
    expect(planWindows(3_000, 10_000)).toEqual([{ index: 0, startMs: 0, endMs: 3_000, partial: true }]);
    expect(() => planWindows(0, 1)).toThrow(/duration/);
    expect(() => planWindows(10, -1)).toThrow(/window/);
  });

  it('windows are contiguous and cover the run', () => {
    for (const [d, win] of [[600_000, 60_000], [86_400_000, 1_800_000], [12_345, 1_000], [7_777, 3_000]] as const) {
      const w = planWindows(d, win);
      expect(w[0]!.startMs).toBe(0);
      expect(w[w.length - 1]!.endMs).toBe(d);
      for (let i = 1; i < w.length; i++) expect(w[i]!.startMs).toBe(w[i - 1]!.endMs);
      for (const x of w) expect(x.endMs - x.startMs).toBeGreaterThanOrEqual(win / 2);
    }
  });

  it('assigns samples half-open, the run end to the last window, outside samples apart', () => {
    const w = planWindows(30_000, 10_000);
    expect(windowIndexAt(w, 0)).toBe(0);
    expect(windowIndexAt(w, 9_999)).toBe(0);
    expect(windowIndexAt(w, 10_000)).toBe(1);
    expect(windowIndexAt(w, 30_000)).toBe(2);
    expect(windowIndexAt(w, 30_001)).toBe(-1);
    expect(windowIndexAt(w, -1)).toBe(-1);
    const samples = [0, 5_000, 10_000, 25_000, 30_000, 31_000, -5, Number.NaN].map((t) => ({ t }));
    const a = assignSamples(w, samples, (s) => s.t);
    expect(a.byWindow.map((b) => b.map((s) => s.t))).toEqual([[0, 5_000], [10_000], [25_000, 30_000]]);
    expect(a.outside).toHaveLength(3);
  });

  it('parses durations', () => {
    expect(parseDurationMs('500ms')).toBe(500);
    expect(parseDurationMs('8s')).toBe(8_000);
    expect(parseDurationMs('10m')).toBe(600_000);
    expect(parseDurationMs('24h')).toBe(86_400_000);
    expect(parseDurationMs('1h30m')).toBe(5_400_000);
    expect(parseDurationMs('1500')).toBe(1500);
    expect(() => parseDurationMs('10x')).toThrow(/bad duration/);
    expect(() => parseDurationMs('')).toThrow(/bad duration/);
  });
});
