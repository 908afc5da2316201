/**
 * Background-market benchmark: how fast one core runs the market, against what 10× real time needs.
 *
 *   npm run bench:market
 *   BENCH_SEED=7 BENCH_MARKET_S=120 BENCH_REGIMES=calm,vol-spike,toxic-flow npm run bench:market
 *
 * For each regime: a fresh Venue on a ManualClock and a Market (the same code `npm run sim` runs), advanced through
 * BENCH_MARKET_S seconds of market time as fast as possible (after 2 s of warm-up, not counted). No recorder, no
 * network: this is the market + venue + engine alone. Reported:
 *  - events/s: scheduler events run per wall second (one event = one agent action: an LP requote, a taker order, a
 *    latent step), and venue commands/s (place + amend + cancel by every agent);
 *  - speed: market seconds simulated per wall second; ratio = speed / 10 (≥ 1 means 10× real time is sustained on
 *    one core, with (ratio − 1) / ratio of the core left for everything else);
 *  - engine share: time inside venue.place/amend/cancel/cancelAll (performance.now() around each call, via
 *    MarketOptions.timer) over the total. The timer costs ~0.1 µs per command, included in both figures.
 * Machine line (CPU, cores, node, load) and CPU steal over the run come from harness.ts; JSON goes to
 * .bench-out/market.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Venue } from '../../sim-exchange/venue/venue.ts';
import { ManualClock } from '../../sim-exchange/clock.ts';
import { DEFAULT_INSTRUMENTS } from '../../sim-exchange/instruments.ts';
import { Market } from '../../sim-exchange/market/market.ts';
import { RegimeName } from '../../sim-exchange/market/params.ts';
import { cpuLine, stealPct, machine } from './harness.ts';

const SEED = Number(process.env.BENCH_SEED ?? 1);
const SECONDS = Number(process.env.BENCH_MARKET_S ?? 60);
const REGIMES = (process.env.BENCH_REGIMES ?? 'calm,vol-spike').split(',').map((r) => RegimeName.parse(r.trim()));
const SPEED_GOAL = 10;

interface Result {
  regime: string;
  marketSeconds: number;
  wallSeconds: number;
  cpuSeconds: number;
  events: number;
  eventsPerS: number;
  venueCommands: number;
  venueCommandsPerS: number;
  trades: number;
  speed: number;
  ratioTo10x: number;
  engineShare: number;
  stealPct: number;
  pass: boolean;
}

function runOne(regime: RegimeName): Result {
  const clock = new ManualClock(1_700_000_000_000);
  const venue = new Venue({ instruments: DEFAULT_INSTRUMENTS, clock, seed: SEED });
  const market = new Market(venue, { seed: SEED, regime, startPrice: '60000', setClock: (ms) => clock.set(ms), timer: () => performance.now() });
  const t0 = clock.now();
  market.advanceTo(t0 + 2000);
  const before = market.snapshot();
  const venueMs0 = market.venueMs;
  const cpu0 = process.cpuUsage();
  const steal0 = cpuLine();
  const w0 = performance.now();
  market.advanceTo(t0 + 2000 + SECONDS * 1000);
  const wall = (performance.now() - w0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const steal = stealPct(steal0, cpuLine());
  const after = market.snapshot();
  const commands = (s: typeof after) => s.agents.reduce((n, a) => n + a.placed + a.cancelled + a.amended + a.rejected, 0);
  const events = after.events - before.events;
  const speed = SECONDS / wall;
  return {
    regime,
    marketSeconds: SECONDS,
    wallSeconds: wall,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    events,
    eventsPerS: events / wall,
    venueCommands: commands(after) - commands(before),
    venueCommandsPerS: (commands(after) - commands(before)) / wall,
    trades: after.trades - before.trades,
    speed,
    ratioTo10x: speed / SPEED_GOAL,
    engineShare: (market.venueMs - venueMs0) / 1000 / wall,
    stealPct: steal,
    pass: speed >= SPEED_GOAL,
  };
}

const m = machine();
console.log(`bench:market seed ${SEED}, ${SECONDS} s of market time per regime`);
console.log(`machine: ${m.cpu}, ${m.cores} cores, node ${m.node}, loadavg ${m.loadavg.map((x) => x.toFixed(2)).join(' ')}`);
const results = REGIMES.map(runOne);
console.table(
  results.map((r) => ({
    regime: r.regime,
    'events/s': Math.round(r.eventsPerS),
    'venue cmds/s': Math.round(r.venueCommandsPerS),
    'trades/mkt s': Math.round(r.trades / r.marketSeconds),
    'needed events/s @10x': Math.round((r.events / r.marketSeconds) * SPEED_GOAL),
    speed: `${r.speed.toFixed(1)}x`,
    'ratio to 10x': r.ratioTo10x.toFixed(2),
    'engine share': `${(r.engineShare * 100).toFixed(0)}%`,
    'steal %': r.stealPct.toFixed(1),
    result: r.pass ? 'PASS' : 'FAIL',
  })),
);
mkdirSync('.bench-out', { recursive: true });
writeFileSync('.bench-out/market.json', `${JSON.stringify({ bench: 'market', seed: SEED, machine: m, goal: `speed >= ${SPEED_GOAL}x on one core`, results }, null, 2)}\n`);
const allPass = results.every((r) => r.pass);
console.log(`\n${allPass ? 'PASS' : 'FAIL'}: results in .bench-out/market.json`);
process.exitCode = allPass ? 0 : 1;
