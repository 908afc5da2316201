#!/usr/bin/env node
/**
 * `npm run stress:find-limit -- <profile> [--start r] [--step x] [--max r] [--step-duration s] [--pause s]
 *                                 [--connections n] [--phases 10] [--with-bot] [--target url [--control url --token t]]`
 *
 * Step-load search: open loop at `--start` req/s (default 250), then × `--step` (default 1.5) every step of
 * `--step-duration` s (default 5), with `--pause` s (default 1) of no load between steps, until a step breaks a
 * threshold of the profile or the rate would pass `--max`. A step holds when every latency / error threshold of the
 * profile holds and the venue answered at least 90 % of the offered rate (the profile's own `rps` thresholds are
 * replaced by that: in a search the offered rate is the target). Reports the highest rate that held and a table per
 * step; writes .bench-out/find-limit-<profile>[-bot].json. Exit 0 when a limit was found (some step held), 1 if even
 * the first step broke.
 *
 * --with-bot: the venue child runs the calm background market at 1× (so the bot requotes on real book changes) and
 * the bot runs as its own process (stress/lib/bot-proc.ts); each step reports the bot's quote-cycle P95 over that
 * step, from the deltas of its mmbot_quote_cycle_ms histogram, after a step 0 without load.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadProfile, ProfileError } from './profile.ts';
import { stressAccounts } from './lib/accounts.ts';
import { RestLoad, restMetrics, type RestLoadResult } from './lib/rest-load.ts';
import { evaluate, type Metric, type Threshold, type ThresholdResult } from './lib/thresholds.ts';
import { openTarget } from './lib/target.ts';
import { pad, writeJson } from './lib/report.ts';
import { fmtMs } from './lib/hist.ts';
import { startBotProc, quantileBetween, type BotProc } from './lib/bot-proc.ts';
import { cpuLine, machine, stealPct } from './bench/harness.ts';

export interface StepOutcome {
  metrics: Record<string, Metric>;
  /** The rate actually offered, when it differs from the asked one (whole per-connection budgets). */
  offered?: number;
  /** Anything the caller wants in the table / JSON. */
  extra?: Record<string, unknown>;
}

export interface StepRow {
  step: number;
  /** The offered rate (what the target was sent); `asked` is the search's rate for the step. */
  rate: number;
  asked: number;
  achieved: number;
  held: boolean;
  results: ThresholdResult[];
  extra?: Record<string, unknown>;
}

export interface SearchOptions {
  start: number;
  factor: number;
  max: number;
  thresholds: readonly Threshold[];
  /** Fraction of the offered rate the target must answer for a step to hold. */
  minAchieved?: number;
  runStep(rate: number, step: number): Promise<StepOutcome>;
  /** Between steps (quiet period). */
  pause?: () => Promise<void>;
  onStep?(row: StepRow): void;
}

export interface SearchResult {
  steps: StepRow[];
  /** The highest offered rate that held; null when the first step broke. */
  limit: number | null;
  /** The first rate that broke; null when every step up to max held. */
  broke: number | null;
}

/** The rates a search tries: start, start × factor, … while ≤ max (each at least 1 above the previous). */
export function rateSteps(start: number, factor: number, max: number): number[] {
  if (!(start > 0) || !(factor > 1) || !(max >= start)) throw new RangeError(`need start > 0, step > 1, max ≥ start (got ${start}, ${factor}, ${max})`);
  const out: number[] = [];
  for (let r = start; r <= max && out.length < 100; r = Math.max(r + 1, Math.round(r * factor))) out.push(r);
  return out;
}

export async function findLimit(o: SearchOptions): Promise<SearchResult> {
  const minAchieved = o.minAchieved ?? 0.9;
  // rps thresholds are absolute targets for a fixed profile run; in a search the offered rate is the target.
  const thresholds = o.thresholds.filter((t) => t.metric !== 'rps');
  const steps: StepRow[] = [];
  let limit: number | null = null;
  let broke: number | null = null;
  const rates = rateSteps(o.start, o.factor, o.max);
  for (let i = 0; i < rates.length; i++) {
    const rate = rates[i]!;
    if (i > 0 && o.pause) await o.pause();
    const out = await o.runStep(rate, i + 1);
    const offered = out.offered ?? rate;
    const achieved = out.metrics.rps?.value ?? NaN;
    const results = evaluate(thresholds, out.metrics);
    const rateOk: ThresholdResult = {
      expr: `rps >= ${Math.round(minAchieved * 100)}% of ${offered}`,
      metric: 'rps',
      actual: achieved,
      limit: minAchieved * offered,
      unit: 'rps',
      ok: achieved >= minAchieved * offered,
    };
    results.push(rateOk);
    const held = results.every((r) => r.ok);
    const row: StepRow = { step: i + 1, rate: offered, asked: rate, achieved, held, results, ...(out.extra ? { extra: out.extra } : {}) };
    steps.push(row);
    o.onStep?.(row);
    if (!held) {
      broke = offered;
      break;
    }
    limit = offered;
  }
  return { steps, limit, broke };
}

const USAGE =
  'usage: npm run stress:find-limit -- <profile> [--start 250] [--step 1.5] [--max 50000] [--step-duration 5] [--pause 1] [--connections n] [--phases 10] [--with-bot] [--target url [--control url --token t]]';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        start: { type: 'string', default: '250' },
        step: { type: 'string', default: '1.5' },
        max: { type: 'string', default: '50000' },
        'step-duration': { type: 'string', default: '5' },
        pause: { type: 'string', default: '1' },
        connections: { type: 'string' },
        phases: { type: 'string' },
        'with-bot': { type: 'boolean', default: false },
        target: { type: 'string' },
        control: { type: 'string' },
        token: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  const { values: a, positionals } = parsed;
  if (a.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`one profile expected\n${USAGE}\n`);
    process.exit(2);
  }
  if (a['with-bot'] && a.target) {
    process.stderr.write(`--with-bot starts its own venue; it does not combine with --target\n`);
    process.exit(2);
  }
  let profile;
  try {
    profile = loadProfile(positionals[0]!);
  } catch (err) {
    if (err instanceof ProfileError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const start = Number(a.start);
  const factor = Number(a.step);
  const max = Number(a.max);
  const stepS = Number(a['step-duration']);
  const pauseS = Number(a.pause);
  const connArg = a.connections === undefined ? undefined : Number(a.connections);
  const phases = a.phases === undefined ? undefined : Number(a.phases);
  try {
    rateSteps(start, factor, max);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (!(stepS > 0) || !(pauseS >= 0)) {
    process.stderr.write(`--step-duration must be > 0 and --pause ≥ 0\n${USAGE}\n`);
    process.exit(2);
  }
  const withBot = a['with-bot'];
  const accounts = stressAccounts(profile.accounts);
  const target = await openTarget({
    target: a.target,
    control: a.control,
    token: a.token,
    accounts,
    staticBook: withBot ? false : profile.venue.staticBook,
    market: withBot || profile.venue.market,
    seed: profile.seed,
    bot: withBot,
  });
  let bot: BotProc | undefined;
  let code = 1;
  try {
    if (withBot) bot = await startBotProc(target.venue!.urls);
    const load = new RestLoad({ url: target.rest, mix: profile.mix, accounts, symbol: profile.symbol, maxOpenPerAccount: profile.maxOpenPerAccount, seed: profile.seed });
    // Enough connections that autocannon's per-connection budget (rate / connections per second, sent one request
    // at a time) does not cap the offered rate below what a ~20 ms answer allows.
    const conns = (rate: number) => connArg ?? Math.min(500, Math.max(profile.connections, Math.ceil(rate / 50)));
    const m = machine();
    console.log(`stress:find-limit ${profile.name} — open loop from ${start} req/s × ${factor} per ${stepS} s step up to ${max}${withBot ? ', with the bot quoting (calm market)' : ''} → ${target.rest}`);
    console.log(`machine: ${m.cpu} × ${m.cores}, node ${m.node}, loadavg ${m.loadavg.map((x) => x.toFixed(2)).join(' ')}`);
    const header = `${pad('step', 6)}${pad('offered', 9)}${pad('achieved', 10)}${pad('conns', 7)}${pad('p50 ms', 8)}${pad('p95 ms', 8)}${pad('p99 ms', 8)}${pad('errors', 9)}${pad('gen CPU', 9)}${pad('venue CPU', 11)}${bot ? pad('bot qc P95 ms (n)', 19) : ''}result`;
    const c0 = cpuLine();
    let botBase: { p95: number | null; count: number } | undefined;
    if (bot) {
      // Step 0: the bot alone (after its ladder is built), the reference for the load steps.
      await sleep(3000);
      const b0 = await bot.scrape();
      await sleep(stepS * 1000);
      const q = quantileBetween(b0, await bot.scrape(), 0.95);
      botBase = { p95: q.value, count: q.count };
      console.log(`step 0 (no load): bot quote-cycle P95 ${q.value === null ? 'n/a' : q.value.toFixed(1)} ms over ${q.count} requotes`);
    }
    console.log(header);
    const results: Record<number, RestLoadResult> = {};
    const search = await findLimit({
      start,
      factor,
      max,
      thresholds: profile.parsedThresholds,
      pause: async () => {
        await sleep(pauseS * 1000);
      },
      async runStep(rate, step) {
        const v0 = await target.cpuMs();
        const b0 = bot ? await bot.scrape() : undefined;
        const r = await load.run({ durationS: stepS, connections: conns(rate), rate, ...(phases ? { phases } : {}) });
        const b1 = bot ? await bot.scrape() : undefined;
        const v1 = await target.cpuMs();
        results[step] = r;
        const extra: Record<string, unknown> = {
          connections: r.connections,
          p50: (r.corrected ?? r.service).p50,
          p95: (r.corrected ?? r.service).p95,
          p99: (r.corrected ?? r.service).p99,
          errorPct: r.errorPct,
          genCpuPct: r.genCpuPct,
          venueCpuPct: v0 !== null && v1 !== null ? (100 * (v1 - v0)) / (r.wallS * 1000) : null,
        };
        if (b0 && b1) {
          const q = quantileBetween(b0, b1, 0.95);
          extra.botQuoteCycleP95 = q.value;
          extra.botRequotes = q.count;
        }
        extra.offered = r.offeredRate;
        return { metrics: restMetrics(r), extra, ...(r.offeredRate !== null ? { offered: r.offeredRate } : {}) };
      },
      onStep(row) {
        const e = row.extra as Record<string, number | null>;
        const failed = row.results.filter((x) => !x.ok).map((x) => x.expr);
        console.log(
          `${pad(String(row.step), 6)}${pad(String(row.rate), 9)}${pad(row.achieved.toFixed(0), 10)}${pad(String(e.connections), 7)}${pad(fmtMs(e.p50!), 8)}${pad(fmtMs(e.p95!), 8)}${pad(fmtMs(e.p99!), 8)}${pad(`${e.errorPct!.toFixed(2)}%`, 9)}${pad(`${e.genCpuPct!.toFixed(0)}%`, 9)}${pad(e.venueCpuPct === null ? 'n/a' : `${e.venueCpuPct!.toFixed(0)}%`, 11)}` +
            `${bot ? pad(`${e.botQuoteCycleP95 === null || e.botQuoteCycleP95 === undefined ? 'n/a' : e.botQuoteCycleP95.toFixed(1)} (${e.botRequotes ?? 0})`, 19) : ''}${row.held ? 'held' : `BROKE: ${failed.join(', ')}`}`,
        );
      },
    });
    const steal = stealPct(c0, cpuLine());
    console.log(
      search.limit === null
        ? `no step held (the first, ${start} req/s, broke)`
        : `highest rate that held: ${search.limit} req/s${search.broke === null ? ` (every step up to --max ${max} held)` : ` (broke at ${search.broke})`}; steal ${steal.toFixed(2)} % over the search`,
    );
    code = search.limit === null ? 1 : 0;
    const out = `.bench-out/find-limit-${profile.name}${withBot ? '-bot' : ''}.json`;
    writeJson(out, {
      tool: 'stress:find-limit',
      at: new Date().toISOString(),
      profile: profile.name,
      params: { start, factor, max, stepS, pauseS, withBot, target: target.rest, venueChild: target.venue !== undefined },
      machine: m,
      stealPct: steal,
      botStep0: botBase ?? null,
      limit: search.limit,
      broke: search.broke,
      steps: search.steps,
      results,
    });
    console.log(`wrote ${out}`);
  } finally {
    if (bot) {
      const c = await bot.stop();
      if (c !== 0) console.log(`bot exited ${c}`);
    }
    await target.close();
  }
  process.exit(code);
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
