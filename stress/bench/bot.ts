/**
 * `npm run bench:bot [-- --n 40 --delay 100 --seed 1]`
 *
 * quote_cycle latency of the bot's execution (bot/execution/executor.ts) against the simulated venue, batched vs
 * sequential, with a fixed delay on the REST path.
 *
 * - The venue runs in a child process (its own event loop), a static book around 60000 seeded for a house account.
 *   Order-entry rate limits are raised (the bench measures latency, not the limiter; 10006 handling has its own
 *   integration test).
 * - Delay: the venue's per-channel response delay (control plane PUT /delays) `rest: 100` ms. The venue can only delay
 *   its answer, so the 50 ms of each direction are both added there: every REST request takes 50 + 50 = 100 ms more.
 *   The private WebSocket is not delayed.
 * - Round trip (the reference of the goal): the median of 30 signed REST requests (GET /v5/order/realtime) under the
 *   same delay, measured before the runs — the nominal 100 ms plus what localhost and the venue add.
 * - Driver (no market-data feed: each requote is generated in-process from the book's mid read once over REST, so the
 *   figure is execution alone): N requotes per mode, each awaited before the next; each changes several levels —
 *   one level added on one side and removed on the other (create + cancel), the touch levels re-priced and one level
 *   re-sized (amends): 5 actions per requote. triggeredAt = just before apply(); quote_cycle = until the acks of all
 *   of that requote's actions (the Executor's `applied` event, the same figure it observes into its histogram).
 * - Goals: batched P95 ≤ 1.15 × round trip; sequential P95 / batched P95 ≥ 2.
 *
 * Writes .bench-out/bot.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import * as hdr from 'hdr-histogram-js';
import { RestClientV5, WebsocketClient } from 'bybit-api';
import { cpuLine, machine, startChild, stealPct, stopChild } from './harness.ts';
import { Executor, type ExecutionMode } from '../../bot/execution/executor.ts';
import type { DesiredQuote, QuoteSet } from '../../bot/types.ts';

const SYMBOL = 'BTCUSDT';
const BOT = { apiKey: 'bench-bot-key', secret: 'bench-bot-secret' };
const HOUSE = { apiKey: 'bench-house-key', secret: 'bench-house-secret' };

interface VenueReady {
  port: number;
  rest: string;
  wsPrivate: string;
  control: string;
  token: string;
}

// ---------------------------------------------------------------------------------------------------------------------
// Venue child

async function serveVenue(seed: number): Promise<void> {
  const { startSim } = await import('../../sim-exchange/server.ts');
  const { seedStaticBook } = await import('../../sim-exchange/market/static-book.ts');
  const raised = Object.fromEntries(
    ['create', 'amend', 'cancel', 'create-batch', 'amend-batch', 'cancel-batch', 'cancel-all', 'realtime'].map((e) => [`/v5/order/${e}`, 100_000]),
  );
  const sim = await startSim({
    seed,
    rateLimits: raised,
    accounts: [
      { ...BOT, balance: '10000000' },
      { ...HOUSE, balance: '50000000', makerFeeRate: '0', takerFeeRate: '0' },
    ],
  });
  const house = sim.venue.accountByKey(HOUSE.apiKey)!.uid;
  seedStaticBook(sim.venue, { symbol: SYMBOL, midTicks: 600_000, levels: 50, stepTicks: 5, spreadTicks: 2, qtyLots: 500, depthGrowth: 0.1, uid: house });
  const port = Number(new URL(sim.urls.rest).port);
  process.send!({ type: 'ready', port, rest: sim.urls.rest, wsPrivate: sim.urls.wsPrivate, control: sim.urls.control, token: sim.token } satisfies VenueReady & { type: string });
  process.on('message', (m: { cmd?: string }) => {
    if (m.cmd === 'close') void sim.close().then(() => process.exit(0));
  });
}

// ---------------------------------------------------------------------------------------------------------------------
// Driver

/** Requote k: a ladder around `mid` (in ticks of 0.1) that differs from requote k-1 in five actions. */
function requote(k: number, midTicks: number, triggeredAt: number): QuoteSet {
  const quotes: DesiredQuote[] = [];
  const nBids = 3 + (k % 2);
  const nAsks = 4 - (k % 2);
  const shift = k % 2; // the touch levels move by one tick every requote (amends)
  for (let i = 0; i < nBids; i++) {
    const p = midTicks - 100 - i * 50 - (i === 0 ? shift : 0);
    quotes.push({ side: 'Buy', level: i, price: (p / 10).toFixed(1), qty: i === 1 && k % 2 ? '0.020' : '0.010' });
  }
  for (let i = 0; i < nAsks; i++) {
    const p = midTicks + 100 + i * 50 + (i === 0 ? shift : 0);
    quotes.push({ side: 'Sell', level: i, price: (p / 10).toFixed(1), qty: '0.010' });
  }
  return { symbol: SYMBOL, quotes, triggeredAt, cycle: k };
}

const newHist = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
const pct = (h: hdr.Histogram, p: number) => h.getValueAtPercentile(p) / 1000;

interface ModeResult {
  mode: ExecutionMode;
  requotes: number;
  actionsPerRequote: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  retries: number;
  rejects: Record<string, number>;
}

async function runMode(v: VenueReady, mode: ExecutionMode, n: number, midTicks: number, seed: number): Promise<ModeResult> {
  const rest = new RestClientV5({ key: BOT.apiKey, secret: BOT.secret, baseUrl: v.rest, parseAPIRateLimits: true });
  const ws = new WebsocketClient({ key: BOT.apiKey, secret: BOT.secret, wsUrl: v.wsPrivate }, { trace() {}, info() {}, error() {} });
  ws.on('exception', () => undefined);
  const ex = new Executor({ rest, wsPrivate: ws, symbol: SYMBOL, mode, logger: pino({ level: 'warn' }, pino.destination(2)), linkIdPrefix: `bench${mode.slice(0, 3)}`, seed });
  await ex.start();
  const h = newHist();
  let actions = 0;
  ex.on('applied', (e) => {
    if (e.cycle < 0) return;
    h.recordValue(Math.max(1, Math.round(e.latencyMs * 1000)));
    actions += e.actions;
  });
  // Warm-up (not recorded): the first requote creates the whole ladder.
  for (let k = -3; k < 0; k++) await ex.apply({ ...requote(k + 3, midTicks, performance.now()), cycle: k });
  for (let k = 0; k < n; k++) await ex.apply(requote(k + 3, midTicks, performance.now()));
  await ex.cancelAll();
  ex.stop();
  ws.closeAll(true);
  return {
    mode,
    requotes: h.totalCount,
    actionsPerRequote: actions / Math.max(1, h.totalCount),
    p50: pct(h, 50),
    p95: pct(h, 95),
    p99: pct(h, 99),
    max: pct(h, 100),
    retries: ex.view.retries,
    rejects: Object.fromEntries([...ex.view.rejects].map(([c, k]) => [String(c), k])),
  };
}

async function measureRoundTrip(v: VenueReady): Promise<number> {
  const rest = new RestClientV5({ key: BOT.apiKey, secret: BOT.secret, baseUrl: v.rest });
  const h = newHist();
  for (let i = 0; i < 32; i++) {
    const t0 = performance.now();
    const r = await rest.getActiveOrders({ category: 'linear', symbol: SYMBOL });
    if (r.retCode !== 0) throw new Error(`round-trip probe: ${r.retCode} ${r.retMsg}`);
    if (i >= 2) h.recordValue(Math.round((performance.now() - t0) * 1000));
  }
  return pct(h, 50);
}

async function control(v: VenueReady, method: string, path: string, body: unknown): Promise<unknown> {
  const r = await fetch(`${v.control}${path}`, {
    method,
    headers: { authorization: `Bearer ${v.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`control ${method} ${path}: HTTP ${r.status} ${await r.text()}`);
  return r.json();
}

async function main(): Promise<void> {
  const args = parseArgs({
    options: { n: { type: 'string', default: '40' }, delay: { type: 'string', default: '100' }, seed: { type: 'string', default: '1' }, venue: { type: 'boolean', default: false } },
    strict: true,
  }).values;
  const seed = Number(args.seed);
  if (args.venue) return serveVenue(seed);
  const n = Number(args.n);
  const delayMs = Number(args.delay);

  const venue = await startChild<VenueReady>(fileURLToPath(import.meta.url), ['--venue', '--seed', String(seed)]);
  try {
    const v = venue.ready;
    const delays = await control(v, 'PUT', '/delays', { rest: delayMs });
    const mid = await new RestClientV5({ baseUrl: v.rest }).getOrderbook({ category: 'linear', symbol: SYMBOL, limit: 1 });
    const midTicks = Math.round(((Number(mid.result.b[0]![0]) + Number(mid.result.a[0]![0])) / 2) * 10);
    const cpu0 = cpuLine();
    const roundTrip = await measureRoundTrip(v);
    const batched = await runMode(v, 'batched', n, midTicks, seed);
    const sequential = await runMode(v, 'sequential', n, midTicks, seed);
    const steal = stealPct(cpu0, cpuLine());

    const goalBatched = batched.p95 <= 1.15 * roundTrip;
    const ratio = sequential.p95 / batched.p95;
    const goalRatio = ratio >= 2;
    const f = (x: number) => x.toFixed(1).padStart(9);
    const out = [
      `bench:bot — quote_cycle latency (ms), ${n} requotes per mode, ~${batched.actionsPerRequote.toFixed(1)} actions each`,
      `venue REST response delay ${delayMs} ms (= ${delayMs / 2} ms each way); measured REST round trip P50 ${roundTrip.toFixed(1)} ms`,
      `              ${'batched'.padStart(9)} ${'sequential'.padStart(10)}`,
      `  P50         ${f(batched.p50)} ${f(sequential.p50)}`,
      `  P95         ${f(batched.p95)} ${f(sequential.p95)}`,
      `  P99         ${f(batched.p99)} ${f(sequential.p99)}`,
      `  max         ${f(batched.max)} ${f(sequential.max)}`,
      `goal batched P95 ≤ 1.15 × round trip: ${batched.p95.toFixed(1)} ≤ ${(1.15 * roundTrip).toFixed(1)}  ${goalBatched ? 'PASS' : 'FAIL'}`,
      `goal sequential P95 / batched P95 ≥ 2: ${ratio.toFixed(2)}  ${goalRatio ? 'PASS' : 'FAIL'}`,
      `machine ${JSON.stringify(machine())}, CPU steal ${steal.toFixed(1)}%`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
    mkdirSync('.bench-out', { recursive: true });
    writeFileSync(
      '.bench-out/bot.json',
      `${JSON.stringify({ bench: 'bot', at: new Date().toISOString(), n, seed, delays, restDelayMs: delayMs, roundTripP50Ms: roundTrip, batched, sequential, goals: { batchedP95LeRoundTripX115: goalBatched, sequentialOverBatchedP95: ratio, ratioGe2: goalRatio }, machine: machine(), stealPct: steal }, null, 2)}\n`,
    );
  } finally {
    await stopChild(venue);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
