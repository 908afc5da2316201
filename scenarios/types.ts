/**
 * The seam between the scenario runner (what happened in a run) and the metrics / gates / reports (what it means).
 * The runner collects a RunRecord; metrics.ts turns it into Metrics (../shared/DESIGN.md §4, one definition each);
 * gates evaluate them; the report writers render a ScenarioReport. Both sides import only this file from each other.
 *
 * Units: prices and quantities as numbers in quote / base units (USDT, BTC), fees in USDT (positive = paid), times in
 * ms since the epoch (venue clock). Ledger rows are the venue's ground truth (control plane GET /ledger).
 */

/** One fill of the bot's account, as the venue's ledger reports it. */
export interface FillRow {
  readonly seq: number;
  readonly execId: string;
  readonly time: number;
  readonly orderId: string;
  readonly orderLinkId: string;
  /** +1 buy, −1 sell. */
  readonly side: 1 | -1;
  readonly price: number;
  readonly qty: number;
  /** USDT; positive = paid, negative = rebate. */
  readonly fee: number;
  readonly isMaker: boolean;
  /** Venue mid just before the order that caused the fill arrived; null if a side was empty. */
  readonly midBefore: number | null;
  /** Best opposite price when the taker's request was signed (slippage), null if unknown. */
  readonly touchBefore: number | null;
  readonly takerSignedAt: number | null;
}

/** One of the bot's orders over its life (for fill_rate and order_age). */
export interface OrderRow {
  readonly orderId: string;
  readonly orderLinkId: string;
  readonly createdTime: number;
  /** Fill or cancel time when it closed; null if still open at the end. */
  readonly closedTime: number | null;
  readonly qty: number;
  readonly filled: number;
}

/** The venue mid over time (for markouts and the final mark), ascending by time. */
export interface MidPoint {
  readonly time: number;
  readonly mid: number;
}

/** A window of time with a fault active, for report shading and attribution. */
export interface FaultWindow {
  readonly kind: 'venue' | 'network';
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

/** Everything a run leaves behind that metrics and reports read. */
export interface RunRecord {
  readonly scenarioId: string;
  readonly seed: number;
  /** Measurement window (ms, venue clock). */
  readonly start: number;
  readonly end: number;
  readonly fills: readonly FillRow[];
  readonly orders: readonly OrderRow[];
  readonly mids: readonly MidPoint[];
  /** Quote-cycle latencies (ms) as the bot observed them, raw samples or decoded from its histogram. */
  readonly quoteCycleMs: readonly number[];
  /** The bot's quotes over time (for the price chart): time, bid, ask (null = no quote on that side). */
  readonly quotes: readonly { readonly time: number; readonly bid: number | null; readonly ask: number | null }[];
  readonly faults: readonly FaultWindow[];
  /** Safety facts the gates always check. */
  readonly safety: {
    readonly openOrdersAfterStop: number;
    readonly duplicateOrderLinkIds: number;
    readonly maxAbsPosition: number;
    readonly positionLimit: number;
    /** Unhandled errors (level ≥ error log lines with no catalogue code, crashes, non-zero exits) per process. */
    readonly unhandledErrors: { readonly venue: number; readonly bot: number };
  };
}

/** A metric value, or absent when it had no samples (absent fails any gate that needs it — never a default). */
export type MetricValue = { readonly value: number; readonly samples: number } | { readonly absent: true; readonly reason: string };

export type MetricName =
  | 'spread_bps'
  | 'adverse_bps'
  | 'inventory_bps'
  | 'fees_bps'
  | 'net_bps'
  | 'slippage_bps'
  | 'taker_share_pct'
  | 'fill_rate'
  | 'order_age_p95_ms'
  | 'quote_cycle_p95_ms'
  | 'mean_abs_position'
  | 'final_abs_position';

export type Metrics = Readonly<Record<MetricName, MetricValue>>;

/** A gate from a scenario file: `net_bps > -2`, `quote_cycle_p95_ms < 250`. */
export interface Gate {
  readonly metric: MetricName;
  readonly op: '<' | '<=' | '>' | '>=';
  readonly threshold: number;
}

export interface GateResult {
  readonly name: string;
  readonly pass: boolean;
  /** Human sentence: "net_bps = -0.8 > -2" or "quote_cycle_p95_ms absent (no samples): fails". */
  readonly detail: string;
}

export interface ScenarioReport {
  readonly scenarioId: string;
  readonly title: string;
  readonly seed: number;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly metrics: Metrics;
  /** Gates from the file, then the always-on safety gates. */
  readonly gates: readonly GateResult[];
  readonly pass: boolean;
  /** Paths relative to the scenario's artifact directory. */
  readonly artifacts: Readonly<Record<string, string>>;
}
