import type { Venue } from '../venue/venue.ts';

export interface StaticBookOptions {
  readonly symbol: string;
  /** Mid price in ticks. */
  readonly midTicks: number;
  /** Levels per side. */
  readonly levels: number;
  /** Ticks between levels; the best bid and ask sit half a spread away from the mid. */
  readonly stepTicks: number;
  /** Ticks between best bid and best ask (≥ 1). */
  readonly spreadTicks: number;
  /** Lots per level at the touch; deeper levels grow linearly by `depthGrowth` per level. */
  readonly qtyLots: number;
  readonly depthGrowth: number;
  /** The account that provides the liquidity. */
  readonly uid: number;
}

/**
 * A static ladder of resting orders around a start price, so a bot has something to quote into until the background
 * market (issue 3) exists. Deterministic: no randomness, the same options give the same book.
 */
export function seedStaticBook(venue: Venue, o: StaticBookOptions): number {
  const bestBid = o.midTicks - Math.floor(o.spreadTicks / 2);
  const bestAsk = bestBid + Math.max(1, o.spreadTicks);
  let placed = 0;
  for (let i = 0; i < o.levels; i++) {
    const qty = Math.round(o.qtyLots * (1 + i * o.depthGrowth));
    const bid = bestBid - i * o.stepTicks;
    const ask = bestAsk + i * o.stepTicks;
    if (bid > 0) {
      venue.place(o.uid, { symbol: o.symbol, side: 1, orderType: 'Limit', timeInForce: 'PostOnly', price: bid, qty, signedAt: venue.clock.now() });
      placed++;
    }
    venue.place(o.uid, { symbol: o.symbol, side: -1, orderType: 'Limit', timeInForce: 'PostOnly', price: ask, qty, signedAt: venue.clock.now() });
    placed++;
  }
  return placed;
}
