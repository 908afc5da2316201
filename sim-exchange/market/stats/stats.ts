import type { MarketEvent, TradeEvent } from '../events.ts';
import { L2Book } from './book.ts';
import { autocorrLag1, quantile, stdev } from './numeric.ts';

/**
 * Calibration statistics of one symbol's market, computed the same way over a recording (imported into the common
 * event format) and over the simulated market (recorded by runMarketOffline). See docs/calibration.md for the exact
 * definition of every figure. In short:
 *
 * - The book is rebuilt from snapshot + delta events and SAMPLED ON A FIXED GRID every `sampleMs` (100 ms) from the
 *   session start: the sample at t is the book after every event with tsUs ≤ t. Spread and depth figures are
 *   quantiles over those samples (not time-weighted). A sample with an empty side, a locked (bid = ask) or a crossed
 *   (bid > ask) touch is skipped and counted.
 * - Returns: the mid of every `returnMs` (1 s) grid point (a subset of the sampling grid), log returns between
 *   consecutive grid points in bps; a return touching an unusable grid point is a gap.
 * - Trades: one per print (per TradeEvent). Binance and Bybit both print one trade per maker fill, so a market order
 *   that sweeps three makers counts three times; the simulated venue is counted the same way.
 */

export interface StatsOptions {
  /** Base units per lot (e.g. 0.001 for BTCUSDT): sizes are reported in base units. */
  readonly lotSize: number | string;
  /** Only events of this symbol are used (others are counted); default: the first event's symbol. */
  readonly symbol?: string;
  /** Book sampling period, ms (default 100). */
  readonly sampleMs?: number;
  /** Return interval, ms (default 1000; a multiple of sampleMs). */
  readonly returnMs?: number;
  /** Levels per side for the deep-depth figure (default 10). */
  readonly depthLevels?: number;
  /** Taker bursts: a print more than this after the previous one (or of the other side) starts a new burst (default 1000 µs). */
  readonly burstGapUs?: number;
  /** Session window, µs since the epoch; default: first and last event of the symbol. */
  readonly startUs?: number;
  readonly endUs?: number;
}

export interface Dist {
  readonly median: number | null;
  readonly p90: number | null;
}

export interface MarketStats {
  readonly symbol: string;
  readonly startUs: number;
  readonly endUs: number;
  readonly durationS: number;
  readonly sampleMs: number;
  readonly returnMs: number;
  readonly depthLevels: number;
  readonly lotSize: number;
  readonly events: {
    readonly snapshots: number;
    readonly deltas: number;
    readonly trades: number;
    /** Events of another symbol, ignored. */
    readonly otherSymbol: number;
    /** Events whose stamp is earlier than the one before (processed in array order anyway). */
    readonly outOfOrder: number;
  };
  /** Book samples on the sampling grid, by outcome; only `ok` samples enter spread and depth figures. */
  readonly samples: { readonly total: number; readonly ok: number; readonly empty: number; readonly locked: number; readonly crossed: number };
  /** best ask − best bid, ticks. */
  readonly spreadTicks: Dist & { readonly mean: number | null };
  /** Size at the best bid + size at the best ask, base units; and per side. */
  readonly topDepth: Dist & { readonly bidMedian: number | null; readonly askMedian: number | null };
  /** Sum over the best `depthLevels` levels of both sides, base units; and per side. */
  readonly deepDepth: Dist & { readonly bidMedian: number | null; readonly askMedian: number | null };
  /**
   * Shape of the book: for the i-th best level of each side (i = 1…depthLevels, as far as it exists), the median
   * over usable samples of its size (base units) and of its distance from the touch (ticks; 0 for level 1).
   */
  readonly profile: {
    readonly bid: { readonly sizeMedian: (number | null)[]; readonly distMedian: (number | null)[] };
    readonly ask: { readonly sizeMedian: (number | null)[]; readonly distMedian: (number | null)[] };
  };
  readonly trades: {
    readonly count: number;
    /** Prints per second of session. */
    readonly ratePerS: number | null;
    readonly sizeP50: number | null;
    readonly sizeP90: number | null;
    readonly sizeP99: number | null;
    readonly sizeMean: number | null;
    /** Base volume. */
    readonly volume: number;
    /** Share of prints whose aggressor bought. */
    readonly buyShare: number | null;
    /** Share of base volume whose aggressor bought. */
    readonly buyVolumeShare: number | null;
  };
  /**
   * Prints grouped into taker bursts, a proxy for taker orders: consecutive prints of the same aggressor side at most
   * `burstGapUs` apart (one market order sweeping several makers prints several trades within microseconds).
   */
  readonly bursts: {
    readonly gapUs: number;
    readonly count: number;
    readonly ratePerS: number | null;
    readonly printsPerBurst: number | null;
    /** Base size of a burst (sum of its prints). */
    readonly sizeP50: number | null;
    readonly sizeP90: number | null;
  };
  readonly returns: {
    /** Grid points of the return grid, and how many of them had no usable mid. */
    readonly gridPoints: number;
    readonly unusablePoints: number;
    /** Returns computed (both ends usable). */
    readonly n: number;
    /** Sample standard deviation of the returns, bps. */
    readonly volBps: number | null;
    readonly autocorrLag1: number | null;
    /** Share of returns that are exactly 0 (mid unchanged over the interval). */
    readonly zeroShare: number | null;
  };
}

/** Computes the statistics of a time-ordered event sequence. Pure: the input is not modified. */
export function computeMarketStats(events: readonly MarketEvent[], opts: StatsOptions): MarketStats {
  const lotSize = typeof opts.lotSize === 'string' ? Number(opts.lotSize) : opts.lotSize;
  if (!(lotSize > 0)) throw new RangeError(`lotSize must be positive: ${opts.lotSize}`);
  const sampleMs = opts.sampleMs ?? 100;
  const returnMs = opts.returnMs ?? 1000;
  const depthLevels = opts.depthLevels ?? 10;
  if (!(sampleMs > 0) || !(returnMs >= sampleMs) || returnMs % sampleMs !== 0) {
    throw new RangeError(`returnMs (${returnMs}) must be a positive multiple of sampleMs (${sampleMs})`);
  }
  const symbol = opts.symbol ?? events[0]?.symbol ?? '';

  // The symbol's events, in array order.
  const mine: MarketEvent[] = [];
  let otherSymbol = 0;
  let outOfOrder = 0;
  for (const ev of events) {
    if (ev.symbol !== symbol) {
      otherSymbol++;
      continue;
    }
    const prev = mine[mine.length - 1];
    if (prev !== undefined && ev.tsUs < prev.tsUs) outOfOrder++;
    mine.push(ev);
  }
  const firstTs = mine[0]?.tsUs ?? 0;
  const lastTs = mine[mine.length - 1]?.tsUs ?? 0;
  const startUs = opts.startUs ?? firstTs;
  const endUs = Math.max(startUs, opts.endUs ?? lastTs);
  const durationS = (endUs - startUs) / 1e6;

  const book = new L2Book();
  const trades: TradeEvent[] = [];
  const spreads: number[] = [];
  const top: number[] = [];
  const topBid: number[] = [];
  const topAsk: number[] = [];
  const deep: number[] = [];
  const deepBid: number[] = [];
  const deepAsk: number[] = [];
  let empty = 0;
  let locked = 0;
  let crossed = 0;
  let total = 0;
  const mids: (number | null)[] = [];
  const prof = {
    bid: { size: [] as number[][], dist: [] as number[][] },
    ask: { size: [] as number[][], dist: [] as number[][] },
  };
  const addProfile = (p: { size: number[][]; dist: number[][] }, levels: readonly (readonly [number, number])[]): void => {
    const best = levels[0]?.[0] ?? 0;
    levels.forEach(([price, size], i) => {
      (p.size[i] ??= []).push(size * lotSize);
      (p.dist[i] ??= []).push(Math.abs(price - best));
    });
  };

  const sampleUs = sampleMs * 1000;
  const every = returnMs / sampleMs;
  let i = 0;
  const applyUpTo = (t: number): void => {
    while (i < mine.length && (mine[i] as MarketEvent).tsUs <= t) {
      const ev = mine[i] as MarketEvent;
      i++;
      if (ev.kind === 'book') book.apply(ev);
      else if (ev.tsUs >= startUs && ev.tsUs <= endUs) trades.push(ev);
    }
  };

  if (mine.length > 0) {
    for (let k = 0; startUs + k * sampleUs <= endUs; k++) {
      const t = startUs + k * sampleUs;
      applyUpTo(t);
      total++;
      const s = book.top();
      let mid: number | null = null;
      if (s.kind === 'empty') empty++;
      else if (s.kind === 'locked') locked++;
      else if (s.kind === 'crossed') crossed++;
      else {
        spreads.push(s.ask - s.bid);
        const b1 = book.bids.bestSize() * lotSize;
        const a1 = book.asks.bestSize() * lotSize;
        top.push(b1 + a1);
        topBid.push(b1);
        topAsk.push(a1);
        const bn = book.bids.depth(depthLevels) * lotSize;
        const an = book.asks.depth(depthLevels) * lotSize;
        deep.push(bn + an);
        deepBid.push(bn);
        deepAsk.push(an);
        addProfile(prof.bid, book.bids.top(depthLevels));
        addProfile(prof.ask, book.asks.top(depthLevels));
        mid = (s.bid + s.ask) / 2;
      }
      if (k % every === 0) mids.push(mid);
    }
    applyUpTo(Number.POSITIVE_INFINITY); // trades after the last grid point but inside the window
  }

  // Returns on the return grid.
  const series: (number | null)[] = [];
  for (let j = 1; j < mids.length; j++) {
    const a = mids[j - 1];
    const b = mids[j];
    series.push(a === null || a === undefined || b === null || b === undefined ? null : 1e4 * Math.log(b / a));
  }
  const rets = series.filter((v): v is number => v !== null);

  const sizes = trades.map((t) => t.qtyLots * lotSize);
  let volume = 0;
  let buyVolume = 0;
  let buys = 0;
  for (const t of trades) {
    const q = t.qtyLots * lotSize;
    volume += q;
    if (t.takerSide === 'Buy') {
      buys++;
      buyVolume += q;
    }
  }
  const burstGapUs = opts.burstGapUs ?? 1000;
  const burstSizes: number[] = [];
  let prevTrade: TradeEvent | undefined;
  for (const t of trades) {
    const q = t.qtyLots * lotSize;
    if (prevTrade === undefined || t.takerSide !== prevTrade.takerSide || t.tsUs - prevTrade.tsUs > burstGapUs) burstSizes.push(q);
    else burstSizes[burstSizes.length - 1] = (burstSizes[burstSizes.length - 1] as number) + q;
    prevTrade = t;
  }
  let spreadSum = 0;
  for (const s of spreads) spreadSum += s;

  return {
    symbol,
    startUs,
    endUs,
    durationS,
    sampleMs,
    returnMs,
    depthLevels,
    lotSize,
    events: { snapshots: book.snapshots, deltas: book.deltas, trades: trades.length, otherSymbol, outOfOrder },
    samples: { total, ok: spreads.length, empty, locked, crossed },
    spreadTicks: {
      median: quantile(spreads, 0.5),
      p90: quantile(spreads, 0.9),
      mean: spreads.length ? spreadSum / spreads.length : null,
    },
    topDepth: { median: quantile(top, 0.5), p90: quantile(top, 0.9), bidMedian: quantile(topBid, 0.5), askMedian: quantile(topAsk, 0.5) },
    deepDepth: { median: quantile(deep, 0.5), p90: quantile(deep, 0.9), bidMedian: quantile(deepBid, 0.5), askMedian: quantile(deepAsk, 0.5) },
    profile: {
      bid: { sizeMedian: prof.bid.size.map((v) => quantile(v, 0.5)), distMedian: prof.bid.dist.map((v) => quantile(v, 0.5)) },
      ask: { sizeMedian: prof.ask.size.map((v) => quantile(v, 0.5)), distMedian: prof.ask.dist.map((v) => quantile(v, 0.5)) },
    },
    trades: {
      count: trades.length,
      ratePerS: durationS > 0 ? trades.length / durationS : null,
      sizeP50: quantile(sizes, 0.5),
      sizeP90: quantile(sizes, 0.9),
      sizeP99: quantile(sizes, 0.99),
      sizeMean: sizes.length ? volume / sizes.length : null,
      volume,
      buyShare: trades.length ? buys / trades.length : null,
      buyVolumeShare: volume > 0 ? buyVolume / volume : null,
    },
    bursts: {
      gapUs: burstGapUs,
      count: burstSizes.length,
      ratePerS: durationS > 0 ? burstSizes.length / durationS : null,
      printsPerBurst: burstSizes.length ? trades.length / burstSizes.length : null,
      sizeP50: quantile(burstSizes, 0.5),
      sizeP90: quantile(burstSizes, 0.9),
    },
    returns: {
      gridPoints: mids.length,
      unusablePoints: mids.filter((m) => m === null).length,
      n: rets.length,
      volBps: stdev(rets),
      autocorrLag1: autocorrLag1(series),
      zeroShare: rets.length ? rets.filter((r) => r === 0).length / rets.length : null,
    },
  };
}
