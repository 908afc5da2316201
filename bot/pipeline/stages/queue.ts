/**
 * Queue-aware nudge of the level-0 prices (the anchors), rounded out from the reservation price:
 * - stay: if we already rest within `stickTicks` of the new target with a small queue ahead, keep that price — an
 *   amend would send us to the back of a queue for a price difference smaller than our edge;
 * - step in: if the target price has a large queue ahead, improve by one tick when that keeps the minimum
 *   half-spread from the reservation price and does not touch the other side of the book.
 */
import type { QuoteContext, Resting, Stage } from '../context.ts';

function qtyAt(levels: readonly { px: number; qty: number }[], px: number): number {
  for (const l of levels) if (l.px === px) return l.qty;
  return 0;
}

export const queueNudge: Stage = (ctx) => {
  if (ctx.halt !== undefined || ctx.fair === undefined || ctx.spread === undefined || ctx.skew === undefined) return ctx;
  const res = ctx.skew.reservation;
  const half = ctx.spread.halfTicks;
  const nudges: string[] = [];
  const bid = nudgeSide(ctx, 'bid', Math.floor(res - half), Math.floor(res - ctx.spread.minHalfTicks), ctx.in.resting.bid, nudges);
  const ask = nudgeSide(ctx, 'ask', Math.ceil(res + half), Math.ceil(res + ctx.spread.minHalfTicks), ctx.in.resting.ask, nudges);
  return { ...ctx, anchors: { bid, ask, nudges } };
};

function nudgeSide(ctx: QuoteContext, side: 'bid' | 'ask', target: number, limit: number, resting: Resting | undefined, nudges: string[]): number {
  const { bestBid, bestAsk } = ctx.fair!;
  const levels = side === 'bid' ? ctx.in.book.bids : ctx.in.book.asks;
  const dir = side === 'bid' ? 1 : -1; // +1 tick is "better" for a bid, −1 for an ask
  const maxAhead = ctx.p.queueMaxAheadLots;
  const passive = (px: number) => (side === 'bid' ? px < bestAsk && px <= limit : px > bestBid && px >= limit);
  if (resting !== undefined && Math.abs(resting.px - target) <= ctx.p.stickTicks && passive(resting.px)) {
    const ahead = Math.max(0, qtyAt(levels, resting.px) - resting.lots);
    if (ahead <= maxAhead) {
      if (resting.px !== target) nudges.push(`${side}:stay`);
      return resting.px;
    }
  }
  if (qtyAt(levels, target) > maxAhead && passive(target + dir)) {
    nudges.push(`${side}:step_in`);
    return target + dir;
  }
  return target;
}
