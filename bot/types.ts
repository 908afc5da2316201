/**
 * The seam between the bot's quote pipeline (what it wants resting on the book) and its execution layer (what is
 * resting, and the requests that make the two agree). Both halves import only this file from each other.
 *
 * Prices and sizes cross the seam as decimal strings already aligned to the instrument's tick and lot (the pipeline
 * rounds; execution never re-rounds), so a desired quote and a live order compare exactly.
 */

export type Side = 'Buy' | 'Sell';

/** One order the pipeline wants resting: a ladder level on one side. */
export interface DesiredQuote {
  readonly side: Side;
  /** 0 = closest to the touch. Execution matches desired and live orders level by level per side. */
  readonly level: number;
  readonly price: string;
  readonly qty: string;
}

/** The pipeline's output for one requote. An empty list means "nothing resting" (e.g. a HARD guard). */
export interface QuoteSet {
  readonly symbol: string;
  readonly quotes: readonly DesiredQuote[];
  /**
   * When the market-data event that triggered this requote arrived (performance.now() ms). Execution reports
   * quote_cycle latency from here to the acks of all of this requote's actions.
   */
  readonly triggeredAt: number;
  /** Monotonic requote number, for logs and traces. */
  readonly cycle: number;
}

/** What execution knows about one of the bot's own resting orders. */
export interface LiveOrder {
  readonly orderId: string;
  readonly orderLinkId: string;
  readonly side: Side;
  readonly level: number;
  readonly price: string;
  /** Remaining (leaves) quantity. */
  readonly qty: string;
  /** True while a create/amend/cancel for it awaits its ack. */
  readonly pending: boolean;
  /**
   * What is in flight when `pending`: a create or a cancel (the order may not exist yet, or is going away), or only
   * amends — price and qty are then what the newest of them asks for (what the venue holds once they land), and a
   * requote may amend it again rather than wait for their acks. Absent means a create or cancel.
   */
  readonly inflight?: 'create' | 'cancel' | 'amend';
}

/** The minimal set of requests that turns the live set into the desired set. */
export interface OrderDiff {
  readonly create: readonly DesiredQuote[];
  readonly amend: readonly { readonly live: LiveOrder; readonly to: DesiredQuote }[];
  readonly cancel: readonly LiveOrder[];
}

/** Counters and state execution exposes to guards and telemetry. */
export interface ExecutionView {
  /** Signed position in base units (Buy positive). */
  readonly position: number;
  readonly openOrders: number;
  /** Order-ack latency samples (ms) since the last read, per endpoint. */
  drainAckLatencies(): { readonly endpoint: string; readonly ms: number }[];
  /** Rejects by retCode since start. */
  readonly rejects: ReadonlyMap<number, number>;
  /** Taker fills since start (the bot only posts; a taker fill means something went wrong). */
  readonly takerFills: number;
}
