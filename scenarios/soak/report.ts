/**
 * The soak's sign-off report: a verdict (PASS/FAIL with reasons) over all windows, as Markdown and as a
 * self-contained HTML page with inline SVG plots over the whole run (heap, RSS, event-loop lag of the venue and the
 * bot, quote-cycle p95 and net_bps per window).
 *
 * FAIL when any of: a window failed a gate (each failed gate is a reason); a resource or latency series is flagged by
 * the drift rule (scenarios/soak/drift.ts); a series has no sample in any window (never a default pass) or too few
 * windows to judge a trend; the run is incomplete (fewer windows recorded than planned).
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { svgChart, type LineSeries } from '../report/svg.ts';
import { escapeXml as x, fmtDuration, fmtNum, mdCell } from '../report/util.ts';
import type { SoakCheckpoint, WindowResult } from './checkpoint.ts';
import { detectDrift, type DriftOptions, type DriftResult } from './drift.ts';

export interface DriftSeries {
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  /** Scale for display (bytes → MB etc.). */
  readonly scale: number;
  readonly get: (w: WindowResult) => number | null;
  readonly opts?: DriftOptions;
}

const metric = (name: string) => (w: WindowResult) => {
  const m = w.metrics[name];
  return m && 'value' in m ? m.value : null;
};

/** The series the drift rule watches. net_bps is plotted but not drift-checked (it is a gate per window). */
export const DRIFT_SERIES: readonly DriftSeries[] = [
  { key: 'venue_heap', label: 'venue heap used', unit: 'MB', scale: 1e-6, get: (w) => w.venue.heapUsedBytes },
  { key: 'venue_rss', label: 'venue RSS', unit: 'MB', scale: 1e-6, get: (w) => w.venue.rssBytes },
  { key: 'venue_lag', label: 'venue event-loop lag', unit: 'ms', scale: 1e3, get: (w) => w.venue.eventLoopLagSeconds },
  { key: 'bot_heap', label: 'bot heap used', unit: 'MB', scale: 1e-6, get: (w) => w.bot.heapUsedBytes },
  { key: 'bot_rss', label: 'bot RSS', unit: 'MB', scale: 1e-6, get: (w) => w.bot.rssBytes },
  { key: 'bot_lag', label: 'bot event-loop lag', unit: 'ms', scale: 1e3, get: (w) => w.bot.eventLoopLagSeconds },
  { key: 'quote_cycle_p95', label: 'quote-cycle p95', unit: 'ms', scale: 1, get: metric('quote_cycle_p95_ms') },
];

export interface SoakVerdict {
  readonly pass: boolean;
  readonly reasons: readonly string[];
  readonly drift: readonly { readonly series: DriftSeries; readonly result: DriftResult }[];
  readonly plannedWindows: number;
}

const mid = (w: WindowResult) => (w.startMs + w.endMs) / 2;

/** Fewest windows with a value for drift to be judged (drift.ts: below this Mann-Kendall cannot reach p < 0.01). */
const MIN_JUDGED_WINDOWS = 6;

export function soakVerdict(cp: SoakCheckpoint, plannedWindows: number, series: readonly DriftSeries[] = DRIFT_SERIES): SoakVerdict {
  const reasons: string[] = [];
  if (cp.windows.length < plannedWindows) reasons.push(`incomplete: ${cp.windows.length} of ${plannedWindows} windows recorded`);
  for (const w of cp.windows)
    for (const g of w.gates) if (!g.pass) reasons.push(`window ${w.index} (${fmtDuration(w.startMs)}–${fmtDuration(w.endMs)}${w.regime ? `, ${w.regime}` : ''}): gate ${g.name} failed — ${g.detail}`);
  const drift = series.map((s) => ({ series: s, result: detectDrift(cp.windows.map((w) => ({ tMs: mid(w), value: s.get(w) })), s.opts) }));
  for (const d of drift) {
    // A sign-off needs every series judged: one never measured, or too short a run to judge a trend, cannot pass.
    if (d.result.n === 0) reasons.push(`not measured: ${d.series.label} has no sample in any window`);
    else if (d.result.flagged) reasons.push(`drift: ${d.series.label} ${d.result.reason}`);
    else if (d.result.n < MIN_JUDGED_WINDOWS) reasons.push(`too short to judge: ${d.series.label} ${d.result.reason}`);
  }
  return { pass: reasons.length === 0, reasons, drift, plannedWindows };
}

const fmtScaled = (v: number | null, scale: number) => (v === null ? '—' : fmtNum(v * scale, 4));

export function renderSoakMarkdown(cp: SoakCheckpoint, v: SoakVerdict): string {
  const c = cp.config;
  const out: string[] = [];
  out.push(`# Soak sign-off: ${v.pass ? 'PASS' : 'FAIL'}`, '');
  out.push(`Duration ${fmtDuration(c.durationMs)}, window ${fmtDuration(c.windowMs)}, seed ${c.seed}${c.scenario ? `, scenario \`${c.scenario}\`` : ''}.`);
  out.push(`Started ${cp.startedAt}, last checkpoint ${cp.updatedAt}; ${cp.windows.length} of ${v.plannedWindows} windows recorded.`);
  const sessions = [...new Set(cp.windows.map((w) => w.session).filter((s): s is number => s !== undefined))];
  if (sessions.length > 0)
    out.push(
      sessions.length === 1
        ? `One venue and one bot process ran every window (one session, started at window ${sessions[0]}).`
        : `${sessions.length} sessions (a fresh venue and bot each, after a resume), started at windows ${sessions.join(', ')}: resources step at those windows.`,
    );
  out.push('');
  out.push('## Reasons', '');
  if (v.reasons.length === 0) out.push('None: every window passed its gates, every series was measured, and none drifted.');
  else for (const r of v.reasons) out.push(`- ${r}`);
  out.push('', '## Drift', '', '| series | flagged | slope / h | rel. slope / h | Mann-Kendall p | windows | why |', '|---|---|---|---|---|---|---|');
  for (const d of v.drift) {
    const r = d.result;
    out.push(
      `| ${d.series.label} | ${r.flagged ? '**yes**' : 'no'} | ${fmtNum(r.slopePerHour * d.series.scale, 4)} ${d.series.unit} | ${(r.relSlopePerHour * 100).toFixed(2)} % | ${r.pRising.toPrecision(3)} | ${r.n} | ${mdCell(r.reason)} |`,
    );
  }
  out.push('', '## Windows', '', '| # | span | regime | fault | gates | fills | net_bps | quote-cycle p95 ms | venue heap MB | venue RSS MB | venue lag ms | bot heap MB | bot RSS MB | bot lag ms | load ok/sent | venue ledger rows |');
  out.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const w of cp.windows) {
    const failed = w.gates.filter((g) => !g.pass).length;
    out.push(
      `| ${w.index} | ${fmtDuration(w.startMs)}–${fmtDuration(w.endMs)} | ${w.regime ?? ''} | ${w.faults && w.faults.length > 0 ? mdCell(w.faults.join(', ')) : '—'} | ${failed === 0 ? `${w.gates.length} pass` : `**${failed} fail**`} | ${w.fills ?? '—'} | ${fmtScaled(metric('net_bps')(w), 1)} | ${fmtScaled(metric('quote_cycle_p95_ms')(w), 1)} | ${fmtScaled(w.venue.heapUsedBytes, 1e-6)} | ${fmtScaled(w.venue.rssBytes, 1e-6)} | ${fmtScaled(w.venue.eventLoopLagSeconds, 1e3)} | ${fmtScaled(w.bot.heapUsedBytes, 1e-6)} | ${fmtScaled(w.bot.rssBytes, 1e-6)} | ${fmtScaled(w.bot.eventLoopLagSeconds, 1e3)} | ${w.load ? `${w.load.ok}/${w.load.sent}` : '—'} | ${w.venueLedgerRows ?? '—'} |`,
    );
  }
  return `${out.join('\n')}\n`;
}

export function renderSoakHtml(cp: SoakCheckpoint, v: SoakVerdict): string {
  const x0 = 0;
  const x1 = Math.max(cp.config.durationMs, ...cp.windows.map((w) => w.endMs), 1);
  const xTick = (t: number) => fmtDuration(t);
  const pts = (get: (w: WindowResult) => number | null, scale: number) => cp.windows.map((w) => [mid(w), ((v) => (v === null ? null : v * scale))(get(w))] as const);
  const bands = cp.windows.filter((w) => !w.pass).map((w) => ({ x0: w.startMs, x1: w.endMs, label: `window ${w.index} failed` }));
  const chart = (id: string, title: string, yLabel: string, series: LineSeries[]) =>
    svgChart({ id, title, yLabel, x0, x1, xLabel: 'soak time', xTick, series, bands, emptyText: 'no samples' });
  const flaggedOf = (key: string) => v.drift.find((d) => d.series.key === key)?.result.flagged ?? false;
  const lbl = (key: string, s: string) => (flaggedOf(key) ? `${s} (DRIFT)` : s);
  const charts = [
    chart('heap', 'Heap used per window', 'MB', [
      { label: lbl('venue_heap', 'venue'), color: '#0969da', points: pts((w) => w.venue.heapUsedBytes, 1e-6), width: 1.6 },
      { label: lbl('bot_heap', 'bot'), color: '#cf222e', points: pts((w) => w.bot.heapUsedBytes, 1e-6), width: 1.6 },
    ]),
    chart('rss', 'Resident memory per window', 'MB', [
      { label: lbl('venue_rss', 'venue'), color: '#0969da', points: pts((w) => w.venue.rssBytes, 1e-6), width: 1.6 },
      { label: lbl('bot_rss', 'bot'), color: '#cf222e', points: pts((w) => w.bot.rssBytes, 1e-6), width: 1.6 },
    ]),
    chart('lag', 'Event-loop lag per window', 'ms', [
      { label: lbl('venue_lag', 'venue'), color: '#0969da', points: pts((w) => w.venue.eventLoopLagSeconds, 1e3), width: 1.6 },
      { label: lbl('bot_lag', 'bot'), color: '#cf222e', points: pts((w) => w.bot.eventLoopLagSeconds, 1e3), width: 1.6 },
    ]),
    chart('qc', 'Quote-cycle p95 per window', 'ms', [
      { label: lbl('quote_cycle_p95', 'quote_cycle_p95_ms'), color: '#6f42c1', points: pts(metric('quote_cycle_p95_ms'), 1), width: 1.6 },
    ]),
    chart('net', 'net_bps per window', 'bps', [{ label: 'net_bps', color: '#1a7f37', points: pts(metric('net_bps'), 1), width: 1.6 }]),
  ];
  const md = renderSoakMarkdown(cp, v);
  const verdict = v.pass ? 'PASS' : 'FAIL';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Soak sign-off: ${verdict}</title>
<style>body{font:14px system-ui,sans-serif;margin:24px;max-width:1000px}.v{font-size:28px;font-weight:700;color:${v.pass ? '#1a7f37' : '#cf222e'}}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td:first-child,th:first-child{text-align:left}
pre{white-space:pre-wrap;font-size:12px;background:#f6f8fa;padding:8px}</style></head>
<body>
<h1>Soak sign-off: <span class="v">${verdict}</span></h1>
<p>Duration ${x(fmtDuration(cp.config.durationMs))}, window ${x(fmtDuration(cp.config.windowMs))}, seed ${cp.config.seed}; ${cp.windows.length} of ${v.plannedWindows} windows recorded.</p>
<h2>Reasons</h2>
${v.reasons.length === 0 ? '<p>None: every window passed its gates, every series was measured, and none drifted.</p>' : `<ul>${v.reasons.map((r) => `<li>${x(r)}</li>`).join('')}</ul>`}
<h2>Drift</h2>
<table><tr><th>series</th><th>flagged</th><th>slope / h</th><th>rel. slope / h</th><th>Mann-Kendall p</th><th>windows</th><th>why</th></tr>
${v.drift.map((d) => `<tr><td>${x(d.series.label)}</td><td>${d.result.flagged ? '<b>yes</b>' : 'no'}</td><td>${x(fmtNum(d.result.slopePerHour * d.series.scale, 4))} ${x(d.series.unit)}</td><td>${(d.result.relSlopePerHour * 100).toFixed(2)} %</td><td>${d.result.pRising.toPrecision(3)}</td><td>${d.result.n}</td><td style="text-align:left">${x(d.result.reason)}</td></tr>`).join('\n')}
</table>
<h2>Over the whole run</h2>
${charts.join('\n')}
<h2>Report (Markdown)</h2>
<pre>${x(md)}</pre>
</body></html>
`;
}

/** Writes soak-report.md and soak-report.html into `dir`; returns the verdict. */
export function writeSoakReport(dir: string, cp: SoakCheckpoint, plannedWindows: number): SoakVerdict {
  mkdirSync(dir, { recursive: true });
  const v = soakVerdict(cp, plannedWindows);
  writeFileSync(join(dir, 'soak-report.md'), renderSoakMarkdown(cp, v));
  writeFileSync(join(dir, 'soak-report.html'), renderSoakHtml(cp, v));
  return v;
}
