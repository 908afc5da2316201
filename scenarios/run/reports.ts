/**
 * Turning a finished run into its files: report.json (the ScenarioReport), run.json (the RunRecord and what the
 * runner saw, from which every report can be rebuilt: `mmbench report <dir>`), then summary.md, junit.xml and
 * report.html through the report writers (scenarios/report/).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeMetrics } from '../metrics.ts';
import { evaluateGates, positionGate, recoveryGates, type GateOutcome } from '../gates.ts';
import { writeReports, parseReportJson, type ReportExtras } from '../report/index.ts';
import type { Metrics, ScenarioReport } from '../types.ts';
import { runErrorGate, type SavedRun } from '../runner.ts';

export const ARTIFACTS = {
  report: 'report.json',
  summary: 'summary.md',
  junit: 'junit.xml',
  html: 'report.html',
  run: 'run.json',
  scenario: 'scenario.yaml',
  logs: 'logs/',
  repro: 'repro/',
} as const;

export async function writeScenarioReports(dir: string, saved: SavedRun, metrics: Metrics, gates: readonly GateOutcome[], startedAt: string): Promise<ScenarioReport> {
  const sc = saved.scenario;
  const artifacts: Record<string, string> = { ...ARTIFACTS };
  if (!saved.extras.reproDir) delete artifacts['repro'];
  if (saved.extras.bot?.config) artifacts['botConfig'] = saved.extras.bot.config;
  const report: ScenarioReport = {
    scenarioId: sc.id,
    title: sc.title,
    seed: saved.record.seed,
    startedAt,
    durationMs: saved.extras.wallMs,
    ...botOf(saved),
    metrics,
    gates,
    pass: gates.every((g) => g.pass),
    artifacts,
  };
  writeFileSync(join(dir, ARTIFACTS.run), `${JSON.stringify(saved)}\n`);
  await renderReports(dir, report, saved);
  return report;
}

/** The report's bot line (runs before the any-bot contract have none). */
function botOf(saved: SavedRun): Pick<ScenarioReport, 'bot'> {
  const b = saved.extras.bot;
  return b ? { bot: { command: b.command, source: b.source, cwd: b.cwd } } : {};
}

/** report.json, summary.md, junit.xml, report.html from a report and its record. */
export async function renderReports(dir: string, report: ScenarioReport, saved: SavedRun): Promise<void> {
  const extras: ReportExtras = { quoteCycleSeries: saved.extras.quoteCycleSeries.flatMap((s) => s.samples.map((ms) => ({ time: s.time, ms }))) };
  await writeReports(dir, report, saved.record, extras);
}

/** Rebuilds a scenario's reports from its run.json (metrics and gates recomputed from the saved RunRecord). */
export async function rebuildReports(dir: string): Promise<ScenarioReport> {
  const saved = JSON.parse(readFileSync(join(dir, ARTIFACTS.run), 'utf8')) as SavedRun;
  if (saved.kind !== 'mm-bench-run') throw new Error(`${dir}/run.json: not an mm-bench run`);
  const old = existsSync(join(dir, ARTIFACTS.report)) ? parseReportJson(readFileSync(join(dir, ARTIFACTS.report), 'utf8'), join(dir, ARTIFACTS.report)) : undefined;
  const metrics = computeMetrics(saved.record);
  const gates: GateOutcome[] = [...evaluateGates(metrics, saved.scenario.gates, saved.record.safety)];
  if (saved.scenario.position) gates.push(positionGate(saved.record.safety, saved.scenario.position.max_abs));
  if (saved.scenario.recovery && saved.record.faults.length > 0) gates.push(...recoveryGates(saved.record, saved.scenario.recovery.within));
  if (saved.extras.error) gates.push(runErrorGate(saved.extras.error));
  const report: ScenarioReport = {
    scenarioId: saved.scenario.id,
    title: saved.scenario.title,
    seed: saved.record.seed,
    startedAt: old?.startedAt ?? new Date().toISOString(),
    durationMs: saved.extras.wallMs,
    ...botOf(saved),
    metrics,
    gates,
    pass: gates.every((g) => g.pass),
    artifacts: old?.artifacts ?? { ...ARTIFACTS },
  };
  await renderReports(dir, report, saved);
  return report;
}

