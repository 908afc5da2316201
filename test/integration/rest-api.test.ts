/**
 * Every REST endpoint of reference §3 over a real socket: createRestApp + registerRoutes on 127.0.0.1:0, a Venue on a
 * ManualClock, requests signed exactly like §2 (HMAC over ts + key + recvWindow + raw query/body). The clock moves
 * 101 ms per request so Bybit's per-second limits never interfere unless a test wants them to.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Venue } from '../../sim-exchange/venue/venue.ts';
import { ManualClock } from '../../sim-exchange/clock.ts';
import { DEFAULT_INSTRUMENTS } from '../../sim-exchange/instruments.ts';
import { RateLimiter, BYBIT_LINEAR_LIMITS, BYBIT_DEFAULT_LIMIT } from '../../sim-exchange/bybit-v5/rate-limit.ts';
import { createRestApp } from '../../sim-exchange/bybit-v5/rest/http.ts';
import { registerRoutes } from '../../sim-exchange/bybit-v5/rest/routes.ts';
import { hmacHex } from '../../sim-exchange/bybit-v5/auth.ts';

interface Key {
  apiKey: string;
  secret: string;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
interface Envelope {
  retCode: number;
  retMsg: string;
  result: Json;
  retExtInfo: Json;
  time: number;
}

const MAKER: Key = { apiKey: 'makerKey01', secret: 'makerSecret01' };
const TAKER: Key = { apiKey: 'takerKey01', secret: 'takerSecret01' };
const POOR: Key = { apiKey: 'poorKey001', secret: 'poorSecret01' };
const RO: Key = { apiKey: 'readOnlyKey1', secret: 'readOnlySecret1' };

const clock = new ManualClock(1_700_000_000_000);
const venue = new Venue({ instruments: DEFAULT_INSTRUMENTS, clock, seed: 7 });
const limiter = new RateLimiter(BYBIT_LINEAR_LIMITS, BYBIT_DEFAULT_LIMIT);
const rest = createRestApp({ keys: { byKey: (k) => venue.accountByKey(k) }, clock, limiter, logger: false });
let bookU = 0;
registerRoutes(rest, venue, { bookUpdateId: () => bookU });
let base = '';
const uids: Record<string, number> = {};

beforeAll(async () => {
  await rest.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(rest.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await rest.app.close();
});
beforeEach(() => {
  venue.reset();
  limiter.reset();
  rest.publicLimiter.reset();
  bookU = 0;
  const fees = { balance: '100000', makerFeeRate: '-0.0001', takerFeeRate: '0.0006' };
  uids.maker = venue.createAccount({ ...MAKER, ...fees }).uid;
  uids.taker = venue.createAccount({ ...TAKER, ...fees }).uid;
  uids.poor = venue.createAccount({ ...POOR, ...fees, balance: '50' }).uid;
  uids.ro = venue.createAccount({ ...RO, ...fees, readOnly: true }).uid;
});

async function parse(res: Response): Promise<Envelope> {
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/json');
  const j = (await res.json()) as Envelope;
  expect(typeof j.retCode).toBe('number');
  expect(typeof j.time).toBe('number');
  return j;
}

function qs(q: Record<string, string | number>): string {
  return Object.entries(q).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
}

async function pub(path: string, q: Record<string, string | number> = {}): Promise<Envelope> {
  clock.advance(101);
  const s = qs(q);
  return parse(await fetch(`${base}${path}${s ? `?${s}` : ''}`));
}

function headers(key: Key, payload: string): Record<string, string> {
  const ts = String(clock.now());
  return {
    'X-BAPI-API-KEY': key.apiKey,
    'X-BAPI-TIMESTAMP': ts,
    'X-BAPI-RECV-WINDOW': '5000',
    'X-BAPI-SIGN': hmacHex(key.secret, ts + key.apiKey + '5000' + payload),
    'X-BAPI-SIGN-TYPE': '2',
    'Content-Type': 'application/json',
  };
}

async function get(key: Key, path: string, q: Record<string, string | number> = {}): Promise<Envelope> {
  clock.advance(101);
  const s = qs(q);
  return parse(await fetch(`${base}${path}${s ? `?${s}` : ''}`, { headers: headers(key, s) }));
}

const postSigned = (key: Key, path: string, body: unknown) => post(key, path, body);

async function post(key: Key, path: string, body: unknown, o: { advance?: boolean } = {}): Promise<Envelope> {
  if (o.advance !== false) clock.advance(101);
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return parse(await fetch(`${base}${path}`, { method: 'POST', headers: headers(key, text), body: text }));
}

const ok = (e: Envelope) => {
  expect(e.retMsg === 'OK' || e.retMsg === 'success' ? e.retCode : e.retMsg).toBe(0);
  return e.result;
};

function expectError(e: Envelope, code: number, msgPart?: string | RegExp): void {
  expect(e.retCode, e.retMsg).toBe(code);
  if (msgPart !== undefined) expect(e.retMsg).toMatch(msgPart);
}

const limit = (side: 'Buy' | 'Sell', price: string, qty: string, extra: Record<string, unknown> = {}) => ({
  category: 'linear', symbol: 'BTCUSDT', side, orderType: 'Limit', qty, price, ...extra,
});

async function place(key: Key, body: Record<string, unknown>): Promise<{ orderId: string; orderLinkId: string }> {
  return ok(await post(key, '/v5/order/create', body));
}

async function orderById(key: Key, orderId: string): Promise<Json> {
  const r = ok(await get(key, '/v5/order/realtime', { category: 'linear', symbol: 'BTCUSDT', orderId }));
  expect(r.list).toHaveLength(1);
  return r.list[0];
}

/** Maker quotes 29990.0 / 30010.0, 0.100 each side. */
async function seedBook(): Promise<{ bid: string; ask: string }> {
  const bid = (await place(MAKER, limit('Buy', '29990.0', '0.100'))).orderId;
  const ask = (await place(MAKER, limit('Sell', '30010.0', '0.100'))).orderId;
  return { bid, ask };
}

const openCount = (uid: number) => [...venue.orders.openOf(uid)].length;

// =====================================================================================================================

describe('market data (public)', () => {
  it('GET /v5/market/time', async () => {
    const e = await pub('/v5/market/time');
    const r = ok(e);
    expect(r.timeSecond).toBe(String(Math.floor(clock.now() / 1000)));
    expect(r.timeNano).toBe(`${clock.now()}000000`);
    expect(e.time).toBe(clock.now());
  });

  it('GET /v5/market/instruments-info: linear items with Bybit fields, filters, pagination, unlisted categories', async () => {
    const r = ok(await pub('/v5/market/instruments-info', { category: 'linear' }));
    expect(r.category).toBe('linear');
    expect(r.nextPageCursor).toBe('');
    expect(r.list.map((i: Json) => i.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
    const btc = r.list[0];
    expect(Object.keys(btc).sort()).toEqual(
      ['symbol', 'contractType', 'status', 'baseCoin', 'quoteCoin', 'launchTime', 'deliveryTime', 'deliveryFeeRate', 'priceScale',
        'leverageFilter', 'priceFilter', 'lotSizeFilter', 'unifiedMarginTrade', 'fundingInterval', 'settleCoin', 'copyTrading',
        'upperFundingRate', 'lowerFundingRate', 'isPreListing', 'preListingInfo', 'riskParameters', 'symbolType'].sort(),
    );
    expect(btc).toMatchObject({
      contractType: 'LinearPerpetual', status: 'Trading', baseCoin: 'BTC', quoteCoin: 'USDT', settleCoin: 'USDT', priceScale: '2',
      priceFilter: { minPrice: '0.10', maxPrice: '1999999.80', tickSize: '0.10' },
      lotSizeFilter: { minOrderQty: '0.001', maxOrderQty: '1190.000', qtyStep: '0.001', maxMktOrderQty: '500.000', minNotionalValue: '5' },
      unifiedMarginTrade: true, fundingInterval: 480, isPreListing: false, preListingInfo: null,
    });

    const one = ok(await pub('/v5/market/instruments-info', { category: 'linear', symbol: 'ETHUSDT' }));
    expect(one.list.map((i: Json) => i.symbol)).toEqual(['ETHUSDT']);
    const byBase = ok(await pub('/v5/market/instruments-info', { category: 'linear', baseCoin: 'BTC' }));
    expect(byBase.list.map((i: Json) => i.symbol)).toEqual(['BTCUSDT']);
    const pre = ok(await pub('/v5/market/instruments-info', { category: 'linear', limit: 1000, status: 'PreLaunch' }));
    expect(pre.list).toEqual([]);

    const p1 = ok(await pub('/v5/market/instruments-info', { category: 'linear', limit: 1 }));
    expect(p1.list.map((i: Json) => i.symbol)).toEqual(['BTCUSDT']);
    expect(p1.nextPageCursor).not.toBe('');
    const p2 = ok(await pub('/v5/market/instruments-info', { category: 'linear', limit: 1, cursor: p1.nextPageCursor }));
    expect(p2.list.map((i: Json) => i.symbol)).toEqual(['ETHUSDT']);
    expect(p2.nextPageCursor).toBe('');

    for (const category of ['spot', 'inverse', 'option']) {
      expect(ok(await pub('/v5/market/instruments-info', { category, baseCoin: 'BTC' }))).toEqual({ category, list: [], nextPageCursor: '' });
    }
    expectError(await pub('/v5/market/instruments-info', {}), 10001, /category is required/);
    expectError(await pub('/v5/market/instruments-info', { category: 'futures' }), 10001, /category/);
    expectError(await pub('/v5/market/instruments-info', { category: 'linear', limit: 0 }), 10001, /limit/);
    expectError(await pub('/v5/market/instruments-info', { category: 'linear', cursor: 'garbage!' }), 10001, /cursor/);
    expectError(await pub('/v5/market/instruments-info', { category: 'linear', foo: '1' }), 10001, /"foo"/);
  });

  it('GET /v5/market/orderbook: sorted levels, limit, u/seq/ts/cts, errors', async () => {
    await seedBook();
    await place(MAKER, limit('Buy', '29980.0', '0.200'));
    await place(MAKER, limit('Sell', '30020.0', '0.300'));
    bookU = 4242;
    const e = await pub('/v5/market/orderbook', { category: 'linear', symbol: 'BTCUSDT' });
    const r = ok(e);
    expect(r.s).toBe('BTCUSDT');
    expect(r.b).toEqual([['29990.00', '0.100'], ['29980.00', '0.200']]);
    expect(r.a).toEqual([['30010.00', '0.100'], ['30020.00', '0.300']]);
    expect(r.u).toBe(4242);
    expect(r.seq).toBe(venue.book('BTCUSDT').seq);
    expect(r.ts).toBe(e.time);
    expect(r.cts).toBe(e.time);
    const top = ok(await pub('/v5/market/orderbook', { category: 'linear', symbol: 'BTCUSDT', limit: 1 }));
    expect(top.b).toHaveLength(1);
    expect(top.a).toHaveLength(1);
    expectError(await pub('/v5/market/orderbook', { category: 'linear', symbol: 'BTCUSDT', limit: 1001 }), 10001, /limit/);
    expectError(await pub('/v5/market/orderbook', { category: 'linear' }), 10001, /symbol/);
    expectError(await pub('/v5/market/orderbook', { category: 'spot', symbol: 'BTCUSDT' }), 10001, /Not supported symbols/);
    expectError(await pub('/v5/market/orderbook', { category: 'linear', symbol: 'DOGEUSDT' }), 10001, /Not supported symbols/);
  });

  it('GET /v5/market/tickers: all or one, linear shape', async () => {
    await seedBook();
    const all = ok(await pub('/v5/market/tickers', { category: 'linear' }));
    expect(all.list.map((t: Json) => t.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
    const one = ok(await pub('/v5/market/tickers', { category: 'linear', symbol: 'BTCUSDT' }));
    expect(one.list).toHaveLength(1);
    const t = one.list[0];
    expect(t).toMatchObject({ symbol: 'BTCUSDT', bid1Price: '29990.00', ask1Price: '30010.00', bid1Size: '0.100', ask1Size: '0.100' });
    expect(t.openInterestValue).not.toBe('');
    expect(t).not.toHaveProperty('tickDirection');
    expect(ok(await pub('/v5/market/tickers', { category: 'spot' }))).toEqual({ category: 'spot', list: [] });
    expectError(await pub('/v5/market/tickers', { category: 'spot', symbol: 'BTCUSDT' }), 10001, /Not supported symbols/);
    expectError(await pub('/v5/market/tickers', { category: 'linear', symbol: 'NOPEUSDT' }), 10001, /Not supported symbols/);
  });

  it('GET /v5/market/recent-trade and /v5/market/kline after trades', async () => {
    await seedBook();
    const t0 = clock.now();
    await place(TAKER, limit('Buy', '30010.0', '0.010', { timeInForce: 'IOC' }));
    clock.advance(60_000);
    await place(TAKER, limit('Sell', '29990.0', '0.020', { timeInForce: 'IOC' }));

    const rt = ok(await pub('/v5/market/recent-trade', { category: 'linear', symbol: 'BTCUSDT' }));
    expect(rt.list).toHaveLength(2);
    expect(rt.list[0]).toMatchObject({ symbol: 'BTCUSDT', price: '29990.00', size: '0.020', side: 'Sell', isBlockTrade: false, isRPITrade: false });
    expect(rt.list[1]).toMatchObject({ price: '30010.00', size: '0.010', side: 'Buy' });
    expect(Number(rt.list[0].time)).toBeGreaterThan(Number(rt.list[1].time));
    expect(ok(await pub('/v5/market/recent-trade', { category: 'linear', symbol: 'BTCUSDT', limit: 1 })).list).toHaveLength(1);
    expectError(await pub('/v5/market/recent-trade', { category: 'linear', symbol: 'BTCUSDT', limit: 1001 }), 10001, /limit/);
    expectError(await pub('/v5/market/recent-trade', { category: 'linear' }), 10001, /symbol/);

    const k = ok(await pub('/v5/market/kline', { category: 'linear', symbol: 'BTCUSDT', interval: '1' }));
    expect(k.symbol).toBe('BTCUSDT');
    expect(k.category).toBe('linear');
    expect(k.list).toHaveLength(2);
    for (const row of k.list) {
      expect(row).toHaveLength(7);
      for (const v of row) expect(typeof v).toBe('string');
    }
    expect(Number(k.list[0][0])).toBeGreaterThan(Number(k.list[1][0]));
    expect(k.list[1]).toEqual([String(Math.floor(t0 / 60_000) * 60_000), '30010.00', '30010.00', '30010.00', '30010.00', '0.010', '300.10']);
    const k1 = ok(await pub('/v5/market/kline', { symbol: 'BTCUSDT', interval: '1', limit: 1 }));
    expect(k1.list).toHaveLength(1);
    expectError(await pub('/v5/market/kline', { category: 'linear', symbol: 'BTCUSDT', interval: '2' }), 10001, /interval/);
    expectError(await pub('/v5/market/kline', { category: 'linear', symbol: 'BTCUSDT' }), 10001, /interval/);
  });
});

// =====================================================================================================================

describe('order entry', () => {
  it('create → realtime shows the order with linear fields; orderLinkId echoed', async () => {
    const r = await place(MAKER, limit('Buy', '29000.0', '0.010', { orderLinkId: 'my-order_1' }));
    expect(r.orderLinkId).toBe('my-order_1');
    expect(r.orderId).toMatch(/^[0-9a-f-]{36}$/);
    const o = await orderById(MAKER, r.orderId);
    expect(o).toMatchObject({
      orderId: r.orderId, orderLinkId: 'my-order_1', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', price: '29000.00',
      qty: '0.010', orderStatus: 'New', timeInForce: 'GTC', leavesQty: '0.010', cumExecQty: '0.000', tpslMode: '', positionIdx: 0,
    });
  });

  it('accepts documented-but-unsupported fields when empty/default, numbers that convert exactly, ccxt body shape', async () => {
    await place(MAKER, limit('Buy', '29000.0', '0.010', {
      takeProfit: '', stopLoss: '0', positionIdx: 0, orderFilter: 'Order', closeOnTrigger: false, reduceOnly: false,
      smpType: 'None', timeInForce: 'GTC', isLeverage: 0, tpslMode: '',
    }));
    const n = await place(MAKER, { category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: 0.01, price: 29000.1 });
    const o = await orderById(MAKER, n.orderId);
    expect(o.price).toBe('29000.10');
    expect(o.qty).toBe('0.010');
    // ccxt's PostOnly body (key order and all) from reference §3.2.
    await place(MAKER, { symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', timeInForce: 'PostOnly', orderLinkId: 'abc', price: '28000', category: 'linear', qty: '0.001' });
  });

  it('PostOnly crossing: accepted, then Cancelled with EC_PostOnlyWillTakeLiquidity', async () => {
    await seedBook();
    const r = await place(TAKER, limit('Buy', '30010.0', '0.010', { timeInForce: 'PostOnly' }));
    const o = await orderById(TAKER, r.orderId);
    expect(o).toMatchObject({ orderStatus: 'Cancelled', rejectReason: 'EC_PostOnlyWillTakeLiquidity', cumExecQty: '0.000', timeInForce: 'PostOnly' });
    expect(venue.ledger.size).toBe(0);
  });

  it('partial fills: maker PartiallyFilled, executions on both sides, positions', async () => {
    const { ask } = await seedBook();
    const t = await place(TAKER, limit('Buy', '30010.0', '0.040'));
    expect((await orderById(TAKER, t.orderId)).orderStatus).toBe('Filled');
    const m = await orderById(MAKER, ask);
    expect(m).toMatchObject({ orderStatus: 'PartiallyFilled', leavesQty: '0.060', cumExecQty: '0.040', avgPrice: '30010.00' });

    const me = ok(await get(MAKER, '/v5/execution/list', { category: 'linear', symbol: 'BTCUSDT', execType: 'Trade' }));
    expect(me.list).toHaveLength(1);
    expect(me.list[0]).toMatchObject({ orderId: ask, isMaker: true, execQty: '0.040', execPrice: '30010.00', execType: 'Trade', createType: 'CreateByUser', feeRate: '-0.0001', execFee: '-0.12004' });
    const te = ok(await get(TAKER, '/v5/execution/list', { category: 'linear', symbol: 'BTCUSDT' }));
    expect(te.list[0]).toMatchObject({ orderId: t.orderId, isMaker: false, feeRate: '0.0006', execFee: '0.72024', side: 'Buy' });

    const pos = ok(await get(TAKER, '/v5/position/list', { category: 'linear', symbol: 'BTCUSDT' }));
    expect(pos.list[0]).toMatchObject({ symbol: 'BTCUSDT', side: 'Buy', size: '0.040', positionIdx: 0 });
    const mpos = ok(await get(MAKER, '/v5/position/list', { category: 'linear', settleCoin: 'USDT' }));
    expect(mpos.list).toHaveLength(1);
    expect(mpos.list[0]).toMatchObject({ side: 'Sell', size: '0.040' });
  });

  it('Market orders are IOC', async () => {
    await seedBook();
    const r = await place(TAKER, { category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '0.150', timeInForce: 'GTC' });
    const o = await orderById(TAKER, r.orderId);
    expect(o).toMatchObject({ orderType: 'Market', timeInForce: 'IOC', orderStatus: 'Cancelled', cumExecQty: '0.100', rejectReason: 'EC_NoImmediateQtyToFill' });
  });

  it('refusals: decimals, types, unknown and unsupported fields, categories, symbols, link ids, tif', async () => {
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [limit('Buy', '29000.05', '0.010'), 10001, /price.*too many decimals/],
      [limit('Buy', '29000.0', '0.0001'), 10001, /qty.*too many decimals/],
      [limit('Buy', '29000.0', '-0.010'), 10001, /qty/],
      [limit('Buy', '29000.0', '0'), 10001, /qty must be greater than 0/],
      [limit('Buy', '29000.0', '99999999999999999999'), 10001, /qty .* is too large/],
      [limit('Buy', '29000.0', '1e3'), 10001, /qty/],
      [limit('Buy', '29000.0', { v: 1 } as unknown as string), 10001, /qty must be a decimal string/],
      [{ ...limit('Buy', '29000.0', '0.010'), qty: 1e-7 }, 10001, /qty/],
      [{ ...limit('Buy', '29000.0', '0.010'), price: undefined }, 10001, /price is required/],
      [{ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', price: '1' }, 10001, /qty is required/],
      [limit('Hold' as 'Buy', '29000.0', '0.010'), 10001, /side/],
      [limit('Buy', '29000.0', '0.010', { foo: 1 }), 10001, /unknown parameter "foo"/],
      [limit('Buy', '29000.0', '0.010', { takeProfit: '31000' }), 10001, /takeProfit is not supported by the simulator/],
      [limit('Buy', '29000.0', '0.010', { positionIdx: 1 }), 10001, /positionIdx is not supported/],
      [limit('Buy', '29000.0', '0.010', { triggerPrice: '30000' }), 10001, /triggerPrice is not supported/],
      [limit('Buy', '29000.0', '0.010', { smpType: 'CancelAll' }), 10001, /smpType/],
      [limit('Buy', '29000.0', '0.010', { timeInForce: 'RPI' }), 10001, /RPI is not supported/],
      [limit('Buy', '29000.0', '0.010', { timeInForce: 'GTD' }), 10001, /timeInForce/],
      [limit('Buy', '29000.0', '0.010', { reduceOnly: 'true' }), 10001, /reduceOnly must be a boolean/],
      [limit('Buy', '29000.0', '0.010', { orderLinkId: 'x'.repeat(37) }), 10001, /orderLinkId is longer than 36/],
      [limit('Buy', '29000.0', '0.010', { orderLinkId: 'bad id!' }), 10001, /orderLinkId/],
      [{ ...limit('Buy', '29000.0', '0.010'), category: 'spot' }, 10001, /Not supported symbols/],
      [{ ...limit('Buy', '29000.0', '0.010'), category: 'inverse' }, 10001, /Not supported symbols/],
      [{ ...limit('Buy', '29000.0', '0.010'), category: 'option' }, 10001, /Not supported symbols/],
      [{ ...limit('Buy', '29000.0', '0.010'), category: undefined }, 10001, /category is required/],
      [{ ...limit('Buy', '29000.0', '0.010'), symbol: 'DOGEUSDT' }, 10001, /Not supported symbols/],
      [limit('Buy', '2000000.0', '0.010'), 110003, /price/],
    ];
    for (const [body, code, re] of cases) expectError(await post(MAKER, '/v5/order/create', body), code, re);
    expectError(await post(MAKER, '/v5/order/create', '[1,2]'), 10001, /JSON object/);
    expectError(await post(MAKER, '/v5/order/create', '{"category":'), 10001, /JSON/);
    expect(openCount(uids.maker!)).toBe(0);
  });

  it('duplicate orderLinkId → 110072; margin → 110007; min notional → 110094; read-only key → 10005', async () => {
    await place(MAKER, limit('Buy', '29000.0', '0.010', { orderLinkId: 'dup' }));
    expectError(await post(MAKER, '/v5/order/create', limit('Buy', '29000.0', '0.010', { orderLinkId: 'dup' })), 110072);
    // Another account may use the same orderLinkId.
    await place(TAKER, limit('Buy', '29000.0', '0.010', { orderLinkId: 'dup' }));
    expectError(await post(POOR, '/v5/order/create', limit('Buy', '29000.0', '0.100')), 110007);
    expectError(await post(MAKER, '/v5/order/create', limit('Buy', '1000.0', '0.001')), 110094);
    expectError(await post(RO, '/v5/order/create', limit('Buy', '29000.0', '0.010')), 10005);
    expect(openCount(uids.poor!)).toBe(0);
    expect(openCount(uids.ro!)).toBe(0);
  });

  it('amend: reduce keeps the queue place, increase and price change requeue; errors', async () => {
    const a1 = await place(MAKER, limit('Sell', '30020.0', '0.010'));
    const a2 = await place(MAKER, limit('Sell', '30020.0', '0.010'));
    const book = venue.book('BTCUSDT');
    const eid = (id: string) => venue.orders.find(uids.maker!, id)!.engineId;
    expect(book.queueAhead(eid(a1.orderId))).toBe(0);

    const r = ok(await post(MAKER, '/v5/order/amend', { category: 'linear', symbol: 'BTCUSDT', orderId: a1.orderId, qty: '0.005' }));
    expect(r).toEqual({ orderId: a1.orderId, orderLinkId: '' });
    expect(book.queueAhead(eid(a1.orderId))).toBe(0);
    expect((await orderById(MAKER, a1.orderId)).qty).toBe('0.005');

    ok(await post(MAKER, '/v5/order/amend', { category: 'linear', symbol: 'BTCUSDT', orderId: a1.orderId, qty: '0.020' }));
    expect(book.queueAhead(eid(a1.orderId))).toBe(10);

    ok(await post(MAKER, '/v5/order/amend', { category: 'linear', symbol: 'BTCUSDT', orderId: a2.orderId, price: '30030.0' }));
    expect((await orderById(MAKER, a2.orderId)).price).toBe('30030.00');
    expect(book.queueAhead(eid(a1.orderId))).toBe(0);

    expectError(await post(MAKER, '/v5/order/amend', { category: 'linear', symbol: 'BTCUSDT', orderId: a2.orderId, price: '30030.0' }), 10001, /unchanged/);
    expectError(await post(MAKER, '/v5/order/amend', { category: 'linear', symbol: 'BTCUSDT', orderId: a2.orderId, price: '30030.01' }), 10001, /price/);
    expectError(await post(MAKER, '/v5/order/amend', { category: 'linear', symbol: 'BTCUSDT', qty: '0.02' }), 10001, /orderId or orderLinkId is required/);
    expectError(await post(MAKER, '/v5/order/amend', { category: 'linear', symbol: 'BTCUSDT', orderId: a2.orderId, takeProfit: '1' }), 10001, /takeProfit/);
    expectError(await post(TAKER, '/v5/order/amend', { category: 'linear', symbol: 'BTCUSDT', orderId: a2.orderId, qty: '0.02' }), 110001);
    expectError(await post(MAKER, '/v5/order/amend', { category: 'linear', symbol: 'ETHUSDT', orderId: a2.orderId, qty: '0.02' }), 110001);

    // Partially filled: qty <= filled → 110064.
    await place(TAKER, limit('Buy', '30020.0', '0.015', { timeInForce: 'IOC' }));
    expect((await orderById(MAKER, a1.orderId)).cumExecQty).toBe('0.015');
    expectError(await post(MAKER, '/v5/order/amend', { category: 'linear', symbol: 'BTCUSDT', orderId: a1.orderId, qty: '0.015' }), 110064);
    // Filled / cancelled orders cannot be amended.
    ok(await post(MAKER, '/v5/order/cancel', { category: 'linear', symbol: 'BTCUSDT', orderId: a1.orderId }));
    expectError(await post(MAKER, '/v5/order/amend', { category: 'linear', symbol: 'BTCUSDT', orderId: a1.orderId, qty: '0.030' }), 110008);
  });

  it('cancel: by id and by orderLinkId; another account → 110001; closed → 110008; spot → 10001', async () => {
    const a = await place(MAKER, limit('Buy', '29000.0', '0.010', { orderLinkId: 'c-1' }));
    const b = await place(MAKER, limit('Buy', '29000.0', '0.010'));
    expectError(await post(TAKER, '/v5/order/cancel', { category: 'linear', symbol: 'BTCUSDT', orderId: a.orderId }), 110001);
    expectError(await post(MAKER, '/v5/order/cancel', { category: 'linear', symbol: 'BTCUSDT', orderId: 'nope' }), 110001);
    expectError(await post(MAKER, '/v5/order/cancel', { category: 'linear', symbol: 'BTCUSDT' }), 10001, /orderId or orderLinkId/);
    expectError(await post(MAKER, '/v5/order/cancel', { category: 'spot', symbol: 'BTCUSDT', orderId: a.orderId, orderFilter: 'Order' }), 10001, /Not supported symbols/);
    expect(ok(await post(MAKER, '/v5/order/cancel', { category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'c-1' }))).toEqual({ orderId: a.orderId, orderLinkId: 'c-1' });
    expect(ok(await post(MAKER, '/v5/order/cancel', { category: 'linear', symbol: 'BTCUSDT', orderId: b.orderId }))).toEqual({ orderId: b.orderId, orderLinkId: '' });
    expectError(await post(MAKER, '/v5/order/cancel', { category: 'linear', symbol: 'BTCUSDT', orderId: b.orderId }), 110008);
    const o = await orderById(MAKER, b.orderId);
    expect(o).toMatchObject({ orderStatus: 'Cancelled', cancelType: 'CancelByUser', rejectReason: 'EC_PerCancelRequest' });
  });

  it('cancel-all: by symbol, baseCoin, settleCoin (ccxt shape); needs a selector', async () => {
    const eth = { category: 'linear', symbol: 'ETHUSDT', side: 'Buy', orderType: 'Limit', qty: '0.10', price: '2000.00' };
    await place(MAKER, limit('Buy', '29000.0', '0.010'));
    await place(MAKER, limit('Buy', '29000.0', '0.010'));
    await place(MAKER, eth);
    await place(TAKER, eth);
    expectError(await post(MAKER, '/v5/order/cancel-all', { category: 'linear' }), 10001, /symbol, baseCoin or settleCoin/);
    const r1 = ok(await post(MAKER, '/v5/order/cancel-all', { category: 'linear', symbol: 'BTCUSDT' }));
    expect(r1.success).toBe('1');
    expect(r1.list).toHaveLength(2);
    expect(Object.keys(r1.list[0]).sort()).toEqual(['orderId', 'orderLinkId']);
    expect(openCount(uids.maker!)).toBe(1);
    await place(MAKER, limit('Buy', '29000.0', '0.010'));
    expect(ok(await post(MAKER, '/v5/order/cancel-all', { category: 'linear', baseCoin: 'ETH' })).list).toHaveLength(1);
    await place(MAKER, eth);
    expect(ok(await post(MAKER, '/v5/order/cancel-all', { category: 'linear', settleCoin: 'USDT' })).list).toHaveLength(2);
    expect(openCount(uids.maker!)).toBe(0);
    expect(openCount(uids.taker!)).toBe(1);
    expect(ok(await post(MAKER, '/v5/order/cancel-all', { category: 'linear', settleCoin: 'USDC' })).list).toEqual([]);
    expect(ok(await post(MAKER, '/v5/order/cancel-all', { category: 'spot' }))).toEqual({ list: [], success: '1' });
    expectError(await post(MAKER, '/v5/order/cancel-all', { category: 'linear', symbol: 'XUSDT' }), 10001, /Not supported symbols/);
    expectError(await post(RO, '/v5/order/cancel-all', { category: 'linear', symbol: 'BTCUSDT' }), 10005);
  });
});

// =====================================================================================================================

describe('batches', () => {
  it('create-batch with mixed items: parallel lists, failed items keep orderId "" and createAt ""', async () => {
    const e = await post(MAKER, '/v5/order/create-batch', {
      category: 'linear',
      request: [
        { symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.010', price: '29000.0', orderLinkId: 'b-1' },
        { symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.0101', price: '29000.0', orderLinkId: 'b-2' },
        { symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.010', price: '29000.0', orderLinkId: 'b-1' },
        'not an object',
        { symbol: 'NOPEUSDT', side: 'Buy', orderType: 'Limit', qty: '0.010', price: '29000.0' },
        { category: 'linear', symbol: 'BTCUSDT', side: 'Sell', orderType: 'Limit', qty: '0.020', price: '31000.0' },
      ],
    });
    expect(e.retCode).toBe(0);
    const list = e.result.list;
    const ext = e.retExtInfo.list;
    expect(list).toHaveLength(6);
    expect(ext).toHaveLength(6);
    expect(ext.map((x: Json) => x.code)).toEqual([0, 10001, 110072, 10001, 10001, 0]);
    expect(ext[0].msg).toBe('OK');
    expect(ext[1].msg).toMatch(/qty/);
    expect(ext[4].msg).toMatch(/Not supported symbols/);
    expect(list[0]).toMatchObject({ category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'b-1' });
    expect(list[0].orderId).toMatch(/^[0-9a-f-]{36}$/);
    expect(list[0].createAt).toBe((await orderById(MAKER, list[0].orderId)).createdTime);
    expect(list[1]).toEqual({ category: 'linear', symbol: 'BTCUSDT', orderId: '', orderLinkId: 'b-2', createAt: '' });
    expect(list[3]).toEqual({ category: 'linear', symbol: '', orderId: '', orderLinkId: '', createAt: '' });
    expect(list[5].createAt).not.toBe('');
    expect(openCount(uids.maker!)).toBe(2);
  });

  it('amend-batch and cancel-batch with mixed items', async () => {
    const a = await place(MAKER, limit('Buy', '29000.0', '0.010', { orderLinkId: 'x1' }));
    const b = await place(MAKER, limit('Buy', '29100.0', '0.010'));
    const am = await post(MAKER, '/v5/order/amend-batch', {
      category: 'linear',
      request: [
        { symbol: 'BTCUSDT', orderLinkId: 'x1', qty: '0.020' },
        { symbol: 'BTCUSDT', orderId: 'missing', qty: '0.020' },
        { symbol: 'BTCUSDT', orderId: b.orderId, price: '29100.05' },
        { symbol: 'BTCUSDT', orderId: b.orderId, price: '29200.0' },
      ],
    });
    expect(am.retCode).toBe(0);
    expect(am.retExtInfo.list.map((x: Json) => x.code)).toEqual([0, 110001, 10001, 0]);
    expect(am.result.list[0]).toEqual({ category: 'linear', symbol: 'BTCUSDT', orderId: a.orderId, orderLinkId: 'x1' });
    expect(am.result.list[1]).toEqual({ category: 'linear', symbol: 'BTCUSDT', orderId: 'missing', orderLinkId: '' });
    expect((await orderById(MAKER, a.orderId)).qty).toBe('0.020');
    expect((await orderById(MAKER, b.orderId)).price).toBe('29200.00');

    const cb = await post(MAKER, '/v5/order/cancel-batch', {
      category: 'linear',
      request: [
        { symbol: 'BTCUSDT', orderId: a.orderId },
        { symbol: 'BTCUSDT', orderId: a.orderId },
        { symbol: 'BTCUSDT', orderLinkId: 'nope' },
        { symbol: 'BTCUSDT', orderId: b.orderId, bogus: true },
      ],
    });
    expect(cb.retExtInfo.list.map((x: Json) => x.code)).toEqual([0, 110008, 110001, 10001]);
    expect(cb.retExtInfo.list[3].msg).toMatch(/"bogus"/);
    expect(openCount(uids.maker!)).toBe(1);
  });

  it('a bad whole request changes nothing: > 20 items, not an array, spot, unknown field', async () => {
    const item = { symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.010', price: '29000.0' };
    expectError(await post(MAKER, '/v5/order/create-batch', { category: 'linear', request: Array(21).fill(item) }), 10001, /more than 20/);
    expectError(await post(MAKER, '/v5/order/create-batch', { category: 'linear', request: item }), 10001, /request/);
    expectError(await post(MAKER, '/v5/order/create-batch', { category: 'linear', request: [] }), 10001, /request/);
    expectError(await post(MAKER, '/v5/order/create-batch', { category: 'spot', request: [item] }), 10001, /Not supported symbols/);
    expectError(await post(MAKER, '/v5/order/create-batch', { category: 'linear', request: [item], extra: 1 }), 10001, /"extra"/);
    expectError(await post(MAKER, '/v5/order/cancel-batch', { request: [item] }), 10001, /category is required/);
    expectError(await post(RO, '/v5/order/create-batch', { category: 'linear', request: [item] }), 10005);
    expect(openCount(uids.maker!)).toBe(0);
    // 20 is a valid request; with Bybit's 10 orders/s, the last 10 items are rate-limited individually.
    clock.advance(1000);
    const ok20 = await post(MAKER, '/v5/order/create-batch', { category: 'linear', request: Array(20).fill(item) });
    expect(ok20.retCode).toBe(0);
    expect(ok20.retExtInfo.list.map((x: Json) => x.code)).toEqual([...Array(10).fill(0), ...Array(10).fill(10006)]);
    expect(openCount(uids.maker!)).toBe(10);
  });

  it('rate limit inside a batch: items beyond the granted units fail with 10006, the rest succeed', async () => {
    const item = (i: number) => ({ symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.010', price: '29000.0', orderLinkId: `rl-${i}` });
    const first = await post(MAKER, '/v5/order/create-batch', { category: 'linear', request: [0, 1, 2, 3, 4, 5, 6].map(item) });
    expect(first.retExtInfo.list.every((x: Json) => x.code === 0)).toBe(true);
    // Same millisecond: 3 of the 10 units per second are left.
    const second = await post(MAKER, '/v5/order/create-batch', { category: 'linear', request: [7, 8, 9, 10, 11].map(item) }, { advance: false });
    expect(second.retCode).toBe(0);
    expect(second.retExtInfo.list.map((x: Json) => x.code)).toEqual([0, 0, 0, 10006, 10006]);
    expect(second.retExtInfo.list[3].msg).toBe('Too many visits!');
    expect(second.result.list[3]).toEqual({ category: 'linear', symbol: 'BTCUSDT', orderId: '', orderLinkId: 'rl-10', createAt: '' });
    expect(openCount(uids.maker!)).toBe(10);
    // Nothing left: the whole request is refused.
    expectError(await post(MAKER, '/v5/order/create-batch', { category: 'linear', request: [item(12)] }, { advance: false }), 10006);
  });
});

// =====================================================================================================================

describe('queries', () => {
  it('GET /v5/order/realtime: selectors, openOnly, pagination newest first, closed by id', async () => {
    const placed: string[] = [];
    for (let i = 0; i < 5; i++) placed.push((await place(MAKER, limit('Buy', `${29000 + i}.0`, '0.010', { orderLinkId: `q-${i}` }))).orderId);
    expectError(await get(MAKER, '/v5/order/realtime', { category: 'linear' }), 10001, /symbol, baseCoin, settleCoin/);
    const all = ok(await get(MAKER, '/v5/order/realtime', { category: 'linear', settleCoin: 'USDT' }));
    expect(all.list.map((o: Json) => o.orderId)).toEqual([...placed].reverse());
    expect(all.nextPageCursor).toBe('');

    const seen: string[] = [];
    let cursor = '';
    for (let pageNo = 0; pageNo < 5; pageNo++) {
      const q: Record<string, string | number> = { category: 'linear', symbol: 'BTCUSDT', limit: 2 };
      if (cursor) q.cursor = cursor;
      const p = ok(await get(MAKER, '/v5/order/realtime', q));
      seen.push(...p.list.map((o: Json) => o.orderId));
      cursor = p.nextPageCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual([...placed].reverse());

    ok(await post(MAKER, '/v5/order/cancel', { category: 'linear', symbol: 'BTCUSDT', orderId: placed[0] }));
    expect(ok(await get(MAKER, '/v5/order/realtime', { category: 'linear', symbol: 'BTCUSDT' })).list).toHaveLength(4);
    const closed = ok(await get(MAKER, '/v5/order/realtime', { category: 'linear', symbol: 'BTCUSDT', openOnly: 1 }));
    expect(closed.list.map((o: Json) => o.orderId)).toEqual([placed[0]]);
    const byLink = ok(await get(MAKER, '/v5/order/realtime', { category: 'linear', orderLinkId: 'q-0' }));
    expect(byLink.list[0]).toMatchObject({ orderId: placed[0], orderStatus: 'Cancelled' });
    expect(ok(await get(TAKER, '/v5/order/realtime', { category: 'linear', orderId: placed[1]! })).list).toEqual([]);
    expect(ok(await get(MAKER, '/v5/order/realtime', { category: 'linear', symbol: 'ETHUSDT' })).list).toEqual([]);
    expect(ok(await get(MAKER, '/v5/order/realtime', { category: 'spot' }))).toEqual({ category: 'spot', list: [], nextPageCursor: '' });
    expectError(await get(MAKER, '/v5/order/realtime', { category: 'spot', symbol: 'BTCUSDT' }), 10001, /Not supported symbols/);
    expectError(await get(MAKER, '/v5/order/realtime', { category: 'linear', symbol: 'BTCUSDT', limit: 51 }), 10001, /limit/);
    expectError(await get(MAKER, '/v5/order/realtime', { category: 'linear', symbol: 'BTCUSDT', openOnly: 3 }), 10001, /openOnly/);
    expectError(await get(MAKER, '/v5/order/realtime', { category: 'linear', symbol: 'BTCUSDT', cursor: 'AAAA' }), 10001, /cursor/);
    expectError(await get(MAKER, '/v5/order/realtime', { category: 'linear', symbol: 'BTCUSDT', nope: 1 }), 10001, /"nope"/);
  });

  it('GET /v5/order/history: open and closed, orderStatus filter, time window, pagination', async () => {
    const { ask } = await seedBook();
    const t = await place(TAKER, limit('Buy', '30010.0', '0.100'));
    const c = await place(MAKER, limit('Buy', '28000.0', '0.010'));
    ok(await post(MAKER, '/v5/order/cancel', { category: 'linear', symbol: 'BTCUSDT', orderId: c.orderId }));
    const h = ok(await get(MAKER, '/v5/order/history', { category: 'linear' }));
    expect(h.list).toHaveLength(3);
    expect(h.list[0].orderId).toBe(c.orderId);
    const filled = ok(await get(MAKER, '/v5/order/history', { category: 'linear', symbol: 'BTCUSDT', orderStatus: 'Filled' }));
    expect(filled.list.map((o: Json) => o.orderId)).toEqual([ask]);
    const mine = ok(await get(TAKER, '/v5/order/history', { category: 'linear', orderId: t.orderId }));
    expect(mine.list[0]).toMatchObject({ orderStatus: 'Filled', cumExecQty: '0.100' });
    const p1 = ok(await get(MAKER, '/v5/order/history', { category: 'linear', limit: 2 }));
    expect(p1.list).toHaveLength(2);
    const p2 = ok(await get(MAKER, '/v5/order/history', { category: 'linear', limit: 2, cursor: p1.nextPageCursor }));
    expect(p2.list).toHaveLength(1);
    expect(p2.nextPageCursor).toBe('');
    const future = ok(await get(MAKER, '/v5/order/history', { category: 'linear', startTime: clock.now() + 10_000 }));
    expect(future.list).toEqual([]);
    expectError(await get(MAKER, '/v5/order/history', { category: 'linear', startTime: 0, endTime: 8 * 86_400_000 }), 10001, /7 days/);
    expectError(await get(MAKER, '/v5/order/history', { category: 'linear', orderStatus: 'Open' }), 10001, /orderStatus/);
  });

  it('GET /v5/execution/list: newest first, filters, cursor, limits', async () => {
    await seedBook();
    for (let i = 0; i < 3; i++) await place(TAKER, limit('Buy', '30010.0', '0.010', { orderLinkId: `e-${i}` }));
    const all = ok(await get(TAKER, '/v5/execution/list', { category: 'linear' }));
    expect(all.list).toHaveLength(3);
    expect(all.list.map((e: Json) => e.orderLinkId)).toEqual(['e-2', 'e-1', 'e-0']);
    expect(all.list[0].seq).toBeGreaterThan(all.list[1].seq);
    const p1 = ok(await get(TAKER, '/v5/execution/list', { category: 'linear', symbol: 'BTCUSDT', limit: 2 }));
    expect(p1.list).toHaveLength(2);
    const p2 = ok(await get(TAKER, '/v5/execution/list', { category: 'linear', symbol: 'BTCUSDT', limit: 2, cursor: p1.nextPageCursor }));
    expect(p2.list.map((e: Json) => e.orderLinkId)).toEqual(['e-0']);
    expect(p2.nextPageCursor).toBe('');
    expect(ok(await get(TAKER, '/v5/execution/list', { category: 'linear', orderLinkId: 'e-1' })).list).toHaveLength(1);
    expect(ok(await get(TAKER, '/v5/execution/list', { category: 'linear', execType: 'Funding' })).list).toEqual([]);
    expect(ok(await get(TAKER, '/v5/execution/list', { category: 'linear', symbol: 'ETHUSDT' })).list).toEqual([]);
    expectError(await get(TAKER, '/v5/execution/list', { category: 'linear', limit: 101 }), 10001, /limit/);
    expectError(await get(TAKER, '/v5/execution/list', {}), 10001, /category/);
  });

  it('GET /v5/position/list: symbol returns flat, settleCoin only non-zero, inverse empty; set-leverage', async () => {
    const flat = ok(await get(MAKER, '/v5/position/list', { category: 'linear', symbol: 'ETHUSDT' }));
    expect(flat.list).toHaveLength(1);
    expect(flat.list[0]).toMatchObject({ symbol: 'ETHUSDT', side: '', size: '0.00', leverage: '10' });
    expect(ok(await get(MAKER, '/v5/position/list', { category: 'linear', settleCoin: 'USDT', limit: 200 })).list).toEqual([]);
    expect(ok(await get(MAKER, '/v5/position/list', { category: 'inverse' }))).toEqual({ category: 'inverse', list: [], nextPageCursor: '' });
    expectError(await get(MAKER, '/v5/position/list', { category: 'linear' }), 10001, /symbol or settleCoin/);
    expectError(await get(MAKER, '/v5/position/list', { category: 'linear', symbol: 'BTCUSDT', limit: 201 }), 10001, /limit/);

    const lev = (buyLeverage: string, sellLeverage = buyLeverage) =>
      post(MAKER, '/v5/position/set-leverage', { category: 'linear', symbol: 'BTCUSDT', buyLeverage, sellLeverage });
    expect(ok(await lev('20'))).toEqual({});
    expect(ok(await get(MAKER, '/v5/position/list', { category: 'linear', symbol: 'BTCUSDT' })).list[0].leverage).toBe('20');
    expectError(await lev('20'), 110043);
    expectError(await lev('5', '6'), 10001, /buyLeverage must equal sellLeverage/);
    expectError(await lev('5.5'), 10001, /buyLeverage/);
    expectError(await lev('500'), 10001, /leverage/);
    expectError(await post(MAKER, '/v5/position/set-leverage', { category: 'spot', symbol: 'BTCUSDT', buyLeverage: '5', sellLeverage: '5' }), 10001, /Not supported symbols/);
    expectError(await post(RO, '/v5/position/set-leverage', { category: 'linear', symbol: 'BTCUSDT', buyLeverage: '5', sellLeverage: '5' }), 10005);
  });
});

// =====================================================================================================================

describe('account', () => {
  it('GET /v5/account/wallet-balance', async () => {
    const r = ok(await get(MAKER, '/v5/account/wallet-balance', { accountType: 'UNIFIED' }));
    expect(r.list).toHaveLength(1);
    expect(r.list[0]).toMatchObject({ accountType: 'UNIFIED', totalWalletBalance: '100000.00' });
    expect(r.list[0].coin[0]).toMatchObject({ coin: 'USDT', walletBalance: '100000.00', availableToWithdraw: '' });
    expect(ok(await get(MAKER, '/v5/account/wallet-balance', { accountType: 'UNIFIED', coin: 'BTC' })).list[0].coin).toEqual([]);
    expectError(await get(MAKER, '/v5/account/wallet-balance', { accountType: 'CONTRACT' }), 10001, /UNIFIED/);
    expectError(await get(MAKER, '/v5/account/wallet-balance', {}), 10001, /accountType is required/);
  });

  it('GET /v5/account/fee-rate: the account\'s configured rates', async () => {
    const r = ok(await get(MAKER, '/v5/account/fee-rate', { category: 'linear', symbol: 'BTCUSDT' }));
    expect(r.list).toEqual([{ symbol: 'BTCUSDT', takerFeeRate: '0.0006', makerFeeRate: '-0.0001' }]);
    expect(ok(await get(MAKER, '/v5/account/fee-rate', { category: 'linear' })).list).toHaveLength(2);
    expectError(await get(MAKER, '/v5/account/fee-rate', { category: 'linear', symbol: 'XUSDT' }), 10001, /Not supported symbols/);
  });

  it('GET /v5/account/info, /v5/user/query-api, /v5/asset/coin/query-info', async () => {
    expect(ok(await get(MAKER, '/v5/account/info'))).toMatchObject({ unifiedMarginStatus: 6, marginMode: 'REGULAR_MARGIN' });
    const k = ok(await get(MAKER, '/v5/user/query-api'));
    expect(k).toMatchObject({ uta: 1, unified: 1, readOnly: 0, userID: uids.maker, apiKey: MAKER.apiKey, secret: '' });
    expect(k.permissions).toBeTypeOf('object');
    expect(ok(await get(RO, '/v5/user/query-api')).readOnly).toBe(1);
    const c = ok(await get(MAKER, '/v5/asset/coin/query-info'));
    expect(c.rows[0]).toMatchObject({ coin: 'USDT', name: 'USDT' });
    expect(ok(await get(MAKER, '/v5/asset/coin/query-info', { coin: 'BTC' }))).toEqual({ rows: [] });
    expectError(await get(MAKER, '/v5/account/info', { x: 1 }), 10001, /"x"/);
  });

  it('POST /v5/order/disconnected-cancel-all and GET /v5/account/query-dcp-info', async () => {
    // The endpoint allows 5 requests/s: space them out.
    const post = (key: Key, path: string, body: unknown) => {
      clock.advance(250);
      return postSigned(key, path, body);
    };
    expect(ok(await get(MAKER, '/v5/account/query-dcp-info'))).toEqual({ dcpInfos: [] });
    const e = await post(MAKER, '/v5/order/disconnected-cancel-all', { timeWindow: 40, product: 'DERIVATIVES' });
    expect(e.retCode).toBe(0);
    expect(e.retMsg).toBe('success');
    expect(venue.dcpWindow(uids.maker!)).toBe(40);
    expect(ok(await get(MAKER, '/v5/account/query-dcp-info'))).toEqual({ dcpInfos: [{ product: 'DERIVATIVES', dcpStatus: 'ON', timeWindow: '40' }] });
    ok(await post(MAKER, '/v5/order/disconnected-cancel-all', { timeWindow: '10', product: 'DERIVATIVES' }));
    expect(venue.dcpWindow(uids.maker!)).toBe(10);
    // OPTIONS (the default product) is accepted and does not touch the derivatives window.
    ok(await post(MAKER, '/v5/order/disconnected-cancel-all', { timeWindow: 30 }));
    expect(venue.dcpWindow(uids.maker!)).toBe(10);
    expectError(await post(MAKER, '/v5/order/disconnected-cancel-all', { timeWindow: 2, product: 'DERIVATIVES' }), 10001, /timeWindow/);
    expectError(await post(MAKER, '/v5/order/disconnected-cancel-all', { timeWindow: 301 }), 10001, /timeWindow/);
    expectError(await post(MAKER, '/v5/order/disconnected-cancel-all', { timeWindow: 10.5 }), 10001, /timeWindow/);
    expectError(await post(MAKER, '/v5/order/disconnected-cancel-all', { product: 'DERIVATIVES' }), 10001, /timeWindow is required/);
    expectError(await post(MAKER, '/v5/order/disconnected-cancel-all', { timeWindow: 10, product: 'FUTURES' }), 10001, /product/);
  });
});

describe('plumbing seen through the routes', () => {
  it('bad signature 10004, unknown key 10003, stale timestamp 10002, unknown route 10017 (HTTP 404)', async () => {
    const body = JSON.stringify(limit('Buy', '29000.0', '0.010'));
    const h = headers(MAKER, body);
    const send = (hh: Record<string, string>) => fetch(`${base}/v5/order/create`, { method: 'POST', headers: hh, body }).then((r) => r.json() as Promise<Envelope>);
    expect((await send({ ...h, 'X-BAPI-SIGN': '0'.repeat(64) })).retCode).toBe(10004);
    expect((await send({ ...h, 'X-BAPI-API-KEY': 'unknownKey' })).retCode).toBe(10003);
    expect((await send({ ...h, 'X-BAPI-TIMESTAMP': String(clock.now() - 60_000) })).retCode).toBe(10002);
    const nf = await fetch(`${base}/v5/order/nope`);
    expect(nf.status).toBe(404);
    expect(((await nf.json()) as Envelope).retCode).toBe(10017);
    expect(openCount(uids.maker!)).toBe(0);
  });
});
