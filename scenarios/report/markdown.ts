/**
 * summary.md: a verdict a reviewer reads in ten seconds. Per scenario: the verdict line (PASS/FAIL, scenario, seed),
 * the gate table with failed gates first (gate | value | threshold | verdict), then the key metrics. For a suite: one
 * line per scenario (failed first), then the failed gates of each failed scenario.
 */
import { failedFirst } from '../gates.ts';
import { METRIC_NAMES } from '../metrics.ts';
import type { MetricName, ScenarioReport } from '../types.ts';
import { fmtDuration, fmtMetric, gateColumns, mdCell, metricNote } from './util.ts';

const verdict = (pass: boolean) => (pass ? '✅ PASS' : '❌ FAIL');

function gateTable(report: ScenarioReport): string[] {
  const lines = ['| gate | value | threshold | verdict |', '|---|---:|---|---|'];
  for (const g of failedFirst(report.gates)) {
    const { value, threshold } = gateColumns(g);
    lines.push(`| ${mdCell(g.name)} | ${mdCell(value)} | ${mdCell(threshold)} | ${g.pass ? 'pass' : `**FAIL** — ${mdCell(g.detail)}`} |`);
  }
  return lines;
}

const UNITS: Partial<Record<MetricName, string>> = {
  spread_bps: 'bps',
  adverse_bps: 'bps',
  inventory_bps: 'bps',
  fees_bps: 'bps',
  net_bps: 'bps',
  slippage_bps: 'bps',
  taker_share_pct: '%',
  order_age_p95_ms: 'ms',
  quote_cycle_p95_ms: 'ms',
  mean_abs_position: 'base',
  final_abs_position: 'base',
};

/** The per-scenario summary.md. */
export function summaryMarkdown(report: ScenarioReport): string {
  const failed = report.gates.filter((g) => !g.pass).length;
  const lines: string[] = [];
  lines.push(`## ${verdict(report.pass)} · ${mdCell(report.scenarioId)} · seed ${report.seed}`);
  lines.push('');
  lines.push(
    `${mdCell(report.title)} — ${fmtDuration(report.durationMs)}, started ${mdCell(report.startedAt)}. ` +
      (failed === 0 ? `All ${report.gates.length} gates held.` : `**${failed} of ${report.gates.length} gates failed.**`),
  );
  lines.push('');
  lines.push(...gateTable(report));
  lines.push('');
  lines.push('<details open><summary>Key metrics</summary>');
  lines.push('');
  lines.push('| metric | value | unit | samples / why absent |');
  lines.push('|---|---:|---|---|');
  for (const name of METRIC_NAMES) {
    const m = report.metrics[name];
    lines.push(`| ${name} | ${fmtMetric(m)} | ${UNITS[name] ?? ''} | ${mdCell(metricNote(m))} |`);
  }
  lines.push('');
  lines.push('</details>');
  const arts = Object.entries(report.artifacts ?? {});
  if (arts.length > 0) {
    lines.push('');
    lines.push(`Artifacts: ${arts.map(([k, v]) => `${mdCell(k)} \`${mdCell(v)}\``).join(' · ')}`);
  }
  lines.push('');
  return lines.join('\n');
}

/** The suite's summary.md: one row per scenario (failed first), then each failure's failed gates. */
export function suiteSummaryMarkdown(reports: readonly ScenarioReport[], opts: { title?: string; wallMs?: number } = {}): string {
  const failed = reports.filter((r) => !r.pass);
  const lines: string[] = [];
  const head = failed.length === 0 && reports.length > 0 ? '✅ PASS' : '❌ FAIL';
  const count =
    reports.length === 0 ? 'no scenario ran' : failed.length === 0 ? `all ${reports.length} scenarios passed` : `${failed.length} of ${reports.length} scenarios failed`;
  lines.push(`# ${head} — ${mdCell(opts.title ?? 'mm-bench suite')}: ${count}`);
  if (opts.wallMs !== undefined) lines.push('', `Wall time ${fmtDuration(opts.wallMs)}.`);
  lines.push('');
  lines.push('| scenario | seed | verdict | gates | failed gates | net_bps | quote_cycle_p95_ms | duration |');
  lines.push('|---|---:|---|---:|---|---:|---:|---:|');
  for (const r of [...failed, ...reports.filter((x) => x.pass)]) {
    const bad = r.gates.filter((g) => !g.pass);
    lines.push(
      `| ${mdCell(r.scenarioId)} | ${r.seed} | ${r.pass ? 'PASS' : '**FAIL**'} | ${r.gates.length - bad.length}/${r.gates.length} | ${mdCell(bad.map((g) => g.name).join(', ') || '—')} | ${fmtMetric(r.metrics.net_bps)} | ${fmtMetric(r.metrics.quote_cycle_p95_ms)} | ${fmtDuration(r.durationMs)} |`,
    );
  }
  if (failed.length > 0) {
    lines.push('', '## Failures');
    for (const r of failed) {
      lines.push('', `### ${mdCell(r.scenarioId)} · seed ${r.seed} — ${mdCell(r.title)}`, '');
      for (const g of r.gates.filter((x) => !x.pass)) lines.push(`- **${mdCell(g.name)}**: ${mdCell(g.detail)}`);
    }
  }
  lines.push('');
  return lines.join('\n');
}
