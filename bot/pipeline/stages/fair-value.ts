/**
 * Fair value from the top of book: the mid, and the microprice — the touch weighted by the opposite side's size,
 * which leans toward the side about to be taken out. The fair value blends the two (`microWeight`).
 */
import type { Stage } from '../context.ts';

export const fairValue: Stage = (ctx) => {
  if (ctx.halt !== undefined) return ctx;
  const bb = ctx.in.book.bids[0];
  const ba = ctx.in.book.asks[0];
  if (bb === undefined || ba === undefined) return { ...ctx, halt: 'one_sided_book' };
  if (bb.px >= ba.px) return { ...ctx, halt: 'crossed_book' };
  const mid = (bb.px + ba.px) / 2;
  const micro = (bb.px * ba.qty + ba.px * bb.qty) / (bb.qty + ba.qty);
  const w = ctx.p.microWeight;
  return { ...ctx, fair: { bestBid: bb.px, bestAsk: ba.px, mid, micro, value: w * micro + (1 - w) * mid } };
};
