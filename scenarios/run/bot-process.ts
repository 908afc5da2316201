/**
 * The bot under test as its own process (docs/any-bot.md): any command, started with the run's environment (the
 * MMBENCH_* variables of scenarios/bot-spec.ts, over the runner's own environment without its MMBENCH_* namespace),
 * stdout and stderr to logs/bot.stdout.log and logs/bot.stderr.log. Its stderr is read line by line for the unhandled
 * errors its spec names (pino JSON at level ≥ 50 without a `code`; lines matching `errors.pattern`), and both streams
 * for a `ready: {log}` pattern. The last lines of each are kept, so every verdict about the bot can quote them.
 *
 * Stopping: the spec's signal, then SIGKILL after the grace. A bot that cannot be spawned (no such command), exits
 * before it is ready, or never becomes ready is an error naming the cause and the last lines of its stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { commandLine, renderTemplate, type BotSpec } from '../bot-spec.ts';
import type { BotExit } from '../types.ts';

const TAIL_LINES = 20;
const MAX_ERROR_LINES = 1000;
/** Lines kept for a `ready: {log}` pattern asked for after its line was printed. */
const SEEN_LINES = 10_000;
/** After the exit, how long the pipes may take to hand over the last lines (a grandchild may hold them open). */
const DRAIN_MS = 500;

export interface BotProcess {
  readonly child: ChildProcess;
  readonly spec: BotSpec;
  /** The argv as started (placeholders filled in). */
  readonly argv: readonly string[];
  /** Resolves when the process has exited (or could not be spawned: code null, signal null, `spawnError` set). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Why it could not be spawned (e.g. `spawn python4 ENOENT`), once known. */
  spawnError: string | undefined;
  /** stderr lines the spec's error rules flag (the first MAX_ERROR_LINES, each cut to 500 characters). */
  readonly errorLines: string[];
  /** How many lines were flagged in all. */
  errorCount: number;
  /** Catalogue codes of coded pino lines: code → count. */
  readonly codes: Map<string, number>;
  /** The last lines of stderr and stdout. */
  tail(stream?: 'stderr' | 'stdout'): string[];
  /** Resolves when a line of stdout or stderr matches `re` (checked on every line from the start). */
  waitLine(re: RegExp): Promise<string>;
  /** True while the process runs. */
  readonly running: boolean;
}

/** A free TCP port on 127.0.0.1 (for MMBENCH_METRICS_PORT): bound, read, released. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Spawns the bot: argv and env values rendered with `values`, the environment = the runner's (minus MMBENCH_*) +
 * `values` + the spec's env. Never throws: a spawn failure shows in `exited` and `spawnError`.
 */
export function startBot(spec: BotSpec, values: Readonly<Record<string, string>>, logsDir: string): BotProcess {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MMBENCH_')) env[k] = v;
  Object.assign(env, values);
  for (const [k, v] of Object.entries(spec.env)) env[k] = renderTemplate(v, values);
  const argv = spec.command.map((a) => renderTemplate(a, values));
  const child = spawn(argv[0]!, argv.slice(1), { cwd: spec.cwd, stdio: ['ignore', 'pipe', 'pipe'], env });
  const out = createWriteStream(join(logsDir, 'bot.stdout.log'));
  const err = createWriteStream(join(logsDir, 'bot.stderr.log'));
  const tails = { stdout: [] as string[], stderr: [] as string[] };
  const waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  const seen: string[] = [];
  const pattern = spec.errors.pattern === undefined ? undefined : new RegExp(spec.errors.pattern);
  let resolveExit!: (r: { code: number | null; signal: NodeJS.Signals | null }) => void;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => (resolveExit = r));
  const proc: BotProcess = {
    child,
    spec,
    argv,
    exited,
    spawnError: undefined,
    errorLines: [],
    errorCount: 0,
    codes: new Map(),
    tail: (stream = 'stderr') => [...tails[stream]],
    waitLine(re) {
      const hit = seen.find((l) => re.test(l));
      if (hit !== undefined) return Promise.resolve(hit);
      return new Promise((resolve) => waiters.push({ re, resolve }));
    },
    get running() {
      return child.exitCode === null && child.signalCode === null && proc.spawnError === undefined;
    },
  };
  const onLine = (stream: 'stdout' | 'stderr', line: string) => {
    const t = tails[stream];
    t.push(line.slice(0, 500));
    if (t.length > TAIL_LINES) t.shift();
    if (seen.length < SEEN_LINES) seen.push(line);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i]!.re.test(line)) waiters.splice(i, 1)[0]!.resolve(line);
    }
    if (stream === 'stderr' && flagged(line, spec, proc.codes, pattern)) {
      proc.errorCount++;
      if (proc.errorLines.length < MAX_ERROR_LINES) proc.errorLines.push(line.slice(0, 500));
    }
  };
  const pipe = (src: Readable | null, file: WriteStream, stream: 'stdout' | 'stderr') => {
    if (!src) return;
    src.pipe(file);
    createInterface({ input: src }).on('line', (l) => onLine(stream, l));
  };
  pipe(child.stdout, out, 'stdout');
  pipe(child.stderr, err, 'stderr');
  child.once('error', (e) => {
    // ENOENT, EACCES: the command never ran; 'exit' does not follow.
    if (child.pid === undefined) {
      proc.spawnError = `${e.message}${(e as NodeJS.ErrnoException).code === 'ENOENT' ? ` (no such command or working directory: ${argv[0]} in ${spec.cwd})` : ''}`;
      out.end();
      err.end();
      resolveExit({ code: null, signal: null });
    }
  });
  child.once('exit', (code, signal) => {
    // The last lines (a crash's traceback) should be in the tail before anyone reads it: wait for the pipes to close.
    const done = () => resolveExit({ code, signal });
    const t = setTimeout(done, DRAIN_MS);
    child.once('close', () => {
      clearTimeout(t);
      done();
    });
  });
  return proc;
}

/** Whether a stderr line is an unhandled error under the spec's rules (and counts coded pino lines). */
function flagged(line: string, spec: BotSpec, codes: Map<string, number>, pattern: RegExp | undefined): boolean {
  if (spec.errors.pino && line.trimStart().startsWith('{')) {
    let rec: { level?: unknown; code?: unknown } | undefined;
    try {
      rec = JSON.parse(line) as typeof rec;
    } catch {
      rec = undefined;
    }
    if (rec && typeof rec === 'object') {
      if (typeof rec.code === 'string') codes.set(rec.code, (codes.get(rec.code) ?? 0) + 1);
      const level = typeof rec.level === 'number' ? rec.level : rec.level === 'fatal' ? 60 : rec.level === 'error' ? 50 : 0;
      if (level >= 50 && typeof rec.code !== 'string') return true;
    }
  }
  return pattern !== undefined && pattern.test(line);
}

/** A verdict about the bot (it could not start, exited, never became ready): its message is the whole story. */
export class BotVerdict extends Error {
  override name = 'BotVerdict';
}

/** `; last stderr: a | b | c` (the last `n` non-empty lines), or '' when it printed nothing. */
export function lastLines(bot: BotProcess, n = 5): string {
  const lines = bot.tail('stderr').filter((l) => l.trim() !== '').slice(-n);
  const outLines = lines.length > 0 ? [] : bot.tail('stdout').filter((l) => l.trim() !== '').slice(-n);
  if (lines.length > 0) return `; last stderr: ${lines.join(' | ')}`;
  if (outLines.length > 0) return `; last stdout: ${outLines.join(' | ')}`;
  return '; it printed nothing';
}

/** Why the bot is not running, as a sentence (spawn failure or exit), with its last lines. */
export function exitVerdict(bot: BotProcess, when: string): string {
  if (bot.spawnError !== undefined) return `the bot command could not start: ${bot.spawnError} (command: ${commandLine({ command: bot.argv })})`;
  const how = bot.child.signalCode !== null ? `signal ${bot.child.signalCode}` : `code ${bot.child.exitCode}`;
  return `the bot exited ${when} (${how})${lastLines(bot)}`;
}

/**
 * Stops the bot: the spec's signal, SIGKILL after its grace. Resolves with how it ended; `diedBeforeStop` when it had
 * already exited.
 */
export async function stopBot(bot: BotProcess): Promise<BotExit> {
  const signal = bot.spec.stop.signal;
  if (!bot.running) {
    const r = await bot.exited;
    return { code: r.code, signal: r.signal, stopSignal: signal, diedBeforeStop: true, killedAfterMs: null };
  }
  const t0 = performance.now();
  let killedAfterMs: number | null = null;
  bot.child.kill(signal);
  const timer = setTimeout(() => {
    killedAfterMs = Math.round(performance.now() - t0);
    bot.child.kill('SIGKILL');
  }, bot.spec.stop.graceMs);
  const r = await bot.exited;
  clearTimeout(timer);
  return { code: r.code, signal: r.signal, stopSignal: signal, diedBeforeStop: false, killedAfterMs };
}
