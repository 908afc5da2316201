/**
 * Decoding the bot's Prometheus histogram `mmbot_quote_cycle_ms` (prom-client text format) into samples.
 *
 * A histogram only keeps cumulative counts per bucket `le` (1, 2, 5, 10, 20, 35, 50, 75, 100, 150, 200, 300, 500,
 * 1000, 2000, 5000, 10000 ms, +Inf), summed here over every label set (the `mode` label). The n observations of a
 * bucket (lo, hi] are spread evenly inside it, the k-th (1-based) at lo + (hi − lo)·k/n: a percentile taken from these
 * samples is exactly Prometheus's `histogram_quantile` (linear interpolation inside the bucket) at those ranks, never
 * more than one bucket width off the truth. The first bucket's lower edge is 0; observations above the last finite
 * bucket (+Inf) are given its upper edge (10000 ms) — a lower bound, which still fails any sane gate.
 */
export interface Histogram {
  /** Finite upper edges, ascending, with the cumulative count at each; then the total (+Inf). */
  readonly buckets: readonly { readonly le: number; readonly cumulative: number }[];
  readonly count: number;
  readonly sum: number;
}

/** The histogram `name` from a Prometheus text exposition, summed over label sets; undefined if absent. */
export function parseHistogram(text: string, name: string): Histogram | undefined {
  const byLe = new Map<number, number>();
  let inf = 0;
  let count = 0;
  let sum = 0;
  let seen = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^(\S+?)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const [, metric, labels = '', value] = m;
    const v = Number(value);
    if (metric === `${name}_bucket`) {
      seen = true;
      const le = /le="([^"]+)"/.exec(labels)?.[1];
      if (le === undefined) continue;
      if (le === '+Inf') inf += v;
      else byLe.set(Number(le), (byLe.get(Number(le)) ?? 0) + v);
    } else if (metric === `${name}_count`) count += v;
    else if (metric === `${name}_sum`) sum += v;
  }
  if (!seen) return undefined;
  const buckets = [...byLe.entries()].sort((a, b) => a[0] - b[0]).map(([le, cumulative]) => ({ le, cumulative }));
  return { buckets, count: Math.max(count, inf), sum };
}

/** Samples reconstructed from the bucket counts (see the file comment). */
export function histogramSamples(h: Histogram): number[] {
  const out: number[] = [];
  let lo = 0;
  let prev = 0;
  for (const b of h.buckets) {
    const n = b.cumulative - prev;
    for (let k = 1; k <= n; k++) out.push(lo + ((b.le - lo) * k) / n);
    prev = b.cumulative;
    lo = b.le;
  }
  for (let k = prev; k < h.count; k++) out.push(lo);
  return out;
}

/** Observations between two scrapes (later − earlier), bucket by bucket. */
export function histogramDelta(later: Histogram, earlier: Histogram | undefined): Histogram {
  if (!earlier) return later;
  const prev = new Map(earlier.buckets.map((b) => [b.le, b.cumulative]));
  return {
    buckets: later.buckets.map((b) => ({ le: b.le, cumulative: b.cumulative - (prev.get(b.le) ?? 0) })),
    count: later.count - earlier.count,
    sum: later.sum - earlier.sum,
  };
}

/** Linear-interpolated percentile of sorted-or-not samples (q in 0..1); undefined when empty. */
export function percentile(samples: readonly number[], q: number): number | undefined {
  if (samples.length === 0) return undefined;
  const s = [...samples].sort((a, b) => a - b);
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[rank];
}
