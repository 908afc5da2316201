#!/usr/bin/env node
/**
 * `npm run stress:ws -- [--profile default] [--public N] [--private M] [--duration s] [--rate r] [--target url [--control url --token t]]`
 *
 * WebSocket load generator (autocannon has no WebSocket support):
 * - N public connections on /v5/public/linear, each subscribed to orderbook.50.<symbol> and publicTrade.<symbol>.
 *   Every message: delivery latency = receive time − the message's `ts` (same machine, same clock; `ts` is integer
 *   ms, so the figure has ms resolution); orderbook `u` continuity per connection (a snapshot resets it; a delta whose
 *   `u` is not previous + 1 is a gap, or out of order when it goes back); publicTrade `seq` never going back.
 * - M private connections on /v5/trade, each authenticated with its own account, sending order.create (a PostOnly
 *   buy far below the market, it rests) and order.cancel (the oldest acknowledged order) alternately, at `rate`
 *   operations per second over all of them, paced by a 10 ms tick from the intended schedule (open loop: a slow ack
 *   does not delay the next send). Ack latency = send → reply with the same reqId.
 * - Every connection reconnects on an unexpected close, with backoff 100 ms × 2^k up to 5 s, at most 10 times.
 *
 * Without --target it starts the venue in a child process (stress/lib/venue-child.ts) with the calm background
 * market at 1×, so books change and trades print. Thresholds come from the profile (stress/profiles/ws/*.yaml);
 * exit 0 only when all hold. Writes .bench-out/stress-ws.json. See docs/stress.md.
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { realpathSync } from 'node:fs';
import WebSocket from 'ws';
import { hmacHex } from '../sim-exchange/bybit-v5/auth.ts';
import { loadWsProfile, ProfileError } from './profile.ts';
import { stressAccounts, type StressAccount } from './lib/accounts.ts';
import { percentilesMs, recordUs, usHistogram, fmtMs, type Percentiles } from './lib/hist.ts';
import { evaluate, exitCode, formatResults, type Metric } from './lib/thresholds.ts';
import { openTarget } from './lib/target.ts';
import { writeJson } from './lib/report.ts';
import { cpuLine, machine, stealPct } from './bench/harness.ts';

export interface WsLoadOptions {
  wsPublic: string;
  wsTrade: string;
  publicConns: number;
  privateConns: number;
  /** One per private connection (at least privateConns). */
  accounts: readonly StressAccount[];
  /** Order operations per second over all private connections. */
  rate: number;
  durationS: number;
  symbol?: string;
  maxReconnects?: number;
}

export interface WsLoadResult {
  durationS: number;
  public: {
    connections: number;
    messages: number;
    msgsPerSec: number;
    bookMessages: number;
    tradeMessages: number;
    snapshots: number;
    gaps: number;
    outOfOrder: number;
    delivery: Percentiles;
  };
  private: {
    connections: number;
    sent: number;
    acks: number;
    ackErrors: number;
    authFailures: number;
    /** (ack errors + auth failures) / (acks + auth failures). */
    ackErrorPct: number;
    unanswered: number;
    ack: Percentiles;
    errorSamples: string[];
  };
  reconnects: number;
  closes: Record<string, number>;
  genCpuPct: number;
}

const nowMs = (): number => performance.timeOrigin + performance.now();

interface Managed {
  stop(): void;
}

/** A connection that reconnects on unexpected close, with bounded exponential backoff. */
function managed(
  url: string,
  handlers: { open(ws: WebSocket): void; message(ws: WebSocket, text: string): void },
  stats: { reconnects: number; closes: Record<string, number> },
  maxReconnects: number,
): Managed {
  let stopped = false;
  let attempts = 0;
  let ws: WebSocket | undefined;
  let timer: NodeJS.Timeout | undefined;
  const connect = (): void => {
    const s = new WebSocket(url);
    ws = s;
    s.on('open', () => {
      attempts = 0;
      handlers.open(s);
    });
    s.on('message', (raw) => handlers.message(s, raw.toString()));
    s.on('error', () => {
      /* a close follows */
    });
    s.on('close', (code) => {
      if (stopped) return;
      stats.closes[String(code)] = (stats.closes[String(code)] ?? 0) + 1;
      if (attempts >= maxReconnects) return;
      const delay = Math.min(5000, 100 * 2 ** attempts++);
      stats.reconnects++;
      timer = setTimeout(connect, delay);
    });
  };
  connect();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      ws?.close();
    },
  };
}

export async function runWsLoad(o: WsLoadOptions): Promise<WsLoadResult> {
  const symbol = o.symbol ?? 'BTCUSDT';
  const maxReconnects = o.maxReconnects ?? 10;
  const conn = { reconnects: 0, closes: {} as Record<string, number> };
  const delivery = usHistogram();
  const ack = usHistogram();
  const pub = { messages: 0, book: 0, trade: 0, snapshots: 0, gaps: 0, outOfOrder: 0 };
  const priv = { sent: 0, acks: 0, errors: 0, authFailures: 0, samples: [] as string[] };
  const all: Managed[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = nowMs();
  const bookTopic = `orderbook.50.${symbol}`;

  for (let i = 0; i < o.publicConns; i++) {
    let lastU: number | undefined;
    let lastSeq = -1;
    all.push(
      managed(
        o.wsPublic,
        {
          open(ws) {
            lastU = undefined;
            ws.send(JSON.stringify({ op: 'subscribe', args: [bookTopic, `publicTrade.${symbol}`] }));
          },
          message(_ws, text) {
            const recv = nowMs();
            const m = JSON.parse(text) as { topic?: string; type?: string; ts?: number; data?: unknown };
            if (m.topic === undefined) return;
            pub.messages++;
            if (typeof m.ts === 'number') recordUs(delivery, (recv - m.ts) * 1000);
            if (m.topic === bookTopic) {
              pub.book++;
              const u = (m.data as { u: number }).u;
              if (m.type === 'snapshot') {
                pub.snapshots++;
                lastU = u;
              } else if (lastU !== undefined) {
                if (u > lastU + 1) pub.gaps += u - lastU - 1;
                else if (u <= lastU) pub.outOfOrder++;
                lastU = Math.max(lastU, u);
              }
            } else {
              pub.trade++;
              for (const t of m.data as { seq: number }[]) {
                if (t.seq < lastSeq) pub.outOfOrder++;
                lastSeq = Math.max(lastSeq, t.seq);
              }
            }
          },
        },
        conn,
        maxReconnects,
      ),
    );
  }

  const tag = Date.now().toString(36);
  const pacers: NodeJS.Timeout[] = [];
  const pending = new Map<string, number>();
  const perConnRate = o.privateConns > 0 ? o.rate / o.privateConns : 0;
  const authed: Promise<void>[] = [];
  for (let i = 0; i < o.privateConns; i++) {
    const acct = o.accounts[i]!;
    let ready = false;
    let resolveAuth: () => void = () => {};
    authed.push(new Promise<void>((r) => (resolveAuth = r)));
    const resting: string[] = [];
    const inflight = new Map<string, { op: string; linkId: string }>();
    let seq = 0;
    let sock: WebSocket | undefined;
    const m = managed(
      o.wsTrade,
      {
        open(ws) {
          sock = ws;
          ready = false;
          resting.length = 0;
          const expires = Date.now() + 10_000;
          ws.send(JSON.stringify({ op: 'auth', args: [acct.apiKey, expires, hmacHex(acct.secret, `GET/realtime${expires}`)] }));
        },
        message(_ws, text) {
          const recv = nowMs();
          const r = JSON.parse(text) as { op?: string; reqId?: string; retCode?: number; retMsg?: string };
          if (r.op === 'auth') {
            if (r.retCode === 0) {
              ready = true;
              resolveAuth();
            } else {
              priv.authFailures++;
              resolveAuth();
              if (priv.samples.length < 5) priv.samples.push(`auth ${text.slice(0, 200)}`);
            }
            return;
          }
          if (r.reqId === undefined) return;
          const sent = pending.get(r.reqId);
          const what = inflight.get(r.reqId);
          if (sent === undefined || what === undefined) return;
          pending.delete(r.reqId);
          inflight.delete(r.reqId);
          priv.acks++;
          recordUs(ack, (recv - sent) * 1000);
          if (r.retCode !== 0) {
            priv.errors++;
            if (priv.samples.length < 5) priv.samples.push(text.slice(0, 200));
          } else if (what.op === 'order.create') resting.push(what.linkId);
        },
      },
      conn,
      maxReconnects,
    );
    all.push(m);
    if (perConnRate > 0) {
      const start = nowMs();
      let done = 0;
      let k = 0;
      pacers.push(
        setInterval(() => {
          // Open loop: as many sends as the schedule says are due, whatever the acks.
          const due = Math.floor(((nowMs() - start) / 1000) * perConnRate);
          while (done < due) {
            done++;
            if (!ready || sock?.readyState !== WebSocket.OPEN) continue;
            const reqId = `${tag}-${i}-${seq++}`;
            const cancel = resting.length > 0 && (k++ % 2 === 1 || resting.length >= 20);
            let msg: object;
            let linkId: string;
            const header = { 'X-BAPI-TIMESTAMP': String(Date.now()), 'X-BAPI-RECV-WINDOW': '5000' };
            if (cancel) {
              linkId = resting.shift()!;
              msg = { reqId, header, op: 'order.cancel', args: [{ category: 'linear', symbol, orderLinkId: linkId }] };
            } else {
              linkId = `w${reqId}`.slice(0, 36);
              const price = (1000 + (seq % 1000) / 10).toFixed(1);
              msg = { reqId, header, op: 'order.create', args: [{ category: 'linear', symbol, side: 'Buy', orderType: 'Limit', qty: '0.010', price, timeInForce: 'PostOnly', orderLinkId: linkId }] };
            }
            inflight.set(reqId, { op: cancel ? 'order.cancel' : 'order.create', linkId });
            pending.set(reqId, nowMs());
            priv.sent++;
            sock.send(JSON.stringify(msg));
          }
        }, 10),
      );
    }
  }
  // Bounded: the run lasts durationS whatever happens; auth waits at most 5 s inside it.
  await Promise.race([Promise.all(authed), new Promise((r) => setTimeout(r, 5000))]);
  const elapsed = nowMs() - t0;
  await new Promise((r) => setTimeout(r, Math.max(0, o.durationS * 1000 - elapsed)));
  for (const p of pacers) clearInterval(p);
  // A short grace for acks in flight.
  await new Promise((r) => setTimeout(r, 200));
  const wallS = (nowMs() - t0) / 1000;
  for (const m of all) m.stop();
  const cpu = process.cpuUsage(cpu0);
  const result: WsLoadResult = {
    durationS: o.durationS,
    public: {
      connections: o.publicConns,
      messages: pub.messages,
      msgsPerSec: pub.messages / wallS,
      bookMessages: pub.book,
      tradeMessages: pub.trade,
      snapshots: pub.snapshots,
      gaps: pub.gaps,
      outOfOrder: pub.outOfOrder,
      delivery: percentilesMs(delivery),
    },
    private: {
      connections: o.privateConns,
      sent: priv.sent,
      acks: priv.acks,
      ackErrors: priv.errors,
      authFailures: priv.authFailures,
      ackErrorPct: priv.acks + priv.authFailures > 0 ? (100 * (priv.errors + priv.authFailures)) / (priv.acks + priv.authFailures) : 0,
      unanswered: pending.size,
      ack: percentilesMs(ack),
      errorSamples: priv.samples,
    },
    reconnects: conn.reconnects,
    closes: conn.closes,
    genCpuPct: (100 * (cpu.user + cpu.system)) / 1000 / (wallS * 1000),
  };
  delivery.destroy();
  ack.destroy();
  return result;
}

/**
 * Threshold metrics: `delivery.{p50,p90,p95,p99,max,mean}` and `ack.{…}` (ms), `msgs` (delivered messages/s over all
 * public connections), `gaps`, `out_of_order`, `reconnects`, `acks`, `unanswered`, `auth_failures` (counts), `ack_errors`
 * (% of acks with retCode ≠ 0, auth failures included).
 */
export function wsMetrics(r: WsLoadResult): Record<string, Metric> {
  const m: Record<string, Metric> = {};
  for (const k of ['p50', 'p90', 'p95', 'p99', 'max', 'mean'] as const) {
    m[`delivery.${k}`] = { kind: 'time', value: r.public.delivery[k] };
    m[`ack.${k}`] = { kind: 'time', value: r.private.ack[k] };
  }
  m.msgs = { kind: 'rate', value: r.public.msgsPerSec };
  m.gaps = { kind: 'count', value: r.public.gaps };
  m.out_of_order = { kind: 'count', value: r.public.outOfOrder };
  m.reconnects = { kind: 'count', value: r.reconnects };
  m.acks = { kind: 'count', value: r.private.acks };
  m.unanswered = { kind: 'count', value: r.private.unanswered };
  m.ack_errors = { kind: 'percent', value: r.private.ackErrorPct };
  m.auth_failures = { kind: 'count', value: r.private.authFailures };
  return m;
}

const USAGE = 'usage: npm run stress:ws -- [--profile default] [--public N] [--private M] [--duration s] [--rate r] [--target url [--control url --token t]]';

async function main(): Promise<void> {
  let a;
  try {
    a = parseArgs({
      options: {
        profile: { type: 'string', default: 'default' },
        public: { type: 'string' },
        private: { type: 'string' },
        duration: { type: 'string' },
        rate: { type: 'string' },
        target: { type: 'string' },
        control: { type: 'string' },
        token: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (a.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let p;
  try {
    p = loadWsProfile(a.profile);
  } catch (err) {
    if (err instanceof ProfileError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const num = (v: string | undefined, name: string, dflt: number): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) {
      process.stderr.write(`--${name} must be a non-negative number\n${USAGE}\n`);
      process.exit(2);
    }
    return n;
  };
  const publicConns = Math.floor(num(a.public, 'public', p.public));
  const privateConns = Math.floor(num(a.private, 'private', p.private));
  const durationS = num(a.duration, 'duration', p.durationS);
  const rate = num(a.rate, 'rate', p.rate);
  const accounts = stressAccounts(Math.max(1, privateConns));
  const target = await openTarget({ target: a.target, control: a.control, token: a.token, accounts, staticBook: false, market: true, seed: 1 });
  let code = 1;
  try {
    const base = target.rest.replace(/^http/, 'ws');
    console.log(`stress:ws ${p.name} — ${publicConns} public (orderbook.50 + publicTrade), ${privateConns} private at ${rate} orders/s, ${durationS} s → ${base}${target.venue ? ' (venue child, calm market)' : ''}`);
    const c0 = cpuLine();
    const v0 = await target.cpuMs();
    const r = await runWsLoad({ wsPublic: `${base}/v5/public/linear`, wsTrade: `${base}/v5/trade`, publicConns, privateConns, accounts, rate, durationS, symbol: p.symbol });
    const v1 = await target.cpuMs();
    const steal = stealPct(c0, cpuLine());
    const venueCpuPct = v0 !== null && v1 !== null ? (100 * (v1 - v0)) / (durationS * 1000) : null;
    const m = machine();
    const d = r.public.delivery;
    const k = r.private.ack;
    console.log(`machine: ${m.cpu} × ${m.cores}, node ${m.node}, loadavg ${m.loadavg.map((x) => x.toFixed(2)).join(' ')}, steal ${steal.toFixed(2)} %`);
    console.log(`public:  ${r.public.messages} messages (${r.public.bookMessages} book, ${r.public.tradeMessages} trade), ${r.public.msgsPerSec.toFixed(0)} msgs/s; delivery ms p50 / p95 / p99 / max ${[d.p50, d.p95, d.p99, d.max].map(fmtMs).join(' / ')}; u gaps ${r.public.gaps}, out of order ${r.public.outOfOrder}`);
    console.log(`private: ${r.private.sent} sent, ${r.private.acks} acks (${r.private.ackErrors} errors, ${r.private.unanswered} unanswered); ack ms p50 / p95 / p99 / max ${[k.p50, k.p95, k.p99, k.max].map(fmtMs).join(' / ')}`);
    console.log(`reconnects ${r.reconnects}${Object.keys(r.closes).length > 0 ? ` (closes ${JSON.stringify(r.closes)})` : ''}; gen CPU ${r.genCpuPct.toFixed(0)} %, venue CPU ${venueCpuPct === null ? 'n/a' : `${venueCpuPct.toFixed(0)} %`}`);
    if (r.private.errorSamples.length > 0) console.log(`sample failures: ${r.private.errorSamples.join(' | ')}`);
    const th = evaluate(p.parsedThresholds, wsMetrics(r));
    code = exitCode(th);
    console.log('thresholds:');
    console.log(formatResults(th));
    console.log(`result: ${code === 0 ? 'PASS' : 'FAIL'} (exit ${code})`);
    writeJson('.bench-out/stress-ws.json', { tool: 'stress:ws', at: new Date().toISOString(), profile: p.name, params: { publicConns, privateConns, rate, durationS, target: target.rest }, machine: m, stealPct: steal, venueCpuPct, result: r, thresholds: th, pass: code === 0 });
    console.log('wrote .bench-out/stress-ws.json');
  } finally {
    await target.close();
  }
  process.exit(code);
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
