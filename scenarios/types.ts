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

/**
 * A public book update that moved the mid, as the bot could see it: the moment the venue wrote it to the bot's public
 * connection (`via: 'ws'`), or, while the bot had no public book subscription on the symbol (a REST poller, a dropped
 * stream), the moment the change became visible at the venue (`via: 'venue'`). Only updates that take the mid
 * `thresholdBps` or more from the mid of the previous move are moves.
 */
export interface BookMove {
  /** Venue clock (ms). */
  readonly time: number;
  /** performance.now() of the venue process (ms): latencies are differences of these, never of venue-clock times. */
  readonly mono: number;
  readonly symbol: string;
  readonly fromMid: number;
  readonly toMid: number;
  readonly via: 'ws' | 'venue';
}

export type OrderOp = 'create' | 'amend' | 'cancel' | 'cancel-all';

/** An order action of the bot as the venue received it (REST or /v5/trade), whatever its answer. */
export interface OrderAction {
  readonly time: number;
  readonly mono: number;
  readonly symbol: string;
  readonly op: OrderOp;
  readonly channel: 'rest' | 'trade';
  /** Orders it names: 1, or a batch's items. */
  readonly n: number;
}

/** One request of the bot (a REST call, a /v5/trade op) and its rejects: empty when it succeeded. */
export interface RequestRow {
  readonly time: number;
  /** `POST /v5/order/create`, `trade order.amend-batch`, ... */
  readonly what: string;
  /**
   * Reject keys: the retCode of a refused request (e.g. "10006"), or of each refused item of a batch; "http" for an
   * answer without a Bybit envelope (an HTTP 5xx, a maintenance page).
   */
  readonly rejects: readonly string[];
}

/** What the venue saw of the bot (scenarios/run/venue-view.ts). Every time is stamped at the venue. */
export interface VenueView {
  /** performance.now() of the venue process at the window end: moves whose horizon runs past it are censored. */
  readonly endMono: number;
  readonly thresholdBps: number;
  readonly horizonMs: number;
  readonly moves: readonly BookMove[];
  readonly actions: readonly OrderAction[];
  readonly requests: readonly RequestRow[];
  /** Orders of the bot the venue cancelled because PostOnly would have taken liquidity: their cancel times. */
  readonly postOnlyCancels: readonly number[];
  /** Whether the bot's orders rested on both sides: the state at the window start, then every change. */
  readonly twoSided: readonly { readonly time: number; readonly on: boolean }[];
}

/** How the bot process ended, from the runner's side. */
export interface BotExit {
  readonly code: number | null;
  readonly signal: string | null;
  /** The signal the runner stopped it with. */
  readonly stopSignal: string;
  /** It exited before the runner asked it to stop. */
  readonly diedBeforeStop: boolean;
  /** It was still running after the stop grace and was killed (SIGKILL). */
  readonly killedAfterMs: number | null;
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
  /** Why there are no quote-cycle samples when the bot exports none (shown as the metric's absence reason). */
  readonly quoteCycleAbsent?: string;
  /** The venue's view of the bot (runs before the venue-side metrics existed have none). */
  readonly view?: VenueView;
  /** The bot's quotes over time (for the price chart): time, bid, ask (null = no quote on that side). */
  readonly quotes: readonly { readonly time: number; readonly bid: number | null; readonly ask: number | null }[];
  readonly faults: readonly FaultWindow[];
  /** Safety facts the gates always check. */
  readonly safety: {
    readonly openOrdersAfterStop: number;
    readonly duplicateOrderLinkIds: number;
    readonly maxAbsPosition: number;
    readonly positionLimit: number;
    /** Unhandled errors per process: the venue's uncoded error log lines; the bot's stderr lines its rules flag. */
    readonly unhandledErrors: { readonly venue: number; readonly bot: number };
    /** How the bot ended (runs before this field counted a non-zero exit in unhandledErrors.bot instead). */
    readonly botExit?: BotExit;
  };
}

/** A metric value, or absent when it had no samples (absent fails any gate that needs it — never a default). */
export type MetricValue = { readonly value: number; readonly samples: number } | { readonly absent: true; readonly reason: string };

export type MetricName =
  | 'quote_reaction_p50_ms'
  | 'quote_reaction_p95_ms'
  | 'unreacted_moves_pct'
  | 'quote_uptime_pct'
  | 'order_to_trade'
  | 'requests_per_s'
  | 'rejects_per_min'
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

/** Rejects per minute of one kind: `rejects_per_min[10006]`, `rejects_per_min[postonly]`, `rejects_per_min[http]`. */
export type RejectMetricName = `rejects_per_min[${string}]`;

/** Every named metric, and one `rejects_per_min[<key>]` per reject key seen (plus the catalogue's usual ones). */
export type Metrics = Readonly<Record<MetricName, MetricValue>> & Readonly<Partial<Record<RejectMetricName, MetricValue>>>;

/** A gate from a scenario file: `net_bps > -2`, `quote_reaction_p95_ms < 250`, `rejects_per_min[10006] < 60`. */
export interface Gate {
  readonly metric: MetricName | RejectMetricName;
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
  /** The bot under test (reports written before the any-bot contract have none). */
  readonly bot?: { readonly command: string; readonly source: string; readonly cwd: string };
  readonly metrics: Metrics;
  /** Gates from the file, then the always-on safety gates. */
  readonly gates: readonly GateResult[];
  readonly pass: boolean;
  /** Paths relative to the scenario's artifact directory. */
  readonly artifacts: Readonly<Record<string, string>>;
}
