/**
 * `npm run bench:bot [-- --seconds 15 --delay 100 --seed 1]`
 *
 * quote_cycle latency of the whole bot (bot/app.ts startBot: market data → pipeline → execution) against the
 * simulated venue with its background market, batched vs sequential, with a fixed delay on the REST path.
 *
 * - The venue runs in a child process (its own event loop) with the calm background market at 1× real time, so the
 *   bot requotes on real book changes. Order-entry rate limits are raised (the bench measures latency, not the
 *   limiter; 10006 handling has its own integration tests).
 * - Delay: the venue's per-channel response delay (control plane PUT /delays) `rest: 100` ms. The venue can only delay
 *   its answer, so the 50 ms of each direction are both added there: every REST request takes 50 + 50 = 100 ms more.
 *   WebSockets are not delayed.
 * - Round trip (the reference of the goal): the median of 30 signed REST requests (GET /v5/order/realtime) under the
 *   same delay, measured before the runs — the nominal 100 ms plus what localhost and the venue add.
 * - The bot runs in this process, once per mode, for `--seconds` of quoting after a warm-up, with
 *   `execution.minRequoteMs: 0` (no deliberate pacing: the figure is the bot's reaction, not its throttle). Every
 *   requote that sent at least one action is a sample: from the market-data event it was computed from to the acks
 *   of all its actions (the Executor's `applied` event, the figure it observes into `mmbot_quote_cycle_ms`).
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
import type { VenueUrls } from '../lib/venue.ts';
import type { Executor, ExecutionMode } from '../../bot/execution/executor.ts';
import { parseConfig } from '../../bot/config/load.ts';
import { startBot } from '../../bot/app.ts';

const SYMBOL = 'BTCUSDT';
const BOT = { apiKey: 'bench-bot-key', secret: 'bench-bot-secret' };
/** What the venue child reports when ready: the same URLs as the stress venue child's. */
type VenueReady = VenueUrls;

// ---------------------------------------------------------------------------------------------------------------------
// Venue child

async function serveVenue(seed: number): Promise<void> {
  const { startSim } = await import('../../sim-exchange/server.ts');
  const raised = Object.fromEntries(
    ['create', 'amend', 'cancel', 'create-batch', 'amend-batch', 'cancel-batch', 'cancel-all', 'realtime'].map((e) => [`/v5/order/${e}`, 100_000]),
  );
  const sim = await startSim({
    seed,
    rateLimits: raised,
    accounts: [
      { ...BOT, balance: '10000000' },
    ],
    market: { regime: 'calm', speed: 1 },
  });
  const port = Number(new URL(sim.urls.rest).port);
  process.send!({ type: 'ready', port, rest: sim.urls.rest, wsPublic: sim.urls.wsPublic, wsPrivate: sim.urls.wsPrivate, wsTrade: sim.urls.wsTrade, control: sim.urls.control, token: sim.token } satisfies VenueReady & { type: string });
  process.on('message', (m: { cmd?: string }) => {
    if (m.cmd === 'close') void sim.close().then(() => process.exit(0));
  });
}

// ---------------------------------------------------------------------------------------------------------------------
// Driver

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
  /** Requotes that sent a change an earlier one had to hold back, and the P95 of that wait (quote_hold). */
  heldSends: number;
  holdP95: number | null;
  retries: number;
  rejects: Record<string, number>;
}

async function runMode(v: VenueReady, mode: ExecutionMode, seconds: number): Promise<ModeResult> {
  const config = parseConfig(
    {
      configVersion: 2,
      symbol: SYMBOL,
      venue: { restUrl: v.rest, wsPublicUrl: v.wsPublic, wsPrivateUrl: v.wsPrivate, wsTradeUrl: v.wsTrade, apiKey: BOT.apiKey, apiSecret: BOT.secret },
      quoting: { levels: 3 },
      execution: { mode, minRequoteMs: 0, linkIdPrefix: `bench${mode.slice(0, 3)}` },
      telemetry: { port: 0, logLevel: 'warn' },
    },
    {},
  );
  const bot = await startBot(config, { logger: pino({ level: 'warn' }, pino.destination(2)) });
  const ex = bot.executor as Executor;
  const h = newHist();
  const hold = newHist();
  let actions = 0;
  let recording = false;
  ex.on('applied', (e: { actions: number; latencyMs: number; heldMs: number }) => {
    if (!recording || e.actions === 0) return;
    h.recordValue(Math.max(1, Math.round(e.latencyMs * 1000)));
    if (e.heldMs > 0) hold.recordValue(Math.max(1, Math.round(e.heldMs * 1000)));
    actions += e.actions;
  });
  // Warm-up (not recorded): the first requotes build the ladder.
  await new Promise((r) => setTimeout(r, 3000));
  recording = true;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  recording = false;
  const view = ex.view;
  await bot.stop();
  return {
    mode,
    requotes: h.totalCount,
    actionsPerRequote: actions / Math.max(1, h.totalCount),
    p50: pct(h, 50),
    p95: pct(h, 95),
    p99: pct(h, 99),
    max: pct(h, 100),
    heldSends: hold.totalCount,
    holdP95: hold.totalCount > 0 ? pct(hold, 95) : null,
    retries: view.retries,
    rejects: Object.fromEntries([...view.rejects].map(([c, k]) => [String(c), k])),
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
    options: { seconds: { type: 'string', default: '15' }, delay: { type: 'string', default: '100' }, seed: { type: 'string', default: '1' }, venue: { type: 'boolean', default: false } },
    strict: true,
  }).values;
  const seed = Number(args.seed);
  if (args.venue) return serveVenue(seed);
  const seconds = Number(args.seconds);
  const delayMs = Number(args.delay);

  const venue = await startChild<VenueReady>(fileURLToPath(import.meta.url), ['--venue', '--seed', String(seed)]);
  try {
    const v = venue.ready;
    const delays = await control(v, 'PUT', '/delays', { rest: delayMs });
    const cpu0 = cpuLine();
    const roundTrip = await measureRoundTrip(v);
    const batched = await runMode(v, 'batched', seconds);
    const sequential = await runMode(v, 'sequential', seconds);
    const steal = stealPct(cpu0, cpuLine());

    const goalBatched = batched.p95 <= 1.15 * roundTrip;
    const ratio = sequential.p95 / batched.p95;
    const goalRatio = ratio >= 2;
    const f = (x: number) => x.toFixed(1).padStart(9);
    const out = [
      `bench:bot — the whole bot in the calm background market, ${seconds} s per mode: quote_cycle latency (ms) of requotes that sent actions`,
      `  requotes measured: batched ${batched.requotes} (~${batched.actionsPerRequote.toFixed(1)} actions each), sequential ${sequential.requotes} (~${sequential.actionsPerRequote.toFixed(1)})`,
      `venue REST response delay ${delayMs} ms (= ${delayMs / 2} ms each way); measured REST round trip P50 ${roundTrip.toFixed(1)} ms`,
      `              ${'batched'.padStart(9)} ${'sequential'.padStart(10)}`,
      `  P50         ${f(batched.p50)} ${f(sequential.p50)}`,
      `  P95         ${f(batched.p95)} ${f(sequential.p95)}`,
      `  P99         ${f(batched.p99)} ${f(sequential.p99)}`,
      `  max         ${f(batched.max)} ${f(sequential.max)}`,
      `quote_hold (a change held back behind a pending create/cancel or the amend budget, sent by a later requote): batched ${batched.heldSends} requotes${batched.holdP95 === null ? '' : `, P95 ${batched.holdP95.toFixed(1)} ms`}; sequential ${sequential.heldSends}${sequential.holdP95 === null ? '' : `, P95 ${sequential.holdP95.toFixed(1)} ms`}`,
      `goal batched P95 ≤ 1.15 × round trip: ${batched.p95.toFixed(1)} ≤ ${(1.15 * roundTrip).toFixed(1)}  ${goalBatched ? 'PASS' : 'FAIL'}`,
      `goal sequential P95 / batched P95 ≥ 2: ${ratio.toFixed(2)}  ${goalRatio ? 'PASS' : 'FAIL'}`,
      `machine ${JSON.stringify(machine())}, CPU steal ${steal.toFixed(1)}%`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
    mkdirSync('.bench-out', { recursive: true });
    writeFileSync(
      '.bench-out/bot.json',
      `${JSON.stringify({ bench: 'bot', at: new Date().toISOString(), seconds, seed, delays, restDelayMs: delayMs, roundTripP50Ms: roundTrip, batched, sequential, goals: { batchedP95LeRoundTripX115: goalBatched, sequentialOverBatchedP95: ratio, ratioGe2: goalRatio }, machine: machine(), stealPct: steal }, null, 2)}\n`,
    );
  } finally {
    await stopChild(venue);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
