/**
 * Frames of any shape and depth at /v5/public/linear and /v5/private (fast-check, seeded; the seed is printed, re-run
 * with MM_SEED=<seed>), each path over ONE real connection for the whole run: subscribe / unsubscribe / auth / ping /
 * pong requests whose op, req_id and args are arbitrary JSON (fc.json, fc.anything), nested up to 10,000 deep, huge
 * arrays (up to 100,000 items), non-string args, plus non-object JSON, non-JSON text and binary frames.
 *
 * Properties, per frame:
 *  - exactly one reply (a `{"op":"pong"}` keep-alive gets none, as documented), in the path's shape; data pushes of
 *    topics the fuzz subscribed are not replies and are skipped;
 *  - the reply is bounded: at most 1 KiB besides the req_id it echoes (which the client sent);
 *  - the connection stays open (no frame here is over maxPayload, nor invalid UTF-8: the documented closes 1009 and
 *    1007 are tested in ws-public.test.ts), the process stays up, and a valid subscribe right after works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import WebSocket from 'ws';
import { startHarness, testSeed, authArgs, type Harness, type TestClient, type Received } from '../integration/helpers/ws-harness.ts';

let h: Harness;
let acct: { apiKey: string; secret: string };
beforeAll(async () => {
  // Huge frames are part of the fuzz: room for them (the default 64 KiB is tested elsewhere), and no flood close.
  h = await startHarness({ maxInboundPerSec: 1e9, maxPayload: 4 * 1024 * 1024 });
  acct = h.account('shape');
});
afterAll(async () => {
  await h.close();
});

const TOPICS = ['orderbook.1.BTCUSDT', 'orderbook.50.ETHUSDT', 'tickers.BTCUSDT', 'publicTrade.ETHUSDT', 'order', 'wallet', 'execution.fast', 'dcp.future', 'kline.1.BTCUSDT'];

/** A JSON text (not a value: a value nested 10,000 deep cannot go through JSON.stringify). */
const anyJson: fc.Arbitrary<string> = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc.anything({ maxDepth: 4, maxKeys: 5, withNullPrototype: true, withObjectString: true }).map((v) => JSON.stringify(v) ?? 'null'),
);
const deep: fc.Arbitrary<string> = fc
  .record({
    depth: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1000, max: 10_000 })),
    open: fc.constantFrom('[', '{"a":', '{"":', '[1,'),
    leaf: fc.oneof(fc.constantFrom('"x"', '1', 'null', '[]', '{}', '"tickers.BTCUSDT"'), anyJson),
  })
  .map(({ depth, open, leaf }) => open.repeat(depth) + leaf + (open.startsWith('[') ? ']' : '}').repeat(depth));
const huge: fc.Arbitrary<string> = fc
  .record({
    n: fc.integer({ min: 1000, max: 100_000 }),
    item: fc.constantFrom('"x"', '1', 'null', '[]', '{}', '"orderbook.1.BTCUSDT"', '"wallet"', '["a"]', '{"k":"v"}', '""'),
  })
  .map(({ n, item }) => `[${Array<string>(n).fill(item).join(',')}]`);
const topicArgs: fc.Arbitrary<string> = fc
  .array(fc.oneof(fc.constantFrom(...TOPICS), fc.string({ maxLength: 30 }), fc.integer(), fc.constant(null), fc.boolean()), { maxLength: 12 })
  .map((a) => JSON.stringify(a));
const authLike: fc.Arbitrary<string> = fc
  .tuple(fc.oneof(fc.constant('shape-key'), fc.string({ maxLength: 20 })), fc.oneof(fc.integer(), fc.string({ maxLength: 20 })), fc.string({ maxLength: 70 }))
  .map((t) => JSON.stringify(t));
const value: fc.Arbitrary<string> = fc.oneof(anyJson, deep, huge, topicArgs, authLike);

/** A request-like object: op, req_id and args each arbitrary (or absent), plus junk keys, in any order. */
const request: fc.Arbitrary<string> = fc
  .record(
    {
      op: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom('subscribe', 'unsubscribe', 'auth', 'ping', 'pong').map((s) => JSON.stringify(s)) },
        { weight: 1, arbitrary: value },
      ),
      req_id: fc.oneof(fc.string({ maxLength: 40 }).map((s) => JSON.stringify(s)), fc.integer().map(String), value),
      args: fc.oneof({ weight: 3, arbitrary: topicArgs }, { weight: 1, arbitrary: authLike }, { weight: 4, arbitrary: value }),
      junk: fc.array(fc.tuple(fc.string({ maxLength: 8 }), anyJson), { maxLength: 3 }),
    },
    { requiredKeys: ['junk'] },
  )
  .chain((r) => {
    const parts = [
      ...(r.op !== undefined ? [`"op":${r.op}`] : []),
      ...(r.req_id !== undefined ? [`"req_id":${r.req_id}`] : []),
      ...(r.args !== undefined ? [`"args":${r.args}`] : []),
      ...r.junk.map(([k, v]) => `${JSON.stringify(k)}:${v}`),
    ];
    return fc.shuffledSubarray(parts, { minLength: parts.length, maxLength: parts.length }).map((p) => `{${p.join(',')}}`);
  });

type Frame = { readonly text: string } | { readonly binary: Uint8Array };
const frame: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 12, arbitrary: request.map((text) => ({ text })) },
  { weight: 1, arbitrary: fc.oneof(anyJson, deep, huge).map((text) => ({ text })) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map((text) => ({ text })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }).map((binary) => ({ binary })) },
);

/** Replies a frame must get: none for the documented `{"op":"pong"}` keep-alive, one for anything else. */
function expectedReplies(f: Frame): number {
  if (!('text' in f)) return 1;
  let v: unknown;
  try {
    v = JSON.parse(f.text);
  } catch {
    return 1;
  }
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (v as Record<string, unknown>)['op'] === 'pong' ? 0 : 1;
}

const isPush = (m: Received): boolean => typeof m.json?.topic === 'string' && 'data' in m.json;

function checkReply(m: Received, path: string): void {
  const where = `${path}: ${m.text.slice(0, 300)}`;
  expect(m.json, where).toBeTypeOf('object');
  expect(m.json, where).not.toBeNull();
  expect(Array.isArray(m.json), where).toBe(false);
  const j = m.json as Record<string, unknown>;
  const rid = j['req_id'];
  expect(rid === undefined || typeof rid === 'string' || typeof rid === 'number', where).toBe(true);
  // Bounded: at most 1 KiB besides the req_id echoed back.
  expect(m.text.length - JSON.stringify(rid ?? '').length, where).toBeLessThanOrEqual(1024);
  if (j['op'] === 'pong') {
    expect(Object.keys(j), where).toEqual(['req_id', 'op', 'args', 'conn_id']); // the private pong
    return;
  }
  expect(typeof j['success'], where).toBe('boolean');
  expect(typeof j['ret_msg'], where).toBe('string');
  expect(typeof j['op'], where).toBe('string');
  expect(typeof j['conn_id'], where).toBe('string');
}

const PATHS: [string, string][] = [
  ['/v5/public/linear', 'tickers.BTCUSDT'],
  ['/v5/private', 'wallet'],
];

describe('ws frames of any shape and depth', () => {
  it.each(PATHS)(
    '%s: every frame gets exactly one bounded, well-formed reply over one connection, and a valid subscribe still works',
    async (path, topic) => {
      const seed = testSeed(`ws-frames-shape ${path}`);
      const c: TestClient = await h.connect(path);
      const isPong = (k: string) => (m: Received) => (m.json?.ret_msg === 'pong' || m.json?.op === 'pong') && m.json.req_id === k;
      if (path === '/v5/private') {
        expect((await c.request({ op: 'auth', req_id: 'auth', args: authArgs(acct.apiKey, acct.secret, Date.now() + 600_000) })).success).toBe(true);
      }
      let n = 0;
      await fc.assert(
        fc.asyncProperty(frame, async (f) => {
          const before = c.all.length;
          if ('text' in f) c.ws.send(f.text);
          else c.ws.send(f.binary, { binary: true });
          const marker = `__marker_${++n}`;
          c.send({ op: 'ping', req_id: marker });
          const shown = 'text' in f ? f.text.slice(0, 300) : `<binary ${f.binary.length}>`;
          await c.next(isPong(marker), `the pong ${marker} after ${shown}`, 15_000);
          const replies = c.all.slice(before).filter((m) => !isPush(m) && !isPong(marker)(m));
          expect(replies.length, `replies to ${shown}: ${replies.map((m) => m.text.slice(0, 200)).join(' | ')}`).toBe(expectedReplies(f));
          for (const m of replies) checkReply(m, path);
          c.drain();
          expect(c.ws.readyState).toBe(WebSocket.OPEN);
          // A valid subscribe still works on the same connection.
          expect((await c.request({ op: 'unsubscribe', req_id: `u${n}`, args: [topic] })).success).toBe(true);
          const ok = await c.request({ op: 'subscribe', req_id: `s${n}`, args: [topic] });
          expect(ok, JSON.stringify(ok)).toMatchObject({ success: true, op: 'subscribe' });
          c.drain();
        }),
        { seed, numRuns: 200 },
      );
      expect(c.ws.readyState).toBe(WebSocket.OPEN);
      expect(h.gateway.stats().closes).toEqual({ slowConsumer: 0, flood: 0, idle: 0 });
      c.terminate();
    },
    180_000,
  );
});
