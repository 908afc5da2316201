import { describe, it, expect } from 'vitest';
import { ZodError } from 'zod';
import { Venue } from '../../sim-exchange/venue/venue.ts';
import { DEFAULT_INSTRUMENTS } from '../../sim-exchange/instruments.ts';
import { ManualClock, SystemClock } from '../../sim-exchange/clock.ts';
import { Rng } from '../../sim-exchange/rng.ts';
import { VenueError } from '../../sim-exchange/bybit-v5/errors.ts';
import { createOrder, cancelOrder, cancelAllOrders, createBatch } from '../../sim-exchange/bybit-v5/trading.ts';
import type { RestFaultGate } from '../../sim-exchange/bybit-v5/rest/http.ts';
import type { TradeFaultGate } from '../../sim-exchange/bybit-v5/ws-trade/server.ts';
import { FaultController, FaultSpecError, ManualTimers, FifoDelayer, sampleLatency, volatilityScale, oneSecondVolBps, type FaultRecord } from '../../sim-exchange/faults/index.ts';
import { REGIMES } from '../../sim-exchange/market/params.ts';

const SEED = 42;

function setup(seed = SEED, clock: ManualClock | SystemClock = new ManualClock()) {
  const venue = new Venue({ instruments: DEFAULT_INSTRUMENTS, clock, seed });
  const maker = venue.createAccount({ apiKey: 'maker-key', secret: 'maker-secret', balance: '1000000' });
  const taker = venue.createAccount({ apiKey: 'taker-key', secret: 'taker-secret', balance: '1000000' });
  const timers = new ManualTimers();
  const records: FaultRecord[] = [];
  const rest: RestFaultGate = { hook: undefined };
  const trade: TradeFaultGate = { hook: undefined };
  const faults = new FaultController({ venue, seed, clock, timers, rest, trade, onFault: (r) => records.push(r) });
  return { venue, maker: maker.uid, taker: taker.uid, timers, records, rest, trade, faults, clock };
}

const bid = (i: number) => ({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.001', price: String(50000 + i), timeInForce: 'PostOnly' });

/** Which of n creates the reject fault refused (true = refused). */
function rejectPattern(seed: number, n: number): boolean[] {
  const s = setup(seed);
  s.faults.add({ type: 'reject-orders', params: { p: 0.5, retCode: 10016 } });
  const out: boolean[] = [];
  for (let i = 0; i < n; i++) {
    try {
      createOrder(s.venue, s.maker, bid(i), 0);
      out.push(false);
    } catch (e) {
      expect(e).toBeInstanceOf(VenueError);
      expect((e as VenueError).retCode).toBe(10016);
      out.push(true);
    }
  }
  // Nothing was applied for a refused request.
  expect([...s.venue.orders.openOf(s.maker)].length).toBe(out.filter((r) => !r).length);
  s.faults.clear();
  return out;
}

describe('FaultController (seed 42, manual timers)', () => {
  it('rejects a seeded share of order requests: same seed, same pattern; another seed, another', () => {
    const a = rejectPattern(SEED, 64);
    expect(rejectPattern(SEED, 64)).toEqual(a);
    expect(rejectPattern(SEED + 1, 64)).not.toEqual(a);
    const refused = a.filter(Boolean).length;
    expect(refused).toBeGreaterThan(16);
    expect(refused).toBeLessThan(48);
  });

  it('rejects batch items one by one with the chosen retCode and message, and stops when ended', () => {
    const s = setup();
    const { id } = s.faults.add({ type: 'reject-orders', params: { p: 1, retCode: 10019, retMsg: 'service restarting' } });
    const r = createBatch(s.venue, s.maker, { category: 'linear', request: [bid(1), bid(2)] }, 0, 10);
    expect((r.retExtInfo as { list: unknown[] }).list).toEqual([{ code: 10019, msg: 'service restarting' }, { code: 10019, msg: 'service restarting' }]);
    expect([...s.venue.orders.openOf(s.maker)].length).toBe(0);
    expect(s.faults.end(id)).toBe(true);
    expect(() => createOrder(s.venue, s.maker, bid(3), 0)).not.toThrow();
    expect(s.records.map((x) => [x.action, x.id, x.stats])).toEqual([['start', id, undefined], ['end', id, { rejected: 2 }]]);
  });

  it('schedules, reports remaining time, ends after its window and leaves no timer', () => {
    const s = setup();
    const v = s.faults.add({ type: 'rate-limit-storm', params: {}, startInMs: 1000, durationMs: 500 });
    expect(v).toMatchObject({ state: 'scheduled', startsInMs: 1000, durationMs: 500 });
    expect(s.rest.hook).toBeUndefined();
    s.timers.advance(400);
    expect(s.faults.list().scheduled[0]).toMatchObject({ id: v.id, startsInMs: 600 });
    s.timers.advance(600);
    expect(s.rest.hook).toBeDefined();
    expect(s.faults.list().active[0]).toMatchObject({ id: v.id, endsInMs: 500 });
    expect(s.rest.hook!.storm('/v5/order/create', s.maker)).toBe(true);
    s.timers.advance(500);
    expect(s.rest.hook).toBeUndefined();
    expect(s.faults.list()).toEqual({ active: [], scheduled: [] });
    expect(s.timers.pending).toBe(0);
    expect(s.records.map((r) => `${r.action}:${r.reason ?? ''}`)).toEqual(['start:', 'end:elapsed']);
  });

  it('a timeline adds all its steps or none; clear ends everything', () => {
    const s = setup();
    expect(() => s.faults.timeline({ steps: [{ atMs: 10, type: 'rate-limit-storm', params: {} }, { atMs: 20, type: 'nope', params: {} }] })).toThrow(ZodError);
    expect(s.faults.list().scheduled).toHaveLength(0);
    const list = s.faults.timeline({ steps: [{ atMs: 0, type: 'reject-orders', params: {} }, { atMs: 100, type: 'rate-limit-storm', params: {}, durationMs: 50 }] });
    expect(list.map((f) => f.state)).toEqual(['active', 'scheduled']);
    expect(s.faults.clear()).toBe(2);
    expect(s.timers.pending).toBe(0);
    expect(s.rest.hook).toBeUndefined();
  });

  it('refuses unknown types with the path named, and faults that cannot apply here', () => {
    const s = setup();
    try {
      s.faults.add({ type: 'earthquake', params: {} });
      expect.unreachable();
    } catch (e) {
      expect((e as ZodError).issues[0]!.path).toEqual(['type']);
    }
    expect(() => s.faults.add({ type: 'reject-orders', params: { p: 2 } })).toThrow(ZodError);
    expect(() => s.faults.add({ type: 'reject-orders', params: { bogus: 1 } })).toThrow(ZodError);
    // No gateway in this setup; a ManualClock has no offset.
    expect(() => s.faults.add({ type: 'mute-topic', params: { topic: 'order' } })).toThrow(FaultSpecError);
    expect(() => s.faults.add({ type: 'clock-skew', params: { offsetMs: 1000 } })).toThrow(/offsetMs/);
  });

  it('clock skew adds up and restores the exact offset', () => {
    const clock = new SystemClock();
    clock.offsetMs = 7;
    const s = setup(SEED, clock);
    const a = s.faults.add({ type: 'clock-skew', params: { offsetMs: 10_000 } });
    s.faults.add({ type: 'clock-skew', params: { offsetMs: -3000 } });
    expect(clock.offsetMs).toBe(7007);
    s.faults.end(a.id);
    expect(clock.offsetMs).toBe(-2993);
    s.faults.clear();
    expect(clock.offsetMs).toBe(7);
  });

  it('late cancels: acknowledged now, applied after the delay; a fill before it is counted as raced', () => {
    const s = setup();
    s.faults.add({ type: 'late-cancel', params: { delayMs: 300 } });
    const o1 = createOrder(s.venue, s.maker, { ...bid(0), price: '60000', orderLinkId: 'a' }, 0).result as { orderId: string };
    const o2 = createOrder(s.venue, s.maker, { ...bid(0), price: '59000', orderLinkId: 'b' }, 0).result as { orderId: string };
    expect(cancelOrder(s.venue, s.maker, { category: 'linear', symbol: 'BTCUSDT', orderId: o1.orderId }, 0).result).toEqual({ orderId: o1.orderId, orderLinkId: 'a' });
    const all = cancelAllOrders(s.venue, s.maker, { category: 'linear', symbol: 'BTCUSDT' }, 0).result as { list: unknown[] };
    expect(all.list).toHaveLength(2);
    expect([...s.venue.orders.openOf(s.maker)].length).toBe(2);
    // A taker fills o1 before the late cancel reaches it.
    createOrder(s.venue, s.taker, { category: 'linear', symbol: 'BTCUSDT', side: 'Sell', orderType: 'Market', qty: '0.001' }, 0);
    expect(s.venue.orders.find(s.maker, o1.orderId)!.status).toBe('Filled');
    s.timers.advance(299);
    expect(s.venue.orders.find(s.maker, o2.orderId)!.status).toBe('New');
    s.timers.advance(1);
    expect(s.venue.orders.find(s.maker, o2.orderId)!.status).toBe('Cancelled');
    expect(s.venue.orders.find(s.maker, o1.orderId)!.status).toBe('Filled');
    expect(s.faults.list().active[0]!.stats).toEqual({ deferred: 2, raced: 1, applied: 1 });
    // Unknown orders are still refused at once.
    expect(() => cancelOrder(s.venue, s.maker, { category: 'linear', symbol: 'BTCUSDT', orderId: 'nope' }, 0)).toThrow(/Order does not exist/);
    s.faults.clear();
    expect(s.timers.pending).toBe(0);
  });

  it('ending a late-cancel fault applies the pending cancels at once', () => {
    const s = setup();
    const f = s.faults.add({ type: 'late-cancel', params: { delayMs: 60_000 } });
    const o = createOrder(s.venue, s.maker, bid(0), 0).result as { orderId: string };
    cancelOrder(s.venue, s.maker, { category: 'linear', symbol: 'BTCUSDT', orderId: o.orderId }, 0);
    expect(s.faults.pendingCommands).toBe(1);
    s.faults.end(f.id);
    expect(s.venue.orders.find(s.maker, o.orderId)!.status).toBe('Cancelled');
    expect(s.faults.pendingCommands).toBe(0);
    expect(s.timers.pending).toBe(0);
  });

  it('latency defers REST work FIFO per key and flushes it when it ends', () => {
    const s = setup();
    const f = s.faults.add({ type: 'latency', params: { medianMs: 100, sigma: 1.5, channels: ['rest'] } });
    expect(s.trade.hook).toBeUndefined();
    const key = {};
    const ran: number[] = [];
    for (let i = 0; i < 20; i++) expect(s.rest.hook!.defer(key, () => ran.push(i))).toBe(true);
    s.timers.advance(50);
    const early = ran.length;
    expect(ran).toEqual([...Array(early).keys()]);
    s.faults.end(f.id);
    expect(ran).toEqual([...Array(20).keys()]);
    expect(s.timers.pending).toBe(0);
  });
});

describe('latency distribution and volatility scaling (seed 42)', () => {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  it('lognormal and pareto have the requested median and a heavy tail', () => {
    const rng = new Rng(SEED).fork('t');
    const shape = { medianMs: 40, sigma: 1, alpha: 1.5, maxMs: 1e9 };
    const ln = Array.from({ length: 4000 }, () => sampleLatency(rng, { ...shape, dist: 'lognormal' }));
    const pa = Array.from({ length: 4000 }, () => sampleLatency(rng, { ...shape, dist: 'pareto' }));
    expect(median(ln)).toBeGreaterThan(36);
    expect(median(ln)).toBeLessThan(44);
    expect(median(pa)).toBeGreaterThan(36);
    expect(median(pa)).toBeLessThan(44);
    expect(Math.max(...pa)).toBeGreaterThan(40 * 50);
    expect(Math.min(...pa)).toBeGreaterThanOrEqual(40 / 2 ** (1 / 1.5) - 1e-9);
    expect(sampleLatency(rng, { ...shape, dist: 'pareto', maxMs: 100 }, 1000)).toBe(100);
  });

  it('scales with the market volatility: 1 in calm, ≈ 6.4 in vol-spike', () => {
    const s = { refVolBps: 1, volExponent: 1, maxScale: 20 };
    expect(volatilityScale(oneSecondVolBps(REGIMES.calm), s)).toBe(1);
    expect(volatilityScale(oneSecondVolBps(REGIMES['vol-spike']), s)).toBeCloseTo(6.4, 1);
    expect(volatilityScale(undefined, s)).toBe(1);
    expect(volatilityScale(1000, s)).toBe(20);
  });

  it('FifoDelayer never reorders one key and runs keys independently', () => {
    const timers = new ManualTimers();
    const d = new FifoDelayer(timers);
    const ran: string[] = [];
    d.schedule('a', 100, () => ran.push('a1'));
    d.schedule('a', 10, () => ran.push('a2'));
    d.schedule('b', 10, () => ran.push('b1'));
    timers.advance(50);
    expect(ran).toEqual(['b1']);
    timers.advance(50);
    expect(ran).toEqual(['b1', 'a1', 'a2']);
    expect(timers.pending).toBe(0);
  });
});
