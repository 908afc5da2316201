import type { Side, OrderKind, TimeInForce, SmpPolicy } from '../engine/types.ts';

export type VenueOrderStatus = 'New' | 'PartiallyFilled' | 'Filled' | 'Cancelled' | 'Rejected';

/**
 * A venue order: what Bybit reports about an order, in integers (ticks, lots, nano-USDT). The engine only knows the
 * matching state; this adds identity (orderId, orderLinkId), money (cumExecValue, fees) and the lifecycle texts.
 */
export interface OrderRecord {
  readonly engineId: number;
  readonly orderId: string;
  readonly orderLinkId: string;
  readonly uid: number;
  readonly symbol: string;
  readonly side: Side;
  readonly orderType: OrderKind;
  readonly timeInForce: TimeInForce;
  readonly smp: SmpPolicy;
  readonly reduceOnly: boolean;
  price: number;
  qty: number;
  filled: number;
  /** Σ price·qty of fills, nano-USDT. */
  cumValue: number;
  cumFee: number;
  status: VenueOrderStatus;
  rejectReason: string;
  cancelType: string;
  closedPnl: number;
  readonly createdTime: number;
  updatedTime: number;
  /** X-BAPI-TIMESTAMP (or WS header timestamp) of the request that placed it. */
  readonly signedAt: number;
  /** Last trade price when it was placed, ticks (0 if none). */
  readonly lastPriceOnCreated: number;
}

export const isOpen = (o: OrderRecord): boolean => o.status === 'New' || o.status === 'PartiallyFilled';

/** Closed orders kept per account with `history: 'recent'` (see AccountConfig). */
export const RECENT_CLOSED_ORDERS = 200;

/**
 * Orders of all accounts, indexed the ways the API looks them up. Open orders per account are kept in insertion
 * order; closed orders move to a per-account history capped at `historyCap`, or `recentCap` for an account that keeps
 * only its recent history (Bybit keeps 7 days; a soak would grow without a cap).
 */
export class OrderStore {
  private readonly byId = new Map<string, OrderRecord>();
  private readonly byEngine = new Map<number, OrderRecord>();
  private readonly byLink = new Map<string, OrderRecord>();
  private readonly open = new Map<number, Map<number, OrderRecord>>();
  private readonly history = new Map<number, OrderRecord[]>();

  constructor(
    private readonly historyCap = 20_000,
    private readonly recentCap = RECENT_CLOSED_ORDERS,
  ) {}

  add(o: OrderRecord): void {
    this.byId.set(o.orderId, o);
    this.byEngine.set(o.engineId, o);
    if (o.orderLinkId) this.byLink.set(linkKey(o.uid, o.orderLinkId), o);
    let m = this.open.get(o.uid);
    if (!m) {
      m = new Map();
      this.open.set(o.uid, m);
    }
    m.set(o.engineId, o);
  }

  /** Called once when an order reaches a final status. */
  close(o: OrderRecord, history: 'full' | 'recent' = 'full'): void {
    const cap = history === 'recent' ? this.recentCap : this.historyCap;
    this.open.get(o.uid)?.delete(o.engineId);
    this.byEngine.delete(o.engineId);
    let h = this.history.get(o.uid);
    if (!h) {
      h = [];
      this.history.set(o.uid, h);
    }
    h.push(o);
    if (h.length > cap * 1.25) {
      for (const old of h.splice(0, h.length - cap)) {
        this.byId.delete(old.orderId);
        // Only if the id still names this order: a closed orderLinkId may have been reused by a newer order since.
        if (old.orderLinkId && this.byLink.get(linkKey(old.uid, old.orderLinkId)) === old) this.byLink.delete(linkKey(old.uid, old.orderLinkId));
      }
    }
  }

  byEngineId(id: number): OrderRecord | undefined {
    return this.byEngine.get(id);
  }

  /** Looks up an account's order: orderId wins over orderLinkId when both are given (Bybit's rule). */
  find(uid: number, orderId?: string, orderLinkId?: string): OrderRecord | undefined {
    const o = orderId ? this.byId.get(orderId) : orderLinkId ? this.byLink.get(linkKey(uid, orderLinkId)) : undefined;
    return o && o.uid === uid ? o : undefined;
  }

  openOf(uid: number): IterableIterator<OrderRecord> {
    return (this.open.get(uid) ?? new Map<number, OrderRecord>()).values();
  }

  openCount(uid: number, symbol: string): number {
    let n = 0;
    for (const o of this.openOf(uid)) if (o.symbol === symbol) n++;
    return n;
  }

  /** Closed orders, oldest first. */
  closedOf(uid: number): readonly OrderRecord[] {
    return this.history.get(uid) ?? [];
  }

  clear(): void {
    this.byId.clear();
    this.byEngine.clear();
    this.byLink.clear();
    this.open.clear();
    this.history.clear();
  }
}

function linkKey(uid: number, link: string): string {
  return `${uid}\u0000${link}`;
}
