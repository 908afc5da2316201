/** Config (decimal strings, bps) → pipeline parameters in the instrument's integer units. */
import type { BotConfig } from '../config/schema.ts';
import type { Instrument } from '../marketdata/instrument.ts';
import type { QuoteParams } from './context.ts';

export function quoteParams(c: BotConfig, inst: Instrument): QuoteParams {
  const q = c.quoting;
  const g = c.guards;
  return {
    levels: q.levels,
    levelStepTicks: q.levelStepTicks,
    baseLots: inst.qtyToLotsFloor(q.baseQty),
    maxPositionLots: inst.qtyToLotsFloor(q.maxPosition),
    minSpreadBps: q.minSpreadBps,
    maxSpreadBps: q.maxSpreadBps,
    microWeight: q.microWeight,
    skewBps: q.skewBps,
    sizeSkew: q.sizeSkew,
    queueMaxAheadLots: inst.qtyToLotsFloor(q.queue.maxAheadQty),
    stickTicks: q.queue.stickTicks,
    volHalfLifeMs: c.model.volHalfLifeMs,
    volRefBps: c.model.volRefBps,
    liquidityLevels: c.marketData.liquidityLevels,
    liquidityRefLots: Math.max(1, inst.qtyToLotsFloor(c.model.liquidityRefQty)),
    latencyRefMs: c.model.latencyRefMs,
    pnlRef: c.model.pnlRef,
    weights: c.model.weights,
    softWiden: g.softWiden,
    softSizeMult: g.softSizeMult,
    unwind: {
      enabled: q.unwind.enabled,
      afterMs: q.unwind.afterMs,
      sliceLots: inst.qtyToLotsFloor(q.unwind.sliceQty),
      maxTakerShare: q.unwind.maxTakerShare,
      maxCrossTicks: q.unwind.maxCrossTicks,
    },
    guards: {
      soft: g.soft,
      hard: g.hard,
      cooldownMs: g.cooldownMs,
      minActionsForRejectRate: g.minActionsForRejectRate,
      killSwitch: { maxLoss: g.killSwitch.maxLoss, maxPosition: Number(g.killSwitch.maxPosition) },
    },
  };
}
