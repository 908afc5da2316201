/**
 * WebSocket test harness: a venue + http server + gateway on 127.0.0.1:0, and a client that awaits the next
 * matching message (never sleeps to synchronise; the timeout only turns a hang into a readable failure).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import ccxt from 'ccxt';
import { Venue, type PlaceRequest } from '../../../sim-exchange/venue/venue.ts';
import { DEFAULT_INSTRUMENTS } from '../../../sim-exchange/instruments.ts';
import { SystemClock, type Clock } from '../../../sim-exchange/clock.ts';
import { IdSource } from '../../../sim-exchange/ids.ts';
import { Rng } from '../../../sim-exchange/rng.ts';
import { hmacHex } from '../../../sim-exchange/bybit-v5/auth.ts';
import { attachWebSockets, type WsDeps, type WsGateway, type WsJournalEvent } from '../../../sim-exchange/bybit-v5/ws/gateway.ts';

export interface Harness {
  readonly venue: Venue;
  readonly clock: Clock;
  readonly gateway: WsGateway;
  readonly server: http.Server;
  readonly port: number;
  url(path: string): string;
  /** Creates an account with a fresh key and 100000 USDT. */
  account(label?: string): { uid: number; apiKey: string; secret: string };
  connect(path: string): Promise<TestClient>;
  /** Every frame the gateway journaled (in and out), in order. */
  readonly journal: WsJournalEvent[];
  /** The first journaled frame (already seen or still to come) matching `pred`. */
  journalNext(pred: (e: WsJournalEvent) => boolean, timeoutMs?: number): Promise<WsJournalEvent>;
  close(): Promise<void>;
}

let keySeq = 0;

export async function startHarness(opts: Partial<Omit<WsDeps, 'venue' | 'clock' | 'keys' | 'ids'>> & { clock?: Clock; seed?: number } = {}): Promise<Harness> {
  const clock = opts.clock ?? new SystemClock();
  const venue = new Venue({ instruments: DEFAULT_INSTRUMENTS, clock, seed: opts.seed ?? 7 });
  const server = http.createServer((_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  const { clock: _c, seed: _s, ...rest } = opts;
  const journal: WsJournalEvent[] = [];
  let journalWaiters: { pred: (e: WsJournalEvent) => boolean; resolve: (e: WsJournalEvent) => void }[] = [];
  const gateway = attachWebSockets(server, {
    venue,
    clock,
    keys: { byKey: (k) => venue.accountByKey(k) },
    ids: new IdSource(new Rng(opts.seed ?? 7).fork('ws')),
    onMessage(e) {
      journal.push(e);
      const hit = journalWaiters.filter((w) => w.pred(e));
      journalWaiters = journalWaiters.filter((w) => !hit.includes(w));
      for (const w of hit) w.resolve(e);
    },
    ...rest,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const clients: TestClient[] = [];
  const h: Harness = {
    venue,
    clock,
    gateway,
    server,
    port,
    url: (path) => `ws://127.0.0.1:${port}${path}`,
    account(label = 'acct') {
      const apiKey = `${label}-key-${++keySeq}`;
      const secret = `${label}-secret-${keySeq}`;
      const a = venue.createAccount({ apiKey, secret, balance: '100000' });
      return { uid: a.uid, apiKey, secret };
    },
    journal,
    journalNext(pred, timeoutMs = 5000) {
      const seen = journal.find(pred);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('timed out waiting for a journaled frame')), timeoutMs);
        journalWaiters.push({
          pred,
          resolve: (e) => {
            clearTimeout(t);
            resolve(e);
          },
        });
      });
    },
    async connect(path) {
      const c = await TestClient.connect(h.url(path));
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) c.terminate();
      await gateway.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return h;
}

export interface Received {
  readonly text: string;
  /** Parsed JSON, or undefined when the text is not JSON. */
  readonly json: any;
}

type Waiter = { pred: (m: Received) => boolean; resolve: (m: Received) => void };

export class TestClient {
  /** Messages received and not yet taken by next(). */
  readonly inbox: Received[] = [];
  /** Every message ever received, in order. */
  readonly all: Received[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: Waiter[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? `<binary ${String((data as Buffer).length)}>` : data.toString();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      const m: Received = { text, json };
      this.all.push(m);
      const i = this.waiters.findIndex((w) => w.pred(m));
      if (i >= 0) {
        const [w] = this.waiters.splice(i, 1);
        w!.resolve(m);
      } else {
        this.inbox.push(m);
      }
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('error', () => {});
  }

  static connect(url: string): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const c = new TestClient(ws);
      ws.once('open', () => resolve(c));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The oldest received-and-untaken message matching `pred`, or the next one to arrive. */
  next(pred: (m: Received) => boolean = () => true, what = 'a message', timeoutMs = 5000): Promise<Received> {
    const i = this.inbox.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out waiting for ${what}; inbox: ${this.inbox.map((m) => m.text.slice(0, 200)).join('\n')}`));
      }, timeoutMs);
      const waiter: Waiter = {
        pred,
        resolve: (m) => {
          clearTimeout(t);
          resolve(m);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** The next message whose JSON has these top-level values. */
  nextWith(fields: Record<string, unknown>, timeoutMs?: number): Promise<Received> {
    return this.next(
      (m) => m.json !== undefined && m.json !== null && Object.entries(fields).every(([k, v]) => m.json[k] === v),
      JSON.stringify(fields),
      timeoutMs,
    );
  }

  /** Sends a request and awaits the reply with the same op and req_id. */
  async request(frame: Record<string, unknown>): Promise<any> {
    this.send(frame);
    const same = (x: Received): boolean => {
      if (x.json?.op !== frame['op'] && !(frame['op'] === 'ping' && (x.json?.op === 'pong' || x.json?.ret_msg === 'pong'))) return false;
      if ('req_id' in frame) return x.json.req_id === frame['req_id'];
      if ('reqId' in frame) return x.json.reqId === frame['reqId'];
      return true;
    };
    const m = await this.next(same, `reply to ${JSON.stringify(frame).slice(0, 100)}`);
    return m.json;
  }

  /** Takes every untaken message matching `pred` now. */
  drain(pred: (m: Received) => boolean = () => true): Received[] {
    const out: Received[] = [];
    for (let i = 0; i < this.inbox.length; ) {
      if (pred(this.inbox[i]!)) out.push(this.inbox.splice(i, 1)[0]!);
      else i++;
    }
    return out;
  }

  close(): void {
    this.ws.close();
  }

  terminate(): void {
    this.ws.terminate();
  }
}

/** WS auth args as bybit-api (number expires) or ccxt (string expires) sends them. */
export function authArgs(apiKey: string, secret: string, expires: number, asString = false): [string, number | string, string] {
  return [apiKey, asString ? String(expires) : expires, hmacHex(secret, `GET/realtime${expires}`)];
}

/** A limit order request in ticks/lots for venue.place. */
export function limit(symbol: string, side: 1 | -1, priceTicks: number, lots: number, extra: Partial<PlaceRequest> = {}): PlaceRequest {
  return { symbol, side, orderType: 'Limit', timeInForce: 'GTC', price: priceTicks, qty: lots, signedAt: Date.now(), ...extra };
}

/** A seed from MM_SEED or the time, printed so a failure can be re-run. */
export function testSeed(name: string): number {
  const env = process.env['MM_SEED'];
  const seed = env !== undefined && env !== '' ? Number(env) >>> 0 : (Date.now() ^ (Math.random() * 0x7fffffff)) >>> 0;
  console.log(`[seed] ${name}: ${seed} (re-run with MM_SEED=${seed})`);
  return seed;
}

/**
 * A ccxt.pro bybit client pointed at the harness's WebSocket paths (reference §7.1), with BTCUSDT loaded locally
 * so no REST call is needed. Keys are optional (public watches need none).
 */
export async function ccxtPro(wsBase: string, keys: { apiKey?: string; secret?: string } = {}) {
  const ex = new ccxt.pro.bybit({
    ...keys,
    options: { enableUnifiedMargin: false, enableUnifiedAccount: true, fetchMarkets: { types: ['linear'] } },
  });
  (ex as unknown as { urls: { api: Record<string, unknown> } }).urls.api.ws = {
    public: { spot: `${wsBase}/v5/public/spot`, linear: `${wsBase}/v5/public/linear`, inverse: `${wsBase}/v5/public/inverse`, option: `${wsBase}/v5/public/option` },
    private: { spot: { unified: `${wsBase}/v5/private` }, contract: `${wsBase}/v5/private`, trade: `${wsBase}/v5/trade` },
  };
  await ex.loadHttpProxyAgent();
  ex.setMarkets([
    {
      id: 'BTCUSDT', symbol: 'BTC/USDT:USDT', base: 'BTC', quote: 'USDT', settle: 'USDT', baseId: 'BTC', quoteId: 'USDT', settleId: 'USDT',
      type: 'swap', spot: false, margin: false, swap: true, future: false, option: false, active: true, contract: true, linear: true,
      inverse: false, contractSize: 1, precision: { amount: 0.001, price: 0.1 }, limits: {}, info: { category: 'linear' },
    } as never,
  ]);
  return ex;
}
