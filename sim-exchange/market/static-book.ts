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
 * A static ladder of resting orders around a start price, so a bot has something to quote into. Deterministic: no
 * randomness, the same options give the same book.
 *
 * All or nothing: when the venue refuses one order (margin, quantity limits), the orders placed before it are
 * cancelled and the error is thrown, so a refused seed leaves no ladder behind. (The margin of a whole ladder is
 * only known by placing it: checking each side alone would let through ladders the account cannot hold.)
 */
export function seedStaticBook(venue: Venue, o: StaticBookOptions): number {
  const bestBid = o.midTicks - Math.floor(o.spreadTicks / 2);
  const bestAsk = bestBid + Math.max(1, o.spreadTicks);
  const placed: string[] = [];
  const place = (side: 1 | -1, price: number, qty: number) => {
    const rec = venue.place(o.uid, { symbol: o.symbol, side, orderType: 'Limit', timeInForce: 'PostOnly', price, qty, signedAt: venue.clock.now() });
    placed.push(rec.orderId);
  };
  try {
    for (let i = 0; i < o.levels; i++) {
      const qty = Math.round(o.qtyLots * (1 + i * o.depthGrowth));
      const bid = bestBid - i * o.stepTicks;
      if (bid > 0) place(1, bid, qty);
      place(-1, bestAsk + i * o.stepTicks, qty);
    }
  } catch (err) {
    for (const orderId of placed) {
      try {
        venue.cancel(o.uid, { symbol: o.symbol, orderId });
      } catch {
        // Already gone (a PostOnly that would have crossed is cancelled by the venue itself).
      }
    }
    throw err;
  }
  return placed.length;
}
