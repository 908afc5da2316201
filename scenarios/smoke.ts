/**
 * The venue smoke check: `npm run suite` until the scenario suite exists (issue 6).
 *
 * Starts the simulated venue in-process on 127.0.0.1 (free ports), then drives it only through the real `bybit-api`
 * client, as a bot would: instruments and book over REST, the public order book and private streams over WebSocket,
 * a PostOnly quote that is amended, filled by a second account and observed on the private stream, batch create and
 * cancel, and a final reconciliation against the venue's ledger. Prints a verdict table; exit code 0 only if every
 * check held.
 */
import { RestClientV5, WebsocketClient } from 'bybit-api';
import { startSim } from '../sim-exchange/server.ts';
import { DEFAULT_CONFIG, DEMO_ACCOUNT, HOUSE_ACCOUNT } from '../sim-exchange/config.ts';
import { seedStaticBook } from '../sim-exchange/market/static-book.ts';

const SYMBOL = 'BTCUSDT';
const TIMEOUT_MS = 5000;

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  ms: number;
}

/** Resolves with the first event for which `pick` returns a value; rejects after TIMEOUT_MS. */
function nextEvent<T>(ws: WebsocketClient, pick: (e: { topic?: string; data?: unknown; type?: string }) => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.off('update', on);
      reject(new Error(`no matching WS event within ${TIMEOUT_MS} ms`));
    }, TIMEOUT_MS);
    const on = (e: { topic?: string; data?: unknown; type?: string }) => {
      const v = pick(e);
      if (v !== undefined) {
        clearTimeout(timer);
        ws.off('update', on);
        resolve(v);
      }
    };
    ws.on('update', on);
  });
}

async function main(): Promise<number> {
  const started = Date.now();
  const sim = await startSim({ seed: 1, accounts: DEFAULT_CONFIG.accounts ?? [] });
  const house = sim.venue.accountByKey(HOUSE_ACCOUNT.apiKey)!;
  seedStaticBook(sim.venue, { symbol: SYMBOL, midTicks: 600_000, levels: 50, stepTicks: 5, spreadTicks: 2, qtyLots: 500, depthGrowth: 0.1, uid: house.uid });

  const bot = new RestClientV5({ key: DEMO_ACCOUNT.apiKey, secret: DEMO_ACCOUNT.secret, baseUrl: sim.urls.rest });
  const other = new RestClientV5({ key: HOUSE_ACCOUNT.apiKey, secret: HOUSE_ACCOUNT.secret, baseUrl: sim.urls.rest });
  // bybit-api logs connection events to the console; keep the verdict table readable.
  const quiet = { trace: () => undefined, info: () => undefined, error: () => undefined };
  const pub = new WebsocketClient({ wsUrl: sim.urls.wsPublic }, quiet);
  const priv = new WebsocketClient({ key: DEMO_ACCOUNT.apiKey, secret: DEMO_ACCOUNT.secret, wsUrl: sim.urls.wsPrivate }, quiet);
  for (const ws of [pub, priv]) ws.on('exception', () => undefined);

  const checks: Check[] = [];
  const check = async (name: string, fn: () => Promise<string>) => {
    const t0 = performance.now();
    try {
      checks.push({ name, ok: true, detail: await fn(), ms: performance.now() - t0 });
    } catch (err) {
      checks.push({ name, ok: false, detail: (err as Error).message, ms: performance.now() - t0 });
    }
  };
  const ok = <T extends { retCode: number; retMsg: string }>(r: T): T => {
    if (r.retCode !== 0) throw new Error(`retCode ${r.retCode}: ${r.retMsg}`);
    return r;
  };

  await check('REST market data (time, instruments, order book)', async () => {
    ok(await bot.getServerTime());
    const inst = ok(await bot.getInstrumentsInfo({ category: 'linear', symbol: SYMBOL }));
    const tick = inst.result.list[0]?.priceFilter.tickSize;
    const ob = ok(await bot.getOrderbook({ category: 'linear', symbol: SYMBOL, limit: 5 }));
    return `tick ${tick}, best ${ob.result.b[0]?.[0]} / ${ob.result.a[0]?.[0]}`;
  });

  await check('WS order book: snapshot then deltas', async () => {
    const snapshot = nextEvent(pub, (e) => (e.topic === `orderbook.50.${SYMBOL}` && e.type === 'snapshot' ? e : undefined));
    pub.subscribeV5(`orderbook.50.${SYMBOL}`, 'linear');
    const s = (await snapshot) as { data: { b: unknown[]; u: number } };
    const delta = nextEvent(pub, (e) => (e.topic === `orderbook.50.${SYMBOL}` && e.type === 'delta' ? e : undefined));
    ok(await other.submitOrder({ category: 'linear', symbol: SYMBOL, side: 'Buy', orderType: 'Limit', qty: '0.010', price: '59995.0', timeInForce: 'PostOnly' }));
    const d = (await delta) as { data: { u: number } };
    if (d.data.u !== s.data.u + 1) throw new Error(`delta u ${d.data.u} after snapshot u ${s.data.u}`);
    return `${s.data.b.length} bid levels, delta u ${d.data.u}`;
  });

  await check('private stream: auth and subscribe', async () => {
    // subscribeV5's promises settle when the request is queued; the venue's ack is the 'response' event.
    const acked = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no subscribe ack within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      priv.on('response', (r: { op?: string; success?: boolean; ret_msg?: string }) => {
        if (r.op !== 'subscribe') return;
        clearTimeout(timer);
        if (r.success) resolve();
        else reject(new Error(`subscribe refused: ${r.ret_msg}`));
      });
    });
    void Promise.all(priv.subscribeV5(['order', 'execution', 'position', 'wallet'], 'linear')).catch(() => undefined);
    await acked;
    return 'order, execution, position, wallet';
  });

  let orderId = '';
  await check('PostOnly quote, amend, private order push', async () => {
    const pushed = nextEvent(priv, (e) => (e.topic === 'order' ? e : undefined));
    const r = ok(await bot.submitOrder({ category: 'linear', symbol: SYMBOL, side: 'Buy', orderType: 'Limit', qty: '0.010', price: '59999.0', timeInForce: 'PostOnly', orderLinkId: 'smoke-1' }));
    orderId = r.result.orderId;
    await pushed;
    ok(await bot.amendOrder({ category: 'linear', symbol: SYMBOL, orderId, price: '60000.0' })); // inside the spread: first in line
    const open = ok(await bot.getActiveOrders({ category: 'linear', symbol: SYMBOL }));
    const mine = open.result.list.find((o) => o.orderId === orderId);
    if (mine?.price !== '60000.00') throw new Error(`amended price is ${mine?.price}`);
    return `order ${orderId.slice(0, 8)}… at ${mine.price}`;
  });

  await check('fill by a second account, execution pushed', async () => {
    const exec = nextEvent(priv, (e) => (e.topic === 'execution' ? (e.data as { execPrice: string; isMaker: boolean }[]) : undefined));
    ok(await other.submitOrder({ category: 'linear', symbol: SYMBOL, side: 'Sell', orderType: 'Market', qty: '0.010' }));
    const [fill] = await exec;
    if (!fill?.isMaker) throw new Error('expected a maker fill');
    const pos = ok(await bot.getPositionInfo({ category: 'linear', symbol: SYMBOL }));
    return `filled at ${fill.execPrice}, position ${pos.result.list[0]?.size}`;
  });

  await check('batch create and batch cancel', async () => {
    const orders = [0, 1, 2].map((i) => ({ symbol: SYMBOL, side: 'Sell' as const, orderType: 'Limit' as const, qty: '0.010', price: String(60_100 + i * 10), timeInForce: 'PostOnly' as const }));
    const c = ok(await bot.batchSubmitOrders('linear', orders));
    const ids = c.result.list.map((o) => o.orderId);
    if (ids.some((id) => !id)) throw new Error(`batch create: ${JSON.stringify(c.retExtInfo)}`);
    const x = ok(await bot.batchCancelOrders('linear', ids.map((orderId) => ({ symbol: SYMBOL, orderId }))));
    return `${ids.length} created, ${x.result.list.length} cancelled`;
  });

  await check('ledger agrees with the client', async () => {
    const execs = ok(await bot.getExecutionList({ category: 'linear', symbol: SYMBOL }));
    const demo = sim.venue.accountByKey(DEMO_ACCOUNT.apiKey)!;
    const fills = sim.venue.ledger.of(demo.uid);
    if (fills.length === 0) throw new Error('no fills in the ledger: nothing to reconcile');
    if (execs.result.list.length !== fills.length) throw new Error(`${execs.result.list.length} executions vs ${fills.length} ledger fills`);
    if (fills.some((f) => f.midBefore === null)) throw new Error('a fill without a mid');
    return `${fills.length} fill(s), mid before each recorded`;
  });

  pub.closeAll(true);
  priv.closeAll(true);
  await sim.close();

  const width = Math.max(...checks.map((c) => c.name.length));
  process.stdout.write(`\nmm-bench venue smoke (seed 1)\n\n`);
  for (const c of checks) {
    process.stdout.write(`${c.ok ? 'PASS' : 'FAIL'}  ${c.name.padEnd(width)}  ${c.ms.toFixed(0).padStart(5)} ms  ${c.detail}\n`);
  }
  const failed = checks.filter((c) => !c.ok).length;
  process.stdout.write(`\n${checks.length - failed} passed, ${failed} failed (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
