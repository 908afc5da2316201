/**
 * The WebSocket gateway's budgets over real sockets on 127.0.0.1:0 (docs/websocket.md "Budgets"), each a regression
 * test of a hostile-probe finding, with small settings so each runs in well under a second:
 *  - the process-wide budget of buffered outbound bytes closes the largest slow consumers with 1013 while a reading
 *    connection stays open;
 *  - args nested thousands deep get a bounded refusal (JSON.stringify used to throw and the frame got no reply);
 *  - Bybit's args caps (21,000 characters per connection, spot 10 per request, option 2000 per connection) and a
 *    refusal that names at most a few bad args whatever the request holds;
 *  - /v5/trade remembers a bounded window of reqIds;
 *  - the budgets are settings of startSim and visible in the control plane's /metrics.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startHarness, authArgs, limit, TestClient, type Harness } from './helpers/ws-harness.ts';
import { startSim } from '../../sim-exchange/server.ts';
import { MAX_NAMED_ARGS } from '../../sim-exchange/bybit-v5/ws/frames.ts';

const SYM = 'BTCUSDT';
const MID = 600_000;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** `[[[…"x"…]]]`, `depth` arrays deep, as text (JSON.stringify itself would overflow the stack building it). */
function deepArray(depth: number, leaf = '"x"'): string {
  return '['.repeat(depth) + leaf + ']'.repeat(depth);
}

function pauseReading(c: TestClient): { resume(): void } {
  const sock = (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  sock.pause();
  return { resume: () => sock.resume() };
}

describe('process-wide budget of buffered outbound bytes', () => {
  it('closes the slow consumers holding the most with 1013 once all together buffer more than the budget; a reader stays open', async () => {
    const budget = 1024 * 1024;
    // The per-connection cap is far above the budget, so only the budget can close anyone here.
    h = await startHarness({ maxTotalBufferedBytes: budget, maxBufferedBytes: 64 * 1024 * 1024, maxInboundPerSec: 1e9 });
    const a = h.account();
    const b = h.account();
    for (let i = 0; i < 1000; i++) h.venue.place((i % 2 ? a : b).uid, limit(SYM, -1, MID + 1 + i, 1));

    const reader = await h.connect('/v5/public/linear');
    expect((await reader.request({ op: 'subscribe', req_id: 'r', args: ['orderbook.50.BTCUSDT'] })).success).toBe(true);
    const slow = await Promise.all([1, 2, 3].map(() => h!.connect('/v5/public/linear')));
    const paused = slow.map(pauseReading);

    // Each subscribe sends a ~23 KB snapshot nobody reads; the reader gets replies to its pings all along.
    let round = 0;
    while (h.gateway.stats().buffer.closes === 0) {
      expect(round++, 'the budget should have closed a slow consumer').toBeLessThan(5000);
      for (const c of slow) {
        if (c.ws.readyState !== WebSocket.OPEN) continue;
        for (let i = 0; i < 5; i++) {
          c.send({ op: 'subscribe', args: ['orderbook.1000.BTCUSDT'] });
          c.send({ op: 'unsubscribe', args: ['orderbook.1000.BTCUSDT'] });
        }
      }
      if (round % 50 === 0) expect((await reader.request({ op: 'ping', req_id: `p${round}` })).ret_msg).toBe('pong');
      await new Promise((r) => setImmediate(r));
    }

    const stats = h.gateway.stats();
    expect(stats.buffer.budget).toBe(budget);
    expect(stats.buffer.bytes, 'enforced: the open connections hold no more than the budget').toBeLessThanOrEqual(budget);
    expect(stats.closes.slowConsumer, 'the per-connection cap did not fire').toBe(0);

    // The close frames wait behind the buffered data: the victims see them once they read again.
    const n = stats.buffer.closes;
    expect(n).toBeGreaterThanOrEqual(1);
    const seen: { code: number; reason: string }[] = [];
    const allSeen = new Promise<void>((resolve) => {
      for (const c of slow) {
        void c.closed.then((x) => {
          seen.push(x);
          if (seen.length === n) resolve();
        });
      }
    });
    for (const p of paused) p.resume();
    await allSeen;
    expect(seen).toEqual(Array(n).fill({ code: 1013, reason: 'slow consumer: venue buffer budget' }));

    expect(reader.ws.readyState).toBe(WebSocket.OPEN);
    expect((await reader.request({ op: 'ping', req_id: 'after' })).ret_msg).toBe('pong');
    expect((await reader.request({ op: 'subscribe', req_id: 'more', args: ['tickers.BTCUSDT'] })).success).toBe(true);
  });

  it('a raw TCP client that upgrades and never reads is closed by the budget, not by the per-connection cap', async () => {
    const net = await import('node:net');
    const budget = 256 * 1024;
    h = await startHarness({ maxTotalBufferedBytes: budget, maxBufferedBytes: 64 * 1024 * 1024, maxInboundPerSec: 1e9 });
    const a = h.account();
    const b = h.account();
    for (let i = 0; i < 1000; i++) h.venue.place((i % 2 ? a : b).uid, limit(SYM, -1, MID + 1 + i, 1));
    const sock = net.connect(h.port, '127.0.0.1');
    await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
    sock.write(
      `GET /v5/public/linear HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    await new Promise<void>((resolve) => sock.once('data', () => resolve()));
    sock.pause(); // never reads again
    sock.on('error', () => {});
    const frame = (text: string): Buffer => {
      // A masked client text frame (RFC 6455 §5.2), payload < 126 bytes.
      const payload = Buffer.from(text);
      const mask = Buffer.from([1, 2, 3, 4]);
      const masked = Buffer.from(payload.map((x, i) => x ^ mask[i % 4]!));
      return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
    };
    const sub = frame('{"op":"subscribe","args":["orderbook.1000.BTCUSDT"]}');
    const unsub = frame('{"op":"unsubscribe","args":["orderbook.1000.BTCUSDT"]}');
    let round = 0;
    while (h.gateway.stats().buffer.closes === 0) {
      expect(round++, 'the budget should have closed the raw client').toBeLessThan(5000);
      for (let i = 0; i < 5; i++) sock.write(Buffer.concat([sub, unsub]));
      await new Promise((r) => setImmediate(r));
    }
    expect(h.gateway.stats().closes.slowConsumer).toBe(0);
    // Reading again, the client gets everything buffered, then the close frame: 1013.
    const close = await new Promise<{ code: number; reason: string }>((resolve) => {
      let buf = Buffer.alloc(0);
      sock.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        for (;;) {
          if (buf.length < 2) return;
          let len = buf[1]! & 0x7f;
          let off = 2;
          if (len === 126) {
            if (buf.length < 4) return;
            len = buf.readUInt16BE(2);
            off = 4;
          } else if (len === 127) {
            if (buf.length < 10) return;
            len = Number(buf.readBigUInt64BE(2));
            off = 10;
          }
          if (buf.length < off + len) return;
          if ((buf[0]! & 0x0f) === 0x8) return resolve({ code: buf.readUInt16BE(off), reason: buf.subarray(off + 2, off + len).toString() });
          buf = buf.subarray(off + len);
        }
      });
      sock.resume();
    });
    expect(close).toEqual({ code: 1013, reason: 'slow consumer: venue buffer budget' });
    sock.destroy();
    await expect.poll(() => h!.gateway.stats().connections['/v5/public/linear']).toBe(0);
  });
});

describe('frames of any shape get a bounded refusal', () => {
  it('public and private: args nested 5,000 and 10,000 deep are refused, not left unanswered', async () => {
    h = await startHarness();
    const acct = h.account('deep');
    const pub = await h.connect('/v5/public/linear');
    const priv = await h.connect('/v5/private');
    expect((await priv.request({ op: 'auth', req_id: 'a', args: authArgs(acct.apiKey, acct.secret, Date.now() + 10_000) })).success).toBe(true);
    for (const c of [pub, priv]) {
      for (const depth of [5000, 10_000]) {
        for (const op of ['subscribe', 'unsubscribe']) {
          const id = `${op}-${depth}`;
          c.send(`{"op":"${op}","req_id":"${id}","args":[${deepArray(depth)}]}`);
          const r = await c.nextWith({ req_id: id });
          expect(r.json).toMatchObject({ success: false, op });
          expect(r.json.ret_msg).toMatch(/^Invalid topic: \[\[\[/);
          expect(r.text.length).toBeLessThan(400);
        }
        // args itself deep (not an array of topics), a deep op and a deep req_id.
        c.send(`{"op":"subscribe","req_id":"whole-${depth}","args":${deepArray(depth)}}`);
        expect((await c.nextWith({ req_id: `whole-${depth}` })).json.success).toBe(false);
        c.send(`{"op":${deepArray(depth)},"req_id":"op-${depth}"}`);
        expect((await c.nextWith({ req_id: `op-${depth}` })).json).toMatchObject({ success: false, op: '' });
        c.send(`{"op":"ping","req_id":${deepArray(depth)}}`);
        const pong = await c.next((m) => m.json?.ret_msg === 'pong' || m.json?.op === 'pong', 'pong to a deep req_id');
        expect(pong.json.req_id).toBe('');
        // An object arg nested deep: its JSON (5 characters a level) is over 21,000 characters at these depths.
        c.send(`{"op":"subscribe","req_id":"obj-${depth}","args":[${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}]}`);
        expect((await c.nextWith({ req_id: `obj-${depth}` })).json.ret_msg).toBe('args length >21000 characters per connection');
        c.send(`{"op":"subscribe","req_id":"obj3k-${depth}","args":[${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}]}`);
        expect((await c.nextWith({ req_id: `obj3k-${depth}` })).json.ret_msg).toMatch(/^Invalid topic: \{"a":\{"a":/);
      }
      expect(c.ws.readyState).toBe(WebSocket.OPEN);
    }
    const pauth = await h.connect('/v5/private');
    pauth.send(`{"op":"auth","req_id":"deep-auth","args":${deepArray(10_000)}}`);
    expect((await pauth.nextWith({ req_id: 'deep-auth' })).json).toMatchObject({ success: false, op: 'auth' });
    expect((await pub.request({ op: 'subscribe', req_id: 'ok', args: ['tickers.BTCUSDT'] })).success).toBe(true);
    expect((await priv.request({ op: 'subscribe', req_id: 'ok', args: ['wallet'] })).success).toBe(true);
  });
});

describe("Bybit's subscribe args caps", () => {
  const conn = async (path: string) => h!.connect(path);

  it('linear: a frame whose args exceed 21,000 characters is refused before any topic is looked at, in a short reply', async () => {
    h = await startHarness();
    const c = await conn('/v5/public/linear');
    const args = Array.from({ length: 2500 }, () => 'orderbook.1.BTCUSDX');
    const frame = JSON.stringify({ op: 'subscribe', req_id: 'big', args });
    expect(frame.length).toBeGreaterThan(50_000);
    c.send(frame);
    const r = await c.nextWith({ req_id: 'big' });
    expect(r.json).toMatchObject({ success: false, op: 'subscribe', ret_msg: 'args length >21000 characters per connection' });
    expect(r.text.length).toBeLessThan(200);
    expect(h.gateway.stats().subscribeRefusals).toEqual({ perRequest: 0, perConnection: 0, chars: 1 });
  });

  it('linear: a 60 KB frame of 15,000 invalid args (within 21,000 characters) is refused naming at most a few of them', async () => {
    h = await startHarness();
    const c = await conn('/v5/public/linear');
    const args = Array.from({ length: 15_000 }, () => 'x');
    for (const op of ['subscribe', 'unsubscribe']) {
      const frame = JSON.stringify({ op, req_id: op, args });
      expect(frame.length).toBeGreaterThan(60_000);
      c.send(frame);
      const r = await c.nextWith({ req_id: op });
      expect(r.json.success).toBe(false);
      expect(r.json.ret_msg).toBe(`${Array(MAX_NAMED_ARGS).fill('Invalid topic: x').join('; ')}; …and ${15_000 - MAX_NAMED_ARGS} more`);
      expect(r.text.length).toBeLessThan(300);
    }
    // Long bad args are clipped, whatever their type.
    c.send({ op: 'subscribe', req_id: 'long', args: ['y'.repeat(5000), { k: 'z'.repeat(5000) }, Array(3000).fill(1)] });
    const r = await c.nextWith({ req_id: 'long' });
    expect(r.json.ret_msg).toBe(`Invalid topic: ${'y'.repeat(64)}…; Invalid topic: {"k":"${'z'.repeat(58)}…; Invalid topic: [${'1,'.repeat(31)}1…`);
    expect(h.gateway.stats().subscribeRefusals.chars).toBe(0);
  });

  it('linear: the 21,000 characters count the topics the connection holds (a small cap here)', async () => {
    h = await startHarness({ subscribeCaps: { linear: { maxChars: 60 } } });
    const c = await conn('/v5/public/linear');
    const sub = (args: string[], id: string) => c.request({ op: 'subscribe', req_id: id, args });
    expect((await sub(['orderbook.50.BTCUSDT', 'tickers.BTCUSDT'], 'a')).success).toBe(true); // 20 + 15
    expect((await sub(['publicTrade.BTCUSDT'], 'b')).success).toBe(true); // 54
    expect(await sub(['orderbook.1.BTCUSDT'], 'c')).toMatchObject({ success: false, ret_msg: 'args length >60 characters per connection' });
    expect(h.gateway.stats().topics).toEqual({ 'orderbook.50.BTCUSDT': 1, 'tickers.BTCUSDT': 1, 'publicTrade.BTCUSDT': 1 });
    expect((await c.request({ op: 'unsubscribe', req_id: 'd', args: ['tickers.BTCUSDT'] })).success).toBe(true);
    expect((await sub(['orderbook.1.BTCUSDT'], 'e')).success).toBe(true);
    expect(h.gateway.stats().subscribeRefusals).toEqual({ perRequest: 0, perConnection: 0, chars: 1 });
  });

  it('spot: at most 10 args per request ("args size >10"); option: at most 2000 args per connection', async () => {
    h = await startHarness();
    const spot = await conn('/v5/public/spot');
    const ten = Array.from({ length: 10 }, (_, i) => `tickers.S${i}USDT`);
    expect((await spot.request({ op: 'subscribe', req_id: 's10', args: ten })).ret_msg).toMatch(/^Invalid topic: tickers\.S0USDT;/);
    expect(await spot.request({ op: 'subscribe', req_id: 's11', args: [...ten, 'tickers.X'] })).toMatchObject({ success: false, ret_msg: 'args size >10' });
    const option = await conn('/v5/public/option');
    const many = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);
    expect((await option.request({ op: 'subscribe', req_id: 'o2000', args: many(2000) })).ret_msg).toMatch(/^Invalid topic: t0;.*…and 1995 more$/);
    expect((await option.request({ op: 'subscribe', req_id: 'o2001', args: many(2001) })).ret_msg).toBe('args size >2000 per connection (subscribed 0, requested 2001)');
    const linear = await conn('/v5/public/linear');
    expect((await linear.request({ op: 'subscribe', req_id: 'l', args: many(3000) })).ret_msg).toMatch(/…and 2995 more$/);
    expect(h.gateway.stats().subscribeRefusals).toEqual({ perRequest: 1, perConnection: 1, chars: 0 });
  });

  it('private: the same caps apply after auth; the refusal is bounded', async () => {
    h = await startHarness({ subscribeCaps: { private: { maxPerRequest: 3 } } });
    const acct = h.account('caps');
    const c = await conn('/v5/private');
    expect((await c.request({ op: 'auth', req_id: 'a', args: authArgs(acct.apiKey, acct.secret, Date.now() + 10_000) })).success).toBe(true);
    expect(await c.request({ op: 'subscribe', req_id: 'x', args: ['order', 'wallet', 'position', 'execution'] })).toMatchObject({ success: false, ret_msg: 'args size >3' });
    expect((await c.request({ op: 'subscribe', req_id: 'y', args: ['order', 'wallet', 'position'] })).success).toBe(true);
  });
});

describe('/v5/trade duplicate-reqId window', () => {
  it('remembers only the last tradeReqIdWindow reqIds per connection, and forgets them on close', async () => {
    h = await startHarness({ tradeReqIdWindow: 8, maxInboundPerSec: 1e9 });
    const acct = h.account('win');
    const c = await h.connect('/v5/trade');
    expect((await c.request({ op: 'auth', reqId: 'auth', args: authArgs(acct.apiKey, acct.secret, Date.now() + 10_000) })).retCode).toBe(0);
    // No header: each op passes the duplicate check and fails the timestamp check (10002), so nothing is placed.
    const op = (reqId: string) => c.request({ op: 'order.cancel', reqId, args: [{ category: 'linear', symbol: SYM, orderId: 'x' }] });
    for (let i = 0; i < 2000; i++) c.send({ op: 'order.cancel', reqId: `r${i}`, args: [] });
    await c.nextWith({ reqId: 'r1999' });
    expect(c.drain().filter((m) => m.json?.retCode === 20006)).toEqual([]);
    expect(h.gateway.stats().tradeReqIds).toBe(8);
    expect((await op('r1999')).retCode).toBe(20006);
    expect((await op('r1992')).retCode).toBe(20006);
    expect((await op('r1991')).retCode).toBe(10002); // out of the window
    expect(h.gateway.stats().tradeReqIds).toBe(8);
    c.close();
    await c.closed;
    await expect.poll(() => h!.gateway.stats().tradeReqIds).toBe(0);
  });
});

describe('settings and metrics', () => {
  it('startSim passes the budgets to the gateway and /metrics shows them', async () => {
    const sim = await startSim({ seed: 3, ws: { maxTotalBufferedBytes: 12_345_678, subscribeCaps: { spot: { maxPerRequest: 2 } } } });
    try {
      const c = await TestClient.connect(sim.urls.wsPublic.replace('/linear', '/spot'));
      expect((await c.request({ op: 'subscribe', req_id: 's', args: ['a', 'b', 'c'] })).ret_msg).toBe('args size >2');
      c.close();
      const r = await fetch(`${sim.urls.control}/metrics`, { headers: { authorization: `Bearer ${sim.token}` } });
      const text = await r.text();
      expect(text).toMatch(/^mmvenue_ws_buffered_bytes \d+$/m);
      expect(text).toMatch(/^mmvenue_ws_buffered_budget_bytes 12345678$/m);
      expect(text).toMatch(/^mmvenue_ws_budget_closes_total 0$/m);
      expect(text).toMatch(/^mmvenue_ws_subscribe_refusals_total\{cap="perRequest"\} 1$/m);
      expect(text).toMatch(/^mmvenue_ws_subscribe_refusals_total\{cap="chars"\} 0$/m);
    } finally {
      await sim.close();
    }
  });
});
