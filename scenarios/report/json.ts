/** report.json: the ScenarioReport as pretty JSON, and a checked reader for `gate` / `report` / baselines. */
import { METRIC_NAMES } from '../metrics.ts';
import type { ScenarioReport } from '../types.ts';

/** The metrics of the first report.json format: every metric must be in a report. */
const FIRST_FORMAT: ReadonlySet<string> = new Set(['net_bps', 'spread_bps', 'adverse_bps', 'inventory_bps', 'fees_bps', 'slippage_bps', 'taker_share_pct', 'fill_rate', 'order_age_p95_ms', 'quote_cycle_p95_ms']);

/**
 * Metrics added later (the position metrics, then the venue-side ones of scenarios/conduct.ts): an older report
 * without them still reads, with them absent (which no gate passes).
 */
const ADDED_LATER: ReadonlySet<string> = new Set(METRIC_NAMES.filter((n) => !FIRST_FORMAT.has(n)));

/** `rejects_per_min[<key>]`: one per reject key the run saw (or the catalogue lists); any key reads. */
const REJECT_METRIC = /^rejects_per_min\[[^\]]+\]$/;

export function reportJson(report: ScenarioReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** Parses a report.json, checking the fields gates and writers rely on; throws an Error naming what is wrong. */
export function parseReportJson(text: string, source = 'report.json'): ScenarioReport {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not JSON (${(e as Error).message})`);
  }
  const fail = (what: string): never => {
    throw new Error(`${source}: ${what}`);
  };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail('expected an object');
  const r = v as Record<string, unknown>;
  if (typeof r.scenarioId !== 'string') fail('scenarioId: expected a string');
  if (typeof r.title !== 'string') fail('title: expected a string');
  if (typeof r.seed !== 'number') fail('seed: expected a number');
  if (typeof r.startedAt !== 'string') fail('startedAt: expected a string');
  if (typeof r.durationMs !== 'number') fail('durationMs: expected a number');
  if (typeof r.pass !== 'boolean') fail('pass: expected a boolean');
  if (typeof r.metrics !== 'object' || r.metrics === null) fail('metrics: expected an object');
  if (Array.isArray(r.metrics)) fail('metrics: expected an object');
  const metrics = r.metrics as Record<string, unknown>;
  const check = (n: string) => {
    const m = metrics[n] as Record<string, unknown> | undefined;
    if (typeof m !== 'object' || m === null) fail(`metrics.${n}: expected {value, samples} or {absent, reason}`);
    const ok = (typeof m!.value === 'number' && typeof m!.samples === 'number') || (m!.absent === true && typeof m!.reason === 'string');
    if (!ok) fail(`metrics.${n}: expected {value, samples} or {absent: true, reason}`);
  };
  for (const n of METRIC_NAMES) {
    // A report written before a later metric existed (a stored baseline) reads it as absent, which no gate passes.
    if (metrics[n] === undefined && ADDED_LATER.has(n)) metrics[n] = { absent: true, reason: 'not in this report (written before the metric existed)' };
    check(n);
  }
  for (const n of Object.keys(metrics)) if (REJECT_METRIC.test(n)) check(n);
  if (r.bot !== undefined) {
    const b = r.bot as Record<string, unknown> | null;
    if (typeof b !== 'object' || b === null || Array.isArray(b)) fail('bot: expected {command, source, cwd}');
    for (const k of ['command', 'source', 'cwd'] as const) if (typeof b![k] !== 'string') fail(`bot.${k}: expected a string`);
  }
  if (!Array.isArray(r.gates)) fail('gates: expected an array');
  (r.gates as unknown[]).forEach((g, i) => {
    const o = g as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || typeof o.name !== 'string' || typeof o.pass !== 'boolean' || typeof o.detail !== 'string') {
      fail(`gates[${i}]: expected {name, pass, detail}`);
    }
  });
  if (r.artifacts !== undefined && (typeof r.artifacts !== 'object' || r.artifacts === null)) fail('artifacts: expected an object');
  return { ...(r as unknown as ScenarioReport), artifacts: (r.artifacts as ScenarioReport['artifacts']) ?? {} };
}
