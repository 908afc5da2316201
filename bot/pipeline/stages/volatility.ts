/**
 * Volatility: an exponentially weighted average of squared log returns of the mid, per second of elapsed time, with
 * a half-life in wall time (not in updates — a burst of messages must not make the estimate forget faster).
 * Reported as bps per √s. A stale book does not update it.
 */
import type { Stage } from '../context.ts';

export const volatility: Stage = (ctx) => {
  const prev = ctx.in.model;
  const bpsOf = (v: number) => Math.sqrt(Math.max(0, v)) * 1e4;
  if (ctx.fair === undefined || ctx.in.bookStale) return { ...ctx, vol: { bps: bpsOf(prev.varPerSec), next: prev } };
  const mid = ctx.fair.mid;
  const now = ctx.in.now;
  if (prev.lastMid === undefined || prev.lastTs === undefined || now <= prev.lastTs) {
    const next = { lastMid: mid, lastTs: prev.lastTs === undefined || now > prev.lastTs ? now : prev.lastTs, varPerSec: prev.varPerSec };
    return { ...ctx, vol: { bps: bpsOf(prev.varPerSec), next } };
  }
  const dt = now - prev.lastTs;
  const r = Math.log(mid / prev.lastMid);
  const alpha = 1 - Math.exp((-Math.LN2 * dt) / ctx.p.volHalfLifeMs);
  const varPerSec = (1 - alpha) * prev.varPerSec + alpha * ((r * r) / (dt / 1000));
  return { ...ctx, vol: { bps: bpsOf(varPerSec), next: { lastMid: mid, lastTs: now, varPerSec } } };
};
