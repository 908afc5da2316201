import { Venue } from '../venue/venue.ts';
import { ManualClock } from '../clock.ts';
import { DEFAULT_INSTRUMENTS, type InstrumentConfig } from '../instruments.ts';
import { Market, type MarketSnapshot, type TimelineStep } from './market.ts';
import type { ParamOverrides, RegimeName } from './params.ts';
import type { LpStyle } from './agents/lp.ts';
import { BookRecorder } from './recorder.ts';
import type { MarketEvent } from './events.ts';

export interface OfflineOptions {
  readonly seed: number;
  /** Default calm. */
  readonly regime?: RegimeName;
  /** Recorded market time, ms (after the warm-up). */
  readonly durationMs: number;
  /** Default BTCUSDT. */
  readonly symbol?: string;
  readonly params?: ParamOverrides;
  readonly timeline?: readonly TimelineStep[];
  readonly lps?: readonly LpStyle[];
  /** Default "60000". */
  readonly startPrice?: string;
  /** Market time run before recording starts, so the book is built (default 2000 ms). */
  readonly warmupMs?: number;
  /** Book levels recorded per side (default 20). */
  readonly levels?: number;
  /** Epoch ms the ManualClock starts at (default 1_700_000_000_000). */
  readonly startMs?: number;
  readonly instruments?: readonly InstrumentConfig[];
}

export interface OfflineRun {
  /** Snapshot first, then trades and top-of-book deltas in time order (see BookRecorder). */
  readonly events: MarketEvent[];
  readonly market: MarketSnapshot;
  readonly venue: Venue;
}

/**
 * Runs the background market alone in a fresh Venue on a ManualClock, as fast as the CPU allows, and records its
 * public market data in the common format (prices in ticks, sizes in lots, time in µs of market time). Deterministic:
 * the same options give the same events. This is what calibration (sim-exchange/market/stats/) compares with captures.
 */
export function runMarketOffline(opts: OfflineOptions): MarketEvent[] {
  return runMarketOfflineDetailed(opts).events;
}

export function runMarketOfflineDetailed(opts: OfflineOptions): OfflineRun {
  const startMs = opts.startMs ?? 1_700_000_000_000;
  const clock = new ManualClock(startMs);
  const symbol = opts.symbol ?? 'BTCUSDT';
  const venue = new Venue({ instruments: opts.instruments ?? DEFAULT_INSTRUMENTS, clock, seed: opts.seed });
  const market = new Market(venue, {
    symbol,
    seed: opts.seed,
    regime: opts.regime ?? 'calm',
    ...(opts.params ? { params: opts.params } : {}),
    ...(opts.timeline ? { timeline: opts.timeline } : {}),
    ...(opts.lps ? { lps: opts.lps } : {}),
    startPrice: opts.startPrice ?? '60000',
    setClock: (ms) => clock.set(ms),
  });
  const warm = startMs + (opts.warmupMs ?? 2000);
  market.advanceTo(warm);
  const rec = new BookRecorder(venue, symbol, opts.levels ?? 20);
  rec.snapshot(market.nowUs);
  const endUs = (warm + opts.durationMs) * 1000;
  for (;;) {
    const next = market.nextEventMs();
    if (next === undefined || next * 1000 > endUs) break;
    market.step();
    rec.flush(market.nowUs);
  }
  market.advanceTo(endUs / 1000);
  rec.close();
  return { events: rec.events, market: market.snapshot(), venue };
}
