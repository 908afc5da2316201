/**
 * DESIGN §4 metrics on hand-built runs (tinyRun's values are worked out in its doc comment), the absent cases, the
 * window edge rules, HDR percentiles against known data, and the gates (metric, safety, recovery, baseline).
 */
import { describe, expect, it } from 'vitest';
import { compareToBaseline, evaluateGate, evaluateGates, recoveryGates, safetyGates } from '../../scenarios/gates.ts';
import { computeMetrics, hdrPercentiles, metricDetails } from '../../scenarios/metrics.ts';
import type { MetricName, MetricValue, Metrics, RunRecord, ScenarioReport } from '../../scenarios/types.ts';
import { fill, tinyRun } from './scenario-metrics-fixtures.ts';

const val = (m: MetricValue): number => {
  if ('absent' in m) throw new Error(`absent: ${m.reason}`);
  return m.value;
};
const samples = (m: MetricValue): number => ('absent' in m ? -1 : m.samples);
const reason = (m: MetricValue): string => ('absent' in m ? m.reason : '(present)');
const BPS: MetricName[] = ['spread_bps', 'adverse_bps', 'inventory_bps', 'fees_bps', 'net_bps'];

describe('computeMetrics on a hand-built run', () => {
  const m = computeMetrics(tinyRun());
  const N = 99.9 * 2 + 101.2 + 100.6 * 0.5; // 351.3

  it('spread, adverse, inventory, fees and net match the hand computation', () => {
    expect(N).toBeCloseTo(351.3, 12);
    expect(val(m.spread_bps)).toBeCloseTo((1e4 * 0.35) / 351.3, 9);
    expect(val(m.adverse_bps)).toBeCloseTo((1e4 * -6) / 351.3, 9);
    expect(val(m.inventory_bps)).toBeCloseTo((1e4 * -4.5) / 351.3, 9);
    expect(val(m.fees_bps)).toBeCloseTo((1e4 * 0.06) / 351.3, 9);
    expect(val(m.net_bps)).toBeCloseTo((1e4 * 1.79) / 351.3, 9);
    for (const k of BPS) expect(samples(m[k])).toBe(3); // the fill before the window is out
  });

  it('net = spread − adverse + inventory − fees', () => {
    const id = val(m.spread_bps) - val(m.adverse_bps) + val(m.inventory_bps) - val(m.fees_bps);
    expect(Math.abs(val(m.net_bps) - id)).toBeLessThanOrEqual(1e-9 * Math.abs(val(m.net_bps)));
  });

  it('slippage over taker fills with a touch, normalised by their turnover', () => {
    // B: sell 1 @ 101.2, touch 101.25: s (p − touch) q = −1 · (−0.05) · 1 = 0.05
    expect(val(m.slippage_bps)).toBeCloseTo((1e4 * 0.05) / 101.2, 9);
    expect(samples(m.slippage_bps)).toBe(1);
  });

  it('taker share by notional (and by count in the details)', () => {
    expect(val(m.taker_share_pct)).toBeCloseTo((100 * 101.2) / 351.3, 9);
    const d = metricDetails(tinyRun());
    expect(d.takerShareByCountPct).toBeCloseTo(100 / 3, 9);
    expect(d.makerFills).toBe(2);
    expect(d.takerFills).toBe(1);
    expect(d.fillsHorizonCapped).toBe(1);
    expect(d.usdt!.pnl).toBeCloseTo(1.79, 12);
    expect(d.finalMid).toBe(100.5);
  });

  it('mean |position|: time-weighted over the window, from the position the fills before it built; final |position|', () => {
    // 100 (the fill before the window) for 1000 ms, 102 for 4000, 101 for 12000, 101.5 for 3000; over 20000 ms
    expect(val(m.mean_abs_position)).toBeCloseTo((100 * 1000 + 102 * 4000 + 101 * 12_000 + 101.5 * 3000) / 20_000, 12);
    expect(samples(m.mean_abs_position)).toBe(3);
    expect(val(m.final_abs_position)).toBeCloseTo(101.5, 12);
    // Without it: 0, 2, 1, 1.5. A short counts by its size: −1 for 10 s, then +1 for 10 s is 1.
    const inWindow = tinyRun().fills.slice(1);
    expect(val(computeMetrics(tinyRun({ fills: inWindow })).mean_abs_position)).toBeCloseTo((2 * 4000 + 1 * 12_000 + 1.5 * 3000) / 20_000, 12);
    const flip = [fill({ time: 0, side: -1, price: 100, qty: 1 }), fill({ time: 10_000, side: 1, price: 100, qty: 2 })];
    const flipped = computeMetrics(tinyRun({ fills: flip }));
    expect(val(flipped.mean_abs_position)).toBeCloseTo(1, 12);
    expect(val(flipped.final_abs_position)).toBe(1);
    // A fill after the window does not count at its end.
    expect(val(computeMetrics(tinyRun({ fills: [...flip, fill({ time: 20_001, side: 1, price: 100, qty: 5 })] })).final_abs_position)).toBe(1);
  });

  it('fill rate: filled / quoted over the orders created in the window', () => {
    expect(val(m.fill_rate)).toBeCloseTo(3.5 / 5, 12);
    expect(samples(m.fill_rate)).toBe(4);
  });

  it('order age P95 over closed orders (HDR, 0.1 % resolution, never under)', () => {
    // closed in-window orders: 1000, 4500, 1000 ms → P95 = 4500
    const v = val(m.order_age_p95_ms);
    expect(v).toBeGreaterThanOrEqual(4500);
    expect(v).toBeLessThanOrEqual(4500 * 1.001);
    expect(samples(m.order_age_p95_ms)).toBe(3);
  });

  it('quote cycle P95 from the HDR histogram', () => {
    // 10, 20, ..., 1000 → P95 = 950
    const v = val(m.quote_cycle_p95_ms);
    expect(v).toBeGreaterThanOrEqual(950);
    expect(v).toBeLessThanOrEqual(950 * 1.001);
    expect(samples(m.quote_cycle_p95_ms)).toBe(100);
  });

  it('a different markout horizon moves adverse and inventory, not spread, fees or net', () => {
    const h2 = computeMetrics(tinyRun(), { markoutHorizonMs: 2000 });
    // A: m^H = mid(3000) = 100 → adverse 0, inventory (100.5−100)·2 = 1; B: m^H = mid(7000) = 102 → adverse −1·(101−102) = 1,
    // inventory −1·(100.5−102) = 1.5; C: m^H = mid(19000) = 100.5 → 0. adverse 1, inventory 2.5.
    expect(val(h2.adverse_bps)).toBeCloseTo(1e4 / 351.3, 9);
    expect(val(h2.inventory_bps)).toBeCloseTo((1e4 * 2.5) / 351.3, 9);
    expect(val(h2.spread_bps)).toBeCloseTo(val(m.spread_bps), 12);
    expect(val(h2.net_bps)).toBeCloseTo(val(m.net_bps), 12);
    expect(() => computeMetrics(tinyRun(), { markoutHorizonMs: -1 })).toThrow(RangeError);
  });
});

describe('window edge rules', () => {
  it('a null midBefore falls back to the last mid strictly before the fill', () => {
    const run = tinyRun({ fills: [fill({ time: 5000, side: 1, price: 100, qty: 1, midBefore: null })] });
    // m = mid(4000) = 101; m^H = mid(10000) = 99; M = 100.5
    const m = computeMetrics(run);
    expect(val(m.spread_bps)).toBeCloseTo(100, 9); // (101 − 100) / 100 · 1e4
    expect(val(m.adverse_bps)).toBeCloseTo(200, 9); // (101 − 99)
    expect(val(m.inventory_bps)).toBeCloseTo(150, 9); // (100.5 − 99)
    expect(val(m.net_bps)).toBeCloseTo(50, 9); // (100.5 − 100)
    expect(metricDetails(run).fillsMidFromSeries).toBe(1);
  });

  it('a fill with no mid before it at all is left out of the bps metrics (and of N)', () => {
    const run = tinyRun({
      mids: [{ time: 1000, mid: 100 }],
      fills: [fill({ time: 1000, side: 1, price: 99, qty: 1, midBefore: null }), fill({ time: 2000, side: -1, price: 101, qty: 1, midBefore: 100 })],
    });
    const m = computeMetrics(run);
    expect(samples(m.net_bps)).toBe(1);
    expect(val(m.net_bps)).toBeCloseTo((1e4 * 1) / 101, 9);
    expect(val(m.taker_share_pct)).toBe(0); // taker share counts every fill
    expect(metricDetails(run).fillsExcluded).toBe(1);
    const none = computeMetrics(tinyRun({ mids: [{ time: 5000, mid: 100 }], fills: [fill({ time: 1000, side: 1, price: 99, qty: 1 })] }));
    expect(reason(none.net_bps)).toMatch(/no fill with a known mid/);
  });

  it('m^H = m when the mid series starts after the horizon point', () => {
    const run = tinyRun({ mids: [{ time: 12_000, mid: 105 }], fills: [fill({ time: 1000, side: 1, price: 99, qty: 1, midBefore: 100 })] });
    const m = computeMetrics(run);
    expect(val(m.adverse_bps)).toBeCloseTo(0, 12);
    expect(val(m.inventory_bps)).toBeCloseTo((1e4 * 5) / 99, 9);
  });

  it('fills and orders outside [start, end] are ignored', () => {
    const run = tinyRun({ start: 2000, end: 16_000 }); // only B is in; M = mid(16000) = 100.5
    const m = computeMetrics(run);
    expect(samples(m.net_bps)).toBe(1);
    expect(val(m.net_bps)).toBeCloseTo((1e4 * (-1 * (100.5 - 101.2) * 1 - 0.05)) / 101.2, 9);
    expect(samples(m.fill_rate)).toBe(2); // o3 (2000) and o4 (16000)
  });
});

describe('absent, never a default', () => {
  it('no fills ⇒ every bps metric, slippage and taker share are absent', () => {
    const m = computeMetrics(tinyRun({ fills: [] }));
    for (const k of [...BPS, 'slippage_bps', 'taker_share_pct'] as MetricName[]) expect(reason(m[k])).toMatch(/no fills/);
    expect(val(m.fill_rate)).toBeGreaterThan(0); // orders still count
  });

  it('no taker fills ⇒ slippage absent; taker fills without touch ⇒ absent with the count', () => {
    const makers = tinyRun().fills.filter((f) => f.isMaker);
    expect(reason(computeMetrics(tinyRun({ fills: makers })).slippage_bps)).toMatch(/no taker fills/);
    const noTouch = tinyRun().fills.map((f) => ({ ...f, touchBefore: null }));
    expect(reason(computeMetrics(tinyRun({ fills: noTouch })).slippage_bps)).toMatch(/no taker fill with a known touch \(1 taker fills\)/);
  });

  it('no mid at or before the window end ⇒ bps metrics absent, the rest present', () => {
    const m = computeMetrics(tinyRun({ mids: [{ time: 30_000, mid: 100 }] }));
    for (const k of BPS) expect(reason(m[k])).toMatch(/no mid at or before the window end/);
    expect(val(m.slippage_bps)).toBeGreaterThan(0);
  });

  it('no orders ⇒ fill rate and order age absent; none closed ⇒ order age absent', () => {
    const m = computeMetrics(tinyRun({ orders: [] }));
    expect(reason(m.fill_rate)).toMatch(/no orders/);
    expect(reason(m.order_age_p95_ms)).toMatch(/no orders/);
    const open = computeMetrics(tinyRun({ orders: [{ orderId: 'a', orderLinkId: 'a', createdTime: 10, closedTime: null, qty: 1, filled: 0 }] }));
    expect(val(open.fill_rate)).toBe(0);
    expect(reason(open.order_age_p95_ms)).toMatch(/no order closed \(1 still open\)/);
  });

  it('no fill in the window ⇒ mean and final |position| absent, even with a position from before it', () => {
    const m = computeMetrics(tinyRun({ fills: tinyRun().fills.slice(0, 1) }));
    expect(reason(m.mean_abs_position)).toMatch(/no fills in the window/);
    expect(reason(m.final_abs_position)).toMatch(/no fills in the window/);
  });

  it('no quote-cycle samples ⇒ absent', () => {
    expect(reason(computeMetrics(tinyRun({ quoteCycleMs: [] })).quote_cycle_p95_ms)).toMatch(/no quote-cycle samples/);
    expect(reason(computeMetrics(tinyRun({ quoteCycleMs: [Number.NaN] })).quote_cycle_p95_ms)).toMatch(/no quote-cycle samples/);
  });
});

describe('HDR percentiles against known data', () => {
  it('1..1000 ms', () => {
    const { count, values } = hdrPercentiles(
      Array.from({ length: 1000 }, (_, i) => i + 1),
      [50, 95, 99, 100],
    );
    expect(count).toBe(1000);
    const want = [500, 950, 990, 1000];
    values.forEach((v, i) => {
      expect(v!).toBeGreaterThanOrEqual(want[i]!);
      expect(v!).toBeLessThanOrEqual(want[i]! * 1.001);
    });
  });

  it('sub-millisecond values keep microsecond resolution; a single sample is its own P95', () => {
    expect(hdrPercentiles([0.25], [95]).values[0]).toBeCloseTo(0.25, 6);
    expect(hdrPercentiles([], [95]).values[0]).toBeNull();
  });

  it('is a percentile of all samples, not an average of percentiles', () => {
    // two halves: P95 of each is ~10 and ~1000; their average would be ~505; the P95 of the whole is 1000
    const a = Array.from({ length: 100 }, () => 10);
    const b = Array.from({ length: 100 }, () => 1000);
    const p = hdrPercentiles([...a, ...b], [95]).values[0]!;
    expect(p).toBeGreaterThanOrEqual(1000);
    expect(p).toBeLessThan(1001);
  });
});

// ------------------------------------------------------------------------------------------------------------------
// Gates

const present = (value: number): MetricValue => ({ value, samples: 10 });
function metricsWith(over: Partial<Record<MetricName, MetricValue>>): Metrics {
  const base: Record<MetricName, MetricValue> = {
    quote_reaction_p50_ms: present(20),
    quote_reaction_p95_ms: present(60),
    unreacted_moves_pct: present(0),
    quote_uptime_pct: present(98),
    order_to_trade: present(6),
    requests_per_s: present(7),
    rejects_per_min: present(4),
    spread_bps: present(3),
    adverse_bps: present(1),
    inventory_bps: present(0.5),
    fees_bps: present(0.5),
    net_bps: present(2),
    slippage_bps: present(1),
    taker_share_pct: present(5),
    fill_rate: present(0.2),
    order_age_p95_ms: present(800),
    quote_cycle_p95_ms: present(120),
    mean_abs_position: present(0.01),
    final_abs_position: present(0),
  };
  return { ...base, ...over };
}
const SAFE: RunRecord['safety'] = { openOrdersAfterStop: 0, duplicateOrderLinkIds: 0, maxAbsPosition: 0.3, positionLimit: 0.5, unhandledErrors: { venue: 0, bot: 0 } };

describe('evaluateGates', () => {
  it('each comparator, on both sides of the threshold and at it', () => {
    const m = metricsWith({ net_bps: present(2) });
    const pass = (op: '<' | '<=' | '>' | '>=', t: number) => evaluateGate(m, { metric: 'net_bps', op, threshold: t }).pass;
    expect([pass('<', 3), pass('<', 2), pass('<', 1)]).toEqual([true, false, false]);
    expect([pass('<=', 3), pass('<=', 2), pass('<=', 1)]).toEqual([true, true, false]);
    expect([pass('>', 1), pass('>', 2), pass('>', 3)]).toEqual([true, false, false]);
    expect([pass('>=', 1), pass('>=', 2), pass('>=', 3)]).toEqual([true, true, false]);
  });

  it('details read as sentences with value and threshold', () => {
    const ok = evaluateGate(metricsWith({ net_bps: present(-0.8) }), { metric: 'net_bps', op: '>', threshold: -2 });
    expect(ok).toMatchObject({ name: 'net_bps > -2', pass: true, value: -0.8, threshold: '> -2' });
    expect(ok.detail).toBe('net_bps = -0.8 > -2 (10 samples)');
    const bad = evaluateGate(metricsWith({ quote_cycle_p95_ms: present(212.25) }), { metric: 'quote_cycle_p95_ms', op: '<', threshold: 150 });
    expect(bad.pass).toBe(false);
    expect(bad.detail).toBe('quote_cycle_p95_ms = 212.25, not < 150 (10 samples)');
  });

  it('an absent metric fails any gate on it, with the reason', () => {
    const m = metricsWith({ slippage_bps: { absent: true, reason: 'no taker fills in the window' } });
    for (const op of ['<', '<=', '>', '>='] as const) {
      const g = evaluateGate(m, { metric: 'slippage_bps', op, threshold: 1.8 });
      expect(g.pass).toBe(false);
      expect(g.value).toBeNull();
      expect(g.detail).toBe('slippage_bps absent (no taker fills in the window): fails');
    }
  });

  it('file gates first, then the four safety gates', () => {
    const gs = evaluateGates(metricsWith({}), [{ metric: 'net_bps', op: '>=', threshold: 2 }], SAFE);
    expect(gs.map((g) => g.name)).toEqual([
      'net_bps >= 2',
      'open_orders_after_stop = 0',
      'duplicate_order_link_ids = 0',
      'max_abs_position <= position_limit',
      'unhandled_errors = 0',
    ]);
    expect(gs.every((g) => g.pass)).toBe(true);
  });

  it('each safety gate fails on its own fact', () => {
    const failing = (s: Partial<RunRecord['safety']>) => safetyGates({ ...SAFE, ...s }).filter((g) => !g.pass).map((g) => g.name);
    expect(failing({ openOrdersAfterStop: 2 })).toEqual(['open_orders_after_stop = 0']);
    expect(failing({ duplicateOrderLinkIds: 1 })).toEqual(['duplicate_order_link_ids = 0']);
    expect(failing({ maxAbsPosition: 0.51 })).toEqual(['max_abs_position <= position_limit']);
    expect(failing({ maxAbsPosition: 0.5 })).toEqual([]);
    expect(failing({ maxAbsPosition: 0.1 + 0.2, positionLimit: 0.3 })).toEqual([]); // float rounding on decimals
    expect(failing({ maxAbsPosition: Number.NaN })).toEqual(['max_abs_position <= position_limit']);
    expect(failing({ unhandledErrors: { venue: 0, bot: 1 } })).toEqual(['unhandled_errors = 0']);
    expect(safetyGates({ ...SAFE, unhandledErrors: { venue: 2, bot: 1 } })[3]!.detail).toBe('unhandled errors: venue 2, bot 1');
  });
});

describe('recoveryGates', () => {
  it('time from the fault end to the first two-sided quote', () => {
    const run = tinyRun(); // fault 7000–9000, quotes: 7000 none, 9500 both
    expect(recoveryGates(run, 1000)[0]).toMatchObject({ pass: true, value: 500 });
    expect(recoveryGates(run, 400)[0]).toMatchObject({ pass: false, value: 500 });
  });

  it('quoting through the fault = 0 ms; never resuming or a fault past the end fails', () => {
    const through = tinyRun({ quotes: [{ time: 0, bid: 1, ask: 2 }] });
    expect(recoveryGates(through, 0)[0]).toMatchObject({ pass: true, value: 0 });
    const never = tinyRun({ quotes: [{ time: 0, bid: 1, ask: 2 }, { time: 8000, bid: null, ask: 2 }] });
    expect(recoveryGates(never, 5000)[0]!.pass).toBe(false);
    expect(recoveryGates(never, 5000)[0]!.detail).toMatch(/no two-sided quote/);
    const late = tinyRun({ faults: [{ kind: 'network', name: 'down', start: 15_000, end: 25_000 }] });
    expect(recoveryGates(late, 5000)[0]!.detail).toMatch(/still active at the window end/);
  });
});

describe('compareToBaseline', () => {
  const report = (metrics: Metrics, scenarioId = 'SC-001'): ScenarioReport => ({
    scenarioId,
    title: 't',
    seed: 1,
    startedAt: '2025-01-01T00:00:00.000Z',
    durationMs: 1000,
    metrics,
    gates: [],
    pass: true,
    artifacts: {},
  });
  const margins = { p95GrowthPct: 10, netBpsDrop: 0.5 };
  const base = report(metricsWith({ quote_reaction_p95_ms: present(60), quote_cycle_p95_ms: present(100), order_age_p95_ms: present(1000), net_bps: present(2) }));
  const NAMES = ['regression: quote_reaction_p95_ms growth ≤ 10%', 'regression: order_age_p95_ms growth ≤ 10%', 'regression: quote_cycle_p95_ms growth ≤ 10%', 'regression: net_bps drop ≤ 0.5 bps'];

  it('passes within the margins (at the margin exactly, too)', () => {
    const cur = report(metricsWith({ quote_reaction_p95_ms: present(66), quote_cycle_p95_ms: present(110), order_age_p95_ms: present(900), net_bps: present(1.5) }));
    const gs = compareToBaseline(cur, base, margins);
    expect(gs.map((g) => g.name)).toEqual(NAMES);
    expect(gs.every((g) => g.pass)).toBe(true);
  });

  it('fails when a P95 grows or net_bps falls beyond the margin', () => {
    const cur = report(metricsWith({ quote_reaction_p95_ms: present(60), quote_cycle_p95_ms: present(111), order_age_p95_ms: present(1000), net_bps: present(1.49) }));
    const gs = compareToBaseline(cur, base, margins);
    expect(gs.filter((g) => !g.pass).map((g) => g.name)).toEqual(['regression: quote_cycle_p95_ms growth ≤ 10%', 'regression: net_bps drop ≤ 0.5 bps']);
    expect(gs[2]!.detail).toBe('quote_cycle_p95_ms 100 → 111 (+11%): grew more than 10%');
  });

  it('the bot-side quote cycle is compared only when the baseline has it (a bot that exports no latency)', () => {
    const abs: MetricValue = { absent: true, reason: 'the bot exports no latency (its bot section has no metrics)' };
    const noCycle = report(metricsWith({ quote_reaction_p95_ms: present(60), quote_cycle_p95_ms: abs, order_age_p95_ms: present(1000), net_bps: present(2) }));
    const gs = compareToBaseline(noCycle, noCycle, margins);
    expect(gs.map((g) => g.name)).toEqual([NAMES[0], NAMES[1], NAMES[3]]);
    expect(gs.every((g) => g.pass)).toBe(true);
    // The baseline had it and the current run lost it: that fails.
    expect(compareToBaseline(noCycle, base, margins).find((g) => g.name === NAMES[2])).toMatchObject({ pass: false });
  });

  it('absent on either side fails; another scenario fails', () => {
    const abs: MetricValue = { absent: true, reason: 'no fills in the window' };
    const cur = report(metricsWith({ net_bps: abs }));
    const g1 = compareToBaseline(cur, base, margins).find((g) => g.name.includes('net_bps'))!;
    expect(g1.pass).toBe(false);
    expect(g1.detail).toBe('current net_bps absent (no fills in the window): fails');
    const g2 = compareToBaseline(base, report(metricsWith({ quote_reaction_p95_ms: abs })), margins)[0]!;
    expect(g2.pass).toBe(false);
    expect(g2.detail).toMatch(/^baseline quote_reaction_p95_ms absent/);
    const other = compareToBaseline(report(metricsWith({}), 'SC-002'), base, margins);
    expect(other[0]).toMatchObject({ name: 'baseline is the same scenario', pass: false });
  });
});
