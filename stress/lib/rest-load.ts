/**
 * The REST load generator behind `npm run stress` and `npm run stress:find-limit`: autocannon with one dynamic
 * request whose setupRequest picks the next operation from the profile's weighted mix (seeded), signs it with a fresh
 * timestamp, and stamps the send time; onResponse records the latency into HDR histograms (µs) and checks the body.
 *
 * Order state lives here, not in autocannon's per-request context (autocannon resets the context every time it
 * wraps around its request list, i.e. every request here): per account a pool of resting orderLinkIds. amend / cancel
 * check an order out of the pool (no two requests ever touch the same order), a successful create or amend puts it
 * back; a create over `maxOpenPerAccount` becomes a cancel, an amend / cancel with an empty pool becomes a create.
 * Orders are PostOnly buys at 1000.0–1099.9 (far below any market here): they rest and never fill.
 *
 * Open loop (`rate`): autocannon `connectionRate`, which gives each connection a budget of rate / connections requests
 * per one-second tick (a burst at the start of each tick, then nothing until the next one); a connection still waits
 * for each response before it sends again (pipelining 1). So autocannon's open loop is bounded by connections ×
 * 1/latency, and its own coordinated-omission correction assumes a 1 ms interval (`Math.ceil(1 / rate)` in its
 * run.js); its histogram is not used. We therefore also record each response against its *intended* send time on a uniform schedule
 * (request n of the run intended at start + n / rate): corrected = max(service time, receive − intended). When the
 * venue keeps up that equals the service time; when it falls behind, the lag shows up in the corrected figures
 * instead of silently lowering the offered rate.
 */
import { Rng } from '../../sim-exchange/rng.ts';
import autocannon from 'autocannon';
import type * as hdr from 'hdr-histogram-js';
import { hmacHex } from '../../sim-exchange/bybit-v5/auth.ts';
import type { MixEntry, Op } from '../profile.ts';
import type { Metric } from './thresholds.ts';
import type { StressAccount } from './accounts.ts';
import { percentilesMs, recordUs, usHistogram, type Percentiles } from './hist.ts';

const RECV = '5000';

export interface RestLoadConfig {
  /** http://host:port */
  url: string;
  mix: readonly MixEntry[];
  accounts: readonly StressAccount[];
  symbol: string;
  maxOpenPerAccount: number;
  seed: number;
}

export interface RunOptions {
  durationS: number;
  connections: number;
  /** Offered req/s (open loop); undefined = closed loop. */
  rate?: number;
  /** Record nothing (warm-up). */
  warmup?: boolean;
  /** Open loop: autocannon instances started 1000 / phases ms apart (default 10; 1 = autocannon's one burst per second). */
  phases?: number;
}

export interface OpStats {
  count: number;
  errors: number;
  p50: number;
  p95: number;
  p99: number;
}

export interface RestLoadResult {
  mode: 'open' | 'closed';
  offeredRate: number | null;
  connections: number;
  /** Open loop: autocannon instances, 1000 / phases ms apart. */
  phases: number;
  durationS: number;
  wallS: number;
  responses: number;
  rps: number;
  errors: number;
  errorPct: number;
  connErrors: number;
  timeouts: number;
  errorSamples: string[];
  /** Send → response (ms). */
  service: Percentiles;
  /** Intended send → response (ms); open loop only. */
  corrected: Percentiles | null;
  perOp: Partial<Record<Op, OpStats>>;
  /** The load generator's own CPU over the run, % of one core. */
  genCpuPct: number;
}

/** The bench's one seeded PRNG (sim-exchange/rng.ts), as a () => [0, 1) function: a profile's operations replay. */
export function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

export function weightedPicker(mix: readonly MixEntry[], rand: () => number): () => MixEntry {
  const total = mix.reduce((s, m) => s + m.weight, 0);
  return () => {
    let x = rand() * total;
    for (const m of mix) {
      x -= m.weight;
      if (x < 0) return m;
    }
    return mix[mix.length - 1]!;
  };
}

interface Ctx {
  op?: Op;
  t0?: bigint;
  intended?: bigint;
  acct?: number;
  ids?: string[];
}

interface Built {
  op: Op;
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  acct: number;
  ids: string[];
}

export class RestLoad {
  private readonly rand: () => number;
  private readonly pick: () => MixEntry;
  private readonly pools: string[][];
  private readonly pending: number[];
  private nextAcct = 0;
  private linkSeq = 0;
  private readonly tag = Date.now().toString(36);

  constructor(private readonly cfg: RestLoadConfig) {
    this.rand = rng(cfg.seed);
    this.pick = weightedPicker(cfg.mix, this.rand);
    this.pools = cfg.accounts.map(() => []);
    this.pending = cfg.accounts.map(() => 0);
  }

  /** Open orders the generator believes each account has (tests and the end-of-run report). */
  openOrders(): number {
    return this.pools.reduce((s, p) => s + p.length, 0);
  }

  private linkId(): string {
    return `s${this.tag}${(this.linkSeq++).toString(36)}`;
  }

  private readonly prices = new Map<string, string>();

  /** A price for order `id`, different from the one it has (an amend to the same price is refused with 10001). */
  private price(id: string): string {
    const old = this.prices.get(id);
    let p = (1000 + Math.floor(this.rand() * 1000) / 10).toFixed(1);
    if (p === old) p = p === '1000.0' ? '1000.1' : '1000.0';
    this.prices.set(id, p);
    return p;
  }

  private createItem(id: string): Record<string, string> {
    return { symbol: this.cfg.symbol, side: 'Buy', orderType: 'Limit', qty: '0.010', price: this.price(id), timeInForce: 'PostOnly', orderLinkId: id };
  }

  /** The next request: the mix's choice, adjusted to the account's order pool. */
  build(): Built {
    const m = this.pick();
    const sym = this.cfg.symbol;
    switch (m.op) {
      case 'orderbook':
        return { op: m.op, method: 'GET', path: `/v5/market/orderbook?category=linear&symbol=${sym}&limit=${m.limit ?? 50}`, acct: -1, ids: [] };
      case 'tickers':
        return { op: m.op, method: 'GET', path: `/v5/market/tickers?category=linear&symbol=${sym}`, acct: -1, ids: [] };
      case 'recent-trade':
        return { op: m.op, method: 'GET', path: `/v5/market/recent-trade?category=linear&symbol=${sym}&limit=${m.limit ?? 60}`, acct: -1, ids: [] };
      case 'kline':
        return { op: m.op, method: 'GET', path: `/v5/market/kline?category=linear&symbol=${sym}&interval=1&limit=${m.limit ?? 200}`, acct: -1, ids: [] };
      default:
        break;
    }
    const a = this.nextAcct;
    this.nextAcct = (this.nextAcct + 1) % this.pools.length;
    const pool = this.pools[a]!;
    const full = pool.length + this.pending[a]! >= this.cfg.maxOpenPerAccount;
    let op: Op = m.op;
    if ((op === 'create' || op === 'create-batch') && full) op = pool.length > 0 ? 'cancel' : 'amend';
    if ((op === 'amend' || op === 'cancel' || op === 'cancel-batch') && pool.length === 0) op = full ? 'tickers' : 'create';
    if (op === 'tickers') return { op, method: 'GET', path: `/v5/market/tickers?category=linear&symbol=${sym}`, acct: -1, ids: [] };
    const n = Math.max(1, Math.min(m.batchSize ?? 5, op === 'create-batch' ? this.cfg.maxOpenPerAccount - pool.length - this.pending[a]! : pool.length));
    switch (op) {
      case 'create': {
        const id = this.linkId();
        this.pending[a]!++;
        return { op, method: 'POST', path: '/v5/order/create', body: JSON.stringify({ category: 'linear', ...this.createItem(id) }), acct: a, ids: [id] };
      }
      case 'create-batch': {
        const ids = Array.from({ length: n }, () => this.linkId());
        this.pending[a]! += n;
        return { op, method: 'POST', path: '/v5/order/create-batch', body: JSON.stringify({ category: 'linear', request: ids.map((id) => this.createItem(id)) }), acct: a, ids };
      }
      case 'amend': {
        const id = pool.pop()!;
        return { op, method: 'POST', path: '/v5/order/amend', body: JSON.stringify({ category: 'linear', symbol: sym, orderLinkId: id, price: this.price(id) }), acct: a, ids: [id] };
      }
      case 'cancel': {
        const id = pool.pop()!;
        return { op, method: 'POST', path: '/v5/order/cancel', body: JSON.stringify({ category: 'linear', symbol: sym, orderLinkId: id }), acct: a, ids: [id] };
      }
      default: {
        const ids = pool.splice(pool.length - n, n);
        return { op: 'cancel-batch', method: 'POST', path: '/v5/order/cancel-batch', body: JSON.stringify({ category: 'linear', request: ids.map((id) => ({ symbol: sym, orderLinkId: id })) }), acct: a, ids };
      }
    }
  }

  headers(acct: number, body: string): Record<string, string> {
    const a = this.cfg.accounts[acct]!;
    const ts = String(Date.now());
    return {
      'content-type': 'application/json',
      'X-BAPI-API-KEY': a.apiKey,
      'X-BAPI-TIMESTAMP': ts,
      'X-BAPI-RECV-WINDOW': RECV,
      'X-BAPI-SIGN': hmacHex(a.secret, ts + a.apiKey + RECV + body),
    };
  }

  /** Updates the order pools from a response; true when the request fully succeeded. */
  settle(op: Op, acct: number, ids: readonly string[], status: number, body: string): boolean {
    const ok = status === 200 && body.includes('"retCode":0');
    if (acct < 0) return ok;
    const pool = this.pools[acct]!;
    switch (op) {
      case 'create':
        this.pending[acct]!--;
        if (ok) pool.push(ids[0]!);
        else this.prices.delete(ids[0]!);
        return ok;
      case 'amend':
        // A failed amend leaves the order as it was: still resting, still ours.
        pool.push(ids[0]!);
        return ok;
      case 'cancel':
        this.prices.delete(ids[0]!);
        return ok;
      case 'create-batch': {
        this.pending[acct]! -= ids.length;
        if (!ok) return false;
        let all = true;
        try {
          const r = JSON.parse(body) as { retExtInfo?: { list?: { code: number }[] } };
          const codes = r.retExtInfo?.list ?? [];
          ids.forEach((id, i) => {
            if ((codes[i]?.code ?? 0) === 0) pool.push(id);
            else all = false;
          });
        } catch {
          return false;
        }
        return all;
      }
      case 'cancel-batch': {
        for (const id of ids) this.prices.delete(id);
        if (!ok) return false;
        try {
          const r = JSON.parse(body) as { retExtInfo?: { list?: { code: number }[] } };
          return (r.retExtInfo?.list ?? []).every((c) => c.code === 0);
        } catch {
          return false;
        }
      }
      default:
        return ok;
    }
  }

  async run(o: RunOptions): Promise<RestLoadResult> {
    // Open loop: autocannon `connectionRate` (the same budget for every connection; `overallRate` spreads the
    // remainder unevenly, so some connections need an extra one-second tick) and exactly rate × duration requests
    // (`maxConnectionRequests`; with a plain `duration` a d-second run gets d + 1 ticks). autocannon sends each
    // connection's budget as a burst at the start of its one-second tick, and all its connections tick together; so
    // the connections are split over `phases` autocannon instances started 1000 / phases ms apart: phases bursts per
    // second instead of one. The effective offered rate is perConn × connections.
    const phases = o.rate !== undefined ? Math.max(1, Math.min(o.phases ?? 10, o.connections, Math.round(o.rate))) : 1;
    const perPhase = o.rate !== undefined ? Math.max(1, Math.round(Math.min(o.connections, o.rate) / phases)) : o.connections;
    const connections = perPhase * phases;
    const perConn = o.rate !== undefined ? Math.max(1, Math.round(o.rate / connections)) : 0;
    const offered = o.rate !== undefined ? perConn * connections : undefined;
    const service = usHistogram();
    const corrected = offered !== undefined ? usHistogram() : undefined;
    const perOp = new Map<Op, { h: hdr.Histogram; errors: number }>();
    const samples: string[] = [];
    let responses = 0;
    let bad = 0;
    let n = 0n;
    const intervalNs = offered !== undefined ? BigInt(Math.max(1, Math.round(1e9 / offered))) : 0n;
    let start: bigint | undefined;
    let lastResponse: bigint | undefined;
    const cpu0 = process.cpuUsage();
    const wall0 = process.hrtime.bigint();

    const cannon = (conns: number) =>
      autocannon({
        url: this.cfg.url,
        connections: conns,
        pipelining: 1,
        ...(offered !== undefined
          ? // The duration is only a bound here: a venue that falls behind gets 2 × the step + 10 s to answer.
            { connectionRate: perConn, maxConnectionRequests: Math.max(1, Math.round(perConn * o.durationS)), duration: 2 * o.durationS + 10 }
          : { duration: o.durationS }),
        requests: [
          {
            setupRequest: (req, context) => {
              const ctx = context as Ctx;
              const b = this.build();
              const now = process.hrtime.bigint();
              start ??= now;
              ctx.op = b.op;
              ctx.acct = b.acct;
              ctx.ids = b.ids;
              ctx.t0 = now;
              if (corrected) ctx.intended = start + n * intervalNs;
              n++;
              if (b.method === 'GET') return { ...req, method: 'GET', path: b.path, body: undefined, headers: {} };
              return { ...req, method: 'POST', path: b.path, body: b.body, headers: this.headers(b.acct, b.body!) };
            },
            onResponse: (status, body, context) => {
              const t1 = process.hrtime.bigint();
              lastResponse = t1;
              const ctx = context as Ctx;
              if (ctx.op === undefined || ctx.t0 === undefined) return;
              const op = ctx.op;
              const ok = this.settle(op, ctx.acct ?? -1, ctx.ids ?? [], status, body);
              ctx.op = undefined;
              if (o.warmup) return;
              responses++;
              const us = Number(t1 - ctx.t0) / 1000;
              recordUs(service, us);
              if (corrected && ctx.intended !== undefined) recordUs(corrected, Math.max(us, Number(t1 - ctx.intended) / 1000));
              let s = perOp.get(op);
              if (!s) {
                s = { h: usHistogram(), errors: 0 };
                perOp.set(op, s);
              }
              recordUs(s.h, us);
              if (!ok) {
                bad++;
                s.errors++;
                if (samples.length < 5) samples.push(`${status} ${body.slice(0, 200)}`);
              }
            },
          },
        ],
      });
    const runs = await Promise.all(
      Array.from({ length: phases }, async (_, i) => {
        if (i > 0) await new Promise((res) => setTimeout(res, (i * 1000) / phases));
        return cannon(perPhase);
      }),
    );
    const r = { errors: runs.reduce((x, q) => x + q.errors, 0), timeouts: runs.reduce((x, q) => x + q.timeouts, 0) };
    const wallS = Number(process.hrtime.bigint() - wall0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    const failedSends = r.errors + r.timeouts;
    const attempts = responses + failedSends;
    const result: RestLoadResult = {
      mode: offered !== undefined ? 'open' : 'closed',
      offeredRate: offered ?? null,
      connections,
      phases,
      durationS: o.durationS,
      wallS,
      responses,
      // Open loop: the last tick's burst goes out before `durationS` (autocannon only notices a connection is done at
      // its next tick, so the run's wall time is up to 1 s longer): a venue that keeps up has answered by then.
      rps:
        offered !== undefined
          ? responses / Math.max(o.durationS, start !== undefined && lastResponse !== undefined ? Number(lastResponse - start) / 1e9 : wallS)
          : responses / o.durationS,
      errors: bad + failedSends,
      errorPct: attempts > 0 ? (100 * (bad + failedSends)) / attempts : 0,
      connErrors: r.errors,
      timeouts: r.timeouts,
      errorSamples: samples,
      service: percentilesMs(service),
      corrected: corrected ? percentilesMs(corrected) : null,
      perOp: Object.fromEntries(
        [...perOp].map(([op, s]) => {
          const p = percentilesMs(s.h);
          return [op, { count: p.count, errors: s.errors, p50: p.p50, p95: p.p95, p99: p.p99 }];
        }),
      ),
      genCpuPct: (100 * (cpu.user + cpu.system)) / 1000 / (wallS * 1000),
    };
    service.destroy();
    corrected?.destroy();
    for (const s of perOp.values()) s.h.destroy();
    return result;
  }
}

/**
 * The threshold metrics of a run: latency `p50 p90 p95 p99 max mean` (ms; in open loop from the intended send time,
 * `service.*` always send → response, `corrected.*` open loop only), `errors` (%), `rps` (responses per second of the
 * run), `requests` and `error_count` (counts).
 */
export function restMetrics(r: RestLoadResult): Record<string, Metric> {
  const m: Record<string, Metric> = {};
  const main = r.corrected ?? r.service;
  for (const k of ['p50', 'p90', 'p95', 'p99', 'max', 'mean'] as const) {
    m[k] = { kind: 'time', value: main[k] };
    m[`service.${k}`] = { kind: 'time', value: r.service[k] };
    if (r.corrected) m[`corrected.${k}`] = { kind: 'time', value: r.corrected[k] };
  }
  m.errors = { kind: 'percent', value: r.errorPct };
  m.rps = { kind: 'rate', value: r.rps };
  m.requests = { kind: 'count', value: r.responses };
  m.error_count = { kind: 'count', value: r.errors };
  return m;
}
