/**
 * Random frames at every WebSocket path (fast-check, seeded; the seed is printed): the gateway never crashes, every
 * reply to a text frame is a JSON object in the path's shape, and a ping sent afterwards still gets its pong on the
 * same connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import WebSocket from 'ws';
import { startHarness, testSeed, authArgs, type Harness, type TestClient, type Received } from '../integration/helpers/ws-harness.ts';

let h: Harness;
let acct: { apiKey: string; secret: string };
beforeAll(async () => {
  h = await startHarness({ maxInboundPerSec: 1e9 });
  acct = h.account('fuzz');
});
afterAll(async () => {
  await h.close();
});

const OPS = ['ping', 'pong', 'subscribe', 'unsubscribe', 'auth', 'order.create', 'order.amend', 'order.cancel', 'order.create-batch', 'order.amend-batch', 'order.cancel-batch', ''];
const TOPICS = ['orderbook.1.BTCUSDT', 'orderbook.50.ETHUSDT', 'orderbook.7.BTCUSDT', 'publicTrade.BTCUSDT', 'tickers.ETHUSDT', 'order', 'execution', 'execution.fast', 'position', 'wallet', 'dcp.future', 'kline.1.BTCUSDT'];

const scalar = fc.oneof(fc.string({ maxLength: 40 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const value: fc.Arbitrary<unknown> = fc.oneof(scalar, fc.array(scalar, { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 8 }), scalar, { maxKeys: 4 }));

/** Frames that look like requests: known and unknown ops, plausible and implausible args, ids and headers. */
const requestLike = fc
  .record(
    {
      op: fc.oneof(fc.constantFrom(...OPS), fc.string({ maxLength: 20 }), value),
      req_id: value,
      reqId: value,
      args: fc.oneof(
        fc.array(fc.oneof(fc.constantFrom(...TOPICS), fc.string({ maxLength: 30 })), { maxLength: 5 }),
        fc.array(value, { maxLength: 3 }),
        fc.tuple(fc.string({ maxLength: 20 }), fc.oneof(fc.integer(), fc.string()), fc.string({ maxLength: 70 })),
        fc.array(fc.record({ category: fc.constantFrom('linear', 'spot', 'x'), symbol: fc.constantFrom('BTCUSDT', 'NOPE'), request: fc.array(value, { maxLength: 3 }) }, { requiredKeys: [] }), { maxLength: 2 }),
        value,
      ),
      header: fc.oneof(value, fc.record({ 'X-BAPI-TIMESTAMP': fc.oneof(fc.string(), fc.integer()), 'X-BAPI-RECV-WINDOW': fc.oneof(fc.string(), fc.integer()) }, { requiredKeys: [] })),
    },
    { requiredKeys: [] },
  )
  .map((o) => JSON.stringify(o));

const frame: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: requestLike },
  { weight: 2, arbitrary: fc.json({ maxDepth: 3 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
);

type Shape = 'success' | 'trade';

function checkReply(m: Received, shape: Shape): void {
  expect(m.json, `reply is JSON: ${m.text.slice(0, 200)}`).toBeTypeOf('object');
  expect(m.json).not.toBeNull();
  expect(Array.isArray(m.json)).toBe(false);
  const j = m.json as Record<string, unknown>;
  if (typeof j['topic'] === 'string') {
    expect('data' in j, m.text.slice(0, 200)).toBe(true);
    return;
  }
  if (shape === 'trade') {
    expect(typeof j['retCode'], m.text).toBe('number');
    expect(typeof j['retMsg'], m.text).toBe('string');
    expect(typeof j['op'], m.text).toBe('string');
    expect(typeof j['connId'], m.text).toBe('string');
    return;
  }
  if (j['op'] === 'pong') {
    // the private pong
    expect(Object.keys(j)).toEqual(['req_id', 'op', 'args', 'conn_id']);
    return;
  }
  expect(typeof j['success'], m.text).toBe('boolean');
  expect(typeof j['ret_msg'], m.text).toBe('string');
  expect(typeof j['op'], m.text).toBe('string');
  expect(typeof j['conn_id'], m.text).toBe('string');
}

const PATHS: [string, Shape, boolean, (m: Received, marker: string) => boolean][] = [
  ['/v5/public/linear', 'success', false, (m, k) => m.json?.ret_msg === 'pong' && m.json.req_id === k],
  ['/v5/public/spot', 'success', false, (m, k) => m.json?.ret_msg === 'pong' && m.json.req_id === k],
  ['/v5/private', 'success', false, (m, k) => m.json?.op === 'pong' && m.json.req_id === k],
  ['/v5/private', 'success', true, (m, k) => m.json?.op === 'pong' && m.json.req_id === k],
  ['/v5/trade', 'trade', false, (m, k) => m.json?.op === 'pong' && m.json.reqId === k],
  ['/v5/trade', 'trade', true, (m, k) => m.json?.op === 'pong' && m.json.reqId === k],
];

describe('ws fuzz', () => {
  it.each(PATHS)('%s (authenticated: %s): random frames never break the connection or the reply shape', async (path, shape, authed, isPong) => {
    const seed = testSeed(`ws-fuzz ${path}${authed ? ' authenticated' : ''}`);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(frame, async (f) => {
        const c: TestClient = await h.connect(path);
        try {
          if (authed) {
            c.send({ op: 'auth', args: authArgs(acct.apiKey, acct.secret, Date.now() + 10_000), req_id: 'a', reqId: 'a' });
            await c.next((m) => m.json?.op === 'auth' && (m.json.success === true || m.json.retCode === 0), 'auth ok');
          }
          if (typeof f === 'string') c.ws.send(f);
          else c.ws.send(f, { binary: true });
          const marker = `__marker_${++n}`;
          c.send(shape === 'trade' ? { op: 'ping', reqId: marker } : { op: 'ping', req_id: marker });
          await c.next((m) => isPong(m, marker), `pong ${marker} after ${JSON.stringify(typeof f === 'string' ? f : [...f]).slice(0, 200)}`);
          for (const m of c.all) checkReply(m, shape);
          expect(c.ws.readyState).toBe(WebSocket.OPEN);
        } finally {
          c.terminate();
        }
      }),
      { seed, numRuns: 150 },
    );
    expect(h.gateway.stats().closes).toEqual({ slowConsumer: 0, flood: 0, idle: 0 });
  });

  it('closes a text frame with invalid UTF-8 (1007, ws) and keeps serving other connections', async () => {
    const c = await h.connect('/v5/public/linear');
    c.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect((await c.closed).code).toBe(1007);
    const d = await h.connect('/v5/public/linear');
    d.send({ op: 'ping', req_id: 'still' });
    expect((await d.nextWith({ req_id: 'still' })).json.ret_msg).toBe('pong');
  });
});
