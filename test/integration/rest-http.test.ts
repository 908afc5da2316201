/**
 * The REST plumbing over real HTTP on 127.0.0.1:0: envelope and headers on every kind of answer, auth, rate limits,
 * body/query parsing, and signatures made by the real clients (bybit-api RestClientV5, ccxt bybit).
 */
import type { AddressInfo } from 'node:net';
import { RestClientV5 } from 'bybit-api';
import ccxt from 'ccxt';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MapKeyStore, hmacHex, type ApiKeyRecord } from '../../sim-exchange/bybit-v5/auth.ts';
import { CATALOGUE, venueError } from '../../sim-exchange/bybit-v5/errors.ts';
import { BYBIT_LINEAR_LIMITS, RateLimiter } from '../../sim-exchange/bybit-v5/rate-limit.ts';
import { createRestApp, reply, type RestApp, type RestJournalEvent } from '../../sim-exchange/bybit-v5/rest/http.ts';
import { ManualClock, SystemClock } from '../../sim-exchange/clock.ts';

const KEY: ApiKeyRecord = { uid: 1001, apiKey: 'KEY-RW', secret: 'secret-rw', readOnly: false };
const RO: ApiKeyRecord = { uid: 1002, apiKey: 'KEY-RO', secret: 'secret-ro', readOnly: true };
const keys = new MapKeyStore([KEY, RO]);

interface Envelope {
  retCode: number;
  retMsg: string;
  result: Record<string, unknown>;
  retExtInfo: Record<string, unknown>;
  time: number;
}

interface Answer {
  status: number;
  headers: Headers;
  body: Envelope;
}

/** Reads a response and checks the parts every answer must have. */
async function envelopeOf(res: Response): Promise<Answer> {
  expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  for (const h of ['timenow', 'traceid', 'ret_code', 'x-bapi-limit', 'x-bapi-limit-status', 'x-bapi-limit-reset-timestamp']) {
    expect(res.headers.get(h), `header ${h}`).not.toBeNull();
  }
  expect(res.headers.get('traceid')).toMatch(/^[0-9a-f]+$/);
  for (const h of ['x-bapi-limit', 'x-bapi-limit-status', 'x-bapi-limit-reset-timestamp']) {
    expect(res.headers.get(h)).toMatch(/^\d+$/);
  }
  const body = JSON.parse(await res.text()) as Envelope;
  expect(Object.keys(body)).toEqual(['retCode', 'retMsg', 'result', 'retExtInfo', 'time']);
  expect(typeof body.retCode).toBe('number');
  expect(typeof body.retMsg).toBe('string');
  expect(typeof body.time).toBe('number');
  expect(res.headers.get('ret_code')).toBe(String(body.retCode));
  expect(res.headers.get('timenow')).toBe(String(body.time));
  if (body.retCode !== 0) {
    expect(body.result).toEqual({});
    expect(body.retExtInfo).toEqual({});
  }
  return { status: res.status, headers: res.headers, body };
}

const limitOf = (a: Answer) => ({
  limit: Number(a.headers.get('x-bapi-limit')),
  remaining: Number(a.headers.get('x-bapi-limit-status')),
  resetAt: Number(a.headers.get('x-bapi-limit-reset-timestamp')),
});

async function listen(r: RestApp): Promise<string> {
  await r.app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(r.app.server.address() as AddressInfo).port}`;
}

// ---------------------------------------------------------------------------------------------------------------------
// The main app: a manual clock, so windows and timestamps are exact.

const clock = new ManualClock(1_700_000_000_000);
const limiter = new RateLimiter({ ...BYBIT_LINEAR_LIMITS, '/v5/test/limited': 3 });
const journal: RestJournalEvent[] = [];
let delay = 0;
let r: RestApp;
let base: string;

interface CallOpts {
  query?: string;
  body?: string;
  key?: ApiKeyRecord;
  ts?: number | string | null;
  recv?: string | null;
  sign?: string;
  headers?: Record<string, string>;
}

/** A signed request, signed the way Bybit documents it, over the exact bytes sent. */
function call(method: 'GET' | 'POST', path: string, o: CallOpts = {}): Promise<Answer> {
  const key = o.key ?? KEY;
  const ts = o.ts === undefined ? String(clock.now()) : o.ts === null ? undefined : String(o.ts);
  const recv = o.recv === undefined ? '5000' : o.recv;
  const payload = method === 'GET' ? (o.query ?? '') : (o.body ?? '');
  const headers: Record<string, string> = {
    'X-BAPI-API-KEY': key.apiKey,
    'X-BAPI-SIGN': o.sign ?? hmacHex(key.secret, `${ts ?? ''}${key.apiKey}${recv ?? '5000'}${payload}`),
    'X-BAPI-SIGN-TYPE': '2',
    ...(method === 'POST' ? { 'Content-Type': 'application/json' } : {}),
    ...o.headers,
  };
  if (ts !== undefined) headers['X-BAPI-TIMESTAMP'] = ts;
  if (recv !== null) headers['X-BAPI-RECV-WINDOW'] = recv;
  const url = `${base}${path}${o.query ? `?${o.query}` : ''}`;
  const init: RequestInit = { method, headers };
  if (method === 'POST') init.body = o.body ?? '';
  return fetch(url, init).then(envelopeOf);
}

const get = (path: string, o?: CallOpts) => call('GET', path, o);
const post = (path: string, body: unknown, o?: CallOpts) =>
  call('POST', path, { ...o, body: typeof body === 'string' ? body : JSON.stringify(body) });

beforeAll(async () => {
  r = createRestApp({
    keys,
    clock,
    limiter,
    logger: false,
    bodyLimit: 1024,
    publicLimit: 4,
    delayMs: () => delay,
    onRequest: (e) => journal.push(e),
  });
  r.publicGet('/v5/market/time', (ctx) => ({ timeSecond: String(Math.floor(ctx.now / 1000)), timeNano: `${ctx.now}000000` }));
  r.publicGet('/v5/test/public-echo', (ctx) => ({ query: ctx.query, rawQuery: ctx.rawQuery, ip: ctx.ip }));
  r.privateGet('/v5/order/realtime', () => ({ list: [], nextPageCursor: '', category: 'linear' }));
  r.privateGet('/v5/test/echo', (ctx) => ({
    query: ctx.query,
    rawQuery: ctx.rawQuery,
    uid: ctx.key.uid,
    signedAt: ctx.signedAt,
    now: ctx.now,
    granted: ctx.granted ?? null,
  }));
  r.privatePost('/v5/test/echo-post', (ctx) => ({ body: ctx.body, rawQuery: ctx.rawQuery, uid: ctx.key.uid }));
  r.privatePost('/v5/order/create', (ctx) => ({ orderId: 'oid-1', orderLinkId: String(ctx.body.orderLinkId ?? '') }), {
    write: true,
  });
  r.privatePost(
    '/v5/order/create-batch',
    (ctx) => {
      const items = ctx.body.request as unknown[];
      const granted = ctx.granted ?? items.length;
      return reply(
        { list: items.map((_, i) => ({ orderId: i < granted ? `oid-${i}` : '' })) },
        {
          retExtInfo: {
            list: items.map((_, i) =>
              i < granted
                ? { code: 0, msg: 'OK' }
                : { code: CATALOGUE.RATE_LIMIT.retCode, msg: CATALOGUE.RATE_LIMIT.retMsg },
            ),
          },
        },
      );
    },
    { write: true, units: (body) => (Array.isArray(body.request) ? body.request.length : 1) },
  );
  r.privateGet('/v5/test/limited', () => ({}));
  r.privateGet('/v5/test/business-error', () => {
    throw venueError('ORDER_NOT_FOUND');
  });
  r.privateGet('/v5/test/boom', () => {
    throw new Error('boom');
  });
  r.privateGet('/v5/test/async', async (ctx) => ({ uid: ctx.key.uid }));
  r.privateGet('/v5/test/async-boom', () => Promise.reject(new TypeError('late boom')));
  r.privateGet('/v5/test/reply-shape', () => ({ result: { list: [1] }, retMsg: 'success', retExtInfo: { x: 1 } }));
  r.privateGet('/v5/test/not-a-reply', () => ({ result: 'inner', other: 1 }));
  r.privateGet('/v5/test/undefined', () => undefined);
  r.privateGet('/v5/test/unserialisable', () => ({ n: 10n }));
  base = await listen(r);
});

afterAll(async () => {
  await r.app.close();
});

beforeEach(() => {
  clock.advance(10_000); // every test starts with empty one-second windows
  delay = 0;
  journal.length = 0;
});

describe('envelope and headers', () => {
  it('public success', async () => {
    const a = await envelopeOf(await fetch(`${base}/v5/market/time`));
    expect(a.status).toBe(200);
    expect(a.body).toEqual({
      retCode: 0,
      retMsg: 'OK',
      result: { timeSecond: String(Math.floor(clock.now() / 1000)), timeNano: `${clock.now()}000000` },
      retExtInfo: {},
      time: clock.now(),
    });
    expect(limitOf(a)).toEqual({ limit: 4, remaining: 3, resetAt: clock.now() });
  });

  it('private success carries the per-UID window of the endpoint', async () => {
    const a = await get('/v5/order/realtime', { query: 'category=linear&settleCoin=USDT' });
    expect(a.status).toBe(200);
    expect(a.body.retCode).toBe(0);
    expect(a.body.result).toEqual({ list: [], nextPageCursor: '', category: 'linear' });
    expect(limitOf(a)).toEqual({ limit: 50, remaining: 49, resetAt: clock.now() });
  });

  it('business error: HTTP 200, retCode and message from the catalogue, result {}', async () => {
    const a = await get('/v5/test/business-error');
    expect(a.status).toBe(200);
    expect(a.body.retCode).toBe(110001);
    expect(a.body.retMsg).toBe('Order does not exist');
    expect(limitOf(a).limit).toBe(50);
  });

  it('unknown route and wrong method: 404 envelope 10017', async () => {
    for (const [method, path] of [
      ['GET', '/v5/nope'],
      ['POST', '/v5/order/realtime'],
      ['GET', '/v5/order/create'],
      ['DELETE', '/v5/order/create'],
      ['GET', '/'],
    ] as const) {
      const a = await envelopeOf(await fetch(`${base}${path}?x=1`, { method }));
      expect(a.status).toBe(404);
      expect(a.body.retCode).toBe(10017);
      expect(a.body.retMsg).toBe('Route not found');
      expect(limitOf(a)).toEqual({ limit: 4, remaining: 4, resetAt: clock.now() });
    }
  });

  it('undecodable URL path: 404 envelope 10017', async () => {
    const a = await envelopeOf(await fetch(`${base}/v5/%zz`));
    expect(a.status).toBe(404);
    expect(a.body.retCode).toBe(10017);
  });

  it('unparsable Content-Type: HTTP 200 envelope 10001', async () => {
    const a = await post('/v5/test/echo-post', '{}', { headers: { 'Content-Type': 'not a media type' } });
    expect(a.status).toBe(200);
    expect(a.body.retCode).toBe(10001);
  });

  it('oversized body: 413 envelope', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(2000) });
    const a = await post('/v5/test/echo-post', big);
    expect(a.status).toBe(413);
    expect(a.body.retCode).toBe(CATALOGUE.BODY_TOO_LARGE.retCode);
    expect(a.body.retMsg).toBe(CATALOGUE.BODY_TOO_LARGE.retMsg);
    // chunked (no content-length): the limit is enforced while reading
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    const b = await envelopeOf(
      await fetch(`${base}/v5/test/echo-post`, {
        method: 'POST',
        body: stream,
        headers: { 'content-type': 'application/json' },
        duplex: 'half',
      } as RequestInit),
    );
    expect(b.status).toBe(413);
    expect(b.body.retCode).toBe(10001);
  });

  it('malformed JSON and non-object JSON: 10001', async () => {
    const bad = await post('/v5/test/echo-post', '{"category":');
    expect(bad.status).toBe(200);
    expect(bad.body.retCode).toBe(10001);
    expect(bad.body.retMsg).toBe('params error: request body is not valid JSON');
    for (const body of ['[1,2]', 'null', '42', '"str"', 'true']) {
      const a = await post('/v5/test/echo-post', body);
      expect(a.status).toBe(200);
      expect(a.body.retCode).toBe(10001);
      expect(a.body.retMsg).toBe('params error: request body must be a JSON object');
    }
    const proto = await post('/v5/test/echo-post', '{"__proto__":{"polluted":1}}');
    expect(proto.body.retCode).toBe(10001);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('unexpected exception: 10016, and the server keeps serving', async () => {
    const a = await get('/v5/test/boom');
    expect(a.status).toBe(200);
    expect(a.body.retCode).toBe(10016);
    expect(a.body.retMsg).toBe('Server error');
    const b = await get('/v5/test/async-boom');
    expect(b.body.retCode).toBe(10016);
    const c = await get('/v5/test/unserialisable');
    expect(c.body.retCode).toBe(10016);
    expect((await get('/v5/order/realtime')).body.retCode).toBe(0);
  });

  it('Reply: retExtInfo and retMsg; plain { result, retMsg, retExtInfo } objects too', async () => {
    const a = await get('/v5/test/reply-shape');
    expect(a.body).toMatchObject({ retCode: 0, retMsg: 'success', result: { list: [1] }, retExtInfo: { x: 1 } });
    const b = await get('/v5/test/not-a-reply');
    expect(b.body.result).toEqual({ result: 'inner', other: 1 });
    const c = await get('/v5/test/undefined');
    expect(c.body.result).toEqual({});
    const d = await get('/v5/test/async');
    expect(d.body.result).toEqual({ uid: KEY.uid });
  });

  it('traceids differ per response', async () => {
    const a = await get('/v5/order/realtime');
    const b = await get('/v5/order/realtime');
    expect(a.headers.get('traceid')).not.toBe(b.headers.get('traceid'));
  });
});

describe('auth', () => {
  it('10003 for a missing or unknown key, with the public per-IP window in the headers', async () => {
    const a = await envelopeOf(await fetch(`${base}/v5/order/realtime?category=linear`));
    expect(a.body.retCode).toBe(10003);
    expect(a.body.retMsg).toBe('API key is invalid.');
    expect(limitOf(a)).toEqual({ limit: 4, remaining: 4, resetAt: clock.now() });
    const b = await get('/v5/order/realtime', { key: { ...KEY, apiKey: 'NOPE' } });
    expect(b.body.retCode).toBe(10003);
  });

  it('10004 for a wrong secret or a signature over other bytes', async () => {
    expect((await get('/v5/order/realtime', { query: 'a=1', key: { ...KEY, secret: 'wrong' } })).body.retCode).toBe(10004);
    const sign = hmacHex(KEY.secret, `${clock.now()}${KEY.apiKey}5000a=2`);
    expect((await get('/v5/order/realtime', { query: 'a=1', sign })).body.retCode).toBe(10004);
    const a = await post('/v5/test/echo-post', '{"a":1}', { sign: hmacHex(KEY.secret, `${clock.now()}${KEY.apiKey}5000{"a": 1}`) });
    expect(a.body.retCode).toBe(10004);
  });

  it('10002 outside [now - recvWindow, now + 1000), with the numbers in the message', async () => {
    const now = clock.now();
    expect((await get('/v5/order/realtime', { ts: now - 5000 })).body.retCode).toBe(0);
    expect((await get('/v5/order/realtime', { ts: now + 999 })).body.retCode).toBe(0);
    const late = await get('/v5/order/realtime', { ts: now - 5001 });
    expect(late.body.retCode).toBe(10002);
    expect(late.body.retMsg).toBe(
      `invalid request, please check your server timestamp or recv_window param. req_timestamp[${now - 5001}],server_timestamp[${now}],recv_window[5000]`,
    );
    expect((await get('/v5/order/realtime', { ts: now + 1000 })).body.retCode).toBe(10002);
    expect((await get('/v5/order/realtime', { ts: now - 9000, recv: '10000' })).body.retCode).toBe(0);
    expect((await get('/v5/order/realtime', { ts: null })).body.retCode).toBe(10002);
    expect((await get('/v5/order/realtime', { ts: 'soon' })).body.retCode).toBe(10002);
  });

  it('no recv window header: signed with 5000', async () => {
    expect((await get('/v5/order/realtime', { recv: null, query: 'category=linear' })).body.retCode).toBe(0);
    expect((await get('/v5/order/realtime', { recv: 'abc' })).body.retCode).toBe(10001);
  });

  it('10005 for a read-only key on a write route; read routes are fine', async () => {
    const a = await post('/v5/order/create', { category: 'linear' }, { key: RO });
    expect(a.body.retCode).toBe(10005);
    expect(limitOf(a)).toEqual({ limit: 10, remaining: 10, resetAt: clock.now() }); // peeked, not taken
    expect((await get('/v5/order/realtime', { key: RO })).body.retCode).toBe(0);
    expect((await post('/v5/order/create', { category: 'linear' })).body.retCode).toBe(0);
  });

  it('the handler sees the key, the timestamp and the raw query', async () => {
    const q = 'category=linear&orderLinkId=a%20b%2Fc&symbol=BTCUSDT&empty=';
    const ts = clock.now() - 100;
    const a = await get('/v5/test/echo', { query: q, ts });
    expect(a.body.result).toEqual({
      query: { category: 'linear', orderLinkId: 'a b/c', symbol: 'BTCUSDT', empty: '' },
      rawQuery: q,
      uid: KEY.uid,
      signedAt: ts,
      now: clock.now(),
      granted: null,
    });
  });

  it('ccxt-style unencoded query verifies over the raw string', async () => {
    const q = 'symbol=BTCUSDT&category=linear&orderLinkId=ab:c,d';
    const a = await get('/v5/test/echo', { query: q });
    expect(a.body.retCode).toBe(0);
    expect(a.body.result.rawQuery).toBe(q);
    expect(a.body.result.query).toEqual({ symbol: 'BTCUSDT', category: 'linear', orderLinkId: 'ab:c,d' });
  });
});

describe('parsing', () => {
  it('GET with Content-Type: application/json and no body works (ccxt)', async () => {
    const a = await get('/v5/order/realtime', { query: 'category=linear', headers: { 'Content-Type': 'application/json' } });
    expect(a.body.retCode).toBe(0);
  });

  it('POST body: raw bytes verified, parsed once; any or no content type; empty body is {}', async () => {
    const raw = '{"category": "linear",\n "qty":"0.001"}';
    const a = await post('/v5/test/echo-post', raw);
    expect(a.body.retCode).toBe(0);
    expect(a.body.result.body).toEqual({ category: 'linear', qty: '0.001' });
    const b = await post('/v5/test/echo-post', raw, { headers: { 'Content-Type': 'text/plain' } });
    expect(b.body.result.body).toEqual({ category: 'linear', qty: '0.001' });
    const c = await post('/v5/test/echo-post', '');
    expect(c.body.retCode).toBe(0);
    expect(c.body.result.body).toEqual({});
    const d = await post('/v5/test/echo-post', { x: 'é€' });
    expect(d.body.result.body).toEqual({ x: 'é€' });
  });

  it('POST without content-type header', async () => {
    const body = '{"a":1}';
    const ts = String(clock.now());
    const res = await fetch(`${base}/v5/test/echo-post`, {
      method: 'POST',
      body: new TextEncoder().encode(body),
      headers: {
        'X-BAPI-API-KEY': KEY.apiKey,
        'X-BAPI-TIMESTAMP': ts,
        'X-BAPI-SIGN': hmacHex(KEY.secret, `${ts}${KEY.apiKey}5000${body}`),
      },
    });
    const a = await envelopeOf(res);
    expect(a.body.retCode).toBe(0);
    expect(a.body.result.body).toEqual({ a: 1 });
  });

  it('a repeated query key: 10001', async () => {
    const a = await get('/v5/test/echo', { query: 'symbol=A&symbol=B' });
    expect(a.body.retCode).toBe(10001);
    expect(a.body.retMsg).toBe('params error: repeated query parameter "symbol"');
    const b = await envelopeOf(await fetch(`${base}/v5/test/public-echo?x=1&x=2`));
    expect(b.body.retCode).toBe(10001);
  });

  it('public query: URLSearchParams decoding, raw string kept', async () => {
    const a = await envelopeOf(await fetch(`${base}/v5/test/public-echo?a=1+2&b=%E2%82%AC&c&d=x%zz&toString=1`));
    expect(a.body.result).toEqual({
      query: { a: '1 2', b: '€', c: '', d: 'x%zz', toString: '1' },
      rawQuery: 'a=1+2&b=%E2%82%AC&c&d=x%zz&toString=1',
      ip: '127.0.0.1',
    });
  });
});

describe('rate limits', () => {
  it('10006 (HTTP 200) once the per-UID endpoint limit is used, with all three headers', async () => {
    const now = clock.now();
    for (let i = 0; i < 3; i++) {
      const a = await get('/v5/test/limited');
      expect(a.body.retCode).toBe(0);
      expect(limitOf(a)).toEqual({ limit: 3, remaining: 2 - i, resetAt: i === 2 ? now + 1000 : now });
    }
    const over = await get('/v5/test/limited');
    expect(over.status).toBe(200);
    expect(over.body.retCode).toBe(10006);
    expect(over.body.retMsg).toBe('Too many visits!');
    expect(limitOf(over)).toEqual({ limit: 3, remaining: 0, resetAt: now + 1000 });
    // another uid has its own window
    expect((await get('/v5/test/limited', { key: RO })).body.retCode).toBe(0);
    clock.advance(999);
    expect((await get('/v5/test/limited')).body.retCode).toBe(10006);
    clock.advance(1);
    expect((await get('/v5/test/limited')).body.retCode).toBe(0);
  });

  it('public routes: per-IP limit, 10006 when exceeded', async () => {
    for (let i = 0; i < 4; i++) expect((await envelopeOf(await fetch(`${base}/v5/market/time`))).body.retCode).toBe(0);
    const a = await envelopeOf(await fetch(`${base}/v5/market/time`));
    expect(a.status).toBe(200);
    expect(a.body.retCode).toBe(10006);
    expect(limitOf(a)).toEqual({ limit: 4, remaining: 0, resetAt: clock.now() + 1000 });
    // the limit is per endpoint
    expect((await envelopeOf(await fetch(`${base}/v5/test/public-echo`))).body.retCode).toBe(0);
  });

  it('batch: charged per order; partial grant fails the tail individually; none left rejects the whole', async () => {
    const items = (n: number) => ({ category: 'linear', request: Array.from({ length: n }, (_, i) => ({ orderLinkId: `x${i}` })) });
    const a = await post('/v5/order/create-batch', items(4));
    expect(a.body.retCode).toBe(0);
    expect(limitOf(a).remaining).toBe(6);
    const b = await post('/v5/order/create-batch', items(8));
    expect(b.body.retCode).toBe(0);
    expect((b.body.result.list as Array<{ orderId: string }>).map((o) => o.orderId)).toEqual([
      'oid-0',
      'oid-1',
      'oid-2',
      'oid-3',
      'oid-4',
      'oid-5',
      '',
      '',
    ]);
    expect((b.body.retExtInfo.list as Array<{ code: number }>).map((o) => o.code)).toEqual([0, 0, 0, 0, 0, 0, 10006, 10006]);
    expect(limitOf(b)).toEqual({ limit: 10, remaining: 0, resetAt: clock.now() + 1000 });
    const c = await post('/v5/order/create-batch', items(3));
    expect(c.body.retCode).toBe(10006);
    // single creates share nothing with the batch endpoint
    expect((await post('/v5/order/create', { category: 'linear' })).body.retCode).toBe(0);
  });

  it('setLimits on the limiter applies to the running app', async () => {
    limiter.setLimits({ '/v5/test/limited': 1 });
    try {
      expect((await get('/v5/test/limited')).body.retCode).toBe(0);
      expect((await get('/v5/test/limited')).body.retCode).toBe(10006);
    } finally {
      limiter.setLimits({ '/v5/test/limited': 3 });
    }
  });
});

describe('hooks and delay', () => {
  it('journals every request with uid once authenticated', async () => {
    await post('/v5/test/echo-post', '{"a":1}', { query: 'z=1' });
    await get('/v5/order/realtime', { query: 'category=linear', key: { ...KEY, apiKey: 'NOPE' } });
    await fetch(`${base}/v5/nope?q=1`);
    await post('/v5/test/echo-post', '[1]');
    expect(journal).toEqual([
      { channel: 'rest', method: 'POST', path: '/v5/test/echo-post', uid: KEY.uid, query: 'z=1', body: '{"a":1}', at: clock.now() },
      { channel: 'rest', method: 'GET', path: '/v5/order/realtime', query: 'category=linear', at: clock.now() },
      { channel: 'rest', method: 'GET', path: '/v5/nope', query: 'q=1', at: clock.now() },
      { channel: 'rest', method: 'POST', path: '/v5/test/echo-post', query: '', body: '[1]', at: clock.now() },
    ]);
  });

  it('delayMs() holds every response back', async () => {
    delay = 60;
    const t0 = performance.now();
    const a = await get('/v5/order/realtime');
    const b = await envelopeOf(await fetch(`${base}/v5/nope`));
    const elapsed = performance.now() - t0;
    expect(a.body.retCode).toBe(0);
    expect(b.body.retCode).toBe(10017);
    expect(elapsed).toBeGreaterThanOrEqual(110);
  });
});

describe('logging', () => {
  it('logs unexpected exceptions (10016) to the given logger, nothing per request', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
    const app = createRestApp({ keys, clock, limiter: new RateLimiter({}), logger });
    app.privateGet('/v5/test/boom', () => {
      throw new Error('kaboom');
    });
    app.privateGet('/v5/test/ok', () => ({}));
    const savedBase = base;
    try {
      base = await listen(app);
      lines.length = 0; // fastify's own "Server listening" line
      expect((await get('/v5/test/ok')).body.retCode).toBe(0);
      expect(lines).toEqual([]);
      expect((await get('/v5/test/boom')).body.retCode).toBe(10016);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 50, msg: 'unexpected error in REST handler', url: '/v5/test/boom' });
      expect(JSON.stringify(lines[0])).toContain('kaboom');
    } finally {
      base = savedBase;
      await app.app.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Real clients on a real-time app (they sign with Date.now()).

describe('real clients', () => {
  let live: RestApp;
  let liveBase: string;

  beforeAll(async () => {
    live = createRestApp({ keys, clock: new SystemClock(), limiter: new RateLimiter(BYBIT_LINEAR_LIMITS), logger: false });
    live.publicGet('/v5/market/time', (ctx) => ({ timeSecond: String(Math.floor(ctx.now / 1000)), timeNano: `${ctx.now}000000` }));
    live.privateGet('/v5/order/realtime', (ctx) => ({ list: [], nextPageCursor: '', category: ctx.query.category ?? '', seen: ctx.query }));
    live.privatePost('/v5/order/create', (ctx) => ({ orderId: 'oid-1', orderLinkId: String(ctx.body.orderLinkId ?? ''), seen: ctx.body }), {
      write: true,
    });
    live.privatePost('/v5/order/cancel', () => {
      throw venueError('ORDER_NOT_FOUND');
    });
    liveBase = await listen(live);
  });

  afterAll(async () => {
    await live.app.close();
  });

  it('bybit-api RestClientV5 signs GET (encoded query) and POST and gets retCode 0 and the limit headers', async () => {
    const client = new RestClientV5({ key: KEY.apiKey, secret: KEY.secret, baseUrl: liveBase, parseAPIRateLimits: true });
    const open = await client.getActiveOrders({ category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'a b/c' });
    expect(open.retCode).toBe(0);
    expect(open.result.list).toEqual([]);
    expect((open.result as unknown as { seen: unknown }).seen).toEqual({ category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'a b/c' });
    expect(open.rateLimitApi).toMatchObject({ remainingRequests: 49, maxRequests: 50 });

    const created = await client.submitOrder({
      category: 'linear',
      symbol: 'BTCUSDT',
      side: 'Buy',
      orderType: 'Limit',
      qty: '0.001',
      price: '50000.5',
      orderLinkId: 'link-1',
    });
    expect(created.retCode).toBe(0);
    expect(created.result).toMatchObject({ orderId: 'oid-1', orderLinkId: 'link-1' });

    const time = await client.getServerTime();
    expect(time.retCode).toBe(0);

    const wrong = new RestClientV5({ key: KEY.apiKey, secret: 'wrong', baseUrl: liveBase });
    expect((await wrong.getActiveOrders({ category: 'linear' })).retCode).toBe(10004);
  });

  it('ccxt bybit signs GET and POST (unencoded query) and maps our retCodes to its exceptions', async () => {
    const ex = new ccxt.bybit({ apiKey: KEY.apiKey, secret: KEY.secret, enableRateLimit: false });
    ex.urls['api'] = { spot: liveBase, futures: liveBase, v2: liveBase, public: liveBase, private: liveBase };
    const open = (await ex.privateGetV5OrderRealtime({ category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'ab:c' })) as Envelope;
    expect(open.retCode).toBe(0);
    expect(open.result.seen).toEqual({ category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'ab:c' });
    const created = (await ex.privatePostV5OrderCreate({ category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'l-2' })) as Envelope;
    expect(created.retCode).toBe(0);
    expect(created.result.seen).toEqual({ category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'l-2' });
    await expect(ex.privatePostV5OrderCancel({ category: 'linear', orderId: 'x' })).rejects.toBeInstanceOf(ccxt.OrderNotFound);
    await expect(ex.privatePostV5OrderAmend({ category: 'linear', orderId: 'x' })).rejects.toBeInstanceOf(ccxt.BadRequest); // 404 → 10017
    const bad = new ccxt.bybit({ apiKey: KEY.apiKey, secret: 'wrong', enableRateLimit: false });
    bad.urls['api'] = { public: liveBase, private: liveBase };
    await expect(bad.privateGetV5OrderRealtime({ category: 'linear' })).rejects.toBeInstanceOf(ccxt.AuthenticationError);
  });
});
