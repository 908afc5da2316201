/**
 * The bot under test, as a scenario names it (docs/any-bot.md): a command in any language, configured only through
 * what a real bot reads — environment variables, and optionally a config file rendered from a template — with the
 * venue's URLs (through the fault proxy), keys and symbol filled in by the run.
 *
 *   bot:
 *     command: [python3, examples/python-mm/bot.py]     # argv, no shell
 *     cwd: .                                            # relative to the repository root (default: the root)
 *     env: { PYMM_QTY: "0.01" }                         # values may use ${MMBENCH_*} placeholders
 *     config_template: my-bot/config.tmpl.yaml          # rendered to <run dir>/bot.yaml; its path is ${MMBENCH_CONFIG}
 *     overrides: { quoting: { levels: 2 } }             # merged onto a rendered YAML/JSON template
 *     ready: { log: "quoting started" }                 # or { http: "http://…/healthz" }; default: both sides resting
 *     ready_timeout: 30s
 *     stop: { signal: SIGTERM, grace: 20s }             # then SIGKILL
 *     position_limit: 0.1                               # base units; handed to the bot as MMBENCH_POSITION_LIMIT
 *     metrics: { url: "http://127.0.0.1:${MMBENCH_METRICS_PORT}/metrics", histogram: my_quote_cycle_ms }
 *     errors: { pino: true, pattern: "Traceback \\(most recent call last\\)" }
 *
 * A section without `command` is the reference bot (scenarios/bots/reference.yaml) with the section's fields laid
 * over it; a section with `command` stands alone. Placeholders are `${NAME}`; `$$` is a literal `$`; an unknown name
 * is an error naming the file and the placeholder.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';
import { Duration, REPO_ROOT, ScenarioError, deepMerge } from './fields.ts';

export const REFERENCE_BOT_FILE = join(REPO_ROOT, 'scenarios', 'bots', 'reference.yaml');

/** What the run hands the bot, as environment variables and as template placeholders of the same names. */
export const BOT_ENV = {
  MMBENCH_REST_URL: 'REST base URL (through the fault proxy), e.g. http://127.0.0.1:41235',
  MMBENCH_WS_PUBLIC_URL: 'public WebSocket URL, e.g. ws://127.0.0.1:41236/v5/public/linear',
  MMBENCH_WS_PRIVATE_URL: 'private WebSocket URL, e.g. ws://127.0.0.1:41237/v5/private',
  MMBENCH_WS_TRADE_URL: 'order-entry WebSocket URL, e.g. ws://127.0.0.1:41238/v5/trade',
  MMBENCH_API_KEY: "the bot account's API key",
  MMBENCH_API_SECRET: "the bot account's API secret (HMAC-SHA256, Bybit V5 signing)",
  MMBENCH_SYMBOL: 'the instrument to quote, e.g. BTCUSDT',
  MMBENCH_CATEGORY: 'the product category, linear',
  MMBENCH_RUN_DIR: "the scenario's artifact directory (absolute): the bot may write files there",
  MMBENCH_POSITION_LIMIT: 'max |position| in base units the safety gate holds the bot to, e.g. 0.1',
  MMBENCH_METRICS_PORT: 'a free TCP port on 127.0.0.1 the bot may serve Prometheus metrics on',
  MMBENCH_SEED: "the scenario's seed (for a bot that wants its own randomness reproducible)",
  MMBENCH_CONFIG: 'path of the rendered config_template (only when the bot has one)',
} as const;
export type BotEnvName = keyof typeof BOT_ENV;
export const BOT_ENV_NAMES = Object.keys(BOT_ENV) as BotEnvName[];

export const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

// ---------------------------------------------------------------- placeholders

const PLACEHOLDER = /\$(\$|\{([^}]*)\})/g;

/** The placeholder names in `text` that are not in `known` (each once, in order of appearance). */
export function unknownPlaceholders(text: string, known: readonly string[]): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(PLACEHOLDER)) {
    if (m[1] === '$') continue;
    const name = m[2]!;
    if (!known.includes(name) && !out.includes(name)) out.push(name);
  }
  return out;
}

/** Substitutes `${NAME}` from `values` (`$$` → `$`); a name without a value throws (check with unknownPlaceholders first). */
export function renderTemplate(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(PLACEHOLDER, (_all, dollar: string, name: string | undefined) => {
    if (dollar === '$') return '$';
    const v = values[name!];
    if (v === undefined) throw new Error(`no value for placeholder \${${name}}`);
    return v;
  });
}

// ---------------------------------------------------------------- the scenario's `bot` section

const Regex = z.string().min(1).refine(
  (s) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  },
  { error: 'expected a regular expression (JavaScript syntax)' },
);

const Ready = z.union(
  [
    z.literal('quotes'),
    z.strictObject({ log: Regex }),
    z.strictObject({ http: z.string().min(1) }),
  ],
  { error: 'expected quotes (the default: both sides resting at the venue), {log: <regex on stdout/stderr>} or {http: <URL answering 200>}' },
);

export const BotSection = z.strictObject({
  /** The bot's argv (no shell). Absent: the reference bot. */
  command: z.array(z.string().min(1), { error: 'expected the command as a list, e.g. [python3, bot.py]' }).min(1).optional(),
  /** Working directory, relative to the repository root (or absolute). */
  cwd: z.string().min(1).optional(),
  /** Extra environment variables; values may use placeholders. */
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected an environment variable name' }), z.string({ error: 'expected a string (quote numbers)' })).default({}),
  /** A config file the bot reads, rendered with the placeholders into the run directory (relative to the repository root). */
  config_template: z.string().min(1).optional(),
  /** Merged onto the rendered template when it is YAML or JSON (objects key by key, anything else replaced). */
  overrides: z.record(z.string(), z.unknown()).default({}),
  ready: Ready.optional(),
  ready_timeout: Duration.refine((ms) => ms >= 100 && ms <= 600_000, { error: 'expected a duration between 100ms and 10m' }).optional(),
  stop: z
    .strictObject({
      signal: z.enum(STOP_SIGNALS, { error: `expected one of ${STOP_SIGNALS.join(', ')}` }).default('SIGTERM'),
      /** How long the bot may take to exit after the signal before it is killed (SIGKILL). */
      grace: Duration.refine((ms) => ms >= 100 && ms <= 300_000, { error: 'expected a duration between 100ms and 5m' }).default(20_000),
    })
    .optional(),
  /** Max |position| (base units) the safety gate holds the bot to; default 0.1. */
  position_limit: z.number().positive({ error: 'expected a position (base units) > 0' }).optional(),
  /** A Prometheus endpoint of the bot and its quote-cycle histogram (ms buckets): then quote_cycle_p95_ms is measured. */
  metrics: z.strictObject({ url: z.string().min(1), histogram: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, { error: 'expected a Prometheus metric name' }) }).optional(),
  /** What on the bot's stderr counts as an unhandled error. */
  errors: z
    .strictObject({
      /** pino JSON lines at level ≥ 50 (error, fatal) without a `code` field. */
      pino: z.boolean().default(true),
      /** Any stderr line matching this regex (e.g. Python's "Traceback \\(most recent call last\\)"). */
      pattern: Regex.optional(),
    })
    .optional(),
});
export type BotSection = z.output<typeof BotSection>;

/** A fully resolved bot: what the runner starts. Paths are absolute. */
export interface BotSpec {
  /** Where the spec came from, for reports: 'reference bot', a scenario file, a --bot file or '--bot-cmd'. */
  readonly source: string;
  /** True for the reference bot (its config is validated against bot/config/schema.ts when a scenario loads). */
  readonly reference: boolean;
  readonly command: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly configTemplate: string | undefined;
  readonly overrides: Readonly<Record<string, unknown>>;
  readonly ready: 'quotes' | { readonly log: string } | { readonly http: string };
  readonly readyTimeoutMs: number;
  readonly stop: { readonly signal: StopSignal; readonly graceMs: number };
  readonly positionLimit: number;
  readonly metrics: { readonly url: string; readonly histogram: string } | undefined;
  readonly errors: { readonly pino: boolean; readonly pattern: string | undefined };
}

export const DEFAULT_POSITION_LIMIT = 0.1;
export const DEFAULT_READY_TIMEOUT_MS = 30_000;


let referenceCache: BotSection | undefined;

/** The reference bot's section (scenarios/bots/reference.yaml). */
export function referenceSection(): BotSection {
  if (referenceCache) return referenceCache;
  const r = BotSection.safeParse(parseYaml(readFileSync(REFERENCE_BOT_FILE, 'utf8')));
  if (!r.success) throw new ScenarioError(REFERENCE_BOT_FILE, r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  referenceCache = r.data;
  return r.data;
}

/**
 * Resolves a `bot` section into a spec. Without `command`: the reference bot with the section laid over it. `base`
 * is the directory relative paths are taken from (the repository root for scenario files; a --bot file's own
 * directory; the shell's for --bot-cmd).
 */
export function resolveBotSpec(section: BotSection, source: string, base = REPO_ROOT): BotSpec {
  const reference = section.command === undefined;
  const ref = reference ? referenceSection() : undefined;
  const at = (p: string | undefined, from: string) => (p === undefined ? undefined : isAbsolute(p) ? p : resolve(from, p));
  const command = section.command ?? ref!.command!;
  // The reference's own paths are repository paths; the section's are the caller's.
  const configTemplate = at(section.config_template, base) ?? at(ref?.config_template, REPO_ROOT);
  return {
    source: reference ? 'reference bot (scenarios/bots/reference.yaml)' : source,
    reference,
    command,
    cwd: at(section.cwd, base) ?? (reference ? REPO_ROOT : base),
    env: { ...ref?.env, ...section.env },
    configTemplate,
    overrides: section.overrides,
    ready: section.ready ?? ref?.ready ?? 'quotes',
    readyTimeoutMs: section.ready_timeout ?? ref?.ready_timeout ?? DEFAULT_READY_TIMEOUT_MS,
    stop: { signal: section.stop?.signal ?? ref?.stop?.signal ?? 'SIGTERM', graceMs: section.stop?.grace ?? ref?.stop?.grace ?? 20_000 },
    positionLimit: section.position_limit ?? ref?.position_limit ?? DEFAULT_POSITION_LIMIT,
    metrics: section.metrics ?? ref?.metrics,
    errors: { pino: section.errors?.pino ?? ref?.errors?.pino ?? true, pattern: section.errors?.pattern ?? ref?.errors?.pattern },
  };
}

/**
 * Every problem with a spec that can be found before running it: unknown placeholders in the command, env, ready URL,
 * metrics URL and the template (naming the template file), an unreadable template, overrides on a template that is
 * not YAML or JSON. Each line is `where: what`.
 */
export function checkBotSpec(spec: BotSpec): string[] {
  const problems: string[] = [];
  const known = spec.configTemplate ? BOT_ENV_NAMES : BOT_ENV_NAMES.filter((n) => n !== 'MMBENCH_CONFIG');
  const check = (where: string, text: string) => {
    for (const name of unknownPlaceholders(text, known)) {
      problems.push(
        name === 'MMBENCH_CONFIG'
          ? `${where}: \${MMBENCH_CONFIG} needs a config_template`
          : `${where}: unknown placeholder \${${name}} (known: ${known.map((k) => `\${${k}}`).join(', ')})`,
      );
    }
  };
  spec.command.forEach((a, i) => check(`bot.command[${i}]`, a));
  for (const [k, v] of Object.entries(spec.env)) check(`bot.env.${k}`, v);
  if (typeof spec.ready === 'object' && 'http' in spec.ready) check('bot.ready.http', spec.ready.http);
  if (spec.metrics) check('bot.metrics.url', spec.metrics.url);
  if (spec.configTemplate) {
    let text: string | undefined;
    try {
      text = readFileSync(spec.configTemplate, 'utf8');
    } catch (err) {
      problems.push(`bot.config_template: cannot read ${spec.configTemplate}: ${(err as Error).message}`);
    }
    if (text !== undefined) {
      for (const name of unknownPlaceholders(text, known)) problems.push(`bot.config_template: ${spec.configTemplate}: unknown placeholder \${${name}} (known: ${known.map((k) => `\${${k}}`).join(', ')})`);
      if (Object.keys(spec.overrides).length > 0 && configFormat(spec.configTemplate) === 'text') {
        problems.push(`bot.overrides: the template ${basename(spec.configTemplate)} is not YAML or JSON (by its extension), so overrides cannot be merged onto it`);
      }
    }
  } else if (Object.keys(spec.overrides).length > 0) {
    problems.push('bot.overrides: the bot has no config_template to merge them onto');
  }
  return problems;
}

type ConfigFormat = 'yaml' | 'json' | 'text';

/** By extension, ignoring a trailing .tmpl / .template. */
function configFormat(file: string): ConfigFormat {
  const ext = extname(file.replace(/\.(tmpl|template)$/, '')).toLowerCase();
  return ext === '.yaml' || ext === '.yml' ? 'yaml' : ext === '.json' ? 'json' : 'text';
}

/** The rendered config's file name in the run directory: bot.<ext of the template>. */
export function renderedConfigName(template: string): string {
  const ext = extname(template.replace(/\.(tmpl|template)$/, ''));
  return `bot${ext || '.conf'}`;
}

/**
 * The template rendered with `values`, and the overrides merged when there are any: the document a bot reads. The
 * header comment (YAML only) says where it came from.
 */
export function renderConfig(spec: BotSpec, values: Readonly<Record<string, string>>, header: string): string {
  const template = readFileSync(spec.configTemplate!, 'utf8');
  const text = renderTemplate(template, values);
  const format = configFormat(spec.configTemplate!);
  if (Object.keys(spec.overrides).length === 0) return format === 'yaml' ? `# ${header}\n${text}` : text;
  const doc = (format === 'json' ? JSON.parse(text) : parseYaml(text)) as Record<string, unknown>;
  const merged = deepMerge(doc ?? {}, spec.overrides as Record<string, unknown>);
  return format === 'json' ? `${JSON.stringify(merged, null, 2)}\n` : `# ${header}\n${stringifyYaml(merged)}`;
}

/**
 * `python3 bot.py --flag 'a b'` → argv, the way a POSIX shell splits words: single quotes literal, double quotes with
 * `\"` and `\\`, a backslash outside quotes escaping the next character. No expansion of any kind; throws on an
 * unterminated quote.
 */
export function splitCommand(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in ${JSON.stringify(line)}`);
      cur += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && (line[j + 1] === '"' || line[j + 1] === '\\')) j++;
        cur += line[j];
      }
      if (j >= line.length) throw new Error(`unterminated " in ${JSON.stringify(line)}`);
      i = j;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

/** The spec as one line for reports: `python3 examples/python-mm/bot.py (cwd /repo)`. */
export function commandLine(spec: Pick<BotSpec, 'command'>): string {
  return spec.command.map((a) => (/^[\w@%+=:,./${}-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** A bot spec file (`mmbench … --bot my-bot.yaml`): a `bot` section on its own, paths relative to the file. */
export function loadBotFile(file: string): BotSpec {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ScenarioError(file, [`cannot read: ${(err as Error).message.split('\n')[0]}`]);
  }
  const r = BotSection.safeParse(doc, { reportInput: true });
  if (!r.success) throw new ScenarioError(file, r.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`));
  const spec = resolveBotSpec(r.data, file, dirname(resolve(file)));
  const problems = checkBotSpec(spec);
  if (problems.length > 0) throw new ScenarioError(file, problems);
  return spec;
}
