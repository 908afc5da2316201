/**
 * WS fan-out benchmark: the venue's orderbook.50.BTCUSDT deltas (20 ms cadence) to N subscribers, against a raw `ws`
 * WebSocketServer broadcasting the same delta bytes at the same cadence to the same number of clients. Both servers
 * run in child processes (stress/bench/ws-server.ts); the clients all live in this process.
 *
 *   npm run bench:ws
 *   BENCH_CLIENTS=100 BENCH_DURATION_S=15 BENCH_SLOW_S=25 npm run bench:ws
 *
 * Phases:
 *   1. venue: capture one real delta message (replayed by the baseline later).
 *   2. venue: N clients subscribe; warm-up; count delivered deltas and latency for BENCH_DURATION_S.
 *   3. venue: slow consumer — one extra client subscribes, pauses its socket (never reads) and keeps asking for
 *      orderbook.1000 snapshots (subscribe/unsubscribe, 100 pairs/s, under the 500 frames/s inbound limit) so that
 *      its outbound buffer reaches the gateway's cap (8 MiB, DEFAULT_MAX_BUFFERED_BYTES) within seconds instead of
 *      minutes. Meanwhile the N others' latency is recorded separately. Reported: the server's slowConsumer counter
 *      and the close code the client reads once it resumes.
 *   4. baseline: N clients; warm-up; same measurement.
 *
 * Latency = receive wall clock (performance.timeOrigin + performance.now(), sub-ms) − message "ts" (the server's
 * Date.now() when the message was built, integer ms). Same machine, same clock; the ms truncation of ts biases every
 * value by 0..1 ms upwards (both targets alike), so the figures are ms-resolution.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import WebSocket from 'ws';
import { cpuLine, stealPct, machine as machineInfo, startChild, stopChild } from './harness.ts';

const N = Number(process.env.BENCH_CLIENTS ?? 100);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 15);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 2);
const SLOW_S = Number(process.env.BENCH_SLOW_S ?? 25);
const GOAL_RATIO = 0.8;
const TOPIC = 'orderbook.50.BTCUSDT';
const SERVER = fileURLToPath(new URL('./ws-server.ts', import.meta.url));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const nowMs = (): number => performance.timeOrigin + performance.now();

// ------------------------------------------------------------------------------------------------------------------
// Subscribers

const histo = (): hdr.Histogram =>
  hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });

interface Fleet {
  clients: WebSocket[];
  /** Record into `hist` and count while `measuring`. */
  measuring: boolean;
  hist: hdr.Histogram;
  delivered: number;
  gaps: number;
  closes: number[];
}

function tsOf(text: string): number {
  const i = text.indexOf('"ts":');
  return i < 0 ? NaN : Number(text.slice(i + 5, i + 18));
}
function uOf(text: string): number {
  const i = text.lastIndexOf('"u":');
  if (i < 0) return NaN;
  const j = text.indexOf(',', i);
  return Number(text.slice(i + 4, j));
}

async function connectFleet(url: string, subscribe: boolean): Promise<Fleet> {
  const fleet: Fleet = { clients: [], measuring: false, hist: histo(), delivered: 0, gaps: 0, closes: [] };
  const opened = Array.from({ length: N }, async () => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    fleet.clients.push(ws);
    let lastU = -1;
    ws.on('message', (raw: Buffer) => {
      const text = raw.toString('utf8');
      if (!text.includes('"type":"delta"')) return;
      const t = nowMs();
      if (subscribe) {
        const u = uOf(text);
        if (lastU >= 0 && u !== lastU + 1) fleet.gaps++;
        lastU = u;
      }
      if (!fleet.measuring) return;
      fleet.delivered++;
      fleet.hist.recordValue(Math.max(1, Math.round((t - tsOf(text)) * 1000)));
    });
    ws.on('close', (code) => fleet.closes.push(code));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    if (subscribe) ws.send(JSON.stringify({ op: 'subscribe', args: [TOPIC] }));
    // Keep alive (the venue's idle limit is 10 min; cheap anyway).
  });
  await Promise.all(opened);
  return fleet;
}

interface Measured {
  msgsPerSec: number;
  delivered: number;
  seconds: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  gaps: number;
}
function lat(h: hdr.Histogram): Measured['latencyMs'] {
  const r = (v: number): number => Math.round(v / 10) / 100;
  return { p50: r(h.getValueAtPercentile(50)), p90: r(h.getValueAtPercentile(90)), p99: r(h.getValueAtPercentile(99)), max: r(h.maxValue) };
}
async function measure(fleet: Fleet, seconds: number): Promise<Measured> {
  fleet.hist.reset();
  fleet.delivered = 0;
  const gaps0 = fleet.gaps;
  const t0 = performance.now();
  fleet.measuring = true;
  await sleep(seconds * 1000);
  fleet.measuring = false;
  const secs = (performance.now() - t0) / 1000;
  return { msgsPerSec: fleet.delivered / secs, delivered: fleet.delivered, seconds: secs, latencyMs: lat(fleet.hist), gaps: fleet.gaps - gaps0 };
}
async function closeFleet(f: Fleet): Promise<void> {
  for (const c of f.clients) c.terminate();
  f.hist.destroy();
  await sleep(100);
}

// ------------------------------------------------------------------------------------------------------------------

const stat0 = cpuLine();
const started = Date.now();

// 1-3: venue
const venue = await startChild<{ port: number; wsPublic: string }>(SERVER, ['venue']);
const url = venue.ready.wsPublic;
process.stdout.write(`[venue] ${url}: capture … `);
const captured = await new Promise<string>((resolve, reject) => {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const t = setTimeout(() => reject(new Error('no delta within 5 s')), 5000);
  ws.on('open', () => ws.send(JSON.stringify({ op: 'subscribe', args: [TOPIC] })));
  ws.on('message', (raw: Buffer) => {
    const text = raw.toString('utf8');
    if (text.includes('"type":"delta"')) {
      clearTimeout(t);
      ws.terminate();
      resolve(text);
    }
  });
});
process.stdout.write(`${captured.length} B; ${N} clients … `);
const vf = await connectFleet(url, true);
await sleep(WARMUP_S * 1000);
const vs0 = await venue.request<{ cpu: NodeJS.CpuUsage }>({ cmd: 'stats' }, 'stats');
process.stdout.write(`measure ${DURATION_S}s … `);
const ours = await measure(vf, DURATION_S);
const vs1 = await venue.request<{ cpu: NodeJS.CpuUsage; driverOps: number; driverErrors: number; ws: { topics: Record<string, number> } }>(
  { cmd: 'stats' },
  'stats',
);
const oursCpuMs = (vs1.cpu.user - vs0.cpu.user + vs1.cpu.system - vs0.cpu.system) / 1000;

// Slow consumer.
process.stdout.write('slow consumer … ');
const slow = new WebSocket(url, { perMessageDeflate: false });
await new Promise<void>((r) => slow.once('open', () => r()));
let slowCode: number | undefined;
let slowReason = '';
const slowClosed = new Promise<void>((r) =>
  slow.once('close', (code, reason) => {
    slowCode = code;
    slowReason = reason.toString();
    r();
  }),
);
slow.send(JSON.stringify({ op: 'subscribe', args: [TOPIC] }));
await sleep(200);
(slow as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
vf.hist.reset();
vf.delivered = 0;
vf.measuring = true;
const slowT0 = performance.now();
let disconnectedAfterMs: number | undefined;
let pairs = 0;
let slowCount = 0;
// Bounded: at most SLOW_S seconds.
while (performance.now() - slowT0 < SLOW_S * 1000) {
  if (slow.readyState === WebSocket.OPEN) {
    for (let k = 0; k < 2; k++) {
      slow.send('{"op":"subscribe","args":["orderbook.1000.BTCUSDT"]}');
      slow.send('{"op":"unsubscribe","args":["orderbook.1000.BTCUSDT"]}');
      pairs++;
    }
  }
  await sleep(20);
  if (pairs % 50 === 0 || slow.readyState !== WebSocket.OPEN) {
    const s = await venue.request<{ ws: { closes: { slowConsumer: number } } }>({ cmd: 'stats' }, 'stats');
    slowCount = s.ws.closes.slowConsumer;
    if (slowCount > 0) {
      disconnectedAfterMs = performance.now() - slowT0;
      break;
    }
  }
}
const slowWindowS = (performance.now() - slowT0) / 1000;
vf.measuring = false;
const othersDuringSlow = { msgsPerSec: vf.delivered / slowWindowS, latencyMs: lat(vf.hist), closes: [...vf.closes] };
// Let the client read what is buffered (up to the close frame) to see the code it was given.
(slow as unknown as { _socket: { resume(): void } })._socket.resume();
await Promise.race([slowClosed, sleep(8000)]);
if (slowCode === undefined) slow.terminate();
await closeFleet(vf);
await stopChild(venue);
console.log('done');

// 4: baseline
const base = await startChild<{ port: number }>(SERVER, ['baseline']);
process.stdout.write(`[baseline] port ${base.ready.port}: ${N} clients … `);
const bf = await connectFleet(`ws://127.0.0.1:${base.ready.port}`, false);
base.proc.send({ cmd: 'start', text: captured });
await sleep(WARMUP_S * 1000);
const bs0 = await base.request<{ cpu: NodeJS.CpuUsage }>({ cmd: 'stats' }, 'stats');
process.stdout.write(`measure ${DURATION_S}s … `);
const baseline = await measure(bf, DURATION_S);
const bs1 = await base.request<{ cpu: NodeJS.CpuUsage }>({ cmd: 'stats' }, 'stats');
const baseCpuMs = (bs1.cpu.user - bs0.cpu.user + bs1.cpu.system - bs0.cpu.system) / 1000;
await closeFleet(bf);
await stopChild(base);
console.log('done');

const stat1 = cpuLine();
const steal = stealPct(stat0, stat1);
const ratio = ours.msgsPerSec / baseline.msgsPerSec;
const pass = ratio >= GOAL_RATIO;
const slowPass = slowCount > 0 && othersDuringSlow.latencyMs.p99 < 250;
const machine = machineInfo();

const fmt = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const pad = (s: string, n: number): string => s.padEnd(n);
const rows: [string, string, string, string][] = [
  ['delivered msgs/s (all clients)', fmt(ours.msgsPerSec), fmt(baseline.msgsPerSec), `${fmt(ratio, 3)}×`],
  ['msgs/s per client', fmt(ours.msgsPerSec / N, 1), fmt(baseline.msgsPerSec / N, 1), ''],
  ['latency p50 ms (ts → receive)', fmt(ours.latencyMs.p50, 2), fmt(baseline.latencyMs.p50, 2), ''],
  ['latency p90 ms', fmt(ours.latencyMs.p90, 2), fmt(baseline.latencyMs.p90, 2), ''],
  ['latency p99 ms', fmt(ours.latencyMs.p99, 2), fmt(baseline.latencyMs.p99, 2), ''],
  ['latency max ms', fmt(ours.latencyMs.max, 2), fmt(baseline.latencyMs.max, 2), ''],
  ['u gaps (missed deltas)', fmt(ours.gaps), 'n/a', ''],
  ['server CPU ms (measure phase)', fmt(oursCpuMs), fmt(baseCpuMs), ''],
];
console.log('');
console.log(`bench:ws  clients=${N} topic=${TOPIC} cadence=20ms duration=${DURATION_S}s message=${captured.length} B`);
console.log(`machine: ${machine.cpu} × ${machine.cores}, node ${machine.node}, steal ${fmt(steal, 2)}% over the run`);
console.log('');
console.log(`${pad('metric', 36)}${pad('ours', 14)}${pad('baseline', 14)}ratio`);
console.log('-'.repeat(72));
for (const [m, a, b, c] of rows) console.log(`${pad(m, 36)}${pad(a, 14)}${pad(b, 14)}${c}`);
console.log('-'.repeat(72));
console.log(`delivery ratio ${fmt(ratio, 3)}× vs goal ≥ ${GOAL_RATIO}×: ${pass ? 'PASS' : 'FAIL'}`);
console.log(
  `slow consumer: server slowConsumer closes=${slowCount}` +
    (disconnectedAfterMs !== undefined ? ` after ${fmt(disconnectedAfterMs / 1000, 1)} s` : ' (not within window)') +
    `, client saw close code ${slowCode ?? 'none'} "${slowReason}" (${pairs} snapshot requests); others meanwhile: ` +
    `${fmt(othersDuringSlow.msgsPerSec)} msgs/s, p50 ${fmt(othersDuringSlow.latencyMs.p50, 2)} / p99 ${fmt(othersDuringSlow.latencyMs.p99, 2)} / max ${fmt(othersDuringSlow.latencyMs.max, 2)} ms, ` +
    `${othersDuringSlow.closes.length} of them closed: ${slowPass ? 'PASS' : 'FAIL'}`,
);
console.log(`driver: ${vs1.driverOps} ops, ${vs1.driverErrors} errors`);

mkdirSync('.bench-out', { recursive: true });
writeFileSync(
  '.bench-out/ws.json',
  `${JSON.stringify(
    {
      bench: 'ws',
      at: new Date(started).toISOString(),
      params: { clients: N, topic: TOPIC, cadenceMs: 20, durationS: DURATION_S, warmupS: WARMUP_S, slowMaxS: SLOW_S, messageBytes: captured.length },
      machine,
      stealPct: steal,
      goal: { ratio: GOAL_RATIO },
      pass,
      ratio,
      ours: { ...ours, serverCpuMs: oursCpuMs },
      baseline: { ...baseline, serverCpuMs: baseCpuMs },
      slowConsumer: {
        serverSlowConsumerCloses: slowCount,
        disconnectedAfterMs,
        clientCloseCode: slowCode ?? null,
        clientCloseReason: slowReason,
        snapshotRequests: pairs,
        others: othersDuringSlow,
        pass: slowPass,
      },
    },
    null,
    2,
  )}\n`,
);
console.log('wrote .bench-out/ws.json');
