/**
 * Property tests of the inventory-unwind decision (bot/pipeline/stages/unwind.ts), on the whole pure pipeline: an
 * unwind only ever reduces |position| (reducing side, never more than |position|), its size meets the instrument's
 * limits, its limit price is the touch ∓ maxCrossTicks, it takes the position to within a lot of the crossing point,
 * there is none without skew (skewBps = 0), when disabled, or when halted (HARD guard, kill switch, stale book), and
 * the ladder's resting quotes are the same with or without it (post-only, never crossing).
 *
 * Reproduce a failure with FC_SEED=<printed seed>.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Instrument } from '../../bot/marketdata/instrument.ts';
import type { BookView, Level } from '../../bot/marketdata/book.ts';
import { INITIAL_MODEL_STATE, type QuoteInputs, type QuoteParams } from '../../bot/pipeline/context.ts';
import { runPipeline } from '../../bot/pipeline/pipeline.ts';
import { INITIAL_GUARD_STATE } from '../../bot/guards/guards.ts';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
console.log('fast-check seed (unwind)', seed);
const RUNS = Number(process.env.FC_RUNS ?? 400);
const params = { seed, numRuns: RUNS };

const instArb = fc.record({
  minNotional: fc.constantFrom('0', '5', '50'),
  maxOrderQty: fc.constantFrom('0.050', '1.000', '100.000'),
  minOrderQty: fc.constantFrom('0.001', '0.005'),
}).map((o) => new Instrument({ symbol: 'BTCUSDT', tickSize: '0.10', qtyStep: '0.001', minOrderQty: o.minOrderQty, maxOrderQty: o.maxOrderQty, minNotional: o.minNotional }));

const bookArb: fc.Arbitrary<BookView> = fc
  .record({
    bestBid: fc.integer({ min: 100, max: 1_000_000 }),
    spread: fc.integer({ min: 1, max: 30 }),
    depth: fc.integer({ min: 1, max: 10 }),
    qtys: fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 20, maxLength: 20 }),
  })
  .map(({ bestBid, spread, depth, qtys }) => {
    const bids: Level[] = [];
    const asks: Level[] = [];
    for (let i = 0; i < depth; i++) {
      if (bestBid - i > 0) bids.push({ px: bestBid - i, qty: qtys[i]! });
      asks.push({ px: bestBid + spread + i, qty: qtys[10 + i]! });
    }
    return { bids, asks, u: 10, seq: 10 };
  });

const paramsArb: fc.Arbitrary<QuoteParams> = fc
  .record({
    levels: fc.integer({ min: 1, max: 5 }),
    levelStepTicks: fc.integer({ min: 1, max: 10 }),
    baseLots: fc.integer({ min: 1, max: 200 }),
    maxPositionLots: fc.integer({ min: 1, max: 2000 }),
    minSpreadBps: fc.integer({ min: 0, max: 1000 }).map((x) => x / 100),
    extraSpread: fc.integer({ min: 0, max: 2000 }).map((x) => x / 100),
    microWeight: fc.double({ min: 0, max: 1, noNaN: true }),
    // Often large relative to the spread, so the reducing quote reaches the touch (integers scaled: fc.double is
    // dense near 0).
    skewBps: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 10_000 }).map((x) => x / 100)),
    sizeSkew: fc.double({ min: 0, max: 1, noNaN: true }),
    queueMaxAheadLots: fc.integer({ min: 0, max: 5000 }),
    stickTicks: fc.integer({ min: 0, max: 3 }),
    maxCrossTicks: fc.integer({ min: 0, max: 50 }),
  })
  .map(({ maxCrossTicks, ...r }) => ({
    ...r,
    maxSpreadBps: r.minSpreadBps + r.extraSpread,
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
    unwind: { enabled: true, maxCrossTicks },
  }));

function inputs(book: BookView, positionLots: number, ackP95Ms: number | undefined): QuoteInputs {
  return {
    symbol: 'BTCUSDT',
    cycle: 1,
    now: 1000,
    triggeredAt: 999,
    book,
    bookStale: false,
    positionLots,
    risk: { ackP95Ms, drawdown: 0, inventoryRatio: 0, takerFills: 0, rejects: 0, actions: 0, loss: 0, absPosition: 0 },
    resting: { bid: undefined, ask: undefined },
    model: INITIAL_MODEL_STATE,
    guardState: INITIAL_GUARD_STATE,
  };
}

const scenario = fc
  .tuple(instArb, bookArb, paramsArb, fc.integer({ min: -2000, max: 2000 }).map((x) => x / 1000), fc.option(fc.constantFrom(50, 500), { nil: undefined }))
  .map(([inst, book, p, posFrac, ackP95Ms]) => ({ inst, book, p, positionLots: Math.round(posFrac * p.maxPositionLots), ackP95Ms }));

describe('inventory unwind decision', () => {
  it('only reduces |position|, within the instrument limits, at the touch ∓ maxCrossTicks, back to about the crossing point', () => {
    let unwinds = 0;
    fc.assert(
      fc.property(scenario, ({ inst, book, p, positionLots, ackP95Ms }) => {
        const ctx = runPipeline(inputs(book, positionLots, ackP95Ms), p, inst);
        const u = ctx.unwind;
        if (u === undefined) return;
        unwinds++;
        const bestBid = book.bids[0]!.px;
        const bestAsk = book.asks[0]!.px;
        expect(p.skewBps).toBeGreaterThan(0);
        expect(ctx.halt).toBeUndefined();
        // The side reduces the position, and never by more than it: |position| never increases.
        expect(u.side).toBe(positionLots > 0 ? 'Sell' : 'Buy');
        const after = positionLots + (u.side === 'Buy' ? u.lots : -u.lots);
        expect(Math.abs(after)).toBeLessThan(Math.abs(positionLots));
        expect(Math.sign(after) * Math.sign(positionLots)).toBeGreaterThanOrEqual(0);
        // Sizes: whole lots, min qty and min notional at the limit, max qty.
        expect(Number.isInteger(u.lots)).toBe(true);
        expect(u.lots).toBeGreaterThanOrEqual(inst.minLotsAt(u.limitPx));
        expect(u.lots).toBeLessThanOrEqual(inst.maxLots);
        expect(inst.meetsMinNotional(u.limitPx, u.lots)).toBe(true);
        // Protection: the touch it takes, maxCrossTicks through.
        expect(u.limitPx).toBe(u.side === 'Sell' ? bestBid - p.unwind!.maxCrossTicks : bestAsk + p.unwind!.maxCrossTicks);
        expect(u.limitPx).toBeGreaterThan(0);
        // It was the skew that pushed the reducing quote through the touch.
        expect(u.side === 'Sell' ? ctx.anchors!.ask <= bestBid : ctx.anchors!.bid >= bestAsk).toBe(true);
        // Sized to the crossing point: rounded down, unless the venue's minimum forced it up or its maximum down.
        if (u.lots > inst.minLotsAt(u.limitPx) && u.lots < inst.maxLots) {
          expect(Math.abs(after)).toBeGreaterThanOrEqual(Math.abs(u.targetLots) - 1e-6);
          expect(Math.abs(after)).toBeLessThan(Math.abs(u.targetLots) + 1 + 1e-6);
          // ... so the same market at the new position wants no further unwind.
          expect(runPipeline(inputs(book, after, ackP95Ms), p, inst).unwind).toBeUndefined();
        }
      }),
      params,
    );
    console.log(`unwind decisions exercised: ${unwinds} of ${RUNS}`);
    expect(unwinds).toBeGreaterThan(0);
  });

  it('none without skew (skewBps = 0) or when disabled; the ladder is the same with or without it', () => {
    fc.assert(
      fc.property(scenario, ({ inst, book, p, positionLots, ackP95Ms }) => {
        const i = inputs(book, positionLots, ackP95Ms);
        expect(runPipeline(i, { ...p, skewBps: 0 }, inst).unwind).toBeUndefined();
        const off = runPipeline(i, { ...p, unwind: { enabled: false, maxCrossTicks: 5 } }, inst);
        expect(off.unwind).toBeUndefined();
        const on = runPipeline(i, p, inst);
        expect(on.quotes).toEqual(off.quotes);
        // The resting quotes stay post-only whatever the unwind decided.
        for (const q of on.quotes) {
          if (q.side === 'Buy') expect(q.px).toBeLessThan(book.asks[0]!.px);
          else expect(q.px).toBeGreaterThan(book.bids[0]!.px);
        }
      }),
      params,
    );
  });

  it('none when halted: stale book, HARD guard, cooldown, kill switch', () => {
    const hardArb = fc.constantFrom('stale', 'ack', 'drawdown', 'cooldown', 'killed', 'max_loss');
    fc.assert(
      fc.property(scenario, hardArb, ({ inst, book, p, positionLots }, kind) => {
        const base = inputs(book, positionLots, undefined);
        const i: QuoteInputs =
          kind === 'stale' ? { ...base, bookStale: true }
          : kind === 'ack' ? { ...base, risk: { ...base.risk, ackP95Ms: 5000 } }
          : kind === 'drawdown' ? { ...base, risk: { ...base.risk, drawdown: 1000 } }
          : kind === 'cooldown' ? { ...base, guardState: { ...INITIAL_GUARD_STATE, haltUntil: base.now + 1 } }
          : kind === 'killed' ? { ...base, guardState: { ...INITIAL_GUARD_STATE, killed: { reason: 'max_position', at: 0 } } }
          : { ...base, risk: { ...base.risk, loss: 1000 } };
        const ctx = runPipeline(i, p, inst);
        expect(ctx.halt).toBeDefined();
        expect(ctx.unwind).toBeUndefined();
      }),
      params,
    );
  });
});
