/**
 * Unit tests of the execution half's pure parts (decimal, orderLinkIds, backoff, rate-limit gate, reconciliation plan)
 * and of the Executor against a scripted fake REST client and private stream: a create whose answer is lost is
 * retried with the same orderLinkId and the venue's 110072 counts as success after a lookup; 10016 is retried; a
 * PostOnly cancel on the stream removes the order and is counted.
 */
import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { Counter } from 'prom-client';
import type { RestClientV5, WebsocketClient } from 'bybit-api';
import { addDec, cmpDec, eqDec, subDec } from '../../bot/venue/decimal.ts';
import { LinkIds } from '../../bot/venue/link-ids.ts';
import { RateLimitGate } from '../../bot/venue/rate-limits.ts';
import { backoffMs, seededRandom } from '../../bot/execution/retry.ts';
import { planReconcile } from '../../bot/execution/reconcile.ts';
import { Executor } from '../../bot/execution/executor.ts';
import type { TrackedOrder } from '../../bot/state/orders.ts';
import type { OrderUpdate } from '../../bot/venue/messages.ts';
import type { QuoteSet } from '../../bot/types.ts';

describe('decimal strings', () => {
  it('adds, subtracts and compares exactly', () => {
    expect(addDec('0.010', '0.02')).toBe('0.030');
    expect(addDec('0.1', '0.2')).toBe('0.3');
    expect(subDec('1', '0.001')).toBe('0.999');
    expect(subDec('0.001', '1')).toBe('-0.999');
    expect(eqDec('0.010', '0.01')).toBe(true);
    expect(cmpDec('60000.50', '60000.5')).toBe(0);
    expect(cmpDec('2', '10')).toBe(-1);
  });
});

describe('orderLinkIds', () => {
  it('mints unique ids of at most 36 chars that parse back, and recognises only its prefix', () => {
    const ids = new LinkIds('mmbot_12345', seededRandom(3));
    const a = ids.next('Buy', 12);
    const b = ids.next('Buy', 12);
    expect(a).not.toBe(b);
    expect(a.length).toBeLessThanOrEqual(36);
    expect(ids.parse(a)).toEqual({ run: ids.run, side: 'Buy', level: 12 });
    expect(ids.isOwn('mmbot_12345x-1')).toBe(false);
    expect(ids.parse('other-abc-B0-1')).toBeUndefined();
    expect(() => new LinkIds('has-dash')).toThrow();
  });
});

describe('backoff and rate-limit gate', () => {
  it('backoff is exponential, capped, jittered within [cap/2, cap] and reproducible from a seed', () => {
    const p = { baseMs: 50, maxMs: 2000 };
    const r1 = seededRandom(42);
    const r2 = seededRandom(42);
    for (let i = 0; i < 10; i++) {
      const cap = Math.min(2000, 50 * 2 ** i);
      const ms = backoffMs(i, p, r1);
      expect(ms).toBeGreaterThanOrEqual(cap / 2);
      expect(ms).toBeLessThanOrEqual(cap);
      expect(backoffMs(i, p, r2)).toBe(ms);
    }
  });

  it('holds sends only while the venue said the window is used up, until its reset', () => {
    let now = 1_000_000;
    const g = new RateLimitGate(() => now);
    expect(g.waitMs('/x')).toBe(0);
    g.update('/x', { max: 10, remaining: 2, resetAt: now });
    g.take('/x', 2);
    expect(g.waitMs('/x')).toBe(0); // used up locally but no reset time known: the venue will say
    g.update('/x', { max: 10, remaining: 0, resetAt: now + 300 });
    expect(g.waitMs('/x')).toBe(300);
    now += 300;
    expect(g.waitMs('/x')).toBe(0);
    g.update('/x', { max: 10, remaining: 0, resetAt: now + 60_000 });
    expect(g.waitMs('/x')).toBe(1100); // capped: a far reset is clock skew
  });

  it('reads a reply net of the units still in flight, so overlapping batches do not overspend the window', () => {
    const now = 1_000_000;
    const g = new RateLimitGate(() => now);
    g.update('/b', { max: 10, remaining: 10, resetAt: now });
    g.take('/b', 3); // request A: 3 orders
    g.take('/b', 4); // request B: 4 orders, sent before A's answer
    expect(g.budget('/b')).toBe(3);
    // A's answer was counted before B reached the venue: 7 left there, but B's 4 are still coming.
    g.done('/b', 3, { max: 10, remaining: 7, resetAt: now });
    expect(g.budget('/b')).toBe(3);
    g.done('/b', 4, { max: 10, remaining: 3, resetAt: now });
    expect(g.budget('/b')).toBe(3);
    g.take('/b', 2);
    g.done('/b', 2); // failed without an answer: no longer in flight, the count stands
    expect(g.budget('/b')).toBe(1);
    g.update('/b', { max: 10, remaining: 9, resetAt: now });
    expect(g.budget('/b')).toBe(9);
    // A spent window whose reset has passed frees an unknown number of units: one goes out, then the reply tells.
    g.update('/b', { max: 10, remaining: 0, resetAt: now - 1 });
    expect(g.budget('/b')).toBe(1);
    g.take('/b', 1);
    expect(g.budget('/b')).toBe(0);
    g.done('/b', 1);
    expect(g.budget('/b')).toBe(1);
  });
});

describe('reconciliation plan', () => {
  const ids = new LinkIds('bot', seededRandom(1));
  const u = (orderLinkId: string, side: 'Buy' | 'Sell' = 'Buy', updatedTime = 10): OrderUpdate => ({
    symbol: 'BTCUSDT', orderId: `id-${orderLinkId}`, orderLinkId, side, price: '1', qty: '1', leavesQty: '1', cumExecQty: '0', status: 'New', rejectReason: '', updatedTime,
  });
  const t = (orderLinkId: string, over: Partial<TrackedOrder> = {}): TrackedOrder => ({
    orderId: 'x', orderLinkId, side: 'Buy', level: 0, price: '1', qty: '1', filled: '0', status: 'New', inflight: undefined,
    amends: 0, target: undefined, amendSeq: 0, ackedSeq: 0, updatedTime: 0, streamAt: 0, confirmedAt: 5, ...over,
  });

  it('updates tracked, adopts this run, cancels other runs, skips closed and foreign, drops the vanished', () => {
    const mine = ids.next('Buy', 0);
    const lost = ids.next('Sell', 2);
    const closed = ids.next('Buy', 1);
    const plan = planReconcile({
      open: [u(mine), u(lost, 'Sell'), u('bot-oldrun-B0-0'), u('someone-else'), u(closed, 'Buy', 9)],
      tracked: [t(mine), t('bot-zzz-B3-9'), t('bot-zzz-B4-9', { inflight: 'create' }), t('bot-zzz-B5-9', { confirmedAt: 50 })],
      parse: (l) => ids.parse(l),
      run: ids.run,
      closedSince: (l, at) => l === closed && at <= 9,
      requestedAt: 20,
    });
    expect(plan.update.map((x) => x.orderLinkId)).toEqual([mine]);
    expect(plan.adopt).toEqual([{ order: u(lost, 'Sell'), level: 2 }]);
    expect(plan.orphans.map((x) => x.orderLinkId)).toEqual(['bot-oldrun-B0-0']);
    expect(plan.gone).toEqual(['bot-zzz-B3-9']);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Executor against fakes

type Handler = (params: Record<string, unknown>) => Promise<unknown>;

class FakeWs extends EventEmitter {
  subscribeV5(): Promise<unknown>[] {
    return [Promise.resolve()];
  }
}

const ok = (result: unknown, retExtInfo: unknown = {}) => ({ retCode: 0, retMsg: 'OK', result, retExtInfo, rateLimitApi: { remainingRequests: 9, maxRequests: 10, resetAtTimestamp: Date.now() } });
const never = () => new Promise<unknown>(() => undefined);

function fakeRest(h: Partial<Record<string, Handler>>) {
  const calls: string[] = [];
  const call = (name: string) => (...args: unknown[]) => {
    calls.push(name);
    const params = (typeof args[0] === 'string' ? { request: args[1] } : args[0]) as Record<string, unknown>;
    const f = h[name];
    if (!f) return Promise.resolve(ok({ list: [], nextPageCursor: '' }));
    return f(params);
  };
  const rest = {
    options: { parseAPIRateLimits: true },
    submitOrder: call('submitOrder'), amendOrder: call('amendOrder'), cancelOrder: call('cancelOrder'),
    batchSubmitOrders: call('batchSubmitOrders'), batchAmendOrders: call('batchAmendOrders'), batchCancelOrders: call('batchCancelOrders'),
    cancelAllOrders: call('cancelAllOrders'), getActiveOrders: call('getActiveOrders'), getPositionInfo: call('getPositionInfo'),
  };
  return { rest: rest as unknown as RestClientV5, calls };
}

function executor(rest: RestClientV5, ws: FakeWs, mode: 'batched' | 'sequential' = 'batched') {
  return new Executor({
    rest, wsPrivate: ws as unknown as WebsocketClient, symbol: 'BTCUSDT', mode, logger: pino({ level: 'silent' }), linkIdPrefix: 'ut', seed: 9,
    retry: { timeoutMs: 30, baseMs: 1, maxMs: 2 },
  });
}

const qs = (price = '100.0'): QuoteSet => ({ symbol: 'BTCUSDT', quotes: [{ side: 'Buy', level: 0, price, qty: '1.000' }], triggeredAt: performance.now(), cycle: 1 });

const orderJson = (orderLinkId: string, status = 'New', extra: Record<string, unknown> = {}) => ({
  symbol: 'BTCUSDT', orderId: 'venue-1', orderLinkId, side: 'Buy', price: '100.0', qty: '1.000', leavesQty: '1.000', cumExecQty: '0', orderStatus: status, rejectReason: 'EC_NoError', updatedTime: '1000', ...extra,
});

describe('Executor', () => {
  it('a create whose answer is lost is retried with the same orderLinkId; 110072 + lookup = success', async () => {
    const sentIds: string[] = [];
    let venueOrder: Record<string, unknown> | undefined;
    const { rest, calls } = fakeRest({
      batchSubmitOrders: (p) => {
        const item = (p.request as Record<string, unknown>[])[0]!;
        sentIds.push(item.orderLinkId as string);
        if (!venueOrder) {
          venueOrder = orderJson(item.orderLinkId as string);
          return never(); // reached the venue, answer lost
        }
        return Promise.resolve(ok({ list: [{ orderId: '', orderLinkId: item.orderLinkId }] }, { list: [{ code: 110072, msg: 'OrderLinkedID is duplicate' }] }));
      },
      getActiveOrders: (p) => Promise.resolve(ok({ list: p.orderLinkId && venueOrder ? [venueOrder] : [], nextPageCursor: '' })),
    });
    const ws = new FakeWs();
    const ex = executor(rest, ws);
    await ex.start();
    await ex.apply(qs());
    expect(sentIds).toHaveLength(2);
    expect(sentIds[0]).toBe(sentIds[1]);
    expect(ex.view.openOrders).toBe(1);
    expect(ex.view.live[0]).toMatchObject({ orderId: 'venue-1', pending: false, price: '100.0' });
    expect(ex.view.rejects.size).toBe(0);
    expect(ex.view.retries).toBe(1);
    expect(calls.filter((c) => c === 'getActiveOrders').length).toBeGreaterThanOrEqual(2);
    ex.stop();
  });

  it('10016 is retried; a business refusal is counted and not retried', async () => {
    let n = 0;
    const { rest, calls } = fakeRest({
      submitOrder: (p) => Promise.resolve(++n === 1 ? { retCode: 10016, retMsg: 'Server error', result: {}, retExtInfo: {} } : ok({ orderId: 'o1', orderLinkId: p.orderLinkId })),
      amendOrder: () => Promise.resolve({ retCode: 110003, retMsg: 'Order price exceeds allowable range', result: {}, retExtInfo: {} }),
    });
    const ex = executor(rest, new FakeWs(), 'sequential');
    await ex.start();
    await ex.apply(qs());
    expect(calls.filter((c) => c === 'submitOrder')).toHaveLength(2);
    expect(ex.view.live[0]).toMatchObject({ orderId: 'o1', pending: false });
    await ex.apply(qs('999999.0'));
    expect(calls.filter((c) => c === 'amendOrder')).toHaveLength(1);
    expect(ex.view.rejects.get(110003)).toBe(1);
    expect(ex.view.live[0]).toMatchObject({ price: '100.0', pending: false });
    ex.stop();
  });

  it('a PostOnly cancel on the order stream removes the order, is counted, and blocks a stale re-send', async () => {
    const { rest, calls } = fakeRest({
      batchSubmitOrders: (p) => {
        const l = (p.request as Record<string, unknown>[])[0]!.orderLinkId as string;
        return Promise.resolve(ok({ list: [{ orderId: 'o1', orderLinkId: l }] }, { list: [{ code: 0, msg: 'OK' }] }));
      },
    });
    const ws = new FakeWs();
    const ex = executor(rest, ws);
    await ex.start();
    const q = qs();
    await ex.apply(q);
    const link = ex.view.live[0]!.orderLinkId;
    ws.emit('update', { topic: 'order', wsKey: 'v5Private', data: [orderJson(link, 'Cancelled', { orderId: 'o1', rejectReason: 'EC_PostOnlyWillTakeLiquidity', leavesQty: '0' })] });
    expect(ex.view.openOrders).toBe(0);
    expect(ex.view.postOnlyRejects).toBe(1);
    await ex.apply({ ...q, cycle: 2 }); // computed before the reject: not re-sent
    expect(calls.filter((c) => c === 'batchSubmitOrders')).toHaveLength(1);
    await ex.apply({ ...q, cycle: 3, triggeredAt: performance.now() }); // a newer requote decides again
    expect(calls.filter((c) => c === 'batchSubmitOrders')).toHaveLength(2);
    // Fills and position come from the stream.
    ws.emit('update', { topic: 'execution', wsKey: 'v5Private', data: [{ symbol: 'BTCUSDT', execId: 'e1', orderId: 'o1', orderLinkId: link, side: 'Buy', execPrice: '100', execQty: '1', isMaker: false, execType: 'Trade' }] });
    ws.emit('update', { topic: 'execution', wsKey: 'v5Private', data: [{ symbol: 'BTCUSDT', execId: 'e1', orderId: 'o1', orderLinkId: link, side: 'Buy', execPrice: '100', execQty: '1', isMaker: false, execType: 'Trade' }] });
    ws.emit('update', { topic: 'position', wsKey: 'v5Private', data: [{ symbol: 'BTCUSDT', side: 'Sell', size: '0.5', updatedTime: '2000' }] });
    expect(ex.view.takerFills).toBe(1);
    expect(ex.view.position).toBe(-0.5);
    ex.stop();
  });
});

describe('Executor: overlapping requotes', () => {
  /** A call the test answers by hand. */
  function deferred() {
    const pending: { params: Record<string, unknown>; answer: (v: unknown) => void }[] = [];
    const handler: Handler = (params) => new Promise((answer) => pending.push({ params, answer }));
    return { pending, handler };
  }
  const itemsOk = (n: number) => ({ list: Array.from({ length: n }, () => ({ code: 0, msg: 'OK' })) });
  const clock = { t: 0, now() { return this.t; } };
  const overlapExecutor = (rest: RestClientV5) =>
    new Executor({
      rest, wsPrivate: new FakeWs() as unknown as WebsocketClient, symbol: 'BTCUSDT', logger: pino({ level: 'silent' }), linkIdPrefix: 'ut', seed: 9,
      clock, retry: { timeoutMs: 60_000 },
    });
  const at = (price: string, triggeredAt: number, cycle: number): QuoteSet => ({ ...qs(price), triggeredAt, cycle });

  it('amends an order again while its amend is in flight; the newest success wins even when its ack lands first', async () => {
    const amends = deferred();
    const { rest, calls } = fakeRest({
      batchSubmitOrders: (p) => {
        const l = (p.request as Record<string, unknown>[])[0]!.orderLinkId as string;
        return Promise.resolve(ok({ list: [{ orderId: 'o1', orderLinkId: l }] }, itemsOk(1)));
      },
      batchAmendOrders: amends.handler,
    });
    const ex = overlapExecutor(rest);
    clock.t = 500;
    await ex.start();
    await ex.apply(at('100.0', 500, 1));
    const first = ex.apply(at('100.1', 510, 2));
    expect(ex.view.live[0]).toMatchObject({ price: '100.1', pending: true, inflight: 'amend' });
    const second = ex.apply(at('100.2', 520, 3));
    expect(calls.filter((c) => c === 'batchAmendOrders')).toHaveLength(2);
    expect(amends.pending.map((x) => (x.params.request as Record<string, unknown>[])[0]!.price)).toEqual(['100.1', '100.2']);
    expect(ex.view.live[0]).toMatchObject({ price: '100.2', pending: true, inflight: 'amend' });
    // Answers out of order: the newest first.
    amends.pending[1]!.answer(ok({ list: [{ orderId: 'o1' }] }, itemsOk(1)));
    await second;
    expect(ex.view.live[0]).toMatchObject({ price: '100.2', pending: true });
    amends.pending[0]!.answer(ok({ list: [{ orderId: 'o1' }] }, itemsOk(1)));
    await first;
    expect(ex.view.live[0]).toMatchObject({ price: '100.2', pending: false, inflight: undefined });
    // Nothing left to do for the newest quotes.
    expect(await ex.apply(at('100.2', 530, 4))).toBe(0);
    ex.stop();
  });

  it('a change held back behind a pending create is sent after its ack; its wait since the event that wanted it is its quote_hold', async () => {
    const creates = deferred();
    const { rest, calls } = fakeRest({
      batchSubmitOrders: creates.handler,
      batchAmendOrders: () => Promise.resolve(ok({ list: [{ orderId: 'o1' }] }, itemsOk(1))),
    });
    const ex = overlapExecutor(rest);
    const applied: { cycle: number; latencyMs: number }[] = [];
    ex.on('applied', (e) => applied.push(e));
    await ex.start();
    clock.t = 1000;
    const create = ex.apply(at('100.0', 1000, 1));
    clock.t = 1010;
    expect(await ex.apply(at('100.1', 1010, 2))).toBe(0); // the slot is blocked by the create in flight
    expect(ex.view.held).toBe(1);
    clock.t = 1020;
    expect(await ex.apply(at('100.2', 1020, 3))).toBe(0);
    const l = (creates.pending[0]!.params.request as Record<string, unknown>[])[0]!.orderLinkId as string;
    clock.t = 1100;
    creates.pending[0]!.answer(ok({ list: [{ orderId: 'o1', orderLinkId: l }] }, itemsOk(1)));
    await create;
    clock.t = 1150;
    expect(await ex.apply(at('100.2', 1150, 4))).toBe(1);
    expect(calls.filter((c) => c === 'batchAmendOrders')).toHaveLength(1);
    expect(ex.view.held).toBe(0);
    // Cycle 4 sent cycle 2's wish (first wanted at 1010): its quote_cycle runs from its own event (the answer was
    // immediate here), and the 140 ms the change waited are its quote_hold.
    expect(applied).toEqual([
      { cycle: 1, actions: 1, latencyMs: 100, heldMs: 0 },
      { cycle: 4, actions: 1, latencyMs: 0, heldMs: 140 },
    ]);
    ex.stop();
  });
});

describe('Executor: inventory unwind', () => {
  const capture = () => {
    const logs: { level: number; code?: string; msg: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as { level: number; code?: string; msg: string }) });
    return { logger, logs };
  };
  const fillJson = (orderLinkId: string, execId: string, qty: string) => ({
    symbol: 'BTCUSDT', execId, orderId: 'u1', orderLinkId, side: 'Sell', execPrice: '99.9', execQty: qty, isMaker: false, execType: 'Trade',
  });

  it('sends one IOC Limit create; its fill is a taker fill but not an unexpected one (no MMB-456, not in takerFills)', async () => {
    const sent: Record<string, unknown>[] = [];
    const ws = new FakeWs();
    const { rest, calls } = fakeRest({
      submitOrder: (p) => {
        sent.push(p);
        const link = p.orderLinkId as string;
        // The venue's pushes may reach us before the create's answer.
        ws.emit('update', { topic: 'execution', wsKey: 'v5Private', data: [fillJson(link, 'ux1', '0.003')] });
        ws.emit('update', { topic: 'order', wsKey: 'v5Private', data: [orderJson(link, 'Filled', { orderId: 'u1', side: 'Sell', price: '99.5', qty: '0.003', leavesQty: '0', cumExecQty: '0.003', timeInForce: 'IOC' })] });
        ws.emit('update', { topic: 'position', wsKey: 'v5Private', data: [{ symbol: 'BTCUSDT', side: 'Buy', size: '0.007', updatedTime: '2000' }] });
        return Promise.resolve(ok({ orderId: 'u1', orderLinkId: link }));
      },
    });
    const { logger, logs } = capture();
    const fillsMetric = new Counter({ name: 'ut_fills_total', help: 'x', labelNames: ['liquidity'] as const, registers: [] });
    const unwindsMetric = new Counter({ name: 'ut_unwinds_total', help: 'x', labelNames: ['outcome'] as const, registers: [] });
    const ex = new Executor({
      rest, wsPrivate: ws as unknown as WebsocketClient, symbol: 'BTCUSDT', logger, linkIdPrefix: 'ut', seed: 9,
      retry: { timeoutMs: 30, baseMs: 1, maxMs: 2 }, metrics: { fills: fillsMetric, unwinds: unwindsMetric },
    });
    await ex.start();
    const reconciles = calls.filter((c) => c === 'getActiveOrders').length;
    const out = await ex.unwind({ side: 'Sell', qty: '0.003', price: '99.5' });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ symbol: 'BTCUSDT', side: 'Sell', orderType: 'Limit', timeInForce: 'IOC', qty: '0.003', price: '99.5' });
    const link = sent[0]!.orderLinkId as string;
    expect(link).toMatch(/^ut-[0-9a-z]{6}-US-[0-9a-z]+$/);
    expect(out).toMatchObject({ orderLinkId: link, result: 'filled', code: 0, status: 'Filled', filledQty: '0.003' });
    // A real taker fill (the metric says so) that is not an unexpected one (the guards' input stays 0).
    expect(ex.view.takerFills).toBe(0);
    expect(ex.view.unwindFills).toBe(1);
    expect(ex.view.unwinds).toBe(1);
    expect((await fillsMetric.get()).values).toEqual([expect.objectContaining({ labels: { liquidity: 'taker' }, value: 1 })]);
    expect((await unwindsMetric.get()).values).toEqual([expect.objectContaining({ labels: { outcome: 'filled' }, value: 1 })]);
    // It never rests and occupies no slot: nothing tracked, no reconciliation for an "untracked" order.
    expect(ex.view.openOrders).toBe(0);
    expect(ex.view.live).toEqual([]);
    expect(calls.filter((c) => c === 'getActiveOrders').length).toBe(reconciles);
    expect(ex.view.position).toBe(0.007);
    expect(logs.some((l) => l.code === 'MMB-456')).toBe(false);
    expect(logs.filter((l) => l.level >= 40)).toEqual([]);
    expect(logs.some((l) => l.code === 'MMB-464' && l.level === 30)).toBe(true);
    expect(logs.some((l) => l.code === 'MMB-463' && l.level === 30 && /filled/.test(l.msg))).toBe(true);
    // A resting (PostOnly) order's taker fill still counts as unexpected.
    ws.emit('update', { topic: 'execution', wsKey: 'v5Private', data: [fillJson('ut-abcdef-B0-1', 'rx1', '0.001')] });
    expect(ex.view.takerFills).toBe(1);
    expect(logs.some((l) => l.code === 'MMB-456')).toBe(true);
    ex.stop();
  });

  it('an IOC with no final state on the stream is looked up over REST; a refusal is a reject, not retried', async () => {
    let n = 0;
    const { rest, calls } = fakeRest({
      submitOrder: (p) =>
        Promise.resolve(++n === 1 ? ok({ orderId: 'u1', orderLinkId: p.orderLinkId }) : { retCode: 110007, retMsg: 'Insufficient available balance', result: {}, retExtInfo: {} }),
      getActiveOrders: (p) =>
        Promise.resolve(ok({ list: p.orderLinkId ? [orderJson(p.orderLinkId as string, 'Cancelled', { orderId: 'u1', side: 'Buy', leavesQty: '0', cumExecQty: '0', timeInForce: 'IOC' })] : [], nextPageCursor: '' })),
    });
    const ex = new Executor({
      rest, wsPrivate: new FakeWs() as unknown as WebsocketClient, symbol: 'BTCUSDT', logger: pino({ level: 'silent' }), linkIdPrefix: 'ut', seed: 9,
      retry: { timeoutMs: 30, baseMs: 1, maxMs: 2 }, unwindSettleMs: 1,
    });
    await ex.start();
    expect(await ex.unwind({ side: 'Buy', qty: '0.002', price: '100.5' })).toMatchObject({ result: 'unfilled', status: 'Cancelled', filledQty: '0' });
    expect(await ex.unwind({ side: 'Buy', qty: '0.002', price: '100.5' })).toMatchObject({ result: 'rejected', code: 110007 });
    expect(calls.filter((c) => c === 'submitOrder')).toHaveLength(2);
    expect(ex.view.rejects.get(110007)).toBe(1);
    expect(ex.view.openOrders).toBe(0);
    ex.stop();
  });
});
