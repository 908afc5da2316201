/**
 * The run's time series, read from the venue in this process every 100 ms: the venue mid (markouts, the final mark,
 * the price chart), the bot's best bid and ask among its resting orders (the price chart, recovery gates) and its
 * position (progress, the inventory chart).
 */
import type { Venue } from '../../sim-exchange/venue/venue.ts';
import type { MidPoint } from '../types.ts';

export const SAMPLE_MS = 100;

export type QuotePoint = { time: number; bid: number | null; ask: number | null };

export class Sampler {
  mids: MidPoint[] = [];
  quotes: QuotePoint[] = [];
  positions: { time: number; position: number }[] = [];
  position = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly tick: number;
  private readonly lot: number;

  constructor(
    private readonly venue: Venue,
    private readonly uid: number,
    private readonly symbol: string,
  ) {
    const inst = venue.instrument(symbol);
    this.tick = inst.tick.units / 10 ** inst.tick.scale;
    this.lot = inst.lot.units / 10 ** inst.lot.scale;
  }

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
  }

  /** Stops the timer and takes one last sample. */
  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
  }

  /**
   * Takes a sample, hands the series over and starts new ones from that last sample (a soak window's cut: the next
   * window starts at the same instant, with the state it inherits).
   */
  drain(): { mids: MidPoint[]; quotes: QuotePoint[] } {
    this.sample();
    const out = { mids: this.mids, quotes: this.quotes };
    const lastMid = this.mids[this.mids.length - 1];
    const lastQuote = this.quotes[this.quotes.length - 1];
    this.mids = lastMid ? [lastMid] : [];
    this.quotes = lastQuote ? [lastQuote] : [];
    this.positions = [];
    return out;
  }

  sample(): void {
    const v = this.venue;
    const t = v.clock.now();
    const mid = v.mid(this.symbol);
    if (mid !== null) this.mids.push({ time: t, mid: mid * this.tick });
    let bid: number | null = null;
    let ask: number | null = null;
    for (const o of v.orders.openOf(this.uid)) {
      if (o.symbol !== this.symbol) continue;
      if (o.side === 1) bid = bid === null ? o.price : Math.max(bid, o.price);
      else ask = ask === null ? o.price : Math.min(ask, o.price);
    }
    this.quotes.push({ time: t, bid: bid === null ? null : bid * this.tick, ask: ask === null ? null : ask * this.tick });
    const p = v.account(this.uid).positions.get(this.symbol);
    this.position = p ? p.size * this.lot : 0;
    this.positions.push({ time: t, position: this.position });
  }
}
