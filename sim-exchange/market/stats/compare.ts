import type { MarketStats } from './stats.ts';

/**
 * The headline figures of the calibration table, how to read each from MarketStats, and how "close enough" is
 * judged: relative (sim within ±30 % of real) for magnitudes, absolute for the autocorrelation, whose ratio means
 * nothing near zero (±0.1 ≈ two standard errors of a lag-1 ACF estimate over ~340 one-second returns, 2/√340).
 */
export interface Figure {
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  readonly get: (s: MarketStats) => number | null;
  readonly tolerance: { readonly kind: 'relative'; readonly value: number } | { readonly kind: 'absolute'; readonly value: number };
  readonly digits: number;
}

const REL30 = { kind: 'relative', value: 0.3 } as const;

export const FIGURES: readonly Figure[] = [
  { key: 'spreadMedian', label: 'spread median', unit: 'ticks', get: (s) => s.spreadTicks.median, tolerance: REL30, digits: 2 },
  { key: 'spreadP90', label: 'spread p90', unit: 'ticks', get: (s) => s.spreadTicks.p90, tolerance: REL30, digits: 2 },
  { key: 'topDepthMedian', label: 'top-of-book depth median, bid+ask', unit: 'base', get: (s) => s.topDepth.median, tolerance: REL30, digits: 3 },
  { key: 'depth10Median', label: 'top-10-levels depth median, bid+ask', unit: 'base', get: (s) => s.deepDepth.median, tolerance: REL30, digits: 3 },
  { key: 'tradeRate', label: 'trade rate, prints', unit: '1/s', get: (s) => s.trades.ratePerS, tolerance: REL30, digits: 2 },
  { key: 'burstRate', label: 'taker bursts (same-side prints ≤ 1 ms apart)', unit: '1/s', get: (s) => s.bursts.ratePerS, tolerance: REL30, digits: 2 },
  { key: 'tradeSizeP50', label: 'trade size p50', unit: 'base', get: (s) => s.trades.sizeP50, tolerance: REL30, digits: 4 },
  { key: 'tradeSizeP90', label: 'trade size p90', unit: 'base', get: (s) => s.trades.sizeP90, tolerance: REL30, digits: 4 },
  { key: 'tradeSizeP99', label: 'trade size p99', unit: 'base', get: (s) => s.trades.sizeP99, tolerance: REL30, digits: 4 },
  { key: 'vol1s', label: '1 s return volatility', unit: 'bps', get: (s) => s.returns.volBps, tolerance: REL30, digits: 3 },
  { key: 'acf1', label: '1 s return autocorrelation, lag 1', unit: '', get: (s) => s.returns.autocorrLag1, tolerance: { kind: 'absolute', value: 0.1 }, digits: 3 },
  { key: 'zeroReturnShare', label: 'share of 1 s returns that are 0', unit: '', get: (s) => s.returns.zeroShare, tolerance: REL30, digits: 3 },
  { key: 'buyShare', label: 'buy share of prints', unit: '', get: (s) => s.trades.buyShare, tolerance: REL30, digits: 3 },
];

export interface Row {
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  readonly real: number | null;
  readonly sim: number | null;
  /** sim / real; null when either is missing or real is 0. */
  readonly ratio: number | null;
  /** null when the sim value is missing (pending). */
  readonly within: boolean | null;
  readonly tolerance: string;
  readonly digits: number;
}

export function judge(f: Figure, real: number | null, sim: number | null): boolean | null {
  if (real === null || sim === null) return null;
  if (f.tolerance.kind === 'absolute') return Math.abs(sim - real) <= f.tolerance.value + 1e-12;
  if (real === 0) return sim === 0;
  return Math.abs(sim / real - 1) <= f.tolerance.value + 1e-12;
}

export function compareStats(real: MarketStats, sim: MarketStats | null): Row[] {
  return FIGURES.map((f) => {
    const r = f.get(real);
    const s = sim ? f.get(sim) : null;
    return {
      key: f.key,
      label: f.label,
      unit: f.unit,
      real: r,
      sim: s,
      ratio: r !== null && s !== null && r !== 0 ? s / r : null,
      within: judge(f, r, s),
      tolerance: f.tolerance.kind === 'relative' ? `±${Math.round(f.tolerance.value * 100)}%` : `±${f.tolerance.value} abs`,
      digits: f.digits,
    };
  });
}

export function summaryLine(rows: readonly Row[]): string {
  const judged = rows.filter((r) => r.within !== null);
  const ok = judged.filter((r) => r.within).length;
  const pending = rows.length - judged.length;
  return `${ok} of ${judged.length} figures within ±30%` + (pending ? ` (${pending} pending: no sim value)` : '') + ' (autocorrelation: ±0.1 absolute)';
}

const fmt = (v: number | null, digits: number): string => (v === null ? '—' : Number.isInteger(v) && Math.abs(v) < 1e6 ? String(v) : v.toFixed(digits));
const yesNo = (w: boolean | null): string => (w === null ? 'pending' : w ? 'yes' : 'NO');

function cells(r: Row): string[] {
  const label = r.unit ? `${r.label} (${r.unit})` : r.label;
  return [label, fmt(r.real, r.digits), fmt(r.sim, r.digits), r.ratio === null ? '—' : r.ratio.toFixed(2), `${yesNo(r.within)}${r.tolerance === '±30%' ? '' : ` (${r.tolerance})`}`];
}

const head = (simLabel: string): string[] => ['figure', 'real', simLabel, 'sim/real', 'within ±30%?'];

export function markdownTable(rows: readonly Row[], simLabel = 'sim calm'): string {
  const HEAD = head(simLabel);
  const lines = [`| ${HEAD.join(' | ')} |`, `|${HEAD.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const r of rows) lines.push(`| ${cells(r).join(' | ')} |`);
  return lines.join('\n');
}

export function textTable(rows: readonly Row[], simLabel = 'sim calm'): string {
  const HEAD = head(simLabel);
  const all = [HEAD, ...rows.map(cells)];
  const widths = HEAD.map((_, c) => Math.max(...all.map((row) => (row[c] as string).length)));
  const line = (row: string[]): string => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number))).join('  ');
  return [line(HEAD), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => line(cells(r)))].join('\n');
}
