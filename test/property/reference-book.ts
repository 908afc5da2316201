/**
 * A deliberately simple reference implementation of the matching-engine contract, for differential testing of
 * `OrderBook`. Plain arrays, linear scans and sorts on every call, no cleverness: it should be obviously correct,
 * not fast. It implements exactly the semantics documented in docs/engine.md, including the choices the contract
 * leaves open (strictly increasing ids, validation order, when `seq` moves, owner order after a re-queue).
 */
import type {
  AmendCommand,
  BookSpec,
  CancelReason,
  EngineEvent,
  Level,
  MatchingEngine,
  OrderKind,
  OrderView,
  PlaceCommand,
  RejectReason,
  Side,
  SmpPolicy,
  TimeInForce,
} from '../../sim-exchange/engine/types.ts';

interface RefOrder {
  id: number;
  owner: number;
  side: Side;
  kind: OrderKind;
  tif: TimeInForce;
  smp: SmpPolicy;
  price: number;
  qty: number;
  filled: number;
  /** Time priority: larger = later. Set when the order rests and when it is re-queued. */
  time: number;
}

const isPosInt = (x: number): boolean => Number.isSafeInteger(x) && x > 0;

export class ReferenceBook implements MatchingEngine {
  readonly spec: BookSpec;
  seq = 0;
  private orders: RefOrder[] = [];
  private clock = 0;
  private lastId = -Infinity;

  constructor(spec: BookSpec) {
    this.spec = spec;
  }

  get size(): number {
    return this.orders.length;
  }

  // ----------------------------------------------------------------------------------------------------------------

  /** Orders on `side` that a taker with limit `limit` may trade with, best price first, then oldest first. */
  private makersFor(takerSide: Side, limit: number): RefOrder[] {
    const makerSide = -takerSide as Side;
    const ok = (p: number): boolean => (takerSide === 1 ? p <= limit : p >= limit);
    return this.orders
      .filter((o) => o.side === makerSide && ok(o.price))
      .sort((a, b) => (a.price !== b.price ? (takerSide === 1 ? a.price - b.price : b.price - a.price) : a.time - b.time));
  }

  private removeOrder(o: RefOrder): void {
    this.orders = this.orders.filter((x) => x !== o);
  }

  /** Runs a taker against the book. Returns [leaves, stoppedBySmp, changedBook]. */
  private takeLiquidity(
    taker: { id: number; owner: number; side: Side; smp: SmpPolicy },
    limit: number,
    leaves: number,
    out: EngineEvent[],
  ): [number, boolean, boolean] {
    let changed = false;
    for (const m of this.makersFor(taker.side, limit)) {
      if (leaves === 0) break;
      if (m.owner === taker.owner) {
        if (taker.smp === 'CancelTaker') return [leaves, true, changed];
        this.removeOrder(m);
        out.push({ type: 'cancelled', id: m.id, owner: m.owner, leaves: m.qty - m.filled, reason: 'smp' });
        changed = true;
        if (taker.smp === 'CancelBoth') return [leaves, true, changed];
        continue;
      }
      const q = Math.min(leaves, m.qty - m.filled);
      leaves -= q;
      m.filled += q;
      changed = true;
      out.push({
        type: 'fill',
        takerId: taker.id,
        takerOwner: taker.owner,
        makerId: m.id,
        makerOwner: m.owner,
        takerSide: taker.side,
        price: m.price,
        qty: q,
        takerLeaves: leaves,
        makerLeaves: m.qty - m.filled,
      });
      if (m.filled === m.qty) this.removeOrder(m);
    }
    return [leaves, false, changed];
  }

  /** What a FOK could fill: walk makers in priority order, applying the STP rules without touching anything. */
  private fillable(owner: number, side: Side, limit: number, smp: SmpPolicy): number {
    let sum = 0;
    for (const m of this.makersFor(side, limit)) {
      if (m.owner === owner) {
        if (smp === 'CancelMaker') continue;
        break;
      }
      sum += m.qty - m.filled;
    }
    return sum;
  }

  private crosses(side: Side, price: number): boolean {
    const best = side === 1 ? this.bestAsk() : this.bestBid();
    return best !== undefined && (side === 1 ? price >= best : price <= best);
  }

  // ----------------------------------------------------------------------------------------------------------------

  place(cmd: PlaceCommand, out: EngineEvent[]): RejectReason | null {
    const s = this.spec;
    const market = cmd.kind === 'Market';
    if (!(cmd.id > this.lastId)) return 'duplicate_id';
    if (!isPosInt(cmd.qty)) return 'qty_invalid';
    if (cmd.qty < s.minQtyLots) return 'qty_below_min';
    if (cmd.qty > (market ? s.maxMktQtyLots : s.maxQtyLots)) return 'qty_above_max';
    if (!isPosInt(cmd.price)) return 'price_invalid';
    if (!market && (cmd.price < s.minPriceTicks || cmd.price > s.maxPriceTicks)) return 'price_out_of_range';
    if (!market && cmd.price * cmd.qty < s.minNotional) return 'notional_below_min';
    this.lastId = cmd.id;

    out.push({ type: 'accepted', id: cmd.id, owner: cmd.owner });
    const tif: TimeInForce = market ? 'IOC' : cmd.tif;
    const cancel = (leaves: number, reason: CancelReason): void => {
      out.push({ type: 'cancelled', id: cmd.id, owner: cmd.owner, leaves, reason });
    };

    if (tif === 'PostOnly' && this.crosses(cmd.side, cmd.price)) {
      cancel(cmd.qty, 'post_only');
      return null;
    }
    if (tif === 'FOK' && this.fillable(cmd.owner, cmd.side, cmd.price, cmd.smp) < cmd.qty) {
      cancel(cmd.qty, 'fok_unfilled');
      return null;
    }
    const [leaves, smpStop, changed] = this.takeLiquidity(cmd, cmd.price, cmd.qty, out);
    let bookChanged = changed;
    if (leaves > 0) {
      if (smpStop) cancel(leaves, 'smp');
      else if (tif === 'GTC' || tif === 'PostOnly') {
        this.orders.push({
          id: cmd.id,
          owner: cmd.owner,
          side: cmd.side,
          kind: cmd.kind,
          tif,
          smp: cmd.smp,
          price: cmd.price,
          qty: cmd.qty,
          filled: cmd.qty - leaves,
          time: ++this.clock,
        });
        bookChanged = true;
      } else cancel(leaves, tif === 'FOK' ? 'fok_unfilled' : 'ioc_remainder');
    }
    if (bookChanged) this.seq++;
    return null;
  }

  amend(cmd: AmendCommand, out: EngineEvent[]): RejectReason | null {
    const s = this.spec;
    const o = this.orders.find((x) => x.id === cmd.id);
    if (o === undefined) return 'unknown_order';
    const qty = cmd.qty ?? o.qty;
    const price = cmd.price ?? o.price;
    if (cmd.qty !== undefined) {
      if (!isPosInt(qty)) return 'qty_invalid';
      if (qty < s.minQtyLots) return 'qty_below_min';
      if (qty > s.maxQtyLots) return 'qty_above_max';
    }
    if (cmd.price !== undefined) {
      if (!isPosInt(price)) return 'price_invalid';
      if (price < s.minPriceTicks || price > s.maxPriceTicks) return 'price_out_of_range';
    }
    if (qty === o.qty && price === o.price) return 'amend_no_change';
    if (qty <= o.filled) return 'amend_qty_le_filled';
    if (price * qty < s.minNotional) return 'notional_below_min';

    this.seq++;
    const requeued = price !== o.price || qty > o.qty;
    o.qty = qty;
    const priceChanged = price !== o.price;
    o.price = price;
    if (requeued) o.time = ++this.clock;
    out.push({ type: 'amended', id: o.id, owner: o.owner, price, qty, requeued });
    if (!priceChanged) return null;

    // Take it out while it acts as a taker, then put it back if it should rest.
    this.removeOrder(o);
    if (this.crosses(o.side, price)) {
      if (o.tif === 'PostOnly') {
        out.push({ type: 'cancelled', id: o.id, owner: o.owner, leaves: o.qty - o.filled, reason: 'post_only' });
        return null;
      }
      const [leaves, smpStop] = this.takeLiquidity(o, price, o.qty - o.filled, out);
      o.filled = o.qty - leaves;
      if (leaves === 0) return null;
      if (smpStop) {
        out.push({ type: 'cancelled', id: o.id, owner: o.owner, leaves, reason: 'smp' });
        return null;
      }
    }
    this.orders.push(o);
    return null;
  }

  cancel(id: number, out: EngineEvent[], reason: CancelReason = 'user'): RejectReason | null {
    const o = this.orders.find((x) => x.id === id);
    if (o === undefined) return 'unknown_order';
    this.removeOrder(o);
    out.push({ type: 'cancelled', id, owner: o.owner, leaves: o.qty - o.filled, reason });
    this.seq++;
    return null;
  }

  cancelAll(owner: number, out: EngineEvent[], reason: CancelReason = 'user'): number {
    const mine = this.orders.filter((o) => o.owner === owner).sort((a, b) => a.time - b.time);
    for (const o of mine) {
      this.removeOrder(o);
      out.push({ type: 'cancelled', id: o.id, owner, leaves: o.qty - o.filled, reason });
    }
    if (mine.length > 0) this.seq++;
    return mine.length;
  }

  // ----------------------------------------------------------------------------------------------------------------

  private view(o: RefOrder): OrderView {
    return {
      id: o.id,
      owner: o.owner,
      side: o.side,
      kind: o.kind,
      tif: o.tif,
      smp: o.smp,
      price: o.price,
      qty: o.qty,
      filled: o.filled,
      status: o.filled > 0 ? 'PartiallyFilled' : 'New',
    };
  }

  getOrder(id: number): OrderView | undefined {
    const o = this.orders.find((x) => x.id === id);
    return o && this.view(o);
  }

  ordersOf(owner: number): OrderView[] {
    return this.orders
      .filter((o) => o.owner === owner)
      .sort((a, b) => a.time - b.time)
      .map((o) => this.view(o));
  }

  bestBid(): number | undefined {
    const ps = this.orders.filter((o) => o.side === 1).map((o) => o.price);
    return ps.length === 0 ? undefined : Math.max(...ps);
  }

  bestAsk(): number | undefined {
    const ps = this.orders.filter((o) => o.side === -1).map((o) => o.price);
    return ps.length === 0 ? undefined : Math.min(...ps);
  }

  depth(side: Side, levels: number): Level[] {
    const byPrice = new Map<number, number>();
    for (const o of this.orders) if (o.side === side) byPrice.set(o.price, (byPrice.get(o.price) ?? 0) + o.qty - o.filled);
    return [...byPrice.entries()]
      .sort((a, b) => (side === 1 ? b[0] - a[0] : a[0] - b[0]))
      .slice(0, levels)
      .map(([p, q]) => [p, q] as const);
  }

  levelQty(side: Side, price: number): number {
    let sum = 0;
    for (const o of this.orders) if (o.side === side && o.price === price) sum += o.qty - o.filled;
    return sum;
  }

  queueAhead(id: number): number | undefined {
    const o = this.orders.find((x) => x.id === id);
    if (o === undefined) return undefined;
    let sum = 0;
    for (const x of this.orders) if (x.side === o.side && x.price === o.price && x.time < o.time) sum += x.qty - x.filled;
    return sum;
  }
}
