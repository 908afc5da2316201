/** Shared helpers of the report writers: escaping, number formatting, gate fields. */
import { fmtNum, type GateOutcome } from '../gates.ts';
import { isPresent } from '../metrics.ts';
import type { GateResult, MetricValue } from '../types.ts';

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
