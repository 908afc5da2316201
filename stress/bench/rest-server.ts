/**
 * Child process of the REST bench (stress/bench/rest.ts): runs one server so the load generator and the server do
 * not share an event loop. Started with `fork(..., { execArgv: ['--import', 'tsx'] })`; mode from argv[2]:
 *
 *   venue     startSim (rate limits raised, journal to a temp dir), one account from BENCH_API_KEY/BENCH_SECRET
 *   baseline  a bare fastify app with the same two POST paths answering a fixed JSON body
 *
 * Diagnostic layers (BENCH_LAYER in rest.ts; not the benchmark), to split the venue's cost one layer at a time:
 *
 *   plumbing  our REST plumbing (HMAC check, raw-body parse, rate limiter, Bybit headers, envelope), fixed result
 *   floor     plumbing + zod parsing of create/cancel + the engine; bookkeeping cut to one Map (no records, margin,
 *             listeners or journal): what an order path with nothing but validation and matching costs
 *   routes    plumbing + the real routes, venue and engine, with no listener (no feed, push or journal)
 *
 * Protocol (IPC): sends {type:'ready', port, wsPrivate?}; answers {cmd:'stats'} with {type:'stats', ...} and
 * {cmd:'close'} by closing everything and exiting.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { startSim } from '../../sim-exchange/server.ts';
import { Journal } from '../../sim-exchange/journal.ts';
import { createRestApp } from '../../sim-exchange/bybit-v5/rest/http.ts';
import { registerRoutes } from '../../sim-exchange/bybit-v5/rest/routes.ts';
import { RateLimiter } from '../../sim-exchange/bybit-v5/rate-limit.ts';
import { parseCancel, parseCreate } from '../../sim-exchange/bybit-v5/params.ts';
import { OrderBook } from '../../sim-exchange/engine/order-book.ts';
import type { EngineEvent } from '../../sim-exchange/engine/types.ts';
import { Venue } from '../../sim-exchange/venue/venue.ts';
import { DEFAULT_INSTRUMENTS } from '../../sim-exchange/instruments.ts';
import { SystemClock } from '../../sim-exchange/clock.ts';

const mode = process.argv[2];
const send = (m: object): void => {
  process.send?.(m);
};

async function venueMode(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mm-bench-rest-'));
  const journalPath = join(dir, 'journal.jsonl');
  const journal = new Journal(journalPath);
  const sim = await startSim({
    rateLimits: { '/v5/order/create': 10_000_000, '/v5/order/cancel': 10_000_000 },
    // BENCH_NO_JOURNAL=1 (diagnostics only): run without the journal hook to attribute its cost.
    ...(process.env.BENCH_NO_JOURNAL === '1' ? {} : { onTraffic: (e) => journal.traffic(e) }),
  });
  const acct = sim.venue.createAccount({
    apiKey: process.env.BENCH_API_KEY ?? 'benchkey01',
    secret: process.env.BENCH_SECRET ?? 'benchsecret01',
    balance: '50000000',
  });
  const port = Number(new URL(sim.urls.rest).port);
  send({ type: 'ready', port, wsPrivate: sim.urls.wsPrivate });
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'stats') {
      // OrderStore is private to Venue; read-only peek for verification.
      const orders = (sim.venue as unknown as { orders: { openCount(uid: number, s: string): number } }).orders;
      send({
        type: 'stats',
        openOrders: orders.openCount(acct.uid, 'BTCUSDT'),
        journalRecords: journal.records,
        ws: sim.gateway.stats(),
        cpu: process.cpuUsage(),
      });
    } else if (m.cmd === 'close') {
      void (async () => {
        await sim.close();
        await journal.close();
        let bytes = 0;
        try {
          bytes = statSync(journalPath).size;
        } catch {
          /* ignore */
        }
        rmSync(dir, { recursive: true, force: true });
        send({ type: 'closed', journalBytes: bytes, journalRecords: journal.records });
        process.exit(0);
      })();
    }
  });
}

async function baselineMode(): Promise<void> {
  const app = Fastify({ logger: false });
  const reply = { retCode: 0, retMsg: 'OK', result: { orderId: 'x', orderLinkId: 'y' }, retExtInfo: {}, time: 0 };
  const h = async (): Promise<object> => {
    reply.time = Date.now();
    return reply;
  };
  app.post('/v5/order/create', h);
  app.post('/v5/order/cancel', h);
  await serveBare(app);
}

/** Listens, reports ready, and answers the parent's stats (CPU only) and close: a server with no venue state to read. */
async function serveBare(app: FastifyInstance): Promise<void> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  send({ type: 'ready', port: (app.server.address() as AddressInfo).port });
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'stats') send({ type: 'stats', cpu: process.cpuUsage() });
    else if (m.cmd === 'close') {
      void app.close().then(() => {
        send({ type: 'closed' });
        process.exit(0);
      });
    }
  });
}

/** A diagnostic layer (see the header): our REST app on its own, with as much of the venue as the layer names. */
async function layerMode(layer: 'plumbing' | 'floor' | 'routes'): Promise<void> {
  const clock = new SystemClock();
  const venue = new Venue({ instruments: DEFAULT_INSTRUMENTS, clock, seed: 1 });
  venue.createAccount({ apiKey: process.env.BENCH_API_KEY ?? 'benchkey01', secret: process.env.BENCH_SECRET ?? 'benchsecret01', balance: '50000000' });
  const rest = createRestApp({ keys: { byKey: (k) => venue.accountByKey(k) }, clock, limiter: new RateLimiter({}, 10_000_000), logger: false });
  const W = { write: true } as const;
  if (layer === 'routes') {
    registerRoutes(rest, venue, { bookUpdateId: (symbol) => venue.book(symbol).seq });
  } else if (layer === 'plumbing') {
    const fixed = (): object => ({ orderId: 'x', orderLinkId: 'y' });
    rest.privatePost('/v5/order/create', fixed, W);
    rest.privatePost('/v5/order/cancel', fixed, W);
  } else {
    const book = new OrderBook(venue.instrument('BTCUSDT').spec);
    const byLink = new Map<string, number>();
    const events: EngineEvent[] = [];
    let nextId = 1;
    rest.privatePost('/v5/order/create', (ctx) => {
      const r = parseCreate(venue, ctx.body);
      const link = r.orderLinkId ?? '';
      const id = nextId++;
      events.length = 0;
      const tif = r.orderType === 'Market' ? 'IOC' : r.timeInForce;
      const rejected = book.place({ id, owner: ctx.key.uid, side: r.side, kind: r.orderType, tif, price: r.price ?? 0, qty: r.qty, smp: 'CancelTaker' }, events);
      if (rejected) throw new Error(`floor: engine refused (${rejected})`);
      byLink.set(link, id);
      return { orderId: String(id), orderLinkId: link };
    }, W);
    rest.privatePost('/v5/order/cancel', (ctx) => {
      const link = parseCancel(venue, ctx.body).orderLinkId ?? '';
      const id = byLink.get(link);
      if (id === undefined) throw new Error('floor: unknown orderLinkId');
      byLink.delete(link);
      events.length = 0;
      book.cancel(id, events);
      return { orderId: String(id), orderLinkId: link };
    }, W);
  }
  await serveBare(rest.app);
}

if (mode === 'venue') await venueMode();
else if (mode === 'baseline') await baselineMode();
else if (mode === 'plumbing' || mode === 'floor' || mode === 'routes') await layerMode(mode);
else {
  console.error(`rest-server: unknown mode ${mode}`);
  process.exit(2);
}
