/**
 * Fuzzing the order-entry endpoints over a real socket: random bodies (valid templates with fields replaced by
 * garbage, deleted, or joined by unknown fields; arbitrary JSON; random bytes) to create / amend / cancel / cancel-all /
 * the three batch endpoints. Properties:
 *  - every response is the V5 envelope (HTTP 200 or 413, numeric retCode, string retMsg, result, time);
 *  - a rejected request (retCode != 0, or a batch whose every item failed) leaves the venue exactly as it was
 *    (digest: open orders, book depth and seq, ledger size, closed-order counts);
 *  - the server never falls over: a valid request works after the run.
 * Set FC_SEED to replay a run.
 */
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Venue } from '../../sim-exchange/venue/venue.ts';
import { ManualClock } from '../../sim-exchange/clock.ts';
import { DEFAULT_INSTRUMENTS } from '../../sim-exchange/instruments.ts';
import { RateLimiter } from '../../sim-exchange/bybit-v5/rate-limit.ts';
import { createRestApp } from '../../sim-exchange/bybit-v5/rest/http.ts';
import { registerRoutes } from '../../sim-exchange/bybit-v5/rest/routes.ts';
import { hmacHex } from '../../sim-exchange/bybit-v5/auth.ts';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
console.log('fast-check seed', seed);

const KEY = { apiKey: 'fuzzKey001', secret: 'fuzzSecret001' };
const OTHER = { apiKey: 'fuzzKey002', secret: 'fuzzSecret002' };
const clock = new ManualClock(1_700_000_000_000);
const venue = new Venue({ instruments: DEFAULT_INSTRUMENTS, clock, seed: 11 });
const limiter = new RateLimiter({}, 1_000_000_000);
const rest = createRestApp({ keys: { byKey: (k) => venue.accountByKey(k) }, clock, limiter, logger: false });
registerRoutes(rest, venue, {});
let base = '';
const openIds: string[] = [];

beforeAll(async () => {
  await rest.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(rest.app.server.address() as AddressInfo).port}`;
  const fees = { balance: '100000', makerFeeRate: '-0.0001', takerFeeRate: '0.0006' };
  const a = venue.createAccount({ ...KEY, ...fees }).uid;
  const b = venue.createAccount({ ...OTHER, ...fees }).uid;
  // A book with resting orders of both accounts, so amend/cancel fuzz has real targets.
  for (let i = 0; i < 5; i++) {
    const common = { symbol: 'BTCUSDT', orderType: 'Limit' as const, timeInForce: 'GTC' as const, qty: 10 + i, signedAt: clock.now() };
    openIds.push(venue.place(a, { ...common, side: 1, price: 299_000 - i * 10, orderLinkId: `seed-bid-${i}` }).orderId);
    openIds.push(venue.place(a, { ...common, side: -1, price: 301_000 + i * 10, orderLinkId: `seed-ask-${i}` }).orderId);
    venue.place(b, { ...common, side: 1, price: 298_000 - i * 10 });
  }
});
afterAll(async () => {
  await rest.app.close();
});

/** Everything a rejected request must not change. */
function digest(): string {
  const parts: unknown[] = [venue.ledger.size];
  for (const acct of venue.accounts.values()) {
    parts.push(acct.uid, venue.orders.closedOf(acct.uid).length, acct.usedLinkIds.size);
    for (const o of venue.orders.openOf(acct.uid)) parts.push([o.orderId, o.price, o.qty, o.filled, o.status, o.updatedTime]);
  }
  for (const s of venue.instruments.keys()) {
    const b = venue.book(s);
    parts.push(s, b.seq, b.size, b.depth(1, 1000), b.depth(-1, 1000));
  }
  return JSON.stringify(parts);
}

/** Orders ever accepted for the fuzzing account (open + closed). */
function orderCount(): number {
  const uid = venue.accountByKey(KEY.apiKey)!.uid;
  return [...venue.orders.openOf(uid)].length + venue.orders.closedOf(uid).length;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function send(path: string, body: Uint8Array | string): Promise<{ status: number; json: Json }> {
  clock.advance(1);
  const raw = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
  const ts = String(clock.now());
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: {
      'X-BAPI-API-KEY': KEY.apiKey,
      'X-BAPI-TIMESTAMP': ts,
      'X-BAPI-RECV-WINDOW': '5000',
      'X-BAPI-SIGN': hmacHex(KEY.secret, ts + KEY.apiKey + '5000' + raw),
      'Content-Type': 'application/json',
    },
    body: typeof body === 'string' ? body : Buffer.from(body),
  });
  const text = await res.text();
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`not JSON (HTTP ${res.status}): ${text.slice(0, 200)}`);
  }
  return { status: res.status, json };
}

function expectEnvelope(status: number, j: Json): void {
  expect([200, 413]).toContain(status);
  expect(typeof j).toBe('object');
  expect(typeof j.retCode).toBe('number');
  expect(Number.isInteger(j.retCode)).toBe(true);
  expect(typeof j.retMsg).toBe('string');
  expect(j).toHaveProperty('result');
  expect(j).toHaveProperty('retExtInfo');
  expect(typeof j.time).toBe('number');
}

// ------------------------------------------------------------------------------------------------- arbitraries

const garbage: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('', ' ', '-1', '0', '-0.001', '1e3', '1E-3', 'NaN', 'Infinity', '0x10', '1.', '.5', '١٢', '0.0000000001',
    '99999999999999999999999', '30000.05', '0.0001', 'Buy', 'Sell', 'Limit', 'Market', 'linear', 'spot', 'PostOnly', 'RPI',
    'BTCUSDT', 'btcusdt', '__proto__', 'constructor', '{}', '[]', 'null', 'true'),
  fc.string({ maxLength: 60 }),
  fc.string({ minLength: 200, maxLength: 2000 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e308, -1e308, 5e-324, 0, -0, 0.1, 1e21),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
);

const CREATE = { category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.010', price: '29000.0', timeInForce: 'GTC' };
const CREATE_FIELDS = [...Object.keys(CREATE), 'orderLinkId', 'reduceOnly', 'takeProfit', 'stopLoss', 'positionIdx', 'smpType', 'triggerPrice', 'marketUnit', 'isLeverage', 'closeOnTrigger'];
const ref = () => fc.constantFrom(...openIds, 'no-such-order', '');
const AMEND_FIELDS = ['category', 'symbol', 'orderId', 'orderLinkId', 'qty', 'price', 'takeProfit', 'triggerPrice'];
const CANCEL_FIELDS = ['category', 'symbol', 'orderId', 'orderLinkId', 'orderFilter'];
const CANCEL_ALL_FIELDS = ['category', 'symbol', 'baseCoin', 'settleCoin', 'orderFilter', 'stopOrderType'];

type Mutation = { op: 'set'; field: string; value: unknown } | { op: 'delete'; field: string } | { op: 'extra'; field: string; value: unknown };

const mutation = (fields: readonly string[]): fc.Arbitrary<Mutation> =>
  fc.oneof(
    fc.record({ op: fc.constant('set' as const), field: fc.constantFrom(...fields), value: garbage }),
    fc.record({ op: fc.constant('delete' as const), field: fc.constantFrom(...fields) }),
    fc.record({ op: fc.constant('extra' as const), field: fc.string({ minLength: 1, maxLength: 20 }), value: garbage }),
  );

function mutate(template: Record<string, unknown>, muts: readonly Mutation[]): Record<string, unknown> {
  const o: Record<string, unknown> = { ...template };
  for (const m of muts) {
    if (m.op === 'delete') delete o[m.field];
    else if (m.field !== '__proto__') o[m.field] = m.value;
  }
  return o;
}

/** Valid template + 1..3 mutations. */
const mutated = (template: fc.Arbitrary<Record<string, unknown>>, fields: readonly string[]) =>
  fc.tuple(template, fc.array(mutation(fields), { minLength: 1, maxLength: 3 })).map(([t, m]) => mutate(t, m));

const createTemplate = fc.record({ ...Object.fromEntries(Object.entries(CREATE).map(([k, v]) => [k, fc.constant(v)])), orderLinkId: fc.stringMatching(/^[a-z0-9]{1,12}$/) });
const createBody = mutated(createTemplate, CREATE_FIELDS);
const amendTemplate = fc.record({ category: fc.constant('linear'), symbol: fc.constant('BTCUSDT'), orderId: ref(), qty: fc.constantFrom('0.020', '0.001', '0') });
const amendBody = mutated(amendTemplate, AMEND_FIELDS);
const cancelTemplate = fc.record({ category: fc.constant('linear'), symbol: fc.constant('BTCUSDT'), orderId: ref() });
const cancelBody = mutated(cancelTemplate, CANCEL_FIELDS);
const cancelAllBody = mutated(fc.record({ category: fc.constant('linear'), symbol: fc.constant('BTCUSDT') }), CANCEL_ALL_FIELDS);

const batchOf = (item: fc.Arbitrary<unknown>) =>
  fc.oneof(
    fc.record({ category: fc.constant('linear'), request: fc.array(item, { minLength: 1, maxLength: 25 }) }),
    mutated(fc.record({ category: fc.constant('linear'), request: fc.array(item, { maxLength: 3 }) }), ['category', 'request']),
  );
const withoutCategory = (a: fc.Arbitrary<Record<string, unknown>>) => a.map(({ category: _c, ...rest }) => rest);
/** Batch items: garbage, mutated items, and valid ones (which may then succeed, so mixed batches are exercised). */
const items = (template: fc.Arbitrary<Record<string, unknown>>, mutatedBody: fc.Arbitrary<Record<string, unknown>>) =>
  fc.oneof(garbage, withoutCategory(mutatedBody), withoutCategory(template));

/** Any body: structured garbage, arbitrary JSON, or raw bytes. */
const body = (structured: fc.Arbitrary<unknown>): fc.Arbitrary<string | Uint8Array> =>
  fc.oneof(
    { weight: 6, arbitrary: structured.map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
    { weight: 1, arbitrary: fc.string({ maxLength: 100 }) },
  );

const ENDPOINTS: { path: string; body: fc.Arbitrary<string | Uint8Array>; batch: boolean }[] = [
  { path: '/v5/order/create', body: body(createBody), batch: false },
  { path: '/v5/order/amend', body: body(amendBody), batch: false },
  { path: '/v5/order/cancel', body: body(cancelBody), batch: false },
  { path: '/v5/order/create-batch', body: body(batchOf(items(createTemplate, createBody))), batch: true },
  { path: '/v5/order/amend-batch', body: body(batchOf(items(amendTemplate, amendBody))), batch: true },
  { path: '/v5/order/cancel-batch', body: body(batchOf(items(cancelTemplate, cancelBody))), batch: true },
  // Last: a valid cancel-all clears the seeded orders the amend/cancel properties aim at.
  { path: '/v5/order/cancel-all', body: body(cancelAllBody), batch: false },
];

// ------------------------------------------------------------------------------------------------- properties

describe('REST order entry under random bodies', () => {
  for (const ep of ENDPOINTS) {
    it(`${ep.path}: envelope always, rejected requests change nothing`, async () => {
      let rejected = 0;
      await fc.assert(
        fc.asyncProperty(ep.body, async (b) => {
          const before = digest();
          const countBefore = orderCount();
          const { status, json } = await send(ep.path, b);
          expectEnvelope(status, json);
          let failed = json.retCode !== 0;
          if (!failed && ep.batch) {
            const list = json.result.list as unknown[];
            const ext = json.retExtInfo.list as { code: number; msg: string }[];
            expect(Array.isArray(list)).toBe(true);
            expect(ext).toHaveLength(list.length);
            for (const x of ext) {
              expect(typeof x.code).toBe('number');
              expect(typeof x.msg).toBe('string');
            }
            failed = ext.every((x) => x.code !== 0);
            // Each good create item adds exactly one order, whatever the bad ones around it did.
            if (ep.path.endsWith('create-batch')) expect(orderCount() - countBefore).toBe(ext.filter((x) => x.code === 0).length);
          }
          if (ep.path.endsWith('/create') && json.retCode === 0) expect(orderCount()).toBe(countBefore + 1);
          if (process.env.FUZZ_TRACE) console.log(ep.path, json.retCode, json.retMsg.slice(0, 80), ep.batch && json.retCode === 0 ? JSON.stringify(json.retExtInfo.list.map((x: Json) => x.code)) : '');
          if (failed) {
            rejected++;
            expect(digest()).toBe(before);
          }
        }),
        { seed, numRuns: 150 },
      );
      expect(rejected).toBeGreaterThan(0);
    });
  }

  it('the server still works after the fuzzing', async () => {
    const { status, json } = await send('/v5/order/create', JSON.stringify({ ...CREATE, price: '28000.0', orderLinkId: `after-${seed}` }));
    expect(status).toBe(200);
    expect(json.retCode).toBe(0);
    expect(json.result.orderId).toMatch(/^[0-9a-f-]{36}$/);
    const t = await fetch(`${base}/v5/market/time`);
    expect(((await t.json()) as Json).retCode).toBe(0);
  });
});
