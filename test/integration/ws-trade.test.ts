/**
 * /v5/trade over real sockets: auth in the trade shape, order.create/amend/cancel and the three batch ops, the
 * response envelope and headers, business errors, duplicate reqId, the recv-window rule, shared rate limits.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebsocketClient } from 'bybit-api';
import { startHarness, ccxtPro, authArgs, limit, type Harness, type TestClient } from './helpers/ws-harness.ts';
import { ManualClock } from '../../sim-exchange/clock.ts';
import { RateLimiter, BYBIT_LINEAR_LIMITS, BYBIT_DEFAULT_LIMIT } from '../../sim-exchange/bybit-v5/rate-limit.ts';
import { CATALOGUE } from '../../sim-exchange/bybit-v5/errors.ts';

const SYM = 'BTCUSDT';
const T0 = 1_700_000_000_000;
const RESPONSE_KEYS = ['reqId', 'retCode', 'retMsg', 'op', 'data', 'retExtInfo', 'header', 'connId'];
const HEADER_KEYS = ['X-Bapi-Limit', 'X-Bapi-Limit-Status', 'X-Bapi-Limit-Reset-Timestamp', 'Traceid', 'Timenow'];

let h: Harness;
let clock: ManualClock;
let limiter: RateLimiter;
beforeEach(async () => {
  clock = new ManualClock(T0);
  limiter = new RateLimiter(BYBIT_LINEAR_LIMITS, BYBIT_DEFAULT_LIMIT);
  h = await startHarness({ clock, limiter });
});
afterEach(async () => {
  await h.close();
});

async function login(acct: { apiKey: string; secret: string }): Promise<TestClient> {
  const c = await h.connect('/v5/trade');
  c.send({ op: 'auth', args: authArgs(acct.apiKey, acct.secret, clock.now() + 5000) });
  const r = await c.nextWith({ op: 'auth' });
  expect(r.text).toBe(`{"retCode":0,"retMsg":"OK","op":"auth","connId":"${r.json.connId}"}`);
  return c;
}

let reqSeq = 0;
function call(c: TestClient, op: string, args: unknown, extra: { reqId?: string | number; header?: unknown } = {}): Promise<any> {
  const reqId = 'reqId' in extra ? extra.reqId : `r-${++reqSeq}`;
  const frame: Record<string, unknown> = {
    op,
    args,
    header: 'header' in extra ? extra.header : { 'X-BAPI-TIMESTAMP': String(clock.now()), 'X-BAPI-RECV-WINDOW': '5000', Referer: 'bot-001' },
  };
  if (reqId !== undefined) frame['reqId'] = reqId;
  c.send(frame);
  return c.next((m) => m.json?.op === op && m.json.reqId === reqId, `${op} ${String(reqId)}`).then((m) => m.json);
}

const order = (over: Record<string, unknown> = {}) => ({
  category: 'linear', symbol: SYM, side: 'Buy', orderType: 'Limit', qty: '0.001', price: '59000', timeInForce: 'GTC', ...over,
});

function expectShape(r: any, op: string, retCode: number): void {
  expect(Object.keys(r)).toEqual(r.reqId === undefined ? RESPONSE_KEYS.slice(1) : RESPONSE_KEYS);
  expect(Object.keys(r.header)).toEqual(HEADER_KEYS);
  expect(r.op).toBe(op);
  expect(r.retCode).toBe(retCode);
  expect(r.header.Timenow).toBe(String(clock.now()));
  expect(r.header.Traceid).toMatch(/^[0-9a-f]+$/);
  for (const k of HEADER_KEYS.slice(0, 3)) expect(r.header[k]).toMatch(/^\d+$/);
  if (retCode !== 0) {
    expect(r.data).toEqual({});
    expect(r.retExtInfo).toEqual({});
  }
}

describe('auth and ping', () => {
  it('authenticates in the trade shape; repeat auth is 20001; bad sign 10004; expired 10002; unknown key 10003', async () => {
    const a = h.account();
    const c = await login(a);
    c.send({ op: 'auth', args: authArgs(a.apiKey, a.secret, T0 + 5000) });
    expect((await c.nextWith({ op: 'auth' })).json).toEqual({ retCode: 20001, retMsg: 'Repeat auth', op: 'auth', connId: expect.any(String) });
    const d = await h.connect('/v5/trade');
    const bad: [unknown, number][] = [
      [[a.apiKey, T0 + 5000, 'f'.repeat(64)], 10004],
      [authArgs(a.apiKey, a.secret, T0 - 5, true), 10002],
      [authArgs('nobody-key', 'x', T0 + 5000), 10003],
      [[1, 2, 3], 10001],
    ];
    for (const [args, code] of bad) {
      d.send({ op: 'auth', args, reqId: `auth-${code}` });
      const r = (await d.nextWith({ op: 'auth', reqId: `auth-${code}` })).json;
      expect(r).toMatchObject({ retCode: code, op: 'auth' });
      expect(r.retCode).not.toBe(0);
    }
    const r = await call(d, 'order.create', [order()]);
    expectShape(r, 'order.create', CATALOGUE.WS_NOT_AUTHED.retCode);
    expect(r.retMsg).toBe(CATALOGUE.WS_NOT_AUTHED.retMsg);
  });

  it('answers ping with the trade pong (compact, "op":"pong")', async () => {
    const c = await h.connect('/v5/trade');
    c.send('{"op":"ping"}');
    const p = await c.next();
    expect(p.text).toBe(`{"retCode":0,"retMsg":"OK","op":"pong","data":["${T0}"],"connId":"${p.json.connId}"}`);
    c.send({ op: 'ping', reqId: 'k' });
    expect((await c.next()).json).toMatchObject({ op: 'pong', reqId: 'k' });
    c.send('nonsense');
    expect((await c.next()).json).toEqual({ retCode: 10001, retMsg: 'error:request is not valid JSON', op: '', data: {}, connId: p.json.connId });
  });
});

describe('order ops', () => {
  it('creates, amends and cancels with the documented response and headers', async () => {
    const a = h.account();
    const c = await login(a);
    const r = await call(c, 'order.create', [order({ orderLinkId: 'ws-1' })], { reqId: 'test-005' });
    expectShape(r, 'order.create', 0);
    expect(r).toMatchObject({ reqId: 'test-005', retMsg: 'OK', data: { orderId: expect.any(String), orderLinkId: 'ws-1' }, retExtInfo: {} });
    expect(r.header).toMatchObject({ 'X-Bapi-Limit': '10', 'X-Bapi-Limit-Status': '9', 'X-Bapi-Limit-Reset-Timestamp': String(T0) });
    const rec = h.venue.orders.find(a.uid, r.data.orderId)!;
    expect(rec).toMatchObject({ status: 'New', price: 590_000, qty: 1, signedAt: T0 });

    const am = await call(c, 'order.amend', [{ category: 'linear', symbol: SYM, orderLinkId: 'ws-1', qty: '0.003' }], { reqId: 7 });
    expectShape(am, 'order.amend', 0);
    expect(am).toMatchObject({ reqId: 7, data: { orderId: rec.orderId, orderLinkId: 'ws-1' } });
    expect(rec.qty).toBe(3);

    const cx = await call(c, 'order.cancel', [{ category: 'linear', symbol: SYM, orderId: rec.orderId }]);
    expectShape(cx, 'order.cancel', 0);
    expect(rec.status).toBe('Cancelled');

    // No reqId: the response carries none.
    c.send({ op: 'order.create', args: [order()], header: { 'X-BAPI-TIMESTAMP': T0, 'X-BAPI-RECV-WINDOW': 8000 } });
    const noId = (await c.next((m) => m.json?.op === 'order.create')).json;
    expectShape(noId, 'order.create', 0);
    expect('reqId' in noId).toBe(false);
  });

  it('runs create-batch, amend-batch and cancel-batch item by item, like REST', async () => {
    const a = h.account();
    const c = await login(a);
    const cb = await call(c, 'order.create-batch', [
      { category: 'linear', request: [order({ orderLinkId: 'b1' }), order({ qty: '0.0001', orderLinkId: 'b2' }), order({ orderLinkId: 'b3', price: '58000' })] },
    ]);
    expectShape(cb, 'order.create-batch', 0);
    expect(cb.data.list).toHaveLength(3);
    expect(cb.retExtInfo.list.map((x: { code: number }) => x.code)).toEqual([0, 10001, 0]);
    expect(cb.data.list[1]).toMatchObject({ orderId: '', orderLinkId: 'b2' });
    expect(cb.header['X-Bapi-Limit-Status']).toBe('7');
    const [id1, , id3] = cb.data.list.map((x: { orderId: string }) => x.orderId);
    const ab = await call(c, 'order.amend-batch', [
      { category: 'linear', request: [{ symbol: SYM, orderId: id1, price: '59001' }, { symbol: SYM, orderId: 'nope', qty: '0.002' }] },
    ]);
    expectShape(ab, 'order.amend-batch', 0);
    expect(ab.retExtInfo.list.map((x: { code: number }) => x.code)).toEqual([0, 110001]);
    expect(h.venue.orders.find(a.uid, id1)!.price).toBe(590_010);
    const xb = await call(c, 'order.cancel-batch', [{ category: 'linear', request: [{ symbol: SYM, orderId: id1 }, { symbol: SYM, orderLinkId: 'b3' }] }]);
    expectShape(xb, 'order.cancel-batch', 0);
    expect(xb.data.list.map((x: { orderId: string }) => x.orderId)).toEqual([id1, id3]);
    expect([...h.venue.orders.openOf(a.uid)]).toEqual([]);
  });

  it('answers business and request errors in the same shape with data {}', async () => {
    const a = h.account();
    const c = await login(a);
    const cases: [string, unknown, number][] = [
      ['order.cancel', [{ category: 'linear', symbol: SYM, orderId: 'missing' }], 110001],
      ['order.create', [order(), order()], 10001],
      ['order.create', 'x', 10001],
      ['order.create', [[order()]], 10001],
      ['order.create', [order({ price: '59000.05' })], 10001],
      ['order.create', [order({ symbol: 'DOGEUSDT' })], 10001],
      ['order.create-batch', [{ category: 'linear', request: [] }], 10001],
      ['order.explode', [order()], 10404],
    ];
    for (const [op, args, code] of cases) {
      const r = await call(c, op, args);
      expectShape(r, op, code);
    }
    expect((await call(c, 'order.explode', [])).retMsg).toMatch(/^op not supported/);
    expect([...h.venue.orders.openOf(a.uid)]).toEqual([]);
  });

  it('refuses a reused reqId on one connection with 20006 (another connection may reuse it)', async () => {
    const a = h.account();
    const c = await login(a);
    expect((await call(c, 'order.create', [order()], { reqId: 'same' })).retCode).toBe(0);
    const dup = await call(c, 'order.create', [order()], { reqId: 'same' });
    expectShape(dup, 'order.create', 20006);
    expect(dup.retMsg).toBe(CATALOGUE.WS_DUP_REQ_ID.retMsg);
    expect((await call(c, 'order.create', [order()], { reqId: 'x'.repeat(37) })).retCode).toBe(10001);
    const d = await login(a);
    expect((await call(d, 'order.create', [order()], { reqId: 'same' })).retCode).toBe(0);
    expect([...h.venue.orders.openOf(a.uid)]).toHaveLength(2);
  });

  it('applies the REST recv-window rule to the header timestamp (10002 with the standard message)', async () => {
    const a = h.account();
    const c = await login(a);
    const stale = await call(c, 'order.create', [order()], { header: { 'X-BAPI-TIMESTAMP': String(T0 - 5001), 'X-BAPI-RECV-WINDOW': '5000' } });
    expectShape(stale, 'order.create', 10002);
    expect(stale.retMsg).toBe(
      `invalid request, please check your server timestamp or recv_window param. req_timestamp[${T0 - 5001}],server_timestamp[${T0}],recv_window[5000]`,
    );
    expect((await call(c, 'order.create', [order()], { header: { 'X-BAPI-TIMESTAMP': String(T0 + 1000) } })).retCode).toBe(10002);
    expect((await call(c, 'order.create', [order()], { header: undefined })).retCode).toBe(10002);
    expect((await call(c, 'order.create', [order()], { header: { 'X-BAPI-TIMESTAMP': String(T0), 'X-BAPI-RECV-WINDOW': 'abc' } })).retCode).toBe(10001);
    expect((await call(c, 'order.create', [order()], { header: { 'X-BAPI-TIMESTAMP': String(T0 + 999) } })).retCode).toBe(0);
    expect((await call(c, 'order.create', [order()], { header: { 'X-BAPI-TIMESTAMP': String(T0 - 8000), 'X-BAPI-RECV-WINDOW': '8000' } })).retCode).toBe(0);
  });

  it('shares per-UID rate limits with REST (same limiter, same endpoints; batches take one unit per item)', async () => {
    const a = h.account();
    const c = await login(a);
    limiter.take(a.uid, '/v5/order/create', T0, 9); // as if REST had placed 9 orders this second
    const ok = await call(c, 'order.create', [order()]);
    expect(ok.retCode).toBe(0);
    expect(ok.header['X-Bapi-Limit-Status']).toBe('0');
    const limited = await call(c, 'order.create', [order()]);
    expectShape(limited, 'order.create', 10006);
    expect(limited.header).toMatchObject({ 'X-Bapi-Limit': '10', 'X-Bapi-Limit-Status': '0', 'X-Bapi-Limit-Reset-Timestamp': String(T0 + 1000) });
    expect(limiter.take(a.uid, '/v5/order/create', T0).granted).toBe(0);

    limiter.take(a.uid, '/v5/order/create-batch', T0, 8);
    const batch = await call(c, 'order.create-batch', [{ category: 'linear', request: [order(), order(), order()] }]);
    expect(batch.retCode).toBe(0);
    expect(batch.retExtInfo.list.map((x: { code: number }) => x.code)).toEqual([0, 0, 10006]);
    clock.advance(1000);
    expect((await call(c, 'order.create', [order()])).retCode).toBe(0);
  });

  it('refuses order ops from a read-only key with 10005', async () => {
    h.venue.createAccount({ apiKey: 'readonly-key', secret: 'readonly-secret', balance: '1000', readOnly: true });
    const c = await login({ apiKey: 'readonly-key', secret: 'readonly-secret' });
    expectShape(await call(c, 'order.create', [order()]), 'order.create', 10005);
  });
});

describe('real clients', () => {
  it('bybit-api sendWSAPIRequest places and cancels over /v5/trade', async () => {
    await h.close();
    h = await startHarness();
    const a = h.account();
    const ws = new WebsocketClient({ key: a.apiKey, secret: a.secret, wsUrl: h.url('/v5/trade') });
    try {
      const r: any = await ws.sendWSAPIRequest('v5PrivateTrade', 'order.create', {
        category: 'linear', symbol: SYM, side: 'Buy', orderType: 'Limit', qty: '0.001', price: '59000',
      });
      expect(r).toMatchObject({ retCode: 0, op: 'order.create', data: { orderId: expect.any(String) } });
      const x: any = await ws.sendWSAPIRequest('v5PrivateTrade', 'order.cancel', { category: 'linear', symbol: SYM, orderId: r.data.orderId });
      expect(x.retCode).toBe(0);
      await expect(
        ws.sendWSAPIRequest('v5PrivateTrade', 'order.cancel', { category: 'linear', symbol: SYM, orderId: r.data.orderId }),
      ).rejects.toMatchObject({ retCode: 110008 });
    } finally {
      ws.closeAll(true);
    }
  });

  it('ccxt.pro createOrderWs / cancelOrderWs', async () => {
    await h.close();
    h = await startHarness();
    const a = h.account();
    const m = h.venue.place(h.account('mm').uid, limit(SYM, -1, 600_000, 5));
    expect(m.status).toBe('New');
    const ex = await ccxtPro(h.url(''), { apiKey: a.apiKey, secret: a.secret });
    try {
      const o = await ex.createOrderWs('BTC/USDT:USDT', 'limit', 'buy', 0.001, 59000, { clientOrderId: 'ccxt-ws-1' });
      const id = String(o.id);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(h.venue.orders.find(a.uid, id)!.orderLinkId).toBe('ccxt-ws-1');
      await ex.cancelOrderWs(id, 'BTC/USDT:USDT');
      expect(h.venue.orders.find(a.uid, id)!.status).toBe('Cancelled');
      await expect(ex.cancelOrderWs(id, 'BTC/USDT:USDT')).rejects.toThrow(/110008|completed or cancelled/);
    } finally {
      await ex.close();
    }
  });
});
