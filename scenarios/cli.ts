#!/usr/bin/env node
/**
 * `mmbench` — the scenario CLI (docs/scenarios.md). `npm run mmbench -- <command> ...`
 *
 *   run <scenario.yaml | SC-NNN>  [--seed N] [--out artifacts] [--run-id ID] [bot flags]
 *   suite <name | suite.yaml>     [--shard i/n] [--parallel n] [--out artifacts] [--run-id ID] [bot flags]
 *   gate <report.json>            [--baseline <report.json>] [--p95-growth 10] [--net-drop 1]
 *   repro <bundle dir>            [--no-rerun] [--out artifacts] [--run-id ID]
 *   report <dir>
 *   validate [files...]           (every library file when none is given)
 *   soak --duration <d> --window <w> [--seed N] [--speed S] [--fault-rate P] [--out artifacts] [bot flags] | --resume <dir>
 *
 * Bot flags put another bot under the scenarios (docs/any-bot.md): --bot-cmd '<command>' [--bot-config-template <file>]
 * [--bot-position-limit X], or --bot <spec.yaml>; --bot-override key=value merges into the bot's rendered config.
 *
 * Exit code 0 only if every gate held (validate: every file valid); 1 when a gate failed; 2 for bad usage or input.
 * Progress: one live line per scenario on a terminal (stdout is a TTY), plain lines otherwise (CI).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readReproBundle } from '../sim-exchange/repro.ts';
import { replayCommands } from '../sim-exchange/venue/commands.ts';
import { compareToBaseline, failedFirst } from './gates.ts';
import { parseReportJson, writeSuiteSummary } from './report/index.ts';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { libraryFiles, loadScenarioFile, loadSuite, parseScenario, resolveScenarioRef, splitExclusive, ScenarioError, REPO_ROOT, type LoadedScenario } from './schema.ts';
import { loadBotFile, splitCommand, type BotSpec } from './bot-spec.ts';
import { deepMerge } from './fields.ts';
import { runScenario, type Progress, type RunOutcome } from './runner.ts';
import { rebuildReports, ARTIFACTS } from './run/reports.ts';
import type { GateResult, ScenarioReport } from './types.ts';
import { CheckpointError } from './soak/checkpoint.ts';
import { runSoak } from './soak/run.ts';
import { parseDurationMs, planWindows } from './soak/windows.ts';

const USAGE = `usage: mmbench <command> ...   (npm run mmbench -- <command> ...)
  run <scenario.yaml|SC-NNN> [--seed N] [--out artifacts] [--run-id ID] [bot flags]
  suite <name|suite.yaml> [--shard i/n] [--parallel n] [--out artifacts] [--run-id ID] [bot flags]
  bot flags (run, suite, soak; docs/any-bot.md):
    --bot-cmd '<command>'              the bot under test instead of the reference bot, e.g.
                                       --bot-cmd 'python3 examples/python-mm/bot.py' (run from this directory)
    --bot-config-template <file>       a config file for it, rendered with the venue's URLs and keys (\${MMBENCH_*})
    --bot-position-limit <base units>  the position limit it is held to (default: the scenario's, else 0.1)
    --bot <spec.yaml>                  a whole bot section (command, env, ready, stop, metrics, ...) from a file
    --bot-override execution.mode=sequential   merged onto the bot's rendered config (value read as YAML;
                                       repeatable), e.g. to show a gate fails when the bot is broken
  gate <report.json> [--baseline <report.json>] [--p95-growth 10] [--net-drop 1]
  repro <bundle-dir> [--no-rerun] [--out artifacts] [--run-id ID]
  report <dir>
  validate [scenario.yaml ...]
  soak --duration <d> --window <w> [--seed N] [--speed S] [--fault-rate P] [--out artifacts] [--run-id ID] [bot flags]
  soak --resume <dir>                          (docs/soak.md; durations like 10m, 24h, 8s)`;

class UsageError extends Error {}

/** `--bot-override a.b.c=value` → {a: {b: {c: value}}}; the value is read as YAML (`0` is a number, `sequential` a string). */
function parseBotOverrides(items: readonly string[]): Record<string, unknown> {
  let out: Record<string, unknown> = {};
  for (const item of items) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)=(.*)$/s.exec(item);
    if (!m) throw new UsageError(`--bot-override expects key.path=value such as execution.mode=sequential, got ${JSON.stringify(item)}`);
    const keys = m[1]!.split('.');
    let value: unknown = parseYaml(m[2]!);
    for (const k of [...keys].reverse()) value = { [k]: value };
    out = deepMerge(out, value as Record<string, unknown>);
  }
  return out;
}

/** The bot flags every running command takes. */
const BOT_OPTIONS = {
  'bot-cmd': { type: 'string' as const },
  'bot-config-template': { type: 'string' as const },
  'bot-position-limit': { type: 'string' as const },
  bot: { type: 'string' as const },
  'bot-override': { type: 'string' as const, multiple: true as const, default: [] as string[] },
};

interface BotFlags {
  /** Replaces the scenario's `bot` section (paths made absolute), or undefined to keep it. */
  readonly section: Record<string, unknown> | undefined;
  /** Merged onto the section's overrides. */
  readonly overrides: Record<string, unknown>;
  /** The flags as given, to hand on to child processes (suite --parallel). */
  readonly argv: readonly string[];
  /** One line for the suite's header and title, or '' for the scenarios' own bots. */
  readonly describe: string;
  /** The flags name a whole bot (--bot-cmd, --bot): the scenario's own section is replaced, not completed. */
  readonly replaces: boolean;
  /** Where the bot section came from, for the reports (`--bot-cmd`, `--bot my-bot.yaml`), when the flags replace it. */
  readonly source: string | undefined;
}

/** Reads the bot flags (errors are usage errors naming the flag). */
function botFlags(v: { 'bot-cmd'?: string; 'bot-config-template'?: string; 'bot-position-limit'?: string; bot?: string; 'bot-override'?: string[] }): BotFlags {
  const argv: string[] = [];
  const overrideArgs = v['bot-override'] ?? [];
  for (const o of overrideArgs) argv.push('--bot-override', o);
  const overrides = parseBotOverrides(overrideArgs);
  let section: Record<string, unknown> | undefined;
  const parts: string[] = [];
  if (v.bot !== undefined && v['bot-cmd'] !== undefined) throw new UsageError('give --bot <spec.yaml> or --bot-cmd, not both');
  if (v.bot !== undefined) {
    const file = resolve(v.bot);
    let spec: BotSpec;
    try {
      spec = loadBotFile(file);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    section = parseYaml(readFileSync(file, 'utf8')) as Record<string, unknown>;
    // Paths of a spec file are relative to it; the scenario document takes absolute ones.
    section = { ...section, cwd: spec.cwd, ...(spec.configTemplate ? { config_template: spec.configTemplate } : {}) };
    argv.push('--bot', file);
    parts.push(`bot ${v.bot}`);
  }
  if (v['bot-cmd'] !== undefined) {
    let command: string[];
    try {
      command = splitCommand(v['bot-cmd']);
    } catch (err) {
      throw new UsageError(`--bot-cmd: ${(err as Error).message}`);
    }
    if (command.length === 0) throw new UsageError('--bot-cmd is empty');
    section = { command, cwd: process.cwd() };
    argv.push('--bot-cmd', v['bot-cmd']);
    parts.push(`bot ${v['bot-cmd']}`);
  }
  if (v['bot-config-template'] !== undefined) {
    section = { ...(section ?? {}), config_template: resolve(v['bot-config-template']) };
    argv.push('--bot-config-template', resolve(v['bot-config-template']));
    parts.push(`config template ${v['bot-config-template']}`);
  }
  if (v['bot-position-limit'] !== undefined) {
    const limit = Number(v['bot-position-limit']);
    if (!(limit > 0 && Number.isFinite(limit))) throw new UsageError(`--bot-position-limit must be a number > 0 (base units), got ${v['bot-position-limit']}`);
    section = { ...(section ?? {}), position_limit: limit };
    argv.push('--bot-position-limit', v['bot-position-limit']);
  }
  if (overrideArgs.length > 0) parts.push(`bot overrides ${overrideArgs.join(', ')}`);
  const source = v['bot-cmd'] !== undefined ? '--bot-cmd' : v.bot !== undefined ? `--bot ${v.bot}` : undefined;
  return { section, overrides, argv, describe: parts.join('; '), replaces: source !== undefined, source };
}

/**
 * A scenario file with the bot flags applied: the `bot` section replaced (--bot-cmd, --bot) or completed
 * (--bot-config-template, --bot-position-limit alone), the overrides merged. The scenario's own position limit stays
 * unless the flags set one. The text written as the run's scenario.yaml (and the repro bundle's) is the resulting
 * document, so a repro runs the bot that ran.
 */
function loadWithBot(file: string, flags: BotFlags): LoadedScenario {
  const loaded = loadScenarioFile(file);
  if (flags.section === undefined && Object.keys(flags.overrides).length === 0) return loaded;
  const doc = parseYaml(loaded.text) as Record<string, unknown>;
  const own = (doc['bot'] ?? {}) as Record<string, unknown>;
  let bot: Record<string, unknown> = flags.replaces ? { ...flags.section } : { ...own, ...(flags.section ?? {}) };
  if (flags.replaces && own['position_limit'] !== undefined && bot['position_limit'] === undefined) bot['position_limit'] = own['position_limit'];
  if (Object.keys(flags.overrides).length > 0) bot = { ...bot, overrides: deepMerge((bot['overrides'] ?? {}) as Record<string, unknown>, flags.overrides) };
  doc['bot'] = bot;
  const text = `# ${basename(file)} with ${flags.describe}\n${stringifyYaml(doc)}`;
  return parseScenario(doc, file, text, flags.source ?? file);
}

const tty = process.stdout.isTTY === true;
const out = (s: string) => void process.stdout.write(`${s}\n`);

/**
 * A new run's id: MMBENCH_RUN_ID, else `run-<UTC second>`, claimed by creating its directory under `root` so two runs
 * started in the same second (two terminals, a script) get `run-…` and `run-…-2` instead of sharing one directory.
 */
function defaultRunId(root: string, prefix = 'run-'): string {
  const fixed = process.env['MMBENCH_RUN_ID'];
  if (fixed !== undefined) return fixed;
  const base = `${prefix}${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')}`;
  mkdirSync(root, { recursive: true });
  for (let i = 1; ; i++) {
    const id = i === 1 ? base : `${base}-${i}`;
    try {
      mkdirSync(join(root, id));
      return id;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/** Renders progress: a live, rewritten line on a terminal; a plain line per phase otherwise. */
function progressPrinter(prefix = ''): (p: Progress) => void {
  let lastPhase = '';
  return (p) => {
    const secs = (ms: number) => (ms / 1000).toFixed(1);
    const line = `${prefix}${p.scenarioId}  ${p.phase.padEnd(9)} ${secs(p.elapsedMs)}/${secs(p.durationMs)} s  fills ${p.fills}  pos ${p.position >= 0 ? '+' : ''}${p.position.toFixed(3)}  faults ${p.activeFaults}`;
    if (tty) {
      if (p.phase === 'done') process.stdout.write('\r\x1b[2K');
      else process.stdout.write(`\r\x1b[2K${line.slice(0, (process.stdout.columns ?? 120) - 1)}`);
    } else if (p.phase !== lastPhase && p.phase !== 'done') out(line);
    lastPhase = p.phase;
  };
}

function verdictLine(r: ScenarioReport, dir?: string): string {
  const held = r.gates.filter((g) => g.pass).length;
  return `${r.pass ? 'PASS' : 'FAIL'}  ${r.scenarioId}  seed ${r.seed}  ${(r.durationMs / 1000).toFixed(1)} s  ${held}/${r.gates.length} gates${dir ? `  ${dir}` : ''}`;
}

function printFailures(gates: readonly GateResult[]): void {
  for (const g of failedFirst(gates)) if (!g.pass) out(`      ✗ ${g.name}: ${g.detail}`);
}

async function runOne(loaded: LoadedScenario, root: string, runId: string, seed?: number, dirName?: string): Promise<RunOutcome> {
  const dir = join(root, runId, dirName ?? loaded.scenario.id);
  return runScenario(loaded, { dir, runId, ...(seed !== undefined ? { seed } : {}), onProgress: progressPrinter() });
}

// ---------------------------------------------------------------- commands

async function cmdRun(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { seed: { type: 'string' }, out: { type: 'string', default: 'artifacts' }, 'run-id': { type: 'string' }, ...BOT_OPTIONS },
  });
  if (positionals.length !== 1) throw new UsageError('run takes one scenario');
  const loaded = loadWithBot(resolveScenarioRef(positionals[0]!), botFlags(values));
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32)) throw new UsageError(`--seed must be an integer in 0..2^32-1, got ${values.seed}`);
  const r = await runOne(loaded, values.out!, values['run-id'] ?? defaultRunId(values.out!), seed);
  out(verdictLine(r.report, r.dir));
  printFailures(r.report.gates);
  return r.pass ? 0 : 1;
}

/** Runs one scenario in a child process (`mmbench run`), for --parallel; resolves with its report. */
function runChild(file: string, root: string, runId: string, botArgs: readonly string[] = []): Promise<{ report: ScenarioReport | undefined; dir: string; code: number | null }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scenarios', 'cli.ts'), 'run', file, '--out', root, '--run-id', runId, ...botArgs], {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env },
    });
    let text = '';
    child.stdout!.on('data', (d: Buffer) => (text += d.toString('utf8')));
    child.on('exit', (code) => {
      const id = basename(file).replace(/\.ya?ml$/, '');
      const dir = join(root, runId, id);
      let report: ScenarioReport | undefined;
      try {
        report = parseReportJson(readFileSync(join(dir, ARTIFACTS.report), 'utf8'));
      } catch {
        report = undefined;
        if (text) process.stderr.write(text);
      }
      resolvePromise({ report, dir, code });
    });
  });
}

async function cmdSuite(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      shard: { type: 'string' },
      parallel: { type: 'string', default: '1' },
      out: { type: 'string', default: 'artifacts' },
      'run-id': { type: 'string' },
      ...BOT_OPTIONS,
    },
  });
  const flags = botFlags(values);
  if (positionals.length !== 1) throw new UsageError('suite takes one suite name');
  const { suite, files } = loadSuite(positionals[0]!);
  let mine = files;
  if (values.shard !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(values.shard);
    const i = Number(m?.[1]);
    const n = Number(m?.[2]);
    if (!m || n < 1 || i < 1 || i > n) throw new UsageError(`--shard must be i/n with 1 <= i <= n, got ${values.shard}`);
    mine = files.filter((_, k) => k % n === i - 1);
  }
  const parallel = Number(values.parallel);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 16) throw new UsageError(`--parallel must be an integer in 1..16, got ${values.parallel}`);
  // Validate everything before running anything: a typo fails in a second, not after minutes.
  const loaded = mine.map((f) => loadWithBot(f, flags));
  const runId = values['run-id'] ?? defaultRunId(values.out!);
  const root = values.out!;
  const runDir = join(root, runId);
  mkdirSync(runDir, { recursive: true });
  out(`mmbench suite ${suite.name}${values.shard ? ` shard ${values.shard}` : ''}: ${loaded.length} scenario(s), parallel ${parallel} → ${runDir}`);
  if (flags.describe) out(`on every scenario: ${flags.describe}`);
  const t0 = performance.now();
  const reports: ScenarioReport[] = [];
  const failedRuns: string[] = [];
  if (parallel === 1) {
    for (const l of loaded) {
      const r = await runOne(l, root, runId);
      reports.push(r.report);
      out(verdictLine(r.report));
      printFailures(r.report.gates);
    }
  } else {
    const { alone, shared } = splitExclusive(loaded);
    const runIt = async (l: (typeof loaded)[number]) => {
      out(`start ${l.scenario.id}${l.scenario.exclusive ? ' (exclusive: nothing else runs alongside)' : ''}`);
      const r = await runChild(l.file, root, runId, flags.argv);
      if (r.report) {
        reports.push(r.report);
        out(verdictLine(r.report));
        printFailures(r.report.gates);
      } else {
        failedRuns.push(l.scenario.id);
        out(`FAIL  ${l.scenario.id}  no report (exit code ${r.code}); see ${r.dir}`);
      }
    };
    for (const l of alone) await runIt(l);
    let next = 0;
    const worker = async () => {
      while (next < shared.length) await runIt(shared[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(parallel, shared.length) }, worker));
  }
  const wallMs = performance.now() - t0;
  const order = new Map(loaded.map((l, i) => [l.scenario.id, i]));
  reports.sort((a, b) => (order.get(a.scenarioId) ?? 0) - (order.get(b.scenarioId) ?? 0));
  await writeSuiteSummary(runDir, reports, { title: `mm-bench ${suite.name}${values.shard ? ` shard ${values.shard}` : ''}${flags.describe ? ` (${flags.describe})` : ''}`, wallMs });
  const passed = reports.filter((r) => r.pass).length;
  out('');
  out(`verdict: ${passed}/${loaded.length} scenarios passed in ${(wallMs / 1000).toFixed(1)} s`);
  for (const r of reports) out(`  ${verdictLine(r)}`);
  for (const id of failedRuns) out(`  FAIL  ${id}  (no report)`);
  out(`summary: ${join(runDir, 'summary.md')}   junit: ${join(runDir, 'junit.xml')}`);
  return passed === loaded.length && failedRuns.length === 0 ? 0 : 1;
}

async function cmdGate(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { baseline: { type: 'string' }, 'p95-growth': { type: 'string', default: '10' }, 'net-drop': { type: 'string', default: '1' } },
  });
  if (positionals.length !== 1) throw new UsageError('gate takes one report.json');
  const read = (p: string) => parseReportJson(readFileSync(p, 'utf8'), p);
  const report = read(positionals[0]!);
  const gates: GateResult[] = [...report.gates];
  if (values.baseline) {
    const p95GrowthPct = Number(values['p95-growth']);
    const netBpsDrop = Number(values['net-drop']);
    if (!(p95GrowthPct >= 0) || !(netBpsDrop >= 0)) throw new UsageError('--p95-growth and --net-drop must be numbers >= 0');
    gates.push(...compareToBaseline(report, read(values.baseline), { p95GrowthPct, netBpsDrop }));
  }
  const pass = gates.every((g) => g.pass);
  out(`${pass ? 'PASS' : 'FAIL'}  ${report.scenarioId}  seed ${report.seed}  ${gates.filter((g) => g.pass).length}/${gates.length} gates${values.baseline ? ` (baseline ${values.baseline})` : ''}`);
  for (const g of failedFirst(gates)) out(`  ${g.pass ? 'pass' : 'FAIL'}  ${g.name}: ${g.detail}`);
  return pass ? 0 : 1;
}

async function cmdReport(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  if (positionals.length !== 1) throw new UsageError('report takes one directory');
  const dir = positionals[0]!;
  if (existsSync(join(dir, ARTIFACTS.run))) {
    const r = await rebuildReports(dir);
    out(verdictLine(r, dir));
    printFailures(r.gates);
    return r.pass ? 0 : 1;
  }
  const subs = readdirSync(dir)
    .filter((d) => statSync(join(dir, d)).isDirectory() && existsSync(join(dir, d, ARTIFACTS.run)))
    .sort();
  if (subs.length === 0) throw new UsageError(`${dir}: no run.json here nor in its sub-directories`);
  const reports: ScenarioReport[] = [];
  for (const d of subs) {
    const r = await rebuildReports(join(dir, d));
    reports.push(r);
    out(verdictLine(r, join(dir, d)));
    printFailures(r.gates);
  }
  await writeSuiteSummary(dir, reports, { title: `mm-bench ${basename(resolve(dir))}` });
  out(`summary: ${join(dir, 'summary.md')}`);
  return reports.every((r) => r.pass) ? 0 : 1;
}

interface ScenarioRepro {
  kind: 'mm-bench-scenario-repro';
  scenarioId: string;
  seed: number;
  botUid: number;
  symbol: string;
  botFills: { execId: string; orderLinkId: string; side: 1 | -1; price: number; qty: number; fee: number; time: number }[];
  faultTimeline: { plannedMs: number; what: string }[];
}

async function cmdRepro(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'no-rerun': { type: 'boolean', default: false }, out: { type: 'string', default: 'artifacts' }, 'run-id': { type: 'string' } } });
  if (positionals.length !== 1) throw new UsageError('repro takes one bundle directory');
  const bundle = positionals[0]!;
  if (!existsSync(join(bundle, 'scenario.json'))) throw new UsageError(`${bundle}: no scenario.json — not a scenario repro bundle (artifacts/<run>/<scenario>/repro/)`);
  const meta = JSON.parse(readFileSync(join(bundle, 'scenario.json'), 'utf8')) as ScenarioRepro;
  // 1. Exact: the journal rebuilds the venue, and with it the bot's fills as the run recorded them.
  const { header, commands } = await readReproBundle(bundle);
  const rebuilt = replayCommands(commands, header).venue;
  const inst = rebuilt.instrument(meta.symbol);
  const tick = inst.tick.units / 10 ** inst.tick.scale;
  const lot = inst.lot.units / 10 ** inst.lot.scale;
  const got = rebuilt.ledger.of(meta.botUid).filter((e) => e.symbol === meta.symbol);
  const near = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  let mismatches = Math.abs(got.length - meta.botFills.length);
  for (let i = 0; i < Math.min(got.length, meta.botFills.length); i++) {
    const g = got[i]!;
    const w = meta.botFills[i]!;
    if (g.execId !== w.execId || g.side !== w.side || !near(g.price * tick, w.price) || !near(g.qty * lot, w.qty) || g.orderLinkId !== w.orderLinkId) mismatches++;
  }
  const ledgerOk = mismatches === 0;
  out(`${ledgerOk ? 'PASS' : 'FAIL'}  journal replay: ${commands.length} commands → ${got.length} bot fills, recorded ${meta.botFills.length}${ledgerOk ? ', identical (ids, sides, prices, sizes)' : `, ${mismatches} mismatch(es)`}`);
  if (values['no-rerun']) return ledgerOk ? 0 : 1;

  // 2. Re-run: the same scenario file, the same seed → the same regime timeline and the same fault timeline.
  const loaded = loadScenarioFile(join(bundle, 'scenario.yaml'));
  const r = await runOne(loaded, values.out!, values['run-id'] ?? defaultRunId(values.out!), meta.seed, `${meta.scenarioId}-repro`);
  const planned = (t: readonly { plannedMs: number; what: string }[]) => t.map((a) => `${a.plannedMs} ${a.what}`).join('\n');
  const timelineOk = planned(r.saved.extras.timeline) === planned(meta.faultTimeline);
  out(`${timelineOk ? 'PASS' : 'FAIL'}  fault timeline: ${meta.faultTimeline.length} action(s) ${timelineOk ? 'at the same scenario times' : 'differ from the bundle'}`);
  out(`info  seed ${meta.seed}; fills: bundle ${meta.botFills.length}, re-run ${r.saved.record.fills.length} (the bot runs on the wall clock: its fills are not expected to match)`);
  out(verdictLine(r.report, r.dir));
  printFailures(r.report.gates);
  return ledgerOk && timelineOk && r.pass ? 0 : 1;
}

async function cmdSoak(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      duration: { type: 'string' },
      window: { type: 'string' },
      seed: { type: 'string', default: '1' },
      speed: { type: 'string', default: '1' },
      'fault-rate': { type: 'string', default: '0.5' },
      out: { type: 'string', default: 'artifacts' },
      'run-id': { type: 'string' },
      resume: { type: 'string' },
      ...BOT_OPTIONS,
    },
  });
  if (positionals.length > 0) throw new UsageError('soak takes no positional arguments');
  const flags = botFlags(values);
  const log = (line: string) => out(line);
  let r: Awaited<ReturnType<typeof runSoak>>;
  try {
    if (values.resume !== undefined) {
      if (flags.argv.length > 0) throw new UsageError('--resume runs the bot the soak started with: give no bot flags');
      r = await runSoak({ dir: values.resume, resume: true, log });
    } else {
      if (values.duration === undefined || values.window === undefined) throw new UsageError('soak needs --duration and --window (or --resume <dir>)');
      const bot = flags.section || Object.keys(flags.overrides).length > 0 ? { ...(flags.section ?? {}), ...(Object.keys(flags.overrides).length > 0 ? { overrides: flags.overrides } : {}) } : undefined;
      let durationMs: number;
      let windowMs: number;
      try {
        durationMs = parseDurationMs(values.duration);
        windowMs = parseDurationMs(values.window);
        planWindows(durationMs, windowMs);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const seed = Number(values.seed);
      const speed = Number(values.speed);
      const faultRate = Number(values['fault-rate']);
      if (!(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32)) throw new UsageError(`--seed must be an integer in 0..2^32-1, got ${values.seed}`);
      if (!(speed > 0 && speed <= 50)) throw new UsageError(`--speed must be in (0, 50], got ${values.speed}`);
      if (!(faultRate >= 0 && faultRate <= 1)) throw new UsageError(`--fault-rate must be in [0, 1], got ${values['fault-rate']}`);
      const dir = join(values.out!, values['run-id'] ?? defaultRunId(values.out!, 'soak-run-'));
      r = await runSoak({ dir, config: { durationMs, windowMs, seed, speed, faultRate, ...(bot ? { bot } : {}) }, log });
    }
  } catch (e) {
    if (e instanceof CheckpointError) throw new UsageError(e.message);
    throw e;
  }
  out(`soak ${r.verdict.pass ? 'PASS' : 'FAIL'}: ${join(r.dir, 'soak-report.md')}`);
  for (const reason of r.verdict.reasons.slice(0, 20)) out(`  ${reason}`);
  return r.verdict.pass ? 0 : 1;
}

function cmdValidate(args: string[]): number {
  const files = args.length > 0 ? args : libraryFiles();
  let bad = 0;
  for (const f of files) {
    try {
      const l = loadScenarioFile(f);
      out(`ok    ${f}  (${l.scenario.id}, ${l.scenario.duration / 1000} s, ${l.scenario.gates.length} gates)`);
    } catch (err) {
      bad++;
      process.stderr.write(`${(err as Error).message}\n`);
    }
  }
  return bad === 0 ? 0 : 2;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'run':
      return cmdRun(rest);
    case 'suite':
      return cmdSuite(rest);
    case 'gate':
      return cmdGate(rest);
    case 'repro':
      return cmdRepro(rest);
    case 'report':
      return cmdReport(rest);
    case 'validate':
      return cmdValidate(rest);
    case 'soak':
      return cmdSoak(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      out(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(cmd)}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError || String((err as { code?: string }).code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
      process.exit(2);
    }
    if (err instanceof ScenarioError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
