/**
 * A tiny inline-SVG chart builder for report.html: time-series lines (plain or step, with gaps), point markers
 * (triangles, dots, crosses; no line), shaded bands (fault windows) and horizontal reference lines. Pure string building, no external references (the
 * SVG is inline in HTML5, so it needs no xmlns).
 */
import { escapeXml as x } from './util.ts';

export type Pt = readonly [number, number | null];

export interface LineSeries {
  readonly label: string;
  readonly color: string;
  readonly points: readonly Pt[];
  /** Draw as a step function (value holds until the next point). */
  readonly step?: boolean;
  readonly width?: number;
  readonly dash?: string;
}

export interface MarkerSet {
  readonly label: string;
  readonly color: string;
  /** ▲, ▼, ● or ✕ (a cross is stroked, the others filled). */
  readonly shape: 'up' | 'down' | 'dot' | 'cross';
  readonly points: readonly { readonly x: number; readonly y: number; readonly tip: string }[];
}

export interface Band {
  readonly x0: number;
  readonly x1: number;
  readonly label: string;
}

export interface HLine {
  readonly y: number;
  readonly label: string;
  readonly color: string;
}

export interface ChartSpec {
  /** Unique on the page (used for the clip path). */
  readonly id: string;
  readonly title: string;
  readonly yLabel: string;
  readonly x0: number;
  readonly x1: number;
  readonly xLabel: string;
  readonly xTick: (x: number) => string;
  readonly series: readonly LineSeries[];
  readonly markers?: readonly MarkerSet[];
  readonly bands?: readonly Band[];
  readonly hlines?: readonly HLine[];
  /** Values the y range always covers (e.g. 0 for a latency or a count), without drawing anything. */
  readonly yInclude?: readonly number[];
  /** Shown when there is nothing to draw. */
  readonly emptyText?: string;
}

const W = 960;
const H = 260;
const ML = 72;
const MR = 16;
const MT = 26;
const MB = 34;

const r1 = (v: number) => (Math.round(v * 10) / 10).toString();

/** Nice tick values covering [lo, hi], about `n` of them. */
export function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  const step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

function tickLabel(v: number, step: number): string {
  const d = step >= 1 ? 0 : Math.min(8, Math.ceil(-Math.log10(step)));
  return v.toFixed(d);
}

/**
 * Downsamples a time series to at most ~4 points per bucket (first, min, max, last in time order), `buckets` buckets
 * over [x0, x1]; a bucket with a null keeps one null (a gap) at its first null's position.
 */
export function downsample(points: readonly Pt[], buckets: number, x0: number, x1: number): Pt[] {
  if (points.length <= buckets * 4 || !(x1 > x0)) return [...points];
  const out: Pt[] = [];
  const width = (x1 - x0) / buckets;
  let i = 0;
  while (i < points.length) {
    const b = Math.min(buckets - 1, Math.max(0, Math.floor((points[i]![0] - x0) / width)));
    let j = i;
    let first = -1;
    let last = -1;
    let min = -1;
    let max = -1;
    let nul = -1;
    while (j < points.length && Math.min(buckets - 1, Math.max(0, Math.floor((points[j]![0] - x0) / width))) === b) {
      const v = points[j]![1];
      if (v === null) {
        if (nul < 0) nul = j;
      } else {
        if (first < 0) first = j;
        last = j;
        if (min < 0 || v < points[min]![1]!) min = j;
        if (max < 0 || v > points[max]![1]!) max = j;
      }
      j++;
    }
    const keep = [...new Set([first, min, max, last, nul].filter((k) => k >= 0))].sort((a, c) => a - c);
    for (const k of keep) out.push(points[k]!);
    i = j;
  }
  return out;
}

/** Evenly thins a list to at most `max` items (keeps the first and the last). */
export function thin<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  const out: T[] = [];
  for (let k = 0; k < max; k++) out.push(items[Math.round((k * (items.length - 1)) / (max - 1))]!);
  return out;
}

/** The path of one marker centred at (px, py). */
function markerPath(shape: MarkerSet['shape'], px: number, py: number): string {
  switch (shape) {
    case 'up':
      return `M${r1(px)} ${r1(py - 4)}l4 7h-8z`;
    case 'down':
      return `M${r1(px)} ${r1(py + 4)}l4 -7h-8z`;
    case 'dot':
      return `M${r1(px - 3)} ${r1(py)}a3 3 0 1 0 6 0a3 3 0 1 0 -6 0z`;
    case 'cross':
      return `M${r1(px - 3.5)} ${r1(py - 3.5)}l7 7m0 -7l-7 7`;
  }
}

/** An inline <svg> chart. */
export function svgChart(spec: ChartSpec): string {
  const pw = W - ML - MR;
  const ph = H - MT - MB;
  const { x0, x1 } = spec;
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of spec.series) for (const [, v] of s.points) if (v !== null && Number.isFinite(v)) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  for (const m of spec.markers ?? []) for (const p of m.points) if (Number.isFinite(p.y)) (lo = Math.min(lo, p.y)), (hi = Math.max(hi, p.y));
  const hasData = lo <= hi;
  for (const h of spec.hlines ?? []) if (Number.isFinite(h.y)) (lo = Math.min(lo, h.y)), (hi = Math.max(hi, h.y));
  if (hasData) for (const v of spec.yInclude ?? []) if (Number.isFinite(v)) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  if (!(lo <= hi)) (lo = 0), (hi = 1);
  if (hi === lo) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 1e-3 : 1;
    lo -= pad;
    hi += pad;
  } else {
    const pad = (hi - lo) * 0.05;
    lo -= pad;
    hi += pad;
  }
  const span = x1 > x0 ? x1 - x0 : 1;
  const X = (v: number) => ML + ((v - x0) / span) * pw;
  const Y = (v: number) => MT + (1 - (v - lo) / (hi - lo)) * ph;
  const parts: string[] = [];
  parts.push(`<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${x(spec.title)}" class="chart">`);
  parts.push(`<rect x="${ML}" y="${MT}" width="${pw}" height="${ph}" fill="#fff" stroke="#ccc"/>`);
  // fault bands
  for (const [bi, b] of (spec.bands ?? []).entries()) {
    const a = Math.max(x0, b.x0);
    const e = Math.min(x1, b.x1);
    if (!(e >= a)) continue;
    const bw = Math.max(1.5, X(e) - X(a));
    parts.push(`<rect class="fault" x="${r1(X(a))}" y="${MT}" width="${r1(bw)}" height="${ph}" fill="#f0a030" fill-opacity="0.18"><title>${x(b.label)}</title></rect>`);
    parts.push(`<text x="${r1(X(a) + 2)}" y="${MT + 10 + (bi % 3) * 10}" font-size="9" fill="#a06010">${x(b.label.length > 28 ? `${b.label.slice(0, 27)}…` : b.label)}</text>`);
  }
  // axes and grid
  const yt = niceTicks(lo, hi, 5);
  const ystep = yt.length > 1 ? yt[1]! - yt[0]! : 1;
  for (const v of yt) {
    const y = r1(Y(v));
    parts.push(`<line x1="${ML}" x2="${ML + pw}" y1="${y}" y2="${y}" stroke="#eee"/><text x="${ML - 4}" y="${y}" font-size="10" text-anchor="end" dominant-baseline="middle">${x(tickLabel(v, ystep))}</text>`);
  }
  for (const v of niceTicks(x0, x1, 8)) {
    const xx = r1(X(v));
    parts.push(`<line x1="${xx}" x2="${xx}" y1="${MT + ph}" y2="${MT + ph + 4}" stroke="#999"/><text x="${xx}" y="${MT + ph + 15}" font-size="10" text-anchor="middle">${x(spec.xTick(v))}</text>`);
  }
  parts.push(`<text x="${ML + pw / 2}" y="${H - 3}" font-size="10" text-anchor="middle" fill="#555">${x(spec.xLabel)}</text>`);
  parts.push(`<text transform="translate(12 ${MT + ph / 2}) rotate(-90)" font-size="10" text-anchor="middle" fill="#555">${x(spec.yLabel)}</text>`);
  // reference lines
  for (const h of spec.hlines ?? []) {
    const y = r1(Y(h.y));
    parts.push(`<line x1="${ML}" x2="${ML + pw}" y1="${y}" y2="${y}" stroke="${h.color}" stroke-dasharray="6 4"><title>${x(h.label)}</title></line>`);
  }
  // series
  parts.push(`<clipPath id="clip-${x(spec.id)}"><rect x="${ML}" y="${MT - 5}" width="${pw}" height="${ph + 10}"/></clipPath>`);
  parts.push(`<g clip-path="url(#clip-${x(spec.id)})">`);
  for (const s of spec.series) {
    let d = '';
    let pen = false;
    for (const [px, pv] of s.points) {
      if (pv === null || !Number.isFinite(pv)) {
        if (pen && s.step) d += `H${r1(X(px))}`;
        pen = false;
        continue;
      }
      const cx = r1(X(px));
      const cy = r1(Y(pv));
      if (!pen) d += `M${cx} ${cy}`;
      else if (s.step) d += `H${cx}V${cy}`;
      else d += `L${cx} ${cy}`;
      pen = true;
    }
    if (pen && s.step) d += `H${r1(X(x1))}`;
    if (d) parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 1.2}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
  }
  for (const m of spec.markers ?? []) {
    const paint = m.shape === 'cross' ? `fill="none" stroke="${m.color}" stroke-width="1.6"` : `fill="${m.color}"`;
    if (m.points.length <= 300) {
      for (const p of m.points) parts.push(`<path d="${markerPath(m.shape, X(p.x), Y(p.y))}" ${paint}><title>${x(p.tip)}</title></path>`);
    } else {
      parts.push(`<path d="${m.points.map((p) => markerPath(m.shape, X(p.x), Y(p.y))).join('')}" ${paint}/>`);
    }
  }
  parts.push(`</g>`);
  // legend
  let lx = ML + 4;
  const legend: string[] = [];
  const item = (label: string, sw: string) => {
    legend.push(`${sw}<text x="${lx + 16}" y="14" font-size="11">${x(label)}</text>`);
    lx += 24 + label.length * 6.2;
  };
  for (const s of spec.series) item(s.label, `<line x1="${lx}" x2="${lx + 12}" y1="10" y2="10" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
  for (const m of spec.markers ?? [])
    item(m.label, `<path d="${markerPath(m.shape, lx + 6, 10)}" ${m.shape === 'cross' ? `fill="none" stroke="${m.color}" stroke-width="1.6"` : `fill="${m.color}"`}/>`);
  for (const h of spec.hlines ?? []) item(h.label, `<line x1="${lx}" x2="${lx + 12}" y1="10" y2="10" stroke="${h.color}" stroke-dasharray="3 2"/>`);
  if ((spec.bands ?? []).length > 0) item('fault window', `<rect x="${lx}" y="4" width="12" height="12" fill="#f0a030" fill-opacity="0.3"/>`);
  parts.push(...legend);
  if (!hasData) parts.push(`<text x="${ML + pw / 2}" y="${MT + ph / 2}" font-size="13" text-anchor="middle" fill="#888">${x(spec.emptyText ?? 'no data')}</text>`);
  parts.push('</svg>');
  return parts.join('');
}
