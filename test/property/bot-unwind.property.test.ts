/**
 * Property tests of the inventory-unwind decision (bot/pipeline/stages/unwind.ts), on the whole pure pipeline. An
 * unwind is sent exactly when the position has aged past afterMs and the taker budget allows a slice (checked against
 * a reference written here); it only ever reduces |position| (reducing side, never more than |position|), meets the
 * instrument's limits, takes at the touch ∓ maxCrossTicks, and keeps the bot's taker share within maxTakerShare.
 * There is none when disabled, without skew (skewBps 0), flat, too young, or halted (HARD guard, kill switch, stale book), and the ladder's
 * resting quotes are the same with or without it (post-only, never crossing).
 *
 * Reproduce a failure with FC_SEED=<printed seed>.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Instrument } from '../../bot/marketdata/instrument.ts';
import type { BookView, Level } from '../../bot/marketdata/book.ts';
import { INITIAL_MODEL_STATE, type QuoteInputs, type QuoteParams } from '../../bot/pipeline/context.ts';
import { runPipeline } from '../../bot/pipeline/pipeline.ts';
import { INITIAL_GUARD_STATE } from '../../bot/guards/guards.ts';
import { FIXED_QUOTE_PARAMS, SHARED_QUOTING_ARBS, halting, haltKindArb, instrumentArb } from './quote-params.ts';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
console.log('fast-check seed (unwind)', seed);
const RUNS = Number(process.env.FC_RUNS ?? 400);
const params = { seed, numRuns: RUNS };

const instArb = instrumentArb(['0.001', '0.005']);

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
    ...SHARED_QUOTING_ARBS,
    minSpreadBps: fc.integer({ min: 0, max: 1000 }).map((x) => x / 100),
    extraSpread: fc.integer({ min: 0, max: 2000 }).map((x) => x / 100),
    skewBps: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 10_000 }).map((x) => x / 100)),
    maxCrossTicks: fc.integer({ min: 0, max: 50 }),
    afterMs: fc.constantFrom(0, 1000, 5000),
    sliceLots: fc.integer({ min: 0, max: 20 }),
    maxTakerShare: fc.constantFrom(0, 0.01, 0.05, 0.09, 1),
  })
  .map(({ maxCrossTicks, afterMs, sliceLots, maxTakerShare, ...r }) => ({
    ...r,
    maxSpreadBps: r.minSpreadBps + r.extraSpread,
    ...FIXED_QUOTE_PARAMS,
    unwind: { enabled: true, afterMs, sliceLots, maxTakerShare, maxCrossTicks },
  }));

interface Case {
  inst: Instrument;
  book: BookView;
  p: QuoteParams;
  positionLots: number;
  ageMs: number;
  turnover: { maker: number; taker: number };
}

function inputs(c: Case): QuoteInputs {
  return {
    symbol: 'BTCUSDT',
    cycle: 1,
    now: 100_000,
    triggeredAt: 99_999,
    book: c.book,
    bookStale: false,
    positionLots: c.positionLots,
    inventoryAgeMs: c.positionLots === 0 ? 0 : c.ageMs,
    turnover: c.turnover,
    risk: { ackP95Ms: undefined, drawdown: 0, inventoryRatio: 0, takerFills: 0, rejects: 0, actions: 0, loss: 0, absPosition: 0 },
    resting: { bid: undefined, ask: undefined },
    model: INITIAL_MODEL_STATE,
    guardState: INITIAL_GUARD_STATE,
  };
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    inst: instArb,
    book: bookArb,
    p: paramsArb,
    posFrac: fc.integer({ min: -1000, max: 1000 }).map((x) => x / 1000),
    ageMs: fc.constantFrom(0, 999, 1000, 4999, 5000, 60_000),
    maker: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 10_000_000 }).map((x) => x / 10)),
    taker: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1_000_000 }).map((x) => x / 10)),
  })
  .map(({ inst, book, p, posFrac, ageMs, maker, taker }) => ({ inst, book, p, positionLots: Math.round(posFrac * p.maxPositionLots), ageMs, turnover: { maker, taker } }));

/** The decision as the stage's doc states it, for a pipeline that is not halted. */
function reference(c: Case): { side: 'Buy' | 'Sell'; lots: number; limitPx: number } | undefined {
  const u = c.p.unwind!;
  if (!u.enabled || u.sliceLots < 1 || !(c.p.skewBps > 0) || c.positionLots === 0 || c.ageMs < u.afterMs) return undefined;
  const long = c.positionLots > 0;
  const touch = long ? c.book.bids[0]!.px : c.book.asks[0]!.px;
  const limitPx = long ? touch - u.maxCrossTicks : touch + u.maxCrossTicks;
  if (limitPx <= 0) return undefined;
  if (c.inst.minLotsAt(limitPx) > c.inst.maxLots) return undefined;
  const lots = Math.min(Math.max(u.sliceLots, c.inst.minLotsAt(limitPx)), c.inst.maxLots);
  if (lots > Math.abs(c.positionLots)) return undefined;
  const notional = touch * 0.1 * lots * 0.001;
  if ((c.turnover.taker + notional) / (c.turnover.maker + c.turnover.taker + notional) > u.maxTakerShare) return undefined;
  return { side: long ? 'Sell' : 'Buy', lots, limitPx };
}

describe('inventory unwind decision', () => {
  it('is sent exactly when the position is old enough and the taker budget allows; it only reduces |position|', () => {
    let unwinds = 0;
    fc.assert(
      fc.property(caseArb, (c) => {
        const ctx = runPipeline(inputs(c), c.p, c.inst);
        expect(ctx.halt).toBeUndefined(); // the generated risk inputs never halt
        const u = ctx.unwind;
        const want = reference(c);
        if (want === undefined) {
          expect(u).toBeUndefined();
          return;
        }
        expect(u).toBeDefined();
        unwinds++;
        expect({ side: u!.side, lots: u!.lots, limitPx: u!.limitPx }).toEqual(want);
        // |position| never increases, never flips.
        const after = c.positionLots + (u!.side === 'Buy' ? u!.lots : -u!.lots);
        expect(Math.abs(after)).toBeLessThan(Math.abs(c.positionLots));
        expect(Math.sign(after) * Math.sign(c.positionLots)).toBeGreaterThanOrEqual(0);
        // Sizes: whole lots, min qty and min notional at the limit, max qty.
        expect(Number.isInteger(u!.lots)).toBe(true);
        expect(u!.lots).toBeGreaterThanOrEqual(c.inst.minLotsAt(u!.limitPx));
        expect(u!.lots).toBeLessThanOrEqual(c.inst.maxLots);
        expect(c.inst.meetsMinNotional(u!.limitPx, u!.lots)).toBe(true);
        // The budget it was checked against.
        expect(u!.takerShareAfter).toBeLessThanOrEqual(c.p.unwind!.maxTakerShare);
        expect(u!.ageMs).toBeGreaterThanOrEqual(c.p.unwind!.afterMs);
      }),
      params,
    );
    console.log(`unwind decisions exercised: ${unwinds} of ${RUNS}`);
    expect(unwinds).toBeGreaterThan(0);
  });

  it('none before any maker turnover (with a budget), without skew, when disabled, or when flat; the ladder is the same with or without it', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const i = inputs(c);
        // No maker turnover leaves no budget — unless the budget is off (maxTakerShare 1).
        if (c.p.unwind!.maxTakerShare < 1) expect(runPipeline({ ...i, turnover: { maker: 0, taker: 0 } }, c.p, c.inst).unwind).toBeUndefined();
        expect(runPipeline({ ...i, positionLots: 0, inventoryAgeMs: 0 }, c.p, c.inst).unwind).toBeUndefined();
        expect(runPipeline(i, { ...c.p, skewBps: 0 }, c.inst).unwind).toBeUndefined();
        const off = runPipeline(i, { ...c.p, unwind: { ...c.p.unwind!, enabled: false } }, c.inst);
        expect(off.unwind).toBeUndefined();
        const on = runPipeline(i, c.p, c.inst);
        expect(on.quotes).toEqual(off.quotes);
        // The resting quotes stay post-only whatever the unwind decided.
        for (const q of on.quotes) {
          if (q.side === 'Buy') expect(q.px).toBeLessThan(c.book.asks[0]!.px);
          else expect(q.px).toBeGreaterThan(c.book.bids[0]!.px);
        }
      }),
      params,
    );
  });

  it('none when halted: stale book, HARD guard, cooldown, kill switch', () => {
    fc.assert(
      fc.property(caseArb, haltKindArb, (c, kind) => {
        const base = inputs(c);
        const i = halting(base, kind);
        const ctx = runPipeline(i, c.p, c.inst);
        expect(ctx.halt).toBeDefined();
        expect(ctx.unwind).toBeUndefined();
      }),
      params,
    );
  });
});
