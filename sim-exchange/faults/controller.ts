/**
 * FaultController: starts, schedules, ends and lists venue faults (docs/faults.md). The control plane (`/faults`) and
 * the scenario runner drive the same object.
 *
 * How faults reach the venue: each layer exposes a seam that is `undefined` while no fault of its kind is active
 * (REST: RestFaultGate.hook, /v5/trade: TradeFaultGate.hook, order entry: setOrderFaultHook, public feed:
 * feed.muted / feed.deltaFault, gateway: mute / refuseUpgrades / drop, clock: SystemClock.offsetMs). After every start
 * or end the controller recomputes all seams from the active faults, so ending the last fault of a kind restores the
 * exact normal path. Commands delayed by a fault (processing latency, late cancels) run at once, in order, when the
 * last fault that delays them ends; no timer is left behind.
 *
 * Randomness: every fault draws from its own stream, `new Rng(seed).fork('faults').fork('<id>:<type>')`, ids being
 * f1, f2, … in creation order, so the same seed and the same faults give the same draws for the same request sequence.
 */
import type { Venue } from '../venue/venue.ts';
import type { Clock } from '../clock.ts';
import { Rng } from '../rng.ts';
import { VenueError, CATALOGUE } from '../bybit-v5/errors.ts';
import type { RawAnswer, RestFaultGate, RestFaultHook } from '../bybit-v5/rest/http.ts';
import type { TradeFaultGate, TradeFaultHook } from '../bybit-v5/ws-trade/server.ts';
import { setOrderFaultHook, type OrderFaultHook, type OrderOpName } from '../bybit-v5/trading.ts';
import type { WsGateway } from '../bybit-v5/ws/gateway.ts';
import type { BookDepth } from '../bybit-v5/ws-public/feed.ts';
import { PRIVATE_TOPICS } from '../bybit-v5/ws-private/server.ts';
import { FifoDelayer } from './delayer.ts';
import { realTimers, type FaultTimers, type TimerHandle } from './timers.ts';
import { sampleLatency, volatilityScale } from './latency.ts';
import {
  FaultSpec,
  FaultTimeline,
  INSTANT_FAULTS,
  type FaultParams,
  type FaultRecord,
  type FaultType,
  type FaultTimelineInput,
} from './types.ts';

/** The part of the WebSocket gateway the faults use. */
export type FaultGateway = Pick<WsGateway, 'drop' | 'feed' | 'refuseUpgrades' | 'mute'>;

export interface FaultControllerDeps {
  readonly venue: Venue;
  /** The venue seed; faults draw from forks of it. */
  readonly seed: number;
  /** The venue clock: journal times, and clock-skew (needs a numeric `offsetMs`, as SystemClock has). */
  readonly clock: Clock;
  readonly gateway?: FaultGateway | undefined;
  readonly rest?: RestFaultGate | undefined;
  readonly trade?: TradeFaultGate | undefined;
  /** The background market's current 1 s volatility in bps, when a market runs (latency scaling). */
  readonly volatility?: (() => number | undefined) | undefined;
  /** Window ends, scheduled starts, delayed commands. Default: real timers. */
  readonly timers?: FaultTimers | undefined;
  /** Journal hook: one record per fault start and end. */
  readonly onFault?: ((r: FaultRecord) => void) | undefined;
  readonly logger?: { error(obj: object, msg?: string): void } | undefined;
}

/** A fault the controller knows, as GET /faults shows it. */
export interface FaultView {
  readonly id: string;
  readonly type: FaultType;
  readonly params: Record<string, unknown>;
  readonly state: 'active' | 'scheduled';
  /** The window, null = until ended. */
  readonly durationMs: number | null;
  /** Scheduled: ms until it starts. */
  readonly startsInMs?: number;
  /** Active: ms until it ends, null = until ended. */
  readonly endsInMs?: number | null;
  /** Active: what it did so far. */
  readonly stats?: Record<string, number>;
}

/** A spec that parses but cannot apply to this venue (unknown topic or symbol, no gateway, a clock without offset). */
export class FaultSpecError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'FaultSpecError';
  }
}

interface Active<T extends FaultType = FaultType> {
  readonly id: string;
  readonly type: T;
  readonly params: FaultParams<T>;
  readonly durationMs: number | undefined;
  readonly rng: Rng;
  readonly stats: Record<string, number>;
  endsAt: number | undefined;
  timer: TimerHandle | undefined;
}

interface Scheduled {
  readonly id: string;
  readonly spec: FaultSpec;
  readonly startAt: number;
  timer: TimerHandle | undefined;
}

/** An order reject with any retCode, in Bybit's envelope (the catalogue's text for known codes). */
export class InjectedError extends VenueError {
  constructor(retCode: number, retMsg: string) {
    super('SERVER', undefined, retMsg);
    Object.defineProperty(this, 'retCode', { value: retCode });
  }
}

function defaultMessage(retCode: number): string {
  for (const e of Object.values(CATALOGUE)) if (e.retCode === retCode) return e.retMsg;
  return CATALOGUE.SERVER.retMsg;
}

const HTML_TITLES: Record<number, string> = {
  500: '500 Internal Server Error',
  502: '502 Bad Gateway',
  503: '503 Service Temporarily Unavailable',
  504: '504 Gateway Time-out',
};

/** The body of a faulted HTTP answer: an nginx-style HTML page, nothing, or a V5 envelope with 10016. */
export function httpAnswer(status: number, body: 'html' | 'empty' | 'json', now: number): RawAnswer {
  if (body === 'empty') return { status, body: '' };
  if (body === 'json') {
    const msg = status === 503 ? 'Service Unavailable' : CATALOGUE.SERVER.retMsg;
    return { status, body: `{"retCode":10016,"retMsg":"${msg}","result":{},"retExtInfo":{},"time":${now}}`, contentType: 'application/json; charset=utf-8' };
  }
  const t = HTML_TITLES[status] ?? `${status} Error`;
  return {
    status,
    body: `<html>\r\n<head><title>${t}</title></head>\r\n<body>\r\n<center><h1>${t}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
    contentType: 'text/html',
  };
}

type ByType = { [T in FaultType]?: Active<T>[] };

export class FaultController {
  private readonly rng: Rng;
  private readonly timers: FaultTimers;
  private readonly active: Active[] = [];
  private readonly scheduled: Scheduled[] = [];
  private by: ByType = {};
  private nextId = 0;
  private skewBase: number | undefined;
  private readonly latencyQueue: FifoDelayer;
  private readonly cancelQueue: FifoDelayer;
  private readonly restHook: RestFaultHook;
  private readonly tradeHook: TradeFaultHook;
  private readonly orderHook: OrderFaultHook;
  private disposed = false;

  constructor(private readonly deps: FaultControllerDeps) {
    this.rng = new Rng(deps.seed).fork('faults');
    this.timers = deps.timers ?? realTimers;
    const onError = (err: unknown) => deps.logger?.error({ err }, 'delayed command failed');
    this.latencyQueue = new FifoDelayer(this.timers, onError);
    this.cancelQueue = new FifoDelayer(this.timers, onError);
    this.restHook = {
      early: (path, isPrivate) => this.early(path, isPrivate),
      storm: (_path, uid) => this.storm(uid),
      defer: (key, run) => this.deferLatency('rest', key, run),
    };
    this.tradeHook = { defer: (key, run) => this.deferLatency('trade', key, run) };
    this.orderHook = {
      reject: (uid, op) => this.reject(uid, op),
      deferCancel: (uid, apply) => this.deferCancel(uid, apply),
    };
  }

  // ------------------------------------------------------------------------------------------------ operations

  /**
   * Starts a fault now, or schedules it (`startInMs`). Validates with zod (throws ZodError naming the path) and against
   * this venue (throws FaultSpecError). Returns its view.
   */
  add(input: unknown): FaultView {
    const spec = FaultSpec.parse(input);
    this.check(spec, '');
    return this.enqueue(spec);
  }

  /** Adds every step of a timeline (`atMs` = start from now), all or none. Returns their views, in step order. */
  timeline(input: FaultTimelineInput | unknown): FaultView[] {
    const { steps } = FaultTimeline.parse(input);
    const specs = steps.map((s, i) => {
      const { atMs, ...rest } = s;
      const spec = FaultSpec.parse({ ...rest, startInMs: atMs });
      this.check(spec, `steps.${i}.`);
      return spec;
    });
    return specs.map((s) => this.enqueue(s));
  }

  /** Ends an active fault now, or cancels a scheduled one. False if the id is unknown (or already over). */
  end(id: string): boolean {
    const f = this.active.find((a) => a.id === id);
    if (f !== undefined) {
      this.stop(f, 'ended');
      return true;
    }
    const i = this.scheduled.findIndex((s) => s.id === id);
    if (i < 0) return false;
    const s = this.scheduled[i]!;
    if (s.timer !== undefined) this.timers.clearTimeout(s.timer);
    this.scheduled.splice(i, 1);
    return true;
  }

  /** Cancels every scheduled fault and ends every active one. Returns how many there were. */
  clear(): number {
    const n = this.active.length + this.scheduled.length;
    for (const s of this.scheduled.splice(0)) if (s.timer !== undefined) this.timers.clearTimeout(s.timer);
    for (const f of [...this.active].reverse()) this.stop(f, 'cleared');
    return n;
  }

  /** Active and scheduled faults, with remaining times. */
  list(): { active: FaultView[]; scheduled: FaultView[] } {
    const now = this.timers.now();
    return {
      active: this.active.map((f) => ({
        id: f.id,
        type: f.type,
        params: f.params as Record<string, unknown>,
        state: 'active' as const,
        durationMs: f.durationMs ?? null,
        endsInMs: f.endsAt === undefined ? null : Math.max(0, Math.round(f.endsAt - now)),
        stats: { ...f.stats },
      })),
      scheduled: this.scheduled.map((s) => this.scheduledView(s, now)),
    };
  }

  /** Clears everything and refuses new faults (the venue is closing). */
  dispose(): void {
    this.clear();
    this.disposed = true;
  }

  /** Commands waiting for a fault's delay (processing latency and late cancels). */
  get pendingCommands(): number {
    return this.latencyQueue.pending + this.cancelQueue.pending;
  }

  // ------------------------------------------------------------------------------------------------ lifecycle

  private enqueue(spec: FaultSpec): FaultView {
    if (this.disposed) throw new FaultSpecError('(body)', 'the venue is closing');
    const id = `f${++this.nextId}`;
    const startIn = spec.startInMs ?? 0;
    if (startIn > 0) {
      const s: Scheduled = { id, spec, startAt: this.timers.now() + startIn, timer: undefined };
      s.timer = this.timers.setTimeout(() => {
        s.timer = undefined;
        const i = this.scheduled.indexOf(s);
        if (i < 0) return;
        this.scheduled.splice(i, 1);
        this.start(id, spec);
      }, startIn);
      this.scheduled.push(s);
      return this.scheduledView(s, this.timers.now());
    }
    const f = this.start(id, spec);
    const now = this.timers.now();
    return {
      id,
      type: spec.type,
      params: spec.params as Record<string, unknown>,
      state: 'active',
      durationMs: f.durationMs ?? null,
      endsInMs: f.endsAt === undefined ? (INSTANT_FAULTS.has(spec.type) ? 0 : null) : Math.max(0, Math.round(f.endsAt - now)),
      stats: { ...f.stats },
    };
  }

  private scheduledView(s: Scheduled, now: number): FaultView {
    return {
      id: s.id,
      type: s.spec.type,
      params: s.spec.params as Record<string, unknown>,
      state: 'scheduled',
      durationMs: s.spec.durationMs ?? null,
      startsInMs: Math.max(0, Math.round(s.startAt - now)),
    };
  }

  private start(id: string, spec: FaultSpec): Active {
    const f: Active = {
      id,
      type: spec.type,
      params: spec.params,
      durationMs: INSTANT_FAULTS.has(spec.type) ? undefined : spec.durationMs,
      rng: this.rng.fork(`${id}:${spec.type}`),
      stats: {},
      endsAt: undefined,
      timer: undefined,
    };
    const gw = this.deps.gateway;
    if (INSTANT_FAULTS.has(spec.type)) {
      this.record('start', f);
      try {
        if (spec.type === 'ws-close') {
          const p = spec.params;
          f.stats['closed'] = gw!.drop({ ...(p.channel ? { channel: p.channel } : {}), ...(p.uid !== undefined ? { uid: p.uid } : {}) }, p.code, p.reason);
        } else if (spec.type === 'resnapshot') {
          gw!.feed.resnapshot(spec.params.symbol);
        }
      } catch (err) {
        this.deps.logger?.error({ err, id, type: spec.type }, 'fault failed');
      }
      this.record('end', f, 'instant');
      return f;
    }
    this.active.push(f);
    this.rebuild();
    if (spec.type === 'maintenance') {
      // Upgrades are refused first (rebuild), then every connection is closed.
      f.stats['closed'] = gw!.drop({}, spec.params.wsCode, 'service maintenance');
    }
    if (f.durationMs !== undefined) {
      f.endsAt = this.timers.now() + f.durationMs;
      f.timer = this.timers.setTimeout(() => {
        f.timer = undefined;
        if (this.active.includes(f)) this.stop(f, 'elapsed');
      }, f.durationMs);
    }
    this.record('start', f);
    return f;
  }

  private stop(f: Active, reason: 'elapsed' | 'ended' | 'cleared'): void {
    const i = this.active.indexOf(f);
    if (i < 0) return;
    this.active.splice(i, 1);
    if (f.timer !== undefined) this.timers.clearTimeout(f.timer);
    f.timer = undefined;
    this.rebuild();
    // Delayed commands run now, in order, once nothing delays them any more.
    if (f.type === 'latency' && !this.by.latency) this.latencyQueue.flush();
    if (f.type === 'late-cancel' && !this.by['late-cancel']) this.cancelQueue.flush();
    this.record('end', f, reason);
  }

  private record(action: 'start' | 'end', f: Active, reason?: FaultRecord['reason']): void {
    const hook = this.deps.onFault;
    if (hook === undefined) return;
    const r: FaultRecord = {
      kind: 'fault',
      at: this.deps.clock.now(),
      action,
      id: f.id,
      fault: { type: f.type, params: f.params as Record<string, unknown>, ...(f.durationMs !== undefined ? { durationMs: f.durationMs } : {}) },
      ...(action === 'end' ? { stats: { ...f.stats }, reason: reason ?? 'ended' } : {}),
    };
    try {
      hook(r);
    } catch (err) {
      this.deps.logger?.error({ err }, 'fault journal hook threw');
    }
  }

  /** Recomputes every seam from the active faults. */
  private rebuild(): void {
    const by: ByType = {};
    for (const f of this.active) ((by as Record<string, Active[]>)[f.type] ??= []).push(f);
    this.by = by;
    const { rest, trade, gateway, venue, clock } = this.deps;
    const latency = (ch: 'rest' | 'trade') => by.latency?.some((f) => f.params.channels.includes(ch)) === true;
    if (rest) rest.hook = by.maintenance || by['http-error'] || by['rate-limit-storm'] || latency('rest') ? this.restHook : undefined;
    if (trade) trade.hook = latency('trade') ? this.tradeHook : undefined;
    setOrderFaultHook(venue, by['reject-orders'] || by['late-cancel'] ? this.orderHook : undefined);
    if (gateway) {
      gateway.mute(by['mute-topic'] ? new Set(by['mute-topic'].map((f) => f.params.topic)) : undefined);
      gateway.feed.deltaFault = by['book-deltas'] ? (symbol, depth) => this.deltaFault(symbol, depth) : undefined;
      gateway.refuseUpgrades(by.maintenance ? 503 : undefined);
    }
    const skews = by['clock-skew'];
    const c = clock as Clock & { offsetMs?: number };
    if (skews) {
      if (this.skewBase === undefined) this.skewBase = c.offsetMs ?? 0;
      c.offsetMs = this.skewBase + skews.reduce((s, f) => s + f.params.offsetMs, 0);
    } else if (this.skewBase !== undefined) {
      c.offsetMs = this.skewBase;
      this.skewBase = undefined;
    }
  }

  /** Checks what zod cannot: that the fault can apply to this venue. */
  private check(spec: FaultSpec, prefix: string): void {
    const gw = this.deps.gateway;
    const needsGateway: FaultType[] = ['ws-close', 'mute-topic', 'book-deltas', 'resnapshot', 'maintenance'];
    if (needsGateway.includes(spec.type) && gw === undefined) throw new FaultSpecError(`${prefix}type`, `${spec.type} needs the WebSocket gateway`);
    const symbol = (spec.type === 'book-deltas' || spec.type === 'resnapshot') ? spec.params.symbol : undefined;
    if (symbol !== undefined && !this.deps.venue.instruments.has(symbol)) throw new FaultSpecError(`${prefix}params.symbol`, `no instrument ${symbol}`);
    if (spec.type === 'mute-topic') {
      const t = spec.params.topic;
      if (!PRIVATE_TOPICS.has(t) && gw!.feed.topic(t) === undefined) throw new FaultSpecError(`${prefix}params.topic`, `unknown topic ${t}`);
    }
    if (spec.type === 'clock-skew' && typeof (this.deps.clock as { offsetMs?: unknown }).offsetMs !== 'number') {
      throw new FaultSpecError(`${prefix}type`, 'clock-skew needs a clock with offsetMs (SystemClock)');
    }
  }

  // ------------------------------------------------------------------------------------------------ hooks

  private early(path: string, isPrivate: boolean): RawAnswer | undefined {
    const m = this.by.maintenance?.[0];
    if (m !== undefined) {
      m.stats['rest'] = (m.stats['rest'] ?? 0) + 1;
      return httpAnswer(503, m.params.body, this.deps.clock.now());
    }
    const errs = this.by['http-error'];
    if (errs === undefined) return undefined;
    for (const f of errs) {
      const r = f.params.routes;
      if (r !== 'all' && (r === 'private') !== isPrivate) continue;
      if (f.rng.next() < f.params.p) {
        f.stats['hits'] = (f.stats['hits'] ?? 0) + 1;
        return httpAnswer(f.params.status, f.params.body ?? (f.params.status === 504 ? 'empty' : 'html'), this.deps.clock.now());
      }
    }
    void path;
    return undefined;
  }

  private storm(uid: number): boolean {
    for (const f of this.by['rate-limit-storm'] ?? []) {
      if (f.params.uid !== undefined && f.params.uid !== uid) continue;
      if (f.rng.next() < f.params.p) {
        f.stats['hits'] = (f.stats['hits'] ?? 0) + 1;
        return true;
      }
    }
    return false;
  }

  private deferLatency(channel: 'rest' | 'trade', key: object, run: () => void): boolean {
    let delay = 0;
    let any = false;
    for (const f of this.by.latency ?? []) {
      if (!f.params.channels.includes(channel)) continue;
      any = true;
      const scale = f.params.volScale ? volatilityScale(this.deps.volatility?.(), f.params) : 1;
      const d = sampleLatency(f.rng, f.params, scale);
      f.stats['delayed'] = (f.stats['delayed'] ?? 0) + 1;
      f.stats['totalMs'] = (f.stats['totalMs'] ?? 0) + Math.round(d);
      f.stats['maxMs'] = Math.max(f.stats['maxMs'] ?? 0, Math.round(d));
      delay += d;
    }
    if (!any) return false;
    this.latencyQueue.schedule(key, delay, run);
    return true;
  }

  private reject(uid: number, op: OrderOpName): VenueError | undefined {
    for (const f of this.by['reject-orders'] ?? []) {
      const p = f.params;
      if ((p.uid !== undefined && p.uid !== uid) || !p.ops.includes(op)) continue;
      if (f.rng.next() < p.p) {
        f.stats['rejected'] = (f.stats['rejected'] ?? 0) + 1;
        return new InjectedError(p.retCode, p.retMsg ?? defaultMessage(p.retCode));
      }
    }
    return undefined;
  }

  private deferCancel(uid: number, apply: () => void): boolean {
    for (const f of this.by['late-cancel'] ?? []) {
      const p = f.params;
      if (p.uid !== undefined && p.uid !== uid) continue;
      if (!(f.rng.next() < p.p)) continue;
      const stats = f.stats;
      stats['deferred'] = (stats['deferred'] ?? 0) + 1;
      this.cancelQueue.schedule(uid, p.delayMs, () => {
        try {
          apply();
          stats['applied'] = (stats['applied'] ?? 0) + 1;
        } catch (err) {
          if (!(err instanceof VenueError)) throw err;
          // The order filled (or was cancelled) before the late cancel reached it.
          stats['raced'] = (stats['raced'] ?? 0) + 1;
        }
      });
      return true;
    }
    return false;
  }

  private deltaFault(symbol: string, depth: BookDepth): 'drop' | 'dup' | undefined {
    for (const f of this.by['book-deltas'] ?? []) {
      const p = f.params;
      if ((p.symbol !== undefined && p.symbol !== symbol) || (p.depth !== undefined && p.depth !== depth)) continue;
      const u = f.rng.next();
      if (u < p.dropP) {
        f.stats['dropped'] = (f.stats['dropped'] ?? 0) + 1;
        return 'drop';
      }
      if (u < p.dropP + p.dupP) {
        f.stats['duplicated'] = (f.stats['duplicated'] ?? 0) + 1;
        return 'dup';
      }
    }
    return undefined;
  }
}
