/**
 * Processing latency and late cancels seen by real clients: a REST order is applied after the drawn delay (command
 * time − receive time), /v5/trade replies and commands keep their order per connection under a heavy-tailed delay,
 * a late cancel is acknowledged at once and takes effect later, and a fill that wins the race is not undone.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startFaultSim, Client, bid, SYMBOL, type FaultSim, type Json } from './helpers/faults.ts';

const SEED = 4242;
console.log(`faults-latency: seed ${SEED}`);

describe(`processing latency and late cancels (seed ${SEED})`, () => {
  let f: FaultSim;
  beforeAll(async () => {
    f = await startFaultSim(SEED);
  });
  afterAll(async () => {
    await f.close();
  });

  const add = (body: unknown) => f.addFault(body);
  const end = (id: string) => f.endFault(id);
  const json = async (r: Response): Promise<Json> => r.json();
  const placedAt = (link: string) => f.commands.find((c) => c.cmd === 'place' && c.req.orderLinkId === link)!.at;
  const receivedAt = (link: string) =>
    f.traffic.find((e) => e.channel === 'rest' && e.path === '/v5/order/create' && e.body?.includes(`"${link}"`))!.at;

  it('REST: the order is applied after the delay (processing latency), and at once after the fault ends', async () => {
    const id = await add({ type: 'latency', params: { medianMs: 150, sigma: 0.01, volScale: false, channels: ['rest'] } });
    const r = await json(await f.rest('POST', '/v5/order/create', bid('41000', { orderLinkId: 'lat-1' })));
    expect(r.retCode).toBe(0);
    expect(placedAt('lat-1') - receivedAt('lat-1')).toBeGreaterThanOrEqual(120);
    const rec = await end(id);
    expect(rec.stats).toMatchObject({ delayed: 1 });
    expect(rec.stats!['maxMs']).toBeGreaterThanOrEqual(145);
    expect((await json(await f.rest('POST', '/v5/order/create', bid('41001', { orderLinkId: 'lat-2' })))).retCode).toBe(0);
    expect(f.sim.faults.pendingCommands).toBe(0);
  });

  it('/v5/trade: heavy-tailed delays never reorder one connection’s replies or commands', async () => {
    const id = await add({ type: 'latency', params: { dist: 'pareto', medianMs: 15, alpha: 1.2, maxMs: 400, channels: ['trade'] } });
    const t = await Client.open(f.sim.urls.wsTrade);
    await t.auth(f.maker);
    const links = Array.from({ length: 8 }, (_, i) => `fifo-${i}`);
    links.forEach((link, i) => t.send({ reqId: `r${i}`, header: { 'X-BAPI-TIMESTAMP': String(Date.now()) }, op: 'order.create', args: [bid(String(42000 + i), { orderLinkId: link })] }));
    const replies: string[] = [];
    for (let i = 0; i < links.length; i++) {
      const { msg } = await t.next((m) => m.op === 'order.create', `reply ${i}`);
      expect(msg.retCode).toBe(0);
      replies.push(msg.reqId);
    }
    expect(replies).toEqual(links.map((_, i) => `r${i}`));
    const placed = f.commands.filter((c) => c.cmd === 'place' && String(c.req.orderLinkId).startsWith('fifo-')).map((c) => (c as Json).req.orderLinkId);
    expect(placed).toEqual(links);
    expect((await end(id)).stats).toMatchObject({ delayed: 8 });
    t.close();
  });

  it('late-cancel: acknowledged at once, the order stays on the book, Cancelled is pushed after the delay', async () => {
    const p = await Client.open(f.sim.urls.wsPrivate);
    await p.auth(f.maker);
    p.send({ op: 'subscribe', req_id: 'o', args: ['order'] });
    await p.next((m) => m.op === 'subscribe' && m.success === true);
    const placed = await json(await f.rest('POST', '/v5/order/create', bid('43000', { orderLinkId: 'late-1' })));
    const orderId = placed.result.orderId as string;
    const id = await add({ type: 'late-cancel', params: { delayMs: 200 } });
    const t0 = Date.now();
    const ack = await json(await f.rest('POST', '/v5/order/cancel', { category: 'linear', symbol: SYMBOL, orderId }));
    expect(ack).toMatchObject({ retCode: 0, result: { orderId, orderLinkId: 'late-1' } });
    expect(f.sim.venue.orders.find(f.maker.uid, orderId)!.status).toBe('New');
    const pushed = await p.next((m) => m.topic === 'order' && m.data.some((o: Json) => o.orderId === orderId && o.orderStatus === 'Cancelled'), 'late Cancelled');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    expect(pushed.msg.data[0].cancelType).toBe('CancelByUser');
    expect((await end(id)).stats).toEqual({ deferred: 1, applied: 1 });
    p.close();
  });

  it('late-cancel racing a fill: the fill stands, the late cancel finds the order filled, no Cancelled is pushed', async () => {
    const p = await Client.open(f.sim.urls.wsPrivate);
    await p.auth(f.maker);
    p.send({ op: 'subscribe', req_id: 'o', args: ['order'] });
    await p.next((m) => m.op === 'subscribe' && m.success === true);
    const book = f.sim.venue.book(SYMBOL);
    const top = book.bestBid()! + 1;
    expect(top).toBeLessThan(book.bestAsk()!);
    const placed = await json(await f.rest('POST', '/v5/order/create', bid((top / 10).toFixed(1), { orderLinkId: 'race-1' })));
    expect(placed.retCode).toBe(0);
    const orderId = placed.result.orderId as string;
    const id = await add({ type: 'late-cancel', params: { delayMs: 60_000 } });
    expect((await json(await f.rest('POST', '/v5/order/cancel', { category: 'linear', symbol: SYMBOL, orderLinkId: 'race-1' }))).retCode).toBe(0);
    const sell = await json(await f.rest('POST', '/v5/order/create', { category: 'linear', symbol: SYMBOL, side: 'Sell', orderType: 'Market', qty: '0.001' }, f.taker));
    expect(sell.retCode).toBe(0);
    await p.next((m) => m.topic === 'order' && m.data.some((o: Json) => o.orderId === orderId && o.orderStatus === 'Filled'), 'Filled');
    const rec = await end(id); // the pending cancel runs now
    expect(rec.stats).toEqual({ deferred: 1, raced: 1 });
    expect(f.sim.venue.orders.find(f.maker.uid, orderId)!.status).toBe('Filled');
    const after = (await p.pingFence()).filter((m) => m.topic === 'order' && m.data.some((o: Json) => o.orderId === orderId));
    expect(after).toEqual([]);
    p.close();
  });
});
