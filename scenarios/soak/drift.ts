/**
 * Leak and drift detection over per-window values (heap, RSS, event-loop lag, quote-cycle p95 ...).
 *
 * Decision rule (see docs/soak.md): a series is flagged as a leak/drift when ALL of
 *   1. it has at least `minWindows` (default 6) finite values — with fewer, the Mann-Kendall test cannot reach
 *      p < 0.01 at all, so the rule never flags;
 *   2. the Mann-Kendall trend test says "rising" with one-sided p < `alpha` (default 0.01). It is a rank test: a
 *      single outlier or heavy-tailed noise moves it little;
 *   3. the least-squares slope, per hour, is at least `minRelSlopePerHour` (default 0.05 = 5 % of the series' fitted level at
 *      the first window
 *      per hour) and at least `minAbsSlopePerHour` (default 0). Significance alone is not enough: a tiny but
 *      consistent rise (a cache warming by 0.1 %/h) is not a leak worth failing a soak;
 *   4. it is not better explained by one step: if a single step (two flat segments, each ≥ 2 windows) leaves less
 *      than `stepSseRatio` (default 0.5) of the straight line's squared residuals, the rise is a one-off (a GC
 *      heap-size jump, a cache filling once, a regime change) — not flagged, UNLESS the longer segment after or
 *      before the step itself passes 1–3 (a leak that also had a step is still caught).
 */

export interface DriftOptions {
  readonly minWindows?: number;
  readonly alpha?: number;
  readonly minRelSlopePerHour?: number;
  readonly minAbsSlopePerHour?: number;
  readonly stepSseRatio?: number;
}

export interface DriftPoint {
  /** Time of the window (its midpoint), ms from the soak's start. */
  readonly tMs: number;
  readonly value: number | null;
}

export interface DriftResult {
  readonly flagged: boolean;
  /** Least-squares slope in value units per hour (0 when there are fewer than 2 points). */
  readonly slopePerHour: number;
  /** slopePerHour / the fitted level at the first window (or |mean| when that is not positive; 0 when both are 0). */
  readonly relSlopePerHour: number;
  /** Mann-Kendall one-sided p-value for "rising" (1 when not computable). */
  readonly pRising: number;
  readonly n: number;
  readonly reason: string;
}

const HOUR = 3_600_000;

export function linearFit(xs: readonly number[], ys: readonly number[]): { slope: number; intercept: number; sse: number } {
  const n = xs.length;
  if (n === 0) return { slope: 0, intercept: 0, sse: 0 };
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  const intercept = my - slope * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (ys[i]! - (intercept + slope * xs[i]!)) ** 2;
  return { slope, intercept, sse };
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** Mann-Kendall S statistic and the one-sided p-value for an increasing trend (normal approximation, tie-corrected). */
export function mannKendall(ys: readonly number[]): { s: number; pRising: number } {
  const n = ys.length;
  if (n < 3) return { s: 0, pRising: 1 };
  let s = 0;
  for (let i = 0; i < n - 1; i++) for (let j = i + 1; j < n; j++) s += Math.sign(ys[j]! - ys[i]!);
  const ties = new Map<number, number>();
  for (const y of ys) ties.set(y, (ties.get(y) ?? 0) + 1);
  let tieTerm = 0;
  for (const t of ties.values()) if (t > 1) tieTerm += t * (t - 1) * (2 * t + 5);
  const variance = (n * (n - 1) * (2 * n + 5) - tieTerm) / 18;
  if (variance <= 0) return { s, pRising: 1 };
  const z = s > 0 ? (s - 1) / Math.sqrt(variance) : s < 0 ? (s + 1) / Math.sqrt(variance) : 0;
  return { s, pRising: 1 - normalCdf(z) };
}

/** The best single step (two constant segments, each ≥ 2 points): its SSE and the index where the second segment starts. */
export function bestStep(ys: readonly number[]): { sse: number; at: number } | null {
  const n = ys.length;
  if (n < 4) return null;
  let best: { sse: number; at: number } | null = null;
  for (let k = 2; k <= n - 2; k++) {
    const sse = segSse(ys, 0, k) + segSse(ys, k, n);
    if (!best || sse < best.sse) best = { sse, at: k };
  }
  return best;
}

function segSse(ys: readonly number[], a: number, b: number): number {
  let m = 0;
  for (let i = a; i < b; i++) m += ys[i]!;
  m /= b - a;
  let s = 0;
  for (let i = a; i < b; i++) s += (ys[i]! - m) ** 2;
  return s;
}

const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
const fmtP = (p: number) => (p < 1e-4 ? '< 0.0001' : `= ${p.toPrecision(3)}`);

function trendCheck(xs: number[], ys: number[], o: Required<DriftOptions>): Omit<DriftResult, 'reason'> & { why: string } {
  const n = ys.length;
  const fit = linearFit(xs, ys);
  const slopePerHour = fit.slope * HOUR;
  const mean = n > 0 ? ys.reduce((a, b) => a + b, 0) / n : 0;
  // Relative to the fitted level at the first window (what the process started with), not the run's mean: over a
  // long run a leak inflates the mean and would dilute its own relative slope. Falls back to the mean when the
  // fitted start is not positive.
  const start = n > 0 ? fit.intercept + fit.slope * xs[0]! : 0;
  const level = start > 0 ? start : Math.abs(mean);
  const relSlopePerHour = level !== 0 ? slopePerHour / level : 0;
  const { pRising } = mannKendall(ys);
  const base = { slopePerHour, relSlopePerHour, pRising, n };
  if (n < o.minWindows) return { ...base, flagged: false, why: `only ${n} windows (< ${o.minWindows}), cannot judge a trend` };
  if (!(pRising < o.alpha)) return { ...base, flagged: false, why: `no significant rise (Mann-Kendall p ${fmtP(pRising)} ≥ ${o.alpha})` };
  if (relSlopePerHour < o.minRelSlopePerHour)
    return { ...base, flagged: false, why: `rising but slowly (${pct(relSlopePerHour)}/h of the start level < ${pct(o.minRelSlopePerHour)}/h)` };
  if (slopePerHour < o.minAbsSlopePerHour) return { ...base, flagged: false, why: `rising but slowly (${slopePerHour.toPrecision(4)}/h < ${o.minAbsSlopePerHour}/h)` };
  return {
    ...base,
    flagged: true,
    why: `keeps rising: slope ${slopePerHour.toPrecision(4)}/h (${pct(relSlopePerHour)}/h of the start level), Mann-Kendall p ${fmtP(pRising)} < ${o.alpha}`,
  };
}

/** Applies the decision rule in the module comment. Null values (a window without a sample) are skipped. */
export function detectDrift(points: readonly DriftPoint[], opts: DriftOptions = {}): DriftResult {
  const o: Required<DriftOptions> = {
    minWindows: opts.minWindows ?? 6,
    alpha: opts.alpha ?? 0.01,
    minRelSlopePerHour: opts.minRelSlopePerHour ?? 0.05,
    minAbsSlopePerHour: opts.minAbsSlopePerHour ?? 0,
    stepSseRatio: opts.stepSseRatio ?? 0.5,
  };
  const pts = points.filter((p): p is { tMs: number; value: number } => p.value !== null && Number.isFinite(p.value) && Number.isFinite(p.tMs));
  const xs = pts.map((p) => p.tMs);
  const ys = pts.map((p) => p.value);
  const all = trendCheck(xs, ys, o);
  const { why, ...rest } = all;
  if (!all.flagged) return { ...rest, reason: why };
  const step = bestStep(ys);
  const lin = linearFit(xs, ys);
  if (step && lin.sse > 0 && step.sse < o.stepSseRatio * lin.sse) {
    // One step explains the rise better than a line: look for a rise within the longer flat-ish segment.
    const [a, b] = step.at >= ys.length - step.at ? [0, step.at] : [step.at, ys.length];
    const seg = trendCheck(xs.slice(a, b), ys.slice(a, b), o);
    const stepDesc = `one step between windows ${step.at - 1} and ${step.at} explains the rise (step SSE ${(step.sse / lin.sse).toFixed(2)} × the line's)`;
    if (seg.flagged) return { ...rest, flagged: true, reason: `${stepDesc}, but the segment without it still ${seg.why}` };
    return { ...rest, flagged: false, reason: `${stepDesc}: a one-off jump, not a leak (segment: ${seg.why})` };
  }
  return { ...rest, reason: why };
}
