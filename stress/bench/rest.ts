/**
 * REST benchmark: authenticated order create + cancel through the whole venue stack (signature check, validation,
 * rate limiter, engine, private-stream pushes to a subscribed WS client, journal) against a bare fastify JSON route
 * receiving the same signed requests. Both servers run in child processes (stress/bench/rest-server.ts) so the load
 * generator does not share their event loop; both are measured in the same run with the same settings.
 *
 *   npm run bench:rest
 *   BENCH_CONNS=10 BENCH_DURATION_S=10 BENCH_LAT_CLIENTS=4 BENCH_LAT_S=6 npm run bench:rest
 *   BENCH_PROF=1 npm run bench:rest     (venue child runs with --cpu-prof into .bench-out/prof/)
 *   Diagnostics (not the benchmark): BENCH_NO_PRIVATE_WS=1, BENCH_NO_JOURNAL=1 leave those parts out of the venue run;
 *   BENCH_RATE=<req/s> offers a fixed rate (profile an unsaturated server);
 *   BENCH_LAYER=plumbing|floor|routes runs that layer of the venue instead of the whole stack (rest-server.ts).
 *
 * Phases per target: warm-up (2 s autocannon), throughput (autocannon, BENCH_DURATION_S), then a closed-loop latency
 * phase with BENCH_LAT_CLIENTS concurrent keep-alive clients timing each request with process.hrtime.bigint() into an
 * HDR histogram (µs), because autocannon's own histogram has 1 ms resolution.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import * as hdr from 'hdr-histogram-js';
import WebSocket from 'ws';
import { hmacHex } from '../../sim-exchange/bybit-v5/auth.ts';
import { cpuLine, stealPct, machine as machineInfo, startChild, type Child } from './harness.ts';

const CONNS = Number(process.env.BENCH_CONNS ?? 10);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 2);
const LAT_CLIENTS = Number(process.env.BENCH_LAT_CLIENTS ?? 4);
const LAT_S = Number(process.env.BENCH_LAT_S ?? 6);
const PROF = process.env.BENCH_PROF === '1';
// Diagnostics only (the default is the full stack): leave out the private WS subscriber / the journal.
const NO_PRIVATE_WS = process.env.BENCH_NO_PRIVATE_WS === '1';
const NO_JOURNAL = process.env.BENCH_NO_JOURNAL === '1';
// Diagnostics: a fixed offered rate (req/s, autocannon overallRate) instead of as fast as possible, so a CPU profile
// of an unsaturated server attributes time to code rather than to preemption.
const RATE = process.env.BENCH_RATE === undefined ? undefined : Number(process.env.BENCH_RATE);
// Diagnostics: one layer of the venue (rest-server.ts) in place of the whole stack.
const LAYER = process.env.BENCH_LAYER;
if (LAYER !== undefined && !['plumbing', 'floor', 'routes'].includes(LAYER)) {
  console.error(`BENCH_LAYER must be plumbing, floor or routes (got ${LAYER})`);
  process.exit(2);
}
const DIAGNOSTIC = NO_PRIVATE_WS || NO_JOURNAL || RATE !== undefined || LAYER !== undefined;
const GOAL_RATIO = 0.6;
const API_KEY = 'benchkey01';
const SECRET = 'benchsecret01';
const RECV = '5000';
const SERVER = fileURLToPath(new URL('./rest-server.ts', import.meta.url));

// ------------------------------------------------------------------------------------------------------------------
// Signed requests

let linkSeq = 0;
const runTag = Date.now().toString(36);
function nextLinkId(): string {
  return `b${runTag}${(linkSeq++).toString(36)}`;
}
function signed(body: string): Record<string, string> {
  const ts = String(Date.now());
  return {
    'content-type': 'application/json',
    'X-BAPI-API-KEY': API_KEY,
    'X-BAPI-TIMESTAMP': ts,
    'X-BAPI-RECV-WINDOW': RECV,
    'X-BAPI-SIGN': hmacHex(SECRET, ts + API_KEY + RECV + body),
  };
}
// Far below any market: a PostOnly buy at 1000.0 rests (notional 0.01 × 1000 = 10 USDT ≥ min 5).
function createBody(linkId: string): string {
  return JSON.stringify({
    category: 'linear',
    symbol: 'BTCUSDT',
    side: 'Buy',
    orderType: 'Limit',
    qty: '0.010',
    price: '1000.0',
    timeInForce: 'PostOnly',
    orderLinkId: linkId,
  });
}
function cancelBody(linkId: string): string {
  return JSON.stringify({ category: 'linear', symbol: 'BTCUSDT', orderLinkId: linkId });
}

interface Counts {
  ok: number;
  bad: number;
  samples: string[];
}

interface CannonRun {
  reqPerSec: number;
  total: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  retOk: number;
  retBad: number;
  badSamples: string[];
  latencyMs: { p50: number; p99: number };
  genCpuMs: number;
}

async function cannon(port: number, seconds: number): Promise<CannonRun> {
  const counts: Counts = { ok: 0, bad: 0, samples: [] };
  const onResponse = (status: number, body: string): void => {
    if (status === 200 && body.includes('"retCode":0')) counts.ok++;
    else {
      counts.bad++;
      if (counts.samples.length < 5) counts.samples.push(`${status} ${body.slice(0, 200)}`);
    }
  };
  const cpu0 = process.cpuUsage();
  const r = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNS,
    pipelining: 1,
    duration: seconds,
    ...(RATE !== undefined ? { overallRate: RATE } : {}),
    requests: [
      {
        method: 'POST',
        path: '/v5/order/create',
        setupRequest: (req, ctx) => {
          const id = nextLinkId();
          (ctx as { linkId?: string }).linkId = id;
          const body = createBody(id);
          return { ...req, body, headers: signed(body) };
        },
        onResponse,
      },
      {
        method: 'POST',
        path: '/v5/order/cancel',
        setupRequest: (req, ctx) => {
          const body = cancelBody((ctx as { linkId?: string }).linkId ?? 'none');
          return { ...req, body, headers: signed(body) };
        },
        onResponse,
      },
    ],
  });
  const cpu = process.cpuUsage(cpu0);
  return {
    reqPerSec: r.requests.average,
    total: r.requests.total,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    retOk: counts.ok,
    retBad: counts.bad,
    badSamples: counts.samples,
    latencyMs: { p50: r.latency.p50, p99: r.latency.p99 },
    genCpuMs: (cpu.user + cpu.system) / 1000,
  };
}

// ------------------------------------------------------------------------------------------------------------------
// Closed-loop latency (µs)

function post(agent: http.Agent, port: number, path: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: signed(body) }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => resolve(data));
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface LatRun {
  count: number;
  errors: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  create: { p50: number; p99: number };
  cancel: { p50: number; p99: number };
}

async function latency(port: number, seconds: number): Promise<LatRun> {
  const all = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const cre = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const can = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  let errors = 0;
  const end = Date.now() + seconds * 1000;
  const client = async (): Promise<void> => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    // Bounded: stops at the deadline.
    while (Date.now() < end) {
      const id = nextLinkId();
      for (const [path, body, h] of [
        ['/v5/order/create', createBody(id), cre],
        ['/v5/order/cancel', cancelBody(id), can],
      ] as const) {
        const t0 = process.hrtime.bigint();
        const res = await post(agent, port, path, body);
        const us = Number(process.hrtime.bigint() - t0) / 1000;
        if (!res.includes('"retCode":0')) errors++;
        all.recordValue(Math.max(1, Math.round(us)));
        h.recordValue(Math.max(1, Math.round(us)));
      }
    }
    agent.destroy();
  };
  await Promise.all(Array.from({ length: LAT_CLIENTS }, client));
  const r = {
    count: all.totalCount,
    errors,
    p50: all.getValueAtPercentile(50),
    p95: all.getValueAtPercentile(95),
    p99: all.getValueAtPercentile(99),
    max: all.maxValue,
    create: { p50: cre.getValueAtPercentile(50), p99: cre.getValueAtPercentile(99) },
    cancel: { p50: can.getValueAtPercentile(50), p99: can.getValueAtPercentile(99) },
  };
  all.destroy();
  cre.destroy();
  can.destroy();
  return r;
}

// ------------------------------------------------------------------------------------------------------------------
// Private stream client

async function privateClient(url: string): Promise<{ ws: WebSocket; pushes: { order: number; execution: number; other: number } }> {
  const ws = new WebSocket(url);
  const pushes = { order: 0, execution: 0, other: 0 };
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => resolve());
  });
  const expires = Date.now() + 10_000;
  const acked = new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('private ws: no subscribe ack')), 5000);
    ws.on('message', (raw) => {
      const text = raw.toString();
      if (text.startsWith('{"topic":"order"') || text.includes('"topic":"order"')) pushes.order++;
      else if (text.includes('"topic":"execution"')) pushes.execution++;
      else {
        const m = JSON.parse(text) as { op?: string; success?: boolean; ret_msg?: string };
        if (m.op === 'auth' && m.success === false) reject(new Error(`private ws auth failed: ${text}`));
        else if (m.op === 'subscribe') {
          clearTimeout(t);
          if (m.success === false) reject(new Error(`private ws subscribe failed: ${text}`));
          else resolve();
        } else pushes.other++;
      }
    });
  });
  ws.send(JSON.stringify({ op: 'auth', args: [API_KEY, expires, hmacHex(SECRET, `GET/realtime${expires}`)] }));
  ws.send(JSON.stringify({ op: 'subscribe', args: ['order', 'execution'] }));
  await acked;
  // Keep the connection alive past any idle policy during the bench.
  const ping = setInterval(() => ws.send('{"op":"ping"}'), 15_000);
  ws.once('close', () => clearInterval(ping));
  return { ws, pushes };
}

// ------------------------------------------------------------------------------------------------------------------

interface TargetResult {
  throughput: CannonRun;
  latencyUs: LatRun;
  serverCpuMs: number;
}

async function runTarget(target: 'venue' | 'baseline'): Promise<{ res: TargetResult; extra: Record<string, unknown> }> {
  const mode = target === 'venue' && LAYER !== undefined ? LAYER : target;
  const child: Child<{ port: number; wsPrivate?: string }> = await startChild(SERVER, [mode], {
    execArgv: PROF ? ['--cpu-prof', '--cpu-prof-dir=.bench-out/prof'] : [],
    env: { BENCH_API_KEY: API_KEY, BENCH_SECRET: SECRET },
  });
  const { port, wsPrivate } = child.ready;
  let pc: Awaited<ReturnType<typeof privateClient>> | undefined;
  if (mode === 'venue' && !NO_PRIVATE_WS) pc = await privateClient(wsPrivate!);
  process.stdout.write(`[${mode}] port ${port}: warm-up ${WARMUP_S}s … `);
  await cannon(port, WARMUP_S);
  const s0 = await child.request<{ cpu: NodeJS.CpuUsage }>({ cmd: 'stats' }, 'stats');
  process.stdout.write(`throughput ${DURATION_S}s … `);
  const throughput = await cannon(port, DURATION_S);
  const s1 = await child.request<{ cpu: NodeJS.CpuUsage }>({ cmd: 'stats' }, 'stats');
  process.stdout.write(`latency ${LAT_S}s … `);
  const latencyUs = await latency(port, LAT_S);
  await new Promise((r) => setTimeout(r, 200));
  const s2 = await child.request<Record<string, unknown>>({ cmd: 'stats' }, 'stats');
  const extra: Record<string, unknown> = {};
  if (pc) {
    extra.privatePushes = { ...pc.pushes };
    extra.openOrdersAtEnd = s2.openOrders;
    extra.journalRecords = s2.journalRecords;
    pc.ws.close();
  }
  const closed = await child.request<Record<string, unknown>>({ cmd: 'close' }, 'closed');
  if (closed.journalBytes !== undefined) extra.journalBytes = closed.journalBytes;
  await new Promise((r) => (child.proc.exitCode === null ? child.proc.once('exit', r) : r(null)));
  console.log('done');
  const serverCpuMs = (s1.cpu.user - s0.cpu.user + s1.cpu.system - s0.cpu.system) / 1000;
  return { res: { throughput, latencyUs, serverCpuMs }, extra };
}

const stat0 = cpuLine();
const started = Date.now();
const base = await runTarget('baseline');
const ours = await runTarget('venue');
const stat1 = cpuLine();
const steal = stealPct(stat0, stat1);

const ratio = ours.res.throughput.reqPerSec / base.res.throughput.reqPerSec;
const pass = ratio >= GOAL_RATIO;
const errorsOurs =
  ours.res.throughput.errors + ours.res.throughput.timeouts + ours.res.throughput.non2xx + ours.res.throughput.retBad + ours.res.latencyUs.errors;
const errorsBase =
  base.res.throughput.errors + base.res.throughput.timeouts + base.res.throughput.non2xx + base.res.throughput.retBad + base.res.latencyUs.errors;

const machine = { ...machineInfo(), platform: `${os.platform()} ${os.release()}` };

const pad = (s: string, n: number): string => s.padEnd(n);
const fmt = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const rows: [string, string, string, string][] = [
  ['req/s (autocannon, create+cancel)', fmt(ours.res.throughput.reqPerSec), fmt(base.res.throughput.reqPerSec), `${fmt(ratio, 3)}×`],
  ['requests (throughput phase)', fmt(ours.res.throughput.total), fmt(base.res.throughput.total), ''],
  ['latency p50 µs (closed loop)', fmt(ours.res.latencyUs.p50), fmt(base.res.latencyUs.p50), ''],
  ['latency p95 µs', fmt(ours.res.latencyUs.p95), fmt(base.res.latencyUs.p95), ''],
  ['latency p99 µs', fmt(ours.res.latencyUs.p99), fmt(base.res.latencyUs.p99), ''],
  ['  create p50/p99 µs', `${fmt(ours.res.latencyUs.create.p50)}/${fmt(ours.res.latencyUs.create.p99)}`, `${fmt(base.res.latencyUs.create.p50)}/${fmt(base.res.latencyUs.create.p99)}`, ''],
  ['  cancel p50/p99 µs', `${fmt(ours.res.latencyUs.cancel.p50)}/${fmt(ours.res.latencyUs.cancel.p99)}`, `${fmt(base.res.latencyUs.cancel.p50)}/${fmt(base.res.latencyUs.cancel.p99)}`, ''],
  ['autocannon p50/p99 ms', `${ours.res.throughput.latencyMs.p50}/${ours.res.throughput.latencyMs.p99}`, `${base.res.throughput.latencyMs.p50}/${base.res.throughput.latencyMs.p99}`, ''],
  ['errors (transport+non2xx+retCode≠0)', fmt(errorsOurs), fmt(errorsBase), ''],
  ['server CPU ms (throughput phase)', fmt(ours.res.serverCpuMs), fmt(base.res.serverCpuMs), ''],
  [
    'server CPU µs per request',
    fmt((1000 * ours.res.serverCpuMs) / ours.res.throughput.total),
    fmt((1000 * base.res.serverCpuMs) / base.res.throughput.total),
    `${fmt(ours.res.serverCpuMs / ours.res.throughput.total / (base.res.serverCpuMs / base.res.throughput.total), 2)}×`,
  ],
  ['load-gen CPU ms (throughput phase)', fmt(ours.res.throughput.genCpuMs), fmt(base.res.throughput.genCpuMs), ''],
];
console.log('');
console.log(`bench:rest  connections=${CONNS} duration=${DURATION_S}s latency-clients=${LAT_CLIENTS} latency=${LAT_S}s`);
if (DIAGNOSTIC)
  console.log(
    `DIAGNOSTIC RUN: ${LAYER !== undefined ? `layer ${LAYER}` : `private WS ${NO_PRIVATE_WS ? 'off' : 'on'}, journal ${NO_JOURNAL ? 'off' : 'on'}`}, ` +
      `rate ${RATE ?? 'max'} — not the benchmark figure`,
  );
console.log(`machine: ${machine.cpu} × ${machine.cores}, node ${machine.node}, steal ${fmt(steal, 2)}% over the run`);
console.log('');
console.log(`${pad('metric', 38)}${pad('ours', 16)}${pad('baseline', 16)}ratio`);
console.log('-'.repeat(78));
for (const [m, a, b, c] of rows) console.log(`${pad(m, 38)}${pad(a, 16)}${pad(b, 16)}${c}`);
console.log('-'.repeat(78));
console.log(`throughput ratio ${fmt(ratio, 3)}× vs goal ≥ ${GOAL_RATIO}×: ${DIAGNOSTIC ? 'no verdict (diagnostic run)' : pass ? 'PASS' : 'FAIL'}`);
if (LAYER === undefined) {
  console.log(
    `verification: retCode 0 ${fmt(ours.res.throughput.retOk)} / other ${fmt(ours.res.throughput.retBad)}; open orders at end ${String(ours.extra.openOrdersAtEnd)}; ` +
      `private pushes ${JSON.stringify(ours.extra.privatePushes)}; journal records ${String(ours.extra.journalRecords)} (${String(ours.extra.journalBytes)} bytes)`,
  );
}
if (ours.res.throughput.badSamples.length > 0) console.log('sample failures:', ours.res.throughput.badSamples);

mkdirSync('.bench-out', { recursive: true });
const outFile = DIAGNOSTIC ? '.bench-out/rest-diagnostic.json' : '.bench-out/rest.json';
writeFileSync(
  outFile,
  `${JSON.stringify(
    {
      bench: 'rest',
      at: new Date(started).toISOString(),
      params: { connections: CONNS, durationS: DURATION_S, warmupS: WARMUP_S, latencyClients: LAT_CLIENTS, latencyS: LAT_S, noPrivateWs: NO_PRIVATE_WS, noJournal: NO_JOURNAL, rate: RATE ?? null, layer: LAYER ?? null },
      machine,
      stealPct: steal,
      goal: { ratio: GOAL_RATIO },
      pass: DIAGNOSTIC ? null : pass,
      ratio,
      ours: { ...ours.res, errors: errorsOurs, ...ours.extra },
      baseline: { ...base.res, errors: errorsBase },
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${outFile}`);
