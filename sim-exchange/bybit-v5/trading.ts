/**
 * Order entry shared by REST (/v5/order/*) and the WS trade API (/v5/trade, op order.*): parse the request with
 * params.ts, run it on the Venue, shape Bybit's result (../shared/reference/bybit-v5.md §3.2).
 *
 * Every function takes the venue, the caller's uid (already authenticated), the request object exactly as received
 * (a REST body, or a WS `args[0]`) and the request's signed timestamp (X-BAPI-TIMESTAMP, or the WS header's). Single
 * operations throw VenueError for any refusal, and a refused request changes nothing. Batch operations throw only
 * when the whole request is malformed (then nothing is executed); otherwise each item is validated and executed
 * independently, in order, and a failing item never affects the others. Nothing here reads the clock.
 */
import type { Venue, OrderRef } from '../venue/venue.ts';
import { isOpen, type OrderRecord } from '../venue/orders.ts';
import { VenueError, CATALOGUE } from './errors.ts';
import {
  MAX_BATCH,
  asObject,
  parseAmend,
  parseBatch,
  parseCancel,
  parseCancelAll,
  parseCreate,
} from './params.ts';

/** What a handler answers: `result` goes into the envelope's `result` (WS: `data`), `retExtInfo` likewise. */
export interface TradeReply {
  result: unknown;
  retExtInfo?: unknown;
}

export interface OrderIds {
  orderId: string;
  orderLinkId: string;
}

const ids = (o: OrderRecord): OrderIds => ({ orderId: o.orderId, orderLinkId: o.orderLinkId });

// ---------------------------------------------------------------------------------------------------------------------
// Venue fault hook (sim-exchange/faults/, docs/faults.md): order rejects and late cancels, for REST and /v5/trade alike.

export type OrderOpName = 'create' | 'amend' | 'cancel' | 'cancel-all';

export interface OrderFaultHook {
  /** An error to refuse this request (or batch item) with before anything is applied; undefined = go on. */
  reject(uid: number, op: OrderOpName): VenueError | undefined;
  /**
   * Late cancel: true when `apply` was scheduled to run later (the cancel is then acknowledged at once); false = cancel
   * now. `apply` may throw (the order filled or was cancelled meanwhile): the hook owns that outcome.
   */
  deferCancel(uid: number, apply: () => void): boolean;
}

const faultHooks = new WeakMap<Venue, OrderFaultHook>();
/** Venues with a hook: without any, an order request costs one number comparison. */
let hooked = 0;

/** Installs (or with undefined removes) the fault hook of a venue. */
export function setOrderFaultHook(venue: Venue, hook: OrderFaultHook | undefined): void {
  const had = faultHooks.has(venue);
  if (hook === undefined) {
    if (had) hooked--;
    faultHooks.delete(venue);
    return;
  }
  if (!had) hooked++;
  faultHooks.set(venue, hook);
}

function hookOf(venue: Venue): OrderFaultHook | undefined {
  return hooked === 0 ? undefined : faultHooks.get(venue);
}

/** The open order a cancel refers to, with the venue's own checks and errors (nothing changes). */
function openRef(venue: Venue, uid: number, ref: OrderRef): OrderRecord {
  venue.account(uid);
  venue.instrument(ref.symbol);
  const rec = venue.orders.find(uid, ref.orderId, ref.orderLinkId);
  if (!rec || rec.symbol !== ref.symbol) throw new VenueError('ORDER_NOT_FOUND');
  if (!isOpen(rec)) throw new VenueError('ORDER_CLOSED');
  return rec;
}

/** A cancel now, or acknowledged now and applied later (late-cancel fault). */
function cancelNowOrLater(venue: Venue, uid: number, ref: OrderRef, hook: OrderFaultHook | undefined): OrderRecord {
  if (hook === undefined) return venue.cancel(uid, ref);
  const rec = openRef(venue, uid, ref);
  if (hook.deferCancel(uid, () => venue.cancel(uid, ref))) return rec;
  return venue.cancel(uid, ref);
}

/** Bybit's futures cancel-all cancels at most 500 orders per call. */
export const CANCEL_ALL_MAX = 500;

/**
 * POST /v5/order/create | order.create. Result `{orderId, orderLinkId}`. The ack is immediate: a PostOnly order that
 * would cross is accepted (retCode 0) and is already Cancelled with rejectReason EC_PostOnlyWillTakeLiquidity.
 */
export function createOrder(venue: Venue, uid: number, body: unknown, signedAt: number): TradeReply {
  const hook = hookOf(venue);
  if (hook !== undefined) {
    const e = hook.reject(uid, 'create');
    if (e !== undefined) throw e;
  }
  const req = parseCreate(venue, body);
  return { result: ids(venue.place(uid, { ...req, signedAt })) };
}

/** POST /v5/order/amend | order.amend. Result `{orderId, orderLinkId}`. */
export function amendOrder(venue: Venue, uid: number, body: unknown, _signedAt: number): TradeReply {
  const hook = hookOf(venue);
  if (hook !== undefined) {
    const e = hook.reject(uid, 'amend');
    if (e !== undefined) throw e;
  }
  return { result: ids(venue.amend(uid, parseAmend(venue, body))) };
}

/** POST /v5/order/cancel | order.cancel. Result `{orderId, orderLinkId}`. */
export function cancelOrder(venue: Venue, uid: number, body: unknown, _signedAt: number): TradeReply {
  const hook = hookOf(venue);
  if (hook !== undefined) {
    const e = hook.reject(uid, 'cancel');
    if (e !== undefined) throw e;
  }
  return { result: ids(cancelNowOrLater(venue, uid, parseCancel(venue, body), hook)) };
}

/**
 * POST /v5/order/cancel-all. Linear needs symbol, baseCoin or settleCoin (priority in that order; settleCoin USDT =
 * every symbol). Result `{list:[{orderId, orderLinkId}], success:"1"}`; at most 500 orders per call.
 */
export function cancelAllOrders(venue: Venue, uid: number, body: unknown, _signedAt: number): TradeReply {
  const hook = hookOf(venue);
  if (hook !== undefined) {
    const e = hook.reject(uid, 'cancel-all');
    if (e !== undefined) throw e;
  }
  const p = parseCancelAll(venue, body);
  venue.account(uid);
  const list: OrderIds[] = [];
  if (hook !== undefined) {
    // Late cancel: the orders open now are acknowledged, and each is cancelled later if it is still open then.
    const targets: OrderRecord[] = [];
    for (const symbol of p.symbols) {
      for (const o of venue.orders.openOf(uid)) if (o.symbol === symbol && targets.length < CANCEL_ALL_MAX) targets.push(o);
    }
    const later = targets.map((o) => ({ symbol: o.symbol, orderId: o.orderId }));
    const run = () => {
      for (const ref of later) {
        const o = venue.orders.find(uid, ref.orderId, undefined);
        if (o !== undefined && isOpen(o)) venue.cancel(uid, ref);
      }
    };
    if (hook.deferCancel(uid, run)) return { result: { list: targets.map(ids), success: '1' } };
  }
  for (const symbol of p.symbols) {
    const left = CANCEL_ALL_MAX - list.length;
    if (left <= 0) break;
    for (const o of venue.cancelAll(uid, symbol, 'CancelByUser', left)) list.push(ids(o));
  }
  return { result: { list, success: '1' } };
}

/** Number of orders in a batch request, for rate-limit units: 0 when the request is malformed or has over 20 items. */
export function batchSize(body: unknown): number {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 0;
  const r = (body as { request?: unknown }).request;
  return Array.isArray(r) && r.length >= 1 && r.length <= MAX_BATCH ? r.length : 0;
}

interface ItemStatus {
  code: number;
  msg: string;
}

const OK: ItemStatus = { code: 0, msg: 'OK' };

function failure(e: unknown): ItemStatus {
  if (e instanceof VenueError) return { code: e.retCode, msg: e.retMsg };
  // A bug, not a venue answer: report it on the item (the venue validates before it mutates) and keep going.
  return { code: CATALOGUE.SERVER.retCode, msg: CATALOGUE.SERVER.retMsg };
}

const RATE_LIMITED: ItemStatus = { code: CATALOGUE.RATE_LIMIT.retCode, msg: CATALOGUE.RATE_LIMIT.retMsg };

/** The echo of a string field of a raw item, "" if absent or not a string. */
function echo(item: unknown, field: string): string {
  if (item === null || typeof item !== 'object') return '';
  const v = (item as Record<string, unknown>)[field];
  return typeof v === 'string' ? v : '';
}

/**
 * Runs the items of a batch in order. `granted` = rate-limit units granted for this request: items at index >= granted
 * are not executed and fail with 10006. Returns the parallel `result.list` / `retExtInfo.list` arrays.
 */
function runBatch<T>(
  venue: Venue,
  uid: number,
  op: OrderOpName,
  body: unknown,
  granted: number,
  run: (item: Record<string, unknown>) => T,
  ok: (item: Record<string, unknown>, out: T) => unknown,
  failed: (item: unknown) => unknown,
): TradeReply {
  const { request } = parseBatch(body);
  const list: unknown[] = [];
  const ext: ItemStatus[] = [];
  const allowed = Number.isFinite(granted) ? Math.max(0, Math.floor(granted)) : request.length;
  const hook = hookOf(venue);
  request.forEach((raw, i) => {
    if (i >= allowed) {
      list.push(failed(raw));
      ext.push(RATE_LIMITED);
      return;
    }
    if (hook !== undefined) {
      const e = hook.reject(uid, op);
      if (e !== undefined) {
        list.push(failed(raw));
        ext.push(failure(e));
        return;
      }
    }
    try {
      const item = asObject(raw, 'request item');
      const out = run(item);
      list.push(ok(item, out));
      ext.push(OK);
    } catch (e) {
      list.push(failed(raw));
      ext.push(failure(e));
    }
  });
  return { result: { list }, retExtInfo: { list: ext } };
}

/**
 * POST /v5/order/create-batch | order.create-batch: `{category:"linear", request:[...]}`, at most 20 items (more →
 * 10001 for the whole request). Items: `{category, symbol, orderId, orderLinkId, createAt}`; a failed item has
 * orderId "" and createAt "" (symbol and orderLinkId echo the request); retExtInfo.list holds `{code, msg}` per item.
 */
export function createBatch(venue: Venue, uid: number, body: unknown, signedAt: number, granted: number): TradeReply {
  return runBatch(
    venue,
    uid,
    'create',
    body,
    granted,
    (item) => venue.place(uid, { ...parseCreate(venue, item, { inBatch: true }), signedAt }),
    (_item, o) => ({ category: 'linear', symbol: o.symbol, orderId: o.orderId, orderLinkId: o.orderLinkId, createAt: String(o.createdTime) }),
    (item) => ({ category: 'linear', symbol: echo(item, 'symbol'), orderId: '', orderLinkId: echo(item, 'orderLinkId'), createAt: '' }),
  );
}

/** Failed amend/cancel items echo the ids they were given. */
const refFailed = (item: unknown) => ({
  category: 'linear',
  symbol: echo(item, 'symbol'),
  orderId: echo(item, 'orderId'),
  orderLinkId: echo(item, 'orderLinkId'),
});

const refOk = (_item: unknown, o: OrderRecord) => ({ category: 'linear', symbol: o.symbol, orderId: o.orderId, orderLinkId: o.orderLinkId });

/** POST /v5/order/amend-batch | order.amend-batch. Items `{category, symbol, orderId, orderLinkId}`. */
export function amendBatch(venue: Venue, uid: number, body: unknown, _signedAt: number, granted: number): TradeReply {
  return runBatch(venue, uid, 'amend', body, granted, (item) => venue.amend(uid, parseAmend(venue, item, { inBatch: true })), refOk, refFailed);
}

/** POST /v5/order/cancel-batch | order.cancel-batch. Items `{category, symbol, orderId, orderLinkId}`. */
export function cancelBatch(venue: Venue, uid: number, body: unknown, _signedAt: number, granted: number): TradeReply {
  const hook = hookOf(venue);
  return runBatch(venue, uid, 'cancel', body, granted, (item) => cancelNowOrLater(venue, uid, parseCancel(venue, item, { inBatch: true }), hook), refOk, refFailed);
}
