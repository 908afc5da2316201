/**
 * The bot's execution half (bot/execution) against the running simulated venue, through the real bybit-api client:
 * quotes land on the venue's book, changed levels are amended in place, batched and sequential both converge,
 * cancelAll leaves nothing, orphans of our prefix are cancelled on start and nobody else's order is touched, a cut
 * private stream is reconciled without orphan or duplicate, a 10006 storm is retried until it converges, and a
 * crossing PostOnly is counted and not re-sent blindly. Everything is awaited on events, never on sleeps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { once } from 'node:events';
import pino from 'pino';
import { RestClientV5, WebsocketClient } from 'bybit-api';
import { startSim, type SimHandle } from '../../sim-exchange/server.ts';
import { seedStaticBook } from '../../sim-exchange/market/static-book.ts';
import { Executor, type ExecutionMode } from '../../bot/execution/executor.ts';
import type { DesiredQuote, QuoteSet } from '../../bot/types.ts';
import { ERRORS as EXEC_ERRORS } from '../../bot/telemetry/errors.ts';

const SYMBOL = 'BTCUSDT';
const WAIT_MS = 8000;
const quiet = { trace() {}, info() {}, error() {} };
const maker = { apiKey: 'bx-maker-key', secret: 'bx-maker-secret' };
const taker = { apiKey: 'bx-taker-key', secret: 'bx-taker-secret' };
const house = { apiKey: 'bx-house-key', secret: 'bx-house-secret' };

let sim: SimHandle;
let makerUid: number;
const traffic: { path: string; uid: number | undefined }[] = [];

interface Bot {
  ex: Executor;
  ws: WebsocketClient;
  rest: RestClientV5;
  logs: { level: number; code?: string; msg: string }[];
}
const bots: Bot[] = [];

function makeBot(prefix: string, mode: ExecutionMode = 'batched', extra: Partial<ConstructorParameters<typeof Executor>[0]> = {}): Bot {
  const logs: Bot['logs'] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as Bot['logs'][number]);
      cb();
    },
  });
  const rest = new RestClientV5({ key: maker.apiKey, secret: maker.secret, baseUrl: sim.urls.rest, parseAPIRateLimits: true });
  const ws = new WebsocketClient({ key: maker.apiKey, secret: maker.secret, wsUrl: sim.urls.wsPrivate }, quiet);
  ws.on('exception', () => undefined);
  const ex = new Executor({ rest, wsPrivate: ws, symbol: SYMBOL, mode, logger: pino({ level: 'debug' }, sink), linkIdPrefix: prefix, seed: 7, ...extra });
  const bot = { ex, ws, rest, logs };
  bots.push(bot);
  return bot;
}

async function shut(b: Bot): Promise<void> {
  await b.ex.cancelAll();
  b.ex.stop();
  b.ws.closeAll(true);
}

let cycle = 0;
function quoteSet(bids: readonly (readonly [string, string])[], asks: readonly (readonly [string, string])[], triggeredAt = performance.now()): QuoteSet {
  const quotes: DesiredQuote[] = [
    ...bids.map(([price, qty], level) => ({ side: 'Buy' as const, level, price, qty })),
    ...asks.map(([price, qty], level) => ({ side: 'Sell' as const, level, price, qty })),
  ];
  return { symbol: SYMBOL, quotes, triggeredAt, cycle: ++cycle };
}

/** Our open orders on the venue (ground truth), as comparable rows. */
function venueOpen(prefix: string) {
  return [...sim.venue.orders.openOf(makerUid)]
    .filter((o) => o.symbol === SYMBOL && o.orderLinkId.startsWith(`${prefix}-`))
    .map((o) => ({ side: o.side === 1 ? 'Buy' : 'Sell', price: (o.price / 10).toFixed(1), qty: ((o.qty - o.filled) / 1000).toFixed(3), orderId: o.orderId, orderLinkId: o.orderLinkId }))
    .sort((a, b) => a.side.localeCompare(b.side) || Number(a.price) - Number(b.price));
}

const rows = (q: QuoteSet) =>
  q.quotes.map((d) => ({ side: d.side, price: d.price, qty: d.qty })).sort((a, b) => a.side.localeCompare(b.side) || Number(a.price) - Number(b.price));
const strip = (v: ReturnType<typeof venueOpen>) => v.map(({ side, price, qty }) => ({ side, price, qty }));

/** REST paths the maker called since `mark`. */
const callsSince = (mark: number) => traffic.slice(mark).filter((t) => t.uid === makerUid).map((t) => t.path);
const count = (paths: string[], p: string) => paths.filter((x) => x === p).length;

function nextEvent<T>(ex: Executor, ev: 'reconciled' | 'postOnlyReject' | 'fill', pred: (e: T) => boolean, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ex.off(ev, on as never);
      reject(new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`));
    }, WAIT_MS);
    const on = (e: T) => {
      if (!pred(e)) return;
      clearTimeout(timer);
      ex.off(ev, on as never);
      resolve(e);
    };
    ex.on(ev, on as never);
  });
}

const Q1 = () => quoteSet(
  [['59990.0', '0.010'], ['59980.0', '0.010'], ['59970.0', '0.010']],
  [['60010.0', '0.010'], ['60020.0', '0.010'], ['60030.0', '0.010']],
);
/** Q1 with: bid0 re-priced, bid1 re-sized, bid2 gone, ask3 new. */
const Q2 = () => quoteSet(
  [['59991.0', '0.010'], ['59980.0', '0.020']],
  [['60010.0', '0.010'], ['60020.0', '0.010'], ['60030.0', '0.010'], ['60040.0', '0.010']],
);

beforeAll(async () => {
  sim = await startSim({
    seed: 5,
    accounts: [
      { ...maker, balance: '1000000' },
      { ...taker, balance: '1000000' },
      { ...house, balance: '50000000', makerFeeRate: '0', takerFeeRate: '0' },
    ],
    onTraffic: (e) => {
      const x = e as { channel?: string; path?: string; uid?: number };
      if (x.channel === 'rest' && typeof x.path === 'string') traffic.push({ path: x.path, uid: x.uid });
    },
  });
  makerUid = sim.venue.accountByKey(maker.apiKey)!.uid;
  const houseUid = sim.venue.accountByKey(house.apiKey)!.uid;
  seedStaticBook(sim.venue, { symbol: SYMBOL, midTicks: 600_000, levels: 20, stepTicks: 5, spreadTicks: 2, qtyLots: 500, depthGrowth: 0.1, uid: houseUid });
});

afterAll(async () => {
  for (const b of bots) {
    b.ex.stop();
    b.ws.closeAll(true);
  }
  await sim?.close();
});

describe('bot execution against the simulated venue', () => {
  it('batched: places a QuoteSet, then amends changed levels in place (one batch request per action kind)', async () => {
    const b = makeBot('bat');
    await b.ex.start();
    const q1 = Q1();
    const applied = once(b.ex, 'applied');
    await b.ex.apply(q1);
    expect(strip(venueOpen('bat'))).toEqual(rows(q1));
    expect(b.ex.view.openOrders).toBe(6);
    const [ev] = (await applied) as [{ actions: number; latencyMs: number }];
    expect(ev.actions).toBe(6);
    expect(ev.latencyMs).toBeGreaterThan(0);

    const before = new Map(venueOpen('bat').map((o) => [`${o.side}:${o.orderLinkId}`, o.orderId]));
    const mark = traffic.length;
    const q2 = Q2();
    await b.ex.apply(q2);
    expect(strip(venueOpen('bat'))).toEqual(rows(q2));
    // Amended orders keep their ids: bid0 and bid1 are the same orders as before.
    const after = venueOpen('bat');
    const bids = after.filter((o) => o.side === 'Buy');
    for (const o of bids) expect(before.get(`Buy:${o.orderLinkId}`)).toBe(o.orderId);
    const calls = callsSince(mark);
    expect(count(calls, '/v5/order/amend-batch')).toBe(1);
    expect(count(calls, '/v5/order/cancel-batch')).toBe(1);
    expect(count(calls, '/v5/order/create-batch')).toBe(1);
    expect(calls.filter((p) => ['/v5/order/create', '/v5/order/amend', '/v5/order/cancel'].includes(p))).toEqual([]);

    // Equal set: nothing is sent.
    const mark2 = traffic.length;
    await b.ex.apply({ ...q2, cycle: ++cycle, triggeredAt: performance.now() });
    expect(callsSince(mark2)).toEqual([]);
    const acks = b.ex.view.drainAckLatencies();
    expect(acks.map((a) => a.endpoint)).toContain('/v5/order/create-batch');
    expect(b.ex.view.drainAckLatencies()).toEqual([]);

    await shut(b);
    expect(venueOpen('bat')).toEqual([]);
    expect(b.logs.filter((l) => l.level >= 50)).toEqual([]);
  });

  it('sequential: one request at a time, single-order endpoints, same result', async () => {
    const b = makeBot('seq', 'sequential');
    await b.ex.start();
    const mark = traffic.length;
    const q1 = Q1();
    await b.ex.apply(q1);
    expect(strip(venueOpen('seq'))).toEqual(rows(q1));
    const q2 = Q2();
    await b.ex.apply(q2);
    expect(strip(venueOpen('seq'))).toEqual(rows(q2));
    const calls = callsSince(mark).filter((p) => p.startsWith('/v5/order/') && p !== '/v5/order/realtime');
    expect(calls.filter((p) => p.endsWith('-batch'))).toEqual([]);
    expect(count(calls, '/v5/order/create')).toBe(7);
    expect(count(calls, '/v5/order/amend')).toBe(2);
    expect(count(calls, '/v5/order/cancel')).toBe(1);
    await shut(b);
    expect(venueOpen('seq')).toEqual([]);
  });

  it('start cancels only its own orphans; cancelAll leaves zero own orders and never touches another prefix', async () => {
    const other = new RestClientV5({ key: maker.apiKey, secret: maker.secret, baseUrl: sim.urls.rest });
    const place = (orderLinkId: string, price: string) =>
      other.submitOrder({ category: 'linear', symbol: SYMBOL, side: 'Buy', orderType: 'Limit', qty: '0.010', price, timeInForce: 'PostOnly', orderLinkId });
    // An order of an earlier run of this bot (same prefix, other run) and two of someone else.
    for (const r of [await place('own-oldrun-B0-0', '59900.0'), await place('owner-1', '59901.0'), await place('x-own-2', '59902.0')]) expect(r.retCode).toBe(0);

    const b = makeBot('own');
    const reconciled = nextEvent<{ reason: string; orphans: number }>(b.ex, 'reconciled', (e) => e.reason === 'start', 'start reconciliation');
    await b.ex.start();
    expect((await reconciled).orphans).toBe(1);
    expect(b.ex.view.orphansCancelled).toBe(1);
    expect(venueOpen('own')).toEqual([]);
    const foreign = () => [...sim.venue.orders.openOf(makerUid)].map((o) => o.orderLinkId).filter((l) => l === 'owner-1' || l === 'x-own-2').sort();
    expect(foreign()).toEqual(['owner-1', 'x-own-2']);

    await b.ex.apply(Q1());
    expect(venueOpen('own')).toHaveLength(6);
    await b.ex.cancelAll();
    expect(venueOpen('own')).toEqual([]);
    expect(b.ex.view.openOrders).toBe(0);
    expect(foreign()).toEqual(['owner-1', 'x-own-2']);
    b.ex.stop();
    b.ws.closeAll(true);
    for (const l of ['owner-1', 'x-own-2']) expect((await other.cancelOrder({ category: 'linear', symbol: SYMBOL, orderLinkId: l })).retCode).toBe(0);
  });

  it('after a private WebSocket cut it reconciles: no orphan, no duplicate, fills and position caught up', async () => {
    const b = makeBot('cut');
    await b.ex.start();
    // ask0 at 60000.0 sits inside the house spread (59999.9 / 60000.1), so a market buy fills it.
    const q = quoteSet([['59990.0', '0.010'], ['59980.0', '0.010']], [['60000.0', '0.010'], ['60020.0', '0.010']]);
    await b.ex.apply(q);
    expect(strip(venueOpen('cut'))).toEqual(rows(q));

    const reconciled = nextEvent<{ reason: string }>(b.ex, 'reconciled', (e) => e.reason === 'reconnect', 'reconnect reconciliation');
    expect(sim.gateway.drop({ channel: 'private', uid: makerUid })).toBeGreaterThan(0);
    // While the stream is down (or coming back: either way the end state must agree), a taker fills our ask0.
    const takerRest = new RestClientV5({ key: taker.apiKey, secret: taker.secret, baseUrl: sim.urls.rest });
    expect((await takerRest.submitOrder({ category: 'linear', symbol: SYMBOL, side: 'Buy', orderType: 'Market', qty: '0.010' })).retCode).toBe(0);
    await reconciled;

    const venue = venueOpen('cut');
    const tracked = [...b.ex.view.live].sort((x, y) => x.orderLinkId.localeCompare(y.orderLinkId));
    expect(tracked.map((o) => o.orderLinkId)).toEqual(venue.map((o) => o.orderLinkId).sort());
    expect(venue.find((o) => o.price === '60000.0')).toBeUndefined();
    expect(b.ex.view.position).toBeCloseTo(-0.01, 9);

    // The next requote re-creates only the filled slot: one order per slot, exactly the desired set.
    await b.ex.apply({ ...q, cycle: ++cycle, triggeredAt: performance.now() });
    expect(strip(venueOpen('cut'))).toEqual(rows(q));
    expect(b.ex.view.openOrders).toBe(4);
    await shut(b);
    expect(venueOpen('cut')).toEqual([]);
    // Flatten the position for the tests after this one.
    expect((await b.rest.submitOrder({ category: 'linear', symbol: SYMBOL, side: 'Buy', orderType: 'Market', qty: '0.010', reduceOnly: true })).retCode).toBe(0);
  });

  it('a 10006 storm (2 orders/s on the batch endpoints) is retried after the reset and converges', async () => {
    const limits = ['/v5/order/create-batch', '/v5/order/amend-batch', '/v5/order/cancel-batch'];
    sim.limiter.setLimits(Object.fromEntries(limits.map((p) => [p, 2])));
    try {
      const b = makeBot('rl', 'batched', { seed: 1234 });
      await b.ex.start();
      const q1 = Q1();
      await b.ex.apply(q1);
      expect(strip(venueOpen('rl'))).toEqual(rows(q1));
      expect(b.ex.view.retries).toBeGreaterThan(0);
      expect(b.logs.some((l) => l.code === EXEC_ERRORS.EXEC_RETRY.code)).toBe(true);
      const q2 = Q2();
      await b.ex.apply(q2);
      expect(strip(venueOpen('rl'))).toEqual(rows(q2));
      expect(b.ex.view.rejects.get(10006)).toBeUndefined();
      await shut(b);
      expect(venueOpen('rl')).toEqual([]);
    } finally {
      sim.limiter.setLimits(Object.fromEntries(limits.map((p) => [p, 10])));
    }
  });

  it('a crossing PostOnly is cancelled by the venue, counted, and not re-sent by a QuoteSet older than the reject', async () => {
    const b = makeBot('po');
    await b.ex.start();
    const q = quoteSet([['60000.5', '0.010']], [['60010.0', '0.010']]);
    const rejected = nextEvent<{ price: string }>(b.ex, 'postOnlyReject', () => true, 'PostOnly reject');
    await b.ex.apply(q);
    expect(Number((await rejected).price)).toBe(60000.5);
    expect(b.ex.view.postOnlyRejects).toBe(1);
    expect(strip(venueOpen('po'))).toEqual([{ side: 'Sell', price: '60010.0', qty: '0.010' }]);
    expect(b.ex.view.openOrders).toBe(1);

    const mark = traffic.length;
    await b.ex.apply({ ...q, cycle: ++cycle });
    expect(callsSince(mark).filter((p) => p.startsWith('/v5/order/create'))).toEqual([]);
    await shut(b);
  });
});
