/**
 * The bot as its own process: `node --import tsx bot/main.ts --config <generated file>` — exactly what `npm run bot`
 * runs, configured only through that file (the runner clears every MMBOT_* variable so nothing else leaks in).
 * stdout and stderr go to files; stderr (pino JSON) is also read line by line for the telemetry port of the startup
 * line and for unhandled errors (level ≥ 50 without a catalogue `code`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stringify as stringifyYaml } from 'yaml';
import type { Channel } from '../../chaos/driver.ts';
import type { Venue } from '../../sim-exchange/venue/venue.ts';
import { REPO_ROOT } from '../schema.ts';

export interface BotProcess {
  readonly child: ChildProcess;
  /** Resolves with the telemetry port once the startup line is printed; rejects if the process exits first. */
  readonly port: Promise<number>;
  /** Resolves with the exit code (null + signal when killed by a signal). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Log lines at level ≥ 50 (error, fatal) without a `code`, and lines that are not JSON at all on stderr (stack traces). */
  readonly uncoded: string[];
  /** Every coded warning/error seen: code → count. */
  readonly codes: Map<string, number>;
}

export function spawnBot(configPath: string, logs: { stdout: string; stderr: string }, env: NodeJS.ProcessEnv = process.env): BotProcess {
  const clean: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!k.startsWith('MMBOT_')) clean[k] = v;
  const child = spawn(process.execPath, ['--import', 'tsx', 'bot/main.ts', '--config', configPath], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: clean,
  });
  const out = createWriteStream(logs.stdout);
  const err = createWriteStream(logs.stderr);
  child.stdout!.pipe(out);
  child.stderr!.pipe(err);
  const uncoded: string[] = [];
  const codes = new Map<string, number>();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const port = new Promise<number>((resolve, reject) => {
    const rl = createInterface({ input: child.stderr! });
    let stackLines = 0;
    rl.on('line', (line) => {
      let rec: { level?: unknown; code?: unknown; msg?: unknown } | undefined;
      try {
        rec = JSON.parse(line) as typeof rec;
      } catch {
        rec = undefined;
      }
      if (!rec || typeof rec !== 'object') {
        // A stack trace or anything a crash prints: count the first line of each block once.
        if (line.trim().length > 0 && !/^\s+at /.test(line)) {
          if (stackLines++ < 1000) uncoded.push(line.slice(0, 500));
        }
        return;
      }
      if (typeof rec.code === 'string') codes.set(rec.code, (codes.get(rec.code) ?? 0) + 1);
      const level = typeof rec.level === 'number' ? rec.level : rec.level === 'fatal' ? 60 : rec.level === 'error' ? 50 : 0;
      if (level >= 50 && typeof rec.code !== 'string') uncoded.push(line.slice(0, 500));
      const m = typeof rec.msg === 'string' ? /telemetry on port (\d+)/.exec(rec.msg) : null;
      if (m) resolve(Number(m[1]));
    });
    void exited.then(({ code, signal }) => reject(new Error(`bot exited before it started (code ${code}, signal ${signal}); see its stderr log`)));
  });
  port.catch(() => undefined);
  return { child, port, exited, uncoded, codes };
}

/** Polls `url` until it answers 200; rejects after `timeoutMs` with the last status. */
export async function waitHttpOk(url: string, timeoutMs: number, abort?: Promise<unknown>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  let aborted = false;
  void abort?.then(() => (aborted = true), () => (aborted = true));
  for (;;) {
    if (aborted) throw new Error(`gave up waiting for ${url}: the process exited`);
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
      last = `HTTP ${r.status} ${(await r.text()).slice(0, 200)}`;
      if (r.ok) return;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${url} not healthy after ${timeoutMs} ms: ${last}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface LaunchOptions {
  /** The venue (in this process): the bot's first order is awaited on its account updates. */
  readonly venue: Venue;
  readonly botUid: number;
  readonly symbol: string;
  readonly account: { readonly apiKey: string; readonly secret: string };
  /** The bot's config document (example.yaml + overrides); its venue section is pointed at `endpoint`. */
  readonly botConfig: Record<string, unknown>;
  /** host:port of each channel's way in (the fault proxy). */
  readonly endpoint: (ch: Channel) => string;
  /** Where the generated config goes, and the comment line at its top. */
  readonly configPath: string;
  readonly header: string;
  readonly logsDir: string;
  /** Called with the process as soon as it is spawned, so the caller can stop it if a later wait fails. */
  readonly onSpawn: (p: BotProcess) => void;
  readonly timeoutMs: number;
}

/**
 * Starts the bot the way a scenario (and a soak) does: writes its config (venue URLs through the proxy, the bot's
 * keys, telemetry on any free port), spawns it, then waits for its telemetry port, its /healthz and its first order
 * at the venue (an event: the venue tells us on every account update). Resolves with the process and its telemetry
 * base URL.
 */
export async function launchBot(o: LaunchOptions): Promise<{ bot: BotProcess; telemetry: string }> {
  const ep = o.endpoint;
  const cfg = {
    ...o.botConfig,
    symbol: o.symbol,
    venue: {
      ...(o.botConfig['venue'] as object | undefined),
      restUrl: `http://${ep('rest')}`,
      wsPublicUrl: `ws://${ep('ws-public')}/v5/public/linear`,
      wsPrivateUrl: `ws://${ep('ws-private')}/v5/private`,
      wsTradeUrl: `ws://${ep('ws-trade')}/v5/trade`,
      apiKey: o.account.apiKey,
      apiSecret: o.account.secret,
    },
    telemetry: { ...(o.botConfig['telemetry'] as object | undefined), host: '127.0.0.1', port: 0 },
  };
  writeFileSync(o.configPath, `${o.header}\n${stringifyYaml(cfg)}`);
  const bot = spawnBot(o.configPath, { stdout: join(o.logsDir, 'bot.stdout.log'), stderr: join(o.logsDir, 'bot.stderr.log') });
  o.onSpawn(bot);
  const port = await Promise.race([
    bot.port,
    new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`bot printed no telemetry port within ${o.timeoutMs} ms`)), o.timeoutMs).unref()),
  ]);
  const telemetry = `http://127.0.0.1:${port}`;
  await waitHttpOk(`${telemetry}/healthz`, o.timeoutMs, bot.exited);
  const { venue, botUid, symbol } = o;
  await new Promise<void>((resolve, reject) => {
    if (venue.orders.openCount(botUid, symbol) > 0) return resolve();
    const timer = setTimeout(() => {
      off();
      reject(new Error(`the bot was healthy but placed no order within ${o.timeoutMs} ms`));
    }, o.timeoutMs);
    const off = venue.listen({
      onAccountUpdate: (uid) => {
        if (uid !== botUid || venue.orders.openCount(botUid, symbol) === 0) return;
        clearTimeout(timer);
        off();
        resolve();
      },
    });
    void bot.exited.then(() => {
      clearTimeout(timer);
      off();
      reject(new Error('the bot exited before it quoted'));
    });
  });
  return { bot, telemetry };
}
