#!/usr/bin/env node
/**
 * `npm run stress -- <profile> [--duration s] [--rate r] [--connections n] [--phases p] [--closed] [--target url [--control url --token t]]`
 *
 * Runs a load profile (stress/profiles/<profile>.yaml, or a path) against the venue: a venue child started here
 * (stress/lib/venue-child.ts) unless --target is given. Prints req/s, latency p50/p95/p99 (HDR, µs resolution),
 * error %, the load generator's own CPU and the venue's; evaluates the profile's thresholds; writes
 * .bench-out/stress-<profile>.json. Exit 0 only when every threshold holds (1 otherwise, 2 on usage errors).
 * `--rate` switches the profile to open loop at that rate; `--closed` forces closed loop; `--phases` (open loop, default
 * 10) splits the connections over that many autocannon instances started 1000 / phases ms apart. See docs/stress.md.
 */
import { parseArgs } from 'node:util';
import { loadProfile, listProfiles, ProfileError, type LoadedProfile } from './profile.ts';
import { stressAccounts } from './lib/accounts.ts';
import { RestLoad, restMetrics, type RestLoadResult } from './lib/rest-load.ts';
import { evaluate, exitCode, formatResults, type ThresholdResult } from './lib/thresholds.ts';
import { openTarget } from './lib/target.ts';
import { restSummary, writeJson } from './lib/report.ts';
import { cpuLine, machine, stealPct } from './bench/harness.ts';

const USAGE = `usage: npm run stress -- <profile> [--duration s] [--rate r] [--connections n] [--phases p] [--closed] [--target url [--control url --token t]]
profiles: ${listProfiles().join(', ')}`;

export interface StressRun {
  profile: string;
  result: RestLoadResult;
  thresholds: ThresholdResult[];
  exitCode: number;
}

function num(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    process.stderr.write(`--${name} must be a positive number, got "${v}"\n${USAGE}\n`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        duration: { type: 'string' },
        rate: { type: 'string' },
        connections: { type: 'string' },
        phases: { type: 'string' },
        closed: { type: 'boolean', default: false },
        target: { type: 'string' },
        control: { type: 'string' },
        token: { type: 'string' },
        out: { type: 'string' },
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
  let profile: LoadedProfile;
  try {
    profile = loadProfile(positionals[0]!);
  } catch (err) {
    if (err instanceof ProfileError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const durationS = num(a.duration, 'duration') ?? profile.durationS;
  const rateArg = num(a.rate, 'rate');
  const rate = a.closed ? undefined : (rateArg ?? (profile.mode === 'open' ? profile.rate : undefined));
  const connections = num(a.connections, 'connections') ?? profile.connections;
  const phases = num(a.phases, 'phases');
  const accounts = stressAccounts(profile.accounts);

  const target = await openTarget({ target: a.target, control: a.control, token: a.token, accounts, staticBook: profile.venue.staticBook, market: profile.venue.market, seed: profile.seed });
  let run: StressRun;
  try {
    const load = new RestLoad({ url: target.rest, mix: profile.mix, accounts, symbol: profile.symbol, maxOpenPerAccount: profile.maxOpenPerAccount, seed: profile.seed });
    const mode = rate !== undefined ? `open loop at ${rate} req/s (${phases ?? 10} phases)` : 'closed loop';
    console.log(`stress ${profile.name} — ${mode}, ${connections} connections, ${durationS} s (+${profile.warmupS} s warm-up), ${profile.accounts} accounts → ${target.rest}${target.venue ? ' (venue child)' : ''}`);
    if (profile.warmupS > 0) await load.run({ durationS: profile.warmupS, connections, rate, warmup: true, ...(phases ? { phases } : {}) });
    const c0 = cpuLine();
    const v0 = await target.cpuMs();
    const result = await load.run({ durationS, connections, rate, ...(phases ? { phases } : {}) });
    const v1 = await target.cpuMs();
    const steal = stealPct(c0, cpuLine());
    const venueCpuPct = v0 !== null && v1 !== null ? (100 * (v1 - v0)) / (result.wallS * 1000) : null;
    const m = machine();
    console.log(`machine: ${m.cpu} × ${m.cores}, node ${m.node}, loadavg ${m.loadavg.map((x) => x.toFixed(2)).join(' ')}, steal ${steal.toFixed(2)} %`);
    console.log(restSummary(result, venueCpuPct));
    const thresholds = evaluate(profile.parsedThresholds, restMetrics(result));
    const code = exitCode(thresholds);
    console.log('thresholds:');
    console.log(formatResults(thresholds));
    console.log(`result: ${code === 0 ? 'PASS' : 'FAIL'} (exit ${code})`);
    run = { profile: profile.name, result, thresholds, exitCode: code };
    const out = a.out ?? `.bench-out/stress-${profile.name}.json`;
    writeJson(out, {
      tool: 'stress',
      at: new Date().toISOString(),
      profile: profile.name,
      params: { mode: result.mode, rate: rate ?? null, connections, durationS, warmupS: profile.warmupS, accounts: profile.accounts, target: target.rest, venueChild: target.venue !== undefined },
      machine: m,
      stealPct: steal,
      venueCpuPct,
      result,
      thresholds,
      pass: code === 0,
    });
    console.log(`wrote ${out}`);
  } finally {
    await target.close();
  }
  process.exit(run.exitCode);
}

await main();
