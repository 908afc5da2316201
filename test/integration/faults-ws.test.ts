/**
 * WebSocket venue faults seen by real `ws` clients: close with a code on one channel and uid, muted topics while
 * pings are answered, dropped and duplicated orderbook deltas, a u=1 re-snapshot. "Nothing was sent" is observed with
 * a ping fence: frames of one connection leave in order, so whatever the venue sent before its pong arrives first.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startFaultSim, Client, bid, SYMBOL, type FaultSim, type Json } from './helpers/faults.ts';

const SEED = 77;
console.log(`faults-ws: seed ${SEED}`);

describe(`WebSocket venue faults (seed ${SEED})`, () => {
  let f: FaultSim;
  let price = 599_900;
  beforeAll(async () => {
    f = await startFaultSim(SEED);
  });
  afterAll(async () => {
    await f.close();
  });

  const add = (body: unknown) => f.addFault(body);
  const end = (id: string) => f.endFault(id);
  /** Changes the top of the book, and makes the 50-level stream push its change now (if it pushes). */
  const changeBook = () => {
    f.sim.venue.place(f.maker.uid, { symbol: SYMBOL, side: 1, orderType: 'Limit', timeInForce: 'PostOnly', price: price++, qty: 1, signedAt: 0 });
    f.sim.gateway.feed.updateId(SYMBOL, 50);
  };
  const book50 = async () => {
    const c = await Client.open(f.sim.urls.wsPublic);
    c.send({ op: 'subscribe', req_id: 's', args: [`orderbook.50.${SYMBOL}`] });
    const snap = (await c.next((m) => m.topic === `orderbook.50.${SYMBOL}` && m.type === 'snapshot', 'snapshot')).msg;
    return { c, u: snap.data.u as number };
  };
  const deltas = (msgs: Json[]) => msgs.filter((m) => m.topic === `orderbook.50.${SYMBOL}`);

  it('ws-close: closes one uid on one channel with the chosen code; the others stay up', async () => {
    const a = await Client.open(f.sim.urls.wsPrivate);
    const b = await Client.open(f.sim.urls.wsPrivate);
    const t = await Client.open(f.sim.urls.wsTrade);
    await a.auth(f.maker);
    await b.auth(f.taker);
    const id = await add({ type: 'ws-close', params: { channel: 'private', uid: f.maker.uid, code: 4001, reason: 'fault test' } });
    expect(await a.closed).toEqual({ code: 4001, reason: 'fault test' });
    const rec = await f.fault(id, 'end');
    expect(rec).toMatchObject({ reason: 'instant', stats: { closed: 1 } });
    expect(await b.pingFence()).toEqual([]);
    await add({ type: 'ws-close', params: { channel: 'trade' } });
    expect((await t.closed).code).toBe(1006); // no close frame: a reset
    expect(await b.pingFence()).toEqual([]);
    b.close();
  });

  it('mute-topic orderbook.50: nothing on the topic while pings are answered; after it, deltas resume with a u gap', async () => {
    const { c, u } = await book50();
    const id = await add({ type: 'mute-topic', params: { topic: `orderbook.50.${SYMBOL}` } });
    changeBook();
    expect(deltas(await c.pingFence())).toEqual([]);
    await end(id);
    changeBook();
    const after = deltas(await c.pingFence());
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ type: 'delta', data: { u: u + 2 } });
    c.close();
  });

  it('mute-topic order: no order pushes on /v5/private while muted, pushes again after', async () => {
    const p = await Client.open(f.sim.urls.wsPrivate);
    await p.auth(f.maker);
    p.send({ op: 'subscribe', req_id: 'o', args: ['order'] });
    await p.next((m) => m.op === 'subscribe' && m.success === true);
    const id = await add({ type: 'mute-topic', params: { topic: 'order' } });
    expect(((await (await f.rest('POST', '/v5/order/create', bid('45000'))).json()) as Json).retCode).toBe(0);
    expect((await p.pingFence()).filter((m) => m.topic === 'order')).toEqual([]);
    await end(id);
    expect(((await (await f.rest('POST', '/v5/order/create', bid('45001'))).json()) as Json).retCode).toBe(0);
    const pushed = await p.next((m) => m.topic === 'order', 'order push');
    expect(Number(pushed.msg.data[0].price)).toBe(45001);
    expect(pushed.msg.data[0].orderStatus).toBe('New');
    p.close();
  });

  it('book-deltas: duplicated deltas (same u twice), dropped deltas (a u gap); normal after', async () => {
    const { c, u } = await book50();
    const dup = await add({ type: 'book-deltas', params: { symbol: SYMBOL, depth: 50, dupP: 1 } });
    changeBook();
    const twice = deltas(await c.pingFence());
    expect(twice.map((m) => m.data.u)).toEqual([u + 1, u + 1]);
    expect(twice[1]).toEqual(twice[0]);
    expect((await end(dup)).stats).toEqual({ duplicated: 1 });
    const drop = await add({ type: 'book-deltas', params: { dropP: 1 } });
    changeBook();
    expect(deltas(await c.pingFence())).toEqual([]);
    await end(drop);
    changeBook();
    expect(deltas(await c.pingFence()).map((m) => m.data.u)).toEqual([u + 3]);
    c.close();
  });

  it('resnapshot: every subscriber gets a snapshot with u=1 mid-stream', async () => {
    const { c, u } = await book50();
    expect(u).toBeGreaterThan(1);
    await add({ type: 'resnapshot', params: { symbol: SYMBOL } });
    const snap = (await c.next((m) => m.topic === `orderbook.50.${SYMBOL}` && m.type === 'snapshot', 'u=1 snapshot')).msg;
    expect(snap.data.u).toBe(1);
    expect(snap.data.b.length).toBeGreaterThan(0);
    changeBook();
    expect(deltas(await c.pingFence()).map((m) => m.data.u)).toEqual([2]);
    c.close();
  });
});
