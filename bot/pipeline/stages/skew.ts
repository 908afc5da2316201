/**
 * Inventory skew: move the reservation price against the position (long → lower, so our ask is more likely to be
 * hit and our bid less) and shrink the side that would add to the position. Both scale with |position| / max.
 */
import type { Stage } from '../context.ts';

export const skew: Stage = (ctx) => {
  if (ctx.halt !== undefined || ctx.fair === undefined) return ctx;
  const p = ctx.p;
  const ratio = p.maxPositionLots > 0 ? ctx.in.positionLots / p.maxPositionLots : 0;
  const r = Math.max(-1, Math.min(1, ratio));
  const reservation = ctx.fair.value - (r * p.skewBps * ctx.fair.value) / 1e4;
  return {
    ...ctx,
    skew: {
      inventoryRatio: ratio,
      reservation,
      bidSizeMult: 1 - p.sizeSkew * Math.max(0, r),
      askSizeMult: 1 - p.sizeSkew * Math.max(0, -r),
    },
  };
};
