/**
 * The QuoteParams fields the pipeline property tests hold fixed (model references, guard limits no generated input
 * reaches): the tests generate the quoting parameters and spread these over them.
 */
import type { QuoteParams } from '../../bot/pipeline/context.ts';

export const FIXED_QUOTE_PARAMS = {
  volHalfLifeMs: 1000,
  volRefBps: 5,
  liquidityLevels: 5,
  liquidityRefLots: 2000,
  latencyRefMs: 200,
  pnlRef: 50,
  weights: { volatility: 0.4, liquidity: 0.2, latency: 0.2, pnl: 0.2 },
  softWiden: 2,
  softSizeMult: 0.5,
  guards: {
    soft: { volBps: 1e9, ackP95Ms: 300, drawdown: 50, inventoryRatio: 1e9, takerFills: 1e9, rejectRate: 1 },
    hard: { volBps: 1e9, ackP95Ms: 1000, drawdown: 150, inventoryRatio: 1e9, takerFills: 1e9, rejectRate: 1 },
    cooldownMs: 1000,
    minActionsForRejectRate: 10,
    killSwitch: { maxLoss: 300, maxPosition: 1e9 },
  },
} as const satisfies Partial<QuoteParams>;
