/**
 * The REST HTTP layer against a hostile client, over raw sockets (node:net) on 127.0.0.1:0: the headers and request
 * deadlines close slow connections, and every error the HTTP layer can produce — including those Node's parser
 * raises before fastify sees a request — is the venue envelope with its headers. Deadlines are set to a few hundred
 * ms so the file runs in seconds; every wait is on a socket event ('close'), never a sleep.
 */
import { connect, type AddressInfo } from 'node:net';
import ccxt from 'ccxt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MapKeyStore } from '../../sim-exchange/bybit-v5/auth.ts';
import { CATALOGUE } from '../../sim-exchange/bybit-v5/errors.ts';
import { RateLimiter } from '../../sim-exchange/bybit-v5/rate-limit.ts';
import {
  DEFAULT_HEADERS_DEADLINE_MS,
  DEFAULT_REQUEST_DEADLINE_MS,
  createRestApp,
  type HttpBudgets,
  type RestApp,
} from '../../sim-exchange/bybit-v5/rest/http.ts';
import { SystemClock } from '../../sim-exchange/clock.ts';
import { createVenueMetrics } from '../../sim-exchange/control/metrics.ts';
import { startSim } from '../../sim-exchange/server.ts';
import { Venue } from '../../sim-exchange/venue/venue.ts';
import { DEFAULT_INSTRUMENTS } from '../../sim-exchange/instruments.ts';

const HEADERS_MS = 200;
const REQUEST_MS = 400;
/** Upper bound on when a deadline closes a socket: the deadline plus Node's check period (a quarter of the shortest) and slack. */
const CLOSE_BY_MS = 3000;

interface Envelope {
  retCode: number;
  retMsg: string;
  result: Record<string, unknown>;
  retExtInfo: Record<string, unknown>;
  time: number;
}

interface RawAnswer {
  /** HTTP status of the first response on the socket (0 when none came). */
  status: number;
  headers: Record<string, string>;
  body: string;
  /** ms from the first write to the socket's 'close'. */
  elapsed: number;
}

/** Writes `data` (each string as its own write) and resolves on the socket's 'close' with the first response. */
function rawExchange(port: number, ...data: string[]): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const t0 = performance.now();
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', () => {}); // a reset after the answer is fine; 'close' follows
    s.on('close', () => resolve({ ...parseResponse(Buffer.concat(chunks).toString('latin1')), elapsed: performance.now() - t0 }));
    for (const d of data) if (d !== '') s.write(d);
  });
}

function parseResponse(text: string): Omit<RawAnswer, 'elapsed'> {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, body: '' };
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const len = Number(headers['content-length'] ?? 0);
  return { status: Number(statusLine!.split(' ')[1]), headers, body: text.slice(end + 4, end + 4 + len) };
}

/** The checks every error answer must pass: the envelope, its headers, retCode and HTTP status. */
function expectEnvelope(a: RawAnswer, http: number, retCode: number, msg: RegExp): Envelope {
  expect(a.status, a.body).toBe(http);
  expect(a.headers['content-type']).toBe('application/json; charset=utf-8');
  for (const h of ['timenow', 'traceid', 'ret_code', 'x-bapi-limit', 'x-bapi-limit-status', 'x-bapi-limit-reset-timestamp']) {
    expect(a.headers[h], `header ${h}`).toBeDefined();
  }
  for (const h of ['x-bapi-limit', 'x-bapi-limit-status', 'x-bapi-limit-reset-timestamp']) expect(a.headers[h]).toMatch(/^\d+$/);
  const body = JSON.parse(a.body) as Envelope;
  expect(Object.keys(body)).toEqual(['retCode', 'retMsg', 'result', 'retExtInfo', 'time']);
  expect(body.retCode).toBe(retCode);
  expect(body.retMsg).toMatch(msg);
  expect(body.result).toEqual({});
  expect(body.retExtInfo).toEqual({});
  expect(a.headers['ret_code']).toBe(String(retCode));
  expect(a.headers['timenow']).toBe(String(body.time));
  return body;
}

const clock = new SystemClock();
let delay = 0;
let r: RestApp;
let port: number;

async function start(budgets: HttpBudgets, extra: { delayMs?: () => number } = {}): Promise<{ app: RestApp; port: number }> {
  const app = createRestApp({
    keys: new MapKeyStore([]),
    clock,
    limiter: new RateLimiter({}),
    logger: false,
    bodyLimit: 1024,
    ...budgets,
    ...extra,
  });
  app.publicGet('/v5/market/time', (ctx) => ({ timeSecond: String(Math.floor(ctx.now / 1000)), timeNano: `${ctx.now}000000` }));
  app.privatePost('/v5/order/create', () => ({ orderId: 'x' }));
  await app.app.listen({ host: '127.0.0.1', port: 0 });
  return { app, port: (app.app.server.address() as AddressInfo).port };
}

beforeAll(async () => {
  ({ app: r, port } = await start({ headersDeadlineMs: HEADERS_MS, requestDeadlineMs: REQUEST_MS, keepAliveMs: 5000 }, { delayMs: () => delay }));
});
afterAll(async () => {
  await r.app.close();
});

describe('deadlines', () => {
  it('a slow body (Content-Length 1000, then "{" and silence) is answered 408 / 10016 and closed at the request deadline', async () => {
    const before = r.httpStats().closes.body_deadline;
    const a = await rawExchange(port, 'POST /v5/order/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n', '{');
    expectEnvelope(a, 408, 10016, /^Request timeout: request not received in full within 400 ms$/);
    expect(a.headers['connection']).toBe('close');
    expect(a.elapsed).toBeGreaterThanOrEqual(REQUEST_MS - 50);
    expect(a.elapsed).toBeLessThan(REQUEST_MS + CLOSE_BY_MS);
    expect(r.httpStats().closes.body_deadline).toBe(before + 1);
  });

  it('slow headers are answered 408 / 10016 and closed at the headers deadline', async () => {
    const before = r.httpStats().closes.headers_deadline;
    const a = await rawExchange(port, 'GET /v5/market/time HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    expectEnvelope(a, 408, 10016, /^Request timeout: request line and headers not received within 200 ms$/);
    expect(a.elapsed).toBeGreaterThanOrEqual(HEADERS_MS - 50);
    expect(a.elapsed).toBeLessThan(HEADERS_MS + CLOSE_BY_MS);
    expect(r.httpStats().closes.headers_deadline).toBe(before + 1);
  });

  it('a connection that sends nothing is closed at the headers deadline', async () => {
    const a = await rawExchange(port);
    expectEnvelope(a, 408, 10016, /^Request timeout/);
    expect(a.elapsed).toBeLessThan(HEADERS_MS + CLOSE_BY_MS);
  });

  it('only receiving counts: an answer held back longer than the deadline still arrives', async () => {
    delay = REQUEST_MS * 2;
    try {
      const a = await rawExchange(port, 'GET /v5/market/time HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      expect(a.status).toBe(200);
      expect((JSON.parse(a.body) as Envelope).retCode).toBe(0);
      expect(a.elapsed).toBeGreaterThanOrEqual(REQUEST_MS * 2 - 50);
    } finally {
      delay = 0;
    }
  });

  it('an idle keep-alive connection is closed after keepAliveMs', async () => {
    const k = await start({ keepAliveMs: 300 });
    try {
      const a = await rawExchange(k.port, 'GET /v5/market/time HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(a.status).toBe(200);
      expect(a.headers['keep-alive']).toBe('timeout=0'); // Node rounds 300 ms down to whole seconds in the hint
      // Node closes an idle keep-alive socket (silently) 1 s after the advertised timeout.
      expect(a.elapsed).toBeGreaterThanOrEqual(250);
      expect(a.elapsed).toBeLessThan(300 + 1000 + CLOSE_BY_MS);
    } finally {
      await k.app.app.close();
    }
  });

  it('defaults: 10 s for the headers, 30 s for the whole request; a headers deadline over the request deadline is capped', async () => {
    expect(DEFAULT_HEADERS_DEADLINE_MS).toBe(10_000);
    expect(DEFAULT_REQUEST_DEADLINE_MS).toBe(30_000);
    const d = await start({});
    const c = await start({ headersDeadlineMs: 5000, requestDeadlineMs: 1000 });
    try {
      expect(d.app.app.server.headersTimeout).toBe(10_000);
      expect(d.app.app.server.requestTimeout).toBe(30_000);
      expect(d.app.app.server.keepAliveTimeout).toBe(72_000);
      expect(c.app.app.server.headersTimeout).toBe(1000);
      expect(() => createRestApp({ keys: new MapKeyStore([]), clock, limiter: new RateLimiter({}), logger: false, requestDeadlineMs: -1 })).toThrow(
        RangeError,
      );
    } finally {
      await Promise.all([d.app.app.close(), c.app.app.close()]);
    }
  });
});

describe('every HTTP-layer error is the venue envelope', () => {
  it('a 20 KB header: 431 / 10001', async () => {
    const before = r.httpStats().closes.header_overflow;
    const a = await rawExchange(port, `GET /v5/market/time HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expectEnvelope(a, 431, 10001, /^request headers too large: request line and headers over 16384 bytes$/);
    expect(r.httpStats().closes.header_overflow).toBe(before + 1);
  });

  it('a 20 KB query string (URL too long): 431 / 10001', async () => {
    const a = await rawExchange(port, `GET /v5/market/time?q=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expectEnvelope(a, 431, 10001, /^request headers too large/);
  });

  it('headerLimit sets the limit', async () => {
    const k = await start({ headerLimit: 1024 });
    try {
      const a = await rawExchange(k.port, `GET /v5/market/time HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(2000)}\r\n\r\n`);
      expectEnvelope(a, 431, 10001, /over 1024 bytes$/);
    } finally {
      await k.app.app.close();
    }
  });

  it('a body over the limit: 413 / 10001', async () => {
    const a = await rawExchange(port, `POST /v5/order/create HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 5000\r\n\r\n${'{'.repeat(5000)}`);
    expectEnvelope(a, 413, CATALOGUE.BODY_TOO_LARGE.retCode, /^request body too large$/);
  });

  it('bad JSON: HTTP 200, 10001', async () => {
    const a = await rawExchange(port, 'POST /v5/order/create HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 3\r\n\r\n{x}');
    expectEnvelope(a, 200, 10001, /^params error: request body is not valid JSON$/);
  });

  it('unknown route and undecodable path: 404 / 10017', async () => {
    expectEnvelope(await rawExchange(port, 'GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), 404, 10017, /^Route not found$/);
    expectEnvelope(await rawExchange(port, 'GET /%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), 404, 10017, /^Route not found$/);
  });

  it('a malformed request line, header or chunked body: 400 / 10001, and the server keeps serving', async () => {
    const before = r.httpStats().closes.malformed;
    expectEnvelope(await rawExchange(port, 'GARBAGE\r\n\r\n'), 400, 10001, /^malformed HTTP request: HPE_INVALID_METHOD/);
    expectEnvelope(await rawExchange(port, 'GET /v5/market/time HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n'), 400, 10001, /^malformed HTTP request: HPE_/);
    expectEnvelope(
      await rawExchange(port, 'POST /v5/order/create HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'),
      400,
      10001,
      /^malformed HTTP request: HPE_/,
    );
    expect(r.httpStats().closes.malformed).toBe(before + 3);
    const ok = await rawExchange(port, 'GET /v5/market/time HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(ok.status).toBe(200);
  });

  it('HTTP/1.1 without Host and an unknown Expect are served like any request (no bare 400 / 417)', async () => {
    const noHost = await rawExchange(port, 'GET /v5/market/time HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(noHost.status).toBe(200);
    expect((JSON.parse(noHost.body) as Envelope).retCode).toBe(0);
    const expectHdr = await rawExchange(port, 'GET /v5/market/time HTTP/1.1\r\nHost: x\r\nExpect: something\r\nConnection: close\r\n\r\n');
    expect(expectHdr.status).toBe(200);
    expect((JSON.parse(expectHdr.body) as Envelope).retCode).toBe(0);
    expectEnvelope(await rawExchange(port, 'GET /nope HTTP/1.1\r\nExpect: x\r\nConnection: close\r\n\r\n'), 404, 10017, /^Route not found$/);
  });
});

describe('clients', () => {
  it('ccxt bybit maps the HTTP layer answers: 408 → RequestTimeout, 431 and 400 → BadRequest', async () => {
    const ex = new ccxt.bybit({ enableRateLimit: false });
    const mapped = (a: RawAnswer): unknown => {
      try {
        ex.handleErrors(a.status, '', 'url', 'POST', a.headers, a.body, JSON.parse(a.body), {}, '');
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const timeout = await rawExchange(port, 'POST /v5/order/create HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n', '{');
    expect(mapped(timeout)).toBeInstanceOf(ccxt.RequestTimeout);
    const big = await rawExchange(port, `GET /v5/market/time HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(mapped(big)).toBeInstanceOf(ccxt.BadRequest);
    expect(mapped(await rawExchange(port, 'GARBAGE\r\n\r\n'))).toBeInstanceOf(ccxt.BadRequest);
  });
});

describe('the venue (startSim)', () => {
  it('passes httpBudgets through: a slow body is cut while an open WebSocket lives on', async () => {
    const sim = await startSim({ httpBudgets: { headersDeadlineMs: HEADERS_MS, requestDeadlineMs: REQUEST_MS } });
    try {
      const ws = new WebSocket(sim.urls.wsPublic);
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      const p = Number(new URL(sim.urls.rest).port);
      const a = await rawExchange(p, 'POST /v5/order/create HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n', '{');
      expectEnvelope(a, 408, 10016, /^Request timeout/);
      expect(a.elapsed).toBeLessThan(REQUEST_MS + CLOSE_BY_MS);
      // The upgraded socket is no longer a request being received: the deadlines do not touch it.
      expect(ws.readyState).toBe(WebSocket.OPEN);
      const pong = new Promise<string>((resolve) => ws.once('message', (m) => resolve(String(m))));
      ws.send(JSON.stringify({ op: 'ping', req_id: 'p1' }));
      const reply = await pong;
      expect(reply).toContain('pong');
      expect(reply).toContain('p1');
      ws.close();
    } finally {
      await sim.close();
    }
  });

  it('Prometheus: mmvenue_rest_closes_total by reason', async () => {
    const venue = new Venue({ instruments: DEFAULT_INSTRUMENTS, clock, seed: 1 });
    const registry = createVenueMetrics({ venue, rest: () => r.httpStats() });
    const text = await registry.metrics();
    const closes = r.httpStats().closes;
    for (const [reason, n] of Object.entries(closes)) {
      expect(text).toContain(`mmvenue_rest_closes_total{reason="${reason}"} ${n}`);
    }
    expect(closes.body_deadline).toBeGreaterThan(0);
  });
});
