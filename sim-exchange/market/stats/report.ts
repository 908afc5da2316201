import { existsSync } from 'node:fs';
import { cpus, platform, arch } from 'node:os';
import { resolve } from 'node:path';
import type { MarketStats } from './stats.ts';
import { compareStats, markdownTable, summaryLine, textTable, type Row } from './compare.ts';

export const DEFAULT_CAPTURE = 'binance-usdm_BTCUSDT_20240808_2354-2400Z_hftbacktest-raw.gz';
/** Where the default capture is looked for, relative to the working directory: the fixture copy, then the shared data. */
export const CAPTURE_CANDIDATES = [`data/fixtures/${DEFAULT_CAPTURE}`, `../shared/data/${DEFAULT_CAPTURE}`];

export function defaultCapture(cwd = process.cwd()): string | undefined {
  for (const c of CAPTURE_CANDIDATES) {
    const p = resolve(cwd, c);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** What `npm run calibrate` writes to .bench-out/calibration.json. */
export interface CalibrationReport {
  readonly generatedAt: string;
  readonly machine: { readonly node: string; readonly platform: string; readonly cpu: string; readonly cores: number };
  readonly seed: number;
  readonly regime: string;
  readonly real: { readonly source: string; readonly importSummary: unknown; readonly stats: MarketStats };
  readonly sim: { readonly durationMs: number; readonly events: number; readonly stats: MarketStats } | { readonly pending: string };
  readonly rows: readonly Row[];
  readonly within: number;
  readonly judged: number;
  readonly summary: string;
}

export function machineInfo(): CalibrationReport['machine'] {
  const c = cpus();
  return { node: process.version, platform: `${platform()}-${arch()}`, cpu: c[0]?.model.trim() ?? 'unknown', cores: c.length };
}

export function buildReport(a: {
  seed: number;
  regime: string;
  source: string;
  importSummary: unknown;
  real: MarketStats;
  sim: { durationMs: number; events: number; stats: MarketStats } | { pending: string };
}): CalibrationReport {
  const simStats = 'stats' in a.sim ? a.sim.stats : null;
  const rows = compareStats(a.real, simStats);
  const judged = rows.filter((r) => r.within !== null);
  return {
    generatedAt: new Date().toISOString(),
    machine: machineInfo(),
    seed: a.seed,
    regime: a.regime,
    real: { source: a.source, importSummary: a.importSummary, stats: a.real },
    sim: a.sim,
    rows,
    within: judged.filter((r) => r.within).length,
    judged: judged.length,
    summary: summaryLine(rows),
  };
}

/** Footnotes under the table: sample counts and what was skipped, for both sides. */
export function footnotes(r: CalibrationReport): string[] {
  const side = (name: string, s: MarketStats): string =>
    `${name}: ${s.durationS.toFixed(1)} s, ${s.events.trades} prints in ${s.bursts.count} taker bursts (${s.bursts.printsPerBurst?.toFixed(2) ?? '—'} prints each, burst size p50 ${s.bursts.sizeP50?.toFixed(3) ?? '—'}), ${s.events.snapshots} snapshot(s) + ${s.events.deltas} deltas; ` +
    `book samples every ${s.sampleMs} ms: ${s.samples.ok}/${s.samples.total} usable (empty ${s.samples.empty}, locked ${s.samples.locked}, crossed ${s.samples.crossed}); ` +
    `${s.returns.n} returns of ${s.returnMs / 1000} s (${s.returns.unusablePoints} unusable grid points, ${fmtShare(s.returns.zeroShare)} zero)`;
  const out = [side('real', r.real.stats)];
  if ('stats' in r.sim) out.push(side(`sim ${r.regime} (seed ${r.seed})`, r.sim.stats));
  else out.push(`sim ${r.regime}: pending (${r.sim.pending})`);
  return out;
}

/** Book shape table: median size (base) and distance from the touch (ticks) of the i-th level, bid / ask. */
export function profileRows(r: CalibrationReport): string[][] {
  const sims = 'stats' in r.sim ? r.sim.stats : null;
  const n = Math.max(r.real.stats.profile.bid.sizeMedian.length, sims?.profile.bid.sizeMedian.length ?? 0);
  const pair = (a: number | null | undefined, b: number | null | undefined, d: number): string =>
    `${a === null || a === undefined ? '—' : a.toFixed(d)} / ${b === null || b === undefined ? '—' : b.toFixed(d)}`;
  const rows: string[][] = [['level', 'real size b/a', 'real ticks from touch b/a', 'sim size b/a', 'sim ticks from touch b/a']];
  for (let i = 0; i < n; i++) {
    const re = r.real.stats.profile;
    const si = sims?.profile;
    rows.push([
      String(i + 1),
      pair(re.bid.sizeMedian[i], re.ask.sizeMedian[i], 3),
      pair(re.bid.distMedian[i], re.ask.distMedian[i], 0),
      si ? pair(si.bid.sizeMedian[i], si.ask.sizeMedian[i], 3) : 'pending',
      si ? pair(si.bid.distMedian[i], si.ask.distMedian[i], 0) : 'pending',
    ]);
  }
  return rows;
}

function mdRows(rows: string[][]): string {
  const [head, ...body] = rows;
  return [`| ${head!.join(' | ')} |`, `|${head!.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function textRows(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] as string).length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number))).join('  ')).join('\n');
}

const fmtShare = (v: number | null): string => (v === null ? '—' : `${(v * 100).toFixed(0)}%`);

export function renderText(r: CalibrationReport): string {
  return [
    textTable(r.rows, `sim ${r.regime}`),
    '',
    ...footnotes(r).map((f) => `  ${f}`),
    '',
    'Book shape (medians over the 100 ms samples; i-th best level of each side):',
    textRows(profileRows(r)),
    '',
    r.summary,
  ].join('\n');
}

export function renderMarkdown(r: CalibrationReport): string {
  const when = r.generatedAt.slice(0, 10);
  return [
    `Calibration ${when}, seed ${r.seed}, regime ${r.regime}, ${r.machine.cpu} (${r.machine.cores} cores), Node ${r.machine.node}.`,
    '',
    markdownTable(r.rows, `sim ${r.regime}`),
    '',
    ...footnotes(r).map((f) => `- ${f}`),
    '',
    `**${r.summary}**`,
    '',
    'Book shape (medians over the 100 ms samples of the i-th best level of each side; size in base units):',
    '',
    mdRows(profileRows(r)),
  ].join('\n');
}
