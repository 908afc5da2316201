/**
 * The ladder: `levels` quotes per side stepping away from the anchors, made safe to send:
 * - post-only and never crossing: bids strictly below the best ask, asks strictly above the best bid, and our best
 *   bid strictly below our best ask;
 * - sizes in whole lots within [min, max] order qty, each meeting min notional at its price;
 * - position limit: the bids together can never take the position above +max, nor the asks below −max, if all fill.
 * A level that cannot meet these is dropped, never bent.
 */
import type { Quote, Stage } from '../context.ts';

export const ladder: Stage = (ctx) => {
  if (ctx.halt !== undefined || ctx.fair === undefined || ctx.anchors === undefined || ctx.skew === undefined) return { ...ctx, quotes: [] };
  const { bestBid, bestAsk } = ctx.fair;
  const p = ctx.p;
  const inst = ctx.inst;
  let bidTop = Math.min(ctx.anchors.bid, bestAsk - 1);
  let askTop = Math.max(ctx.anchors.ask, bestBid + 1);
  if (askTop <= bidTop) {
    // Zero or negative width after rounding: keep the side closer to the reservation price, move the other out.
    if (ctx.skew.reservation - bidTop < askTop - ctx.skew.reservation) askTop = bidTop + 1;
    else bidTop = askTop - 1;
  }
  const sizeMult = ctx.guard?.sizeMult ?? 1;
  const pos = ctx.in.positionLots;
  const quotes: Quote[] = [];
  const build = (side: 'Buy' | 'Sell', top: number, dir: number, mult: number, capacity: number) => {
    let left = Math.max(0, Math.floor(capacity));
    const want = Math.floor(p.baseLots * sizeMult * mult);
    let level = 0;
    for (let i = 0; i < p.levels; i++) {
      const px = top + dir * i * p.levelStepTicks;
      if (px <= 0) break;
      let lots = Math.min(want, inst.maxLots, left);
      const min = inst.minLotsAt(px);
      if (lots < min) {
        // Too small for the venue: round up to the minimum only if the limits allow it.
        if (min <= Math.min(inst.maxLots, left) && want > 0) lots = min;
        else continue;
      }
      quotes.push({ side, level: level++, px, lots });
      left -= lots;
    }
  };
  build('Buy', bidTop, -1, ctx.skew.bidSizeMult, p.maxPositionLots - pos);
  build('Sell', askTop, 1, ctx.skew.askSizeMult, p.maxPositionLots + pos);
  return { ...ctx, quotes };
};
