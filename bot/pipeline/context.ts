/**
 * The quote pipeline's immutable context. Each stage is a pure function from one context to the next: it reads what
 * earlier stages added and adds its own part (never mutating), so a stage can be tested alone and timed alone.
 *
 * Units: prices in integer ticks (fair values and reservation prices are fractional ticks until rounded), sizes in
 * integer lots, positions in lots. Only the final QuoteSet carries decimal strings.
 */
import type { BookView } from '../marketdata/book.ts';
import type { Instrument } from '../marketdata/instrument.ts';
import type { GuardDecision, GuardInputs, GuardLimits, GuardState, Trip } from '../guards/guards.ts';
import type { Side } from '../types.ts';

/** Config in pipeline units (built once by params.ts). */
export interface QuoteParams {
  readonly levels: number;
  readonly levelStepTicks: number;
  readonly baseLots: number;
  readonly maxPositionLots: number;
  readonly minSpreadBps: number;
  readonly maxSpreadBps: number;
  readonly microWeight: number;
  readonly skewBps: number;
  readonly sizeSkew: number;
  readonly queueMaxAheadLots: number;
  readonly stickTicks: number;
  readonly volHalfLifeMs: number;
  readonly volRefBps: number;
  readonly liquidityLevels: number;
  readonly liquidityRefLots: number;
  readonly latencyRefMs: number;
  readonly pnlRef: number;
  readonly weights: { readonly volatility: number; readonly liquidity: number; readonly latency: number; readonly pnl: number };
  readonly softWiden: number;
  readonly softSizeMult: number;
  readonly guards: GuardLimits;
  /** Inventory unwind (stages/unwind.ts); absent or disabled = never take. */
  readonly unwind?: {
    readonly enabled: boolean;
    readonly afterMs: number;
    readonly sliceLots: number;
    readonly maxTakerShare: number;
    readonly maxCrossTicks: number;
  };
}

/** State carried from one requote to the next (the only memory the pipeline has). */
export interface ModelState {
  readonly lastMid: number | undefined;
  readonly lastTs: number | undefined;
  /** EWMA of squared log returns per second. */
  readonly varPerSec: number;
}

export const INITIAL_MODEL_STATE: ModelState = { lastMid: undefined, lastTs: undefined, varPerSec: 0 };

/** What we believe rests at level 0 per side (the previous requote's target), for the queue-aware nudge. */
export interface Resting {
  readonly px: number;
  readonly lots: number;
}

export interface QuoteInputs {
  readonly symbol: string;
  readonly cycle: number;
  readonly now: number;
  readonly triggeredAt: number;
  readonly book: BookView;
  readonly bookStale: boolean;
  /** Signed position in lots (long positive). */
  readonly positionLots: number;
  /** Ms since the position last moved toward zero (or left zero); 0 when flat. */
  readonly inventoryAgeMs: number;
  /** Notional (quote currency) of the bot's own fills so far, by liquidity role. */
  readonly turnover: { readonly maker: number; readonly taker: number };
  /** Guard inputs other than volatility and staleness, which the pipeline supplies itself. */
  readonly risk: Omit<GuardInputs, 'volBps' | 'stale'>;
  readonly resting: { readonly bid: Resting | undefined; readonly ask: Resting | undefined };
  readonly model: ModelState;
  readonly guardState: GuardState;
}

export interface SpreadScores {
  readonly volatility: number;
  readonly liquidity: number;
  readonly latency: number;
  readonly pnl: number;
}

export interface Quote {
  readonly side: Side;
  readonly level: number;
  readonly px: number;
  readonly lots: number;
}

export interface Unwind {
  readonly side: Side;
  readonly lots: number;
  readonly limitPx: number;
  /** How long (ms) the position had gone without moving toward zero. */
  readonly ageMs: number;
  /** The bot's taker share of turnover if this slice fills in full (the budget it was checked against). */
  readonly takerShareAfter: number;
}

export interface QuoteContext {
  readonly in: QuoteInputs;
  readonly p: QuoteParams;
  readonly inst: Instrument;
  /** Set by any stage that decides nothing should rest; later stages pass the context through. */
  readonly halt: string | undefined;
  readonly fair?: { readonly bestBid: number; readonly bestAsk: number; readonly mid: number; readonly micro: number; readonly value: number };
  readonly vol?: { readonly bps: number; readonly next: ModelState };
  readonly spread?: { readonly halfBps: number; readonly halfTicks: number; readonly minHalfTicks: number; readonly scores: SpreadScores; readonly combined: number };
  readonly skew?: { readonly inventoryRatio: number; readonly reservation: number; readonly bidSizeMult: number; readonly askSizeMult: number };
  readonly anchors?: { readonly bid: number; readonly ask: number; readonly nudges: readonly string[] };
  readonly guard?: { readonly decision: GuardDecision; readonly next: GuardState; readonly trips: readonly Trip[]; readonly sizeMult: number };
  /**
   * Set by the unwind stage when the position has aged past `afterMs` and the taker budget allows a slice: one IOC
   * Limit order on the reducing `side` for `lots`, limit `limitPx` (ticks). The ladder's resting quotes are unaffected
   * (post-only, never crossing).
   */
  readonly unwind?: Unwind;
  readonly quotes: readonly Quote[];
}

export type Stage = (ctx: QuoteContext) => QuoteContext;

export function initialContext(input: QuoteInputs, p: QuoteParams, inst: Instrument): QuoteContext {
  return { in: input, p, inst, halt: undefined, quotes: [] };
}
