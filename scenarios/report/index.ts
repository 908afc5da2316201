/**
 * Report writers. Pure string builders (summaryMarkdown, suiteSummaryMarkdown, junitXml, reportHtml, reportJson)
 * and the two functions that write files:
 *   writeReports(dir, report, run, extras?)  → report.json, summary.md, junit.xml, report.html
 *   writeSuiteSummary(dir, reports, opts?)   → summary.md, junit.xml across scenarios
 * buildScenarioReport assembles a ScenarioReport (pass = every gate held).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GateResult, Metrics, RunRecord, ScenarioReport } from '../types.ts';
import { reportHtml, type ReportExtras } from './html.ts';
import { reportJson } from './json.ts';
import { junitXml } from './junit.ts';
import { suiteSummaryMarkdown, summaryMarkdown } from './markdown.ts';

export { reportHtml, pnlOverTime, inventoryOverTime, latencyOverTime, reactionOverTime, rejectsOverTime, type ReportExtras } from './html.ts';
export { reportJson, parseReportJson } from './json.ts';
export { junitXml } from './junit.ts';
export { summaryMarkdown, suiteSummaryMarkdown } from './markdown.ts';

/** Artifact names writeReports produces, relative to the scenario directory. */
export const REPORT_FILES = { json: 'report.json', summary: 'summary.md', junit: 'junit.xml', html: 'report.html' } as const;

export interface BuildReportInput {
  readonly run: RunRecord;
  readonly title: string;
  readonly startedAt: string | Date;
  /** Defaults to run.end − run.start. */
  readonly durationMs?: number;
  readonly metrics: Metrics;
  /** evaluateGates(...) (then any recovery / regression gates). */
  readonly gates: readonly GateResult[];
  /** Extra artifacts (logs, repro bundle), merged over REPORT_FILES. */
  readonly artifacts?: Readonly<Record<string, string>>;
  /** The bot under test (its command, where it came from, its working directory). */
  readonly bot?: ScenarioReport['bot'];
}

export function buildScenarioReport(i: BuildReportInput): ScenarioReport {
  return {
    scenarioId: i.run.scenarioId,
    title: i.title,
    seed: i.run.seed,
    startedAt: typeof i.startedAt === 'string' ? i.startedAt : i.startedAt.toISOString(),
    durationMs: i.durationMs ?? i.run.end - i.run.start,
    ...(i.bot ? { bot: i.bot } : {}),
    metrics: i.metrics,
    gates: i.gates,
    pass: i.gates.every((g) => g.pass),
    artifacts: { ...REPORT_FILES, ...(i.artifacts ?? {}) },
  };
}

/** Writes report.json, summary.md, junit.xml and report.html into `dir` (created if needed); returns their paths. */
export async function writeReports(dir: string, report: ScenarioReport, run: RunRecord, extras: ReportExtras = {}): Promise<Record<keyof typeof REPORT_FILES, string>> {
  await mkdir(dir, { recursive: true });
  const out = {
    json: join(dir, REPORT_FILES.json),
    summary: join(dir, REPORT_FILES.summary),
    junit: join(dir, REPORT_FILES.junit),
    html: join(dir, REPORT_FILES.html),
  };
  await writeFile(out.json, reportJson(report));
  await writeFile(out.summary, summaryMarkdown(report));
  await writeFile(out.junit, junitXml([report]));
  await writeFile(out.html, reportHtml(report, run, extras));
  return out;
}

/** Writes the suite's summary.md and junit.xml into `dir`; returns their paths. */
export async function writeSuiteSummary(
  dir: string,
  reports: readonly ScenarioReport[],
  opts: { title?: string; wallMs?: number } = {},
): Promise<{ summary: string; junit: string }> {
  await mkdir(dir, { recursive: true });
  const summary = join(dir, 'summary.md');
  const junit = join(dir, 'junit.xml');
  await writeFile(summary, suiteSummaryMarkdown(reports, opts));
  await writeFile(junit, junitXml(reports, opts.title ?? 'mm-bench'));
  return { summary, junit };
}
