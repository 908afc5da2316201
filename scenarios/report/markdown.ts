/**
 * summary.md: a verdict a reviewer reads in ten seconds. Per scenario: the verdict line (PASS/FAIL, scenario, seed),
 * the bot under test, the gate table with failed gates first (gate | value | threshold | verdict), then the key
 * metrics with where each comes from (venue / bot), the named metrics then every rejects_per_min[<key>] the report
 * holds. For a suite: the bot(s) under test, one line per scenario (failed first), then the failed gates of each
 * failed scenario.
 */
import { failedFirst } from '../gates.ts';
import type { MetricValue, ScenarioReport } from '../types.ts';
import { fmtDuration, fmtMetric, gateColumns, mdCell, mdCode, metricNote, metricSource, metricUnit, reportMetricNames } from './util.ts';

const verdict = (pass: boolean) => (pass ? '✅ PASS' : '❌ FAIL');

function gateTable(report: ScenarioReport): string[] {
  const lines = ['| gate | value | threshold | verdict |', '|---|---:|---|---|'];
  for (const g of failedFirst(report.gates)) {
    const { value, threshold } = gateColumns(g);
    lines.push(`| ${mdCell(g.name)} | ${mdCell(value)} | ${mdCell(threshold)} | ${g.pass ? 'pass' : `**FAIL** — ${mdCell(g.detail)}`} |`);
  }
  return lines;
}

/** `Bot: \`<command>\` (<source>)`. */
function botLine(bot: NonNullable<ScenarioReport['bot']>): string {
  return `Bot: ${mdCode(bot.command)} (${mdCell(bot.source)})`;
}

/** The per-scenario summary.md. */
export function summaryMarkdown(report: ScenarioReport): string {
  const failed = report.gates.filter((g) => !g.pass).length;
  const lines: string[] = [];
  lines.push(`## ${verdict(report.pass)} · ${mdCell(report.scenarioId)} · seed ${report.seed}`);
  lines.push('');
  if (report.bot) lines.push(botLine(report.bot), '');
  lines.push(
    `${mdCell(report.title)} — ${fmtDuration(report.durationMs)}, started ${mdCell(report.startedAt)}. ` +
      (failed === 0 ? `All ${report.gates.length} gates held.` : `**${failed} of ${report.gates.length} gates failed.**`),
  );
  lines.push('');
  lines.push(...gateTable(report));
  lines.push('');
  lines.push('<details open><summary>Key metrics</summary>');
  lines.push('');
  lines.push('| metric | source | value | unit | samples / why absent |');
  lines.push('|---|---|---:|---|---|');
  const metrics = report.metrics as Readonly<Record<string, MetricValue | undefined>>;
  for (const name of reportMetricNames(report.metrics)) {
    const m = metrics[name];
    lines.push(`| ${mdCell(name)} | ${metricSource(name)} | ${fmtMetric(m)} | ${metricUnit(name)} | ${mdCell(metricNote(m))} |`);
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
  lines.push(...suiteBots(reports));
  lines.push('');
  lines.push('| scenario | seed | verdict | gates | failed gates | net_bps (venue) | quote_reaction_p95_ms (venue) | duration |');
  lines.push('|---|---:|---|---:|---|---:|---:|---:|');
  for (const r of [...failed, ...reports.filter((x) => x.pass)]) {
    const bad = r.gates.filter((g) => !g.pass);
    lines.push(
      `| ${mdCell(r.scenarioId)} | ${r.seed} | ${r.pass ? 'PASS' : '**FAIL**'} | ${r.gates.length - bad.length}/${r.gates.length} | ${mdCell(bad.map((g) => g.name).join(', ') || '—')} | ${fmtMetric(r.metrics.net_bps)} | ${fmtMetric(r.metrics.quote_reaction_p95_ms)} | ${fmtDuration(r.durationMs)} |`,
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

/**
 * The suite's bot(s) under test: one line when every scenario ran the same command from the same source, else a list
 * with each command (and source) and the scenarios that ran it. Nothing when no report names its bot.
 */
function suiteBots(reports: readonly ScenarioReport[]): string[] {
  if (!reports.some((r) => r.bot)) return [];
  const groups = new Map<string, { bot: ScenarioReport['bot']; ids: string[] }>();
  for (const r of reports) {
    const k = r.bot ? JSON.stringify([r.bot.command, r.bot.source]) : '';
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { bot: r.bot, ids: [] }));
    g.ids.push(r.scenarioId);
  }
  if (groups.size === 1) return ['', botLine(reports[0]!.bot!)];
  const out = ['', 'Bots under test:', ''];
  for (const { bot, ids } of groups.values()) out.push(`- ${bot ? `${mdCode(bot.command)} (${mdCell(bot.source)})` : 'not recorded'} — ${ids.map(mdCell).join(', ')}`);
  return out;
}
