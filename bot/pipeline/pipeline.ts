/**
 * Runs the stages in order, timing each (per-stage latency goes to a histogram), and turns the final context into
 * the QuoteSet execution consumes (decimal strings from integer ticks and lots: exact by construction).
 */
import { performance } from 'node:perf_hooks';
import type { QuoteSet } from '../types.ts';
import { initialContext, type QuoteContext, type QuoteInputs, type QuoteParams, type Stage } from './context.ts';
import type { Instrument } from '../marketdata/instrument.ts';
import { fairValue } from './stages/fair-value.ts';
import { volatility } from './stages/volatility.ts';
import { spread } from './stages/spread.ts';
import { skew } from './stages/skew.ts';
import { queueNudge } from './stages/queue.ts';
import { guard } from './stages/guard.ts';
import { ladder } from './stages/ladder.ts';
import { unwind } from './stages/unwind.ts';

export const STAGES: readonly (readonly [string, Stage])[] = [
  ['fair_value', fairValue],
  ['volatility', volatility],
  ['spread', spread],
  ['skew', skew],
  ['queue', queueNudge],
  ['guards', guard],
  ['unwind', unwind],
  ['ladder', ladder],
];

export type StageTimer = (stage: string, ms: number) => void;

export function runPipeline(input: QuoteInputs, p: QuoteParams, inst: Instrument, onStage?: StageTimer): QuoteContext {
  let ctx = initialContext(input, p, inst);
  for (const [name, stage] of STAGES) {
    const t0 = onStage ? performance.now() : 0;
    ctx = stage(ctx);
    if (onStage) onStage(name, performance.now() - t0);
  }
  return ctx;
}

export function toQuoteSet(ctx: QuoteContext): QuoteSet {
  return {
    symbol: ctx.in.symbol,
    cycle: ctx.in.cycle,
    triggeredAt: ctx.in.triggeredAt,
    quotes: ctx.quotes.map((q) => ({ side: q.side, level: q.level, price: ctx.inst.ticksToPrice(q.px), qty: ctx.inst.lotsToQty(q.lots) })),
  };
}
