/**
 * The bot's own resting orders as execution knows them, keyed by orderLinkId (the id we mint before the venue
 * answers, so a create is tracked from the moment it is sent).
 *
 * Sources and precedence:
 * - the private `order` stream and REST reconciliation carry the venue's state with its `updatedTime`; an update older
 *   than what we hold is ignored (a REST snapshot can arrive after a newer stream push, and vice versa);
 * - request acks fill in what the stream has not told us yet (the orderId of a create, the new price of an amend);
 * - a closed order (filled, cancelled, PostOnly-rejected) is removed and remembered as a tombstone, so a late ack or a
 *   stale snapshot cannot bring it back.
 */
import type { LiveOrder, Side } from '../types.ts';
import { isOpenStatus, type OrderUpdate } from '../venue/messages.ts';
import { eqDec } from '../venue/decimal.ts';

/** A request that blocks the order's slot until its ack: the order may not exist yet, or is going away. */
export type Inflight = 'create' | 'cancel';

/** The newest amend sent for an order: what it will hold once the amends in flight land (the venue applies them in order). */
export interface AmendTarget {
  readonly price: string;
  readonly qty: string;
}

export interface TrackedOrder {
  orderId: string;
  readonly orderLinkId: string;
  readonly side: Side;
  readonly level: number;
  price: string;
  /** Leaves qty. */
  qty: string;
  /** Filled qty (cumExecQty): an amend's qty is the order's total, so it needs this. */
  filled: string;
  status: 'PendingNew' | 'New' | 'PartiallyFilled' | 'Untriggered';
  inflight: Inflight | undefined;
  /** Amends awaiting their acks. */
  amends: number;
  /** Set while `amends` > 0. */
  target: AmendTarget | undefined;
  /** Sequence number of the newest amend sent, and of the newest one whose success has been applied. */
  amendSeq: number;
  ackedSeq: number;
  /** Venue ms of the newest venue state applied (0 = only our own request so far). */
  updatedTime: number;
  /** Local ms of the last stream update applied. */
  streamAt: number;
  /** Local ms when the venue last confirmed this order (ack, stream or REST). */
  confirmedAt: number;
}

export type UpdateResult =
  | { kind: 'open'; order: TrackedOrder }
  | { kind: 'closed'; order: TrackedOrder; postOnlyReject: boolean; status: string }
  | { kind: 'stale' }
  | { kind: 'untracked' };

export const POST_ONLY_REJECT = 'EC_PostOnlyWillTakeLiquidity';
const MAX_TOMBSTONES = 10_000;

export class OrderStore {
  private readonly byLink = new Map<string, TrackedOrder>();
  /** orderLinkId → venue updatedTime of the closing update (Infinity when an ack closed it). */
  private readonly tombstones = new Map<string, number>();

  get size(): number {
    return this.byLink.size;
  }

  get(orderLinkId: string): TrackedOrder | undefined {
    return this.byLink.get(orderLinkId);
  }

  all(): TrackedOrder[] {
    return [...this.byLink.values()];
  }

  /** The seam's view: every tracked order, pending ones flagged; an order with amends in flight at their target. */
  live(): LiveOrder[] {
    const out: LiveOrder[] = [];
    for (const o of this.byLink.values()) {
      const t = o.target;
      out.push({
        orderId: o.orderId,
        orderLinkId: o.orderLinkId,
        side: o.side,
        level: o.level,
        price: t ? t.price : o.price,
        qty: t ? t.qty : o.qty,
        pending: o.inflight !== undefined || o.amends > 0,
        inflight: o.inflight ?? (o.amends > 0 ? 'amend' : undefined),
      });
    }
    return out;
  }

  /** True if we know the order closed at or after venue time `updatedTime`. */
  closedSince(orderLinkId: string, updatedTime: number): boolean {
    const t = this.tombstones.get(orderLinkId);
    return t !== undefined && t >= updatedTime;
  }

  /** A create is about to be sent. */
  begin(orderLinkId: string, side: Side, level: number, price: string, qty: string, now: number): TrackedOrder {
    const o: TrackedOrder = {
      orderId: '', orderLinkId, side, level, price, qty, filled: '0', status: 'PendingNew', inflight: 'create',
      amends: 0, target: undefined, amendSeq: 0, ackedSeq: 0, updatedTime: 0, streamAt: 0, confirmedAt: now,
    };
    this.byLink.set(orderLinkId, o);
    return o;
  }

  /** Adopts an open order found on the venue (reconciliation of an id minted by this run). */
  adopt(u: OrderUpdate, level: number, now: number): TrackedOrder {
    const o: TrackedOrder = {
      orderId: u.orderId, orderLinkId: u.orderLinkId, side: u.side, level, price: u.price, qty: u.leavesQty,
      filled: u.cumExecQty, status: u.status as TrackedOrder['status'], inflight: undefined,
      amends: 0, target: undefined, amendSeq: 0, ackedSeq: 0, updatedTime: u.updatedTime,
      streamAt: 0, confirmedAt: now,
    };
    this.byLink.set(u.orderLinkId, o);
    return o;
  }

  setInflight(orderLinkId: string, kind: Inflight | undefined): void {
    const o = this.byLink.get(orderLinkId);
    if (o) o.inflight = kind;
  }

  ackCreate(orderLinkId: string, orderId: string, now: number): void {
    const o = this.byLink.get(orderLinkId);
    if (!o) return;
    if (orderId) o.orderId = orderId;
    if (o.status === 'PendingNew') o.status = 'New';
    o.inflight = undefined;
    o.confirmedAt = now;
  }

  /** An amend to `to` is about to be sent (possibly while earlier ones are in flight). Returns its sequence number. */
  beginAmend(orderLinkId: string, to: { price: string; qty: string }): number {
    const o = this.byLink.get(orderLinkId);
    if (!o) return 0;
    o.amends++;
    o.amendSeq++;
    o.target = { price: to.price, qty: to.qty };
    return o.amendSeq;
  }

  /**
   * An amend was answered. A success that is the newest success so far sets the requested price and leaves, unless
   * the stream has spoken since it was sent (then the stream's state is the venue's and stays, until its next push).
   * A failure only ends the wait: what the venue holds comes from the stream or the next reconciliation.
   */
  settleAmend(orderLinkId: string, seq: number, ok: { price: string; qty: string; sentAt: number } | undefined, now: number): void {
    const o = this.byLink.get(orderLinkId);
    if (!o) return;
    o.amends = Math.max(0, o.amends - 1);
    if (o.amends === 0) o.target = undefined;
    if (ok === undefined) return;
    o.confirmedAt = now;
    if (seq > o.ackedSeq && o.streamAt < ok.sentAt) {
      o.ackedSeq = seq;
      o.price = ok.price;
      o.qty = ok.qty;
    }
  }

  /**
   * Drops an order without a tombstone: its fate is unknown (a create that never got an answer). If it exists after
   * all, reconciliation finds it untracked and adopts it.
   */
  forget(orderLinkId: string): void {
    this.byLink.delete(orderLinkId);
  }

  /** Removes an order the venue says is gone (cancel ack, 110001/110008 on amend or cancel, missing in a snapshot). */
  remove(orderLinkId: string, updatedTime = Number.POSITIVE_INFINITY): TrackedOrder | undefined {
    const o = this.byLink.get(orderLinkId);
    this.byLink.delete(orderLinkId);
    this.tombstone(orderLinkId, updatedTime);
    return o;
  }

  /** Applies a venue order state (stream or REST). `stream` marks pushes (see ackAmend). */
  apply(u: OrderUpdate, now: number, stream: boolean): UpdateResult {
    const dead = this.tombstones.get(u.orderLinkId);
    if (dead !== undefined && dead >= u.updatedTime) return { kind: 'stale' };
    const o = this.byLink.get(u.orderLinkId);
    if (!o) return { kind: 'untracked' };
    if (u.updatedTime < o.updatedTime) return { kind: 'stale' };
    if (!isOpenStatus(u.status)) {
      this.byLink.delete(u.orderLinkId);
      this.tombstone(u.orderLinkId, u.updatedTime);
      return { kind: 'closed', order: o, status: u.status, postOnlyReject: u.rejectReason === POST_ONLY_REJECT && eqDec(u.cumExecQty, '0') };
    }
    o.orderId = u.orderId;
    o.price = u.price;
    o.qty = u.leavesQty;
    o.filled = u.cumExecQty;
    o.status = u.status as TrackedOrder['status'];
    o.updatedTime = u.updatedTime;
    o.confirmedAt = now;
    if (stream) o.streamAt = now;
    return { kind: 'open', order: o };
  }

  private tombstone(orderLinkId: string, t: number): void {
    this.tombstones.delete(orderLinkId);
    this.tombstones.set(orderLinkId, Math.max(t, this.tombstones.get(orderLinkId) ?? -Infinity));
    if (this.tombstones.size > MAX_TOMBSTONES) this.tombstones.delete(this.tombstones.keys().next().value!);
  }
}
