/**
 * The common market-event format: what recorded sessions are imported into (Binance USD-M raw captures, Bybit V5
 * public captures), what replay plays into the venue, and what calibration statistics are computed over, for a
 * recording and for the simulated market alike.
 *
 * Prices and sizes are integers in the instrument's ticks and lots (engine units), so a book level is exact and
 * the same recorded price always lands on the same engine level. Time is an integer count of microseconds since the
 * Unix epoch: recordings carry nanosecond or microsecond receive stamps, and µs stays a safe integer
 * (≈ 1.7e15 < 2^53) while keeping the ordering of bursts that share a millisecond.
 */

/** One price level: [price in ticks, size in lots]; size 0 deletes the level (deltas only). */
export type Level = readonly [priceTicks: number, sizeLots: number];

/**
 * An order-book update. `snapshot: true` replaces the whole side set (every level not listed is gone); otherwise the
 * listed levels carry absolute sizes (not increments) and size 0 deletes. Bids and asks are in any order.
 */
export interface BookEvent {
  readonly kind: 'book';
  /** Receive (or exchange, when no receive stamp exists) time, µs since the epoch. */
  readonly tsUs: number;
  readonly symbol: string;
  readonly snapshot: boolean;
  readonly bids: readonly Level[];
  readonly asks: readonly Level[];
}

/** A public trade (one print). */
export interface TradeEvent {
  readonly kind: 'trade';
  readonly tsUs: number;
  readonly symbol: string;
  readonly priceTicks: number;
  readonly qtyLots: number;
  /** The aggressor's side: 'Buy' lifted an ask, 'Sell' hit a bid. */
  readonly takerSide: 'Buy' | 'Sell';
  /** The source's trade id, when it has one (for de-duplication and reports). */
  readonly id?: string;
}

export type MarketEvent = BookEvent | TradeEvent;

/** Events of one instrument in time order, with what the import saw. */
export interface ImportedSession {
  readonly symbol: string;
  /** Tick and lot size the integers are expressed in (as decimal strings, e.g. "0.1", "0.001"). */
  readonly tickSize: string;
  readonly lotSize: string;
  /** Time-ordered (stable for equal stamps: source order). The first book event is a snapshot. */
  readonly events: readonly MarketEvent[];
  readonly report: ImportReport;
}

/** What an importer tells the user: counts by kind, lines it could not use and why, and the time span covered. */
export interface ImportReport {
  readonly source: string;
  readonly format: 'binance-usdm-raw' | 'bybit-v5-public';
  readonly lines: number;
  readonly events: { readonly snapshot: number; readonly delta: number; readonly trade: number };
  /** Lines that were not valid or could not be applied (bad JSON, broken update-id chain, unknown message). */
  readonly badLines: number;
  /** Up to a few examples: line number and reason. */
  readonly badSamples: readonly { readonly line: number; readonly reason: string }[];
  /** Lines valid but not used (other streams such as bookTicker, diffs before the snapshot, other symbols). */
  readonly skipped: number;
  readonly firstTsUs: number | null;
  readonly lastTsUs: number | null;
}
