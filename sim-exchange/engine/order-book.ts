/**
 * The matching engine: a price-time priority limit order book in integer ticks and lots (docs/engine.md).
 *
 * Structures:
 *  - orders live in an OrderStore: one 64-byte slot per order in a typed-array buffer (no per-order JS object, so
 *    the garbage collector never sees them), indexed by id through an open-addressing hash table;
 *  - per price level an intrusive doubly linked FIFO of slots (O(1) append, cancel, fill of the head) and its total;
 *  - per side a sorted array of levels with the best at the end (O(1) best price, pop() to drop an emptied best
 *    level) plus Map<price, level>;
 *  - per owner an intrusive linked list of its live orders (cancelAll / ordersOf are O(own orders)).
 *
 * Deterministic by construction: no clock, no randomness, no I/O; the same commands give the same events.
 */
import {
  F_FILLED,
  F_ID,
  F_OWNER,
  F_PRICE,
  F_QTY,
  FLAG_BUY,
  I_FLAGS,
  I_NEXT,
  I_ONEXT,
  I_OPREV,
  I_OWNERQ,
  I_PREV,
  NIL,
  OrderStore,
  TIF_POST_ONLY,
  encodeFlags,
  flagKind,
  flagSide,
  flagSmp,
  flagTif,
  smpCode,
} from './order-store.ts';
import { BookSide, OwnerQueue, type PriceLevel } from './price-levels.ts';
import {
  BUY,
  type AmendCommand,
  type BookSpec,
  type CancelReason,
  type EngineEvent,
  type Level,
  type MatchingEngine,
  type OrderView,
  type PlaceCommand,
  type RejectReason,
  type Side,
} from './types.ts';

const SMP_CANCEL_TAKER = 0;
const SMP_CANCEL_MAKER = 1;

export interface OrderBookOptions {
  /** Slots to reserve up front (the store doubles when full, which costs one copy). Default 1024. */
  readonly initialCapacity?: number;
}

export class OrderBook implements MatchingEngine {
  readonly spec: BookSpec;
  private _seq = 0;
  /**
   * Highest id of an accepted place. Ids must be strictly increasing: a place whose id is not greater than every
   * id accepted before is rejected with `duplicate_id` (O(1) and no memory of past ids; the venue hands out
   * increasing ids). Rejected places do not advance it.
   */
  private lastId = -Infinity;
  private readonly store: OrderStore;
  private readonly bids = new BookSide(1);
  private readonly asks = new BookSide(-1);
  /**
   * Owner queues by owner, and by a small index stored in each order's slot (so removing an order needs no hash
   * lookup). Queues are kept when they empty: owners are accounts, a bounded set.
   */
  private readonly owners = new Map<number, OwnerQueue>();
  private readonly ownerQueues: OwnerQueue[] = [];
  /** Set by `match` when self-trade prevention ended the taker's matching (CancelTaker / CancelBoth). */
  private smpStopped = false;
  /** Set by `match` when it changed the book (a fill, or a maker cancelled by STP). */
  private matched = false;

  constructor(spec: BookSpec, options: OrderBookOptions = {}) {
    this.spec = spec;
    this.store = new OrderStore(options.initialCapacity);
  }

  get seq(): number {
    return this._seq;
  }

  get size(): number {
    return this.store.size;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Commands

  place(cmd: PlaceCommand, out: EngineEvent[]): RejectReason | null {
    const spec = this.spec;
    const id = cmd.id;
    if (!(id > this.lastId)) return 'duplicate_id';
    const qty = cmd.qty;
    if (!Number.isSafeInteger(qty) || qty <= 0) return 'qty_invalid';
    if (qty < spec.minQtyLots) return 'qty_below_min';
    const market = cmd.kind === 'Market';
    if (qty > (market ? spec.maxMktQtyLots : spec.maxQtyLots)) return 'qty_above_max';
    const price = cmd.price;
    if (!Number.isSafeInteger(price) || price <= 0) return 'price_invalid';
    if (!market) {
      if (price < spec.minPriceTicks || price > spec.maxPriceTicks) return 'price_out_of_range';
      if (price * qty < spec.minNotional) return 'notional_below_min';
    }

    this.lastId = id;
    const owner = cmd.owner;
    const side = cmd.side;
    out.push({ type: 'accepted', id, owner });
    const tif = market ? 'IOC' : cmd.tif;
    const opp = side === BUY ? this.asks : this.bids;
    const best = opp.best();
    const crosses = best !== undefined && (side === BUY ? best.price <= price : best.price >= price);

    if (!crosses) {
      if (tif === 'GTC' || tif === 'PostOnly') {
        this.rest(id, owner, side, encodeFlags(side, cmd.kind, tif, cmd.smp), price, qty, 0);
        this._seq++;
      } else {
        out.push({ type: 'cancelled', id, owner, leaves: qty, reason: tif === 'FOK' ? 'fok_unfilled' : 'ioc_remainder' });
      }
      return null;
    }
    if (tif === 'PostOnly') {
      out.push({ type: 'cancelled', id, owner, leaves: qty, reason: 'post_only' });
      return null;
    }
    const smp = smpCode(cmd.smp);
    if (tif === 'FOK' && !this.canFill(opp, owner, side, price, qty, smp)) {
      out.push({ type: 'cancelled', id, owner, leaves: qty, reason: 'fok_unfilled' });
      return null;
    }

    const leaves = this.match(opp, id, owner, side, price, qty, smp, out);
    let changed = this.matched;
    if (leaves > 0) {
      if (this.smpStopped) {
        out.push({ type: 'cancelled', id, owner, leaves, reason: 'smp' });
      } else if (tif === 'GTC') {
        this.rest(id, owner, side, encodeFlags(side, cmd.kind, tif, cmd.smp), price, qty, qty - leaves);
        changed = true;
      } else {
        // IOC and Market. (A FOK that passed canFill always fills completely.)
        out.push({ type: 'cancelled', id, owner, leaves, reason: tif === 'FOK' ? 'fok_unfilled' : 'ioc_remainder' });
      }
    }
    if (changed) this._seq++;
    return null;
  }

  amend(cmd: AmendCommand, out: EngineEvent[]): RejectReason | null {
    const s = this.store.find(cmd.id);
    if (s === NIL) return 'unknown_order';
    const spec = this.spec;
    const b = s << 3;
    let F = this.store.F;
    const oldQty = F[b + F_QTY]!;
    const oldPrice = F[b + F_PRICE]!;
    const filled = F[b + F_FILLED]!;
    let newQty = oldQty;
    if (cmd.qty !== undefined) {
      newQty = cmd.qty;
      if (!Number.isSafeInteger(newQty) || newQty <= 0) return 'qty_invalid';
      if (newQty < spec.minQtyLots) return 'qty_below_min';
      if (newQty > spec.maxQtyLots) return 'qty_above_max';
    }
    let newPrice = oldPrice;
    if (cmd.price !== undefined) {
      newPrice = cmd.price;
      if (!Number.isSafeInteger(newPrice) || newPrice <= 0) return 'price_invalid';
      if (newPrice < spec.minPriceTicks || newPrice > spec.maxPriceTicks) return 'price_out_of_range';
    }
    if (newQty === oldQty && newPrice === oldPrice) return 'amend_no_change';
    if (newQty <= filled) return 'amend_qty_le_filled';
    if (newPrice * newQty < spec.minNotional) return 'notional_below_min';

    this._seq++;
    const id = F[b + F_ID]!;
    const owner = F[b + F_OWNER]!;
    const flags = this.store.I[(s << 4) + I_FLAGS]!;
    const side: Side = (flags & FLAG_BUY) !== 0 ? 1 : -1;
    const sideBook = side === BUY ? this.bids : this.asks;
    const lvl = sideBook.get(oldPrice)!;

    if (newPrice === oldPrice) {
      if (newQty < oldQty) {
        // Reduce in place: keeps the queue position.
        lvl.total -= oldQty - newQty;
        F[b + F_QTY] = newQty;
        out.push({ type: 'amended', id, owner, price: newPrice, qty: newQty, requeued: false });
        return null;
      }
      // Increase: loses the queue position (tail of the same level).
      this.levelRemove(lvl, s);
      F[b + F_QTY] = newQty;
      this.levelAppend(lvl, s);
      this.ownerRequeue(s);
      out.push({ type: 'amended', id, owner, price: newPrice, qty: newQty, requeued: true });
      return null;
    }

    // Price change: leave the old level, then behave like an incoming order at the new price.
    this.levelRemove(lvl, s);
    if (lvl.count === 0) sideBook.removeLevel(lvl);
    F[b + F_PRICE] = newPrice;
    F[b + F_QTY] = newQty;
    this.ownerRequeue(s);
    out.push({ type: 'amended', id, owner, price: newPrice, qty: newQty, requeued: true });

    const opp = side === BUY ? this.asks : this.bids;
    const best = opp.best();
    if (best === undefined || (side === BUY ? best.price > newPrice : best.price < newPrice)) {
      this.levelAppend(sideBook.getOrCreate(newPrice), s);
      return null;
    }
    if (((flags >> 2) & 3) === TIF_POST_ONLY) {
      this.drop(s);
      out.push({ type: 'cancelled', id, owner, leaves: newQty - filled, reason: 'post_only' });
      return null;
    }
    const leaves = this.match(opp, id, owner, side, newPrice, newQty - filled, (flags >> 4) & 3, out);
    F = this.store.F;
    F[b + F_FILLED] = newQty - leaves;
    if (leaves === 0) {
      this.drop(s);
    } else if (this.smpStopped) {
      this.drop(s);
      out.push({ type: 'cancelled', id, owner, leaves, reason: 'smp' });
    } else {
      this.levelAppend(sideBook.getOrCreate(newPrice), s);
    }
    return null;
  }

  cancel(id: number, out: EngineEvent[], reason: CancelReason = 'user'): RejectReason | null {
    const s = this.store.find(id);
    if (s === NIL) return 'unknown_order';
    const F = this.store.F;
    const b = s << 3;
    const owner = F[b + F_OWNER]!;
    const leaves = F[b + F_QTY]! - F[b + F_FILLED]!;
    this.removeResting(s);
    out.push({ type: 'cancelled', id, owner, leaves, reason });
    this._seq++;
    return null;
  }

  cancelAll(owner: number, out: EngineEvent[], reason: CancelReason = 'user'): number {
    const q = this.owners.get(owner);
    if (q === undefined) return 0;
    const F = this.store.F;
    const I = this.store.I;
    let n = 0;
    let s = q.head;
    while (s !== NIL) {
      const next = I[(s << 4) + I_ONEXT]!;
      const b = s << 3;
      const id = F[b + F_ID]!;
      const leaves = F[b + F_QTY]! - F[b + F_FILLED]!;
      this.removeResting(s);
      out.push({ type: 'cancelled', id, owner, leaves, reason });
      n++;
      s = next;
    }
    if (n > 0) this._seq++;
    return n;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Queries

  getOrder(id: number): OrderView | undefined {
    const s = this.store.find(id);
    return s === NIL ? undefined : this.view(s);
  }

  ordersOf(owner: number): OrderView[] {
    const res: OrderView[] = [];
    const q = this.owners.get(owner);
    if (q === undefined) return res;
    const I = this.store.I;
    for (let s = q.head; s !== NIL; s = I[(s << 4) + I_ONEXT]!) res.push(this.view(s));
    return res;
  }

  bestBid(): number | undefined {
    return this.bids.best()?.price;
  }

  bestAsk(): number | undefined {
    return this.asks.best()?.price;
  }

  depth(side: Side, levels: number): Level[] {
    const arr = (side === BUY ? this.bids : this.asks).levels;
    const res: Level[] = [];
    for (let i = arr.length - 1; i >= 0 && res.length < levels; i--) {
      const l = arr[i]!;
      res.push([l.price, l.total]);
    }
    return res;
  }

  levelQty(side: Side, price: number): number {
    return (side === BUY ? this.bids : this.asks).get(price)?.total ?? 0;
  }

  /** O(orders ahead): walks the level queue from the order towards the head. */
  queueAhead(id: number): number | undefined {
    const s = this.store.find(id);
    if (s === NIL) return undefined;
    const F = this.store.F;
    const I = this.store.I;
    let ahead = 0;
    for (let p = I[(s << 4) + I_PREV]!; p !== NIL; p = I[(p << 4) + I_PREV]!) ahead += F[(p << 3) + F_QTY]! - F[(p << 3) + F_FILLED]!;
    return ahead;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Matching

  /**
   * Matches an incoming quantity against `opp` in price-time priority up to `limit` (inclusive). Emits fills and
   * STP maker cancels; removes filled/cancelled makers and emptied levels. Returns the taker's leaves. Sets
   * `smpStopped` when self-trade prevention ended the matching and `matched` when the book changed.
   */
  private match(
    opp: BookSide,
    id: number,
    owner: number,
    side: Side,
    limit: number,
    leaves: number,
    smp: number,
    out: EngineEvent[],
  ): number {
    const levels = opp.levels;
    // No slot is allocated while matching, so the store's arrays stay valid through the loop.
    const F = this.store.F;
    const I = this.store.I;
    let stopped = false;
    let matched = false;
    while (leaves > 0) {
      const n = levels.length;
      if (n === 0) break;
      const lvl = levels[n - 1]!;
      const price = lvl.price;
      if (side === BUY ? price > limit : price < limit) break;
      let m = lvl.head;
      while (m !== NIL) {
        const mb = m << 3;
        const ml = F[mb + F_QTY]! - F[mb + F_FILLED]!;
        const makerId = F[mb + F_ID]!;
        if (F[mb + F_OWNER] === owner) {
          if (smp === SMP_CANCEL_TAKER) {
            stopped = true;
            break;
          }
          const next = I[(m << 4) + I_NEXT]!;
          this.levelRemove(lvl, m);
          this.drop(m);
          out.push({ type: 'cancelled', id: makerId, owner, leaves: ml, reason: 'smp' });
          matched = true;
          m = next;
          if (smp !== SMP_CANCEL_MAKER) {
            stopped = true;
            break;
          }
          continue;
        }
        matched = true;
        const makerOwner = F[mb + F_OWNER]!;
        if (leaves < ml) {
          F[mb + F_FILLED] = F[mb + F_FILLED]! + leaves;
          lvl.total -= leaves;
          out.push({
            type: 'fill',
            takerId: id,
            takerOwner: owner,
            makerId,
            makerOwner,
            takerSide: side,
            price,
            qty: leaves,
            takerLeaves: 0,
            makerLeaves: ml - leaves,
          });
          leaves = 0;
          break;
        }
        leaves -= ml;
        const next = I[(m << 4) + I_NEXT]!;
        this.levelRemove(lvl, m);
        this.drop(m);
        out.push({
          type: 'fill',
          takerId: id,
          takerOwner: owner,
          makerId,
          makerOwner,
          takerSide: side,
          price,
          qty: ml,
          takerLeaves: leaves,
          makerLeaves: 0,
        });
        m = next;
        if (leaves === 0) break;
      }
      if (lvl.count === 0) opp.removeLevel(lvl);
      if (stopped) break;
    }
    this.smpStopped = stopped;
    this.matched = matched;
    return leaves;
  }

  /**
   * FOK pre-check: can `qty` be filled at prices up to `limit`, given STP? With CancelMaker own orders are skipped
   * and do not count; with CancelTaker/CancelBoth matching would stop at the first own order, so nothing behind it
   * counts. Cost: O(levels) when the owner has no order on that side, else O(orders walked).
   */
  private canFill(opp: BookSide, owner: number, side: Side, limit: number, qty: number, smp: number): boolean {
    const levels = opp.levels;
    const q = this.owners.get(owner);
    const ownOpp = q === undefined ? 0 : side === BUY ? q.sells : q.buys;
    const F = this.store.F;
    const I = this.store.I;
    let need = qty;
    for (let i = levels.length - 1; i >= 0; i--) {
      const lvl = levels[i]!;
      if (side === BUY ? lvl.price > limit : lvl.price < limit) return false;
      if (ownOpp === 0) {
        need -= lvl.total;
        if (need <= 0) return true;
        continue;
      }
      for (let m = lvl.head; m !== NIL; m = I[(m << 4) + I_NEXT]!) {
        const mb = m << 3;
        if (F[mb + F_OWNER] === owner) {
          if (smp === SMP_CANCEL_MAKER) continue;
          return false;
        }
        need -= F[mb + F_QTY]! - F[mb + F_FILLED]!;
        if (need <= 0) return true;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Order and queue plumbing

  private rest(id: number, owner: number, side: Side, flags: number, price: number, qty: number, filled: number): void {
    const store = this.store;
    const s = store.alloc();
    const b = s << 3;
    const F = store.F;
    F[b + F_ID] = id;
    F[b + F_OWNER] = owner;
    F[b + F_PRICE] = price;
    F[b + F_QTY] = qty;
    F[b + F_FILLED] = filled;
    store.I[(s << 4) + I_FLAGS] = flags;
    store.insert(id, s);
    this.levelAppend((side === BUY ? this.bids : this.asks).getOrCreate(price), s);
    let q = this.owners.get(owner);
    if (q === undefined) {
      q = new OwnerQueue(this.ownerQueues.length);
      this.owners.set(owner, q);
      this.ownerQueues.push(q);
    }
    store.I[(s << 4) + I_OWNERQ] = q.index;
    this.ownerAppend(q, s, side);
  }

  /** Removes a resting order from its level (dropping the level if emptied), the index and its owner queue. */
  private removeResting(s: number): void {
    const side = this.store.I[(s << 4) + I_FLAGS]! & FLAG_BUY ? this.bids : this.asks;
    const lvl = side.get(this.store.F[(s << 3) + F_PRICE]!)!;
    this.levelRemove(lvl, s);
    if (lvl.count === 0) side.removeLevel(lvl);
    this.drop(s);
  }

  /** Removes an order that is in no level from the id index and its owner queue, and frees its slot. */
  private drop(s: number): void {
    const store = this.store;
    store.remove(store.F[(s << 3) + F_ID]!);
    this.ownerRemove(this.ownerQueues[store.I[(s << 4) + I_OWNERQ]!]!, s);
    store.free(s);
  }

  private levelAppend(lvl: PriceLevel, s: number): void {
    const I = this.store.I;
    const F = this.store.F;
    const bi = s << 4;
    const t = lvl.tail;
    I[bi + I_PREV] = t;
    I[bi + I_NEXT] = NIL;
    if (t === NIL) lvl.head = s;
    else I[(t << 4) + I_NEXT] = s;
    lvl.tail = s;
    lvl.count++;
    lvl.total += F[(s << 3) + F_QTY]! - F[(s << 3) + F_FILLED]!;
  }

  /** Unlinks slot `s` from `lvl` and subtracts its leaves from the level total. */
  private levelRemove(lvl: PriceLevel, s: number): void {
    const I = this.store.I;
    const F = this.store.F;
    const bi = s << 4;
    const p = I[bi + I_PREV]!;
    const n = I[bi + I_NEXT]!;
    if (p === NIL) lvl.head = n;
    else I[(p << 4) + I_NEXT] = n;
    if (n === NIL) lvl.tail = p;
    else I[(n << 4) + I_PREV] = p;
    lvl.count--;
    lvl.total -= F[(s << 3) + F_QTY]! - F[(s << 3) + F_FILLED]!;
  }

  private ownerAppend(q: OwnerQueue, s: number, side: Side): void {
    const I = this.store.I;
    const bi = s << 4;
    const t = q.tail;
    I[bi + I_OPREV] = t;
    I[bi + I_ONEXT] = NIL;
    if (t === NIL) q.head = s;
    else I[(t << 4) + I_ONEXT] = s;
    q.tail = s;
    q.count++;
    if (side === BUY) q.buys++;
    else q.sells++;
  }

  private ownerRemove(q: OwnerQueue, s: number): void {
    const I = this.store.I;
    const bi = s << 4;
    const p = I[bi + I_OPREV]!;
    const n = I[bi + I_ONEXT]!;
    if (p === NIL) q.head = n;
    else I[(p << 4) + I_ONEXT] = n;
    if (n === NIL) q.tail = p;
    else I[(n << 4) + I_OPREV] = p;
    q.count--;
    if ((I[bi + I_FLAGS]! & FLAG_BUY) !== 0) q.buys--;
    else q.sells--;
  }

  /** Moves an order to the tail of its owner's queue (it was just re-queued in the book). */
  private ownerRequeue(s: number): void {
    const q = this.ownerQueues[this.store.I[(s << 4) + I_OWNERQ]!]!;
    if (q.tail === s) return;
    const side: Side = (this.store.I[(s << 4) + I_FLAGS]! & FLAG_BUY) !== 0 ? 1 : -1;
    this.ownerRemove(q, s);
    this.ownerAppend(q, s, side);
  }

  private view(s: number): OrderView {
    const F = this.store.F;
    const b = s << 3;
    const flags = this.store.I[(s << 4) + I_FLAGS]!;
    const filled = F[b + F_FILLED]!;
    return {
      id: F[b + F_ID]!,
      owner: F[b + F_OWNER]!,
      side: flagSide(flags),
      kind: flagKind(flags),
      tif: flagTif(flags),
      smp: flagSmp(flags),
      price: F[b + F_PRICE]!,
      qty: F[b + F_QTY]!,
      filled,
      status: filled > 0 ? 'PartiallyFilled' : 'New',
    };
  }
}
