/**
 * The guards as a pipeline stage: evaluates guards/guards.ts on this requote's inputs (volatility from the volatility
 * stage, staleness from the book) and applies the decision — SOFT widens around the reservation price and shrinks
 * sizes, HARD and the kill switch halt (no quotes: execution cancels everything).
 */
import { stepGuards } from '../../guards/guards.ts';
import type { Stage } from '../context.ts';

export const guard: Stage = (ctx) => {
  const inputs = { ...ctx.in.risk, volBps: ctx.vol?.bps ?? 0, stale: ctx.in.bookStale };
  const { state, decision, trips } = stepGuards(ctx.in.guardState, inputs, ctx.p.guards, ctx.in.now);
  const sizeMult = decision.mode === 'soft' ? ctx.p.softSizeMult : 1;
  const next = { ...ctx, guard: { decision, next: state, trips, sizeMult } };
  if (decision.mode === 'killed') return { ...next, halt: `kill_switch:${decision.kill}` };
  if (decision.mode === 'hard') return { ...next, halt: `hard:${decision.hard.join(',') || 'cooldown'}` };
  if (decision.mode === 'soft' && ctx.halt === undefined && ctx.skew !== undefined && ctx.spread !== undefined && ctx.anchors !== undefined) {
    const half = ctx.spread.halfTicks * ctx.p.softWiden;
    const res = ctx.skew.reservation;
    // Widening replaces the queue nudge: when in doubt, give up queue position rather than edge.
    return { ...next, anchors: { bid: Math.floor(res - half), ask: Math.ceil(res + half), nudges: ['soft:widen'] } };
  }
  return next;
};
