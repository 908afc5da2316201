/** What the pipeline property tests (bot-pipeline, bot-unwind) share: fixed params, generators, halting inputs. */
import fc from 'fast-check';
import { Instrument } from '../../bot/marketdata/instrument.ts';
import type { QuoteInputs, QuoteParams } from '../../bot/pipeline/context.ts';
import { INITIAL_GUARD_STATE } from '../../bot/guards/guards.ts';

/** Ways to halt the pipeline: a stale book, a HARD threshold (ack latency, drawdown), a cooldown, the kill switch. */
export const haltKindArb = fc.constantFrom('stale', 'ack', 'drawdown', 'cooldown', 'killed', 'max_loss');

/** `base` changed so that the pipeline halts for `kind` (with FIXED_QUOTE_PARAMS' guard limits). */
export function halting(base: QuoteInputs, kind: string): QuoteInputs {
  switch (kind) {
    case 'stale': return { ...base, bookStale: true };
    case 'ack': return { ...base, risk: { ...base.risk, ackP95Ms: 5000 } };
    case 'drawdown': return { ...base, risk: { ...base.risk, drawdown: 1000 } };
    case 'cooldown': return { ...base, guardState: { ...INITIAL_GUARD_STATE, haltUntil: base.now + 1 } };
    case 'killed': return { ...base, guardState: { ...INITIAL_GUARD_STATE, killed: { reason: 'max_position', at: 0 } } };
    default: return { ...base, risk: { ...base.risk, loss: 1000 } };
  }
}

/** A BTCUSDT-like instrument (tick 0.10, lot 0.001) with generated min notional, max qty and, if given, min qty. */
export function instrumentArb(minOrderQtys: readonly string[] = ['0.001']): fc.Arbitrary<Instrument> {
  return fc
    .record({
      minNotional: fc.constantFrom('0', '5', '50'),
      maxOrderQty: fc.constantFrom('0.050', '1.000', '100.000'),
      minOrderQty: fc.constantFrom(...minOrderQtys),
    })
    .map((o) => new Instrument({ symbol: 'BTCUSDT', tickSize: '0.10', qtyStep: '0.001', minOrderQty: o.minOrderQty, maxOrderQty: o.maxOrderQty, minNotional: o.minNotional }));
}

/**
 * Generators for the quoting fields both pipeline property tests draw the same way; each test adds its own spread,
 * skew and unwind ranges.
 */
export const SHARED_QUOTING_ARBS = {
  levels: fc.integer({ min: 1, max: 5 }),
  levelStepTicks: fc.integer({ min: 1, max: 10 }),
  baseLots: fc.integer({ min: 1, max: 200 }),
  maxPositionLots: fc.integer({ min: 1, max: 2000 }),
  microWeight: fc.double({ min: 0, max: 1, noNaN: true }),
  sizeSkew: fc.double({ min: 0, max: 1, noNaN: true }),
  queueMaxAheadLots: fc.integer({ min: 0, max: 5000 }),
  stickTicks: fc.integer({ min: 0, max: 3 }),
};

/**
 * The QuoteParams fields the pipeline property tests hold fixed (model references, guard limits no generated input
 * reaches): the tests generate the quoting parameters and spread these over them.
 */
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
