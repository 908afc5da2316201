/** Shared helpers of the report writers: escaping, number formatting, gate fields, metric rows (order, source, unit). */
import { fmtNum, type GateOutcome } from '../gates.ts';
import { CATALOGUE } from '../../sim-exchange/bybit-v5/errors.ts';
import { METRIC_NAMES, METRIC_SOURCE, isPresent } from '../metrics.ts';
import type { GateResult, MetricName, MetricValue, Metrics } from '../types.ts';

export { fmtNum };

/** Escapes text for XML / HTML content and attribute values; drops characters XML 1.0 forbids. */
export function escapeXml(s: string): string {
  return s
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Escapes a Markdown table cell (pipes, newlines). */
export function mdCell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** A metric value for tables: 4 significant digits, or "absent". */
export function fmtMetric(m: MetricValue | undefined, digits = 4): string {
  if (m === undefined) return 'missing';
  return isPresent(m) ? fmtNum(m.value, digits) : 'absent';
}

export function metricNote(m: MetricValue | undefined): string {
  if (m === undefined) return 'not in the report';
  return isPresent(m) ? `${m.samples} sample${m.samples === 1 ? '' : 's'}` : m.reason;
}

/** The value and threshold columns of a gate, from GateOutcome's fields when present (else from the name). */
export function gateColumns(g: GateResult): { value: string; threshold: string } {
  const o = g as Partial<GateOutcome>;
  const value = o.value === undefined ? '—' : o.value === null ? 'absent' : fmtNum(o.value);
  let threshold = o.threshold;
  if (threshold === undefined) {
    const m = /\s(<=|>=|<|>|=|≤|≥)\s*(.+)$/.exec(g.name);
    threshold = m ? `${m[1]} ${m[2]}` : '—';
  }
  return { value, threshold };
}

export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${m} min ${s} s`;
}

// ------------------------------------------------------------------------------------------------------------------
// Metric rows shared by summary.md and report.html

const REJECT_PREFIX = 'rejects_per_min[';

/** The reject key of `rejects_per_min[<key>]`, or null for any other name. */
export function rejectKeyOf(name: string): string | null {
  return name.startsWith(REJECT_PREFIX) && name.endsWith(']') ? name.slice(REJECT_PREFIX.length, -1) : null;
}

/** Orders reject keys: retCodes numerically, then the named kinds (postonly, http) alphabetically. */
export function compareRejectKeys(a: string, b: string): number {
  const na = /^\d+$/.test(a);
  const nb = /^\d+$/.test(b);
  if (na && nb) return Number(a) - Number(b);
  if (na !== nb) return na ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The metric rows of a report: every named metric (METRIC_NAMES order), then each `rejects_per_min[<key>]` the report
 * holds: the keys with rejects first, then the rest (each group by key).
 */
export function reportMetricNames(metrics: Metrics): string[] {
  const rejectNames = Object.keys(metrics).filter((n) => rejectKeyOf(n) !== null);
  const nonZero = (n: string) => {
    const m = (metrics as Record<string, MetricValue | undefined>)[n];
    return isPresent(m) && m.value !== 0;
  };
  rejectNames.sort((a, b) => Number(nonZero(b)) - Number(nonZero(a)) || compareRejectKeys(rejectKeyOf(a)!, rejectKeyOf(b)!));
  return [...METRIC_NAMES, ...rejectNames];
}

/** Where a metric comes from: the venue (its ledger, its view of the bot's traffic) or the bot (what it exports). */
export function metricSource(name: string): 'venue' | 'bot' {
  return (METRIC_SOURCE as Partial<Record<string, 'venue' | 'bot'>>)[name] ?? 'venue';
}

/** Units the name's suffix (_ms, _pct, _bps) does not give. */
const UNITS: Partial<Record<MetricName, string>> = {
  order_to_trade: 'actions/fill',
  requests_per_s: '/s',
  rejects_per_min: '/min',
  mean_abs_position: 'base',
  final_abs_position: 'base',
};

/** A metric's unit for the tables ('' when it has none, e.g. fill_rate). */
export function metricUnit(name: string): string {
  const u = (UNITS as Partial<Record<string, string>>)[name];
  if (u !== undefined) return u;
  if (rejectKeyOf(name) !== null) return '/min';
  return name.endsWith('_ms') ? 'ms' : name.endsWith('_pct') ? '%' : name.endsWith('_bps') ? 'bps' : '';
}

/** The reject kinds that are not a retCode. */
const REJECT_KINDS: Readonly<Record<string, string>> = { postonly: 'PostOnly cancelled', http: 'no envelope (HTTP error)' };

/**
 * "10006: Too many visits!" (the venue's own retMsg, from its error catalogue), "postonly: PostOnly cancelled",
 * "12345" (a code the catalogue does not know, as it is).
 */
export function rejectKeyLabel(key: string): string {
  const name = REJECT_KINDS[key] ?? Object.values(CATALOGUE).find((e) => String(e.retCode) === key)?.retMsg;
  return name ? `${key}: ${name}` : key;
}

/** A Markdown code span holding `s` verbatim (a fence longer than any backtick run inside; newlines as spaces). */
export function mdCode(s: string): string {
  const one = s.replace(/\r?\n/g, ' ');
  const longest = Math.max(0, ...[...one.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = one.startsWith('`') || one.endsWith('`') || one === '' ? ' ' : '';
  return `${fence}${pad}${one}${pad}${fence}`;
}
