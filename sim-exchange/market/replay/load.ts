/**
 * The CLI-facing entry: recognise a capture's format, import it, and print what the import saw.
 * `npm run sim -- --replay <file> [--speed k]` and `npm run replay:inspect -- <file>` both go through here.
 */
import type { ImportedSession, ImportReport } from '../events.ts';
import { readLines, splitStamped } from './lines.ts';
import { importBinance } from './import-binance.ts';
import { importBybit } from './import-bybit.ts';
import type { StepOptions } from './session-builder.ts';

export type CaptureFormat = ImportReport['format'];

/** Lines looked at to recognise a format (the Binance snapshot is not the first line, but streams are). */
const SNIFF_LINES = 50;

/**
 * Recognises the format from the first lines: Binance stream lines carry `"stream"` (or the REST snapshot's
 * `"lastUpdateId"`), Bybit V5 public messages carry `"topic"`. Undefined when neither shows up.
 */
export async function detectFormat(path: string): Promise<CaptureFormat | undefined> {
  let n = 0;
  for await (const line of readLines(path)) {
    if (++n > SNIFF_LINES) break;
    const { json } = splitStamped(line.trim());
    if (json.startsWith('{"stream"') || json.includes('"lastUpdateId"')) return 'binance-usdm-raw';
    if (json.includes('"topic"')) return 'bybit-v5-public';
  }
  return undefined;
}

export interface LoadOptions extends StepOptions {
  /** Replay speed the session is meant for (only used for the summary's wall-clock duration). */
  readonly speed?: number;
  /** Skip detection. */
  readonly format?: CaptureFormat;
}

export interface LoadedReplay {
  readonly session: ImportedSession;
  readonly report: ImportReport;
  /** formatImportReport(report, speed): ready to print. */
  readonly summary: string;
}

export async function loadReplay(path: string, opts: LoadOptions = {}): Promise<LoadedReplay> {
  const format = opts.format ?? (await detectFormat(path));
  if (format === undefined) throw new Error(`${path}: not a Binance USD-M raw capture nor a Bybit V5 public capture`);
  const steps = { symbol: opts.symbol, tickSize: opts.tickSize, lotSize: opts.lotSize };
  const session = format === 'binance-usdm-raw' ? await importBinance(path, steps) : await importBybit(path, steps);
  if (!session.events.some((e) => e.kind === 'book' && e.snapshot)) {
    throw new Error(`${path}: no usable order-book snapshot, nothing to replay (${session.report.badLines} bad lines)`);
  }
  return { session, report: session.report, summary: formatImportReport(session.report, { symbol: session.symbol, speed: opts.speed }) };
}

function isoUs(us: number): string {
  const ms = Math.floor(us / 1000);
  const frac = String(us % 1000).padStart(3, '0');
  return new Date(ms).toISOString().replace('Z', `${frac}Z`);
}

/** The import report as an aligned two-column table (plus bad-line samples). */
export function formatImportReport(r: ImportReport, extra: { symbol?: string; speed?: number | undefined } = {}): string {
  const rows: [string, string][] = [
    ['source', r.source],
    ['format', r.format],
  ];
  if (extra.symbol) rows.push(['symbol', extra.symbol]);
  rows.push(
    ['lines', String(r.lines)],
    ['book snapshots', String(r.events.snapshot)],
    ['book deltas', String(r.events.delta)],
    ['trades', String(r.events.trade)],
    ['skipped (valid, unused)', String(r.skipped)],
    ['bad lines', String(r.badLines)],
  );
  if (r.firstTsUs !== null && r.lastTsUs !== null) {
    const span = (r.lastTsUs - r.firstTsUs) / 1e6;
    rows.push(['first stamp (UTC)', isoUs(r.firstTsUs)], ['last stamp (UTC)', isoUs(r.lastTsUs)], ['time span', `${span.toFixed(1)} s`]);
    if (extra.speed !== undefined && extra.speed !== 1) rows.push([`wall time at ${extra.speed}x`, `${(span / extra.speed).toFixed(1)} s`]);
  }
  const w = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`);
  if (r.badSamples.length > 0) {
    lines.push('', `bad-line samples (${r.badSamples.length} of ${r.badLines}):`);
    for (const s of r.badSamples) lines.push(`  line ${s.line}: ${s.reason}`);
  }
  return lines.join('\n');
}
