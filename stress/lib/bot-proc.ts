/**
 * The bot as its own process for `stress:find-limit --with-bot`: `node --import tsx bot/main.ts --config <tmp>` (what
 * `npm run bot` runs), with a config generated from bot/config/example.yaml: the venue URLs of the stress venue, the
 * bot's account (stress/lib/accounts.ts BOT_ACCOUNT), telemetry.port 0. The telemetry port is read from the bot's
 * startup log line (pino JSON on stderr, `telemetryPort`), then its /metrics is scraped for mmbot_quote_cycle_ms.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { BOT_ACCOUNT } from './accounts.ts';
import type { VenueUrls } from './venue.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface BotProc {
  readonly metricsUrl: string;
  scrape(): Promise<Buckets>;
  stop(): Promise<number | null>;
}

/** Cumulative bucket counts by upper bound (le), summed over label sets; +Inf as Infinity. */
export type Buckets = Map<number, number>;

export function botConfig(v: VenueUrls): Record<string, unknown> {
  const base = parseYaml(readFileSync(join(ROOT, 'bot/config/example.yaml'), 'utf8')) as Record<string, unknown>;
  return {
    ...base,
    venue: { ...(base.venue as object), restUrl: v.rest, wsPublicUrl: v.wsPublic, wsPrivateUrl: v.wsPrivate, wsTradeUrl: v.wsTrade, apiKey: BOT_ACCOUNT.apiKey, apiSecret: BOT_ACCOUNT.secret },
    telemetry: { ...(base.telemetry as object), host: '127.0.0.1', port: 0, logLevel: 'info' },
  };
}

export function parseBuckets(text: string, name = 'mmbot_quote_cycle_ms'): Buckets {
  const out: Buckets = new Map();
  const re = new RegExp(`^${name}_bucket\\{([^}]*)\\}\\s+([0-9.eE+-]+)`);
  for (const line of text.split('\n')) {
    const m = re.exec(line);
    if (!m) continue;
    const le = /le="([^"]+)"/.exec(m[1]!)?.[1];
    if (le === undefined) continue;
    const k = le === '+Inf' ? Infinity : Number(le);
    out.set(k, (out.get(k) ?? 0) + Number(m[2]));
  }
  return out;
}

/**
 * The q-quantile of the observations between two scrapes, interpolated linearly inside the bucket, as Prometheus'
 * histogram_quantile does (the answer is the bucket's upper bound at worst). null when nothing was observed.
 */
export function quantileBetween(a: Buckets, b: Buckets, q: number): { value: number | null; count: number } {
  const les = [...b.keys()].sort((x, y) => x - y);
  const d = les.map((le) => (b.get(le) ?? 0) - (a.get(le) ?? 0));
  const total = d[d.length - 1] ?? 0;
  if (total <= 0) return { value: null, count: 0 };
  const rank = q * total;
  let prevLe = 0;
  let prevC = 0;
  for (let i = 0; i < les.length; i++) {
    const le = les[i]!;
    const c = d[i]!;
    if (c >= rank) {
      if (le === Infinity) return { value: prevLe, count: total };
      const inBucket = c - prevC;
      return { value: inBucket > 0 ? prevLe + ((le - prevLe) * (rank - prevC)) / inBucket : le, count: total };
    }
    prevLe = le;
    prevC = c;
  }
  return { value: prevLe, count: total };
}

export async function startBotProc(v: VenueUrls): Promise<BotProc> {
  const dir = mkdtempSync(join(tmpdir(), 'mm-bench-stress-bot-'));
  const cfg = join(dir, 'bot.yaml');
  writeFileSync(cfg, stringifyYaml(botConfig(v)));
  const proc: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bot/main.ts'), '--config', cfg], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  const tail: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bot did not start in 30 s:\n${tail.join('\n')}`)), 30_000);
    let buf = '';
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (chunk: string) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        tail.push(line);
        if (tail.length > 20) tail.shift();
        try {
          const j = JSON.parse(line) as { telemetryPort?: number; event?: string };
          if (j.event === 'started' && typeof j.telemetryPort === 'number') {
            clearTimeout(timer);
            resolve(j.telemetryPort);
          }
        } catch {
          /* not JSON */
        }
      }
    });
    proc.once('exit', (c) => {
      clearTimeout(timer);
      reject(new Error(`bot exited ${c} before it started:\n${tail.join('\n')}`));
    });
  });
  proc.removeAllListeners('exit');
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  return {
    metricsUrl,
    async scrape() {
      const r = await fetch(metricsUrl);
      return parseBuckets(await r.text());
    },
    async stop() {
      const exited = new Promise<number | null>((r) => (proc.exitCode !== null ? r(proc.exitCode) : proc.once('exit', (c) => r(c))));
      proc.kill('SIGTERM');
      let t: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited, new Promise<null>((r) => (t = setTimeout(() => r(null), 15_000)))]);
      clearTimeout(t);
      if (proc.exitCode === null) proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}
