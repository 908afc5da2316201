/**
 * Regression tests for a hostile probe of the order checks, over real sockets: REST (createRestApp + registerRoutes on
 * 127.0.0.1:0, requests signed as in reference §2) and the /v5/trade WebSocket (order.amend).
 *  1. An amend goes through the create's price checks (band, min/max price, tick): refused with the create's code,
 *     and nothing changes.
 *  2. Instrument limits come before margin: a qty above maxOrderQty is 10001 even on an account too small to
 *     margin it (create and amend).
 *  3. orderLinkIds: an open order's id is never reusable; a closed order's is reserved for the last
 *     `closedLinkIdWindow` closes of the account (a small window here), and the reserved set stays bounded.
 * docs/errors.md "Order checks" lists the order of the checks.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Venue } from '../../sim-exchange/venue/venue.ts';
import { ManualClock } from '../../sim-exchange/clock.ts';
import { DEFAULT_INSTRUMENTS } from '../../sim-exchange/instruments.ts';
import { RateLimiter, BYBIT_LINEAR_LIMITS, BYBIT_DEFAULT_LIMIT } from '../../sim-exchange/bybit-v5/rate-limit.ts';
import { createRestApp } from '../../sim-exchange/bybit-v5/rest/http.ts';
import { registerRoutes } from '../../sim-exchange/bybit-v5/rest/routes.ts';
import { signedHeaders } from '../../scenarios/run/load.ts';
import { LinkIds } from '../../sim-exchange/accounts/account.ts';
import { startHarness, authArgs, type Harness, type TestClient } from './helpers/ws-harness.ts';

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
}

const MAKER: Key = { apiKey: 'makerKey01', secret: 'makerSecret01' };
const TAKER: Key = { apiKey: 'takerKey01', secret: 'takerSecret01' };
const POOR: Key = { apiKey: 'poorKey001', secret: 'poorSecret01' };

/** Small enough that a test closes more orders than it. */
const WINDOW = 3;
const clock = new ManualClock(1_700_000_000_000);
const venue = new Venue({ instruments: DEFAULT_INSTRUMENTS, clock, seed: 7, closedLinkIdWindow: WINDOW });
const limiter = new RateLimiter(BYBIT_LINEAR_LIMITS, BYBIT_DEFAULT_LIMIT);
const rest = createRestApp({ keys: { byKey: (k) => venue.accountByKey(k) }, clock, limiter, logger: false });
registerRoutes(rest, venue, { bookUpdateId: () => 0 });
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
  uids.maker = venue.createAccount({ ...MAKER, balance: '1000000' }).uid;
  uids.taker = venue.createAccount({ ...TAKER, balance: '100000' }).uid;
  uids.poor = venue.createAccount({ ...POOR, balance: '50' }).uid;
});

async function post(key: Key, path: string, body: unknown): Promise<Envelope> {
  clock.advance(101);
  const text = JSON.stringify(body);
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    body: text,
    headers: { ...signedHeaders(key, text, clock.now()), 'Content-Type': 'application/json' },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Envelope;
}

async function ok(e: Promise<Envelope>): Promise<Json> {
  const r = await e;
  expect(r.retCode, r.retMsg).toBe(0);
  return r.result;
}

async function refused(e: Promise<Envelope>, code: number, msg?: RegExp): Promise<void> {
  const r = await e;
  expect(r.retCode, r.retMsg).toBe(code);
  if (msg) expect(r.retMsg).toMatch(msg);
}

const order = (symbol: string, side: 'Buy' | 'Sell', price: string, qty: string, extra: Record<string, unknown> = {}) => ({
  category: 'linear', symbol, side, orderType: 'Limit', qty, price, ...extra,
});
const create = (key: Key, body: unknown) => post(key, '/v5/order/create', body);
const amend = (key: Key, symbol: string, orderId: string, change: { price?: string; qty?: string }) =>
  post(key, '/v5/order/amend', { category: 'linear', symbol, orderId, ...change });

/** ETHUSDT: bid 1900, ask 2100, a far ask at 5000 (0.1 each) → mark 2000, band 1900..2100. */
async function ethBook(): Promise<void> {
  await ok(create(MAKER, order('ETHUSDT', 'Buy', '1900', '0.1')));
  await ok(create(MAKER, order('ETHUSDT', 'Sell', '2100', '0.1')));
  await ok(create(MAKER, order('ETHUSDT', 'Sell', '5000', '0.1')));
}

/** Everything a refused request must leave as it was. */
function snapshot(symbol: string, uid: number): string {
  const book = venue.book(symbol);
  const a = venue.account(uid);
  return JSON.stringify({
    bids: book.depth(1, 100), asks: book.depth(-1, 100), seq: book.seq, fills: venue.ledger.size,
    orders: [...venue.orders.openOf(uid)].map((o) => ({ ...o })), wallet: a.walletBalance(), margin: venue.marginOf(uid),
    position: a.positions.get(symbol) ?? null, links: [...a.usedLinkIds],
  });
}

describe('amend runs the create price checks (REST)', () => {
  it('ETHUSDT: a create at 5000 and an amend 1950 → 5000 are both refused 110003; nothing fills', async () => {
    await ethBook();
    expect(venue.mark('ETHUSDT')).toBe(200_000);
    await refused(create(TAKER, order('ETHUSDT', 'Buy', '5000', '0.2')), 110003, /through the mark/);
    const { orderId } = await ok(create(TAKER, order('ETHUSDT', 'Buy', '1950', '0.2')));
    const before = snapshot('ETHUSDT', uids.taker!);
    await refused(amend(TAKER, 'ETHUSDT', orderId, { price: '5000' }), 110003, /through the mark/);
    // Price and qty together: still refused on the price, and the qty is not half-applied.
    await refused(amend(TAKER, 'ETHUSDT', orderId, { price: '5000', qty: '0.3' }), 110003);
    expect(snapshot('ETHUSDT', uids.taker!)).toBe(before);
    expect(venue.ledger.size).toBe(0);
    const o = venue.orders.find(uids.taker!, orderId)!;
    expect([o.price, o.qty, o.filled, o.status]).toEqual([195_000, 20, 0, 'New']);
    // Inside the band the amend goes through and takes 0.1@2100 only, never the far ask.
    await ok(amend(TAKER, 'ETHUSDT', orderId, { price: '2100' }));
    expect(venue.ledger.entries().filter((e) => e.uid === uids.taker).map((e) => [e.price, e.qty])).toEqual([[210_000, 10]]);
    expect(venue.book('ETHUSDT').bestAsk()).toBe(500_000);
  });

  it('ETHUSDT: a resting sell amended far below the band is refused 110003', async () => {
    await ethBook();
    const { orderId } = await ok(create(TAKER, order('ETHUSDT', 'Sell', '2050', '0.1', { timeInForce: 'PostOnly' })));
    const before = snapshot('ETHUSDT', uids.taker!);
    await refused(amend(TAKER, 'ETHUSDT', orderId, { price: '1000' }), 110003);
    expect(snapshot('ETHUSDT', uids.taker!)).toBe(before);
  });

  it('BTCUSDT: a resting buy amended to 1999999.8 (the max price) is refused 110003; above max, 110003; off-tick, 10001', async () => {
    await ok(create(MAKER, order('BTCUSDT', 'Buy', '29000', '0.01')));
    await ok(create(MAKER, order('BTCUSDT', 'Sell', '31000', '0.01')));
    await ok(create(MAKER, order('BTCUSDT', 'Sell', '1999999.8', '0.01')));
    await refused(create(TAKER, order('BTCUSDT', 'Buy', '1999999.8', '0.001')), 110003);
    const { orderId } = await ok(create(TAKER, order('BTCUSDT', 'Buy', '29500', '0.001')));
    const before = snapshot('BTCUSDT', uids.taker!);
    await refused(amend(TAKER, 'BTCUSDT', orderId, { price: '1999999.8' }), 110003, /through the mark/);
    await refused(amend(TAKER, 'BTCUSDT', orderId, { price: '2000000.0' }), 110003, /within 0.10..1999999.80/);
    await refused(amend(TAKER, 'BTCUSDT', orderId, { price: '29500.05' }), 10001, /price/);
    expect(snapshot('BTCUSDT', uids.taker!)).toBe(before);
    expect(venue.ledger.size).toBe(0);
  });

  it('an order placed with no reference (empty book) meets the band on amend once there is one', async () => {
    const { orderId } = await ok(create(TAKER, order('ETHUSDT', 'Buy', '1950', '0.2')));
    await ethBook();
    await refused(amend(TAKER, 'ETHUSDT', orderId, { price: '5000' }), 110003);
    expect(venue.ledger.size).toBe(0);
  });
});

describe('instrument limits before margin (REST)', () => {
  it('a qty above maxOrderQty on an account too small to margin it is 10001, not 110007 (create and amend)', async () => {
    const tooLarge = /The number of contracts exceeds maximum limit allowed/;
    const before = snapshot('BTCUSDT', uids.poor!);
    await refused(create(POOR, order('BTCUSDT', 'Buy', '29000', '1190.001')), 10001, tooLarge);
    await refused(create(POOR, { category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '500.001' }), 10001, tooLarge);
    expect(snapshot('BTCUSDT', uids.poor!)).toBe(before);
    // Within the limits the margin is what refuses it.
    await refused(create(POOR, order('BTCUSDT', 'Buy', '29000', '1190')), 110007);
    await refused(create(POOR, order('BTCUSDT', 'Buy', '29000', '0.1')), 110007);

    const { orderId } = await ok(create(POOR, order('BTCUSDT', 'Buy', '29000', '0.001')));
    const resting = snapshot('BTCUSDT', uids.poor!);
    await refused(amend(POOR, 'BTCUSDT', orderId, { qty: '1190.001' }), 10001, tooLarge);
    await refused(amend(POOR, 'BTCUSDT', orderId, { qty: '0.1' }), 110007);
    expect(snapshot('BTCUSDT', uids.poor!)).toBe(resting);
  });

  it('the band comes before margin too: an unaffordable order through the band is 110003', async () => {
    await ethBook();
    await refused(create(POOR, order('ETHUSDT', 'Buy', '5000', '100')), 110003);
    await refused(create(POOR, order('ETHUSDT', 'Buy', '2000', '100')), 110007);
  });
});

describe('orderLinkId window (REST, closedLinkIdWindow 3)', () => {
  it('an open order never loses its orderLinkId; a closed one becomes reusable after the window; the set stays bounded', async () => {
    const acct = venue.account(uids.maker!);
    const keep = await ok(create(MAKER, order('BTCUSDT', 'Buy', '29000', '0.001', { orderLinkId: 'keep' })));
    const old = await ok(create(MAKER, order('BTCUSDT', 'Buy', '29000', '0.001', { orderLinkId: 'old' })));
    await ok(post(MAKER, '/v5/order/cancel', { category: 'linear', symbol: 'BTCUSDT', orderId: old.orderId }));
    // Just closed: still reserved.
    await refused(create(MAKER, order('BTCUSDT', 'Buy', '29000', '0.001', { orderLinkId: 'old' })), 110072);
    for (let i = 0; i < 20; i++) {
      // Closes 20 more orders with ids (PostOnly that never rests counts the same as a cancel)...
      const id = `c-${i}`;
      const r = await ok(create(MAKER, order('BTCUSDT', 'Buy', '29000', '0.001', { orderLinkId: id })));
      await ok(post(MAKER, '/v5/order/cancel', { category: 'linear', symbol: 'BTCUSDT', orderLinkId: id }));
      expect(venue.orders.find(uids.maker!, r.orderId)!.status).toBe('Cancelled');
      // ...while the open order's id stays refused, and the set never holds more than the open ids + the window.
      await refused(create(MAKER, order('BTCUSDT', 'Buy', '29000', '0.001', { orderLinkId: 'keep' })), 110072);
      expect(acct.usedLinkIds.size).toBeLessThanOrEqual(1 + WINDOW);
      if (i === WINDOW - 2) await refused(create(MAKER, order('BTCUSDT', 'Buy', '29000', '0.001', { orderLinkId: 'old' })), 110072);
    }
    expect([...acct.usedLinkIds]).toEqual(['keep', 'c-17', 'c-18', 'c-19']);
    // 'old' fell out of the window: reusable, and the id now names the new order.
    const again = await ok(create(MAKER, order('BTCUSDT', 'Buy', '29000', '0.001', { orderLinkId: 'old' })));
    expect(again.orderId).not.toBe(old.orderId);
    const byLink = await ok(post(MAKER, '/v5/order/cancel', { category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'old' }));
    expect(byLink).toEqual({ orderId: again.orderId, orderLinkId: 'old' });
    // The long-open order was never touched by any of it.
    expect(venue.orders.find(uids.maker!, keep.orderId)!.status).toBe('New');
    // Another account's ids are its own.
    await ok(create(TAKER, order('BTCUSDT', 'Buy', '29000', '0.001', { orderLinkId: 'keep' })));
  });

  it('a filled order releases its id the same way', async () => {
    await ok(create(MAKER, order('BTCUSDT', 'Sell', '30000', '0.001', { orderLinkId: 'f-1' })));
    await ok(create(TAKER, order('BTCUSDT', 'Buy', '30000', '0.001', { timeInForce: 'IOC' })));
    await refused(create(MAKER, order('BTCUSDT', 'Sell', '30000', '0.001', { orderLinkId: 'f-1' })), 110072);
    for (let i = 0; i < WINDOW; i++) await ok(create(MAKER, order('BTCUSDT', 'Buy', '29000', '0.001', { orderLinkId: `p-${i}`, timeInForce: 'IOC' })));
    await ok(create(MAKER, order('BTCUSDT', 'Sell', '30000', '0.001', { orderLinkId: 'f-1' })));
  });
});

describe('LinkIds (unit)', () => {
  it('stays bounded over a long run and keeps every open id', () => {
    const ids = new LinkIds(100);
    for (let i = 0; i < 500; i++) ids.add(`open-${i}`);
    for (let i = 0; i < 50_000; i++) {
      ids.add(`x-${i}`);
      ids.close(`x-${i}`);
      if (i % 997 === 0) expect(ids.size).toBeLessThanOrEqual(500 + 100);
    }
    expect(ids.size).toBe(600);
    for (let i = 0; i < 500; i++) expect(ids.has(`open-${i}`)).toBe(true);
    expect(ids.has('x-49999')).toBe(true);
    expect(ids.has('x-49900')).toBe(true);
    expect(ids.has('x-49899')).toBe(false);
    expect([...ids].slice(500)).toEqual(Array.from({ length: 100 }, (_, k) => `x-${49_900 + k}`));
    const none = new LinkIds(0);
    none.add('a');
    expect(none.has('a')).toBe(true);
    none.close('a');
    expect([none.has('a'), none.size]).toEqual([false, 0]);
  });
});

describe('amend runs the create price checks (/v5/trade order.amend)', () => {
  const T0 = 1_700_000_000_000;
  let h: Harness;
  let wsClock: ManualClock;
  beforeEach(async () => {
    wsClock = new ManualClock(T0);
    h = await startHarness({ clock: wsClock, limiter: new RateLimiter(BYBIT_LINEAR_LIMITS, BYBIT_DEFAULT_LIMIT) });
  });
  afterEach(async () => {
    await h.close();
  });

  let reqSeq = 0;
  function call(c: TestClient, op: string, args: unknown): Promise<Json> {
    const reqId = `oc-${++reqSeq}`;
    wsClock.advance(101);
    c.send({ op, args, reqId, header: { 'X-BAPI-TIMESTAMP': String(wsClock.now()), 'X-BAPI-RECV-WINDOW': '5000' } });
    return c.next((m) => m.json?.op === op && m.json.reqId === reqId, `${op} ${reqId}`).then((m) => m.json);
  }

  it('ETHUSDT: order.amend 1950 → 5000 is refused 110003 and the order stays as it was', async () => {
    const maker = h.account('maker');
    const taker = h.account('taker');
    const eth = (side: 1 | -1, price: number, lots: number) =>
      h.venue.place(maker.uid, { symbol: 'ETHUSDT', side, orderType: 'Limit', timeInForce: 'GTC', price, qty: lots, signedAt: T0 });
    eth(1, 190_000, 10);
    eth(-1, 210_000, 10);
    eth(-1, 500_000, 10);
    const c = await h.connect('/v5/trade');
    c.send({ op: 'auth', args: authArgs(taker.apiKey, taker.secret, wsClock.now() + 5000) });
    expect((await c.nextWith({ op: 'auth' })).json.retCode).toBe(0);

    const created = await call(c, 'order.create', [{ category: 'linear', symbol: 'ETHUSDT', side: 'Buy', orderType: 'Limit', qty: '0.2', price: '1950' }]);
    expect(created.retCode).toBe(0);
    const orderId: string = created.data.orderId;
    const o = h.venue.orders.find(taker.uid, orderId)!;
    const before = JSON.stringify({ o, bids: h.venue.book('ETHUSDT').depth(1, 10), asks: h.venue.book('ETHUSDT').depth(-1, 10), fills: h.venue.ledger.size });

    const r = await call(c, 'order.amend', [{ category: 'linear', symbol: 'ETHUSDT', orderId, price: '5000' }]);
    expect([r.retCode, r.retMsg]).toEqual([110003, expect.stringMatching(/through the mark/)]);
    const big = await call(c, 'order.amend', [{ category: 'linear', symbol: 'ETHUSDT', orderId, qty: '7240.01' }]);
    expect([big.retCode, big.retMsg]).toEqual([10001, 'The number of contracts exceeds maximum limit allowed: too large']);
    const batch = await call(c, 'order.amend-batch', [{ category: 'linear', request: [{ symbol: 'ETHUSDT', orderId, price: '5000' }] }]);
    expect(batch.retExtInfo.list).toEqual([{ code: 110003, msg: expect.stringMatching(/exceeds allowable range/) }]);
    expect(JSON.stringify({ o, bids: h.venue.book('ETHUSDT').depth(1, 10), asks: h.venue.book('ETHUSDT').depth(-1, 10), fills: h.venue.ledger.size })).toBe(before);
    expect(h.venue.ledger.size).toBe(0);
  });
});
