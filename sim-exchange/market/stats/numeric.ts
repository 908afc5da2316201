/** Small, pure numeric helpers for the calibration statistics. All return null on too little data. */

/**
 * The q-quantile (0 ≤ q ≤ 1) with linear interpolation between order statistics (Hyndman & Fan type 7, the default
 * of numpy and R): position h = (n − 1)·q, value = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]). Sorts a copy.
 */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  return quantileSorted(sorted, q);
}

/** As quantile(), over values already sorted ascending. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile q must be in [0, 1]: ${q}`);
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (h - lo) * (b - a);
}

export function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** Sample standard deviation (n − 1 in the denominator); null for fewer than 2 values. */
export function stdev(values: readonly number[]): number | null {
  const n = values.length;
  if (n < 2) return null;
  const m = mean(values) as number;
  let ss = 0;
  for (const v of values) ss += (v - m) * (v - m);
  return Math.sqrt(ss / (n - 1));
}

/**
 * Lag-1 autocorrelation of a series that may have gaps (null = no value at that step), with the usual ACF
 * estimator: ρ₁ = Σ (x_t − m)(x_{t+1} − m) / Σ (x_t − m)², the numerator over the consecutive pairs where both
 * values exist, the mean m and the denominator over every value present. Null when fewer than 2 pairs exist or the
 * series is constant.
 */
export function autocorrLag1(series: readonly (number | null)[]): number | null {
  const present = series.filter((v): v is number => v !== null);
  const m = mean(present);
  if (m === null) return null;
  let den = 0;
  for (const v of present) den += (v - m) * (v - m);
  let num = 0;
  let pairs = 0;
  for (let i = 0; i + 1 < series.length; i++) {
    const a = series[i];
    const b = series[i + 1];
    if (a === null || a === undefined || b === null || b === undefined) continue;
    num += (a - m) * (b - m);
    pairs++;
  }
  if (pairs < 2 || den === 0) return null;
  return num / den;
}
