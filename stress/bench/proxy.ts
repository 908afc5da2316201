/**
 * Proxy benchmark: what the embedded Toxiproxy adds on the data path, against a direct connection in the same run.
 *
 *   npm run bench:proxy
 *   BENCH_RTT_N=20000 BENCH_BULK_MB=512 npm run bench:proxy
 *
 * Three processes (stress/bench/harness.ts): the upstream (echo + bulk servers) and the embedded Toxiproxy each run
 * in a child, the load generator here, so no two of them share an event loop. Phases, each direct and proxied:
 *  - echo latency: BENCH_RTT_N sequential 64-byte round trips on one connection (after a warm-up), timed with
 *    hrtime into an HDR histogram (µs). Added latency per hop = (proxied − direct) / 2: a round trip crosses the
 *    proxy twice.
 *  - bulk throughput: the upstream streams BENCH_BULK_MB to the client; MB/s = bytes / time to last byte.
 *  - the same two through a 100 ms downstream latency toxic (throughput must stay ≥ 50 MB/s: latency delays each
 *    chunk from its read time, it does not serialise them).
 * Loopback only, bounded loops only. Writes .bench-out/proxy.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import { cpuLine, stealPct, machine as machineInfo, startChild, stopChild, type Child } from './harness.ts';

const RTT_N = Number(process.env.BENCH_RTT_N ?? 10_000);
const WARMUP_N = Number(process.env.BENCH_WARMUP_N ?? 1_000);
const BULK_MB = Number(process.env.BENCH_BULK_MB ?? 256);
const LATENCY_MS = 100;
const SELF = fileURLToPath(import.meta.url);

// ------------------------------------------------------------------------------------------------------------------
// Child processes

interface Ready {
  type: 'ready';
  port: number;
  bulkPort?: number;
  url?: string;
}

async function childMain(kind: string): Promise<void> {
  const send = (m: object): void => void process.send!(m);
  if (kind === 'upstream') {
    const echo = net.createServer((s) => {
      s.setNoDelay(true);
      s.on('error', () => undefined);
      s.pipe(s);
    });
    // Bulk: the client sends the byte count as a decimal line; the server streams that many bytes and ends.
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    const bulk = net.createServer((s) => {
      s.on('error', () => undefined);
      let line = '';
      s.on('data', (b) => {
        line += b.toString();
        if (!line.includes('\n')) return;
        let left = Number(line.trim());
        const pump = (): void => {
          while (left > 0) {
            const n = Math.min(left, chunk.length);
            left -= n;
            if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void s.once('drain', pump);
          }
          s.end();
        };
        pump();
      });
    });
    echo.listen(0, '127.0.0.1');
    bulk.listen(0, '127.0.0.1');
    await Promise.all([once(echo, 'listening'), once(bulk, 'listening')]);
    send({ type: 'ready', port: (echo.address() as AddressInfo).port, bulkPort: (bulk.address() as AddressInfo).port });
  } else {
    const { startToxiproxy } = await import('../../chaos/toxiproxy/server.ts');
    const tp = await startToxiproxy({ port: 0, seed: 1 });
    send({ type: 'ready', port: tp.port, url: tp.url });
    process.on('message', (m: { cmd?: string }) => {
      if (m.cmd === 'close') void tp.close().then(() => process.exit(0));
    });
    return;
  }
  process.on('message', (m: { cmd?: string }) => {
    if (m.cmd === 'close') process.exit(0);
  });
}

// ------------------------------------------------------------------------------------------------------------------
// Load generator

async function connect(port: number): Promise<Socket> {
  const s = net.connect({ port, host: '127.0.0.1' });
  s.setNoDelay(true);
  await once(s, 'connect');
  return s;
}

interface LatencyResult {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  n: number;
}

/** Sequential round trips of a 64-byte message; µs histogram of the measured ones. */
async function echoLatency(port: number, n: number, warmup: number): Promise<LatencyResult> {
  const s = await connect(port);
  const msg = Buffer.alloc(64, 0x62);
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  let got = 0;
  let wake: (() => void) | null = null;
  s.on('data', (b: Buffer) => {
    got += b.length;
    if (got >= msg.length && wake) wake();
  });
  for (let i = 0; i < warmup + n; i++) {
    got = 0;
    const t0 = process.hrtime.bigint();
    const done = new Promise<void>((r) => (wake = r));
    s.write(msg);
    await done;
    const us = Number(process.hrtime.bigint() - t0) / 1000;
    if (i >= warmup) h.recordValue(Math.max(1, Math.round(us)));
  }
  s.destroy();
  const r = { p50: h.getValueAtPercentile(50), p90: h.getValueAtPercentile(90), p99: h.getValueAtPercentile(99), max: h.maxValue, mean: h.mean, n };
  h.destroy();
  return r;
}

/** Streams `bytes` from the bulk server; MB/s (1 MB = 10^6 bytes) over request → last byte. */
async function bulk(port: number, bytes: number): Promise<{ mbps: number; ms: number }> {
  const s = await connect(port);
  let got = 0;
  const t0 = performance.now();
  s.write(`${bytes}\n`);
  s.on('data', (b: Buffer) => void (got += b.length));
  await once(s, 'close');
  const ms = performance.now() - t0;
  if (got !== bytes) throw new Error(`bulk: got ${got} of ${bytes} bytes`);
  return { mbps: bytes / 1e6 / (ms / 1000), ms };
}

async function api(url: string, method: string, path: string, body?: object): Promise<unknown> {
  const res = await fetch(url + path, { method, body: body && JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  const t = await res.text();
  return t ? JSON.parse(t) : undefined;
}

function portOfListen(listen: string): number {
  return Number(listen.slice(listen.lastIndexOf(':') + 1));
}

interface Phase {
  name: string;
  latency: LatencyResult;
  bulk: { mbps: number; ms: number };
  stealPct: number;
}

async function phase(name: string, echoPort: number, bulkPort: number, rttN: number): Promise<Phase> {
  const c0 = cpuLine();
  const latency = await echoLatency(echoPort, rttN, Math.min(WARMUP_N, rttN));
  const b = await bulk(bulkPort, BULK_MB * 1e6);
  return { name, latency, bulk: b, stealPct: stealPct(c0, cpuLine()) };
}

async function main(): Promise<void> {
  const started = cpuLine();
  let up: Child<Ready> | undefined;
  let tp: Child<Ready> | undefined;
  try {
    up = await startChild<Ready>(SELF, ['--child', 'upstream']);
    tp = await startChild<Ready>(SELF, ['--child', 'toxiproxy']);
    const url = tp.ready.url!;
    const echoUp = `127.0.0.1:${up.ready.port}`;
    const bulkUp = `127.0.0.1:${up.ready.bulkPort}`;
    const pe = (await api(url, 'POST', '/proxies', { name: 'echo', listen: '127.0.0.1:0', upstream: echoUp })) as { listen: string };
    const pb = (await api(url, 'POST', '/proxies', { name: 'bulk', listen: '127.0.0.1:0', upstream: bulkUp })) as { listen: string };
    const phases: Phase[] = [];
    console.error(`bench:proxy  rtt n=${RTT_N}  bulk=${BULK_MB} MB`);
    phases.push(await phase('direct', up.ready.port, up.ready.bulkPort!, RTT_N));
    phases.push(await phase('proxy, no toxic', portOfListen(pe.listen), portOfListen(pb.listen), RTT_N));
    for (const p of ['echo', 'bulk']) {
      await api(url, 'POST', `/proxies/${p}/toxics`, { type: 'latency', stream: 'downstream', attributes: { latency: LATENCY_MS, jitter: 0 } });
    }
    // 100 ms per round trip: a few dozen samples are enough for the percentiles that matter here.
    phases.push(await phase(`proxy, ${LATENCY_MS} ms latency`, portOfListen(pe.listen), portOfListen(pb.listen), 30));
    const [direct, plain, slow] = phases as [Phase, Phase, Phase];
    const addedP50 = (plain.latency.p50 - direct.latency.p50) / 2;
    const addedP99 = (plain.latency.p99 - direct.latency.p99) / 2;
    const addedMean = (plain.latency.mean - direct.latency.mean) / 2;
    const m = machineInfo();
    const result = {
      machine: { ...m, stealPctRun: stealPct(started, cpuLine()) },
      settings: { rttN: RTT_N, warmupN: WARMUP_N, bulkMB: BULK_MB, latencyMs: LATENCY_MS, messageBytes: 64 },
      phases,
      perHopAddedUs: { mean: addedMean, p50: addedP50, p99: addedP99 },
      ratios: {
        throughputProxyVsDirect: plain.bulk.mbps / direct.bulk.mbps,
        throughputLatencyToxicVsDirect: slow.bulk.mbps / direct.bulk.mbps,
        rttP50ProxyVsDirect: plain.latency.p50 / direct.latency.p50,
        rttP99ProxyVsDirect: plain.latency.p99 / direct.latency.p99,
      },
      goals: {
        perHopMeanUsLe300: addedMean <= 300,
        perHopP99UsLt1000: addedP99 < 1000,
        latencyToxicThroughputGe50MBps: slow.bulk.mbps >= 50,
      },
    };
    const f = (x: number, d = 0): string => x.toFixed(d).padStart(10);
    const lines = [
      `machine: ${m.cpu} · ${m.cores} cores · node ${m.node} · steal ${result.machine.stealPctRun.toFixed(1)}% · loadavg ${m.loadavg.map((x) => x.toFixed(2)).join(' ')}`,
      `${'phase'.padEnd(26)}${'MB/s'.padStart(10)}${'rtt p50 µs'.padStart(12)}${'rtt p99 µs'.padStart(12)}${'rtt mean'.padStart(10)}${'steal%'.padStart(8)}`,
      ...phases.map(
        (p) => `${p.name.padEnd(26)}${f(p.bulk.mbps)}${f(p.latency.p50).padStart(12)}${f(p.latency.p99).padStart(12)}${f(p.latency.mean)}${p.stealPct.toFixed(1).padStart(8)}`,
      ),
      `ratios vs direct: throughput proxy ${result.ratios.throughputProxyVsDirect.toFixed(2)}x, with ${LATENCY_MS} ms latency ${result.ratios.throughputLatencyToxicVsDirect.toFixed(2)}x; rtt p50 ${result.ratios.rttP50ProxyVsDirect.toFixed(2)}x, p99 ${result.ratios.rttP99ProxyVsDirect.toFixed(2)}x`,
      `added per hop: mean ${addedMean.toFixed(0)} µs (goal ≤ 300), p50 ${addedP50.toFixed(0)} µs, p99 ${addedP99.toFixed(0)} µs (goal < 1000)`,
      `${LATENCY_MS} ms latency toxic throughput: ${slow.bulk.mbps.toFixed(0)} MB/s (goal ≥ 50)`,
    ];
    console.log(lines.join('\n'));
    mkdirSync('.bench-out', { recursive: true });
    writeFileSync('.bench-out/proxy.json', `${JSON.stringify(result, null, 2)}\n`);
    console.log('wrote .bench-out/proxy.json');
  } finally {
    if (tp) await stopChild(tp);
    if (up) await stopChild(up);
  }
}

const childIdx = process.argv.indexOf('--child');
if (childIdx >= 0) void childMain(process.argv[childIdx + 1] ?? '');
else
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
