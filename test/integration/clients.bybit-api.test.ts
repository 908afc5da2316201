/**
 * The real `bybit-api` client (RestClientV5 + WebsocketClient) against the in-process venue, unchanged: market data,
 * PostOnly quote / amend / cancel, batch create and cancel, account queries, and the public book plus private order
 * and execution streams while a second account fills our quote.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestClientV5, WebsocketClient } from 'bybit-api';
import { replayCommands } from '../../sim-exchange/venue/commands.ts';
import { DEFAULT_INSTRUMENTS } from '../../sim-exchange/instruments.ts';
import { SYMBOL, WAIT_MS, numLevels, startClientSim, waitUntil, type ClientSim } from './helpers/clients.ts';

type WsEvent = { topic?: string; type?: string; data?: unknown; wsKey?: string };
type OrderPush = { orderId: string; orderStatus: string; side: string; price: string; qty: string; cumExecQty: string; rejectReason?: string; symbol: string };
type ExecPush = { orderId: string; execPrice: string; execQty: string; side: string; isMaker: boolean; symbol: string; execType: string };

const quietLogger = { trace() {}, info() {}, error() {} };

/** Resolves with the first WS update for which `pick` returns a value; rejects after WAIT_MS. */
function nextEvent<T>(ws: WebsocketClient, pick: (e: WsEvent) => T | undefined, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.off('update', on);
      reject(new Error(`no ${what} within ${WAIT_MS} ms`));
    }, WAIT_MS);
    const on = (e: WsEvent) => {
      const v = pick(e);
      if (v === undefined) return;
      clearTimeout(timer);
      ws.off('update', on);
      resolve(v);
    };
    ws.on('update', on);
  });
}

/** The first pushed item of `topic` matching `pred`. */
function nextItem<T>(ws: WebsocketClient, topic: string, pred: (x: T) => boolean, what: string): Promise<T> {
  return nextEvent(ws, (e) => (e.topic === topic ? (e.data as T[]).find(pred) : undefined), what);
}

function ok<T extends { retCode: number; retMsg: string }>(r: T): T {
  expect(r.retCode, `retCode ${r.retCode}: ${r.retMsg}`).toBe(0);
  return r;
}

describe('bybit-api client against the simulated venue', () => {
  let env: ClientSim;
  let rest: RestClientV5;
  let takerRest: RestClientV5;
  let pub: WebsocketClient;
  let priv: WebsocketClient;
  /** Local order book maintained from orderbook.50 snapshot + deltas. */
  const book = { bids: new Map<number, number>(), asks: new Map<number, number>(), updates: 0 };
  const bookListeners = new Set<() => void>();

  beforeAll(async () => {
    env = await startClientSim('bapi');
    rest = new RestClientV5({ key: env.maker.apiKey, secret: env.maker.secret, baseUrl: env.sim.urls.rest });
    takerRest = new RestClientV5({ key: env.taker.apiKey, secret: env.taker.secret, baseUrl: env.sim.urls.rest });
    pub = new WebsocketClient({ wsUrl: env.sim.urls.wsPublic }, quietLogger);
    priv = new WebsocketClient({ key: env.maker.apiKey, secret: env.maker.secret, wsUrl: env.sim.urls.wsPrivate }, quietLogger);
    for (const ws of [pub, priv]) ws.on('exception', () => undefined);
    pub.on('update', (e: WsEvent) => {
      if (e.topic !== `orderbook.50.${SYMBOL}`) return;
      const d = e.data as { b: [string, string][]; a: [string, string][] };
      if (e.type === 'snapshot') {
        book.bids.clear();
        book.asks.clear();
      }
      for (const [side, levels] of [[book.bids, d.b], [book.asks, d.a]] as const) {
        for (const [p, q] of numLevels(levels)) {
          if (q === 0) side.delete(p);
          else side.set(p, q);
        }
      }
      book.updates++;
      for (const l of bookListeners) l();
    });
    await Promise.all(priv.subscribeV5(['order', 'execution'], 'linear'));
  });

  afterAll(async () => {
    pub?.closeAll(true);
    priv?.closeAll(true);
    await env?.sim.close();
  });

  it('loads instruments, order book and ticker', async () => {
    const inst = ok(await rest.getInstrumentsInfo({ category: 'linear', symbol: SYMBOL }));
    const i = inst.result.list[0]!;
    expect(i.symbol).toBe(SYMBOL);
    expect(i.priceFilter.tickSize).toBe('0.10');
    expect(i.lotSizeFilter.qtyStep).toBe('0.001');

    const ob = ok(await rest.getOrderbook({ category: 'linear', symbol: SYMBOL, limit: 25 }));
    const venue = env.depth(25);
    expect(numLevels(ob.result.b)).toEqual(venue.bids);
    expect(numLevels(ob.result.a)).toEqual(venue.asks);
    expect(Number(ob.result.b[0]![0])).toBe(59999.9);
    expect(Number(ob.result.a[0]![0])).toBe(60000.1);

    const t = ok(await rest.getTickers({ category: 'linear', symbol: SYMBOL }));
    const tk = t.result.list[0]! as { symbol: string; bid1Price: string; ask1Price: string };
    expect(tk.symbol).toBe(SYMBOL);
    expect(Number(tk.bid1Price)).toBe(59999.9);
    expect(Number(tk.ask1Price)).toBe(60000.1);
  });

  it('places a PostOnly limit order, amends price and qty, cancels it', async () => {
    const created = nextItem<OrderPush>(priv, 'order', (o) => o.orderStatus === 'New', 'New order push');
    const r = ok(
      await rest.submitOrder({ category: 'linear', symbol: SYMBOL, side: 'Buy', orderType: 'Limit', qty: '0.010', price: '59950.0', timeInForce: 'PostOnly', orderLinkId: 'bapi-q1' }),
    );
    const orderId = r.result.orderId;
    expect(orderId).toBeTruthy();
    expect(r.result.orderLinkId).toBe('bapi-q1');
    const pushed = await created;
    expect(pushed.orderId).toBe(orderId);

    ok(await rest.amendOrder({ category: 'linear', symbol: SYMBOL, orderId, price: '59960.0', qty: '0.020' }));
    const open = ok(await rest.getActiveOrders({ category: 'linear', symbol: SYMBOL }));
    const mine = open.result.list.find((o) => o.orderId === orderId)!;
    expect(Number(mine.price)).toBe(59960);
    expect(Number(mine.qty)).toBe(0.02);
    expect(mine.timeInForce).toBe('PostOnly');

    const cancelled = nextItem<OrderPush>(priv, 'order', (o) => o.orderId === orderId && o.orderStatus === 'Cancelled', 'Cancelled push');
    ok(await rest.cancelOrder({ category: 'linear', symbol: SYMBOL, orderId }));
    await cancelled;
    const after = ok(await rest.getActiveOrders({ category: 'linear', symbol: SYMBOL }));
    expect(after.result.list.find((o) => o.orderId === orderId)).toBeUndefined();
  });

  it('batch creates and batch cancels', async () => {
    const orders = [0, 1, 2].map((i) => ({
      symbol: SYMBOL,
      side: 'Sell' as const,
      orderType: 'Limit' as const,
      qty: '0.010',
      price: (60_100 + i * 10).toFixed(1),
      timeInForce: 'PostOnly' as const,
    }));
    const c = ok(await rest.batchSubmitOrders('linear', orders));
    expect(c.result.list).toHaveLength(3);
    const ids = c.result.list.map((o) => o.orderId);
    expect(ids.every((id) => id.length > 0)).toBe(true);
    const info = c.retExtInfo as { list?: { code: number }[] };
    expect(info.list?.map((x) => x.code)).toEqual([0, 0, 0]);

    const open = ok(await rest.getActiveOrders({ category: 'linear', symbol: SYMBOL }));
    expect(open.result.list.map((o) => o.orderId).sort()).toEqual([...ids].sort());

    const x = ok(await rest.batchCancelOrders('linear', ids.map((orderId) => ({ symbol: SYMBOL, orderId }))));
    expect(x.result.list.map((o) => o.orderId)).toEqual(ids);
    const after = ok(await rest.getActiveOrders({ category: 'linear', symbol: SYMBOL }));
    expect(after.result.list).toHaveLength(0);
  });

  it('fetches balance and positions', async () => {
    const w = ok(await rest.getWalletBalance({ accountType: 'UNIFIED' }));
    const usdt = w.result.list[0]!.coin.find((c) => c.coin === 'USDT')!;
    expect(Number(usdt.walletBalance)).toBe(100000);
    const p = ok(await rest.getPositionInfo({ category: 'linear', symbol: SYMBOL }));
    const pos = p.result.list.find((x) => x.symbol === SYMBOL);
    expect(Number(pos?.size ?? 0)).toBe(0);
  });

  it('streams the book, our order and our execution while a second account fills us', async () => {
    const snapshot = nextEvent(pub, (e) => (e.topic === `orderbook.50.${SYMBOL}` && e.type === 'snapshot' ? true : undefined), 'book snapshot');
    pub.subscribeV5(`orderbook.50.${SYMBOL}`, 'linear');
    await snapshot;
    await env.subscribed(`orderbook.50.${SYMBOL}`);

    // Our ask inside the spread: 60000.0 (best bid 59999.9, best ask 60000.1).
    const newPush = nextItem<OrderPush>(priv, 'order', (o) => o.orderStatus === 'New' && o.side === 'Sell', 'New sell push');
    const r = ok(await rest.submitOrder({ category: 'linear', symbol: SYMBOL, side: 'Sell', orderType: 'Limit', qty: '0.015', price: '60000.0', timeInForce: 'PostOnly' }));
    const orderId = r.result.orderId;
    await newPush;

    const filled = nextItem<OrderPush>(priv, 'order', (o) => o.orderId === orderId && o.orderStatus === 'Filled', 'Filled push');
    const exec = nextItem<ExecPush>(priv, 'execution', (x) => x.orderId === orderId, 'execution push');
    ok(await takerRest.submitOrder({ category: 'linear', symbol: SYMBOL, side: 'Buy', orderType: 'Market', qty: '0.015' }));

    const x = await exec;
    expect(x.symbol).toBe(SYMBOL);
    expect(x.execType).toBe('Trade');
    expect(Number(x.execPrice)).toBe(60000);
    expect(Number(x.execQty)).toBe(0.015);
    expect(x.side).toBe('Sell');
    expect(x.isMaker).toBe(true);
    const o = await filled;
    expect(Number(o.cumExecQty)).toBe(0.015);

    const list = ok(await rest.getExecutionList({ category: 'linear', symbol: SYMBOL }));
    const e = list.result.list.find((y) => y.orderId === orderId)!;
    expect(e).toBeDefined();
    expect(Number(e.execPrice)).toBe(60000);
    expect(Number(e.execQty)).toBe(0.015);
    expect(e.side).toBe('Sell');
    expect(e.isMaker).toBe(true);

    const pos = ok(await rest.getPositionInfo({ category: 'linear', symbol: SYMBOL })).result.list.find((p) => p.symbol === SYMBOL)!;
    expect(pos.side).toBe('Sell');
    expect(Number(pos.size)).toBe(0.015);

    // The streamed book converges on the venue's book (our level gone, best ask back at 60000.1).
    const sorted = () => ({
      bids: [...book.bids].sort((a, b) => b[0] - a[0]),
      asks: [...book.asks].sort((a, b) => a[0] - b[0]),
    });
    const matches = () => {
      const v = env.depth(50);
      return JSON.stringify(sorted()) === JSON.stringify(v);
    };
    await waitUntil(matches, (wake) => {
      bookListeners.add(wake);
      return () => bookListeners.delete(wake);
    }, 'streamed book to match venue depth').catch((err: Error) => {
      expect(sorted(), err.message).toEqual(env.depth(50));
    });
    expect(sorted().asks[0]).toEqual([60000.1, 0.5]);
  });

  it('accepts a crossing PostOnly and then reports it Cancelled with EC_PostOnlyWillTakeLiquidity', async () => {
    const pushed = nextItem<OrderPush>(priv, 'order', (o) => o.price !== undefined && Number(o.price) === 60100 && o.side === 'Buy', 'post-only reject push');
    const r = ok(await rest.submitOrder({ category: 'linear', symbol: SYMBOL, side: 'Buy', orderType: 'Limit', qty: '0.010', price: '60100.0', timeInForce: 'PostOnly' }));
    expect(r.result.orderId).toBeTruthy();
    const o = await pushed;
    expect(o.orderId).toBe(r.result.orderId);
    expect(o.orderStatus).toBe('Cancelled');
    expect(o.rejectReason).toBe('EC_PostOnlyWillTakeLiquidity');
    expect(Number(o.cumExecQty)).toBe(0);
  });

  it('journals the whole session as parseable JSONL', () => {
    expect(env.journalErrors).toEqual([]);
  });

  it('rebuilds the same ledger and accounts by replaying the command journal', () => {
    const live = env.sim.venue;
    expect(live.ledger.entries().length).toBeGreaterThan(0);
    const { venue } = replayCommands(env.commands, { instruments: DEFAULT_INSTRUMENTS, seed: 11 });
    expect(venue.ledger.entries()).toEqual(live.ledger.entries());
    const summary = (v: typeof live) =>
      [...v.accounts.values()].map((a) => ({ uid: a.uid, wallet: a.walletBalance(), positions: [...a.positions.entries()], open: [...v.orders.openOf(a.uid)] }));
    expect(summary(venue)).toEqual(summary(live));
  });
});
