/**
 * Venue faults seen by real clients over REST (fetch + HMAC), /v5/trade and the control plane: order rejects, 10006
 * storms, HTTP 5xx, maintenance, clock skew; the effect during the window, normal behaviour after it, the journal,
 * and determinism. Seeds are printed.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startFaultSim, Client, refusedUpgrade, bid, SYMBOL, type FaultSim, type Json } from './helpers/faults.ts';

const SEED = 2024;
console.log(`faults-rest: seed ${SEED}`);

const json = async (r: Response): Promise<Json> => r.json();

describe(`venue faults over REST and the control plane (seed ${SEED})`, () => {
  let f: FaultSim;
  beforeAll(async () => {
    f = await startFaultSim(SEED);
  });
  afterAll(async () => {
    await f.close();
  });

  const openOrders = () => [...f.sim.venue.orders.openOf(f.maker.uid)].length;
  const addFault = async (body: unknown) => {
    const r = await f.control('POST', '/faults', body);
    const v = await json(r);
    expect(r.status, JSON.stringify(v)).toBe(201);
    return v as { id: string; state: string };
  };
  const endFault = async (id: string) => {
    const r = await f.control('DELETE', `/faults/${id}`);
    expect(r.status).toBe(200);
    return f.fault(id, 'end');
  };

  it('reject-orders: REST create, batch items and /v5/trade answer the retCode, nothing is applied; normal after', async () => {
    const before = openOrders();
    const v = await addFault({ type: 'reject-orders', params: { p: 1 } });
    expect(v.state).toBe('active');
    const r = await f.rest('POST', '/v5/order/create', bid('50000'));
    expect(r.status).toBe(200);
    expect(r.headers.get('ret_code')).toBe('10016');
    expect(await json(r)).toMatchObject({ retCode: 10016, retMsg: 'Server error', result: {}, retExtInfo: {} });
    const b = await json(await f.rest('POST', '/v5/order/create-batch', { category: 'linear', request: [bid('50001'), bid('50002')] }));
    expect(b.retCode).toBe(0);
    expect(b.retExtInfo.list).toEqual([{ code: 10016, msg: 'Server error' }, { code: 10016, msg: 'Server error' }]);
    expect(b.result.list.map((x: Json) => x.orderId)).toEqual(['', '']);

    const trade = await Client.open(f.sim.urls.wsTrade);
    expect((await trade.auth(f.maker)).retCode).toBe(0);
    trade.send({ reqId: 't1', header: { 'X-BAPI-TIMESTAMP': String(Date.now()) }, op: 'order.create', args: [bid('50003')] });
    expect((await trade.next((m) => m.reqId === 't1')).msg).toMatchObject({ retCode: 10016, retMsg: 'Server error', op: 'order.create' });
    expect(openOrders()).toBe(before);

    const end = await endFault(v.id);
    expect(end.stats).toEqual({ rejected: 4 });
    const ok = await json(await f.rest('POST', '/v5/order/create', bid('50004')));
    expect(ok.retCode).toBe(0);
    trade.send({ reqId: 't2', header: { 'X-BAPI-TIMESTAMP': String(Date.now()) }, op: 'order.create', args: [bid('50005')] });
    expect((await trade.next((m) => m.reqId === 't2')).msg.retCode).toBe(0);
    expect(openOrders()).toBe(before + 2);
    trade.close();
  });

  it('the same seed gives the same reject pattern for the same request sequence', async () => {
    const pattern = async (sim: FaultSim) => {
      await sim.control('POST', '/faults', { type: 'reject-orders', params: { p: 0.5, retCode: 10019, retMsg: 'service is restarting' } });
      const out: number[] = [];
      for (let i = 0; i < 24; i++) out.push((await json(await sim.rest('POST', '/v5/order/create', bid(String(40000 + i))))).retCode);
      await sim.control('POST', '/faults/clear');
      return out;
    };
    // Fault ids (f1, f2, …) name the random streams: two fresh venues with the same seed and the same faults.
    const [one, two] = await Promise.all([startFaultSim(SEED), startFaultSim(SEED)]);
    try {
      const a = await pattern(one);
      const b = await pattern(two);
      expect(a).toEqual(b);
      expect(new Set(a)).toEqual(new Set([0, 10019]));
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('rate-limit-storm: private requests answer 10006 with 0 remaining; public ones do not; normal after', async () => {
    const v = await addFault({ type: 'rate-limit-storm', params: {} });
    const r = await f.rest('GET', '/v5/account/wallet-balance', { accountType: 'UNIFIED' });
    expect(r.status).toBe(200);
    expect(await json(r)).toMatchObject({ retCode: 10006, retMsg: 'Too many visits!' });
    expect(r.headers.get('x-bapi-limit')).toBe('50');
    expect(r.headers.get('x-bapi-limit-status')).toBe('0');
    expect(Number(r.headers.get('x-bapi-limit-reset-timestamp'))).toBeGreaterThan(Number(r.headers.get('timenow')));
    expect((await json(await fetch(`${f.sim.urls.rest}/v5/market/time`))).retCode).toBe(0);
    await endFault(v.id);
    const ok = await f.rest('GET', '/v5/account/wallet-balance', { accountType: 'UNIFIED' });
    expect((await json(ok)).retCode).toBe(0);
    expect(Number(ok.headers.get('x-bapi-limit-status'))).toBeGreaterThan(0);
  });

  it('http-error: 502 with an HTML page, 504 empty, nothing applied; normal after', async () => {
    const before = openOrders();
    const v = await addFault({ type: 'http-error', params: { status: 502 } });
    const r = await f.rest('POST', '/v5/order/create', bid('50010'));
    expect(r.status).toBe(502);
    expect(r.headers.get('content-type')).toContain('text/html');
    expect(await r.text()).toContain('<title>502 Bad Gateway</title>');
    expect((await fetch(`${f.sim.urls.rest}/v5/market/time`)).status).toBe(502);
    await endFault(v.id);
    const v2 = await addFault({ type: 'http-error', params: { status: 504, routes: 'private' } });
    const r2 = await f.rest('POST', '/v5/order/create', bid('50011'));
    expect(r2.status).toBe(504);
    expect(await r2.text()).toBe('');
    expect((await fetch(`${f.sim.urls.rest}/v5/market/time`)).status).toBe(200);
    expect(openOrders()).toBe(before);
    await endFault(v2.id);
    expect((await json(await f.rest('POST', '/v5/order/create', bid('50012')))).retCode).toBe(0);
  });

  it('maintenance: REST 503, every WS closed with 1012 and upgrades refused with 503; then recovery', async () => {
    const pub = await Client.open(f.sim.urls.wsPublic);
    const priv = await Client.open(f.sim.urls.wsPrivate);
    expect((await priv.auth(f.maker)).success).toBe(true);
    const v = await addFault({ type: 'maintenance', params: { wsCode: 1012 } });
    expect((await pub.closed).code).toBe(1012);
    expect((await priv.closed).code).toBe(1012);
    expect(await refusedUpgrade(f.sim.urls.wsPublic)).toBe(503);
    const r = await f.rest('GET', '/v5/order/realtime', { category: 'linear', symbol: SYMBOL });
    expect(r.status).toBe(503);
    expect(await r.text()).toContain('503 Service Temporarily Unavailable');
    const end = await endFault(v.id);
    expect(end.stats).toMatchObject({ closed: 2, rest: 1 });
    expect((await json(await f.rest('GET', '/v5/order/realtime', { category: 'linear', symbol: SYMBOL }))).retCode).toBe(0);
    const again = await Client.open(f.sim.urls.wsPublic);
    expect(await again.pingFence()).toEqual([]);
    again.close();
  });

  it('clock-skew: requests fail with 10002 beyond recv_window during the window, succeed after it ends', async () => {
    const v = await addFault({ type: 'clock-skew', params: { offsetMs: 10_000 }, durationMs: 300 });
    const clientNow = Date.now();
    const r = await json(await f.rest('GET', '/v5/account/wallet-balance', { accountType: 'UNIFIED' }, f.maker, clientNow));
    expect(r.retCode).toBe(10002);
    expect(r.retMsg).toContain(`req_timestamp[${clientNow}]`);
    const end = await f.fault(v.id, 'end');
    expect(end.reason).toBe('elapsed');
    expect((await json(await f.rest('GET', '/v5/account/wallet-balance', { accountType: 'UNIFIED' }, f.maker, Date.now()))).retCode).toBe(0);
  });

  it('control plane: validation names the path, lists active and scheduled faults with remaining time, timeline, clear', async () => {
    const bad = await f.control('POST', '/faults', { type: 'meteor', params: {} });
    expect(bad.status).toBe(400);
    expect((await json(bad)).message).toMatch(/^type: /);
    const badParam = await json(await f.control('POST', '/faults', { type: 'http-error', params: { status: 418 } }));
    expect(badParam.message).toMatch(/params\.status/);
    const badTopic = await json(await f.control('POST', '/faults', { type: 'mute-topic', params: { topic: 'orderbook.50.NOPE' } }));
    expect(badTopic).toMatchObject({ error: 'CTRL_BAD_REQUEST' });
    expect(badTopic.message).toMatch(/params\.topic/);

    const a = await addFault({ type: 'latency', params: { medianMs: 1 }, durationMs: 600_000 });
    const t = await f.control('POST', '/faults/timeline', { steps: [{ atMs: 600_000, type: 'maintenance', params: {}, durationMs: 1000 }] });
    expect(t.status).toBe(201);
    const list = await json(await f.control('GET', '/faults'));
    expect(list.active).toHaveLength(1);
    expect(list.active[0]).toMatchObject({ id: a.id, type: 'latency', state: 'active', durationMs: 600_000 });
    expect(list.active[0].endsInMs).toBeGreaterThan(590_000);
    expect(list.active[0].params).toMatchObject({ dist: 'lognormal', medianMs: 1, sigma: 1 });
    expect(list.scheduled[0]).toMatchObject({ type: 'maintenance', state: 'scheduled', durationMs: 1000 });
    expect(list.scheduled[0].startsInMs).toBeGreaterThan(590_000);
    expect((await f.control('DELETE', '/faults/f999')).status).toBe(404);
    expect(await json(await f.control('POST', '/faults/clear'))).toEqual({ cleared: 2 });
    expect(await json(await f.control('GET', '/faults'))).toEqual({ active: [], scheduled: [] });
    const end = await f.fault(a.id, 'end');
    expect(end).toMatchObject({ kind: 'fault', action: 'end', reason: 'cleared', fault: { type: 'latency', durationMs: 600_000 } });
    expect(typeof end.at).toBe('number');
    // Every fault of this file started and ended in the journal.
    const starts = f.faults.filter((r) => r.action === 'start').map((r) => r.id);
    const ends = f.faults.filter((r) => r.action === 'end').map((r) => r.id);
    expect(new Set(ends)).toEqual(new Set(starts));
  });
});
