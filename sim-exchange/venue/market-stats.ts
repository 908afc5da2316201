import type { Side } from '../engine/types.ts';

/** A public trade as the tape shows it: prices in ticks, quantities in lots. `side` is the taker's. */
export interface PublicTrade {
  readonly execId: string;
  readonly price: number;
  readonly qty: number;
  readonly side: Side;
  readonly time: number;
  /** Engine cross sequence after the fill. */
  readonly seq: number;
  /** Tick direction against the previous trade: PlusTick, ZeroPlusTick, MinusTick, ZeroMinusTick. */
  readonly tickDirection: string;
}

/** One-minute bar: [startMs, open, high, low, close] in ticks, volume in lots, turnover in nano-USDT. */
export interface Bar {
  start: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  turnover: number;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const MAX_BARS = 7 * 24 * 60;
const MAX_TRADES = 1000;

const INTERVALS: Record<string, number> = {
  '1': 1, '3': 3, '5': 5, '15': 15, '30': 30, '60': 60, '120': 120, '240': 240, '360': 360, '720': 720,
  D: 1440, W: 10080, M: 43200,
};

export function intervalMinutes(interval: string): number | undefined {
  return INTERVALS[interval];
}

/**
 * The public tape of one symbol: the last 1000 trades (recent-trade), one-minute bars for seven days (kline, 24 h
 * ticker figures). Bars are only built from trades, so a quiet market has gaps, as on the real venue.
 */
export class MarketStats {
  private readonly trades: PublicTrade[] = [];
  private readonly bars: Bar[] = [];
  last: PublicTrade | undefined;

  record(t: PublicTrade, cashPerTickLot: number): void {
    this.trades.push(t);
    if (this.trades.length > MAX_TRADES * 2) this.trades.splice(0, this.trades.length - MAX_TRADES);
    this.last = t;
    const start = Math.floor(t.time / MINUTE) * MINUTE;
    let bar = this.bars[this.bars.length - 1];
    if (!bar || bar.start < start) {
      bar = { start, open: t.price, high: t.price, low: t.price, close: t.price, volume: 0, turnover: 0 };
      this.bars.push(bar);
      if (this.bars.length > MAX_BARS * 2) this.bars.splice(0, this.bars.length - MAX_BARS);
    }
    if (t.price > bar.high) bar.high = t.price;
    if (t.price < bar.low) bar.low = t.price;
    bar.close = t.price;
    bar.volume += t.qty;
    bar.turnover += t.price * t.qty * cashPerTickLot;
  }

  /** Most recent first, as Bybit returns them. */
  recent(limit: number): PublicTrade[] {
    const n = Math.min(limit, this.trades.length, MAX_TRADES);
    const out: PublicTrade[] = [];
    for (let i = this.trades.length - 1; out.length < n; i--) out.push(this.trades[i]!);
    return out;
  }

  tickDirection(price: number): string {
    const prev = this.last;
    if (!prev) return 'ZeroPlusTick';
    if (price > prev.price) return 'PlusTick';
    if (price < prev.price) return 'MinusTick';
    return prev.tickDirection === 'MinusTick' || prev.tickDirection === 'ZeroMinusTick' ? 'ZeroMinusTick' : 'ZeroPlusTick';
  }

  /** Bars of `minutes` length aggregated from one-minute bars, newest first, within [start, end]. */
  klines(minutes: number, start: number | undefined, end: number | undefined, limit: number): Bar[] {
    const span = minutes * MINUTE;
    const out: Bar[] = [];
    for (let i = this.bars.length - 1; i >= 0 && out.length <= limit; i--) {
      const b = this.bars[i]!;
      const bucket = Math.floor(b.start / span) * span;
      if (end !== undefined && bucket > end) continue;
      if (start !== undefined && bucket + span <= start) break;
      const cur = out[out.length - 1];
      if (cur && cur.start === bucket) {
        cur.open = b.open;
        if (b.high > cur.high) cur.high = b.high;
        if (b.low < cur.low) cur.low = b.low;
        cur.volume += b.volume;
        cur.turnover += b.turnover;
      } else {
        out.push({ ...b, start: bucket });
      }
    }
    return out.slice(0, limit);
  }

  /** Rolling 24 h figures at `now`: price 24 h and 1 h ago, high, low, volume (lots), turnover (nano-USDT). */
  window(now: number): { prev24h?: number; prev1h?: number; high?: number; low?: number; volume: number; turnover: number } {
    let volume = 0;
    let turnover = 0;
    let high: number | undefined;
    let low: number | undefined;
    let prev24h: number | undefined;
    let prev1h: number | undefined;
    for (let i = this.bars.length - 1; i >= 0; i--) {
      const b = this.bars[i]!;
      if (b.start + MINUTE <= now - DAY) {
        prev24h ??= b.close;
        break;
      }
      volume += b.volume;
      turnover += b.turnover;
      high = high === undefined ? b.high : Math.max(high, b.high);
      low = low === undefined ? b.low : Math.min(low, b.low);
      prev24h = b.open;
      if (b.start >= now - 60 * MINUTE) prev1h = b.open;
    }
    return { prev24h, prev1h, high, low, volume, turnover };
  }
}
