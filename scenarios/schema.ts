/**
 * The scenario file format (docs/scenarios.md): one strict zod schema. Every object is strict, so a misspelt key is
 * an error; every error names the file, the path inside it and what was expected:
 *
 *   scenarios/library/SC-001-calm.yaml: market.timeline[1].regim: unknown field
 *   scenarios/library/SC-001-calm.yaml: gates[0]: expected "metric op threshold" such as "net_bps > -2", got "net_bps >> 2"
 *
 * Times in a scenario are **scenario time** = market time: the runner plays them at `market.speed` × (or the replay's
 * speed), so a 30 s scenario at speed 2 takes about 15 s of wall time. Network toxic attributes (latency in ms) and the
 * bot's own settings stay in wall time: they are about the machine, not the market.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { RegimeName, ParamOverrides } from '../sim-exchange/market/params.ts';
import { FAULT_PARAMS, FAULT_TYPES, type FaultType } from '../sim-exchange/faults/types.ts';
import { PROFILES } from '../chaos/profiles.ts';
import { CHANNELS } from '../chaos/driver.ts';
import { BotConfigSchema } from '../bot/config/schema.ts';
import type { Gate } from './types.ts';
// The metric names a gate may use: the one list, in scenarios/metrics.ts.
import { METRIC_NAMES, isMetricName } from './metrics.ts';
import { BotSection, checkBotSpec, renderConfig, resolveBotSpec, type BotEnvName, type BotSpec } from './bot-spec.ts';
import { Duration, REPO_ROOT, ScenarioError } from './fields.ts';

export { REPO_ROOT, ScenarioError };

export const LIBRARY_DIR = join(REPO_ROOT, 'scenarios', 'library');
export const SUITES_DIR = join(REPO_ROOT, 'scenarios', 'suites');

// ---------------------------------------------------------------- building blocks

/**
 * When something starts: a fixed time (`10s`), or a window `[10s, 14s]` from which the bench draws the time from the
 * scenario's seed (each entry its own stream), so the same seed always fires at the same moment.
 */
const At = z.union([
  Duration.transform((ms) => ({ fixed: ms }) as AtSpec),
  z
    .tuple([Duration, Duration], { error: 'expected a duration such as 10s, or a window [10s, 14s] drawn from the seed' })
    .refine(([a, b]) => b >= a, { error: 'window end must not be before its start' })
    .transform(([a, b]) => ({ from: a, to: b }) as AtSpec),
]);
export type AtSpec = { readonly fixed: number } | { readonly from: number; readonly to: number };

const Decimal = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .pipe(z.string().regex(/^\d+(\.\d+)?$/, { error: 'expected a positive decimal such as "60000"' }));

const RegimeStep = z.strictObject({
  at: Duration,
  regime: RegimeName,
  /** Overrides of the regime's calibrated parameters: a scenario that sets any says so in its title. */
  params: ParamOverrides.optional(),
  /** Move numeric parameters linearly from the previous regime's over this long. */
  transition: Duration.optional(),
});

const Replay = z.strictObject({
  /** A capture (docs/replay.md), relative to the repository root. */
  file: z.string().min(1),
  /** Recording seconds per wall second. */
  speed: z.number().positive().max(50).default(1),
});

const Market = z
  .strictObject({
    /** Market time per wall second for the seeded market (ignored for a replay, which has its own speed). */
    speed: z.number().positive().max(50).default(1),
    start_price: Decimal.optional(),
    /** Regimes over time; the first step must be at 0s. */
    timeline: z.array(RegimeStep).min(1).max(100).optional(),
    /** A recorded session instead of the seeded market. */
    replay: Replay.optional(),
  })
  .superRefine((m, ctx) => {
    if ((m.timeline === undefined) === (m.replay === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['timeline'], message: 'expected exactly one of market.timeline or market.replay' });
    }
    if (m.timeline) {
      if (m.timeline[0]!.at !== 0) ctx.addIssue({ code: 'custom', path: ['timeline', 0, 'at'], message: 'the first regime step must be at 0s' });
      for (let i = 1; i < m.timeline.length; i++) {
        if (m.timeline[i]!.at <= m.timeline[i - 1]!.at) ctx.addIssue({ code: 'custom', path: ['timeline', i, 'at'], message: 'expected steps in increasing time' });
      }
    }
  });

const VenueFault = z
  .strictObject({
    at: At,
    /** How long the fault lasts (scenario time); instant faults (ws-close, resnapshot) take none. */
    duration: Duration.optional(),
    type: z.enum(FAULT_TYPES as [FaultType, ...FaultType[]], { error: `expected a venue fault type: ${FAULT_TYPES.join(', ')} (docs/faults.md)` }),
    /** The fault's parameters (docs/faults.md); validated against that type's schema. */
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .superRefine((f, ctx) => {
    const r = FAULT_PARAMS[f.type].safeParse(f.params, { reportInput: true });
    if (!r.success) for (const i of r.error.issues) ctx.addIssue({ ...i, path: ['params', ...i.path] } as never);
    if (f.type !== 'ws-close' && f.type !== 'resnapshot' && f.duration === undefined) {
      ctx.addIssue({ code: 'custom', path: ['duration'], message: `a ${f.type} fault needs a duration` });
    }
  });

const TOXIC_TYPES = ['latency', 'bandwidth', 'slow_close', 'timeout', 'reset_peer', 'slicer', 'limit_data', 'noop', 'down'] as const;

const Toxic = z
  .strictObject({
    at: At,
    duration: Duration,
    /** One venue channel, or `all`. */
    channel: z.enum([...CHANNELS, 'all'], { error: `expected one of ${[...CHANNELS, 'all'].join(', ')}` }),
    /** upstream = bot → venue, downstream = venue → bot (ignored for `down`). */
    direction: z.enum(['upstream', 'downstream', 'both']).default('both'),
    /** A Toxiproxy toxic (docs/chaos.md), or `down`: the channel's proxy disabled (listener and connections closed). */
    type: z.enum(TOXIC_TYPES, { error: `expected one of ${TOXIC_TYPES.join(', ')}` }),
    /** Integer attributes of the toxic, e.g. {latency: 300, jitter: 50}. */
    attributes: z.record(z.string(), z.number().int({ error: 'expected an integer' })).default({}),
    toxicity: z.number().min(0).max(1).optional(),
  })
  .superRefine((t, ctx) => {
    if (t.type === 'down' && Object.keys(t.attributes).length > 0) ctx.addIssue({ code: 'custom', path: ['attributes'], message: '`down` takes no attributes' });
  });

const Network = z.strictObject({
  /** A network profile (chaos/profiles.ts) on all four channels for the whole run. */
  profile: z.enum(Object.keys(PROFILES) as [keyof typeof PROFILES, ...(keyof typeof PROFILES)[]], { error: `expected one of ${Object.keys(PROFILES).join(', ')}` }).optional(),
  toxics: z.array(Toxic).max(100).default([]),
});

const Load = z.strictObject({
  /** Extra REST requests per second (public market data) from other clients, straight to the venue. */
  rest_rps: z.number().min(0).max(5000).default(0),
  /** Extra public WebSocket clients subscribed to the order book and trades. */
  ws_clients: z.number().int().min(0).max(500).default(0),
});

/**
 * How the quote-reaction metrics and unreacted_moves_pct are measured (docs/reports.md): a move is a book update, as
 * written to the bot, that takes the mid threshold_bps or more from where it was at the last move or the bot's last
 * order action; the bot has `horizon` to act on it.
 */
const Reaction = z.strictObject({
  threshold_bps: z.number().positive().max(1000).default(2),
  horizon: Duration.refine((ms) => ms >= 10 && ms <= 60_000, { error: 'expected a duration between 10ms and 60s' }).default(2000),
});

const GATE_RE = /^\s*([a-z_0-9]+(?:\[[a-z0-9_]+\])?)\s*(<=|>=|<|>)\s*(-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?)\s*$/i;
const GateText = z.string({ error: 'expected "metric op threshold" such as "net_bps > -2"' }).transform((s, ctx): Gate => {
  const m = GATE_RE.exec(s);
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `expected "metric op threshold" such as "net_bps > -2" (op one of <, <=, >, >=), got ${JSON.stringify(s)}` });
    return z.NEVER;
  }
  const metric = m[1]!;
  if (!isMetricName(metric)) {
    ctx.addIssue({ code: 'custom', message: `unknown metric ${JSON.stringify(m[1])}: expected one of ${METRIC_NAMES.join(', ')}, or rejects_per_min[<retCode>|postonly|http]` });
    return z.NEVER;
  }
  return { metric, op: m[2] as Gate['op'], threshold: Number(m[3]) };
});

export const ScenarioSchema = z
  .strictObject({
    id: z.string().regex(/^SC-\d{3}(-[a-z0-9]+)*$/, { error: 'expected an id such as SC-012-flash-crash (SC-NNN, then lower-case words)' }),
    title: z.string().min(1).max(200),
    tags: z.array(z.string().regex(/^[a-z0-9-]+$/, { error: 'expected a lower-case tag' })).default([]),
    seed: z.number().int().min(0).max(2 ** 32 - 1),
    /**
     * Runs with no other scenario alongside when a suite runs in parallel: for gates on latency that another
     * scenario's processes on the same cores would move (SC-010's quote-cycle tail on wan).
     */
    exclusive: z.boolean({ error: 'expected true or false' }).default(false),
    /** Scenario (market) time the bot quotes for, after it is healthy. */
    duration: Duration.refine((ms) => ms >= 1000 && ms <= 3_600_000, { error: 'expected a duration between 1s and 1h' }),
    instrument: z.strictObject({ symbol: z.literal('BTCUSDT', { error: 'expected BTCUSDT (the one instrument the market and bot trade)' }), category: z.literal('linear').default('linear') }),
    market: Market,
    venue_faults: z.array(VenueFault).max(100).default([]),
    network: Network.prefault({}),
    load: Load.prefault({}),
    /** The bot under test (scenarios/bot-spec.ts, docs/any-bot.md); absent: the reference bot. */
    bot: BotSection.prefault({}),
    reaction: Reaction.prefault({}),
    gates: z.array(GateText).default([]),
    /**
     * Chaos scenarios: after every fault window ends, quoting (both sides) must resume within this long (wall time:
     * it is about the bot's reconnects and backoffs, not the market). Adds one recovery gate per fault window.
     */
    recovery: z.strictObject({ within: Duration }).optional(),
    /**
     * An inventory gate tighter than the always-on position safety gate (which is the bot's own quoting.maxPosition):
     * max |position| over the run (base units) ≤ max_abs. E.g. trend, where the inventory skew is what keeps it low.
     */
    position: z.strictObject({ max_abs: z.number().positive({ error: 'expected a position (base units) > 0' }) }).optional(),
  })
  .superRefine((s, ctx) => {
    const end = s.duration;
    const check = (path: (string | number)[], at: AtSpec, dur: number | undefined) => {
      const last = 'fixed' in at ? at.fixed : at.to;
      if (last + (dur ?? 0) > end) ctx.addIssue({ code: 'custom', path, message: `must end within the scenario's duration (${end / 1000}s)` });
    };
    s.venue_faults.forEach((f, i) => check(['venue_faults', i, 'at'], f.at, f.duration));
    s.network.toxics.forEach((t, i) => check(['network', 'toxics', i, 'at'], t.at, t.duration));
    if (s.market.timeline) s.market.timeline.forEach((st, i) => { if (st.at >= end) ctx.addIssue({ code: 'custom', path: ['market', 'timeline', i, 'at'], message: `must be before the end (${end / 1000}s)` }); });
  });

export type Scenario = z.output<typeof ScenarioSchema>;
export type VenueFaultSpec = Scenario['venue_faults'][number];
export type ToxicSpec = Scenario['network']['toxics'][number];

/** `market.timeline[1].regime` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out || '(root)';
}

/** One line per problem: `path: what was expected, got …` (unknown keys: `path.key: unknown field`). */
export function formatIssue(issue: z.core.$ZodIssue): string {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `${issue.path.length === 0 ? k : `${path}.${k}`}: unknown field`).join('\n');
  }
  const got = 'input' in issue && issue.input !== undefined && issue.code !== 'custom' ? `, got ${JSON.stringify(issue.input)}` : '';
  const missing = issue.input === undefined && issue.code === 'invalid_type' ? ' (missing)' : '';
  return `${path}: ${issue.message}${missing}${got}`;
}

const issueLines = (issues: readonly z.core.$ZodIssue[], prefix = ''): string[] =>
  issues.flatMap((i) => formatIssue(i).split('\n')).map((l) => prefix + l);

/** A validated scenario, where it came from, and the bot it runs. */
export interface LoadedScenario {
  readonly file: string;
  readonly text: string;
  readonly scenario: Scenario;
  /** The bot under test, resolved (the reference bot when the scenario names none). */
  readonly bot: BotSpec;
}

/** Stand-in values for rendering the reference bot's template when a scenario is validated (nothing runs yet). */
const PROBE_VALUES: Readonly<Record<BotEnvName, string>> = {
  MMBENCH_REST_URL: 'http://127.0.0.1:1',
  MMBENCH_WS_PUBLIC_URL: 'ws://127.0.0.1:1/v5/public/linear',
  MMBENCH_WS_PRIVATE_URL: 'ws://127.0.0.1:1/v5/private',
  MMBENCH_WS_TRADE_URL: 'ws://127.0.0.1:1/v5/trade',
  MMBENCH_API_KEY: 'probe-key',
  MMBENCH_API_SECRET: 'probe-secret',
  MMBENCH_SYMBOL: 'BTCUSDT',
  MMBENCH_CATEGORY: 'linear',
  MMBENCH_RUN_DIR: '/probe',
  MMBENCH_POSITION_LIMIT: '0.1',
  MMBENCH_METRICS_PORT: '0',
  MMBENCH_SEED: '1',
  MMBENCH_CONFIG: '/probe/bot.yaml',
};

/**
 * Validates an already-parsed scenario document; `file` names it in errors. `botSource` says where its bot section
 * came from when that is not the file (the CLI's bot flags), for the reports.
 */
export function parseScenario(doc: unknown, file: string, text = '', botSource = relative(process.cwd(), file) || file): LoadedScenario {
  const r = ScenarioSchema.safeParse(doc, { reportInput: true });
  if (!r.success) throw new ScenarioError(file, issueLines(r.error.issues));
  const scenario = r.data;
  const problems: string[] = [];
  const stem = basename(file).replace(/\.ya?ml$/, '');
  if (/^SC-\d{3}/.test(stem) && stem !== scenario.id) problems.push(`id: expected the file's name ${JSON.stringify(stem)}, got ${JSON.stringify(scenario.id)}`);
  if (scenario.market.replay) {
    const f = resolveRepoPath(scenario.market.replay.file);
    try {
      readFileSync(f, { flag: 'r' }).subarray(0, 1);
    } catch {
      problems.push(`market.replay.file: no such file ${scenario.market.replay.file}`);
    }
  }
  const bot = resolveBotSpec(scenario.bot, botSource);
  const botProblems = checkBotSpec(bot);
  problems.push(...botProblems);
  if (bot.reference && botProblems.length === 0) {
    // The reference bot's config as it will run (template rendered, overrides merged), validated as the bot would.
    try {
      const doc = parseYaml(renderConfig(bot, PROBE_VALUES, 'probe')) as unknown;
      const b = BotConfigSchema.safeParse(doc, { reportInput: true });
      if (!b.success) problems.push(...issueLines(b.error.issues, 'bot.overrides.'));
    } catch (err) {
      problems.push(`bot: the reference bot's config does not render: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ScenarioError(file, problems);
  return { file, text, scenario, bot };
}

/** Reads and validates a scenario file. */
export function loadScenarioFile(file: string): LoadedScenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ScenarioError(file, [`cannot read: ${(err as Error).message}`]);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ScenarioError(file, [`(root): invalid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  return parseScenario(doc, file, text);
}

/** A path, or an id (SC-001 / SC-001-calm) found in the library. */
export function resolveScenarioRef(ref: string): string {
  if (/\.ya?ml$/.test(ref)) return resolve(ref);
  const m = /^SC-\d{3}/.exec(ref);
  if (m) {
    const hit = libraryFiles().find((f) => basename(f) === `${ref}.yaml` || basename(f).startsWith(`${m[0]}-`) || basename(f) === `${m[0]}.yaml`);
    if (hit) return hit;
  }
  throw new Error(`no scenario ${JSON.stringify(ref)}: give a .yaml path or an id from scenarios/library/`);
}

export function libraryFiles(): string[] {
  return readdirSync(LIBRARY_DIR)
    .filter((f) => /^SC-\d{3}.*\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(LIBRARY_DIR, f));
}

const Suite = z.strictObject({
  name: z.string().regex(/^[a-z0-9-]+$/),
  description: z.string().default(''),
  /** Scenario ids or paths, in order. */
  scenarios: z.array(z.string().min(1)).min(1),
});
export type Suite = z.output<typeof Suite>;

/**
 * A parallel suite's plan: the exclusive scenarios first, one at a time with nothing alongside, then the rest sharing
 * the workers. Each part keeps the suite's order.
 */
export function splitExclusive<T extends { readonly scenario: { readonly exclusive: boolean } }>(loaded: readonly T[]): { alone: T[]; shared: T[] } {
  return { alone: loaded.filter((l) => l.scenario.exclusive), shared: loaded.filter((l) => !l.scenario.exclusive) };
}

/** A suite by name (scenarios/suites/<name>.yaml) or path; its scenarios resolved to files. */
export function loadSuite(ref: string): { suite: Suite; file: string; files: string[] } {
  const file = /\.ya?ml$/.test(ref) ? resolve(ref) : join(SUITES_DIR, `${ref}.yaml`);
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ScenarioError(file, [`cannot read suite: ${(err as Error).message.split('\n')[0]}`]);
  }
  const r = Suite.safeParse(doc, { reportInput: true });
  if (!r.success) throw new ScenarioError(file, issueLines(r.error.issues));
  const files: string[] = [];
  const problems: string[] = [];
  r.data.scenarios.forEach((s, i) => {
    try {
      files.push(resolveScenarioRef(s));
    } catch (err) {
      problems.push(`scenarios[${i}]: ${(err as Error).message}`);
    }
  });
  if (problems.length > 0) throw new ScenarioError(file, problems);
  return { suite: r.data, file, files };
}

export function resolveRepoPath(p: string): string {
  return isAbsolute(p) ? p : join(REPO_ROOT, p);
}

