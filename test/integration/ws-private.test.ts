/**
 * /v5/private over real sockets: auth (number and string expires, bad/expired/unknown), subscribe rules, the
 * order/execution/position/wallet pushes of a fill, and disconnect-cancel (DCP) firing — or not — after the window.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebsocketClient } from 'bybit-api';
import { startHarness, ccxtPro, authArgs, limit, type Harness, type TestClient } from './helpers/ws-harness.ts';
import { ManualClock } from '../../sim-exchange/clock.ts';
import { hmacHex } from '../../sim-exchange/bybit-v5/auth.ts';
import { CATALOGUE } from '../../sim-exchange/bybit-v5/errors.ts';
import type { OrderRecord } from '../../sim-exchange/venue/orders.ts';
import { maxActiveTimeMs } from '../../sim-exchange/bybit-v5/ws/gateway.ts';

const SYM = 'BTCUSDT';
const MID = 600_000;
/** BTCUSDT ticks (tickSize 0.10) as the venue prints a price. */
const px = (ticks: number): string => (ticks / 10).toFixed(2);
const T0 = 1_700_000_000_000;

let h: Harness;
let clock: ManualClock;
beforeEach(async () => {
  clock = new ManualClock(T0);
  h = await startHarness({ clock, dcpUnitMs: 10 });
});
afterEach(async () => {
  await h.close();
});

async function login(acct: { apiKey: string; secret: string }, topics: string[] = []): Promise<TestClient> {
  const c = await h.connect('/v5/private');
  const r = await c.request({ op: 'auth', req_id: 'auth', args: authArgs(acct.apiKey, acct.secret, clock.now() + 5000) });
  expect(r.success).toBe(true);
  if (topics.length > 0) expect((await c.request({ op: 'subscribe', req_id: 'sub', args: topics })).success).toBe(true);
  return c;
}

describe('auth', () => {
  it('accepts expires as a number (bybit-api) and as a string (ccxt), echoing req_id when sent', async () => {
    const a = h.account();
    const c1 = await h.connect('/v5/private');
    c1.send({ op: 'auth', args: authArgs(a.apiKey, a.secret, T0 + 5000), req_id: 'v5Private-auth' });
    const r1 = await c1.next();
    expect(r1.text).toBe(`{"success":true,"ret_msg":"","op":"auth","conn_id":"${r1.json.conn_id}","req_id":"v5Private-auth"}`);
    const c2 = await h.connect('/v5/private');
    c2.send({ op: 'auth', args: authArgs(a.apiKey, a.secret, T0 + 10000, true) });
    const r2 = await c2.next();
    expect(r2.text).toBe(`{"success":true,"ret_msg":"","op":"auth","conn_id":"${r2.json.conn_id}"}`);
    expect(h.gateway.stats().privateAuthenticated).toBe(2);
  });

  it('refuses a bad signature, an expired request (number or string), an unknown key and malformed args', async () => {
    const a = h.account();
    const c = await h.connect('/v5/private');
    const cases: [unknown, RegExp][] = [
      [[a.apiKey, T0 + 5000, hmacHex('wrong-secret', `GET/realtime${T0 + 5000}`)], /^error sign/],
      [authArgs(a.apiKey, a.secret, T0 - 1), /^Params Error: request expired/],
      [authArgs(a.apiKey, a.secret, T0 - 1, true), /^Params Error: request expired/],
      [authArgs('nobody-key', 'x', T0 + 5000), /^API key is invalid\.$/],
      [[a.apiKey], /^params error/],
      ['not-an-array', /^params error/],
    ];
    for (const [args, msg] of cases) {
      const r = await c.request({ op: 'auth', req_id: 'x', args });
      expect(Object.keys(r)).toEqual(['success', 'ret_msg', 'op', 'conn_id', 'req_id']);
      expect(r.success).toBe(false);
      expect(r.ret_msg).toMatch(msg);
    }
    expect(h.gateway.stats().privateAuthenticated).toBe(0);
    expect((await c.request({ op: 'auth', req_id: 'ok', args: authArgs(a.apiKey, a.secret, T0 + 1) })).success).toBe(true);
    // Same key again: fine; another key on an authenticated connection: refused, the first stays.
    const b = h.account();
    expect((await c.request({ op: 'auth', req_id: 'again', args: authArgs(a.apiKey, a.secret, T0 + 2) })).success).toBe(true);
    expect(await c.request({ op: 'auth', req_id: 'other', args: authArgs(b.apiKey, b.secret, T0 + 2) })).toMatchObject({ success: false, ret_msg: 'Repeat auth' });
  });

  it('refuses subscribing before auth, validates topics, and answers ping with the private pong', async () => {
    const a = h.account();
    const c = await h.connect('/v5/private');
    const r = await c.request({ op: 'subscribe', req_id: 'early', args: ['order'] });
    expect(r).toEqual({ success: false, ret_msg: CATALOGUE.WS_NOT_AUTHED.retMsg, conn_id: expect.any(String), req_id: 'early', op: 'subscribe' });
    c.send({ req_id: 'p1', op: 'ping' });
    const p = await c.next();
    expect(p.text).toBe(`{"req_id":"p1","op":"pong","args":["${T0}"],"conn_id":"${p.json.conn_id}"}`);
    await c.request({ op: 'auth', req_id: 'a', args: authArgs(a.apiKey, a.secret, T0 + 5000) });
    const bad = await c.request({ op: 'subscribe', req_id: 'bad', args: ['order', 'orderbook.1.BTCUSDT', 'greeks'] });
    expect(bad).toMatchObject({ success: false, ret_msg: 'Invalid topic: orderbook.1.BTCUSDT; Invalid topic: greeks' });
    const ok = await c.request({ op: 'subscribe', req_id: 'ok', args: ['order', 'execution', 'execution.fast', 'position', 'wallet', 'dcp.future'] });
    expect(JSON.stringify(ok)).toBe(`{"success":true,"ret_msg":"","conn_id":"${ok.conn_id}","req_id":"ok","op":"subscribe"}`);
    expect((await c.request({ op: 'subscribe', req_id: 'dup', args: ['order'] })).ret_msg).toBe('error:already subscribed,topic:order');
    expect((await c.request({ op: 'unsubscribe', req_id: 'un', args: ['order'] })).success).toBe(true);
    c.send('{oops');
    expect((await c.next()).json).toMatchObject({ success: false, op: '' });
    c.send({ op: 'teleport', req_id: 't' });
    expect((await c.next()).json).toMatchObject({ success: false, op: 'teleport', req_id: 't' });
  });
});

describe('connection options', () => {
  it('parses ?max_active_time (30s..600s, or minutes) for private/trade idle limits', () => {
    const t = (q: string) => maxActiveTimeMs(new URLSearchParams(q));
    expect(t('max_active_time=30s')).toBe(30_000);
    expect(t('max_active_time=600s')).toBe(600_000);
    expect(t('max_active_time=2m')).toBe(120_000);
    expect(t('max_active_time=29s')).toBeUndefined();
    expect(t('max_active_time=11m')).toBeUndefined();
    expect(t('max_active_time=abc')).toBeUndefined();
    expect(t('')).toBeUndefined();
  });

  it('journals private frames with the uid once authenticated', async () => {
    const a = h.account();
    const c = await login(a, ['order']);
    h.venue.place(a.uid, limit(SYM, 1, MID - 10, 1));
    const push = await c.nextWith({ topic: 'order' });
    const e = await h.journalNext((x) => x.dir === 'out' && x.data === push.text);
    expect(e).toMatchObject({ channel: 'private', uid: a.uid, at: T0 });
    const authIn = h.journal.find((x) => x.dir === 'in' && x.data.includes('"op":"auth"'))!;
    expect(authIn.uid).toBeUndefined();
  });
});

describe('account topics', () => {
  it('pushes order, execution, position and wallet when another account fills our order', async () => {
    const mm = h.account('mm');
    const taker = h.account('taker');
    const c = await login(mm, ['order', 'execution', 'position', 'wallet']);
    const c2 = await login(mm, ['order.linear', 'execution.fast']);
    const tc = await login(taker, ['dcp.future']);

    const rec = h.venue.place(mm.uid, limit(SYM, -1, MID, 5, { orderLinkId: 'q-1' }));
    const o1 = await c.nextWith({ topic: 'order' });
    expect(Object.keys(o1.json)).toEqual(['id', 'topic', 'creationTime', 'data']);
    expect(o1.json.creationTime).toBe(T0);
    expect(o1.json.data).toHaveLength(1);
    expect(o1.json.data[0]).toMatchObject({
      category: 'linear', symbol: SYM, orderId: rec.orderId, orderLinkId: 'q-1', side: 'Sell', orderStatus: 'New',
      price: '60000.00', qty: '0.005', leavesQty: '0.005', cumExecQty: '0.000', tpslMode: '',
    });
    const p1 = await c.nextWith({ topic: 'position' });
    expect(p1.json.data[0]).toMatchObject({ category: 'linear', symbol: SYM, size: '0.000', side: '' });
    expect((await c2.nextWith({ topic: 'order.linear' })).json.data[0].orderId).toBe(rec.orderId);

    clock.advance(5);
    const tr = h.venue.place(taker.uid, limit(SYM, 1, MID, 2));
    const o2 = await c.nextWith({ topic: 'order' });
    expect(o2.json.data).toHaveLength(1);
    expect(o2.json.data[0]).toMatchObject({ orderId: rec.orderId, orderStatus: 'PartiallyFilled', cumExecQty: '0.002', leavesQty: '0.003' });
    const e = await c.nextWith({ topic: 'execution' });
    expect(e.json.data).toHaveLength(1);
    expect(e.json.data[0]).toMatchObject({
      category: 'linear', symbol: SYM, orderId: rec.orderId, orderLinkId: 'q-1', side: 'Sell', execPrice: '60000.00',
      execQty: '0.002', execType: 'Trade', isMaker: true, createType: 'CreateByUser', leavesQty: '0.003',
    });
    const p2 = await c.nextWith({ topic: 'position' });
    expect(p2.json.data[0]).toMatchObject({ symbol: SYM, side: 'Sell', size: '0.002', entryPrice: '60000.00' });
    const w = await c.nextWith({ topic: 'wallet' });
    expect(w.json.data[0]).toMatchObject({ accountType: 'UNIFIED' });
    expect(w.json.data[0].coin[0].coin).toBe('USDT');
    const fast = await c2.nextWith({ topic: 'execution.fast' });
    expect(Object.keys(fast.json.data[0])).toEqual(['category', 'symbol', 'execId', 'execPrice', 'execQty', 'orderId', 'isMaker', 'orderLinkId', 'side', 'execTime', 'seq']);
    expect(fast.json.data[0]).toMatchObject({ orderId: rec.orderId, isMaker: true, orderLinkId: '', execQty: '0.002' });
    // Message order for one command: order, execution, position, wallet.
    const topics = c.all.map((m) => m.json?.topic).filter(Boolean);
    expect(topics).toEqual(['order', 'position', 'order', 'execution', 'position', 'wallet']);
    // The taker's connection subscribed nothing that carries data; nothing arrived for it.
    expect(tc.all.filter((m) => m.json?.topic)).toEqual([]);
    expect(tr.status).toBe('Filled');
  });

  it('merges one turn\'s updates into one message per topic, and sends position on cancel', async () => {
    const mm = h.account('mm');
    const taker = h.account('taker');
    const c = await login(mm, ['order', 'position']);
    h.venue.place(mm.uid, limit(SYM, -1, MID, 1));
    h.venue.place(mm.uid, limit(SYM, -1, MID + 1, 1));
    const r3 = h.venue.place(mm.uid, limit(SYM, -1, MID + 2, 1));
    // Three commands in one event-loop turn: one order message with the three orders in command order, and one
    // position message with the symbol's latest state (not three copies).
    const placed = await c.nextWith({ topic: 'order' });
    expect(placed.json.data.map((x: { price: string; orderStatus: string }) => [x.price, x.orderStatus])).toEqual([
      [px(MID), 'New'],
      [px(MID + 1), 'New'],
      [px(MID + 2), 'New'],
    ]);
    expect((await c.nextWith({ topic: 'position' })).json.data).toHaveLength(1);
    h.venue.place(taker.uid, limit(SYM, 1, MID + 1, 2));
    const o = await c.nextWith({ topic: 'order' });
    expect(o.json.data.map((x: { orderStatus: string }) => x.orderStatus)).toEqual(['Filled', 'Filled']);
    c.drain();
    h.venue.cancel(mm.uid, { symbol: SYM, orderId: r3.orderId });
    expect((await c.nextWith({ topic: 'order' })).json.data[0]).toMatchObject({ orderStatus: 'Cancelled', cancelType: 'CancelByUser' });
    expect((await c.nextWith({ topic: 'position' })).json.data[0]).toMatchObject({ size: '0.002', side: 'Sell' });
  });
});

describe('disconnect-cancel (DCP)', () => {
  function dcpCancels(uid: number): Promise<OrderRecord[]> {
    return new Promise((resolve) => {
      const off = h.venue.listen({
        onAccountUpdate(u, update) {
          const hit = update.orders.filter((o) => o.cancelType === 'CancelByDCP');
          if (u === uid && hit.length > 0) {
            off();
            resolve(hit.map((o) => ({ ...o })));
          }
        },
      });
    });
  }

  it('cancels every open order after the window once the last armed connection drops', async () => {
    const a = h.account();
    h.venue.setDcpWindow(a.uid, 5); // 5 × dcpUnitMs(10) = 50 ms
    const c = await login(a, ['dcp.future']);
    const o1 = h.venue.place(a.uid, limit(SYM, 1, MID - 10, 1));
    const o2 = h.venue.place(a.uid, limit('ETHUSDT', -1, 400_000, 1));
    const fired = dcpCancels(a.uid);
    c.close();
    const cancelled = await fired;
    expect(cancelled.map((o) => o.orderId).sort()).toEqual([o1.orderId].sort());
    await expect.poll(() => o2.status).toBe('Cancelled');
    expect(o1).toMatchObject({ status: 'Cancelled', cancelType: 'CancelByDCP' });
    expect(o2.cancelType).toBe('CancelByDCP');
    expect(h.gateway.stats().dcpPending).toEqual([]);
  });

  it('does not fire when an armed connection is back before the window ends', async () => {
    const a = h.account();
    h.venue.setDcpWindow(a.uid, 1000); // 10 s
    const c1 = await login(a, ['dcp.future']);
    const o = h.venue.place(a.uid, limit(SYM, 1, MID - 10, 1));
    c1.close();
    await expect.poll(() => h.gateway.stats().dcpPending).toEqual([a.uid]);
    const c2 = await login(a, ['dcp.future']);
    expect(h.gateway.stats().dcpPending).toEqual([]);
    expect(o.status).toBe('New');
    c2.terminate();
    await expect.poll(() => h.gateway.stats().dcpPending).toEqual([a.uid]);
    // Gateway close clears the timer: nothing fires afterwards.
    await h.gateway.close();
    expect(h.gateway.stats().dcpPending).toEqual([]);
    expect(o.status).toBe('New');
  });

  it('needs all armed connections gone, an enabled window, and a dcp.future subscription', async () => {
    const a = h.account('a');
    const b = h.account('b');
    h.venue.setDcpWindow(a.uid, 1000);
    const a1 = await login(a, ['dcp.future']);
    const a2 = await login(a, ['dcp.future']);
    const plain = await login(a, ['order']);
    const bc = await login(b, ['dcp.future']); // b never enabled DCP
    const disarmed = await login(a, ['dcp.future']);
    expect((await disarmed.request({ op: 'unsubscribe', req_id: 'off', args: ['dcp.future'] })).success).toBe(true);
    for (const c of [a1, plain, bc, disarmed]) c.close();
    await Promise.all([a1, plain, bc, disarmed].map((c) => c.closed));
    await expect.poll(() => h.gateway.stats().connections['/v5/private']).toBe(1);
    expect(h.gateway.stats().dcpPending).toEqual([]);
    a2.close();
    await expect.poll(() => h.gateway.stats().dcpPending).toEqual([a.uid]);
  });

  it('gateway.drop() (fault injection) closes with the chosen code or resets, and counts as a disconnect for DCP', async () => {
    const a = h.account('a');
    const b = h.account('b');
    h.venue.setDcpWindow(a.uid, 1000);
    const ca = await login(a, ['dcp.future']);
    const cb = await login(b, ['order']);
    const pub = await h.connect('/v5/public/linear');
    expect(h.gateway.drop({ channel: 'private', uid: a.uid }, 4000, 'fault')).toBe(1);
    expect(await ca.closed).toEqual({ code: 4000, reason: 'fault' });
    await expect.poll(() => h.gateway.stats().dcpPending).toEqual([a.uid]);
    expect(h.gateway.drop({ path: '/v5/public/linear' })).toBe(1);
    expect((await pub.closed).code).toBe(1006);
    expect(cb.ws.readyState).toBe(cb.ws.OPEN);
  });
});

describe('real clients', () => {
  it('bybit-api WebsocketClient authenticates (number expires), subscribes and receives order updates', async () => {
    await h.close();
    h = await startHarness(); // bybit-api signs with the wall clock
    const a = h.account();
    const ws = new WebsocketClient({ key: a.apiKey, secret: a.secret, wsUrl: h.url('/v5/private') });
    const orders: any[] = [];
    const got = new Promise<void>((resolve) =>
      ws.on('update', (e: any) => {
        if (e.topic === 'order') {
          orders.push(e);
          resolve();
        }
      }),
    );
    try {
      // bybit-api resolves private subscribe promises before it has even authenticated: wait for the server's ack.
      void ws.subscribeV5(['order', 'dcp.future'], 'linear');
      const ack = await h.journalNext((e) => e.channel === 'private' && e.dir === 'out' && e.data.includes('"op":"subscribe"'));
      expect(JSON.parse(ack.data)).toMatchObject({ success: true, req_id: 'order,dcp.future' });
      const auth = JSON.parse(h.journal.find((e) => e.dir === 'in' && e.data.includes('"op":"auth"'))!.data);
      expect(typeof auth.args[1]).toBe('number');
      expect(h.gateway.dcp.isArmed(a.uid)).toBe(true);
      const rec = h.venue.place(a.uid, limit(SYM, 1, MID - 10, 1));
      await got;
      expect(orders[0].data[0]).toMatchObject({ orderId: rec.orderId, orderStatus: 'New' });
      const c = await h.connect('/v5/private');
      c.send({ op: 'ping' });
      const pong = await c.next();
      expect((ws as unknown as { isWsPong(m: unknown): boolean }).isWsPong({ data: pong.text })).toBe(true);
    } finally {
      ws.closeAll(true);
    }
  });

  it('ccxt.pro watchOrders authenticates (string expires) and parses the order push', async () => {
    await h.close();
    h = await startHarness();
    const a = h.account();
    const ex = await ccxtPro(h.url(''), { apiKey: a.apiKey, secret: a.secret });
    try {
      const watching = ex.watchOrders('BTC/USDT:USDT');
      // Pushes are not buffered: place the order once the server has acked ccxt's subscribe.
      const ack = await h.journalNext((e) => e.channel === 'private' && e.dir === 'out' && e.data.includes('"op":"subscribe"'));
      expect(JSON.parse(ack.data).success).toBe(true);
      const auth = h.journal.find((e) => e.channel === 'private' && e.dir === 'in' && e.data.includes('"op":"auth"'))!;
      expect(typeof JSON.parse(auth.data).args[1]).toBe('string');
      h.venue.place(a.uid, limit(SYM, 1, MID - 10, 1, { orderLinkId: 'ccxt-1' }));
      const orders = await watching;
      expect(orders[0]).toMatchObject({ symbol: 'BTC/USDT:USDT', clientOrderId: 'ccxt-1', side: 'buy', price: 59999, amount: 0.001, status: 'open' });
    } finally {
      await ex.close();
    }
  });
});
