/**
 * report.html: one self-contained file (inline CSS and SVG; no script, no external URL) with the verdict, the bot under
 * test, the gates (failed first), the metrics (each with its source: venue or bot), and six time charts, each with
 * the fault windows shaded:
 *   1. price: the venue mid, the bot's bid/ask quotes, its fills (▲ buy, ▼ sell);
 *   2. inventory: Σ s_i q_i from the window's fills (the position change since the window start), ± the bot's limit;
 *   3. PnL decomposition over expanding windows [start, t] in USDT, with DESIGN §4's definitions (window end = t):
 *      spread, −adverse, inventory, −fees and net = their sum (= PnL). At t = end they are the bps metrics × N / 1e4;
 *   4. quote reaction (venue side): each judged mid move at its time with the delay until the venue received the bot's
 *      next order action on the symbol (scenarios/conduct.ts); unreacted moves as crosses at the horizon; a rolling
 *      P95 (one HDR histogram per window) when there are enough reacted moves;
 *   5. rejects by code (venue side): rejects per key per time bucket (1 s, longer for long runs: at most ~120 buckets),
 *      from the venue's record of the bot's requests and the PostOnly orders it cancelled ('postonly');
 *   6. quote cycle (bot side, self-reported): p50/p95/p99 over rolling windows (HDR). Needs timestamped samples
 *      (ReportExtras.quoteCycleSeries); RunRecord.quoteCycleMs has none, so without them the chart is over the sample
 *      index.
 * A run recorded before the venue-side view (no RunRecord.view) still renders: charts 4 and 5 say 'not recorded'.
 * Series are downsampled (min/max per pixel bucket) and markers thinned so a 10-minute run stays a few hundred KB.
 */
import { failedFirst } from '../gates.ts';
import { reactions, type ReactionStats } from '../conduct.ts';
import { DEFAULT_MARKOUT_HORIZON_MS, MidSeries, MsHistogram, Sum, computeMetricsWithDetails, isPresent, resolveFills, type MetricDetails } from '../metrics.ts';
import type { FaultWindow, MetricValue, RunRecord, ScenarioReport } from '../types.ts';
import { downsample, svgChart, thin, type Band, type MarkerSet, type Pt } from './svg.ts';
import {
  compareRejectKeys,
  escapeXml as x,
  fmtDuration,
  fmtMetric,
  fmtNum,
  gateColumns,
  metricNote,
  metricSource,
  metricUnit,
  rejectKeyLabel,
  reportMetricNames,
} from './util.ts';

export interface ReportExtras {
  /** Markout horizon used for the metrics (default 5000 ms). */
  readonly markoutHorizonMs?: number;
  /** Quote-cycle samples with the time they completed (venue clock ms), for the latency-over-time chart. */
  readonly quoteCycleSeries?: readonly { readonly time: number; readonly ms: number }[];
}

const BUCKETS = 480;
const MAX_MARKERS = 600;
const PNL_POINTS = 400;

// ------------------------------------------------------------------------------------------------------------------
// Series (exported for tests)

export interface PnlPoint {
  readonly time: number;
  readonly spread: number;
  readonly adverse: number;
  readonly inventory: number;
  readonly fees: number;
  readonly pnl: number;
}

/**
 * The USDT decomposition over expanding windows [start, t] for `points` times t evenly spread over the window (the
 * last one = end), computed incrementally: a fill with t_i + H ≤ t has its markout mid fixed; one with t_i + H > t
 * is marked at M_t (the window-end rule of metrics.ts). Times before the first mid are skipped.
 */
export function pnlOverTime(run: RunRecord, horizonMs = DEFAULT_MARKOUT_HORIZON_MS, points = PNL_POINTS): PnlPoint[] {
  const mids = new MidSeries(run.mids);
  const fills = run.fills.filter((f) => f.time >= run.start && f.time <= run.end);
  const used = resolveFills(fills, mids).used.sort((a, b) => a.fill.time - b.fill.time);
  const mH = used.map((u) => mids.at(u.fill.time + horizonMs) ?? u.m);
  const out: PnlPoint[] = [];
  const spread = new Sum();
  const fees = new Sum();
  const sq = new Sum(); // Σ s q (included)
  const sqm = new Sum(); // Σ s q m (included)
  const sqp = new Sum(); // Σ s q p (included)
  const advMat = new Sum(); // Σ s q (m − mH) (matured)
  const sqMat = new Sum(); // Σ s q (matured)
  const sqmMat = new Sum(); // Σ s q m (matured)
  const sqmHMat = new Sum(); // Σ s q mH (matured)
  let a = 0;
  let b = 0;
  const n = Math.max(2, points);
  for (let k = 0; k < n; k++) {
    const t = k === n - 1 ? run.end : run.start + ((run.end - run.start) * k) / (n - 1);
    while (a < used.length && used[a]!.fill.time <= t) {
      const { fill: f, m } = used[a]!;
      const s = f.side * f.qty;
      spread.add(f.side * (m - f.price) * f.qty);
      fees.add(f.fee);
      sq.add(s);
      sqm.add(s * m);
      sqp.add(s * f.price);
      a++;
    }
    while (b < a && used[b]!.fill.time + horizonMs <= t) {
      const { fill: f, m } = used[b]!;
      const s = f.side * f.qty;
      advMat.add(f.side * (m - mH[b]!) * f.qty);
      sqMat.add(s);
      sqmMat.add(s * m);
      sqmHMat.add(s * mH[b]!);
      b++;
    }
    const M = mids.at(t);
    if (M === null) continue;
    const adverse = advMat.value + (sqm.value - sqmMat.value) - M * (sq.value - sqMat.value);
    const inventory = M * sqMat.value - sqmHMat.value;
    const pnl = M * sq.value - sqp.value - fees.value;
    out.push({ time: t, spread: spread.value, adverse, inventory, fees: fees.value, pnl });
  }
  return out;
}

/** Σ s q after each fill of the window (a step series starting at 0 at the window start). */
export function inventoryOverTime(run: RunRecord): { time: number; position: number }[] {
  const fills = run.fills.filter((f) => f.time >= run.start && f.time <= run.end).sort((p, q) => p.time - q.time);
  const pos = new Sum();
  const out = [{ time: run.start, position: 0 }];
  for (const f of fills) {
    pos.add(f.side * f.qty);
    out.push({ time: f.time, position: pos.value });
  }
  out.push({ time: run.end, position: pos.value });
  return out;
}

export interface LatencyWindow {
  /** Window centre: a time (ms) with timestamped samples, else a sample index. */
  readonly x: number;
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

/**
 * Rolling-window quote-cycle percentiles from one HDR histogram per window. Timestamped samples: windows of
 * max(1 s, span / 60), sliding by half a window. Plain samples: windows of max(20, n / 60) samples, sliding by half.
 */
export function latencyOverTime(run: RunRecord, series?: ReportExtras['quoteCycleSeries']): { byTime: boolean; windows: LatencyWindow[] } {
  const h = new MsHistogram();
  const windows: LatencyWindow[] = [];
  const flush = (xc: number) => {
    if (h.count > 0) windows.push({ x: xc, count: h.count, p50: h.percentile(50)!, p95: h.percentile(95)!, p99: h.percentile(99)! });
    h.reset();
  };
  try {
    if (series && series.length > 0) {
      const s = [...series].filter((p) => p.time >= run.start && p.time <= run.end).sort((p, q) => p.time - q.time);
      const w = Math.max(1000, (run.end - run.start) / 60);
      let lo = 0;
      for (let t0 = run.start; t0 < run.end; t0 += w / 2) {
        while (lo < s.length && s[lo]!.time < t0) lo++;
        for (let i = lo; i < s.length && s[i]!.time < t0 + w; i++) h.record(s[i]!.ms);
        flush(Math.min(run.end, t0 + w / 2));
      }
      return { byTime: true, windows };
    }
    const v = run.quoteCycleMs;
    const w = Math.max(20, Math.ceil(v.length / 60));
    for (let i0 = 0; i0 < v.length; i0 += Math.ceil(w / 2)) {
      for (let i = i0; i < Math.min(v.length, i0 + w); i++) h.record(v[i]!);
      flush(i0 + Math.min(w, v.length - i0) / 2);
      if (i0 + w >= v.length) break;
    }
    return { byTime: false, windows };
  } finally {
    h.destroy();
  }
}

/** Not recorded: a run from before the venue-side view. */
export const NOT_RECORDED = 'not recorded (a run from before the venue-side metrics)';

export interface ReactionChartData {
  readonly stats: ReactionStats;
  readonly thresholdBps: number;
  readonly horizonMs: number;
  /** Rolling P95 of the reacted moves' latencies (window centre, ms); empty when there are too few of them. */
  readonly p95: readonly { readonly time: number; readonly p95: number; readonly count: number }[];
  /** Rolling window length (ms). */
  readonly windowMs: number;
}

/** Fewest reacted moves for a rolling P95 line, and fewest in one window for a point of it. */
const ROLLING_MIN_TOTAL = 20;
const ROLLING_MIN_WINDOW = 5;

/**
 * The quote-reaction chart's data: the judged moves from `details.conduct` when given, else recomputed from run.view
 * with conduct.ts's reactions(); null when the run has no view. The rolling P95 uses windows of max(1 s, span / 40)
 * sliding by half a window, one HDR histogram each, over reacted moves only (as quote_reaction_p95_ms); a window
 * with fewer than 5 reacted moves has no point, and with fewer than 20 reacted moves in all there is no line.
 */
export function reactionOverTime(run: RunRecord, details?: MetricDetails | null): ReactionChartData | null {
  const view = run.view;
  if (view === undefined) return null;
  const stats = details?.conduct?.reaction ?? reactions(view, run.start, run.end, view.endMono);
  const reacted = stats.series.filter((p): p is { time: number; ms: number; via: 'ws' | 'venue' } => p.ms !== null).sort((a, b) => a.time - b.time);
  const windowMs = Math.max(1000, (run.end - run.start) / 40);
  const p95: { time: number; p95: number; count: number }[] = [];
  if (reacted.length >= ROLLING_MIN_TOTAL) {
    const h = new MsHistogram();
    try {
      let lo = 0;
      for (let t0 = run.start; t0 < run.end; t0 += windowMs / 2) {
        while (lo < reacted.length && reacted[lo]!.time < t0) lo++;
        for (let i = lo; i < reacted.length && reacted[i]!.time < t0 + windowMs; i++) h.record(reacted[i]!.ms);
        if (h.count >= ROLLING_MIN_WINDOW) p95.push({ time: Math.min(run.end, t0 + windowMs / 2), p95: h.percentile(95)!, count: h.count });
        h.reset();
      }
    } finally {
      h.destroy();
    }
  }
  return { stats, thresholdBps: view.thresholdBps, horizonMs: view.horizonMs, p95, windowMs };
}

export interface RejectsChartData {
  /** Bucket length (ms): 1 s, or whole seconds so that the window has at most ~120 buckets. */
  readonly bucketMs: number;
  /** Bucket start times (venue clock ms). */
  readonly starts: readonly number[];
  /** One row per key that occurred in the window (retCodes numerically, then postonly / http), counts per bucket. */
  readonly keys: readonly { readonly key: string; readonly counts: readonly number[]; readonly total: number }[];
}

const MAX_REJECT_BUCKETS = 120;

/**
 * Rejects per key per time bucket over the window: each reject key of each request of run.view (a refused request,
 * each refused item of a batch, "http"), and each PostOnly order the venue cancelled as 'postonly'. Null without a view.
 */
export function rejectsOverTime(run: RunRecord): RejectsChartData | null {
  const view = run.view;
  if (view === undefined) return null;
  const span = Math.max(0, run.end - run.start);
  const bucketMs = Math.max(1000, Math.ceil(span / MAX_REJECT_BUCKETS / 1000) * 1000);
  const n = Math.max(1, Math.ceil(span / bucketMs));
  const starts = Array.from({ length: n }, (_, b) => run.start + b * bucketMs);
  const rows = new Map<string, number[]>();
  const add = (key: string, t: number) => {
    if (!(t >= run.start && t <= run.end)) return;
    let row = rows.get(key);
    if (!row) rows.set(key, (row = new Array<number>(n).fill(0)));
    row[Math.min(n - 1, Math.floor((t - run.start) / bucketMs))]!++;
  };
  for (const q of view.requests) for (const k of q.rejects) add(k, q.time);
  for (const t of view.postOnlyCancels) add('postonly', t);
  const keys = [...rows.entries()]
    .sort(([a], [b]) => compareRejectKeys(a, b))
    .map(([key, counts]) => ({ key, counts, total: counts.reduce((a, c) => a + c, 0) }));
  return { bucketMs, starts, keys };
}

// ------------------------------------------------------------------------------------------------------------------
// Page

const CSS = `body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1000px;color:#222;padding:0 12px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 6px}.sub{color:#555;margin:0 0 14px}
.badge{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;font-weight:600;margin-right:8px}
.pass{background:#1a7f37}.fail{background:#cf222e}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #e5e5e5;padding:4px 8px;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}tr.bad td{background:#fff1f0}.v-pass{color:#1a7f37}.v-fail{color:#cf222e;font-weight:600}
svg.chart{display:block;margin:4px 0 2px;font-family:inherit}.note{color:#666;font-size:12px;margin:2px 0 10px}ul.notes{color:#555;font-size:12px}
p.bot{margin:0 0 4px}code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f3f3f3;padding:1px 4px;border-radius:3px;word-break:break-all}
.cwd{color:#666;font-size:12px}td.src-bot{color:#8250df;font-weight:600}td.src-venue{color:#555}`;

function faultBands(run: RunRecord, toX: (t: number) => number): Band[] {
  return run.faults.map((f: FaultWindow) => ({ x0: toX(f.start), x1: toX(f.end), label: `${f.kind}: ${f.name} (${fmtNum((f.start - run.start) / 1000, 4)}–${fmtNum((f.end - run.start) / 1000, 4)} s)` }));
}

/** The whole report.html. `details` is recomputed from the run when not given. */
export function reportHtml(report: ScenarioReport, run: RunRecord, extras: ReportExtras = {}, details?: MetricDetails): string {
  const H = extras.markoutHorizonMs ?? DEFAULT_MARKOUT_HORIZON_MS;
  const det = details ?? computeMetricsWithDetails(run, { markoutHorizonMs: H }).details;
  const t0 = run.start;
  const toX = (t: number) => (t - t0) / 1000;
  const x0 = 0;
  const x1 = Math.max(toX(run.end), 1e-3);
  const bands = faultBands(run, toX);
  const xTick = (v: number) => `${fmtNum(v, 4)}`;
  const xLabel = 'seconds since the window start';
  const notes: string[] = [];
  const charts: string[] = [];

  // 1. price
  {
    const midPts: Pt[] = run.mids.filter((m) => m.time >= run.start && m.time <= run.end).map((m) => [toX(m.time), m.mid]);
    const qs = [...run.quotes].filter((q) => q.time >= run.start && q.time <= run.end).sort((a, b) => a.time - b.time);
    const bid: Pt[] = qs.map((q) => [toX(q.time), q.bid]);
    const ask: Pt[] = qs.map((q) => [toX(q.time), q.ask]);
    const fills = run.fills.filter((f) => f.time >= run.start && f.time <= run.end);
    const tip = (f: (typeof fills)[number]) =>
      `${f.side > 0 ? 'buy' : 'sell'} ${fmtNum(f.qty)} @ ${fmtNum(f.price, 8)} ${f.isMaker ? 'maker' : 'taker'} t=${fmtNum(toX(f.time), 6)} s`;
    const buys = fills.filter((f) => f.side > 0);
    const sells = fills.filter((f) => f.side < 0);
    const tb = thin(buys, MAX_MARKERS);
    const ts = thin(sells, MAX_MARKERS);
    if (tb.length < buys.length || ts.length < sells.length) notes.push(`Price chart: showing ${tb.length + ts.length} of ${fills.length} fill markers (evenly thinned).`);
    if (midPts.length > BUCKETS * 4 || bid.length > BUCKETS * 4) notes.push(`Price chart: mid and quote series downsampled to min/max per ${fmtNum(x1 / BUCKETS, 3)} s bucket.`);
    charts.push(
      section(
        'Price, quotes and fills',
        svgChart({
          id: 'price',
          title: 'Price, quotes and fills',
          yLabel: 'price (USDT)',
          x0,
          x1,
          xLabel,
          xTick,
          bands,
          series: [
            { label: 'mid', color: '#444', points: downsample(midPts, BUCKETS, x0, x1), step: true, width: 1.4 },
            { label: 'bot bid', color: '#1a7f37', points: downsample(bid, BUCKETS, x0, x1), step: true, width: 1 },
            { label: 'bot ask', color: '#cf222e', points: downsample(ask, BUCKETS, x0, x1), step: true, width: 1 },
          ],
          markers: [
            { label: 'buy fill', color: '#0a5cd6', shape: 'up', points: tb.map((f) => ({ x: toX(f.time), y: f.price, tip: tip(f) })) },
            { label: 'sell fill', color: '#e36209', shape: 'down', points: ts.map((f) => ({ x: toX(f.time), y: f.price, tip: tip(f) })) },
          ],
          emptyText: 'no mid, quote or fill in the window',
        }),
      ),
    );
  }

  // 2. inventory
  {
    const inv = inventoryOverTime(run);
    const pts: Pt[] = inv.map((p) => [toX(p.time), p.position]);
    const lim = run.safety.positionLimit;
    const hasLim = Number.isFinite(lim) && lim > 0;
    charts.push(
      section(
        'Inventory',
        svgChart({
          id: 'inventory',
          title: 'Inventory',
          yLabel: 'position change (base)',
          x0,
          x1,
          xLabel,
          xTick,
          bands,
          series: [{ label: 'Σ s·q of fills', color: '#6f42c1', points: downsample(pts, BUCKETS, x0, x1), step: true, width: 1.5 }],
          hlines: hasLim
            ? [
                { y: lim, label: `+limit ${fmtNum(lim)}`, color: '#cf222e' },
                { y: -lim, label: `−limit`, color: '#cf222e' },
              ]
            : [],
          emptyText: 'no fills',
        }),
        `From the window's fills, starting at 0 (a position held before the window is not included). Max |position| reported by the run: ${fmtNum(run.safety.maxAbsPosition)}.`,
      ),
    );
  }

  // 3. PnL decomposition
  {
    const pnl = pnlOverTime(run, H);
    const p = (f: (q: PnlPoint) => number): Pt[] => pnl.map((q) => [toX(q.time), f(q)]);
    charts.push(
      section(
        'PnL decomposition (cumulative, USDT)',
        svgChart({
          id: 'pnl',
          title: 'PnL decomposition',
          yLabel: 'USDT',
          x0,
          x1,
          xLabel,
          xTick,
          bands,
          series: [
            { label: 'spread', color: '#1a7f37', points: p((q) => q.spread) },
            { label: '−adverse', color: '#cf222e', points: p((q) => -q.adverse) },
            { label: 'inventory', color: '#0a5cd6', points: p((q) => q.inventory) },
            { label: '−fees', color: '#8250df', points: p((q) => -q.fees) },
            { label: 'net', color: '#111', points: p((q) => q.pnl), width: 2.2 },
          ],
          hlines: [{ y: 0, label: 'zero', color: '#999' }],
          emptyText: 'no fills with a known mid',
        }),
        `At each t, DESIGN §4 over the window [start, t] with M = mid at t and markout horizon ${fmtNum(H)} ms (a fill younger than the horizon is marked at M). net = spread − adverse + inventory − fees.`,
      ),
    );
  }

  // 4. quote reaction (venue side)
  const reaction = reactionOverTime(run, det);
  {
    let svg: string;
    let note: string;
    if (reaction === null) {
      svg = emptyChart('reaction', 'Quote reaction (venue side)', 'ms', x0, x1, xLabel, xTick, bands, NOT_RECORDED);
      note = 'The run recorded no venue-side view of the bot, so there are no moves to judge.';
    } else {
      const { stats: r, horizonMs: hz } = reaction;
      const tipOf = (p: ReactionStats['series'][number]) =>
        `t=${fmtNum(toX(p.time), 6)} s: ${p.ms === null ? `unreacted (no order action within ${fmtNum(hz)} ms)` : `reacted in ${fmtNum(p.ms, 4)} ms`}${p.via === 'venue' ? ', move seen at the venue (no book stream)' : ''}`;
      const inWin = r.series.filter((p) => p.time >= run.start && p.time <= run.end);
      const sets: { label: string; color: string; shape: MarkerSet['shape']; pts: ReactionStats['series'][number][]; y: (p: ReactionStats['series'][number]) => number }[] = [
        { label: 'reacted', color: '#0a5cd6', shape: 'dot', pts: inWin.filter((p) => p.ms !== null && p.via === 'ws'), y: (p) => p.ms! },
        { label: 'reacted (no book stream)', color: '#8250df', shape: 'dot', pts: inWin.filter((p) => p.ms !== null && p.via === 'venue'), y: (p) => p.ms! },
        { label: 'unreacted (at the horizon)', color: '#cf222e', shape: 'cross', pts: inWin.filter((p) => p.ms === null), y: () => hz },
      ];
      const total = inWin.length;
      let shown = 0;
      const markers: MarkerSet[] = sets
        .filter((m) => m.pts.length > 0)
        .map((m) => {
          const kept = thin(m.pts, Math.max(1, Math.floor((MAX_MARKERS * m.pts.length) / total)));
          shown += kept.length;
          return { label: m.label, color: m.color, shape: m.shape, points: kept.map((p) => ({ x: toX(p.time), y: m.y(p), tip: tipOf(p) })) };
        });
      if (shown < total) notes.push(`Quote reaction chart: showing ${shown} of ${total} moves (evenly thinned per kind).`);
      const empty =
        r.moves === 0
          ? `no mid move of ${fmtNum(reaction.thresholdBps)} bps or more in the window`
          : total === 0
            ? `every move's horizon ran past the window end (${r.censored} censored)`
            : 'no judged move';
      svg = svgChart({
        id: 'reaction',
        title: 'Quote reaction (venue side)',
        yLabel: 'ms to the next order action',
        x0,
        x1,
        xLabel,
        xTick,
        bands,
        series: reaction.p95.length > 0 ? [{ label: 'rolling p95', color: '#bf8700', points: reaction.p95.map((w) => [toX(w.time), w.p95]), width: 1.8 }] : [],
        markers,
        // The horizon line only when unreacted moves sit on it (else it would squash the reacted latencies).
        hlines: r.unreacted > 0 ? [{ y: hz, label: `horizon ${fmtNum(hz)} ms`, color: '#999' }] : [],
        yInclude: [0],
        emptyText: empty,
      });
      const judged = r.reacted + r.unreacted;
      const viaVenue = r.series.filter((p) => p.via === 'venue').length;
      const pct = (v: number | null) => (v === null ? '–' : fmtNum(v, 4));
      note =
        `Each point is a mid move of ${fmtNum(reaction.thresholdBps)} bps or more, at the time the venue wrote it to the bot, with the delay (venue monotonic clock) until the venue received the bot's next order action on the symbol. ` +
        `n = ${judged} judged moves: ${r.reacted} reacted, ${r.unreacted} unreacted (no action within ${fmtNum(hz)} ms)${judged > 0 ? ` = ${fmtNum((100 * r.unreacted) / judged, 4)} %` : ''}; ${r.censored} censored (horizon past the window end, not judged)` +
        `${viaVenue > 0 ? `; ${viaVenue} seen at the venue while the bot had no book stream` : ''}. ` +
        `Latency p50 / p95 / p99 / max: ${pct(r.p50)} / ${pct(r.p95)} / ${pct(r.p99)} / ${pct(r.max)} ms (HDR, reacted moves only). ` +
        (reaction.p95.length > 0
          ? `Rolling p95: windows of ${fmtNum(reaction.windowMs / 1000, 3)} s sliding by half, each from one HDR histogram (windows with fewer than ${ROLLING_MIN_WINDOW} reacted moves are left out).`
          : `No rolling p95: fewer than ${ROLLING_MIN_TOTAL} reacted moves.`);
    }
    charts.push(section('Quote reaction (venue side)', svg, note));
  }

  // 5. rejects by code (venue side)
  const rejects = rejectsOverTime(run);
  {
    let svg: string;
    let note: string;
    if (rejects === null) {
      svg = emptyChart('rejects', 'Rejects by code', 'rejects', x0, x1, xLabel, xTick, bands, NOT_RECORDED);
      note = "The run recorded no venue-side view of the bot's requests.";
    } else {
      const per = rejects.bucketMs === 1000 ? 'second' : `${fmtNum(rejects.bucketMs / 1000)} s`;
      svg = svgChart({
        id: 'rejects',
        title: 'Rejects by code',
        yLabel: `rejects per ${per}`,
        x0,
        x1,
        xLabel,
        xTick,
        bands,
        series: rejects.keys.map((k, i) => ({
          label: `${rejectKeyLabel(k.key)} (${k.total})`,
          color: PALETTE[i % PALETTE.length]!,
          points: k.counts.map((c, b): Pt => [toX(rejects.starts[b]!), c]),
          step: true,
          width: 1.5,
        })),
        yInclude: [0],
        emptyText: 'no rejects',
      });
      const total = rejects.keys.reduce((a, k) => a + k.total, 0);
      note =
        `Rejects per ${per} by key, as the venue answered the bot: a refused request counts once per retCode, a batch once per refused item; "http" is an answer without a Bybit envelope; "postonly" a PostOnly order the venue cancelled. ` +
        (total === 0 ? `No reject in ${det.conduct?.requests ?? 0} requests.` : `Total ${total}: ${rejects.keys.map((k) => `${k.key} ${k.total}`).join(', ')}.`);
    }
    charts.push(section('Rejects by code (venue side)', svg, note));
  }

  // 6. quote cycle (bot side)
  {
    const { byTime: timed, windows } = latencyOverTime(run, extras.quoteCycleSeries);
    // Without any sample the frame is over time (with the fault windows), like the other charts.
    const byTime = timed || windows.length === 0;
    const xs = (w: LatencyWindow) => (byTime ? toX(w.x) : w.x);
    const lx1 = byTime ? x1 : Math.max(1, run.quoteCycleMs.length);
    const qc = report.metrics.quote_cycle_p95_ms as MetricValue | undefined;
    const why = qc !== undefined && !isPresent(qc) ? qc.reason : undefined;
    const empty = why === undefined || /^no quote-cycle samples/.test(why) ? (why ?? 'no quote-cycle samples') : `no quote-cycle samples: ${why}`;
    charts.push(
      section(
        'Quote cycle (bot side, self-reported)',
        svgChart({
          id: 'latency',
          title: 'Quote cycle (bot side, self-reported)',
          yLabel: 'ms',
          x0: 0,
          x1: lx1,
          xLabel: byTime ? xLabel : 'quote-cycle sample # (the run has no sample timestamps)',
          xTick: (v) => fmtNum(v, 4),
          bands: byTime ? bands : [],
          series: [
            { label: 'p50', color: '#1a7f37', points: windows.map((w) => [xs(w), w.p50]) },
            { label: 'p95', color: '#bf8700', points: windows.map((w) => [xs(w), w.p95]), width: 1.8 },
            { label: 'p99', color: '#cf222e', points: windows.map((w) => [xs(w), w.p99]) },
          ],
          emptyText: empty.length > 120 ? `${empty.slice(0, 119)}…` : empty,
        }),
        (windows.length === 0
          ? `No samples: ${why ?? 'the run recorded no quote-cycle latency'}. `
          : byTime
            ? `Rolling windows of ${fmtNum(Math.max(1000, (run.end - run.start) / 60) / 1000, 3)} s, sliding by half a window; each from one HDR histogram. `
            : 'Rolling windows over the sample sequence (no timestamps were recorded, so fault windows cannot be placed); each from one HDR histogram. ') +
          "The bot's own measurement of its quote cycle (what it exports); the venue-side quote reaction above needs nothing from the bot.",
      ),
    );
  }

  if (det.fillsExcluded > 0) notes.push(`${det.fillsExcluded} fill(s) had no mid before them and are left out of the bps metrics.`);
  if (det.fillsMidFromSeries > 0) notes.push(`${det.fillsMidFromSeries} fill(s) had no ledger midBefore; the last mid before them stood in.`);
  if (det.fillsHorizonCapped > 0) notes.push(`${det.fillsHorizonCapped} fill(s) were younger than the markout horizon at the window end: marked at the final mid.`);
  if (det.takerFillsWithoutTouch > 0) notes.push(`${det.takerFillsWithoutTouch} taker fill(s) had no known touch and are not in slippage_bps.`);

  const failed = report.gates.filter((g) => !g.pass).length;
  const gateRows = failedFirst(report.gates)
    .map((g) => {
      const { value, threshold } = gateColumns(g);
      return `<tr class="${g.pass ? '' : 'bad'}"><td>${x(g.name)}</td><td class="num">${x(value)}</td><td>${x(threshold)}</td><td class="${g.pass ? 'v-pass' : 'v-fail'}">${g.pass ? 'pass' : 'FAIL'}</td><td>${x(g.detail)}</td></tr>`;
    })
    .join('\n');
  const metricTable = report.metrics as Readonly<Record<string, MetricValue | undefined>>;
  const metricRows = reportMetricNames(report.metrics)
    .map((n) => {
      const m = metricTable[n];
      const src = metricSource(n);
      return `<tr><td>${x(n)}</td><td class="src-${src}">${src}</td><td class="num">${x(fmtMetric(m))}</td><td>${x(metricUnit(n))}</td><td>${x(metricNote(m))}</td></tr>`;
    })
    .join('\n');
  const cd = det.conduct;
  const span = run.end - run.start;
  const exit = run.safety.botExit;
  const facts: [string, string][] = [
    ['fills (maker / taker)', `${det.fillsInWindow} (${det.makerFills} / ${det.takerFills})`],
    ['taker share by count', det.takerShareByCountPct === null ? 'absent' : `${fmtNum(det.takerShareByCountPct, 4)} %`],
    ['turnover N', det.usdt ? `${fmtNum(det.usdt.turnover, 8)} USDT` : 'absent'],
    ['PnL (spread − adverse + inventory − fees)', det.usdt ? `${fmtNum(det.usdt.pnl, 6)} = ${fmtNum(det.usdt.spread, 6)} − ${fmtNum(det.usdt.adverse, 6)} + ${fmtNum(det.usdt.inventory, 6)} − ${fmtNum(det.usdt.fees, 6)} USDT` : 'absent'],
    ['final mid M', det.finalMid === null ? 'absent' : fmtNum(det.finalMid, 8)],
    ['orders (closed)', `${det.ordersInWindow} (${det.closedOrders})`],
    ['order age p50 / p95 / p99 / max', [det.orderAgeMs.p50, det.orderAgeMs.p95, det.orderAgeMs.p99, det.orderAgeMs.max].map((v) => (v === null ? '–' : fmtNum(v, 4))).join(' / ') + ' ms'],
    ['quote cycle p50 / p95 / p99 / max', [det.quoteCycleMs.p50, det.quoteCycleMs.p95, det.quoteCycleMs.p99, det.quoteCycleMs.max].map((v) => (v === null ? '–' : fmtNum(v, 4))).join(' / ') + ` ms (${det.quoteCycleMs.count} samples)`],
    ['markout horizon', `${fmtNum(H)} ms`],
    ['bot requests / order actions (venue)', cd ? `${cd.requests} requests, ${cd.orderActions} order actions` : NOT_RECORDED],
    ['both sides resting (venue)', cd ? `${fmtDuration(cd.twoSidedMs)} of ${fmtDuration(span)}` : NOT_RECORDED],
    [
      'quote reaction p50 / p95 / p99 / max (venue)',
      reaction
        ? [reaction.stats.p50, reaction.stats.p95, reaction.stats.p99, reaction.stats.max].map((v) => (v === null ? '–' : fmtNum(v, 4))).join(' / ') +
          ` ms (${reaction.stats.reacted} reacted, ${reaction.stats.unreacted} unreacted, ${reaction.stats.censored} censored; moves ≥ ${fmtNum(reaction.thresholdBps)} bps, horizon ${fmtNum(reaction.horizonMs)} ms)`
        : NOT_RECORDED,
    ],
    [
      'rejects by key (venue)',
      rejects ? (rejects.keys.length === 0 ? 'none' : rejects.keys.map((k) => `${rejectKeyLabel(k.key)}: ${k.total}`).join('; ')) : NOT_RECORDED,
    ],
    ['bot exit', exit ? `${exit.signal !== null ? `signal ${exit.signal}` : `code ${exit.code}`}${exit.diedBeforeStop ? ', died before the stop' : ` after ${exit.stopSignal}`}${exit.killedAfterMs !== null ? `, killed ${fmtNum(exit.killedAfterMs)} ms after it` : ''}` : 'not recorded'],
    ['fault windows', run.faults.length === 0 ? 'none' : run.faults.map((f) => `${f.kind}: ${f.name} ${fmtNum(toX(f.start), 4)}–${fmtNum(toX(f.end), 4)} s`).join('; ')],
  ];
  const factRows = facts.map(([k, v]) => `<tr><td>${x(k)}</td><td>${x(v)}</td></tr>`).join('\n');

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${x(`${report.pass ? 'PASS' : 'FAIL'} ${report.scenarioId} seed ${report.seed}`)}</title>
<style>${CSS}</style></head><body>
<h1><span class="badge ${report.pass ? 'pass' : 'fail'}">${report.pass ? 'PASS' : 'FAIL'}</span>${x(report.scenarioId)} · seed ${report.seed}</h1>
${report.bot ? `<p class="bot">Bot: <code>${x(report.bot.command)}</code> (${x(report.bot.source)}) <span class="cwd">in <code>${x(report.bot.cwd)}</code></span></p>\n` : ''}<p class="sub">${x(report.title)} — ${x(fmtDuration(report.durationMs))}, started ${x(report.startedAt)}. ${failed === 0 ? `All ${report.gates.length} gates held.` : `<b>${failed} of ${report.gates.length} gates failed.</b>`}</p>
<h2>Gates</h2>
<table><thead><tr><th>gate</th><th>value</th><th>threshold</th><th>verdict</th><th>detail</th></tr></thead><tbody>
${gateRows}
</tbody></table>
<h2>Metrics</h2>
<p class="note">source: <b>venue</b> = measured by the venue (its ledger, its view of the bot's traffic); <b>bot</b> = what the bot exports about itself.</p>
<table><thead><tr><th>metric</th><th>source</th><th>value</th><th>unit</th><th>samples / why absent</th></tr></thead><tbody>
${metricRows}
</tbody></table>
<table style="margin-top:10px"><tbody>
${factRows}
</tbody></table>
${charts.join('\n')}
${notes.length > 0 ? `<h2>Notes</h2><ul class="notes">${notes.map((n) => `<li>${x(n)}</li>`).join('')}</ul>` : ''}
<p class="note">Metric definitions: docs/reports.md (DESIGN §4). Shaded bands are fault windows. Generated by mm-bench.</p>
</body></html>
`;
}

const PALETTE = ['#cf222e', '#0a5cd6', '#bf8700', '#8250df', '#1a7f37', '#e36209', '#444', '#d63384', '#0aa2c0'];

/** A chart frame with only the fault bands and a centred message (nothing recorded to draw). */
function emptyChart(id: string, title: string, yLabel: string, x0: number, x1: number, xLabel: string, xTick: (v: number) => string, bands: Band[], text: string): string {
  return svgChart({ id, title, yLabel, x0, x1, xLabel, xTick, bands, series: [], emptyText: text });
}

function section(title: string, svg: string, note?: string): string {
  return `<h2>${x(title)}</h2>\n${svg}${note ? `\n<p class="note">${x(note)}</p>` : ''}`;
}
