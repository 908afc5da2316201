/**
 * /v5/trade, order entry over WebSocket (../../../../shared/reference/bybit-v5.md §6.5), over the same order
 * handlers as REST (../trading.ts) and the same per-UID rate limiter.
 *
 * Request `{"reqId":"…","header":{"X-BAPI-TIMESTAMP":"…","X-BAPI-RECV-WINDOW":"…"},"op":"order.create","args":[{…}]}`.
 * Checks, in this order, each answered in the response shape with `data:{}`:
 *   not authenticated → 10003 (WS_NOT_AUTHED); reqId not a string/number of ≤ 36 chars → 10001; reqId among the
 *   last `reqIdWindow` (default 4096) used on this connection → 20006; timestamp outside [now - recvWindow, now + 1000) → 10002 (timestampError);
 *   read-only key → 10005; args not exactly one object → 10001; rate limit (units = batch size) → 10006;
 *   then the handler (its VenueError, or 10016 for anything unexpected).
 * Response `{"reqId","retCode","retMsg","op","data","retExtInfo","header":{X-Bapi-Limit*,Traceid,Timenow},"connId"}`;
 * `reqId` is omitted when the request had none. Auth replies `{"retCode":0,"retMsg":"OK","op":"auth","connId"}`
 * (20001 on a second auth, the verifier's code otherwise). Unknown op → 10404.
 */
import type { Venue } from '../../venue/venue.ts';
import type { Clock } from '../../clock.ts';
import type { KeyStore, ApiKeyRecord } from '../auth.ts';
import { verifyWsAuth, DEFAULT_RECV_WINDOW, MAX_FUTURE_MS } from '../auth.ts';
import { VenueError, venueError, timestampError, CATALOGUE } from '../errors.ts';
import type { RateLimiter, LimitDecision } from '../rate-limit.ts';
import {
  createOrder,
  amendOrder,
  cancelOrder,
  createBatch,
  amendBatch,
  cancelBatch,
  batchSize,
  type TradeReply,
} from '../trading.ts';
import type { WsConn, WsLogger } from '../ws/connection.ts';
import { opOf, type ReqId } from '../ws/frames.ts';

type Single = (venue: Venue, uid: number, body: unknown, signedAt: number) => TradeReply;
type Batch = (venue: Venue, uid: number, body: unknown, signedAt: number, granted: number) => TradeReply;

interface OpSpec {
  /** The REST endpoint whose rate limit this op shares. */
  readonly endpoint: string;
  readonly single?: Single;
  readonly batch?: Batch;
}

const OPS: ReadonlyMap<string, OpSpec> = new Map<string, OpSpec>([
  ['order.create', { endpoint: '/v5/order/create', single: createOrder }],
  ['order.amend', { endpoint: '/v5/order/amend', single: amendOrder }],
  ['order.cancel', { endpoint: '/v5/order/cancel', single: cancelOrder }],
  ['order.create-batch', { endpoint: '/v5/order/create-batch', batch: createBatch }],
  ['order.amend-batch', { endpoint: '/v5/order/amend-batch', batch: amendBatch }],
  ['order.cancel-batch', { endpoint: '/v5/order/cancel-batch', batch: cancelBatch }],
]);

/** Bybit: reqId ≤ 36 characters. */
export const MAX_REQ_ID_LENGTH = 36;
/**
 * Default of `reqIdWindow`: the reqIds a connection remembers for the duplicate check (20006), the most recent ones
 * (the oldest is forgotten first).
 *
 * Why a window is enough: a duplicate reqId matters when a client re-sends a request on the same connection (a reply
 * timeout, a retry bug). The check runs before the timestamp check, and a re-sent request that carries its original
 * X-BAPI-TIMESTAMP is refused anyway (10002) once it is older than its recv window (default 5 s): so the window only
 * has to cover one recv window of the connection's traffic. A connection sends at most `maxInboundPerSec` frames a
 * second (500 by default), so 2,500 reqIds cover 5 s at that flood cap; 4,096 cover 8 s at the cap and minutes at
 * Bybit's order rate limits (10 requests/s per order endpoint). Memory: ≤ 4,096 × ~100 bytes ≈ 400 KB per connection
 * (reqIds are ≤ 36 characters), against ~10 MB for the 100,000 remembered before. A client that raises its recv
 * window past what the window covers at its send rate can get a re-send past the check; raise the setting then.
 */
export const DEFAULT_TRADE_REQ_ID_WINDOW = 4096;
const UINT = /^\d{1,16}$/;

export interface TradeChannelDeps {
  readonly venue: Venue;
  readonly clock: Clock;
  readonly keys: KeyStore;
  readonly limiter: RateLimiter;
  /** Prefix of the Traceid header (a counter follows). */
  readonly tracePrefix: string;
  readonly logger?: WsLogger | undefined;
  /** Venue faults (processing latency of order ops); the hook is undefined while none is active. */
  readonly faults?: TradeFaultGate | undefined;
  /** reqIds remembered per connection for the duplicate check; DEFAULT_TRADE_REQ_ID_WINDOW when absent. */
  readonly reqIdWindow?: number | undefined;
}

/** Processing latency of /v5/trade order ops (sim-exchange/faults/): FIFO per connection. */
export interface TradeFaultHook {
  /** Schedules `run` (FIFO per `conn`) and returns true, or returns false to run it now. */
  defer(conn: object, run: () => void): boolean;
}

export interface TradeFaultGate {
  hook: TradeFaultHook | undefined;
}

interface TradeState {
  key: ApiKeyRecord | undefined;
  readonly reqIds: Set<string>;
  /** The connection closed (an op deferred by a fault may still run): nothing more is remembered. */
  gone: boolean;
}

const EMPTY = Object.freeze({});

export class TradeChannel {
  private readonly state = new WeakMap<WsConn, TradeState>();
  private traceSeq = 0;
  private readonly reqIdWindow: number;
  /** reqIds remembered across open connections. */
  private remembered = 0;

  constructor(private readonly deps: TradeChannelDeps) {
    this.reqIdWindow = Math.max(1, deps.reqIdWindow ?? DEFAULT_TRADE_REQ_ID_WINDOW);
  }

  /** The connection closed: forget its reqIds. */
  closed(conn: WsConn): void {
    const s = this.state.get(conn);
    if (s === undefined) return;
    this.remembered -= s.reqIds.size;
    s.reqIds.clear();
    s.gone = true;
  }

  /** reqIds remembered for the duplicate check, all open connections (bounded by connections × reqIdWindow). */
  reqIdsRemembered(): number {
    return this.remembered;
  }

  /** One parsed frame from a /v5/trade connection. Never throws. */
  message(conn: WsConn, msg: Record<string, unknown>): void {
    const op = opOf(msg);
    const raw = msg['reqId'];
    const reqId: ReqId | undefined = typeof raw === 'string' || (typeof raw === 'number' && Number.isFinite(raw)) ? raw : undefined;
    const now = this.deps.clock.now();
    switch (op) {
      case 'ping': {
        const r: Record<string, unknown> = { retCode: 0, retMsg: 'OK', op: 'pong', data: [String(now)], connId: conn.connId };
        if (reqId !== undefined) r['reqId'] = reqId;
        conn.send(JSON.stringify(r));
        return;
      }
      case 'pong':
        return;
      case 'auth':
        return this.auth(conn, msg['args'], reqId, now);
    }
    const spec = OPS.get(op);
    if (spec === undefined) {
      const d = this.deps.limiter.peek(conn.uid ?? 'anonymous', op, now);
      const limits = { limit: d.limit, remaining: d.remaining, resetAt: d.resetAt };
      conn.send(this.error(conn, reqId, op, venueError('WS_OP_UNSUPPORTED', clip(op)), limits, now));
      return;
    }
    const fh = this.deps.faults?.hook;
    if (fh !== undefined && fh.defer(conn, () => this.orderOp(conn, msg, op, spec, reqId, raw, now))) return;
    this.orderOp(conn, msg, op, spec, reqId, raw, now);
  }

  /** An order op, checked against the time it was received (`now`); never throws. */
  private orderOp(conn: WsConn, msg: Record<string, unknown>, op: string, spec: OpSpec, reqId: ReqId | undefined, raw: unknown, now: number): void {
    try {
      this.order(conn, msg, op, spec, reqId, raw, now);
    } catch (err) {
      const e = err instanceof VenueError ? err : venueError('SERVER');
      if (!(err instanceof VenueError)) this.deps.logger?.error({ err, connId: conn.connId, op }, 'ws trade op failed');
      conn.send(this.error(conn, reqId, op, e, this.peek(conn, spec, now), now));
    }
  }

  /** A reply to a frame that was not a JSON object (garbage), in this path's shape. */
  garbage(conn: WsConn, why: string): string {
    return JSON.stringify({ retCode: CATALOGUE.PARAMS.retCode, retMsg: why, op: '', data: EMPTY, connId: conn.connId });
  }

  private stateOf(conn: WsConn): TradeState {
    let s = this.state.get(conn);
    if (s === undefined) this.state.set(conn, (s = { key: undefined, reqIds: new Set(), gone: false }));
    return s;
  }

  private auth(conn: WsConn, args: unknown, reqId: ReqId | undefined, now: number): void {
    const s = this.stateOf(conn);
    let code = 0;
    let retMsg = 'OK';
    if (s.key !== undefined) {
      code = CATALOGUE.WS_REPEAT_AUTH.retCode;
      retMsg = CATALOGUE.WS_REPEAT_AUTH.retMsg;
    } else {
      try {
        s.key = verifyWsAuth(args, this.deps.keys, now);
        conn.uid = s.key.uid;
      } catch (err) {
        const e = err instanceof VenueError ? err : venueError('SERVER');
        code = e.retCode;
        retMsg = e.retMsg;
      }
    }
    const r: Record<string, unknown> = { retCode: code, retMsg, op: 'auth', connId: conn.connId };
    if (reqId !== undefined) r['reqId'] = reqId;
    conn.send(JSON.stringify(r));
  }

  private order(
    conn: WsConn,
    msg: Record<string, unknown>,
    op: string,
    spec: OpSpec,
    reqId: ReqId | undefined,
    rawReqId: unknown,
    now: number,
  ): void {
    const s = this.stateOf(conn);
    const key = s.key;
    if (key === undefined) throw venueError('WS_NOT_AUTHED');
    if (rawReqId !== undefined && (reqId === undefined || String(reqId).length > MAX_REQ_ID_LENGTH || String(reqId) === '')) {
      throw venueError('PARAMS', `reqId must be a string of 1..${MAX_REQ_ID_LENGTH} characters`);
    }
    if (reqId !== undefined) {
      const id = String(reqId);
      if (s.reqIds.has(id)) throw venueError('WS_DUP_REQ_ID');
      if (!s.gone) {
        s.reqIds.add(id);
        this.remembered++;
      }
      if (s.reqIds.size > this.reqIdWindow) {
        s.reqIds.delete(s.reqIds.values().next().value!);
        this.remembered--;
      }
    }
    const signedAt = checkTimestamp(msg['header'], now);
    if (key.readOnly) throw venueError('PERMISSION');
    const args = msg['args'];
    if (!Array.isArray(args) || args.length !== 1 || typeof args[0] !== 'object' || args[0] === null || Array.isArray(args[0])) {
      throw venueError('PARAMS', 'args must be an array of exactly one object');
    }
    const body = args[0] as Record<string, unknown>;
    let units = 1;
    if (spec.batch !== undefined) units = Math.max(1, batchSize(body));
    const d = this.deps.limiter.take(key.uid, spec.endpoint, now, units);
    const limit = { limit: d.limit, remaining: d.remaining, resetAt: d.resetAt };
    if (d.granted === 0) {
      conn.send(this.error(conn, reqId, op, venueError('RATE_LIMIT'), limit, now));
      return;
    }
    let reply: TradeReply;
    try {
      reply = spec.batch !== undefined ? spec.batch(this.deps.venue, key.uid, body, signedAt, d.granted) : spec.single!(this.deps.venue, key.uid, body, signedAt);
    } catch (err) {
      const e = err instanceof VenueError ? err : venueError('SERVER');
      if (!(err instanceof VenueError)) this.deps.logger?.error({ err, connId: conn.connId, op }, 'ws trade handler threw');
      conn.send(this.error(conn, reqId, op, e, limit, now));
      return;
    }
    conn.send(this.response(conn, reqId, 0, 'OK', op, reply.result ?? EMPTY, reply.retExtInfo ?? EMPTY, limit, now));
  }

  private peek(conn: WsConn, spec: OpSpec, now: number): Limits {
    const d: LimitDecision = this.deps.limiter.peek(conn.uid ?? 'anonymous', spec.endpoint, now);
    return { limit: d.limit, remaining: d.remaining, resetAt: d.resetAt };
  }

  private error(conn: WsConn, reqId: ReqId | undefined, op: string, e: VenueError, limits: Limits | undefined, now: number): string {
    return this.response(conn, reqId, e.retCode, e.retMsg, op, EMPTY, EMPTY, limits, now);
  }

  private response(
    conn: WsConn,
    reqId: ReqId | undefined,
    retCode: number,
    retMsg: string,
    op: string,
    data: unknown,
    retExtInfo: unknown,
    limits: Limits | undefined,
    now: number,
  ): string {
    const r: Record<string, unknown> = {};
    if (reqId !== undefined) r['reqId'] = reqId;
    r['retCode'] = retCode;
    r['retMsg'] = retMsg;
    r['op'] = op;
    r['data'] = data;
    r['retExtInfo'] = retExtInfo;
    const header: Record<string, string> = {};
    if (limits !== undefined) {
      header['X-Bapi-Limit'] = String(limits.limit);
      header['X-Bapi-Limit-Status'] = String(limits.remaining);
      header['X-Bapi-Limit-Reset-Timestamp'] = String(limits.resetAt);
    }
    header['Traceid'] = this.deps.tracePrefix + (++this.traceSeq).toString(16).padStart(8, '0');
    header['Timenow'] = String(now);
    r['header'] = header;
    r['connId'] = conn.connId;
    return JSON.stringify(r);
  }
}

interface Limits {
  limit: number;
  remaining: number;
  resetAt: number;
}

function headerText(header: Record<string, unknown>, name: string): string | undefined {
  let v = header[name];
  if (v === undefined) {
    const lower = name.toLowerCase();
    for (const k of Object.keys(header)) if (k.toLowerCase() === lower) v = header[k];
  }
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return typeof v === 'string' ? v : v === undefined ? undefined : '';
}

/** The REST recv-window rule on the frame's header; returns the timestamp (the order's signedAt). */
function checkTimestamp(header: unknown, now: number): number {
  const h = typeof header === 'object' && header !== null && !Array.isArray(header) ? (header as Record<string, unknown>) : {};
  const tsText = headerText(h, 'X-BAPI-TIMESTAMP');
  const recvText = headerText(h, 'X-BAPI-RECV-WINDOW');
  if (tsText === undefined || !UINT.test(tsText)) throw timestampError(tsText ?? '', now, recvText ?? String(DEFAULT_RECV_WINDOW));
  let recvWindow = DEFAULT_RECV_WINDOW;
  if (recvText !== undefined) {
    recvWindow = UINT.test(recvText) ? Number(recvText) : 0;
    if (recvWindow <= 0) throw venueError('PARAMS', 'X-BAPI-RECV-WINDOW must be a positive integer');
  }
  const ts = Number(tsText);
  if (!(now - recvWindow <= ts && ts < now + MAX_FUTURE_MS)) throw timestampError(tsText, now, recvText ?? String(DEFAULT_RECV_WINDOW));
  return ts;
}

function clip(s: string, n = 64): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
