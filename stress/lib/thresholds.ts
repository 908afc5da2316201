/**
 * k6-style thresholds: `<metric> <op> <number><unit>`, e.g. `p95 < 50ms`, `errors < 1%`, `rps > 2000`,
 * `ack.p99 <= 0.2s`, `gaps == 0`. A metric has a kind that fixes the units it accepts:
 *
 *   time     ms (default when no unit), s, us / µs         → compared in ms
 *   percent  %  (default)                                  → compared in percent
 *   rate     rps, /s (default)                             → compared per second
 *   count    no unit                                       → compared as is
 *
 * Comparators: < <= > >= == !=. Parsing is strict: an unknown unit, a unit of the wrong kind or an unknown metric
 * (at evaluation) is an error, never a silent pass.
 */

export type Comparator = '<' | '<=' | '>' | '>=' | '==' | '!=';
export type MetricKind = 'time' | 'percent' | 'rate' | 'count';
export type Unit = 'ms' | 's' | 'us' | '%' | 'rps' | '';

export interface Threshold {
  readonly expr: string;
  readonly metric: string;
  readonly op: Comparator;
  /** The number as written. */
  readonly value: number;
  readonly unit: Unit;
}

export interface Metric {
  readonly kind: MetricKind;
  /** time in ms, percent in %, rate per second. */
  readonly value: number;
}

export interface ThresholdResult {
  readonly expr: string;
  readonly metric: string;
  /** The metric's value in the threshold's unit (NaN when the metric is unknown). */
  readonly actual: number;
  readonly limit: number;
  readonly unit: Unit;
  readonly ok: boolean;
  readonly error?: string;
}

const RE = /^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*(ms|s|us|µs|%|rps|\/s)?\s*$/;

export class ThresholdError extends Error {}

export function parseThreshold(expr: string): Threshold {
  const m = RE.exec(expr);
  if (!m) throw new ThresholdError(`bad threshold "${expr}": expected "<metric> <op> <number>[ms|s|us|%|rps]", e.g. "p95 < 50ms"`);
  const raw = m[4] ?? '';
  const unit: Unit = raw === 'µs' ? 'us' : raw === '/s' ? 'rps' : (raw as Unit);
  return { expr: expr.trim(), metric: m[1]!, op: m[2] as Comparator, value: Number(m[3]), unit };
}

function unitKind(u: Unit): MetricKind | undefined {
  if (u === 'ms' || u === 's' || u === 'us') return 'time';
  if (u === '%') return 'percent';
  if (u === 'rps') return 'rate';
  return undefined;
}

/** The threshold's number in the metric's base unit (ms, %, /s). Throws when the unit does not fit the kind. */
export function limitInBase(t: Threshold, kind: MetricKind): number {
  const k = unitKind(t.unit);
  if (k !== undefined && k !== kind) throw new ThresholdError(`"${t.expr}": unit ${t.unit} does not fit ${t.metric} (a ${kind})`);
  if (t.unit === 's') return t.value * 1000;
  if (t.unit === 'us') return t.value / 1000;
  return t.value;
}

export function compare(a: number, op: Comparator, b: number): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '==':
      return a === b;
    case '!=':
      return a !== b;
  }
}

function toUnit(base: number, unit: Unit): number {
  if (unit === 's') return base / 1000;
  if (unit === 'us') return base * 1000;
  return base;
}

export function evaluate(thresholds: readonly Threshold[], metrics: Readonly<Record<string, Metric>>): ThresholdResult[] {
  return thresholds.map((t) => {
    const m = metrics[t.metric];
    if (!m) {
      return { expr: t.expr, metric: t.metric, actual: NaN, limit: t.value, unit: t.unit, ok: false, error: `unknown metric ${t.metric} (known: ${Object.keys(metrics).join(', ')})` };
    }
    let limit: number;
    try {
      limit = limitInBase(t, m.kind);
    } catch (err) {
      return { expr: t.expr, metric: t.metric, actual: NaN, limit: t.value, unit: t.unit, ok: false, error: (err as Error).message };
    }
    const ok = Number.isFinite(m.value) && compare(m.value, t.op, limit);
    return { expr: t.expr, metric: t.metric, actual: toUnit(m.value, t.unit), limit: t.value, unit: t.unit, ok };
  });
}

export function allHold(results: readonly ThresholdResult[]): boolean {
  return results.every((r) => r.ok);
}

/** 0 when every threshold holds, 1 otherwise (2 is left for usage errors). */
export function exitCode(results: readonly ThresholdResult[]): number {
  return allHold(results) ? 0 : 1;
}

export function formatResults(results: readonly ThresholdResult[]): string {
  return results
    .map((r) => {
      const actual = Number.isFinite(r.actual) ? `${Number(r.actual.toPrecision(4))}${r.unit}` : 'n/a';
      return `  ${r.ok ? 'PASS' : 'FAIL'}  ${r.expr.padEnd(24)} actual ${actual}${r.error ? `  (${r.error})` : ''}`;
    })
    .join('\n');
}
