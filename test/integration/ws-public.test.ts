/**
 * /v5/public/* over real sockets on 127.0.0.1:0: ping/pong shapes, subscribe acks and failures, the orderbook
 * snapshot + delta stream at every depth (and a seeded random command sequence whose rebuilt book must equal the
 * venue's), trades, tickers, garbage frames, and the transport policies (flood, maxPayload, slow consumer, idle).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebsocketClient } from 'bybit-api';
import { startHarness, ccxtPro, limit, testSeed, type Harness, type TestClient, type Received } from './helpers/ws-harness.ts';
import { Rng } from '../../sim-exchange/rng.ts';
import { levelsJson } from '../../sim-exchange/bybit-v5/serialize.ts';
import type { BookDepth } from '../../sim-exchange/bybit-v5/ws-public/feed.ts';

const SYM = 'BTCUSDT';
const MID = 600_000; // 60000.0 in 0.1 ticks
const px = (ticks: number) => (ticks / 10).toFixed(2);
const sz = (lots: number) => (lots / 1000).toFixed(3);

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const isTopic = (topic: string, type?: string) => (m: Received) => m.json?.topic === topic && (type === undefined || m.json.type === type);

async function subscribe(c: TestClient, args: string[], reqId: string | number = args.join(',')): Promise<any> {
  return c.request({ op: 'subscribe', req_id: reqId, args });
}

describe('ping and requests', () => {
  it('answers ping with the compact public pong, echoing req_id as sent', async () => {
    const c = await h.connect('/v5/public/linear');
    c.send('{"req_id":"100001","op":"ping"}');
    const a = await c.next();
    const id = a.json.conn_id as string;
    expect(id).toMatch(/^[a-v0-9]{20}-[0-9a-z]{2}$/);
    expect(a.text).toBe(`{"success":true,"ret_msg":"pong","conn_id":"${id}","req_id":"100001","op":"ping"}`);
    c.send('{"op":"ping"}');
    expect((await c.next()).text).toBe(`{"success":true,"ret_msg":"pong","conn_id":"${id}","req_id":"","op":"ping"}`);
    c.send('{"op":"ping","req_id":42}');
    expect((await c.next()).text).toBe(`{"success":true,"ret_msg":"pong","conn_id":"${id}","req_id":42,"op":"ping"}`);
  });

  it('acks subscribe/unsubscribe echoing req_id (string or number)', async () => {
    const c = await h.connect('/v5/public/linear');
    c.send({ req_id: 'test', op: 'subscribe', args: ['publicTrade.BTCUSDT'] });
    const a = await c.nextWith({ op: 'subscribe' });
    expect(a.text).toBe(`{"success":true,"ret_msg":"","conn_id":"${a.json.conn_id}","req_id":"test","op":"subscribe"}`);
    c.send({ op: 'unsubscribe', args: ['publicTrade.BTCUSDT'], req_id: 7 });
    const b = await c.nextWith({ op: 'unsubscribe' });
    expect(b.text).toBe(`{"success":true,"ret_msg":"","conn_id":"${a.json.conn_id}","req_id":7,"op":"unsubscribe"}`);
    c.send({ op: 'subscribe', args: ['tickers.ETHUSDT'] });
    expect((await c.nextWith({ op: 'subscribe' })).json.req_id).toBe('');
    expect(h.gateway.stats().topics).toEqual({ 'tickers.ETHUSDT': 1 });
  });

  it('fails a request with any invalid topic as a whole, listing the bad args, and keeps subscriptions unchanged', async () => {
    const c = await h.connect('/v5/public/linear');
    const r = await subscribe(c, ['orderbook.50.BTCUSDT', 'orderbook.7.BTCUSDT', 'tickers.NOPEUSDT', 'kline.1.BTCUSDT'], 'bad');
    expect(r).toEqual({
      success: false,
      ret_msg: 'Invalid topic: orderbook.7.BTCUSDT; Invalid topic: tickers.NOPEUSDT; Invalid topic: kline.1.BTCUSDT',
      conn_id: expect.any(String),
      req_id: 'bad',
      op: 'subscribe',
    });
    expect(h.gateway.stats().topics).toEqual({});
    expect((await subscribe(c, ['orderbook.50.BTCUSDT'])).success).toBe(true);
    expect((await subscribe(c, [42 as unknown as string], 'num')).ret_msg).toBe('Invalid topic: 42');
    const dup = await subscribe(c, ['orderbook.50.BTCUSDT', 'publicTrade.BTCUSDT'], 'dup');
    expect(dup.success).toBe(false);
    expect(dup.ret_msg).toBe('error:already subscribed,topic:orderbook.50.BTCUSDT');
    expect(h.gateway.stats().topics).toEqual({ 'orderbook.50.BTCUSDT': 1 });
    const noArgs = await c.request({ op: 'subscribe', req_id: 'e', args: [] });
    expect(noArgs.success).toBe(false);
    const unsub = await c.request({ op: 'unsubscribe', req_id: 'u', args: ['orderbook.5.BTCUSDT'] });
    expect(unsub).toMatchObject({ success: false, ret_msg: 'Invalid topic: orderbook.5.BTCUSDT', op: 'unsubscribe' });
  });

  it('answers garbage frames with an error in the same shape and stays up', async () => {
    const c = await h.connect('/v5/public/linear');
    const frames: (string | Buffer)[] = ['not json', '[1,2]', '42', '"str"', 'null', '{"op":"dance","req_id":"d"}', '{"op":7}', '{}'];
    for (const f of frames) {
      c.send(f);
      const m = await c.next();
      expect(Object.keys(m.json)).toEqual(['success', 'ret_msg', 'conn_id', 'req_id', 'op']);
      expect(m.json.success).toBe(false);
      expect(typeof m.json.ret_msg).toBe('string');
    }
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await c.next()).json).toMatchObject({ success: false, ret_msg: 'error:binary frames are not supported' });
    c.send({ op: 'dance', req_id: 'd2' });
    expect((await c.next()).json).toMatchObject({ success: false, req_id: 'd2', op: 'dance' });
    c.send({ op: 'ping', req_id: 'alive' });
    expect((await c.nextWith({ req_id: 'alive' })).json.ret_msg).toBe('pong');
  });

  it('answers 404 on an unknown path and accepts the other public categories with nothing listed', async () => {
    await expect(h.connect('/v5/public/nope')).rejects.toThrow(/404/);
    await expect(h.connect('/ws')).rejects.toThrow(/404/);
    const spot = await h.connect('/v5/public/spot');
    const r = await subscribe(spot, ['orderbook.1.BTCUSDT'], 's');
    expect(r).toMatchObject({ success: false, ret_msg: 'Invalid topic: orderbook.1.BTCUSDT', req_id: 's', op: 'subscribe' });
    spot.send({ op: 'ping', req_id: 'p' });
    expect((await spot.nextWith({ req_id: 'p' })).json.ret_msg).toBe('pong');
  });
});

describe('orderbook', () => {
  it.each([50, 200, 1000] as const)('depth %i: snapshot with the current u, then deltas with u+1, new sizes and size-0 deletes', async (depth) => {
    const a = h.account();
    const b1 = h.venue.place(a.uid, limit(SYM, 1, MID, 5));
    const b2 = h.venue.place(a.uid, limit(SYM, 1, MID - 1, 3));
    h.venue.place(a.uid, limit(SYM, -1, MID + 10, 2));
    const topic = `orderbook.${depth}.${SYM}`;
    const u0 = h.gateway.feed.updateId(SYM, depth);
    const c = await h.connect('/v5/public/linear');
    await subscribe(c, [topic]);
    const snap = await c.next(isTopic(topic, 'snapshot'));
    expect(Object.keys(snap.json)).toEqual(['topic', 'type', 'ts', 'data', 'cts']);
    expect(Object.keys(snap.json.data)).toEqual(['s', 'b', 'a', 'u', 'seq']);
    expect(snap.json.data).toEqual({
      s: SYM,
      b: [[px(MID), sz(5)], [px(MID - 1), sz(3)]],
      a: [[px(MID + 10), sz(2)]],
      u: u0,
      seq: h.venue.book(SYM).seq,
    });

    h.venue.place(a.uid, limit(SYM, 1, MID, 1));
    const d1 = await c.next(isTopic(topic, 'delta'));
    expect(d1.json.data).toEqual({ s: SYM, b: [[px(MID), sz(6)]], a: [], u: u0 + 1, seq: h.venue.book(SYM).seq });
    expect(typeof d1.json.ts).toBe('number');
    expect(typeof d1.json.cts).toBe('number');

    h.venue.cancel(a.uid, { symbol: SYM, orderId: b2.orderId });
    const d2 = await c.next(isTopic(topic, 'delta'));
    expect(d2.json.data).toMatchObject({ b: [[px(MID - 1), '0']], a: [], u: u0 + 2 });

    // A taker consumes part of the best bid and the whole ask side changes nothing there.
    const t = h.account('taker');
    h.venue.place(t.uid, limit(SYM, -1, MID, 4));
    const d3 = await c.next(isTopic(topic, 'delta'));
    expect(d3.json.data).toMatchObject({ b: [[px(MID), sz(2)]], a: [], u: u0 + 3 });
    h.venue.amend(a.uid, { symbol: SYM, orderId: b1.orderId, price: MID - 5 });
    const d4 = await c.next(isTopic(topic, 'delta'));
    expect(d4.json.data.b).toEqual([[px(MID), sz(1)], [px(MID - 5), sz(1)]]);
    expect(h.gateway.feed.updateId(SYM, depth)).toBe(u0 + 4);
  });

  it('depth 50: a level pushed out of the top 50 is deleted with size "0"', async () => {
    const a = h.account();
    for (let i = 0; i < 50; i++) h.venue.place(a.uid, limit(SYM, 1, MID - 10 - i, 1));
    const c = await h.connect('/v5/public/linear');
    await subscribe(c, ['orderbook.50.BTCUSDT']);
    const snap = await c.next(isTopic('orderbook.50.BTCUSDT', 'snapshot'));
    expect(snap.json.data.b).toHaveLength(50);
    h.venue.place(a.uid, limit(SYM, 1, MID, 7));
    const d = await c.next(isTopic('orderbook.50.BTCUSDT', 'delta'));
    expect(d.json.data.b).toEqual([[px(MID), sz(7)], [px(MID - 59), '0']]);
    expect(d.json.data.u).toBe(snap.json.data.u + 1);
  });

  it('depth 1 sends snapshots only: on change with u+1, and re-sent unchanged with the same u', async () => {
    await h.close();
    h = await startHarness({ feed: { level1RefreshMs: 60 } });
    const a = h.account();
    h.venue.place(a.uid, limit(SYM, 1, MID, 5));
    h.venue.place(a.uid, limit(SYM, 1, MID - 1, 5));
    const c = await h.connect('/v5/public/linear');
    await subscribe(c, ['orderbook.1.BTCUSDT']);
    const s0 = await c.next(isTopic('orderbook.1.BTCUSDT'));
    expect(s0.text.startsWith('{"topic":"orderbook.1.BTCUSDT","ts":')).toBe(true);
    expect(s0.json.type).toBe('snapshot');
    expect(s0.json.data.b).toEqual([[px(MID), sz(5)]]);
    const again = await c.next(isTopic('orderbook.1.BTCUSDT'));
    expect(again.json.type).toBe('snapshot');
    expect(again.json.data.u).toBe(s0.json.data.u);
    expect(again.json.data.b).toEqual(s0.json.data.b);
    // A change below the top level changes nothing at depth 1.
    h.venue.place(a.uid, limit(SYM, 1, MID - 1, 1));
    h.venue.place(a.uid, limit(SYM, 1, MID + 1, 2));
    const s1 = await c.next((m) => m.json?.topic === 'orderbook.1.BTCUSDT' && m.json.data.u !== s0.json.data.u);
    expect(s1.json).toMatchObject({ type: 'snapshot', data: { b: [[px(MID + 1), sz(2)]], a: [], u: s0.json.data.u + 1 } });
    expect(c.all.some((m) => m.json?.type === 'delta')).toBe(false);
  });

  it('sends the same bytes to every subscriber', async () => {
    const a = h.account();
    const c1 = await h.connect('/v5/public/linear');
    const c2 = await h.connect('/v5/public/linear');
    await subscribe(c1, ['orderbook.200.BTCUSDT']);
    await subscribe(c2, ['orderbook.200.BTCUSDT']);
    await c1.next(isTopic('orderbook.200.BTCUSDT', 'snapshot'));
    await c2.next(isTopic('orderbook.200.BTCUSDT', 'snapshot'));
    h.venue.place(a.uid, limit(SYM, -1, MID + 3, 9));
    const [m1, m2] = await Promise.all([
      c1.next(isTopic('orderbook.200.BTCUSDT', 'delta')),
      c2.next(isTopic('orderbook.200.BTCUSDT', 'delta')),
    ]);
    expect(m1.text).toBe(m2.text);
  });

  it('a late subscriber and the existing ones stay consistent (pending change pushed before the snapshot)', async () => {
    await h.close();
    // Slow cadence: the change is still pending when the second client subscribes.
    h = await startHarness({ feed: { bookCadenceMs: { 50: 60_000 } } });
    const a = h.account();
    const c1 = await h.connect('/v5/public/linear');
    await subscribe(c1, ['orderbook.50.BTCUSDT']);
    const s1 = await c1.next(isTopic('orderbook.50.BTCUSDT', 'snapshot'));
    h.venue.place(a.uid, limit(SYM, 1, MID, 4));
    const c2 = await h.connect('/v5/public/linear');
    await subscribe(c2, ['orderbook.50.BTCUSDT']);
    const d = await c1.next(isTopic('orderbook.50.BTCUSDT', 'delta'));
    const s2 = await c2.next(isTopic('orderbook.50.BTCUSDT', 'snapshot'));
    expect(d.json.data.u).toBe(s1.json.data.u + 1);
    expect(s2.json.data).toMatchObject({ b: [[px(MID), sz(4)]], u: d.json.data.u });
  });

  it('resnapshot() restarts every depth at u=1 with a snapshot; dropNextDelta() leaves a gap in u', async () => {
    const a = h.account();
    const c = await h.connect('/v5/public/linear');
    await subscribe(c, ['orderbook.50.BTCUSDT', 'orderbook.1.BTCUSDT']);
    await c.next(isTopic('orderbook.50.BTCUSDT', 'snapshot'));
    await c.next(isTopic('orderbook.1.BTCUSDT', 'snapshot'));
    h.venue.place(a.uid, limit(SYM, 1, MID, 1));
    await c.next(isTopic('orderbook.50.BTCUSDT', 'delta'));
    h.venue.place(a.uid, limit(SYM, 1, MID + 1, 1));
    const before = await c.next(isTopic('orderbook.50.BTCUSDT', 'delta'));
    expect(before.json.data.u).toBeGreaterThan(1);
    h.gateway.feed.resnapshot(SYM);
    const r50 = await c.next(isTopic('orderbook.50.BTCUSDT', 'snapshot'));
    const r1 = await c.next((m) => m.json?.topic === 'orderbook.1.BTCUSDT' && m.json.data.u === 1 && m.json.data.b[0]?.[0] === px(MID + 1));
    expect(r50.json.data).toMatchObject({ u: 1, b: [[px(MID + 1), sz(1)], [px(MID), sz(1)]] });
    expect(r1.json.data.b).toEqual([[px(MID + 1), sz(1)]]);
    h.gateway.feed.dropNextDelta(SYM, 50);
    h.venue.place(a.uid, limit(SYM, 1, MID - 1, 1));
    expect(h.gateway.feed.updateId(SYM, 50)).toBe(2);
    h.venue.place(a.uid, limit(SYM, 1, MID - 2, 1));
    const after = await c.next(isTopic('orderbook.50.BTCUSDT', 'delta'));
    expect(after.json.data).toMatchObject({ u: 3, b: [[px(MID - 2), sz(1)]] });
  });

  it('rebuilds, from snapshot + deltas, the venue book at every depth after a seeded random command sequence', async () => {
    const seed = testSeed('ws-public orderbook rebuild');
    const rng = new Rng(seed);
    const accts = [h.account('mm1'), h.account('mm2'), h.account('taker')];
    const inst = h.venue.instrument(SYM);
    const depths: BookDepth[] = [1, 50, 200, 1000];
    const c = await h.connect('/v5/public/linear');
    await subscribe(c, depths.map((d) => `orderbook.${d}.${SYM}`));
    type Local = { bids: Map<string, string>; asks: Map<string, string>; u: number };
    const local = new Map<BookDepth, Local>();
    let applied = 0;
    const awaited = new Map<BookDepth, number>();

    const apply = () => {
      for (; applied < c.all.length; applied++) {
        const m = c.all[applied]!.json;
        const depth = Number(String(m?.topic ?? '').split('.')[1]) as BookDepth;
        if (!m?.topic?.startsWith('orderbook.')) continue;
        let book = local.get(depth);
        if (m.type === 'snapshot') {
          book = { bids: new Map(), asks: new Map(), u: m.data.u };
          local.set(depth, book);
        } else {
          expect(book, `delta before snapshot on depth ${depth}`).toBeDefined();
          expect(m.data.u, `u continuity on depth ${depth}`).toBe(book!.u + 1);
          book!.u = m.data.u;
        }
        for (const [side, levels] of [['bids', m.data.b], ['asks', m.data.a]] as const) {
          for (const [p, q] of levels as [string, string][]) {
            if (q === '0') book![side].delete(p);
            else book![side].set(p, q);
          }
        }
      }
    };
    const sorted = (m: Map<string, string>, desc: boolean) =>
      [...m.entries()].sort((x, y) => (desc ? Number(y[0]) - Number(x[0]) : Number(x[0]) - Number(y[0])));

    for (let batch = 0; batch < 60; batch++) {
      const n = 1 + rng.int(25);
      for (let i = 0; i < n; i++) {
        const who = accts[rng.int(accts.length)]!;
        const r = rng.next();
        try {
          if (r < 0.55) {
            const side = rng.next() < 0.5 ? 1 : -1;
            const offset = rng.int(160) - 8; // mostly passive, sometimes crossing
            const price = side === 1 ? MID - offset : MID + 1 + offset;
            const tif = (['GTC', 'GTC', 'GTC', 'PostOnly', 'IOC'] as const)[rng.int(5)]!;
            h.venue.place(who.uid, limit(SYM, side, price, 1 + rng.int(30), { timeInForce: tif }));
          } else if (r < 0.8) {
            const open = [...h.venue.orders.openOf(who.uid)];
            const o = open[rng.int(open.length)];
            if (o) h.venue.cancel(who.uid, { symbol: SYM, orderId: o.orderId });
          } else if (r < 0.95) {
            const open = [...h.venue.orders.openOf(who.uid)];
            const o = open[rng.int(open.length)];
            if (o) {
              if (rng.next() < 0.5) h.venue.amend(who.uid, { symbol: SYM, orderId: o.orderId, qty: o.filled + 1 + rng.int(20) });
              else h.venue.amend(who.uid, { symbol: SYM, orderId: o.orderId, price: o.price + (rng.int(9) - 4) });
            }
          } else {
            h.venue.place(who.uid, { symbol: SYM, side: rng.next() < 0.5 ? 1 : -1, orderType: 'Market', timeInForce: 'IOC', qty: 1 + rng.int(40), signedAt: 0 });
          }
        } catch {
          // venue refusals (margin, price band, amend no-op) are part of the random walk
        }
      }
      // Half the batches wait for the cadence timers, the other half force a push through updateId().
      for (const depth of depths) {
        const u = rng.next() < 0.5 ? h.gateway.feed.updateId(SYM, depth) : undefined;
        const target = u ?? h.gateway.feed.updateId(SYM, depth);
        if (awaited.get(depth) !== target) {
          await c.next(
            (m) => m.json?.topic === `orderbook.${depth}.${SYM}` && m.json.data.u === target,
            `orderbook.${depth} u=${target} (seed ${seed})`,
          );
          awaited.set(depth, target);
        }
      }
      apply();
      const book = h.venue.book(SYM);
      for (const depth of depths) {
        const l = local.get(depth)!;
        expect(sorted(l.bids, true), `bids depth ${depth} batch ${batch} seed ${seed}`).toEqual(levelsJson(inst, book.depth(1, depth)));
        expect(sorted(l.asks, false), `asks depth ${depth} batch ${batch} seed ${seed}`).toEqual(levelsJson(inst, book.depth(-1, depth)));
      }
    }
    expect(h.venue.ledger.size, 'the walk traded').toBeGreaterThan(0);
  });
});

describe('publicTrade and tickers', () => {
  it('pushes the trades of one command in one snapshot message, ascending, with Bybit fields', async () => {
    const mm = h.account('mm');
    const t = h.account('taker');
    h.venue.place(mm.uid, limit(SYM, -1, MID + 1, 2));
    h.venue.place(mm.uid, limit(SYM, -1, MID + 2, 3));
    const c = await h.connect('/v5/public/linear');
    await subscribe(c, ['publicTrade.BTCUSDT']);
    h.venue.place(t.uid, limit(SYM, 1, MID + 2, 4));
    const m = await c.next(isTopic('publicTrade.BTCUSDT'));
    expect(Object.keys(m.json)).toEqual(['topic', 'type', 'ts', 'data']);
    expect(m.json.type).toBe('snapshot');
    expect(m.json.data).toHaveLength(2);
    const [x, y] = m.json.data;
    expect(Object.keys(x)).toEqual(['T', 's', 'S', 'v', 'p', 'L', 'i', 'BT', 'RPI', 'seq']);
    expect(x).toMatchObject({ s: SYM, S: 'Buy', v: sz(2), p: px(MID + 1), BT: false, RPI: false });
    expect(y).toMatchObject({ S: 'Buy', v: sz(2), p: px(MID + 2), L: 'PlusTick' });
    expect(y.T).toBeGreaterThanOrEqual(x.T);
    expect(typeof x.seq).toBe('number');
  });

  it('tickers: snapshot on subscribe, then deltas with only the changed fields plus symbol, cs and ts', async () => {
    const a = h.account();
    h.venue.place(a.uid, limit(SYM, 1, MID, 5));
    const c = await h.connect('/v5/public/linear');
    await subscribe(c, ['tickers.BTCUSDT']);
    const s = await c.next(isTopic('tickers.BTCUSDT', 'snapshot'));
    expect(Object.keys(s.json)).toEqual(['topic', 'type', 'data', 'cs', 'ts']);
    expect(s.json.data).toMatchObject({ symbol: SYM, bid1Price: px(MID), bid1Size: sz(5), ask1Price: '' });
    expect(s.json.data.openInterestValue).not.toBe('');
    h.venue.place(a.uid, limit(SYM, -1, MID + 20, 3));
    const d = await c.next(isTopic('tickers.BTCUSDT', 'delta'));
    expect(d.json.data).toMatchObject({ symbol: SYM, ask1Price: px(MID + 20), ask1Size: sz(3) });
    expect(d.json.data.bid1Price).toBeUndefined();
    expect(d.json.data.fundingRate).toBeUndefined();
    expect(d.json.cs).toBe(h.venue.book(SYM).seq);
  });
});

describe('transport policies', () => {
  it('closes a flooding connection with 1008', async () => {
    await h.close();
    h = await startHarness({ maxInboundPerSec: 20 });
    const c = await h.connect('/v5/public/linear');
    for (let i = 0; i < 40; i++) c.send({ op: 'ping', req_id: i });
    expect((await c.closed).code).toBe(1008);
    expect(h.gateway.stats().closes.flood).toBe(1);
  });

  it('closes on a frame over maxPayload with 1009', async () => {
    await h.close();
    h = await startHarness({ maxPayload: 1024 });
    const c = await h.connect('/v5/public/linear');
    c.send({ op: 'subscribe', args: ['x'.repeat(2000)] });
    expect((await c.closed).code).toBe(1009);
  });

  it('closes a slow consumer with 1013 instead of buffering without bound', async () => {
    await h.close();
    h = await startHarness({ maxBufferedBytes: 256 * 1024, maxInboundPerSec: 1e9 });
    const a = h.account();
    const b = h.account();
    for (let i = 0; i < 1000; i++) h.venue.place((i % 2 ? a : b).uid, limit(SYM, -1, MID + 1 + i, 1));
    const c = await h.connect('/v5/public/linear');
    const sock = (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    sock.pause();
    // Each subscribe sends a ~23 KB snapshot the client never reads; pump until the server gives up on it.
    for (let round = 0; h.gateway.stats().closes.slowConsumer === 0; round++) {
      expect(round, 'the server should have closed the slow consumer').toBeLessThan(5000);
      for (let i = 0; i < 10; i++) {
        c.send({ op: 'subscribe', args: ['orderbook.1000.BTCUSDT'] });
        c.send({ op: 'unsubscribe', args: ['orderbook.1000.BTCUSDT'] });
      }
      await new Promise((r) => setImmediate(r));
    }
    sock.resume();
    const closed = await c.closed;
    expect(closed).toEqual({ code: 1013, reason: 'slow consumer' });
    await expect.poll(() => h.gateway.stats().connections['/v5/public/linear']).toBe(0);
  });

  it('keeps frame order under a jittered per-frame delay', async () => {
    await h.close();
    let i = 0;
    h = await startHarness({ delayMs: (channel) => (channel === 'public' ? [7, 0, 3, 12, 1][i++ % 5]! : 0) });
    const c = await h.connect('/v5/public/linear');
    for (let k = 0; k < 50; k++) c.send({ op: 'ping', req_id: k });
    await c.nextWith({ req_id: 49 });
    expect(c.all.map((m) => m.json.req_id)).toEqual([...Array(50).keys()]);
  });

  it('journals every inbound and outbound frame with channel, connId and time', async () => {
    const c = await h.connect('/v5/public/linear');
    c.send({ op: 'ping', req_id: 'j' });
    const pong = await c.next();
    const mine = h.journal.filter((e) => e.connId === pong.json.conn_id);
    expect(mine.map((e) => [e.channel, e.dir, e.data])).toEqual([
      ['public', 'in', '{"op":"ping","req_id":"j"}'],
      ['public', 'out', pong.text],
    ]);
    expect(typeof mine[0]!.at).toBe('number');
  });

  it('drops an idle connection (configurable idle time)', async () => {
    await h.close();
    h = await startHarness({ idleMs: 100 });
    const c = await h.connect('/v5/public/linear');
    expect(await c.closed).toEqual({ code: 1000, reason: 'idle timeout' });
    expect(h.gateway.stats().closes.idle).toBe(1);
  });

  it('stops the topic timers when the last subscriber leaves and closes clients on gateway close', async () => {
    const c = await h.connect('/v5/public/linear');
    await subscribe(c, ['orderbook.1.BTCUSDT', 'tickers.BTCUSDT']);
    expect(h.gateway.stats().topics).toEqual({ 'orderbook.1.BTCUSDT': 1, 'tickers.BTCUSDT': 1 });
    c.close();
    await c.closed;
    await expect.poll(() => h.gateway.stats().topics).toEqual({});
    const d = await h.connect('/v5/public/linear');
    await h.gateway.close();
    expect((await d.closed).code).toBe(1001);
  });
});

describe('real clients', () => {
  it('bybit-api WebsocketClient subscribes, gets snapshot then delta, and recognises our pong', async () => {
    const a = h.account();
    h.venue.place(a.uid, limit(SYM, 1, MID, 5));
    const ws = new WebsocketClient({ wsUrl: h.url('/v5/public/linear') });
    const updates: any[] = [];
    const gotDelta = new Promise<void>((resolve) =>
      ws.on('update', (e: any) => {
        updates.push(e);
        if (e.type === 'delta') resolve();
      }),
    );
    try {
      await Promise.all(ws.subscribeV5('orderbook.50.BTCUSDT', 'linear'));
      await expect.poll(() => updates.length).toBeGreaterThan(0);
      h.venue.place(a.uid, limit(SYM, 1, MID - 1, 2));
      await gotDelta;
      expect(updates[0]).toMatchObject({ topic: 'orderbook.50.BTCUSDT', type: 'snapshot', data: { b: [[px(MID), sz(5)]] } });
      expect(updates.find((u) => u.type === 'delta').data.b).toEqual([[px(MID - 1), sz(2)]]);
      // bybit-api detects pongs by raw substring: our compact pong must pass its check.
      const c = await h.connect('/v5/public/linear');
      c.send({ op: 'ping' });
      const pong = await c.next();
      expect((ws as unknown as { isWsPong(m: unknown): boolean }).isWsPong({ data: pong.text })).toBe(true);
    } finally {
      ws.closeAll(true);
    }
  });

  it('ccxt.pro watchOrderBook builds the book from the stream', async () => {
    const a = h.account();
    h.venue.place(a.uid, limit(SYM, 1, MID, 5));
    h.venue.place(a.uid, limit(SYM, -1, MID + 5, 7));
    const ex = await ccxtPro(h.url(''));
    try {
      const ob = await ex.watchOrderBook('BTC/USDT:USDT');
      expect(ob.bids[0]).toEqual([60000, 0.005]);
      expect(ob.asks[0]).toEqual([60000.5, 0.007]);
      h.venue.place(a.uid, limit(SYM, 1, MID + 1, 2));
      let next = await ex.watchOrderBook('BTC/USDT:USDT');
      while (next.bids[0]?.[0] !== 60000.1) next = await ex.watchOrderBook('BTC/USDT:USDT');
      expect(next.bids.slice(0, 2)).toEqual([[60000.1, 0.002], [60000, 0.005]]);
    } finally {
      await ex.close();
    }
  });
});
