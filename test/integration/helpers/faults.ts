/**
 * Shared by test/integration/faults-*.test.ts: a venue on port 0 with a maker, a taker and a house book, signed REST
 * calls (fetch + HMAC), control-plane calls, WebSocket clients that await the next matching message, and the fault
 * journal with a waiter (never sleep to synchronise).
 */
import WebSocket from 'ws';
import { startSim, type SimHandle, type SimOptions } from '../../../sim-exchange/server.ts';
import { hmacHex } from '../../../sim-exchange/bybit-v5/auth.ts';
import { seedStaticBook } from '../../../sim-exchange/market/static-book.ts';
import type { FaultRecord } from '../../../sim-exchange/faults/index.ts';
import type { VenueCommand } from '../../../sim-exchange/venue/commands.ts';
import type { TrafficEvent } from '../../../sim-exchange/journal.ts';

export const SYMBOL = 'BTCUSDT';
const WAIT_MS = 5000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface Key {
  readonly apiKey: string;
  readonly secret: string;
  readonly uid: number;
}

export interface FaultSim {
  readonly sim: SimHandle;
  readonly seed: number;
  readonly maker: Key;
  readonly taker: Key;
  readonly faults: FaultRecord[];
  readonly commands: VenueCommand[];
  readonly traffic: TrafficEvent[];
  /** Resolves with the fault record (already seen or still to come) matching id and action. */
  fault(id: string, action: 'start' | 'end'): Promise<FaultRecord>;
  /** Signed REST call: GET with a query string, POST with a JSON body. */
  rest(method: 'GET' | 'POST', path: string, params?: Record<string, unknown>, key?: Key, ts?: number): Promise<Response>;
  /** Control-plane call with the bearer token. */
  control(method: string, path: string, body?: unknown): Promise<Response>;
  /** POST /faults, which must answer 201; the new fault's id. */
  addFault(body: unknown): Promise<string>;
  /** DELETE /faults/:id, which must answer 200; resolves with the journaled end record. */
  endFault(id: string): Promise<FaultRecord>;
  close(): Promise<void>;
}

let tagSeq = 0;

export async function startFaultSim(seed: number, opts: Partial<SimOptions> = {}): Promise<FaultSim> {
  const tag = `flt${process.pid}-${++tagSeq}`;
  const faults: FaultRecord[] = [];
  const commands: VenueCommand[] = [];
  const traffic: TrafficEvent[] = [];
  const waiters: { pred: (r: FaultRecord) => boolean; resolve: (r: FaultRecord) => void }[] = [];
  const mk = (name: string) => ({ apiKey: `${tag}-${name}-key`, secret: `${tag}-${name}-secret`, balance: '1000000' });
  const sim = await startSim({
    seed,
    accounts: [mk('maker'), mk('taker'), { ...mk('house'), balance: '50000000' }],
    onFault: (r) => {
      faults.push(r);
      for (const w of waiters.splice(0)) {
        if (w.pred(r)) w.resolve(r);
        else waiters.push(w);
      }
    },
    onCommand: (c) => commands.push(c),
    // Tests send bursts of orders; the 10/s order limits would turn them into 10006.
    rateLimits: { '/v5/order/create': 1000, '/v5/order/cancel': 1000, '/v5/order/create-batch': 1000, '/v5/order/amend': 1000 },
    onTraffic: (e) => traffic.push(e),
    ...opts,
  });
  const key = (name: string): Key => {
    const k = mk(name);
    return { apiKey: k.apiKey, secret: k.secret, uid: sim.venue.accountByKey(k.apiKey)!.uid };
  };
  const maker = key('maker');
  const taker = key('taker');
  seedStaticBook(sim.venue, { symbol: SYMBOL, midTicks: 600_000, levels: 5, stepTicks: 5, spreadTicks: 2, qtyLots: 500, depthGrowth: 0, uid: key('house').uid });

  const out: FaultSim = {
    sim,
    seed,
    maker,
    taker,
    faults,
    commands,
    traffic,
    fault(id, action) {
      const pred = (r: FaultRecord) => r.id === id && r.action === action;
      const seen = faults.find(pred);
      if (seen) return Promise.resolve(seen);
      return within(new Promise<FaultRecord>((resolve) => waiters.push({ pred, resolve })), `fault ${id} ${action}`);
    },
    rest(method, path, params = {}, k = maker, ts = sim.venue.clock.now()) {
      const payload = method === 'GET' ? new URLSearchParams(params as Record<string, string>).toString() : JSON.stringify(params);
      const headers: Record<string, string> = {
        'X-BAPI-API-KEY': k.apiKey,
        'X-BAPI-TIMESTAMP': String(ts),
        'X-BAPI-RECV-WINDOW': '5000',
        'X-BAPI-SIGN': hmacHex(k.secret, `${ts}${k.apiKey}5000${payload}`),
      };
      if (method === 'GET') return fetch(`${sim.urls.rest}${path}${payload ? `?${payload}` : ''}`, { headers });
      return fetch(`${sim.urls.rest}${path}`, { method, headers: { ...headers, 'content-type': 'application/json' }, body: payload });
    },
    control(method, path, body) {
      return fetch(`${sim.urls.control}${path}`, {
        method,
        headers: { authorization: `Bearer ${sim.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    },
    async addFault(body) {
      const r = await out.control('POST', '/faults', body);
      const v = (await r.json()) as Json;
      if (r.status !== 201) throw new Error(`POST /faults answered ${r.status}: ${JSON.stringify(v)}`);
      return v.id as string;
    },
    async endFault(id) {
      const r = await out.control('DELETE', `/faults/${id}`);
      if (r.status !== 200) throw new Error(`DELETE /faults/${id} answered ${r.status}`);
      return out.fault(id, 'end');
    },
    close: () => sim.close(),
  };
  return out;
}

/** Rejects with a readable error if `p` does not settle within `ms`. */
export function within<T>(p: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** A WebSocket client keeping every message; next() awaits the first unread one matching. */
export class Client {
  readonly messages: Json[] = [];
  private read = 0;
  private wake: (() => void) | undefined;
  closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      this.messages.push(JSON.parse(String(d)));
      this.wake?.();
    });
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  static async open(url: string): Promise<Client> {
    const ws = new WebSocket(url);
    await within(
      new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      }),
      `connect ${url}`,
    );
    return new Client(ws);
  }

  send(msg: unknown): void {
    this.ws.send(JSON.stringify(msg));
  }

  /** The first message after the last one returned that matches; the messages skipped are returned with it. */
  async next(pred: (m: Json) => boolean, what = 'a message'): Promise<{ msg: Json; skipped: Json[] }> {
    for (;;) {
      while (this.read < this.messages.length) {
        const m = this.messages[this.read++];
        if (pred(m)) {
          const skipped = this.skippedSince;
          this.skippedSince = [];
          return { msg: m, skipped };
        }
        this.skippedSince.push(m);
      }
      await within(new Promise<void>((resolve) => (this.wake = resolve)), what);
      this.wake = undefined;
    }
  }

  private skippedSince: Json[] = [];

  /** Sends a ping and returns everything received before its pong (what the venue sent before it). */
  async pingFence(): Promise<Json[]> {
    const reqId = `fence-${Math.random().toString(36).slice(2)}`;
    this.send({ op: 'ping', req_id: reqId, reqId });
    // Public: {op:"ping", ret_msg:"pong"}; private: {op:"pong", req_id}; trade: {op:"pong", reqId}.
    const { skipped } = await this.next((m) => (m.op === 'pong' || m.ret_msg === 'pong') && (m.req_id ?? m.reqId) === reqId, 'pong');
    return skipped;
  }

  /** Authenticates on /v5/private or /v5/trade. */
  async auth(k: Key): Promise<Json> {
    const expires = Date.now() + 10_000;
    this.send({ op: 'auth', args: [k.apiKey, expires, hmacHex(k.secret, `GET/realtime${expires}`)] });
    return (await this.next((m) => m.op === 'auth', 'auth reply')).msg;
  }

  close(): void {
    this.ws.close();
  }
}

/** Opens a WebSocket expecting the upgrade to be refused; resolves with the HTTP status. */
export function refusedUpgrade(url: string): Promise<number> {
  const ws = new WebSocket(url);
  return within(
    new Promise<number>((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.once('open', () => reject(new Error('upgrade was accepted')));
      ws.once('error', () => undefined);
    }),
    'refused upgrade',
  );
}

export const bid = (price: string, extra: Record<string, unknown> = {}) => ({
  category: 'linear',
  symbol: SYMBOL,
  side: 'Buy',
  orderType: 'Limit',
  qty: '0.001',
  price,
  timeInForce: 'PostOnly',
  ...extra,
});
