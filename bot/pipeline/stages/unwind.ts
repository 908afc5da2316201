/**
 * Inventory unwind: the aggressive end of the inventory skew. The skew moves the reservation price against the
 * position; once it pushes the position-reducing side's level-0 quote through the touch (long: our ask ≤ best bid;
 * short: our bid ≥ best ask) the ladder would only clamp that quote to post-only. Instead, the excess inventory — the
 * position beyond the one at which that quote would sit exactly at the touch — is crossed out with one IOC Limit
 * order:
 * - side = the reducing side; lots = |position| − |target| rounded down to lots, raised to the instrument's min qty
 *   and min notional at the limit price, at most the instrument's max qty, never more than |position| (else none);
 * - limit price = the touch it takes ∓ `maxCrossTicks` (protection against a thin touch);
 * - none when the unwind is disabled, skewBps = 0 (no skew: the quote never crosses), the pipeline is halted (HARD
 *   guard, kill switch, stale or one-sided book), or the position is flat.
 *
 * The target inventory solves reservation ± half-spread = touch for the position (the same half-spread the anchors
 * used: SOFT widens it by `softWiden`):  long  target = max · (fair + half − bestBid) / S,
 *                                        short target = −max · (bestAsk + half − fair) / S,   S = skewBps · fair / 1e4.
 * The ladder's resting quotes are not touched by this stage: they stay post-only and never cross (ladder.ts).
 * Whether an unwind is sent (one in flight, cooldown) is the quote loop's decision (app.ts); this stage is pure.
 */
import type { Stage } from '../context.ts';

export const unwind: Stage = (ctx) => {
  const u = ctx.p.unwind;
  if (u === undefined || !u.enabled) return ctx;
  if (ctx.halt !== undefined || ctx.in.bookStale) return ctx;
  if (ctx.fair === undefined || ctx.spread === undefined || ctx.skew === undefined || ctx.anchors === undefined) return ctx;
  const mode = ctx.guard?.decision.mode;
  if (mode === 'hard' || mode === 'killed') return ctx;
  const p = ctx.p;
  const inst = ctx.inst;
  const pos = ctx.in.positionLots;
  if (pos === 0 || !(p.skewBps > 0) || p.maxPositionLots <= 0) return ctx;
  const { bestBid, bestAsk, value: fair } = ctx.fair;
  const fullSkew = (p.skewBps * fair) / 1e4; // ticks the reservation moves at full inventory
  if (!(fullSkew > 0) || !Number.isFinite(fullSkew)) return ctx;
  const half = ctx.spread.halfTicks * (mode === 'soft' ? p.softWiden : 1);
  const long = pos > 0;
  // Does the reducing side's level-0 anchor reach through the touch?
  const crossed = long ? ctx.anchors.ask <= bestBid : ctx.anchors.bid >= bestAsk;
  if (!crossed) return ctx;
  const targetAbs = Math.max(0, (p.maxPositionLots * (long ? fair + half - bestBid : bestAsk + half - fair)) / fullSkew);
  const excess = Math.abs(pos) - targetAbs;
  let lots = Math.floor(excess + 1e-9);
  if (!(lots >= 1)) return ctx;
  const limitPx = long ? bestBid - u.maxCrossTicks : bestAsk + u.maxCrossTicks;
  if (limitPx <= 0) return ctx;
  lots = Math.min(Math.max(lots, inst.minLotsAt(limitPx)), inst.maxLots);
  if (lots < inst.minLotsAt(limitPx) || lots > Math.abs(pos) || lots <= 0) return ctx;
  return { ...ctx, unwind: { side: long ? 'Sell' : 'Buy', lots, limitPx, targetLots: long ? targetAbs : -targetAbs } };
};
