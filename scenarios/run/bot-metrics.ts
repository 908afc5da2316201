/**
 * The bot's own latency, for bots that export it (`bot.metrics`: a Prometheus URL and a histogram of milliseconds):
 * scraped at t0 (the warm-up's cycles are not the window's), every second for the latency-over-time series, and once
 * after the window; the window's samples are decoded from the bucket deltas (scenarios/run/prom.ts). A bot without
 * `bot.metrics` has no quote-cycle samples, and quote_cycle_p95_ms is absent with that reason.
 */
import { histogramDelta, histogramSamples, parseHistogram, percentile, type Histogram } from './prom.ts';

export interface QuoteCyclePoint {
  readonly time: number;
  readonly count: number;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly samples: readonly number[];
}

export const NO_BOT_METRICS = 'the bot exports no latency (its bot section has no metrics)';

export class QuoteCycleScrape {
  readonly series: QuoteCyclePoint[] = [];
  private first: Histogram | undefined;
  private last: Histogram | undefined;
  private final: Histogram | undefined;

  constructor(
    private readonly url: string,
    private readonly histogram: string,
  ) {}

  private async scrape(): Promise<Histogram | undefined> {
    const r = await fetch(this.url, { signal: AbortSignal.timeout(2000) });
    return parseHistogram(await r.text(), this.histogram);
  }

  /** The t0 scrape: later samples count from here. */
  async baseline(): Promise<void> {
    this.first = await this.scrape().catch(() => undefined);
    this.last = this.first;
  }

  /** One interval of the series (errors are skipped: a missed second is not a measurement). */
  async interval(time: number): Promise<void> {
    const h = await this.scrape().catch(() => undefined);
    if (h) this.push(h, time);
  }

  /** The scrape after the window; throws when it fails (the window's samples would be incomplete). */
  async end(time: number): Promise<void> {
    this.final = await this.scrape();
    if (this.final) this.push(this.final, time, true);
  }

  /** The window's samples (ms), from the t0 scrape to the last. */
  samples(): number[] {
    return this.final ? histogramSamples(histogramDelta(this.final, this.first)) : [];
  }

  private push(h: Histogram, time: number, skipEmpty = false): void {
    const s = histogramSamples(histogramDelta(h, this.last));
    this.last = h;
    if (skipEmpty && s.length === 0) return;
    this.series.push({ time, count: s.length, p50: percentile(s, 0.5) ?? null, p95: percentile(s, 0.95) ?? null, p99: percentile(s, 0.99) ?? null, samples: s });
  }
}
