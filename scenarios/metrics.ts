/**
 * The metrics of ../shared/DESIGN.md §4, computed from a RunRecord (the venue's ledger is the ground truth).
 *
 * Over the window [run.start, run.end], for the bot account's fills i: side s_i (+1 buy, −1 sell), price p_i, qty q_i,
 * fee f_i (USDT, positive = paid), m_i = venue mid just before the fill, m_i^H = mid H later (markout horizon, default
 * 5 s), M = mid at the end of the window, N = Σ p_i q_i.
 *
 *   spread_bps      = 1e4 · Σ s_i (m_i − p_i) q_i / N
 *   adverse_bps     = 1e4 · Σ s_i (m_i − m_i^H) q_i / N          (positive = cost)
 *   inventory_bps   = 1e4 · Σ s_i (M − m_i^H) q_i / N
 *   fees_bps        = 1e4 · Σ f_i / N                            (positive = cost)
 *   net_bps         = 1e4 · PnL / N,  PnL = Σ s_i (M − p_i) q_i − Σ f_i   ( = spread − adverse + inventory − fees )
 *   slippage_bps    = 1e4 · Σ_taker s_i (p_i − touch_i) q_i / N_taker      (N over the taker fills: see below)
 *   taker_share_pct = 100 · taker notional / N                   (by count: metricDetails().takerShareByCountPct)
 *   fill_rate       = Σ filled qty / Σ quoted qty over the window's orders
 *   order_age_p95_ms, quote_cycle_p95_ms: P95 from an HDR histogram (µs resolution, 3 significant digits)
 *   mean_abs_position = (1 / (end − start)) · ∫ |P(t)| dt over the window, P(t) = Σ s_i q_i of the fills up to t
 *                       (base units: the inventory the bot carried on average, not only its peak)
 *   final_abs_position = |P(end)|  (base units: what the bot still held when the window closed)
 *
 * Choices where §4 is silent (also in docs/reports.md):
 * - Window membership: a fill counts if start ≤ time ≤ end; an order counts if start ≤ createdTime ≤ end.
 * - m_i is the ledger's `midBefore`. When it is null (a side of the book was empty), the last MidPoint strictly
 *   before the fill stands in for it; when there is none either, the fill is left out of every bps metric (and of
 *   their N, so the identity still holds) and counted in metricDetails().fillsExcluded.
 * - m_i^H is the last MidPoint at or before time + H. When the window ends before time + H, m_i^H = M (the last mid of
 *   the window): such a fill has no inventory term and its whole markout is in adverse. When no MidPoint lies at or
 *   before time + H (the mid series starts later), m_i^H = m_i.
 * - M is the last MidPoint at or before `end`; without one every bps metric is absent.
 * - slippage_bps is normalised by the turnover of the taker fills it sums (slippage per unit of taker notional) and
 *   uses only taker fills whose `touchBefore` is known.
 * - order_age covers the window's orders that closed (closedTime ≠ null); still-open orders are censored, not counted.
 * - Latency samples that are not finite are dropped; negative ones count as 0.
 * - mean_abs_position and final_abs_position start from the position the fills before the window built (runs start
 *   flat, so usually 0) and are absent without a fill in the window: a bot that never traded held no inventory, but it
 *   showed no inventory control either.
 *
 * No samples ⇒ `{absent: true, reason}`, never a default. Sums use Neumaier compensated summation.
 */
import type { FillRow, MetricName, MetricValue, Metrics, MidPoint, RunRecord } from './types.ts';

export const DEFAULT_MARKOUT_HORIZON_MS = 5000;

export interface MetricsOptions {
  /** Markout horizon H in ms (default 5000). */
  readonly markoutHorizonMs?: number;
}

export const METRIC_NAMES: readonly MetricName[] = [
  'quote_reaction_p50_ms',
  'quote_reaction_p95_ms',
  'unreacted_moves_pct',
  'quote_uptime_pct',
  'order_to_trade',
  'requests_per_s',
  'rejects_per_min',
  'net_bps',
  'spread_bps',
  'adverse_bps',
  'inventory_bps',
  'fees_bps',
  'slippage_bps',
  'taker_share_pct',
  'fill_rate',
  'order_age_p95_ms',
  'quote_cycle_p95_ms',
  'mean_abs_position',
  'final_abs_position',
];

/**
 * Where each metric comes from: the venue (its ledger and its view of the bot's traffic) or the bot (what the bot
 * exports). Every gate of the library scenarios reads venue metrics only.
 */
export const METRIC_SOURCE: Readonly<Record<MetricName, 'venue' | 'bot'>> = Object.fromEntries(
  METRIC_NAMES.map((n) => [n, n === 'quote_cycle_p95_ms' ? 'bot' : 'venue']),
) as Record<MetricName, 'venue' | 'bot'>;

/** A metric a gate may name: one of METRIC_NAMES, or rejects_per_min[<retCode>|postonly|http]. */
export function isMetricName(name: string): name is MetricName | `rejects_per_min[${string}]` {
  return (METRIC_NAMES as readonly string[]).includes(name) || /^rejects_per_min\[(\d{1,6}|postonly|http)\]$/.test(name);
}

/**
 * A metric's value from a report's metrics, also for a reject key the run did not list: when the run measured
 * rejects_per_min, a key it never saw had 0 rejects (over the same requests).
 */
export function metricOf(metrics: Metrics, name: string): MetricValue | undefined {
  const m = (metrics as Record<string, MetricValue | undefined>)[name];
  if (m !== undefined || !name.startsWith('rejects_per_min[')) return m;
  const all = metrics.rejects_per_min;
  return all === undefined || 'absent' in all ? all : { value: 0, samples: all.samples };
}

// ------------------------------------------------------------------------------------------------------------------
// Small numeric helpers

/** Neumaier compensated sum. */
export class Sum {
  private s = 0;
  private c = 0;
  add(x: number): void {
    const t = this.s + x;
    if (Math.abs(this.s) >= Math.abs(x)) this.c += this.s - t + x;
    else this.c += x - t + this.s;
    this.s = t;
  }
  get value(): number {
    return this.s + this.c;
  }
}

const absent = (reason: string): MetricValue => ({ absent: true, reason });
const present = (value: number, samples: number, what: string): MetricValue =>
  Number.isFinite(value) ? { value, samples } : absent(`${what} is not finite (${value})`);

export function isPresent(m: MetricValue | undefined): m is { readonly value: number; readonly samples: number } {
  return m !== undefined && !('absent' in m);
}

/** Ascending mid series (sorted copy only when the input is not already sorted). */
export class MidSeries {
  readonly times: Float64Array;
  readonly mids: Float64Array;
  constructor(points: readonly MidPoint[]) {
    let sorted = true;
    for (let i = 1; i < points.length; i++) if (points[i]!.time < points[i - 1]!.time) sorted = false;
    const pts = (sorted ? points : [...points].sort((a, b) => a.time - b.time)).filter((p) => Number.isFinite(p.mid) && Number.isFinite(p.time));
    this.times = Float64Array.from(pts, (p) => p.time);
    this.mids = Float64Array.from(pts, (p) => p.mid);
  }
  get length(): number {
    return this.times.length;
  }
  /** Index of the last point with time ≤ t (strict: time < t), or −1. */
  indexAtOrBefore(t: number, strict = false): number {
    let lo = 0;
    let hi = this.times.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const ok = strict ? this.times[mid]! < t : this.times[mid]! <= t;
      if (ok) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }
  /** The last mid with time ≤ t (strict: < t), or null. */
  at(t: number, strict = false): number | null {
    const i = this.indexAtOrBefore(t, strict);
    return i < 0 ? null : this.mids[i]!;
  }
}

// ------------------------------------------------------------------------------------------------------------------
// PnL decomposition (USDT), shared by computeMetrics and the report's PnL-over-time chart

/** One fill resolved for the decomposition: m (mid before) and where it came from. */
export interface ResolvedFill {
  readonly fill: FillRow;
  readonly m: number;
  readonly midFromSeries: boolean;
}

/** Resolves m_i for each fill (ledger midBefore, else the last series mid strictly before the fill). */
export function resolveFills(fills: readonly FillRow[], mids: MidSeries): { used: ResolvedFill[]; excluded: FillRow[] } {
  const used: ResolvedFill[] = [];
  const excluded: FillRow[] = [];
  for (const f of fills) {
    if (f.midBefore !== null && Number.isFinite(f.midBefore)) used.push({ fill: f, m: f.midBefore, midFromSeries: false });
    else {
      const m = mids.at(f.time, true);
      if (m === null) excluded.push(f);
      else used.push({ fill: f, m, midFromSeries: true });
    }
  }
  return { used, excluded };
}

/** m_i^H for a fill at `time` in a window ending at `end` (see the header for the edge cases). */
export function markoutMid(mids: MidSeries, time: number, m: number, horizonMs: number, end: number, finalMid: number): number {
  if (time + horizonMs > end) return finalMid;
  const h = mids.at(time + horizonMs);
  return h === null ? m : h;
}

export interface Decomposition {
  /** Σ s (m − p) q, USDT. */
  readonly spread: number;
  /** Σ s (m − m^H) q, USDT (positive = cost). */
  readonly adverse: number;
  /** Σ s (M − m^H) q, USDT. */
  readonly inventory: number;
  /** Σ f, USDT (positive = cost). */
  readonly fees: number;
  /** Σ s (M − p) q − Σ f, USDT, computed on its own (not from the parts). */
  readonly pnl: number;
  /** N = Σ p q over the fills used. */
  readonly turnover: number;
  /** Σ (|s(m−p)q| + |s(m−m^H)q| + |s(M−m^H)q| + |f|): the scale the identity's rounding is relative to. */
  readonly scale: number;
  readonly fillsUsed: number;
  /** Fills whose horizon went past the window end (m^H = M). */
  readonly horizonCapped: number;
  readonly finalMid: number;
}

/** The USDT decomposition of the resolved fills over a window ending at `end` with final mark `finalMid`. */
export function decompose(used: readonly ResolvedFill[], mids: MidSeries, horizonMs: number, end: number, finalMid: number): Decomposition {
  const spread = new Sum();
  const adverse = new Sum();
  const inventory = new Sum();
  const fees = new Sum();
  const pnl = new Sum();
  const turnover = new Sum();
  const scale = new Sum();
  let horizonCapped = 0;
  for (const { fill: f, m } of used) {
    const s = f.side;
    const q = f.qty;
    const mH = markoutMid(mids, f.time, m, horizonMs, end, finalMid);
    if (f.time + horizonMs > end) horizonCapped++;
    const sp = s * (m - f.price) * q;
    const ad = s * (m - mH) * q;
    const inv = s * (finalMid - mH) * q;
    spread.add(sp);
    adverse.add(ad);
    inventory.add(inv);
    fees.add(f.fee);
    pnl.add(s * (finalMid - f.price) * q);
    pnl.add(-f.fee);
    turnover.add(f.price * q);
    scale.add(Math.abs(sp) + Math.abs(ad) + Math.abs(inv) + Math.abs(f.fee));
  }
  return {
    spread: spread.value,
    adverse: adverse.value,
    inventory: inventory.value,
    fees: fees.value,
    pnl: pnl.value,
    turnover: turnover.value,
    scale: scale.value,
    fillsUsed: used.length,
    horizonCapped,
    finalMid,
  };
}

// ------------------------------------------------------------------------------------------------------------------
// Percentiles (HDR): scenarios/histogram.ts

import { MsHistogram, hdrPercentiles } from './histogram.ts';
import { conductMetrics, type ConductDetails } from './conduct.ts';

export { MsHistogram, hdrPercentiles };

// ------------------------------------------------------------------------------------------------------------------
// Metrics

/** Extra facts behind the metrics (for reports and debugging; not gated). */
export interface MetricDetails {
  readonly horizonMs: number;
  readonly fillsInWindow: number;
  readonly fillsUsed: number;
  /** Fills whose m_i came from the mid series because the ledger's midBefore was null. */
  readonly fillsMidFromSeries: number;
  /** Fills left out of the bps metrics: no midBefore and no earlier mid in the series. */
  readonly fillsExcluded: number;
  /** Fills whose markout horizon went past the window end (m^H = M). */
  readonly fillsHorizonCapped: number;
  readonly makerFills: number;
  readonly takerFills: number;
  /** Taker fills without a known touch (not in slippage_bps). */
  readonly takerFillsWithoutTouch: number;
  /** 100 × taker fills / fills, null without fills. */
  readonly takerShareByCountPct: number | null;
  /** USDT. Null when the decomposition is absent. */
  readonly usdt: { spread: number; adverse: number; inventory: number; fees: number; pnl: number; turnover: number } | null;
  readonly finalMid: number | null;
  /** Σ s q over the window's fills (base units): the position change. */
  readonly netPosition: number;
  readonly ordersInWindow: number;
  readonly closedOrders: number;
  readonly orderAgeMs: { p50: number | null; p95: number | null; p99: number | null; max: number | null };
  readonly quoteCycleMs: { count: number; p50: number | null; p95: number | null; p99: number | null; max: number | null };
  /** The venue-side facts (reaction latencies, rejects by key, ...); null for a run recorded without them. */
  readonly conduct: ConductDetails | null;
}

interface Computed {
  metrics: Metrics;
  details: MetricDetails;
}

function compute(run: RunRecord, opts: MetricsOptions = {}): Computed {
  const H = opts.markoutHorizonMs ?? DEFAULT_MARKOUT_HORIZON_MS;
  if (!(H >= 0) || !Number.isFinite(H)) throw new RangeError(`markoutHorizonMs must be a finite number ≥ 0, got ${H}`);
  const mids = new MidSeries(run.mids);
  const fills = run.fills.filter((f) => f.time >= run.start && f.time <= run.end);
  const finalMid = mids.at(run.end);

  // --- PnL decomposition ---
  const { used, excluded } = resolveFills(fills, mids);
  let bps: Record<'spread_bps' | 'adverse_bps' | 'inventory_bps' | 'fees_bps' | 'net_bps', MetricValue>;
  let dec: Decomposition | null = null;
  const allAbsent = (reason: string) => ({
    spread_bps: absent(reason),
    adverse_bps: absent(reason),
    inventory_bps: absent(reason),
    fees_bps: absent(reason),
    net_bps: absent(reason),
  });
  if (fills.length === 0) bps = allAbsent('no fills in the window');
  else if (finalMid === null) bps = allAbsent('no mid at or before the window end (M unknown)');
  else if (used.length === 0) bps = allAbsent(`no fill with a known mid before it (${excluded.length} fills excluded)`);
  else {
    dec = decompose(used, mids, H, run.end, finalMid);
    const N = dec.turnover;
    if (!(N > 0)) bps = allAbsent(`turnover N = ${N} is not positive`);
    else {
      const n = dec.fillsUsed;
      bps = {
        spread_bps: present((1e4 * dec.spread) / N, n, 'spread_bps'),
        adverse_bps: present((1e4 * dec.adverse) / N, n, 'adverse_bps'),
        inventory_bps: present((1e4 * dec.inventory) / N, n, 'inventory_bps'),
        fees_bps: present((1e4 * dec.fees) / N, n, 'fees_bps'),
        net_bps: present((1e4 * dec.pnl) / N, n, 'net_bps'),
      };
    }
  }

  // --- slippage and taker share ---
  const takers = fills.filter((f) => !f.isMaker);
  const withTouch = takers.filter((f) => f.touchBefore !== null && Number.isFinite(f.touchBefore));
  let slippage: MetricValue;
  if (fills.length === 0) slippage = absent('no fills in the window');
  else if (takers.length === 0) slippage = absent('no taker fills in the window');
  else if (withTouch.length === 0) slippage = absent(`no taker fill with a known touch (${takers.length} taker fills)`);
  else {
    const num = new Sum();
    const den = new Sum();
    for (const f of withTouch) {
      num.add(f.side * (f.price - f.touchBefore!) * f.qty);
      den.add(f.price * f.qty);
    }
    slippage = den.value > 0 ? present((1e4 * num.value) / den.value, withTouch.length, 'slippage_bps') : absent('taker turnover is not positive');
  }
  let takerShare: MetricValue;
  if (fills.length === 0) takerShare = absent('no fills in the window');
  else {
    const all = new Sum();
    const tk = new Sum();
    for (const f of fills) {
      all.add(f.price * f.qty);
      if (!f.isMaker) tk.add(f.price * f.qty);
    }
    takerShare = all.value > 0 ? present((100 * tk.value) / all.value, fills.length, 'taker_share_pct') : absent('turnover N is not positive');
  }

  // --- orders ---
  const orders = run.orders.filter((o) => o.createdTime >= run.start && o.createdTime <= run.end);
  let fillRate: MetricValue;
  if (orders.length === 0) fillRate = absent('no orders created in the window');
  else {
    const quoted = new Sum();
    const filled = new Sum();
    for (const o of orders) {
      quoted.add(o.qty);
      filled.add(o.filled);
    }
    fillRate = quoted.value > 0 ? present(filled.value / quoted.value, orders.length, 'fill_rate') : absent('quoted qty is not positive');
  }
  const closed = orders.filter((o) => o.closedTime !== null);
  const age = new MsHistogram();
  for (const o of closed) age.record(o.closedTime! - o.createdTime);
  const ageP = { p50: age.percentile(50), p95: age.percentile(95), p99: age.percentile(99), max: age.max() };
  const ageCount = age.count;
  age.destroy();
  const orderAge: MetricValue =
    ageP.p95 === null
      ? absent(orders.length === 0 ? 'no orders created in the window' : `no order closed (${orders.length} still open)`)
      : present(ageP.p95, ageCount, 'order_age_p95_ms');

  // --- quote cycle ---
  const qc = new MsHistogram();
  for (const v of run.quoteCycleMs) qc.record(v);
  const qcP = { count: qc.count, p50: qc.percentile(50), p95: qc.percentile(95), p99: qc.percentile(99), max: qc.max() };
  qc.destroy();
  const quoteCycle: MetricValue = qcP.p95 === null ? absent(run.quoteCycleAbsent ?? 'no quote-cycle samples') : present(qcP.p95, qcP.count, 'quote_cycle_p95_ms');

  const conduct = conductMetrics(run.view, run.start, run.end, run.view?.endMono ?? Infinity, fills.length);
  const metrics: Metrics = {
    ...(conduct.metrics as Pick<Metrics, 'quote_reaction_p50_ms' | 'quote_reaction_p95_ms' | 'unreacted_moves_pct' | 'quote_uptime_pct' | 'order_to_trade' | 'requests_per_s' | 'rejects_per_min'>),
    ...bps,
    ...positionMetrics(run, fills.length),
    slippage_bps: slippage,
    taker_share_pct: takerShare,
    fill_rate: fillRate,
    order_age_p95_ms: orderAge,
    quote_cycle_p95_ms: quoteCycle,
  };
  const netPos = new Sum();
  for (const f of fills) netPos.add(f.side * f.qty);
  const details: MetricDetails = {
    horizonMs: H,
    fillsInWindow: fills.length,
    fillsUsed: used.length,
    fillsMidFromSeries: used.filter((u) => u.midFromSeries).length,
    fillsExcluded: excluded.length,
    fillsHorizonCapped: dec?.horizonCapped ?? 0,
    makerFills: fills.length - takers.length,
    takerFills: takers.length,
    takerFillsWithoutTouch: takers.length - withTouch.length,
    takerShareByCountPct: fills.length === 0 ? null : (100 * takers.length) / fills.length,
    usdt: dec && { spread: dec.spread, adverse: dec.adverse, inventory: dec.inventory, fees: dec.fees, pnl: dec.pnl, turnover: dec.turnover },
    finalMid,
    netPosition: netPos.value,
    ordersInWindow: orders.length,
    closedOrders: closed.length,
    orderAgeMs: ageP,
    quoteCycleMs: qcP,
    conduct: conduct.details,
  };
  return { metrics, details };
}

/**
 * Time-weighted mean |position| over [start, end], and |position| at the end: the position is a step function of the
 * fills (in time order; the ledger's order breaks ties), each step held until the next fill or the end of the window.
 */
function positionMetrics(run: RunRecord, fillsInWindow: number): Pick<Metrics, 'mean_abs_position' | 'final_abs_position'> {
  const span = run.end - run.start;
  const none = fillsInWindow === 0 ? 'no fills in the window' : span > 0 ? undefined : `window length ${span} ms is not positive`;
  if (none !== undefined) return { mean_abs_position: absent(none), final_abs_position: absent(none) };
  const sorted = [...run.fills].sort((a, b) => a.time - b.time);
  const pos = new Sum();
  let t = run.start;
  const area = new Sum();
  for (const f of sorted) {
    if (f.time > run.end) break;
    if (f.time > t) {
      area.add(Math.abs(pos.value) * (f.time - t));
      t = f.time;
    }
    pos.add(f.side * f.qty);
  }
  area.add(Math.abs(pos.value) * (run.end - t));
  return {
    mean_abs_position: present(area.value / span, fillsInWindow, 'mean_abs_position'),
    final_abs_position: present(Math.abs(pos.value), fillsInWindow, 'final_abs_position'),
  };
}

/** Every metric of DESIGN §4, and the two position metrics, over the run's window. */
export function computeMetrics(run: RunRecord, opts?: MetricsOptions): Metrics {
  return compute(run, opts).metrics;
}

/** The facts behind the metrics: taker share by count, excluded fills, USDT sums, p50/p99, ... */
export function metricDetails(run: RunRecord, opts?: MetricsOptions): MetricDetails {
  return compute(run, opts).details;
}

/** Both at once (one pass). */
export function computeMetricsWithDetails(run: RunRecord, opts?: MetricsOptions): { metrics: Metrics; details: MetricDetails } {
  return compute(run, opts);
}
