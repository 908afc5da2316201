/**
 * The matching engine's contract. Everything here is integers: prices in ticks, quantities in lots, owners and
 * order ids as numbers handed in by the caller. The engine knows no wire format, reads no clock and draws no random
 * number, so the same ordered commands always give the same events (DESIGN.md §2).
 */

/** +1 = Buy, -1 = Sell. A number so that signed arithmetic (position += side * qty) needs no branch. */
export type Side = 1 | -1;
export const BUY: Side = 1;
export const SELL: Side = -1;

export type OrderKind = 'Limit' | 'Market';
export type TimeInForce = 'GTC' | 'IOC' | 'FOK' | 'PostOnly';

/**
 * Self-trade prevention, applied when an incoming order would match a resting order of the same owner.
 * CancelTaker: the incoming order's remainder is cancelled, the resting one stays.
 * CancelMaker: the resting order is cancelled and matching continues behind it.
 * CancelBoth: both are cancelled.
 */
export type SmpPolicy = 'CancelTaker' | 'CancelMaker' | 'CancelBoth';

/** Integer limits of one instrument, derived from its instruments-info entry at the edge. */
export interface BookSpec {
  readonly minPriceTicks: number;
  readonly maxPriceTicks: number;
  readonly minQtyLots: number;
  readonly maxQtyLots: number;
  /** Market orders have a lower cap on Bybit (maxMktOrderQty). */
  readonly maxMktQtyLots: number;
  /** minNotionalValue expressed in ticks × lots, rounded up. */
  readonly minNotional: number;
}

export interface PlaceCommand {
  /** Unique for the life of the engine; chosen by the caller. */
  readonly id: number;
  readonly owner: number;
  readonly side: Side;
  readonly kind: OrderKind;
  /** Market orders are always IOC; their `tif` is ignored. */
  readonly tif: TimeInForce;
  /**
   * Limit price in ticks. For a Market order: the worst price it may trade at (Bybit turns market orders into IOC
   * limits bounded by a slippage band, computed by the caller).
   */
  readonly price: number;
  readonly qty: number;
  readonly smp: SmpPolicy;
}

export interface AmendCommand {
  readonly id: number;
  /** New limit price in ticks; undefined = unchanged. A price change re-queues (and may match). */
  readonly price?: number | undefined;
  /** New total quantity in lots (not leaves); undefined = unchanged. Must stay above the filled qty. */
  readonly qty?: number | undefined;
}

/** Why an order left the book without filling completely. Mapped to Bybit's cancelType/rejectReason at the edge. */
export type CancelReason =
  | 'user'             // cancel / cancel-all
  | 'post_only'        // PostOnly would have taken liquidity (EC_PostOnlyWillTakeLiquidity)
  | 'ioc_remainder'    // IOC or Market could not fill the rest (EC_NoImmediateQtyToFill)
  | 'fok_unfilled'     // FOK could not fill completely (EC_CancelForNoFullFill)
  | 'smp'              // self-trade prevention (EC_BySelfMatch, CancelBySmp)
  | 'external';        // cancelled by the venue for a reason outside the engine (DCP, admin)

/** Why a command was refused before it touched the book. The book is unchanged when one is returned. */
export type RejectReason =
  | 'duplicate_id'
  | 'unknown_order'
  | 'qty_invalid'          // zero, negative, non-integer
  | 'qty_below_min'
  | 'qty_above_max'
  | 'price_invalid'        // non-integer or <= 0
  | 'price_out_of_range'   // outside minPrice..maxPrice
  | 'notional_below_min'
  | 'amend_qty_le_filled'  // new qty would be <= filled qty
  | 'amend_no_change';

export type OrderStatus = 'New' | 'PartiallyFilled' | 'Filled' | 'Cancelled';

/** A read-only view of a live order. Orders leave the engine's index once filled or cancelled. */
export interface OrderView {
  readonly id: number;
  readonly owner: number;
  readonly side: Side;
  readonly kind: OrderKind;
  readonly tif: TimeInForce;
  readonly smp: SmpPolicy;
  readonly price: number;
  /** Current total quantity (after amends). leaves = qty - filled. */
  readonly qty: number;
  readonly filled: number;
  readonly status: OrderStatus;
}

/**
 * Effects of one command, in the order they happened. A `place` that passes validation emits `accepted` first,
 * then zero or more `fill`s, then at most one terminal `cancelled` for the incoming order (or it rests).
 */
export type EngineEvent =
  | { readonly type: 'accepted'; readonly id: number; readonly owner: number }
  | {
      readonly type: 'fill';
      readonly takerId: number;
      readonly takerOwner: number;
      readonly makerId: number;
      readonly makerOwner: number;
      /** Side of the taker; the maker is on the other side. */
      readonly takerSide: Side;
      /** The maker's price (price improvement goes to the taker). */
      readonly price: number;
      readonly qty: number;
      /** Remaining open qty of each order after this fill (0 = fully filled). */
      readonly takerLeaves: number;
      readonly makerLeaves: number;
    }
  | { readonly type: 'cancelled'; readonly id: number; readonly owner: number; readonly leaves: number; readonly reason: CancelReason }
  | {
      readonly type: 'amended';
      readonly id: number;
      readonly owner: number;
      readonly price: number;
      readonly qty: number;
      /** True when the order lost its queue place (price change or qty increase). */
      readonly requeued: boolean;
    };

/** One price level as the public feed sees it: [priceTicks, totalLots]. */
export type Level = readonly [price: number, qty: number];

export interface MatchingEngine {
  readonly spec: BookSpec;
  /** Increments on every command that changed the book; Bybit's cross sequence `seq`. */
  readonly seq: number;

  /** Validate, then match and/or rest. Returns null when accepted (events appended to `out`), else the reason. */
  place(cmd: PlaceCommand, out: EngineEvent[]): RejectReason | null;
  amend(cmd: AmendCommand, out: EngineEvent[]): RejectReason | null;
  cancel(id: number, out: EngineEvent[], reason?: CancelReason): RejectReason | null;
  /** Cancels every live order of `owner` in time priority order. Returns how many. */
  cancelAll(owner: number, out: EngineEvent[], reason?: CancelReason): number;

  getOrder(id: number): OrderView | undefined;
  /** Live orders of one owner, oldest first. */
  ordersOf(owner: number): OrderView[];
  /** Best prices in ticks, or undefined when that side is empty. */
  bestBid(): number | undefined;
  bestAsk(): number | undefined;
  /** Up to `levels` aggregated levels, best first (bids descending, asks ascending). */
  depth(side: Side, levels: number): Level[];
  /** Total resting lots at one price on one side (0 if none). */
  levelQty(side: Side, price: number): number;
  /** Lots resting ahead of order `id` at its level (its queue position); undefined if not live. */
  queueAhead(id: number): number | undefined;
  /** Number of live orders. */
  readonly size: number;
}
