/**
 * The REST plumbing every Bybit V5 route uses: a fastify app whose every answer — success, business error, 404, 413,
 * malformed JSON, unexpected exception — is the V5 envelope with Bybit's headers (shared/reference/bybit-v5.md
 * §1, §2, §4), signatures checked over the raw query string / body, and the per-UID rate limit applied before the
 * handler runs. Errors Node's HTTP parser raises before fastify sees a request (headers too large, malformed HTTP,
 * the headers and request deadlines) are written to the socket as the same envelope (`clientError`).
 *
 * Hot path: one closure per route (made at registration, none per request), the query parsed once by the router's
 * querystring parser (which also keeps the raw string for the signature), the body parsed once by the content-type
 * parser (which keeps the raw text), the envelope built as one string. No zod, no per-request logging.
 */
import { randomBytes } from 'node:crypto';
import { STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyHttpOptions,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Clock } from '../../clock.ts';
import { verifyRest, type ApiKeyRecord, type KeyStore, type RestAuth } from '../auth.ts';
import { VenueError, venueError } from '../errors.ts';
import { RateLimiter } from '../rate-limit.ts';
import type { RestTap } from '../tap.ts';

export interface RestContext {
  /** Server time (ms) when the request was received; one reading per request. */
  readonly now: number;
  /** Parsed query (URLSearchParams decoding). A repeated key never reaches a handler (10001). */
  readonly query: Readonly<Record<string, string>>;
  /** The query string exactly as received, without '?'. */
  readonly rawQuery: string;
  readonly ip: string;
}

export interface PrivateContext extends RestContext {
  readonly key: ApiKeyRecord;
  /** Parsed JSON body (POST); a frozen `{}` for GET or an empty POST body. */
  readonly body: Readonly<Record<string, unknown>>;
  /** X-BAPI-TIMESTAMP of the request */
  readonly signedAt: number;
  /**
   * Routes registered with `units` only: how many of the n rate units were granted (1..n). Items at index >= granted
   * must fail individually with 10006 (CATALOGUE.RATE_LIMIT); with 0 granted the handler is not called.
   */
  readonly granted?: number;
}

/** A handler returns the `result` object, or a `Reply` to also set retExtInfo or retMsg; it throws VenueError for business errors. */
export interface Reply {
  result: unknown;
  retExtInfo?: unknown;
  retMsg?: string;
}

/**
 * The unambiguous way to return a Reply. A plain object is also taken as a Reply when its only own keys are among
 * result / retExtInfo / retMsg and it has `result` (no Bybit result object has a key named `result`).
 */
export class RestReply implements Reply {
  constructor(
    public result: unknown,
    public retExtInfo?: unknown,
    public retMsg?: string,
  ) {}
}

export function reply(result: unknown, extra?: { retExtInfo?: unknown; retMsg?: string }): RestReply {
  return new RestReply(result, extra?.retExtInfo, extra?.retMsg);
}

/** A type alias (not an interface) so it is assignable to index-signature event types of generic journals. */
export type RestJournalEvent = {
  channel: 'rest';
  method: string;
  /** Route path (or the URL path for unknown routes), without the query. */
  path: string;
  /** Set once the request authenticated. */
  uid?: number;
  /** Raw query string. */
  query: string;
  /** Raw body (POST/PUT/...), when one was read. */
  body?: string;
  at: number;
};

/**
 * Time and size budgets of the HTTP layer (docs/security.md "HTTP budgets"). A request that overruns one is answered
 * with the venue envelope written straight to the socket, and its connection is closed.
 */
export interface HttpBudgets {
  /**
   * The request line and headers must arrive within this many ms of the request's first byte (of the connection, for
   * a fresh one that sends nothing); else 408 / retCode 10016 and the connection is closed. Default 10 s; capped at
   * `requestDeadlineMs` (0 = the request deadline only). Node's `headersTimeout`.
   */
  headersDeadlineMs?: number;
  /**
   * The whole request — headers and body — must arrive within this many ms of its first byte; else 408 / retCode
   * 10016 and the connection is closed (a body promised by Content-Length and not sent). Only receiving counts: a
   * slow answer (delayMs, fault latency) is not cut. Default 30 s; 0 = no deadline. Node's / fastify's `requestTimeout`.
   */
  requestDeadlineMs?: number;
  /** An idle keep-alive connection is closed after this many ms. Default 72 s (fastify's); must be >= 1. */
  keepAliveMs?: number;
  /** Most bytes of request line (URL included) plus headers; over it: 431 / retCode 10001. Default 16 KiB (Node's). */
  headerLimit?: number;
  /** Most bytes of a request body; over it: 413 / retCode 10001, the connection kept. Default 64 KiB. */
  bodyLimit?: number;
}

/** Connections the HTTP layer answered and closed itself, by reason, since the app was made (`RestApp.httpStats`). */
export interface RestHttpStats {
  readonly closes: {
    /** The headers deadline passed (slow or no headers). */
    readonly headers_deadline: number;
    /** The request deadline passed after the headers were in (a slow or missing body). */
    readonly body_deadline: number;
    /** Request line plus headers over `headerLimit` (431). */
    readonly header_overflow: number;
    /** Anything else the HTTP parser refused (400; 413 for chunk extensions). */
    readonly malformed: number;
  };
  /** The budgets in force, by name (docs/security.md): what /metrics shows as mmvenue_budget{budget}. */
  readonly limits: Readonly<Record<string, number>>;
}

export interface RestOptions extends HttpBudgets {
  keys: KeyStore;
  clock: Clock;
  /** Per-UID per-endpoint limiter of private routes (keyed by route path). */
  limiter: RateLimiter;
  /** fixed extra delay before responding, in ms, read per request (control plane sets it for benchmarks); 0 = none */
  delayMs?: () => number;
  /** Per-IP per-endpoint limit of public routes, per second; default 120. */
  publicLimit?: number;
  /**
   * A logger instance, or false for none. Default: fastify's pino logger at level 'warn'. Request logging is off in
   * every case; unexpected handler exceptions (10016) are logged at 'error'.
   */
  logger?: FastifyBaseLogger | false;
  /** called for every inbound request after parsing (journal hook): */
  onRequest?: (e: RestJournalEvent) => void;
  /**
   * Venue faults (sim-exchange/faults/): the hook is read once per request and is undefined while no REST fault is
   * active, so the cost without faults is one property read and one undefined check.
   */
  faults?: RestFaultGate;
  /** Watches every answer (sim-exchange/bybit-v5/tap.ts); unset costs one undefined check per answer. */
  tap?: RestTap;
}

/** A raw HTTP answer a fault gives instead of the V5 envelope (5xx, maintenance). */
export interface RawAnswer {
  readonly status: number;
  readonly body: string;
  /** Omitted: no content-type header (an empty body). */
  readonly contentType?: string;
}

/** What an active REST fault does at the three points of a request (docs/faults.md). */
export interface RestFaultHook {
  /** Before authentication: a raw answer (HTTP 5xx, maintenance 503) instead of anything else; nothing is applied. */
  early(path: string, isPrivate: boolean): RawAnswer | undefined;
  /** After authentication, before the rate limiter: true = answer 10006 with 0 remaining (a 10006 storm). */
  storm(path: string, uid: number): boolean;
  /** Processing latency: schedules `run` (FIFO per `key`, the TCP socket) and returns true, or false to run it now. */
  defer(key: object, run: () => void): boolean;
}

/** Mutable holder of the REST fault hook (the fault controller sets and clears it). */
export interface RestFaultGate {
  hook: RestFaultHook | undefined;
}

export type PublicHandler = (ctx: RestContext) => unknown;
export type PrivateHandler = (ctx: PrivateContext) => unknown;

export interface RestApp {
  app: FastifyInstance;
  /** The per-IP limiter of public routes (control plane / benchmarks may raise it). */
  publicLimiter: RateLimiter;
  publicGet(path: string, handler: PublicHandler): void;
  privateGet(path: string, handler: PrivateHandler, opts?: { write?: boolean }): void;
  privatePost(
    path: string,
    handler: PrivateHandler,
    opts?: { write?: boolean; units?: (body: Readonly<Record<string, unknown>>) => number },
  ): void;
  /** Connections closed by the HTTP layer's budgets (for Prometheus: control/metrics.ts). */
  httpStats(): RestHttpStats;
}

export const DEFAULT_BODY_LIMIT = 64 * 1024;
export const DEFAULT_PUBLIC_LIMIT = 120;
export const DEFAULT_HEADERS_DEADLINE_MS = 10_000;
export const DEFAULT_REQUEST_DEADLINE_MS = 30_000;
export const DEFAULT_KEEP_ALIVE_MS = 72_000;
export const DEFAULT_HEADER_LIMIT = 16 * 1024;
const CONTENT_TYPE = 'application/json; charset=utf-8';
/** Cap on the units one request may be charged (a batch beyond any limit is charged the limit anyway). */
const MAX_UNITS = 1_000_000;
const EMPTY_BODY: Readonly<Record<string, unknown>> = Object.freeze({});

// ---------------------------------------------------------------------------------------------------------------------
// Query: parsed once by the router, raw string kept alongside (symbol keys are invisible to Object.keys / JSON).

const kRawQuery = Symbol('mm.rawQuery');
const kBadQuery = Symbol('mm.badQuery');
const kRawBody = Symbol('mm.rawBody');

/** The parsed query; symbol keys carry the raw string and the first query error. */
export interface ParsedQuery {
  [key: string]: string;
  [kRawQuery]?: string;
  [kBadQuery]?: string;
}

interface WithRawBody {
  [kRawBody]?: string;
}

/** What a tap needs that is only known inside the route: set on the request only while a tap is attached. */
const kTap = Symbol('mm.tap');
interface TapNotes {
  mono: number;
  at: number;
  uid?: number;
  items?: number[];
}
interface WithTapNotes {
  [kTap]?: TapNotes;
}

const EMPTY_QUERY: ParsedQuery = Object.freeze({ [kRawQuery]: '' }) as ParsedQuery;

function addParam(out: ParsedQuery, k: string, v: string): void {
  if (k === '__proto__') {
    out[kBadQuery] ??= 'invalid query parameter name "__proto__"';
  } else if (Object.hasOwn(out, k)) {
    out[kBadQuery] ??= `repeated query parameter "${k}"`;
  } else {
    out[k] = v;
  }
}

/**
 * The router's querystring parser: URLSearchParams semantics ('+' is a space, %XX decoded, malformed escapes kept),
 * with a split-only fast path when there is nothing to decode. Never throws (it runs inside the router); a repeated
 * or forbidden key is recorded and answered with 10001 by the route. Exported for tests.
 */
export function parseQuery(raw: string): ParsedQuery {
  if (raw.length === 0) return EMPTY_QUERY;
  const out: ParsedQuery = {};
  out[kRawQuery] = raw;
  if (raw.indexOf('%') < 0 && raw.indexOf('+') < 0) {
    const len = raw.length;
    let start = 0;
    while (start < len) {
      let end = raw.indexOf('&', start);
      if (end < 0) end = len;
      if (end > start) {
        const eq = raw.indexOf('=', start);
        if (eq < 0 || eq > end) addParam(out, raw.slice(start, end), '');
        else addParam(out, raw.slice(start, eq), raw.slice(eq + 1, end));
      }
      start = end + 1;
    }
  } else {
    for (const [k, v] of new URLSearchParams(raw)) addParam(out, k, v);
  }
  return out;
}

/** Raw query string of a request, exactly as sent (also for routes registered directly on `app`). */
export function rawQueryOf(req: FastifyRequest): string {
  const q = req.query as ParsedQuery | undefined;
  const raw = q?.[kRawQuery];
  if (raw !== undefined) return raw;
  const url = req.raw.url ?? '';
  const i = url.indexOf('?');
  return i < 0 ? '' : url.slice(i + 1);
}

/** Raw body text of a request as received ('' when there was none). */
export function rawBodyOf(req: FastifyRequest): string {
  return (req as unknown as WithRawBody)[kRawBody] ?? '';
}

// ---------------------------------------------------------------------------------------------------------------------
// Body: raw text kept for the signature, then JSON.parse; must be an object.

function rejectProto(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new SyntaxError('__proto__ key');
  return value;
}

function parseBody(req: FastifyRequest, body: string, done: (err: Error | null, body?: unknown) => void): void {
  (req as unknown as WithRawBody)[kRawBody] = body;
  if (body.length === 0) {
    done(null, EMPTY_BODY);
    return;
  }
  let value: unknown;
  try {
    value = body.includes('__proto__') ? JSON.parse(body, rejectProto) : JSON.parse(body);
  } catch {
    done(venueError('PARAMS', 'request body is not valid JSON'));
    return;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    done(venueError('PARAMS', 'request body must be a JSON object'));
    return;
  }
  done(null, value);
}

// ---------------------------------------------------------------------------------------------------------------------
// Envelope and headers.

function envelope(retCode: number, retMsg: string, result: unknown, retExtInfo: unknown, now: number): string {
  const res = result === undefined ? '{}' : (JSON.stringify(result) ?? '{}');
  const ext = retExtInfo === undefined ? '{}' : (JSON.stringify(retExtInfo) ?? '{}');
  const msg = retMsg === 'OK' ? '"OK"' : JSON.stringify(retMsg);
  return `{"retCode":${retCode},"retMsg":${msg},"result":${res},"retExtInfo":${ext},"time":${now}}`;
}

function isReply(out: unknown): out is Reply {
  if (out instanceof RestReply) return true;
  if (out === null || typeof out !== 'object' || !Object.hasOwn(out, 'result')) return false;
  for (const k in out) if (k !== 'result' && k !== 'retExtInfo' && k !== 'retMsg') return false;
  return true;
}

/** A batch answer's per-item codes (retExtInfo.list[i].code), noted on the request for the tap. */
function noteItems(req: FastifyRequest, ext: unknown): void {
  const list = (ext as { list?: unknown } | null | undefined)?.list;
  const notes = (req as unknown as WithTapNotes)[kTap];
  if (notes === undefined || !Array.isArray(list)) return;
  notes.items = list.map((i) => Number((i as { code?: unknown } | null)?.code ?? 0));
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}

function sendLater(reply: FastifyReply, payload: string): void {
  reply.send(payload);
}

/** URL path without the query, for unknown routes. */
function urlPath(req: FastifyRequest): string {
  const url = req.raw.url ?? '/';
  const i = url.indexOf('?');
  return i < 0 ? url : url.slice(0, i);
}

function budget(name: string, v: number | undefined, dflt: number, min = 0): number {
  if (v === undefined) return dflt;
  if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

/**
 * How often Node checks the deadlines (its default, 30 s, would let a 10 s deadline fire anywhere in 10–40 s): a
 * quarter of the shortest one, between 10 ms and 1 s. The check is one pass over the connections still receiving.
 */
function checkInterval(headersMs: number, requestMs: number): number {
  const shortest = Math.min(headersMs > 0 ? headersMs : Infinity, requestMs > 0 ? requestMs : Infinity);
  return shortest === Infinity ? 30_000 : Math.max(10, Math.min(1000, Math.floor(shortest / 4)));
}

/** The in-flight response Node keeps on a socket (set from the headers of a request until its answer is done). */
interface HttpSocket extends Socket {
  _httpMessage?: { headersSent: boolean; req?: { url?: string } } | null;
}

class PublicCtx implements RestContext {
  constructor(
    readonly now: number,
    readonly query: Readonly<Record<string, string>>,
    readonly rawQuery: string,
    readonly ip: string,
  ) {}
}

class PrivateCtx implements PrivateContext {
  constructor(
    readonly now: number,
    readonly query: Readonly<Record<string, string>>,
    readonly rawQuery: string,
    readonly ip: string,
    readonly key: ApiKeyRecord,
    readonly body: Readonly<Record<string, unknown>>,
    readonly signedAt: number,
    readonly granted: number | undefined,
  ) {}
}

export function createRestApp(opts: RestOptions): RestApp {
  const { keys, clock, limiter, onRequest } = opts;
  const tap = opts.tap;
  const gate: RestFaultGate = opts.faults ?? { hook: undefined };
  const delayMs = opts.delayMs;
  const bodyLimit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const publicLimiter = new RateLimiter({}, opts.publicLimit ?? DEFAULT_PUBLIC_LIMIT);
  const tracePrefix = randomBytes(6).toString('hex');
  let traceSeq = 0;
  const requestDeadline = budget('requestDeadlineMs', opts.requestDeadlineMs, DEFAULT_REQUEST_DEADLINE_MS);
  let headersDeadline = budget('headersDeadlineMs', opts.headersDeadlineMs, DEFAULT_HEADERS_DEADLINE_MS);
  if (requestDeadline > 0 && (headersDeadline === 0 || headersDeadline > requestDeadline)) headersDeadline = requestDeadline;
  const keepAlive = budget('keepAliveMs', opts.keepAliveMs, DEFAULT_KEEP_ALIVE_MS, 1);
  const headerLimit = budget('headerLimit', opts.headerLimit, DEFAULT_HEADER_LIMIT, 1);
  const closes = { headers_deadline: 0, body_deadline: 0, header_overflow: 0, malformed: 0 };
  const limits = {
    rest_headers_deadline_ms: headersDeadline,
    rest_request_deadline_ms: requestDeadline,
    rest_keep_alive_ms: keepAlive,
    rest_header_bytes: headerLimit,
    rest_body_bytes: bodyLimit,
  };

  const fastifyOpts: FastifyHttpOptions<Server> = {
    bodyLimit,
    exposeHeadRoutes: false,
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { querystringParser: parseQuery },
    frameworkErrors: onFrameworkError,
    requestTimeout: requestDeadline,
    keepAliveTimeout: keepAlive,
    http: {
      headersTimeout: headersDeadline,
      requestTimeout: requestDeadline,
      connectionsCheckingInterval: checkInterval(headersDeadline, requestDeadline),
      maxHeaderSize: headerLimit,
      // Bybit's clients always send Host; without this Node answers an HTTP/1.1 request lacking it with a bare 400.
      requireHostHeader: false,
    },
    clientErrorHandler: onClientError,
  };
  if (opts.logger === false) fastifyOpts.logger = false;
  else if (opts.logger === undefined) fastifyOpts.logger = { level: 'warn' };
  else fastifyOpts.loggerInstance = opts.logger;
  const app = Fastify(fastifyOpts) as unknown as FastifyInstance;

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit }, parseBody);
  // An unknown `Expect:` would get Node's bare 417; the request is served as if the header were absent.
  app.server.on('checkExpectation', (req, res) => app.server.emit('request', req, res));

  /** Writes the headers and the payload (after the configured delay). */
  function send(
    rep: FastifyReply,
    retCode: number,
    payload: string,
    limit: number,
    remaining: number,
    resetAt: number,
    now: number,
  ): void {
    rep
      .header('content-type', CONTENT_TYPE)
      .header('timenow', now)
      .header('traceid', tracePrefix + (++traceSeq).toString(16))
      .header('ret_code', retCode)
      .header('x-bapi-limit', limit)
      .header('x-bapi-limit-status', remaining)
      .header('x-bapi-limit-reset-timestamp', resetAt);
    if (tap !== undefined) tapAnswer(rep, retCode, now);
    const delay = delayMs === undefined ? 0 : delayMs();
    if (delay > 0) setTimeout(sendLater, delay, rep, payload);
    else rep.send(payload);
  }

  function sendRaw(rep: FastifyReply, a: RawAnswer): void {
    rep.code(a.status);
    if (tap !== undefined) tapAnswer(rep, null, clock.now());
    if (a.contentType !== undefined) rep.header('content-type', a.contentType);
    rep.send(a.body);
  }

  /** Tells the tap about an answer; the request's notes (receipt time, uid, batch items) were set on the way in. */
  function tapAnswer(rep: FastifyReply, retCode: number | null, now: number): void {
    const req = rep.request;
    const notes = (req as unknown as WithTapNotes)[kTap];
    const key = req.headers['x-bapi-api-key'];
    const body = req.body;
    try {
      tap!.answered({
        method: req.method,
        path: req.routeOptions?.url ?? urlPath(req),
        uid: notes?.uid,
        apiKey: typeof key === 'string' ? key : undefined,
        body: body !== null && typeof body === 'object' ? body : undefined,
        at: notes?.at ?? now,
        mono: notes?.mono ?? performance.now(),
        retCode,
        status: rep.statusCode,
        items: notes?.items,
      });
    } catch (err) {
      req.log.error({ err }, 'REST tap threw'); // a broken observer must not break the venue
    }
  }

  /** Receipt time (and later uid, batch items) for the tap; nothing without a tap. */
  function noteReceipt(req: FastifyRequest, now: number): TapNotes {
    const notes: TapNotes = { mono: performance.now(), at: now };
    (req as unknown as WithTapNotes)[kTap] = notes;
    return notes;
  }

  function sendError(rep: FastifyReply, e: VenueError, limit: number, remaining: number, resetAt: number, now: number): void {
    rep.code(e.http); // fastify may have preset another status (415, 400, 500) before the error handler
    send(rep, e.retCode, envelope(e.retCode, e.retMsg, undefined, undefined, now), limit, remaining, resetAt, now);
  }

  /** Errors before a UID is known carry the per-IP public window of the path. */
  function sendPublicError(req: FastifyRequest, rep: FastifyReply, path: string, e: VenueError, now: number): void {
    const d = publicLimiter.peek(req.ip ?? '', path, now);
    sendError(rep, e, d.limit, d.remaining, d.resetAt, now);
  }

  function toVenueError(err: unknown, req: FastifyRequest): VenueError {
    if (err instanceof VenueError) return err;
    req.log.error({ err, method: req.method, url: req.url }, 'unexpected error in REST handler');
    return venueError('SERVER');
  }

  function finish(
    req: FastifyRequest,
    rep: FastifyReply,
    out: unknown,
    limit: number,
    remaining: number,
    resetAt: number,
    now: number,
  ): void {
    if (tap !== undefined && isReply(out)) noteItems(req, out.retExtInfo);
    let payload: string;
    try {
      payload = isReply(out)
        ? envelope(0, out.retMsg ?? 'OK', out.result, out.retExtInfo, now)
        : envelope(0, 'OK', out, undefined, now);
    } catch (err) {
      sendError(rep, toVenueError(err, req), limit, remaining, resetAt, now);
      return;
    }
    send(rep, 0, payload, limit, remaining, resetAt, now);
  }

  function run<C>(
    handler: (ctx: C) => unknown,
    ctx: C,
    req: FastifyRequest,
    rep: FastifyReply,
    limit: number,
    remaining: number,
    resetAt: number,
    now: number,
  ): void {
    let out: unknown;
    try {
      out = handler(ctx);
    } catch (err) {
      sendError(rep, toVenueError(err, req), limit, remaining, resetAt, now);
      return;
    }
    if (isThenable(out)) {
      out.then(
        (v) => finish(req, rep, v, limit, remaining, resetAt, now),
        (err: unknown) => sendError(rep, toVenueError(err, req), limit, remaining, resetAt, now),
      );
      return;
    }
    finish(req, rep, out, limit, remaining, resetAt, now);
  }

  function journal(req: FastifyRequest, path: string, rawQuery: string, uid: number | undefined, now: number): void {
    const body = (req as unknown as WithRawBody)[kRawBody];
    const e: RestJournalEvent = { channel: 'rest', method: req.method, path, query: rawQuery, at: now };
    if (uid !== undefined) e.uid = uid;
    if (body !== undefined) e.body = body;
    try {
      onRequest!(e);
    } catch (err) {
      req.log.error({ err }, 'REST journal hook threw'); // a broken journal must not break the venue
    }
  }

  function publicRoute(path: string, handler: PublicHandler) {
    return function publicRouteHandler(req: FastifyRequest, rep: FastifyReply): void {
      const now = clock.now();
      if (tap !== undefined) noteReceipt(req, now);
      const query = req.query as ParsedQuery;
      const rawQuery = query[kRawQuery] ?? '';
      const ip = req.ip ?? '';
      if (onRequest !== undefined) journal(req, path, rawQuery, undefined, now);
      const fh = gate.hook;
      if (fh !== undefined) {
        const raw = fh.early(path, false);
        if (raw !== undefined) return sendRaw(rep, raw);
      }
      const d = publicLimiter.take(ip, path, now);
      const limit = d.limit;
      const remaining = d.remaining;
      const resetAt = d.resetAt;
      if (d.granted === 0) return sendError(rep, venueError('RATE_LIMIT'), limit, remaining, resetAt, now);
      const bad = query[kBadQuery];
      if (bad !== undefined) return sendError(rep, venueError('PARAMS', bad), limit, remaining, resetAt, now);
      const ctx = new PublicCtx(now, query, rawQuery, ip);
      if (fh !== undefined && fh.defer(req.raw.socket, () => run(handler, ctx, req, rep, limit, remaining, resetAt, now))) return;
      run(handler, ctx, req, rep, limit, remaining, resetAt, now);
    };
  }

  function privateRoute(
    method: 'GET' | 'POST',
    path: string,
    handler: PrivateHandler,
    write: boolean,
    units: ((body: Readonly<Record<string, unknown>>) => number) | undefined,
  ) {
    const isGet = method === 'GET';
    return function privateRouteHandler(req: FastifyRequest, rep: FastifyReply): void {
      const now = clock.now();
      const notes = tap === undefined ? undefined : noteReceipt(req, now);
      const query = req.query as ParsedQuery;
      const rawQuery = query[kRawQuery] ?? '';
      const fh = gate.hook;
      if (fh !== undefined) {
        const raw = fh.early(path, true);
        if (raw !== undefined) {
          if (onRequest !== undefined) journal(req, path, rawQuery, undefined, now);
          return sendRaw(rep, raw);
        }
      }
      let auth: RestAuth;
      try {
        auth = verifyRest(req.headers, isGet ? rawQuery : ((req as unknown as WithRawBody)[kRawBody] ?? ''), keys, now);
      } catch (err) {
        if (onRequest !== undefined) journal(req, path, rawQuery, undefined, now);
        return sendPublicError(req, rep, path, toVenueError(err, req), now);
      }
      const key = auth.key;
      if (notes !== undefined) notes.uid = key.uid;
      if (onRequest !== undefined) journal(req, path, rawQuery, key.uid, now);
      if (write && key.readOnly) {
        const p = limiter.peek(key.uid, path, now);
        return sendError(rep, venueError('PERMISSION'), p.limit, p.remaining, p.resetAt, now);
      }
      const body = isGet ? EMPTY_BODY : ((req.body as Readonly<Record<string, unknown>> | undefined) ?? EMPTY_BODY);
      let n = 1;
      if (units !== undefined) {
        try {
          n = units(body);
        } catch {
          n = 1;
        }
        n = Number.isFinite(n) && n >= 1 ? Math.min(Math.floor(n), MAX_UNITS) : 1;
      }
      if (fh !== undefined && fh.storm(path, key.uid)) {
        return sendError(rep, venueError('RATE_LIMIT'), limiter.limitOf(path), 0, now + 1000, now);
      }
      const d = limiter.take(key.uid, path, now, n);
      const granted = d.granted;
      const limit = d.limit;
      const remaining = d.remaining;
      const resetAt = d.resetAt;
      if (granted === 0) return sendError(rep, venueError('RATE_LIMIT'), limit, remaining, resetAt, now);
      const bad = query[kBadQuery];
      if (bad !== undefined) return sendError(rep, venueError('PARAMS', bad), limit, remaining, resetAt, now);
      const ctx = new PrivateCtx(now, query, rawQuery, req.ip ?? '', key, body, auth.timestamp, units === undefined ? undefined : granted);
      if (fh !== undefined && fh.defer(req.raw.socket, () => run(handler, ctx, req, rep, limit, remaining, resetAt, now))) return;
      run(handler, ctx, req, rep, limit, remaining, resetAt, now);
    };
  }

  app.setNotFoundHandler(function notFound(req, rep) {
    const now = clock.now();
    if (tap !== undefined) noteReceipt(req, now);
    const path = urlPath(req);
    if (onRequest !== undefined) journal(req, path, rawQueryOf(req), undefined, now);
    const raw = gate.hook?.early(path, false);
    if (raw !== undefined) return sendRaw(rep, raw);
    sendPublicError(req, rep, path, venueError('ROUTE'), now);
  });

  /** Errors fastify raises before a route handler runs (body parser, 413, 415, bad URL): never a UID yet. */
  function onFrameworkError(err: FastifyError, req: FastifyRequest, rep: FastifyReply): void {
    const now = clock.now();
    if (tap !== undefined && (req as unknown as WithTapNotes)[kTap] === undefined) noteReceipt(req, now);
    let ve: VenueError;
    if (err instanceof VenueError) ve = err;
    else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.statusCode === 413) ve = venueError('BODY_TOO_LARGE');
    else if (err.code === 'FST_ERR_BAD_URL') ve = venueError('ROUTE');
    else if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      ve = venueError('PARAMS', err.message);
    } else ve = toVenueError(err, req);
    const path = req.routeOptions?.url ?? urlPath(req);
    if (onRequest !== undefined) journal(req, path, rawQueryOf(req), undefined, now);
    // The connection is gone (the client left mid-body, or the request deadline cut it and answered): nothing to send.
    if (req.raw.socket?.destroyed === true) return;
    sendPublicError(req, rep, path, ve, now);
  }

  app.setErrorHandler(onFrameworkError);

  /**
   * Errors of Node's HTTP layer, before (or instead of) a request reaching fastify: the parser's (431 headers too
   * large, 400 malformed) and the deadlines (408). The envelope goes straight to the socket, which is then destroyed,
   * as Node itself does; nothing is journaled or tapped (there may be no request to speak of).
   */
  function onClientError(err: Error & { code?: string; reason?: unknown }, socket: Socket): void {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const inFlight = (socket as HttpSocket)._httpMessage ?? undefined;
    let ve: VenueError;
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      if (inFlight === undefined) {
        closes.headers_deadline++;
        ve = venueError('REQUEST_TIMEOUT', `request line and headers not received within ${headersDeadline} ms`);
      } else {
        closes.body_deadline++;
        ve = venueError('REQUEST_TIMEOUT', `request not received in full within ${requestDeadline} ms`);
      }
    } else if (err.code === 'HPE_HEADER_OVERFLOW') {
      closes.header_overflow++;
      ve = venueError('HEADERS_TOO_LARGE', `request line and headers over ${headerLimit} bytes`);
    } else if (err.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') {
      closes.malformed++;
      ve = venueError('BODY_TOO_LARGE', 'chunk extensions too large');
    } else {
      closes.malformed++;
      const why = typeof err.reason === 'string' && err.reason !== '' ? ` (${err.reason})` : '';
      ve = venueError('BAD_HTTP', `${err.code ?? 'parse error'}${why}`);
    }
    // Only while no byte of an answer went out on this socket (else the client would read a corrupt stream).
    if (socket.writable && inFlight?.headersSent !== true) {
      const now = clock.now();
      const url = inFlight?.req?.url;
      const path = url === undefined ? '' : url.split('?', 1)[0]!;
      const d = publicLimiter.peek(socket.remoteAddress ?? '', path, now);
      const body = envelope(ve.retCode, ve.retMsg, undefined, undefined, now);
      socket.write(
        `HTTP/1.1 ${ve.http} ${STATUS_CODES[ve.http] ?? 'Error'}\r\n` +
          `content-type: ${CONTENT_TYPE}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n` +
          `timenow: ${now}\r\ntraceid: ${tracePrefix}${(++traceSeq).toString(16)}\r\nret_code: ${ve.retCode}\r\n` +
          `x-bapi-limit: ${d.limit}\r\nx-bapi-limit-status: ${d.remaining}\r\nx-bapi-limit-reset-timestamp: ${d.resetAt}\r\n` +
          `\r\n${body}`,
      );
    }
    socket.destroy();
  }

  return {
    app,
    publicLimiter,
    publicGet(path, handler) {
      app.get(path, publicRoute(path, handler));
    },
    privateGet(path, handler, o) {
      app.get(path, privateRoute('GET', path, handler, o?.write === true, undefined));
    },
    privatePost(path, handler, o) {
      app.post(path, privateRoute('POST', path, handler, o?.write === true, o?.units));
    },
    httpStats: () => ({ closes: { ...closes }, limits }),
  };
}

