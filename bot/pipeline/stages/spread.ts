/**
 * Adaptive spread: four scores in [0, 1] — volatility (vs a reference), thin liquidity near the touch, order-ack
 * latency (a slow venue means our quotes are stale longer) and drawdown — combined by weight into one number that
 * moves the half-spread between its configured min and max. The breakdown is exported as metrics.
 */
import type { Stage } from '../context.ts';

const clamp01 = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 1);

export const spread: Stage = (ctx) => {
  if (ctx.halt !== undefined || ctx.fair === undefined) return ctx;
  const p = ctx.p;
  const depth = (levels: readonly { qty: number }[]) => levels.slice(0, p.liquidityLevels).reduce((s, l) => s + l.qty, 0);
  const avgDepth = (depth(ctx.in.book.bids) + depth(ctx.in.book.asks)) / 2;
  const scores = {
    volatility: clamp01((ctx.vol?.bps ?? 0) / p.volRefBps),
    liquidity: clamp01(1 - avgDepth / p.liquidityRefLots),
    latency: ctx.in.risk.ackP95Ms === undefined ? 0 : clamp01(ctx.in.risk.ackP95Ms / p.latencyRefMs),
    pnl: clamp01(ctx.in.risk.drawdown / p.pnlRef),
  };
  const w = p.weights;
  const wsum = w.volatility + w.liquidity + w.latency + w.pnl;
  const combined =
    wsum > 0 ? (w.volatility * scores.volatility + w.liquidity * scores.liquidity + w.latency * scores.latency + w.pnl * scores.pnl) / wsum : 0;
  const halfBps = p.minSpreadBps / 2 + ((p.maxSpreadBps - p.minSpreadBps) / 2) * combined;
  // Prices are in ticks, so a fraction of the fair price in ticks is that fraction in ticks.
  const toTicks = (bps: number) => (bps / 1e4) * ctx.fair!.value;
  return { ...ctx, spread: { halfBps, halfTicks: toTicks(halfBps), minHalfTicks: toTicks(p.minSpreadBps / 2), scores, combined } };
};
