/**
 * report.html: one self-contained file (inline CSS and SVG; no script, no external URL) with the verdict, the gates
 * (failed first), the metrics, and four time charts, each with the fault windows shaded:
 *   1. price: the venue mid, the bot's bid/ask quotes, its fills (▲ buy, ▼ sell);
 *   2. inventory: Σ s_i q_i from the window's fills (the position change since the window start), ± the bot's limit;
 *   3. PnL decomposition over expanding windows [start, t] in USDT, with DESIGN §4's definitions (window end = t):
 *      spread, −adverse, inventory, −fees and net = their sum (= PnL). At t = end they are the bps metrics × N / 1e4;
 *   4. quote-cycle latency p50/p95/p99 over rolling windows (HDR). Needs timestamped samples (ReportExtras
 *      .quoteCycleSeries); RunRecord.quoteCycleMs has none, so without them the chart is over the sample index.
 * Series are downsampled (min/max per pixel bucket) and markers thinned so a 10-minute run stays a few hundred KB.
 */
import { failedFirst } from '../gates.ts';
import { DEFAULT_MARKOUT_HORIZON_MS, METRIC_NAMES, MidSeries, MsHistogram, Sum, computeMetricsWithDetails, resolveFills, type MetricDetails } from '../metrics.ts';
import type { FaultWindow, RunRecord, ScenarioReport } from '../types.ts';
import { downsample, svgChart, thin, type Band, type Pt } from './svg.ts';
import { escapeXml as x, fmtDuration, fmtMetric, fmtNum, gateColumns, metricNote } from './util.ts';

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

// ------------------------------------------------------------------------------------------------------------------
// Page

const CSS = `body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1000px;color:#222;padding:0 12px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 6px}.sub{color:#555;margin:0 0 14px}
.badge{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;font-weight:600;margin-right:8px}
.pass{background:#1a7f37}.fail{background:#cf222e}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #e5e5e5;padding:4px 8px;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}tr.bad td{background:#fff1f0}.v-pass{color:#1a7f37}.v-fail{color:#cf222e;font-weight:600}
svg.chart{display:block;margin:4px 0 2px;font-family:inherit}.note{color:#666;font-size:12px;margin:2px 0 10px}ul.notes{color:#555;font-size:12px}`;

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

  // 4. latency
  {
    const { byTime, windows } = latencyOverTime(run, extras.quoteCycleSeries);
    const xs = (w: LatencyWindow) => (byTime ? toX(w.x) : w.x);
    const lx1 = byTime ? x1 : Math.max(1, run.quoteCycleMs.length);
    charts.push(
      section(
        'Quote-cycle latency percentiles',
        svgChart({
          id: 'latency',
          title: 'Quote-cycle latency',
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
          emptyText: 'no quote-cycle samples',
        }),
        byTime
          ? `Rolling windows of ${fmtNum(Math.max(1000, (run.end - run.start) / 60) / 1000, 3)} s, sliding by half a window; each from one HDR histogram.`
          : 'Rolling windows over the sample sequence (no timestamps were recorded, so fault windows cannot be placed); each from one HDR histogram.',
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
  const metricRows = METRIC_NAMES.map((n) => {
    const m = report.metrics[n];
    return `<tr><td>${n}</td><td class="num">${x(fmtMetric(m))}</td><td>${x(metricNote(m))}</td></tr>`;
  }).join('\n');
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
    ['fault windows', run.faults.length === 0 ? 'none' : run.faults.map((f) => `${f.kind}: ${f.name} ${fmtNum(toX(f.start), 4)}–${fmtNum(toX(f.end), 4)} s`).join('; ')],
  ];
  const factRows = facts.map(([k, v]) => `<tr><td>${x(k)}</td><td>${x(v)}</td></tr>`).join('\n');

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${x(`${report.pass ? 'PASS' : 'FAIL'} ${report.scenarioId} seed ${report.seed}`)}</title>
<style>${CSS}</style></head><body>
<h1><span class="badge ${report.pass ? 'pass' : 'fail'}">${report.pass ? 'PASS' : 'FAIL'}</span>${x(report.scenarioId)} · seed ${report.seed}</h1>
<p class="sub">${x(report.title)} — ${x(fmtDuration(report.durationMs))}, started ${x(report.startedAt)}. ${failed === 0 ? `All ${report.gates.length} gates held.` : `<b>${failed} of ${report.gates.length} gates failed.</b>`}</p>
<h2>Gates</h2>
<table><thead><tr><th>gate</th><th>value</th><th>threshold</th><th>verdict</th><th>detail</th></tr></thead><tbody>
${gateRows}
</tbody></table>
<h2>Metrics</h2>
<table><thead><tr><th>metric</th><th>value</th><th>samples / why absent</th></tr></thead><tbody>
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

function section(title: string, svg: string, note?: string): string {
  return `<h2>${x(title)}</h2>\n${svg}${note ? `\n<p class="note">${x(note)}</p>` : ''}`;
}
