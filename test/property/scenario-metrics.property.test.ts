/**
 * Property tests of the scenario metrics (fast-check) over random fill sets and mid paths:
 * - the net_bps identity net = spread − adverse + inventory − fees holds within 1e-9 of the scale of its terms;
 * - every bps metric equals a naive reference implementation of DESIGN §4 (linear scans, no shared code);
 * - the PnL-over-time chart's last point is the metrics' decomposition;
 * - HDR percentiles are within 0.1 % above the exact order statistic.
 *
 * Reproduce a failure with FC_SEED=<printed seed>.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeMetrics, hdrPercentiles, metricDetails } from '../../scenarios/metrics.ts';
import { pnlOverTime } from '../../scenarios/report/html.ts';
import type { FillRow, MetricValue, MidPoint, RunRecord } from '../../scenarios/types.ts';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
console.log('fast-check seed', seed);
const RUNS = Number(process.env.FC_RUNS ?? 300);
const params = { seed, numRuns: RUNS };

const val = (m: MetricValue): number | null => ('absent' in m ? null : m.value);

interface Case {
  run: RunRecord;
  H: number;
}

const arbCase: fc.Arbitrary<Case> = fc
  .record({
    base: fc.constantFrom(0.05, 1, 100, 60_000),
    tick: fc.constantFrom(0.0001, 0.01, 0.1, 0.5),
    start: fc.integer({ min: 0, max: 5000 }),
    steps: fc.array(fc.record({ dt: fc.integer({ min: 0, max: 3000 }), move: fc.integer({ min: -20, max: 20 }) }), { minLength: 0, maxLength: 40 }),
    endPad: fc.integer({ min: -3000, max: 10_000 }),
    H: fc.constantFrom(0, 1, 1000, 5000),
    fills: fc.array(
      fc.record({
        at: fc.double({ min: -0.1, max: 1.1, noNaN: true }),
        side: fc.constantFrom(1 as const, -1 as const),
        off: fc.integer({ min: -30, max: 30 }),
        midOff: fc.option(fc.integer({ min: -5, max: 5 }), { freq: 5 }),
        qty: fc.constantFrom(0.001, 0.01, 0.3, 1, 2.5, 7),
        feeRate: fc.constantFrom(-0.0001, 0, 0.0002, 0.00055),
        maker: fc.boolean(),
        touchOff: fc.option(fc.integer({ min: -4, max: 4 }), { freq: 4 }),
      }),
      { minLength: 0, maxLength: 30 },
    ),
  })
  .map(({ base, tick, start, steps, endPad, H, fills }) => {
    const mids: MidPoint[] = [];
    let t = start;
    let ticks = Math.round(base / tick);
    mids.push({ time: t, mid: ticks * tick });
    for (const s of steps) {
      t += s.dt;
      ticks = Math.max(10, ticks + s.move);
      mids.push({ time: t, mid: ticks * tick });
    }
    const end = Math.max(start, t + endPad);
    const span = Math.max(1, end - start);
    const rows: FillRow[] = fills.map((f, i) => {
      const time = Math.round(start + f.at * span);
      const ref = mids.filter((m) => m.time < time).at(-1)?.mid ?? mids[0]!.mid;
      const refTicks = Math.round(ref / tick);
      const price = Math.max(1, refTicks + f.off) * tick;
      return {
        seq: i,
        execId: `e${i}`,
        time,
        orderId: `o${i}`,
        orderLinkId: `l${i}`,
        side: f.side,
        price,
        qty: f.qty,
        fee: f.feeRate * price * f.qty,
        isMaker: f.maker,
        midBefore: f.midOff === null ? null : Math.max(1, refTicks + f.midOff) * tick,
        touchBefore: f.touchOff === null ? null : Math.max(1, refTicks + f.touchOff) * tick,
        takerSignedAt: null,
      };
    });
    const run: RunRecord = {
      scenarioId: 'SC-prop',
      seed,
      start,
      end,
      fills: rows,
      orders: [],
      mids,
      quoteCycleMs: [],
      quotes: [],
      faults: [],
      safety: { openOrdersAfterStop: 0, duplicateOrderLinkIds: 0, maxAbsPosition: 0, positionLimit: 1, unhandledErrors: { venue: 0, bot: 0 } },
    };
    return { run, H };
  });

/** DESIGN §4 by linear scans, written independently of scenarios/metrics.ts (same documented edge rules). */
function reference({ run, H }: Case) {
  const midAt = (t: number, strict: boolean): number | null => {
    let out: number | null = null;
    for (const p of run.mids) if (strict ? p.time < t : p.time <= t) out = p.mid;
    return out;
  };
  const M = midAt(run.end, false);
  const inWin = run.fills.filter((f) => f.time >= run.start && f.time <= run.end);
  let sp = 0;
  let ad = 0;
  let inv = 0;
  let fee = 0;
  let pnl = 0;
  let N = 0;
  let scale = 0;
  let n = 0;
  if (M !== null) {
    for (const f of inWin) {
      const m = f.midBefore ?? midAt(f.time, true);
      if (m === null) continue;
      const mH = f.time + H > run.end ? M : (midAt(f.time + H, false) ?? m);
      const a = f.side * (m - f.price) * f.qty;
      const b = f.side * (m - mH) * f.qty;
      const c = f.side * (M - mH) * f.qty;
      sp += a;
      ad += b;
      inv += c;
      fee += f.fee;
      pnl += f.side * (M - f.price) * f.qty - f.fee;
      N += f.price * f.qty;
      scale += Math.abs(a) + Math.abs(b) + Math.abs(c) + Math.abs(f.fee);
      n++;
    }
  }
  const takers = inWin.filter((f) => !f.isMaker && f.touchBefore !== null);
  let sl = 0;
  let tn = 0;
  for (const f of takers) {
    sl += f.side * (f.price - f.touchBefore!) * f.qty;
    tn += f.price * f.qty;
  }
  let all = 0;
  let tk = 0;
  for (const f of inWin) {
    all += f.price * f.qty;
    if (!f.isMaker) tk += f.price * f.qty;
  }
  const bps = (x: number) => (n > 0 ? (1e4 * x) / N : null);
  return {
    spread: bps(sp),
    adverse: bps(ad),
    inventory: bps(inv),
    fees: bps(fee),
    net: bps(pnl),
    scaleBps: n > 0 ? (1e4 * scale) / N : 0,
    slippage: takers.length > 0 ? (1e4 * sl) / tn : null,
    takerShare: inWin.length > 0 ? (100 * tk) / all : null,
    usdt: { spread: sp, adverse: ad, inventory: inv, fees: fee, pnl },
  };
}

const close = (a: number | null, b: number | null, tol: number) => {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= tol;
};

describe('scenario metrics properties', () => {
  it('net = spread − adverse + inventory − fees, within 1e-9 of the terms’ scale', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const m = computeMetrics(c.run, { markoutHorizonMs: c.H });
        const ref = reference(c);
        const s = val(m.spread_bps);
        const a = val(m.adverse_bps);
        const i = val(m.inventory_bps);
        const f = val(m.fees_bps);
        const n = val(m.net_bps);
        if (n === null) {
          expect([s, a, i, f]).toEqual([null, null, null, null]);
          return;
        }
        const id = s! - a! + i! - f!;
        expect(Math.abs(n - id)).toBeLessThanOrEqual(1e-9 * ref.scaleBps + 1e-12);
      }),
      params,
    );
  });

  it('every bps metric and the taker share equal the naive reference', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const m = computeMetrics(c.run, { markoutHorizonMs: c.H });
        const r = reference(c);
        const tol = 1e-9 * (r.scaleBps + 1);
        expect(close(val(m.spread_bps), r.spread, tol)).toBe(true);
        expect(close(val(m.adverse_bps), r.adverse, tol)).toBe(true);
        expect(close(val(m.inventory_bps), r.inventory, tol)).toBe(true);
        expect(close(val(m.fees_bps), r.fees, tol)).toBe(true);
        expect(close(val(m.net_bps), r.net, tol)).toBe(true);
        expect(close(val(m.slippage_bps), r.slippage, 1e-7 * (Math.abs(r.slippage ?? 0) + 1))).toBe(true);
        expect(close(val(m.taker_share_pct), r.takerShare, 1e-9)).toBe(true);
      }),
      params,
    );
  });

  it('the PnL-over-time chart ends at the decomposition of the whole window', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const d = metricDetails(c.run, { markoutHorizonMs: c.H });
        const series = pnlOverTime(c.run, c.H, 50);
        const last = series.at(-1);
        if (d.usdt === null) return;
        expect(last?.time).toBe(c.run.end);
        const r = reference(c).usdt;
        const tol = 1e-7 * (Math.abs(r.spread) + Math.abs(r.adverse) + Math.abs(r.inventory) + Math.abs(r.fees) + 1) * Math.max(1, d.finalMid ?? 1);
        expect(Math.abs(last!.spread - d.usdt.spread)).toBeLessThanOrEqual(tol);
        expect(Math.abs(last!.adverse - d.usdt.adverse)).toBeLessThanOrEqual(tol);
        expect(Math.abs(last!.inventory - d.usdt.inventory)).toBeLessThanOrEqual(tol);
        expect(Math.abs(last!.fees - d.usdt.fees)).toBeLessThanOrEqual(tol);
        expect(Math.abs(last!.pnl - d.usdt.pnl)).toBeLessThanOrEqual(tol);
      }),
      params,
    );
  });

  it('HDR percentiles are the exact order statistic to within +0.1 % (1 µs)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 100_000, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.constantFrom(50, 90, 95, 99, 100),
        (xs, p) => {
          const got = hdrPercentiles(xs, [p]).values[0]!;
          const us = xs.map((v) => Math.round(v * 1000)).sort((a, b) => a - b);
          const rank = Math.max(1, Math.ceil((p * us.length) / 100 - 1e-9));
          const exact = us[rank - 1]! / 1000;
          expect(got).toBeGreaterThanOrEqual(exact - 1e-9);
          expect(got).toBeLessThanOrEqual(exact * 1.001 + 0.001);
        },
      ),
      params,
    );
  });
});
