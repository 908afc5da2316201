/**
 * The venue's WebSocket endpoints on the REST server's port (../../../../shared/reference/bybit-v5.md §6; docs/websocket.md):
 * one `ws` WebSocketServer per path (noServer), routed from the http server's 'upgrade' event by pathname.
 *
 *   /v5/public/linear                     public topics (ws-public/feed.ts)
 *   /v5/public/spot|inverse|option        accepted; nothing is listed there, so every topic is invalid
 *   /v5/private                           auth + account topics + DCP (ws-private/)
 *   /v5/trade                             order entry (ws-trade/)
 *   anything else                         HTTP 404, socket destroyed
 *
 * Per connection (ws/connection.ts): compact-JSON pong on every path; a garbage frame (binary, not JSON, not an
 * object) gets an error reply in the path's shape and the connection stays up; a handler that throws still answers
 * (an error reply in the path's shape); flood → 1008; frame > maxPayload → 1009 (by ws); slow consumer → 1013; idle
 * → 1000. Private and trade URLs accept `?max_active_time=30s..600s` (or `1m..10m`), which replaces the idle limit
 * for that connection.
 *
 * Budgets (every one a WsDeps setting, defaults below, docs/websocket.md "Budgets"): outbound bytes buffered per
 * connection (maxBufferedBytes) and across all connections of the gateway (maxTotalBufferedBytes, OutboundBudget in
 * connection.ts), subscribe args per request / per connection (subscribeCaps, Bybit's limits), and the reqIds a
 * /v5/trade connection remembers for its duplicate check (tradeReqIdWindow).
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type ServerOptions, type RawData } from 'ws';
import type { Venue } from '../../venue/venue.ts';
import type { Clock } from '../../clock.ts';
import type { IdSource } from '../../ids.ts';
import type { KeyStore } from '../auth.ts';
import { RateLimiter, BYBIT_LINEAR_LIMITS, BYBIT_DEFAULT_LIMIT } from '../rate-limit.ts';
import { WsConn, CLOSE, OutboundBudget, type Channel, type ConnEnv, type ConnPolicy, type CloseCounters, type WsJournalEvent, type WsLogger } from './connection.ts';
import { parseFrame, opReply, type ArgCaps, type ArgCapRefusals } from './frames.ts';
import { PublicFeed, type BookDepth } from '../ws-public/feed.ts';
import { PublicChannel, type PublicCategory } from '../ws-public/server.ts';
import { PrivateChannel } from '../ws-private/server.ts';
import { DcpGuard } from '../ws-private/dcp.ts';
import { TradeChannel, DEFAULT_TRADE_REQ_ID_WINDOW, type TradeFaultGate } from '../ws-trade/server.ts';
import type { WsTap } from '../tap.ts';

export type { WsJournalEvent, WsLogger, Channel } from './connection.ts';

export const DEFAULT_MAX_PAYLOAD = 64 * 1024;
export const DEFAULT_MAX_INBOUND_PER_SEC = 500;
export const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
export const DEFAULT_IDLE_MS = 10 * 60_000;
/** Outbound bytes all connections of one gateway may buffer together (on top of the per-connection cap). */
export const DEFAULT_MAX_TOTAL_BUFFERED_BYTES = 256 * 1024 * 1024;
/** Bybit's public "args limits" ([doc:websocket/wss-authentication] "Public channel - Args limits"). */
export const BYBIT_ARGS_CHARS = 21_000;
export const BYBIT_SPOT_ARGS_PER_REQUEST = 10;
export const BYBIT_OPTION_ARGS_PER_CONNECTION = 2000;

/** The paths whose subscribe/unsubscribe args are capped. */
export type ArgCapPath = PublicCategory | 'private';

/**
 * Default args caps: Bybit's for the public paths ("for one public connection, you cannot have length of args array
 * over 21,000 characters"; spot ≤ 10 args per request; option ≤ 2000 args per connection; no count limit for
 * futures), and the 21,000-character cap on /v5/private too (13 topics exist there; the cap only bounds garbage).
 */
export const DEFAULT_ARG_CAPS: Readonly<Record<ArgCapPath, ArgCaps>> = {
  linear: { maxChars: BYBIT_ARGS_CHARS, maxPerRequest: Infinity, maxPerConnection: Infinity },
  inverse: { maxChars: BYBIT_ARGS_CHARS, maxPerRequest: Infinity, maxPerConnection: Infinity },
  spot: { maxChars: BYBIT_ARGS_CHARS, maxPerRequest: BYBIT_SPOT_ARGS_PER_REQUEST, maxPerConnection: Infinity },
  option: { maxChars: BYBIT_ARGS_CHARS, maxPerRequest: Infinity, maxPerConnection: BYBIT_OPTION_ARGS_PER_CONNECTION },
  private: { maxChars: BYBIT_ARGS_CHARS, maxPerRequest: Infinity, maxPerConnection: Infinity },
};

export interface WsDeps {
  venue: Venue;
  clock: Clock;
  keys: KeyStore;
  /** Shared with REST so WS order entry and REST count against the same per-UID limits; own limiter if absent. */
  limiter?: RateLimiter;
  ids: IdSource;
  /** Latency added to every outbound frame of a channel (ms), sampled per frame; frame order is kept. */
  delayMs?: (channel: Channel) => number;
  logger?: WsLogger;
  /** Journal hook: every inbound text frame and every outbound frame. */
  onMessage?(e: WsJournalEvent): void;
  /** Watches connections and frames (sim-exchange/bybit-v5/tap.ts). */
  tap?: WsTap;
  /** Largest inbound frame (bytes); larger → close 1009. Default 64 KiB. */
  maxPayload?: number;
  /** Inbound messages per connection per second; more → close 1008. Default 500. */
  maxInboundPerSec?: number;
  /** Outbound bytes a connection may have buffered; more → close 1013 ("slow consumer"). Default 8 MiB. */
  maxBufferedBytes?: number;
  /**
   * Outbound bytes all connections of this gateway may have buffered together; over it, the connections holding the
   * most are closed with 1013 ("slow consumer: venue buffer budget") until the total is back within it. Default
   * 256 MiB; Infinity = none.
   */
  maxTotalBufferedBytes?: number;
  /**
   * Subscribe/unsubscribe args caps per path, overriding DEFAULT_ARG_CAPS field by field (Bybit's limits: 21,000
   * characters of args per connection; spot 10 args per request; option 2000 args per connection). Over a cap the
   * request is refused as a whole: `success:false`, `ret_msg` "args size >N" / "args length >N characters per connection".
   */
  subscribeCaps?: Partial<Record<ArgCapPath, Partial<ArgCaps>>>;
  /** reqIds a /v5/trade connection remembers for the duplicate check (20006), most recent first. Default 4096. */
  tradeReqIdWindow?: number;
  /** No inbound frame or ping for this long → close 1000. Default 10 min (Bybit). */
  idleMs?: number;
  /** Milliseconds per unit of the venue's DCP window (seconds on Bybit: 1000). Tests shorten it. */
  dcpUnitMs?: number;
  /** Told after each disconnect-cancel. */
  onDcp?(uid: number, cancelled: number): void;
  /** Venue faults: processing latency of /v5/trade order ops (sim-exchange/faults/). */
  tradeFaults?: TradeFaultGate;
  /** Public feed cadences (ms); Bybit's linear cadences by default. */
  feed?: { bookCadenceMs?: Partial<Record<BookDepth, number>>; tickerMs?: number; level1RefreshMs?: number };
}

/** The settings a SimOptions caller may pass (every budget, docs/websocket.md "Budgets"). */
export type WsSettings = Pick<
  WsDeps,
  'maxPayload' | 'maxInboundPerSec' | 'maxBufferedBytes' | 'maxTotalBufferedBytes' | 'idleMs' | 'subscribeCaps' | 'tradeReqIdWindow'
>;

export interface WsStats {
  /** Open connections per path. */
  connections: Record<string, number>;
  /** Authenticated /v5/private connections. */
  privateAuthenticated: number;
  /** Closes by policy since start. */
  closes: CloseCounters;
  /** Accounts with a disconnect-cancel timer running. */
  dcpPending: number[];
  /** Subscribers per public topic (topics with at least one). */
  topics: Record<string, number>;
  /** The process-wide (per gateway) budget of buffered outbound bytes. */
  buffer: {
    /** Bytes buffered now across open connections (socket buffers + frames waiting for their delay). */
    bytes: number;
    /** maxTotalBufferedBytes. */
    budget: number;
    /** Connections closed with 1013 because the total was over the budget, since start. */
    closes: number;
  };
  /** Subscribe/unsubscribe requests refused by an args cap since start, by cap (all paths). */
  subscribeRefusals: ArgCapRefusals;
  /** reqIds remembered by /v5/trade connections for the duplicate check (all connections). */
  tradeReqIds: number;
  /** The budgets in force, by name (docs/security.md): what /metrics shows as mmvenue_budget{budget}. */
  limits: Record<string, number>;
}

export interface WsDropFilter {
  channel?: Channel;
  /** URL path, e.g. '/v5/public/linear'. */
  path?: string;
  /** Authenticated account (private and trade connections). */
  uid?: number;
}

export interface WsGateway {
  close(): Promise<void>;
  stats(): WsStats;
  feed: PublicFeed;
  /** The DCP state (fault injection and tests). */
  dcp: DcpGuard;
  /**
   * Drops the matching connections (all when the filter is empty): with `code` a close frame (e.g. 1001, 1011,
   * 4000-4999), without it or with 1006 an abnormal closure (TCP reset, no close frame). Counts as a client
   * disconnect: DCP applies. Returns how many were dropped. Fault injection; also after venue.reset(), since
   * authenticated connections would otherwise keep a uid the reset reassigns.
   */
  drop(filter?: WsDropFilter, code?: number, reason?: string): number;
  /** Fault hook: answer every new upgrade with this HTTP status (maintenance: 503); undefined = accept again. */
  refuseUpgrades(status: number | undefined): void;
  /** Fault hook: public or private topic names on which nothing is sent; undefined or empty = none. */
  mute(topics: ReadonlySet<string> | undefined): void;
}

const PUBLIC_PATHS: Record<string, PublicCategory> = {
  '/v5/public/linear': 'linear',
  '/v5/public/spot': 'spot',
  '/v5/public/inverse': 'inverse',
  '/v5/public/option': 'option',
};
const PRIVATE_PATH = '/v5/private';
const TRADE_PATH = '/v5/trade';

/** `max_active_time` of a private/trade URL: "30s".."600s" or "1m".."10m"; undefined when absent or invalid. */
export function maxActiveTimeMs(search: URLSearchParams): number | undefined {
  const v = search.get('max_active_time');
  const m = v === null ? null : /^(\d{1,4})([sm])$/.exec(v);
  if (m === null) return undefined;
  const ms = Number(m[1]) * (m[2] === 'm' ? 60_000 : 1000);
  return ms >= 30_000 && ms <= 600_000 ? ms : undefined;
}

interface Route {
  readonly wss: WebSocketServer;
  readonly channel: Channel;
  readonly conns: Set<WsConn>;
  handle(conn: WsConn, msg: Record<string, unknown>): void;
  garbage(conn: WsConn, why: string): string;
  closed(conn: WsConn): void;
}

export function attachWebSockets(server: http.Server, deps: WsDeps): WsGateway {
  const logger = deps.logger;
  const counters: CloseCounters = { slowConsumer: 0, flood: 0, idle: 0 };
  const tap = deps.tap;
  const budget = new OutboundBudget(deps.maxTotalBufferedBytes ?? DEFAULT_MAX_TOTAL_BUFFERED_BYTES, logger);
  const env: ConnEnv = { clock: deps.clock, delayMs: deps.delayMs, onMessage: deps.onMessage?.bind(deps), tap, logger, counters, budget };
  const refusals: ArgCapRefusals = { perRequest: 0, perConnection: 0, chars: 0 };
  const caps = (path: ArgCapPath): ArgCaps => ({ ...DEFAULT_ARG_CAPS[path], ...deps.subscribeCaps?.[path] });
  const policy: ConnPolicy = {
    maxInboundPerSec: deps.maxInboundPerSec ?? DEFAULT_MAX_INBOUND_PER_SEC,
    maxBufferedBytes: deps.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
    idleMs: deps.idleMs ?? DEFAULT_IDLE_MS,
  };
  const limiter = deps.limiter ?? new RateLimiter(BYBIT_LINEAR_LIMITS, BYBIT_DEFAULT_LIMIT);
  const feed = new PublicFeed({ venue: deps.venue, clock: deps.clock, logger, ...deps.feed });
  const dcp = new DcpGuard(deps.venue, deps.dcpUnitMs ?? 1000, logger, deps.onDcp?.bind(deps));
  const priv = new PrivateChannel({ venue: deps.venue, clock: deps.clock, keys: deps.keys, ids: deps.ids, dcp, logger, caps: caps('private'), refusals });
  const trade = new TradeChannel({
    venue: deps.venue,
    clock: deps.clock,
    keys: deps.keys,
    limiter,
    tracePrefix: deps.ids.uuid().replace(/-/g, '').slice(0, 24),
    logger,
    faults: deps.tradeFaults,
    reqIdWindow: deps.tradeReqIdWindow ?? DEFAULT_TRADE_REQ_ID_WINDOW,
  });

  const limits: Record<string, number> = {
    ws_buffered_bytes_per_connection: policy.maxBufferedBytes,
    ws_buffered_bytes_total: budget.limit,
    ws_inbound_per_second: policy.maxInboundPerSec,
    ws_frame_bytes: deps.maxPayload ?? DEFAULT_MAX_PAYLOAD,
    ws_idle_ms: policy.idleMs,
    ws_subscribe_args_chars_per_connection: caps('linear').maxChars,
    ws_subscribe_args_per_request: caps('linear').maxPerRequest,
    ws_subscribe_args_per_request_spot: caps('spot').maxPerRequest,
    ws_subscribe_args_per_connection_option: caps('option').maxPerConnection,
    ws_trade_req_id_window: deps.tradeReqIdWindow ?? DEFAULT_TRADE_REQ_ID_WINDOW,
  };

  const wssOptions: ServerOptions & { closeTimeout: number } = {
    noServer: true,
    maxPayload: deps.maxPayload ?? DEFAULT_MAX_PAYLOAD,
    perMessageDeflate: false,
    clientTracking: false,
    closeTimeout: 5000,
  };
  const routes = new Map<string, Route>();
  // A garbage frame has no op or req_id to echo (frames that are JSON objects go to the channel, unknown ops too).
  const successShape = (conn: WsConn, why: string): string => opReply(false, why, conn.connId, undefined, '');
  for (const [path, category] of Object.entries(PUBLIC_PATHS)) {
    const ch = new PublicChannel(feed, category, caps(category), refusals);
    routes.set(path, route('public', (c, m) => ch.message(c, m), successShape, (c) => ch.closed(c)));
  }
  routes.set(PRIVATE_PATH, route('private', (c, m) => priv.message(c, m), successShape, (c) => priv.closed(c)));
  routes.set(TRADE_PATH, route('trade', (c, m) => trade.message(c, m), (c, why) => trade.garbage(c, why), (c) => trade.closed(c)));

  function route(
    channel: Channel,
    handle: Route['handle'],
    garbage: Route['garbage'],
    closed: Route['closed'],
  ): Route {
    return { wss: new WebSocketServer(wssOptions), channel, conns: new Set(), handle, garbage, closed };
  }

  let closing = false;
  let refuseStatus: number | undefined;

  function onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return reject(socket, 400, 'Bad Request');
    }
    const r = routes.get(url.pathname);
    if (r === undefined) return reject(socket, 404, 'Not Found');
    if (closing) return reject(socket, 503, 'Service Unavailable');
    if (refuseStatus !== undefined) return reject(socket, refuseStatus, refuseStatus === 503 ? 'Service Unavailable' : 'Refused');
    const idle = r.channel === 'public' ? undefined : maxActiveTimeMs(url.searchParams);
    try {
      r.wss.handleUpgrade(req, socket, head, (ws) => connected(r, ws, idle, req.socket.remotePort));
    } catch (err) {
      logger?.error({ err }, 'ws upgrade failed');
      socket.destroy();
    }
  }

  function connected(r: Route, socket: WebSocket, idleMs: number | undefined, peerPort: number | undefined): void {
    const conn = new WsConn(socket, r.channel, deps.ids.connId(), policy, env, idleMs, peerPort);
    r.conns.add(conn);
    tapCall(() => tap?.opened?.(conn));
    socket.on('message', (data: RawData, isBinary: boolean) => {
      try {
        conn.touch();
        if (!conn.admit()) return;
        const p = parseFrame(data, isBinary);
        if (p.text !== undefined) conn.journalIn(p.text);
        if (!p.ok) {
          conn.send(r.garbage(conn, p.why));
          return;
        }
        r.handle(conn, p.msg);
      } catch (err) {
        // Never silence: the frame still gets an error reply in the path's shape.
        logger?.error({ err, connId: conn.connId, channel: r.channel }, 'ws message handler threw');
        try {
          conn.send(r.garbage(conn, 'error:internal error'));
        } catch {
          // nothing more to do
        }
      }
    });
    socket.on('ping', () => conn.touch());
    socket.on('error', (err) => logger?.warn({ err, connId: conn.connId, channel: r.channel }, 'ws socket error'));
    socket.on('close', () => {
      conn.dispose();
      tapCall(() => tap?.closed?.(conn));
      if (!r.conns.delete(conn)) return;
      try {
        r.closed(conn);
      } catch (err) {
        logger?.error({ err, connId: conn.connId }, 'ws close handler threw');
      }
    });
  }

  function tapCall(fn: () => void): void {
    if (tap === undefined) return;
    try {
      fn();
    } catch (err) {
      logger?.error({ err }, 'ws tap threw');
    }
  }

  server.on('upgrade', onUpgrade);

  return {
    feed,
    dcp,
    drop(filter: WsDropFilter = {}, code?: number, reason = ''): number {
      let n = 0;
      for (const [path, r] of routes) {
        if (filter.channel !== undefined && filter.channel !== r.channel) continue;
        if (filter.path !== undefined && filter.path !== path) continue;
        for (const conn of r.conns) {
          if (filter.uid !== undefined && conn.uid !== filter.uid) continue;
          n++;
          if (code === undefined || code === 1006) conn.socket.terminate();
          else conn.close(code, reason);
        }
      }
      return n;
    },
    refuseUpgrades(status: number | undefined): void {
      refuseStatus = status;
    },
    mute(topics: ReadonlySet<string> | undefined): void {
      const set = topics !== undefined && topics.size > 0 ? topics : undefined;
      feed.muted = set;
      priv.muted = set;
    },
    stats(): WsStats {
      const connections: Record<string, number> = {};
      for (const [path, r] of routes) connections[path] = r.conns.size;
      return {
        connections,
        privateAuthenticated: priv.authenticated(),
        closes: { ...counters },
        dcpPending: dcp.pending(),
        topics: feed.stats(),
        buffer: { bytes: budget.measure(), budget: budget.limit, closes: budget.closes },
        subscribeRefusals: { ...refusals },
        tradeReqIds: trade.reqIdsRemembered(),
        limits,
      };
    },
    async close(): Promise<void> {
      if (closing) return;
      closing = true;
      server.off('upgrade', onUpgrade);
      const waits: Promise<void>[] = [];
      for (const r of routes.values()) {
        for (const conn of r.conns) {
          // Gateway shutdown is not a disconnect of the client: DCP timers are not started for these closes.
          r.conns.delete(conn);
          if (r.channel === 'public') r.closed(conn);
          waits.push(closeSocket(conn));
        }
      }
      dcp.close();
      budget.dispose();
      feed.close();
      priv.shutdown();
      await Promise.all(waits);
      await Promise.all([...routes.values()].map((r) => new Promise<void>((res) => r.wss.close(() => res()))));
    },
  };
}

/** Answers a refused upgrade with a plain HTTP status and closes the socket once written. */
function reject(socket: Duplex, status: number, text: string): void {
  if (!socket.writable) return void socket.destroy();
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`);
}

/** Closes with 1001 and waits for the close handshake, terminating after a short grace. */
function closeSocket(conn: WsConn): Promise<void> {
  const socket = conn.socket;
  return new Promise<void>((resolve) => {
    if (socket.readyState === socket.CLOSED) return resolve();
    const t = setTimeout(() => {
      socket.terminate();
      resolve();
    }, 1000);
    t.unref();
    socket.once('close', () => {
      clearTimeout(t);
      resolve();
    });
    conn.close(CLOSE.GOING_AWAY, 'server shutdown');
  });
}
