/**
 * Inventory unwind: trims a position the resting quotes have left alone. The skew leans the quotes against the
 * position, but in a quiet market the reducing quote can wait a long time for a fill; a position that has not moved
 * toward zero for `afterMs` is trimmed with one small IOC Limit order at the touch:
 * - side = the reducing side; lots = sliceLots raised to the instrument's min qty and min notional at the limit
 *   price, at most its max qty; none when that exceeds |position| or the max qty cannot meet min notional;
 * - limit price = the touch it takes ∓ `maxCrossTicks` (protection against a thin touch);
 * - only within the taker budget: taker notional / (maker + taker notional) of the bot's own fills, counting this
 *   slice as filled at the touch, must stay ≤ `maxTakerShare` — so a bot that has not yet made markets takes nothing
 *   (unless maxTakerShare is 1: no budget), and taking liquidity stays a small, bounded share of what it trades (the
 *   release gate's taker_share_pct);
 * - none when disabled, halted (HARD guard, kill switch, stale or one-sided book), or flat;
 * - none without inventory skew (skewBps = 0): the skew is the bot's inventory aversion, and the unwind is its taker
 *   end — a bot told not to lean against its position has no reason to pay a taker fee to shed it. So "skew off"
 *   turns off all inventory leaning, which is what the release gate's skew-off break (SC-011) shows.
 * Whether an unwind is sent (one in flight, cooldown) is the quote loop's decision (app.ts); this stage is pure.
 */
import type { Stage } from '../context.ts';

export const unwind: Stage = (ctx) => {
  const u = ctx.p.unwind;
  if (u === undefined || !u.enabled || !(u.sliceLots >= 1) || !(ctx.p.skewBps > 0)) return ctx;
  if (ctx.halt !== undefined || ctx.in.bookStale || ctx.fair === undefined) return ctx;
  const mode = ctx.guard?.decision.mode;
  if (mode === 'hard' || mode === 'killed') return ctx;
  const pos = ctx.in.positionLots;
  if (pos === 0 || ctx.in.inventoryAgeMs < u.afterMs) return ctx;
  const inst = ctx.inst;
  const long = pos > 0;
  const touch = long ? ctx.fair.bestBid : ctx.fair.bestAsk;
  const limitPx = long ? touch - u.maxCrossTicks : touch + u.maxCrossTicks;
  if (limitPx <= 0) return ctx;
  const minLots = inst.minLotsAt(limitPx);
  if (minLots > inst.maxLots) return ctx;
  const lots = Math.min(Math.max(u.sliceLots, minLots), inst.maxLots);
  if (lots > Math.abs(pos)) return ctx;
  const notional = touch * inst.tickValue * lots * inst.lotValue; // a budget check: float is exact enough
  const { maker, taker } = ctx.in.turnover;
  const takerShareAfter = (taker + notional) / (maker + taker + notional);
  if (!(takerShareAfter <= u.maxTakerShare)) return ctx;
  return { ...ctx, unwind: { side: long ? 'Sell' : 'Buy', lots, limitPx, ageMs: ctx.in.inventoryAgeMs, takerShareAfter } };
};
