import { randomBytes } from 'node:crypto';
import { isIP, type AddressInfo } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { Venue } from './venue/venue.ts';
import { SystemClock, type Clock } from './clock.ts';
import { Rng } from './rng.ts';
import { IdSource } from './ids.ts';
import { DEFAULT_INSTRUMENTS, type InstrumentConfig } from './instruments.ts';
import type { AccountInput } from './accounts/account.ts';
import { RateLimiter, BYBIT_LINEAR_LIMITS, BYBIT_DEFAULT_LIMIT } from './bybit-v5/rate-limit.ts';
import { createRestApp } from './bybit-v5/rest/http.ts';
import { registerRoutes } from './bybit-v5/rest/routes.ts';
import { attachWebSockets, type WsGateway, type WsSettings } from './bybit-v5/ws/gateway.ts';
import { createControlApp, type ChannelDelays } from './control/server.ts';
import { Market, type MarketOptions } from './market/market.ts';
import { RealtimeDriver } from './market/driver.ts';
import type { TrafficEvent } from './journal.ts';
import type { VenueCommand } from './venue/commands.ts';
import type { ReproSource } from './repro.ts';
import { FaultController, type FaultRecord, type FaultTimers } from './faults/index.ts';
import { oneSecondVolBps } from './faults/latency.ts';
import type { HttpBudgets, RestFaultGate } from './bybit-v5/rest/http.ts';
import type { TradeFaultGate } from './bybit-v5/ws-trade/server.ts';
import type { RestTap, WsTap } from './bybit-v5/tap.ts';

export interface SimOptions {
  host?: string;
  /** Venue port (REST and WebSocket); 0 = any free port. */
  port?: number;
  controlPort?: number;
  /**
   * Bearer token of the control plane. When absent, a random one from the operating system's generator: never from the
   * seed, which is printed in every ready line and repro manifest. Required when `host` is not a loopback address.
   */
  token?: string;
  seed?: number;
  clock?: Clock;
  instruments?: readonly InstrumentConfig[];
  /** Per-endpoint rate limits overriding Bybit's (benchmarks raise them). */
  rateLimits?: Record<string, number>;
  /** Per-IP limit of each public route, requests per second (Bybit-like default 120; load tests from one IP raise it). */
  publicLimit?: number;
  /** REST deadlines and header limit (headers 10 s, whole request 30 s, keep-alive 72 s, headers 16 KiB; docs/security.md). */
  httpBudgets?: HttpBudgets;
  accounts?: readonly AccountInput[];
  logger?: FastifyBaseLogger | false;
  /** Journal hook: every inbound request and WS frame in either direction. */
  onTraffic?: (e: TrafficEvent) => void;
  /** Command-journal hook: every state-changing venue command, from any source (sim-exchange/venue/commands.ts). */
  onCommand?: (c: VenueCommand) => void;
  /** Repro bundles on the control plane (POST /repro): their root directory and what the venue is made of. */
  repro?: { readonly root: string; readonly source: () => ReproSource };
  /**
   * The background market (docs/market.md), run in real time at `market.speed` × by a timer; its accounts are
   * created after `accounts`. Default (undefined or false): no market, the books start empty.
   */
  market?: MarketOptions | false;
  /** Journal hook of venue faults: one `{kind:'fault', at, action:'start'|'end', id, fault}` record each (docs/faults.md). */
  onFault?: (r: FaultRecord) => void;
  /** The faults' time seam (window ends, delayed commands); real timers by default. */
  faultTimers?: FaultTimers;
  /** Observers of REST answers and WebSocket frames (bybit-v5/tap.ts): the scenario runner's view of the bot. */
  tap?: { readonly rest?: RestTap; readonly ws?: WsTap };
  /**
   * WebSocket budgets (docs/websocket.md "Budgets"): maxPayload, maxInboundPerSec, maxBufferedBytes,
   * maxTotalBufferedBytes, idleMs, subscribeCaps, tradeReqIdWindow; each absent one keeps its default.
   */
  ws?: WsSettings;
}

export interface SimHandle {
  readonly venue: Venue;
  readonly gateway: WsGateway;
  readonly delays: ChannelDelays;
  readonly limiter: RateLimiter;
  /** The background market, when one runs. */
  readonly market: Market | undefined;
  readonly marketDriver: RealtimeDriver | undefined;
  /** Venue faults (docs/faults.md), also on the control plane at /faults. */
  readonly faults: FaultController;
  readonly token: string;
  readonly urls: {
    readonly rest: string;
    readonly wsPublic: string;
    readonly wsPrivate: string;
    readonly wsTrade: string;
    readonly control: string;
  };
  close(): Promise<void>;
}

/** Shortest control-plane token accepted on a non-loopback address. */
export const MIN_EXPOSED_TOKEN_LENGTH = 16;

/** True for 127.0.0.0/8, ::1 and `localhost`: addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
}

/**
 * Why the venue must not start on `host` with this token, or undefined. The control plane resets the venue and
 * creates funded accounts, so a venue other machines can reach needs a token the operator chose (docs/security.md).
 */
export function exposureProblem(host: string, token: string | undefined): string | undefined {
  if (isLoopback(host)) return undefined;
  if (token === undefined || token === '') {
    return `--host ${host} is reachable from other machines: give the control plane a token with --token (or MMBENCH_CONTROL_TOKEN), at least ${MIN_EXPOSED_TOKEN_LENGTH} characters`;
  }
  if (token.length < MIN_EXPOSED_TOKEN_LENGTH) return `--token must be at least ${MIN_EXPOSED_TOKEN_LENGTH} characters when --host ${host} is not loopback`;
  return undefined;
}

/**
 * Starts the simulated venue: REST and the three WebSocket paths on one port, the control plane on another, both
 * bound to 127.0.0.1 unless told otherwise.
 */
export async function startSim(opts: SimOptions = {}): Promise<SimHandle> {
  const host = opts.host ?? '127.0.0.1';
  const seed = opts.seed ?? 1;
  const clock = opts.clock ?? new SystemClock();
  const logger = opts.logger ?? false;
  const venue = new Venue({ instruments: opts.instruments ?? DEFAULT_INSTRUMENTS, clock, seed });
  const rng = new Rng(seed);
  const exposed = exposureProblem(host, opts.token);
  if (exposed) throw new Error(exposed);
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const delays: ChannelDelays = { rest: 0, public: 0, private: 0, trade: 0 };
  const limiter = new RateLimiter({ ...BYBIT_LINEAR_LIMITS, ...opts.rateLimits }, BYBIT_DEFAULT_LIMIT);

  if (opts.onCommand) venue.listen({ onCommand: opts.onCommand });
  for (const a of opts.accounts ?? []) venue.createAccount(a);
  const market = opts.market ? new Market(venue, { seed, ...opts.market }) : undefined;
  const driver = market ? new RealtimeDriver(market, clock, market.speed) : undefined;

  const keys = { byKey: (k: string) => venue.accountByKey(k) };
  const restFaults: RestFaultGate = { hook: undefined };
  const tradeFaults: TradeFaultGate = { hook: undefined };
  const rest = createRestApp({
    faults: restFaults,
    keys,
    clock,
    limiter,
    logger,
    delayMs: () => delays.rest,
    ...(opts.publicLimit !== undefined ? { publicLimit: opts.publicLimit } : {}),
    ...opts.httpBudgets,
    ...(opts.onTraffic ? { onRequest: opts.onTraffic } : {}),
    ...(opts.tap?.rest ? { tap: opts.tap.rest } : {}),
  });
  let gateway: WsGateway | undefined;
  registerRoutes(rest, venue, { bookUpdateId: (symbol) => gateway?.feed.updateId(symbol, 1000) ?? venue.book(symbol).seq });
  await rest.app.listen({ host, port: opts.port ?? 0 });
  gateway = attachWebSockets(rest.app.server, {
    ...opts.ws,
    venue,
    clock,
    keys,
    limiter,
    ids: new IdSource(rng.fork('ws-conn-ids')),
    delayMs: (channel) => delays[channel],
    tradeFaults,
    ...(logger ? { logger } : {}),
    ...(opts.onTraffic ? { onMessage: opts.onTraffic } : {}),
    ...(opts.tap?.ws ? { tap: opts.tap.ws } : {}),
  });

  const ws = gateway;
  const faults = new FaultController({
    venue,
    seed,
    clock,
    gateway,
    rest: restFaults,
    trade: tradeFaults,
    volatility: market ? () => oneSecondVolBps(market.params(), market.speed) : undefined,
    timers: opts.faultTimers,
    onFault: opts.onFault,
    logger: logger || undefined,
  });
  const control = createControlApp({
    venue, token, delays, limiter, logger, faults,
    market: market && driver ? { market, driver } : undefined,
    repro: opts.repro,
    wsStats: () => ws.stats(),
    restStats: () => rest.httpStats(),
    onReset: () => {
      // 1012 = service restart: clients reconnect and re-authenticate against the fresh venue.
      ws.drop({}, 1012, 'venue reset');
      // The market's accounts went with the reset: it makes new ones and quotes again.
      market?.reattach();
    },
  });
  await control.listen({ host, port: opts.controlPort ?? 0 });

  driver?.start();

  const venuePort = (rest.app.server.address() as AddressInfo).port;
  const controlPort = (control.server.address() as AddressInfo).port;
  const base = `${host}:${venuePort}`;
  return {
    venue,
    gateway,
    delays,
    limiter,
    market,
    marketDriver: driver,
    faults,
    token,
    urls: {
      rest: `http://${base}`,
      wsPublic: `ws://${base}/v5/public/linear`,
      wsPrivate: `ws://${base}/v5/private`,
      wsTrade: `ws://${base}/v5/trade`,
      control: `http://${host}:${controlPort}`,
    },
    async close() {
      faults.dispose();
      driver?.stop();
      market?.stop();
      await gateway?.close();
      await Promise.all([rest.app.close(), control.close()]);
    },
  };
}
