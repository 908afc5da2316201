/**
 * Property tests of the bot's quote pipeline (pure stages): quotes never cross and stay post-only, sizes stay within
 * the instrument's and the position's limits, inventory skew moves quotes to reduce the position, and a HARD guard
 * or the kill switch yields no quotes.
 *
 * Reproduce a failure with FC_SEED=<printed seed>.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BookView, Level } from '../../bot/marketdata/book.ts';
import { INITIAL_MODEL_STATE, type QuoteInputs, type QuoteParams } from '../../bot/pipeline/context.ts';
import { runPipeline, toQuoteSet } from '../../bot/pipeline/pipeline.ts';
import { INITIAL_GUARD_STATE } from '../../bot/guards/guards.ts';
import { FIXED_QUOTE_PARAMS, SHARED_QUOTING_ARBS, halting, haltKindArb, instrumentArb } from './quote-params.ts';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
console.log('fast-check seed', seed);
const RUNS = Number(process.env.FC_RUNS ?? 300);
const params = { seed, numRuns: RUNS };

const instArb = instrumentArb();

const bookArb: fc.Arbitrary<BookView> = fc
  .record({
    bestBid: fc.integer({ min: 100, max: 1_000_000 }),
    spread: fc.integer({ min: 1, max: 30 }),
    bidGaps: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 0, maxLength: 15 }),
    askGaps: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 0, maxLength: 15 }),
    qtys: fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 32, maxLength: 32 }),
  })
  .map(({ bestBid, spread, bidGaps, askGaps, qtys }) => {
    const bids: Level[] = [{ px: bestBid, qty: qtys[0]! }];
    for (const [i, g] of bidGaps.entries()) {
      const px = bids[bids.length - 1]!.px - g;
      if (px > 0) bids.push({ px, qty: qtys[i + 1]! });
    }
    const asks: Level[] = [{ px: bestBid + spread, qty: qtys[16]! }];
    for (const [i, g] of askGaps.entries()) asks.push({ px: asks[asks.length - 1]!.px + g, qty: qtys[i + 17]! });
    return { bids, asks, u: 10, seq: 10 };
  });

const paramsArb: fc.Arbitrary<QuoteParams> = fc
  .record({
    ...SHARED_QUOTING_ARBS,
    minSpreadBps: fc.double({ min: 0, max: 20, noNaN: true }),
    extraSpread: fc.double({ min: 0, max: 50, noNaN: true }),
    skewBps: fc.double({ min: 0, max: 50, noNaN: true }),
  })
  .map((r) => ({
    ...r,
    maxSpreadBps: r.minSpreadBps + r.extraSpread,
    ...FIXED_QUOTE_PARAMS,
  }));

const riskArb = fc.record({
  ackP95Ms: fc.option(fc.double({ min: 0, max: 2000, noNaN: true }), { nil: undefined }),
  drawdown: fc.double({ min: 0, max: 100, noNaN: true }),
});

function inputs(book: BookView, positionLots: number, risk: { ackP95Ms: number | undefined; drawdown: number }, resting: QuoteInputs['resting'] = { bid: undefined, ask: undefined }): QuoteInputs {
  return {
    symbol: 'BTCUSDT',
    cycle: 1,
    now: 1000,
    triggeredAt: 999,
    book,
    bookStale: false,
    positionLots,
    inventoryAgeMs: 0,
    turnover: { maker: 0, taker: 0 },
    risk: { ...risk, inventoryRatio: 0, takerFills: 0, rejects: 0, actions: 0, loss: 0, absPosition: 0 },
    resting,
    model: INITIAL_MODEL_STATE,
    guardState: INITIAL_GUARD_STATE,
  };
}

const restingArb = (book: BookView) =>
  fc.record({
    bid: fc.option(fc.record({ px: fc.integer({ min: book.bids[0]!.px - 10, max: book.bids[0]!.px }), lots: fc.integer({ min: 1, max: 100 }) }), { nil: undefined }),
    ask: fc.option(fc.record({ px: fc.integer({ min: book.asks[0]!.px, max: book.asks[0]!.px + 10 }), lots: fc.integer({ min: 1, max: 100 }) }), { nil: undefined }),
  });

const scenario = fc
  .tuple(instArb, bookArb, paramsArb, riskArb, fc.double({ min: -2, max: 2, noNaN: true }))
  .chain(([inst, book, p, risk, posFrac]) =>
    restingArb(book).map((resting) => ({ inst, book, p, risk, positionLots: Math.round(posFrac * p.maxPositionLots), resting })),
  );

describe('quote pipeline properties', () => {
  it('quotes never cross, stay post-only, are on the grid and exact as strings', () => {
    fc.assert(
      fc.property(scenario, ({ inst, book, p, risk, positionLots, resting }) => {
        const ctx = runPipeline(inputs(book, positionLots, risk, resting), p, inst);
        const bids = ctx.quotes.filter((q) => q.side === 'Buy');
        const asks = ctx.quotes.filter((q) => q.side === 'Sell');
        const bestBid = book.bids[0]!.px;
        const bestAsk = book.asks[0]!.px;
        for (const b of bids) {
          expect(Number.isInteger(b.px)).toBe(true);
          expect(b.px).toBeGreaterThan(0);
          expect(b.px).toBeLessThan(bestAsk);
          for (const a of asks) expect(b.px).toBeLessThan(a.px);
        }
        for (const a of asks) expect(a.px).toBeGreaterThan(bestBid);
        // Levels numbered 0.. per side, prices strictly moving away from the touch.
        bids.forEach((b, i) => expect(b.level).toBe(i));
        asks.forEach((a, i) => expect(a.level).toBe(i));
        for (let i = 1; i < bids.length; i++) expect(bids[i]!.px).toBeLessThan(bids[i - 1]!.px);
        for (let i = 1; i < asks.length; i++) expect(asks[i]!.px).toBeGreaterThan(asks[i - 1]!.px);
        const qs = toQuoteSet(ctx);
        qs.quotes.forEach((q, i) => {
          expect(inst.priceToTicks(q.price)).toBe(ctx.quotes[i]!.px);
          expect(inst.qtyToLots(q.qty)).toBe(ctx.quotes[i]!.lots);
          expect(q.price).toMatch(/^\d+\.\d{2}$/);
          expect(q.qty).toMatch(/^\d+\.\d{3}$/);
        });
      }),
      params,
    );
  });

  it('sizes stay within lot, min/max qty, min notional and the position limit', () => {
    fc.assert(
      fc.property(scenario, ({ inst, book, p, risk, positionLots, resting }) => {
        const ctx = runPipeline(inputs(book, positionLots, risk, resting), p, inst);
        let buy = 0;
        let sell = 0;
        for (const q of ctx.quotes) {
          expect(Number.isInteger(q.lots)).toBe(true);
          expect(q.lots).toBeGreaterThanOrEqual(inst.minLots);
          expect(q.lots).toBeLessThanOrEqual(inst.maxLots);
          expect(inst.meetsMinNotional(q.px, q.lots)).toBe(true);
          if (q.side === 'Buy') buy += q.lots;
          else sell += q.lots;
        }
        expect(buy).toBeLessThanOrEqual(Math.max(0, p.maxPositionLots - positionLots));
        expect(sell).toBeLessThanOrEqual(Math.max(0, p.maxPositionLots + positionLots));
      }),
      params,
    );
  });

  it('skew moves quotes to reduce inventory: a longer position never quotes higher, a shorter one never lower', () => {
    fc.assert(
      fc.property(instArb, bookArb, paramsArb, riskArb, fc.double({ min: -1.5, max: 1.5, noNaN: true }), fc.double({ min: 0.01, max: 1.5, noNaN: true }), (inst, book, p, risk, a, d) => {
        const lo = Math.round(a * p.maxPositionLots);
        const hi = Math.round((a + d) * p.maxPositionLots);
        const ctxLo = runPipeline(inputs(book, lo, risk), p, inst);
        const ctxHi = runPipeline(inputs(book, hi, risk), p, inst);
        expect(ctxHi.skew!.reservation).toBeLessThanOrEqual(ctxLo.skew!.reservation);
        if (p.skewBps >= 0.01 && hi > lo && Math.max(-1, Math.min(1, lo / p.maxPositionLots)) < Math.max(-1, Math.min(1, hi / p.maxPositionLots)))
          expect(ctxHi.skew!.reservation).toBeLessThan(ctxLo.skew!.reservation);
        const top = (c: typeof ctxLo, side: 'Buy' | 'Sell') => c.quotes.find((q) => q.side === side && q.level === 0);
        for (const side of ['Buy', 'Sell'] as const) {
          const l = top(ctxLo, side);
          const h = top(ctxHi, side);
          if (l && h) expect(h.px).toBeLessThanOrEqual(l.px);
        }
        // The side that adds to a long position shrinks; the side that reduces it does not.
        expect(ctxHi.skew!.bidSizeMult).toBeLessThanOrEqual(ctxLo.skew!.bidSizeMult);
        expect(ctxHi.skew!.askSizeMult).toBeGreaterThanOrEqual(ctxLo.skew!.askSizeMult);
      }),
      params,
    );
  });

  it('a HARD guard (stale book, HARD threshold, cooldown) or the kill switch yields no quotes', () => {
    fc.assert(
      fc.property(scenario, haltKindArb, ({ inst, book, p, risk, positionLots }, kind) => {
        const base = inputs(book, positionLots, risk);
        const i = halting(base, kind);
        const ctx = runPipeline(i, p, inst);
        expect(ctx.quotes).toEqual([]);
        expect(ctx.halt).toBeDefined();
        expect(['hard', 'killed']).toContain(ctx.guard!.decision.mode);
        expect(toQuoteSet(ctx).quotes).toEqual([]);
      }),
      params,
    );
  });

  it('SOFT widens and shrinks relative to normal', () => {
    fc.assert(
      fc.property(scenario, ({ inst, book, p, risk, positionLots }) => {
        const calm = { ackP95Ms: undefined, drawdown: 0 };
        const n = runPipeline(inputs(book, positionLots, calm), p, inst);
        const s = runPipeline(inputs(book, positionLots, { ...calm, ackP95Ms: 500 }), p, inst);
        expect(s.guard!.decision.mode).toBe('soft');
        const top = (c: typeof n, side: 'Buy' | 'Sell') => c.quotes.find((q) => q.side === side && q.level === 0);
        const nb = top(n, 'Buy'), sb = top(s, 'Buy'), na = top(n, 'Sell'), sa = top(s, 'Sell');
        // Widening is measured before the post-only clamp, which can pin both to the touch.
        if (nb && sb) expect(sb.px).toBeLessThanOrEqual(Math.max(nb.px, book.asks[0]!.px - 1));
        if (na && sa) expect(sa.px).toBeGreaterThanOrEqual(Math.min(na.px, book.bids[0]!.px + 1));
        void risk;
      }),
      params,
    );
  });
});
