/**
 * Matching-engine benchmark: our OrderBook against the npm package `nodejs-order-book` on a book of ~1M resting
 * orders, in two shapes (~500 orders per level, ~50 per level).
 *
 *   npm run bench:engine            (node --expose-gc --import tsx stress/bench/engine.ts)
 *   BENCH_SEED=123 BENCH_OPS=1000000 BENCH_RESTING=1000000 BENCH_BASELINE_S=15 BENCH_REPS=5 npm run bench:engine
 *   BENCH_BASELINE_S=0 skips the baseline (ours only, for quick iterations).
 *
 * Workload (seeded mulberry32, the seed is printed): 50% non-crossing GTC limit adds inside the existing level range
 * of either side, 30% cancels of a random live order, 20% crossing orders taking a small qty at the touch (half limit
 * IOC at touch + 0..2 ticks, half market). The op list is generated once, by simulating it on a generator book, so
 * every engine replays exactly the same commands (cancels always target orders that are live at that point).
 *
 * Semantics alignment with the baseline: nodejs-order-book's market orders have no price bound, so ours get a
 * bound at the far edge of the price range (never binding). Takers use owner 0, which never has resting orders, so
 * our always-on self-trade prevention never triggers (the baseline runs without accountId = no STP). Both books use
 * the same integer prices (the baseline accepts any positive number). With that, both books must end in the same
 * state; the bench checks the top 50 levels per side and the total resting qty after the same op prefix.
 *
 * Measured: throughput (BENCH_REPS passes without per-op timers, each on a fresh book, median reported), both in
 * wall-clock ops/s and in ops per CPU-second (process.cpuUsage, all threads, GC included). The ratio goals are judged
 * on CPU time because this host is shared (2 vCPUs, other jobs running). With two busy-loop processes running next
 * to it, our wall-clock rate fell 2-4× while the rate per CPU-second moved by less than 15%. Both ratios are
 * printed. Per-op latency: one more pass with process.hrtime.bigint() around each op, into an HDR histogram (JS
 * build). GC pauses: PerformanceObserver 'gc' entries. Results go to .bench-out/engine.json.
 *
 * The events array is created per op on our side (`runOurs`), as a caller would; the baseline builds its result
 * objects per op itself. The op mix, prices and sizes are identical for both.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import { OrderBook as Baseline, Side as BSide } from 'nodejs-order-book';
import { OrderBook } from '../../sim-exchange/engine/order-book.ts';
import type { BookSpec, EngineEvent, Level, PlaceCommand, Side } from '../../sim-exchange/engine/types.ts';
// The bot's mulberry32 (same sequence as before): one seeded PRNG for benches and tests outside the venue.
import { seededRandom } from '../../bot/execution/retry.ts';

// ------------------------------------------------------------------------------------------------------------------
// Parameters

const SEED = Number(process.env.BENCH_SEED ?? Date.now() % 2 ** 31);
const N_OPS = Number(process.env.BENCH_OPS ?? 1_000_000);
const RESTING = Number(process.env.BENCH_RESTING ?? 1_000_000);
const BASELINE_BUDGET_MS = Number(process.env.BENCH_BASELINE_S ?? 15) * 1000;
const MID = 1_000_000;
const TOP_LEVELS = 50;
/** Throughput passes for our engine (median reported): the host is shared, single runs are noisy. */
const REPS = Number(process.env.BENCH_REPS ?? 5);

const SPEC: BookSpec = {
  minPriceTicks: 1,
  maxPriceTicks: 100_000_000,
  minQtyLots: 1,
  maxQtyLots: 1_000_000_000,
  maxMktQtyLots: 1_000_000_000,
  minNotional: 1,
};

interface Config {
  readonly name: string;
  readonly perLevel: number;
  /** Goal on ours/baseline throughput. */
  readonly minRatio: number;
}
const CONFIGS: Config[] = [
  { name: '~500/level', perLevel: 500, minRatio: 30 },
  { name: '~50/level', perLevel: 50, minRatio: 8 },
];
const P99_GOAL_US = 5;

// ------------------------------------------------------------------------------------------------------------------
// Workload

const OP_ADD = 0;
const OP_CANCEL = 1;
const OP_IOC = 2;
const OP_MARKET = 3;

/** A command list in struct-of-arrays form; index i is one op. Initial orders are ops of type OP_ADD. */
interface Ops {
  readonly n: number;
  readonly type: Uint8Array;
  readonly id: Float64Array;
  readonly side: Int8Array;
  readonly price: Float64Array;
  readonly qty: Float64Array;
  readonly owner: Int32Array;
}

function allocOps(n: number): Ops {
  return {
    n,
    type: new Uint8Array(n),
    id: new Float64Array(n),
    side: new Int8Array(n),
    price: new Float64Array(n),
    qty: new Float64Array(n),
    owner: new Int32Array(n),
  };
}

interface Workload {
  readonly init: Ops;
  readonly ops: Ops;
  readonly levelsPerSide: number;
  readonly maxId: number;
}

function buildWorkload(cfg: Config, seed: number): Workload {
  const rnd = seededRandom(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const levelsPerSide = Math.round(RESTING / cfg.perLevel / 2);
  const maxId = RESTING + N_OPS + 1;

  // Live-id set with O(1) random pick and swap-remove.
  const live = new Float64Array(maxId);
  const pos = new Int32Array(maxId + 1).fill(-1);
  let nLive = 0;
  const addLive = (id: number): void => {
    pos[id] = nLive;
    live[nLive++] = id;
  };
  const removeLive = (id: number): void => {
    const i = pos[id]!;
    if (i < 0) return;
    const last = live[--nLive]!;
    live[i] = last;
    pos[last] = i;
    pos[id] = -1;
  };

  const gen = new OrderBook(SPEC);
  const out: EngineEvent[] = [];
  let nextId = 1;
  const randomAdd = (o: Ops, i: number): void => {
    const side: Side = rnd() < 0.5 ? 1 : -1;
    const dist = int(1, levelsPerSide);
    o.type[i] = OP_ADD;
    o.id[i] = nextId++;
    o.side[i] = side;
    o.price[i] = side === 1 ? MID - dist : MID + dist;
    o.qty[i] = int(1, 100);
    o.owner[i] = int(1, 64);
  };
  const apply = (o: Ops, i: number): void => {
    out.length = 0;
    const t = o.type[i]!;
    if (t === OP_CANCEL) {
      gen.cancel(o.id[i]!, out);
      removeLive(o.id[i]!);
      return;
    }
    const r = gen.place(toPlace(o, i), out);
    if (r !== null) throw new Error(`generator: place rejected ${r}`);
    for (const e of out) if (e.type === 'fill' && e.makerLeaves === 0) removeLive(e.makerId);
    if (t === OP_ADD) addLive(o.id[i]!);
  };

  const init = allocOps(RESTING);
  for (let i = 0; i < RESTING; i++) {
    randomAdd(init, i);
    apply(init, i);
  }
  const ops = allocOps(N_OPS);
  for (let i = 0; i < N_OPS; i++) {
    const r = rnd();
    if (r < 0.5 || nLive === 0) {
      randomAdd(ops, i);
    } else if (r < 0.8) {
      ops.type[i] = OP_CANCEL;
      ops.id[i] = live[Math.floor(rnd() * nLive)]!;
    } else {
      const side: Side = rnd() < 0.5 ? 1 : -1;
      const touch = side === 1 ? gen.bestAsk() : gen.bestBid();
      ops.id[i] = nextId++;
      ops.side[i] = side;
      ops.qty[i] = int(1, 50);
      ops.owner[i] = 0;
      if (touch === undefined || rnd() < 0.5) {
        ops.type[i] = OP_MARKET;
        ops.price[i] = side === 1 ? SPEC.maxPriceTicks : SPEC.minPriceTicks;
      } else {
        ops.type[i] = OP_IOC;
        ops.price[i] = touch + side * int(0, 2);
      }
    }
    apply(ops, i);
  }
  return { init, ops, levelsPerSide, maxId };
}

function toPlace(o: Ops, i: number): PlaceCommand {
  const t = o.type[i]!;
  return {
    id: o.id[i]!,
    owner: o.owner[i]!,
    side: o.side[i]! as Side,
    kind: t === OP_MARKET ? 'Market' : 'Limit',
    tif: t === OP_ADD ? 'GTC' : 'IOC',
    price: o.price[i]!,
    qty: o.qty[i]!,
    smp: 'CancelMaker',
  };
}

// ------------------------------------------------------------------------------------------------------------------
// Drivers

interface BookState {
  readonly bids: Level[];
  readonly asks: Level[];
  readonly bidQty: number;
  readonly askQty: number;
}

/**
 * Runs op i on our engine. The command object and the events array are created per op, as a caller would (the
 * baseline gets its option objects built per op too).
 */
function runOurs(book: OrderBook, o: Ops, i: number): void {
  const out: EngineEvent[] = [];
  if (o.type[i] === OP_CANCEL) book.cancel(o.id[i]!, out);
  else book.place(toPlace(o, i), out);
}

function oursState(book: OrderBook): BookState {
  const all = (s: Side): number => book.depth(s, Infinity).reduce((a, l) => a + l[1], 0);
  return { bids: book.depth(1, TOP_LEVELS), asks: book.depth(-1, TOP_LEVELS), bidQty: all(1), askQty: all(-1) };
}

function runBaseline(book: Baseline, o: Ops, i: number, ids: string[]): void {
  const t = o.type[i]!;
  const id = ids[o.id[i]!]!;
  const side = o.side[i] === 1 ? BSide.BUY : BSide.SELL;
  if (t === OP_ADD) book.limit({ id, side, size: o.qty[i]!, price: o.price[i]! });
  else if (t === OP_CANCEL) book.cancel(id);
  else if (t === OP_IOC) book.limit({ id, side, size: o.qty[i]!, price: o.price[i]!, timeInForce: 'IOC' as never });
  else book.market({ side, size: o.qty[i]! });
}

function baselineState(book: Baseline): BookState {
  const [asks, bids] = book.depth();
  const sum = (ls: Array<[number, number]>): number => ls.reduce((a, l) => a + l[1], 0);
  return {
    bids: bids.slice(0, TOP_LEVELS),
    asks: asks.slice(0, TOP_LEVELS),
    bidQty: sum(bids),
    askQty: sum(asks),
  };
}

// ------------------------------------------------------------------------------------------------------------------
// GC observation

let gcWorstMs = 0;
let gcCount = 0;
let gcTotalMs = 0;
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcCount++;
    gcTotalMs += e.duration;
    if (e.duration > gcWorstMs) gcWorstMs = e.duration;
  }
});
gcObserver.observe({ entryTypes: ['gc'] });

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
async function gcReset(): Promise<void> {
  // Twice, with a turn of the event loop between: the previous phase's structures must be gone before timing.
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 2; i++) {
    gc?.();
    await tick();
  }
  // Let the observer receive the entries of these forced collections before the counters are reset.
  await new Promise((r) => setTimeout(r, 20));
  gcWorstMs = 0;
  gcCount = 0;
  gcTotalMs = 0;
}
async function gcRead(): Promise<{ worstMs: number; count: number; totalMs: number }> {
  await new Promise((r) => setTimeout(r, 20));
  return { worstMs: gcWorstMs, count: gcCount, totalMs: gcTotalMs };
}

// ------------------------------------------------------------------------------------------------------------------
// Main

/** A timed section: wall-clock ops/s and ops per CPU-second (process CPU time, all threads). */
interface Rate {
  ops: number;
  wallMs: number;
  cpuMs: number;
  opsPerSec: number;
  opsPerCpuSec: number;
}

function timed(ops: number, fn: () => number): Rate {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const done = fn() || ops;
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const cpuMs = (c.user + c.system) / 1000;
  return { ops: done, wallMs, cpuMs, opsPerSec: (done / wallMs) * 1000, opsPerCpuSec: (done / cpuMs) * 1000 };
}

interface Result {
  config: string;
  perLevel: number;
  levelsPerSide: number;
  resting: number;
  ops: number;
  /** Median of the throughput passes (each on a fresh book), wall clock and CPU time. */
  oursOpsPerSec: number;
  oursOpsPerCpuSec: number;
  oursRuns: Rate[];
  oursRestingAtEnd: number;
  baselineOps: number;
  baseline: Rate | null;
  baselineOpsPerSec: number | null;
  /** ours / baseline, wall clock. */
  ratio: number | null;
  /** ours / baseline, CPU time: what the verdict uses (robust when the shared host is busy). */
  ratioCpu: number | null;
  ratioGoal: number;
  latencyUs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  gc: { oursWorstPauseMs: number; oursPauses: number; oursTotalMs: number; latencyRunWorstPauseMs: number; baselineWorstPauseMs: number | null };
  sameState: boolean | null;
  pass: { ratio: boolean | null; p99: boolean };
}

const fmt = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

async function benchConfig(cfg: Config, seed: number): Promise<Result> {
  const t0 = performance.now();
  const w = buildWorkload(cfg, seed);
  console.log(
    `\n[${cfg.name}] ${fmt(RESTING)} resting orders on ${fmt(w.levelsPerSide * 2)} levels, ${fmt(N_OPS)} ops ` +
      `(50% add / 30% cancel / 20% take; generated in ${fmt((performance.now() - t0) / 1000, 1)} s)`,
  );

  // --- Baseline first: how far it gets within its budget decides the prefix at which the states are compared.
  let bDone = 0;
  let baseline: Rate | null = null;
  let bState: BookState | null = null;
  let bGcWorst: number | null = null;
  if (BASELINE_BUDGET_MS > 0) {
    await gcReset();
    let ids: string[] | null = new Array<string>(w.maxId + 1);
    for (let i = 0; i <= w.maxId; i++) ids[i] = `o${i}`;
    let base: Baseline | null = new Baseline();
    for (let i = 0; i < w.init.n; i++) runBaseline(base, w.init, i, ids);
    const b = base;
    const bDeadline = performance.now() + BASELINE_BUDGET_MS;
    baseline = timed(w.ops.n, () => {
      while (bDone < w.ops.n) {
        const end = Math.min(w.ops.n, bDone + 1000);
        for (let i = bDone; i < end; i++) runBaseline(b, w.ops, i, ids!);
        bDone = end;
        if (performance.now() > bDeadline) break;
      }
      return bDone;
    });
    bState = baselineState(base);
    bGcWorst = (await gcRead()).worstMs;
    base = null;
    ids = null;
    console.log(
      `  baseline: ${fmt(bDone)} ops in ${fmt(baseline.wallMs / 1000, 2)} s → ${fmt(baseline.opsPerSec)} ops/s ` +
        `(${fmt(baseline.opsPerCpuSec)} ops per CPU-s)`,
    );
  }

  // --- Ours, throughput: REPS passes without per-op timers, each on a fresh book; the median counts.
  const runs: Rate[] = [];
  let oursRestingAtEnd = 0;
  let oGc = { worstMs: 0, count: 0, totalMs: 0 };
  for (let rep = 0; rep < REPS; rep++) {
    await gcReset();
    let book: OrderBook | null = new OrderBook(SPEC);
    for (let i = 0; i < w.init.n; i++) runOurs(book, w.init, i);
    const bk = book;
    runs.push(
      timed(w.ops.n, () => {
        for (let i = 0; i < w.ops.n; i++) runOurs(bk, w.ops, i);
        return w.ops.n;
      }),
    );
    oursRestingAtEnd = book.size;
    const g = await gcRead();
    if (g.worstMs >= oGc.worstMs) oGc = g;
    book = null;
  }
  const oursOpsPerSec = median(runs.map((r) => r.opsPerSec));
  const oursOpsPerCpuSec = median(runs.map((r) => r.opsPerCpuSec));
  console.log(
    `  ours:     ${fmt(w.ops.n)} ops × ${REPS} → ${runs.map((r) => fmt(r.opsPerSec)).join(' / ')} ops/s ` +
      `(median ${fmt(oursOpsPerSec)}; ${fmt(oursOpsPerCpuSec)} ops per CPU-s)`,
  );

  // --- Ours, latency pass (and the state at the baseline's prefix).
  await gcReset();
  const hist = hdr.build({ useWebAssembly: false, lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: 3 });
  let book: OrderBook | null = new OrderBook(SPEC);
  for (let i = 0; i < w.init.n; i++) runOurs(book, w.init, i);
  let oState: BookState | null = bDone === 0 ? oursState(book) : null;
  const hr = process.hrtime.bigint;
  for (let i = 0; i < w.ops.n; i++) {
    const a = hr();
    runOurs(book, w.ops, i);
    const b = hr();
    hist.recordValue(Number(b - a));
    if (i + 1 === bDone) oState = oursState(book);
  }
  const lGc = await gcRead();
  book = null;
  const us = (ns: number): number => ns / 1000;
  const latencyUs = {
    p50: us(hist.getValueAtPercentile(50)),
    p90: us(hist.getValueAtPercentile(90)),
    p99: us(hist.getValueAtPercentile(99)),
    p999: us(hist.getValueAtPercentile(99.9)),
    max: us(hist.maxValue),
    mean: us(hist.mean),
  };

  let sameState: boolean | null = null;
  if (bState !== null) {
    sameState = JSON.stringify(oState) === JSON.stringify(bState);
    console.log(
      `  state after ${fmt(bDone)} ops: ${sameState ? 'identical' : 'DIFFERENT'} (top ${TOP_LEVELS} levels per side, ` +
        `resting bids ${fmt(bState.bidQty)} / asks ${fmt(bState.askQty)} lots)`,
    );
    if (!sameState) {
      console.log('  ours    ', JSON.stringify(oState).slice(0, 400));
      console.log('  baseline', JSON.stringify(bState).slice(0, 400));
    }
  }
  const ratio = baseline === null ? null : oursOpsPerSec / baseline.opsPerSec;
  const ratioCpu = baseline === null ? null : oursOpsPerCpuSec / baseline.opsPerCpuSec;
  return {
    config: cfg.name,
    perLevel: cfg.perLevel,
    levelsPerSide: w.levelsPerSide,
    resting: RESTING,
    ops: w.ops.n,
    oursOpsPerSec,
    oursOpsPerCpuSec,
    oursRuns: runs,
    oursRestingAtEnd,
    baselineOps: bDone,
    baseline,
    baselineOpsPerSec: baseline?.opsPerSec ?? null,
    ratio,
    ratioCpu,
    ratioGoal: cfg.minRatio,
    latencyUs,
    gc: {
      oursWorstPauseMs: oGc.worstMs,
      oursPauses: oGc.count,
      oursTotalMs: oGc.totalMs,
      latencyRunWorstPauseMs: lGc.worstMs,
      baselineWorstPauseMs: bGcWorst,
    },
    sameState,
    pass: { ratio: ratioCpu === null ? null : ratioCpu >= cfg.minRatio, p99: latencyUs.p99 <= P99_GOAL_US },
  };
}

async function main(): Promise<void> {
  console.log(`engine bench: seed ${SEED} (BENCH_SEED=${SEED} repeats it), node ${process.version}`);
  console.log(
    `ours: ${REPS} throughput passes of ${fmt(N_OPS)} ops + 1 latency pass; baseline nodejs-order-book: ` +
      (BASELINE_BUDGET_MS > 0 ? `same ops for up to ${BASELINE_BUDGET_MS / 1000} s` : 'skipped (BENCH_BASELINE_S=0)'),
  );
  const results: Result[] = [];
  for (const [k, cfg] of CONFIGS.entries()) results.push(await benchConfig(cfg, (SEED + k * 7919) >>> 0));

  const pad = (x: string, n: number): string => x.padStart(n);
  const na = 'n/a';
  const ratioStr = (x: number | null): string => (x === null ? na : `${fmt(x, 1)}×`);
  console.log(
    '\n| config     | ours ops/s | baseline ops/s | ratio wall | ratio CPU (goal) | p50 µs | p99 µs | p99.9 µs | max µs | worst GC ms | same state | result |',
  );
  console.log(
    '|------------|-----------:|---------------:|-----------:|-----------------:|-------:|-------:|---------:|-------:|------------:|:----------:|:------:|',
  );
  let allPass = true;
  for (const r of results) {
    const pass = r.pass.ratio !== false && r.pass.p99 && r.sameState !== false;
    allPass &&= pass;
    console.log(
      `| ${r.config.padEnd(10)} | ${pad(fmt(r.oursOpsPerSec), 10)} | ${pad(r.baselineOpsPerSec === null ? na : fmt(r.baselineOpsPerSec), 14)} | ` +
        `${pad(ratioStr(r.ratio), 10)} | ${pad(`${ratioStr(r.ratioCpu)} (≥${r.ratioGoal})`, 16)} | ${pad(fmt(r.latencyUs.p50, 2), 6)} | ` +
        `${pad(fmt(r.latencyUs.p99, 2), 6)} | ${pad(fmt(r.latencyUs.p999, 2), 8)} | ${pad(fmt(r.latencyUs.max, 0), 6)} | ` +
        `${pad(fmt(Math.max(r.gc.oursWorstPauseMs, r.gc.latencyRunWorstPauseMs), 1), 11)} | ` +
        `${pad(r.sameState === null ? na : r.sameState ? 'yes' : 'NO', 10)} | ${pass ? ' PASS ' : ' FAIL '} |`,
    );
  }
  console.log(
    '\nops/s = wall clock (ours: median of the passes). The ratio goal is judged on CPU time (process.cpuUsage, all\n' +
      'threads, so GC work counts): on a shared host other processes stretch wall time but not CPU time. Both shown.\n',
  );
  for (const r of results) {
    console.log(
      `${r.config}: throughput ratio ${r.pass.ratio === null ? 'n/a' : r.pass.ratio ? 'PASS' : 'FAIL'} ` +
        `(CPU ${ratioStr(r.ratioCpu)}, wall ${ratioStr(r.ratio)} vs ≥${r.ratioGoal}×); p99 ${r.pass.p99 ? 'PASS' : 'FAIL'} ` +
        `(${fmt(r.latencyUs.p99, 2)} µs vs ≤${P99_GOAL_US} µs); GC in a throughput pass: ${r.gc.oursPauses} pauses, ` +
        `${fmt(r.gc.oursTotalMs, 1)} ms total, worst ${fmt(r.gc.oursWorstPauseMs, 1)} ms; worst in the latency pass ` +
        `${fmt(r.gc.latencyRunWorstPauseMs, 1)} ms` +
        (r.gc.baselineWorstPauseMs === null ? '' : `; baseline worst ${fmt(r.gc.baselineWorstPauseMs, 1)} ms`),
    );
  }
  mkdirSync('.bench-out', { recursive: true });
  writeFileSync(
    '.bench-out/engine.json',
    `${JSON.stringify({ seed: SEED, node: process.version, ops: N_OPS, resting: RESTING, reps: REPS, goals: { p99Us: P99_GOAL_US }, results, pass: allPass }, null, 2)}\n`,
  );
  console.log(`\n${allPass ? 'PASS' : 'FAIL'}: results in .bench-out/engine.json`);
  gcObserver.disconnect();
  process.exitCode = allPass ? 0 : 1;
}

await main();
