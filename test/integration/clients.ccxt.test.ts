/**
 * The real ccxt client (`ccxt.bybit` for REST, `ccxt.pro.bybit` for watch*) against the in-process venue, configured
 * only through the URL overrides of the reference (§7.1): markets, book and ticker, PostOnly quote / edit / cancel,
 * batch create and cancel, account queries, watched book / orders / trades while a second account fills our quote,
 * PostOnly rejection and ccxt's error mapping.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ccxt, { type Exchange, type Order, type Trade } from 'ccxt';
import { SYMBOL, WAIT_MS, startClientSim, within, type ClientSim, type Keys } from './helpers/clients.ts';

const SYM = 'BTC/USDT:USDT';

function configure<T extends Exchange>(ex: T, rest: string, wsPublic: string, wsPrivate: string, wsTrade: string): T {
  const base = rest;
  const wsRoot = wsPublic.replace(/\/v5\/public\/linear$/, '');
  (ex.urls as Record<string, unknown>)['api'] = {
    spot: base,
    futures: base,
    v2: base,
    public: base,
    private: base,
    ws: {
      public: {
        spot: wsRoot + '/v5/public/spot',
        linear: wsPublic,
        inverse: wsRoot + '/v5/public/inverse',
        option: wsRoot + '/v5/public/option',
      },
      private: {
        spot: { unified: wsPrivate, nonUnified: wsRoot + '/spot/private/v3' },
        contract: wsPrivate,
        usdc: wsRoot + '/trade/option/usdc/private/v1',
        trade: wsTrade,
      },
    },
  };
  return ex;
}

/** The id of a created order (ccxt types it as possibly undefined). */
function idOf(o: Order): string {
  expect(typeof o.id, 'order id').toBe('string');
  return o.id as string;
}

const opts = (k: Keys) => ({
  apiKey: k.apiKey,
  secret: k.secret,
  enableRateLimit: false,
  has: { fetchCurrencies: false },
  options: { fetchMarkets: { types: ['linear'] } },
});

/**
 * Calls `watch` until `cached()` holds an item matching `pred` (the cache also keeps updates that arrived between
 * two calls); fails after WAIT_MS overall.
 */
async function watchUntil<T>(watch: () => Promise<unknown>, cached: () => readonly T[], pred: (x: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const hit = cached().find(pred);
    if (hit !== undefined) return hit;
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out waiting for ${what}`);
    await within(watch(), what, left).catch((err: Error) => {
      if (cached().find(pred) === undefined) throw err;
    });
  }
}

describe('ccxt client against the simulated venue', () => {
  let env: ClientSim;
  let ex: InstanceType<typeof ccxt.bybit>;
  let taker: InstanceType<typeof ccxt.bybit>;
  let pro: InstanceType<typeof ccxt.pro.bybit>;
  const make = <T extends Exchange>(e: T) => configure(e, env.sim.urls.rest, env.sim.urls.wsPublic, env.sim.urls.wsPrivate, env.sim.urls.wsTrade);

  beforeAll(async () => {
    env = await startClientSim('ccxt');
    ex = make(new ccxt.bybit(opts(env.maker)));
    taker = make(new ccxt.bybit(opts(env.taker)));
    pro = make(new ccxt.pro.bybit(opts(env.maker)));
    await pro.loadHttpProxyAgent();
    await Promise.all([ex.loadMarkets(), taker.loadMarkets(), pro.loadMarkets()]);
  });

  afterAll(async () => {
    await pro?.close();
    await env?.sim.close();
  });

  it('loads markets, order book and ticker', async () => {
    const m = ex.market(SYM);
    expect(m.id).toBe(SYMBOL);
    expect(m.linear).toBe(true);
    expect(m.precision.price).toBe(0.1);
    expect(m.precision.amount).toBe(0.001);
    expect(m.limits.amount?.min).toBe(0.001);

    const ob = await ex.fetchOrderBook(SYM, 25);
    const v = env.depth(25);
    expect(ob.bids).toEqual(v.bids);
    expect(ob.asks).toEqual(v.asks);

    const t = await ex.fetchTicker(SYM);
    expect(t.symbol).toBe(SYM);
    expect(t.bid).toBe(59999.9);
    expect(t.ask).toBe(60000.1);
  });

  it('places a PostOnly limit order, edits price and amount, cancels it', async () => {
    const o = await ex.createOrder(SYM, 'limit', 'buy', 0.01, 59950, { postOnly: true, clientOrderId: 'ccxt-q1' });
    expect(o.id).toBeTruthy();
    expect(JSON.parse(ex.last_request_body as string)).toMatchObject({ timeInForce: 'PostOnly', orderLinkId: 'ccxt-q1' });

    await ex.editOrder(idOf(o), SYM, 'limit', 'buy', 0.02, 59960);
    const open = await ex.fetchOpenOrders(SYM);
    const mine = open.find((x) => x.id === o.id)!;
    expect(mine).toBeDefined();
    expect(mine.price).toBe(59960);
    expect(mine.amount).toBe(0.02);
    expect(mine.side).toBe('buy');
    expect(mine.status).toBe('open');
    expect(mine.postOnly).toBe(true);
    expect(mine.clientOrderId).toBe('ccxt-q1');

    await ex.cancelOrder(idOf(o), SYM);
    expect((await ex.fetchOpenOrders(SYM)).find((x) => x.id === o.id)).toBeUndefined();
  });

  it('batch creates (createOrders) and batch cancels (cancelOrders)', async () => {
    const created = await ex.createOrders(
      [0, 1, 2].map((i) => ({ symbol: SYM, type: 'limit', side: 'sell', amount: 0.01, price: 60_100 + i * 10, params: { postOnly: true } })),
    );
    expect(created).toHaveLength(3);
    expect(created.map((o) => o.status)).not.toContain('rejected');
    const ids = created.map(idOf);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect((await ex.fetchOpenOrders(SYM)).map((o) => o.id).sort()).toEqual([...ids].sort());

    const cancelled = await ex.cancelOrders(ids, SYM);
    expect(cancelled.map((o) => o.id)).toEqual(ids);
    expect(await ex.fetchOpenOrders(SYM)).toHaveLength(0);
  });

  it('fetches balance and positions', async () => {
    const b = await ex.fetchBalance();
    expect(b['USDT']?.total).toBe(100000);
    expect(b['USDT']?.free).toBe(100000);
    const pos = await ex.fetchPositions([SYM]);
    const p = pos.find((x) => x.symbol === SYM);
    expect(p?.contracts ?? 0).toBe(0);
  });

  it('watches the book, our orders and our trades while a second account fills us', async () => {
    // Subscribe everything first; the venue's ack (journaled) proves the subscription is live.
    await within(pro.watchOrderBook(SYM), 'first watchOrderBook');
    const ordersP = pro.watchOrders(SYM).catch(() => undefined);
    const tradesP = pro.watchMyTrades(SYM).catch(() => undefined);
    await Promise.all([env.subscribed('order', env.maker.uid), env.subscribed('execution', env.maker.uid)]);
    void ordersP;
    void tradesP;

    const o = await ex.createOrder(SYM, 'limit', 'sell', 0.015, 60000, { postOnly: true });
    const orders = () => (pro.orders ?? []) as unknown as Order[];
    await watchUntil(() => pro.watchOrders(SYM), orders, (x) => x.id === o.id && x.status === 'open', 'watched open order');

    await taker.createOrder(SYM, 'market', 'buy', 0.015);

    const trades = () => (pro.myTrades ?? []) as unknown as Trade[];
    const t = await watchUntil(() => pro.watchMyTrades(SYM), trades, (x) => x.order === o.id, 'watched fill');
    expect(t.symbol).toBe(SYM);
    expect(t.price).toBe(60000);
    expect(t.amount).toBe(0.015);
    expect(t.side).toBe('sell');
    expect(t.takerOrMaker).toBe('maker');

    const filled = await watchUntil(() => pro.watchOrders(SYM), orders, (x) => x.id === o.id && x.status === 'closed', 'watched closed order');
    expect(filled.filled).toBe(0.015);
    expect(filled.remaining).toBe(0);

    const mine = (await ex.fetchMyTrades(SYM)).find((x) => x.order === o.id)!;
    expect(mine).toBeDefined();
    expect(mine.price).toBe(60000);
    expect(mine.amount).toBe(0.015);
    expect(mine.side).toBe('sell');
    expect(mine.takerOrMaker).toBe('maker');

    const positions = await ex.fetchPositions([SYM]);
    const p = positions.find((x) => x.symbol === SYM)!;
    expect(p.side).toBe('short');
    expect(p.contracts).toBe(0.015);

    // The watched book converges on the venue's book: our level is gone, the house ask is best again.
    const snap = () => {
      const ob = pro.orderbooks[SYM];
      return ob ? { bids: ob.bids.slice(0, 50).map(([a, b]) => [a, b]), asks: ob.asks.slice(0, 50).map(([a, b]) => [a, b]) } : undefined;
    };
    const same = () => JSON.stringify(snap()) === JSON.stringify(env.depth(50));
    const deadline = Date.now() + WAIT_MS;
    while (!same() && Date.now() < deadline) {
      await within(pro.watchOrderBook(SYM), 'book update', deadline - Date.now()).catch(() => undefined);
    }
    expect(snap()).toEqual(env.depth(50));
    expect(snap()!.asks[0]).toEqual([60000.1, 0.5]);
  });

  it('accepts a crossing PostOnly, then reports it canceled (EC_PostOnlyWillTakeLiquidity)', async () => {
    const orders = () => (pro.orders ?? []) as unknown as Order[];
    const o = await ex.createOrder(SYM, 'limit', 'buy', 0.01, 60100, { postOnly: true });
    expect(o.id).toBeTruthy();
    const w = await watchUntil(() => pro.watchOrders(SYM), orders, (x) => x.id === o.id && x.status !== 'open', 'watched post-only cancel');
    expect(w.status).toBe('canceled');
    expect((w.info as { rejectReason?: string }).rejectReason).toBe('EC_PostOnlyWillTakeLiquidity');
    expect(w.filled ?? 0).toBe(0);

    const f = await ex.fetchOrder(idOf(o), SYM, { acknowledged: true });
    expect(f.status).toBe('canceled');
    expect((f.info as { rejectReason?: string }).rejectReason).toBe('EC_PostOnlyWillTakeLiquidity');
  });

  it('maps venue errors to ccxt exceptions', async () => {
    await expect(ex.cancelOrder('00000000-0000-0000-0000-000000000000', SYM)).rejects.toBeInstanceOf(ccxt.OrderNotFound);

    const bad = make(new ccxt.bybit({ ...opts({ apiKey: env.maker.apiKey, secret: 'wrong-secret' }) }));
    bad.markets = ex.markets;
    bad.markets_by_id = ex.markets_by_id;
    bad.symbols = ex.symbols;
    await expect(bad.fetchOpenOrders(SYM)).rejects.toBeInstanceOf(ccxt.AuthenticationError);

    // Too many decimals sent raw (bypassing ccxt's rounding): the venue must refuse it.
    const raw = ex.privatePostV5OrderCreate({ category: 'linear', symbol: SYMBOL, side: 'Buy', orderType: 'Limit', qty: '0.0105', price: '59950.05', timeInForce: 'PostOnly' });
    const err = await raw.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err instanceof ccxt.BadRequest || err instanceof ccxt.InvalidOrder, `got ${String(err)}`).toBe(true);

    // Through the unified API ccxt rounds first: the sent values must be on the tick / step grid.
    const o = await ex.createOrder(SYM, 'limit', 'buy', 0.0105, 59950.04, { postOnly: true });
    const sent = JSON.parse(ex.last_request_body as string) as { qty: string; price: string };
    expect(Number(sent.qty)).toBe(0.01);
    expect(Number(sent.price)).toBe(59950);
    await ex.cancelOrder(idOf(o), SYM);
  });

  it('journals the whole session as parseable JSONL', () => {
    expect(env.journalErrors).toEqual([]);
  });
});
