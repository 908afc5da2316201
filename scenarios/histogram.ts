/** HDR histograms of millisecond samples: every percentile of the metrics comes from one of these, never from averages. */
import * as hdr from 'hdr-histogram-js';


/** An HDR histogram of millisecond samples at microsecond resolution, 3 significant digits. */
export class MsHistogram {
  private readonly h = hdr.build({ useWebAssembly: false, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
  count = 0;
  record(ms: number): void {
    if (!Number.isFinite(ms)) return;
    this.h.recordValue(Math.max(0, Math.round(ms * 1000)));
    this.count++;
  }
  /**
   * Value at percentile p (0–100) in ms; null without samples. HDR answers with the upper edge of the sample's
   * bucket (never under-reporting); that edge is capped at the largest sample, so a P95 is never above the max.
   */
  percentile(p: number): number | null {
    return this.count === 0 ? null : Math.min(this.h.getValueAtPercentile(p), this.h.maxValue) / 1000;
  }
  max(): number | null {
    return this.count === 0 ? null : this.h.maxValue / 1000;
  }
  reset(): void {
    this.h.reset();
    this.count = 0;
  }
  destroy(): void {
    this.h.destroy();
  }
}

/** Percentiles of a list of ms samples through one HDR histogram (never averages of percentiles). */
export function hdrPercentiles(samples: Iterable<number>, ps: readonly number[]): { count: number; values: (number | null)[] } {
  const h = new MsHistogram();
  for (const v of samples) h.record(v);
  const values = ps.map((p) => h.percentile(p));
  const count = h.count;
  h.destroy();
  return { count, values };
}

