import type { Venue } from '../venue/venue.ts';
import { Rng } from '../rng.ts';
import { toSteps } from '../bybit-v5/decimal.ts';
import { Scheduler, type Scheduled } from './scheduler.ts';
import { LatentPrice } from './latent.ts';
import { regimeParams, lerpParams, type MarketParams, type ParamOverrides, type RegimeName } from './params.ts';
import { LiquidityProvider, DEFAULT_LPS, type LpStyle } from './agents/lp.ts';
import { NoiseTaker, InformedTaker } from './agents/takers.ts';
import type { Agent, AgentContext, AgentStats } from './agents/context.ts';

/** One scripted regime change, `atMs` after the timeline was applied (market start for MarketOptions.timeline). */
export interface TimelineStep {
  readonly atMs: number;
  readonly regime: RegimeName;
  readonly params?: ParamOverrides | undefined;
  /** Numeric parameters move linearly from the old regime's to the new one's over this long (0 = at once). */
  readonly transitionMs?: number | undefined;
}

export interface MarketOptions {
  /** Default BTCUSDT. */
  readonly symbol?: string;
  /** Starting regime (default calm) and overrides of its parameters. */
  readonly regime?: RegimeName;
  readonly params?: ParamOverrides;
  readonly timeline?: readonly TimelineStep[];
  /** Latent start price as a decimal string; default: the venue's mark, else "60000". */
  readonly startPrice?: string;
  /** Seed of every market stream; default: the venue's seed (one seed drives all, DESIGN.md §2). */
  readonly seed?: number;
  /** Real-time driver speed: market time runs `speed` × the venue clock (default 1). Not used by advanceTo/step. */
  readonly speed?: number;
  readonly lps?: readonly LpStyle[];
  /** Grid of the latent price, ms (default 50). */
  readonly latentStepMs?: number;
  /** Called with the event time (ms) before each event runs: offline runs set their ManualClock here. */
  readonly setClock?: (ms: number) => void;
  /** A monotonic timer (ms) for measuring time spent in venue commands (benchmarks); never read otherwise. */
  readonly timer?: () => number;
}

export interface MarketSnapshot {
  readonly symbol: string;
  readonly regime: RegimeName;
  readonly overrides: ParamOverrides;
  readonly transition: { readonly from: RegimeName; readonly endsInMs: number } | null;
  readonly params: MarketParams;
  readonly paused: boolean;
  readonly speed: number;
  /** Market time (ms since the epoch) and how long the market has run. */
  readonly timeMs: number;
  readonly elapsedMs: number;
  readonly latentPrice: string;
  readonly latentTicks: number;
  readonly midTicks: number | null;
  readonly events: number;
  readonly trades: number;
  readonly volumeLots: number;
  readonly timeline: readonly { readonly inMs: number; readonly regime: RegimeName }[];
  readonly agents: readonly (AgentStats & { position: number })[];
}

const TRANSITION_TICK_US = 250_000;
/**
 * Balance of every market account: margin never binds at leverage 100 (LP ladders and inventories are a few hundred
 * BTC at most), and 5e7 USDT = 5e15 nano-USDT stays a safe integer, so wallet arithmetic remains exact.
 */
const MARKET_BALANCE = '50000000';

/**
 * The background market: a latent price, liquidity providers and takers, all trading through the Venue from their
 * own accounts, driven by a discrete-event scheduler in market time. `advanceTo` / `step` run every event due, in
 * (time, scheduling order); with a ManualClock and the same seed and inputs the venue ledger is byte-identical.
 * No wall clock and no Math.random here: time comes from the scheduler, randomness from forks of one Rng.
 */
export class Market {
  readonly symbol: string;
  readonly speed: number;
  private readonly venue: Venue;
  private readonly sched = new Scheduler();
  private readonly latent: LatentPrice;
  private readonly agents: Agent[] = [];
  private readonly lps: LiquidityProvider[] = [];
  private readonly byUid = new Map<number, Agent>();
  private readonly accountNames: string[] = [];
  private readonly secretRng: Rng;
  private readonly setClock: ((ms: number) => void) | undefined;
  private readonly timer: (() => number) | undefined;
  private readonly unlisten: () => void;
  private readonly startUs: number;
  private now: number;
  private regime: RegimeName;
  private overrides: ParamOverrides;
  private current: MarketParams;
  private transition: { from: RegimeName; fromParams: MarketParams; startUs: number; endUs: number; tick: Scheduled } | null = null;
  private timeline: { atUs: number; step: TimelineStep; ev: Scheduled }[] = [];
  private isPaused = false;
  private stopped = false;
  events = 0;
  trades = 0;
  volumeLots = 0;
  /** Time spent inside venue commands, ms (only with `timer`). */
  venueMs = 0;

  constructor(venue: Venue, opts: MarketOptions = {}) {
    this.venue = venue;
    this.symbol = opts.symbol ?? 'BTCUSDT';
    this.speed = opts.speed ?? 1;
    this.setClock = opts.setClock;
    this.timer = opts.timer;
    const inst = venue.instrument(this.symbol);
    const rng = new Rng(opts.seed ?? venue.seed).fork(`market:${this.symbol}`);
    this.secretRng = rng.fork('account-secrets');
    this.now = venue.clock.now() * 1000;
    this.startUs = this.now;
    this.regime = opts.regime ?? 'calm';
    this.overrides = opts.params ?? {};
    this.current = regimeParams(this.regime, this.overrides);

    let startTicks = venue.mark(this.symbol);
    if (opts.startPrice !== undefined || startTicks === undefined) {
      const r = toSteps(opts.startPrice ?? '60000', inst.tick);
      if (!r.ok) throw new Error(`market startPrice: ${r.why}`);
      startTicks = r.value;
    }
    this.latent = new LatentPrice(rng.fork('latent'), startTicks, this.now, (opts.latentStepMs ?? 50) * 1000, this.current);

    const ctx = this.context();
    for (const style of opts.lps ?? DEFAULT_LPS) {
      const lp = new LiquidityProvider(ctx, rng.fork(`lp:${style.name}`), style, this.account(style.name));
      this.lps.push(lp);
      this.agents.push(lp);
    }
    this.agents.push(new NoiseTaker(ctx, rng.fork('noise'), this.account('noise')));
    this.agents.push(new InformedTaker(ctx, rng.fork('informed'), this.account('informed')));
    for (const a of this.agents) this.byUid.set(a.stats.uid, a);

    this.unlisten = venue.listen({
      onAccountUpdate: (uid, u) => {
        const a = this.byUid.get(uid);
        if (!a || u.executions.length === 0) return;
        a.stats.fills += u.executions.length;
        for (const e of u.executions) a.stats.volumeLots += e.qty;
        a.onFill?.();
      },
      onTrades: (symbol, trades) => {
        if (symbol !== this.symbol) return;
        this.trades += trades.length;
        for (const t of trades) this.volumeLots += t.qty;
      },
    });

    if (this.current.shock) this.latent.addShock(this.current.shock, this.now);
    for (const a of this.agents) a.start();
    this.scheduleLatent();
    if (opts.timeline) this.setTimeline(opts.timeline);
  }

  // ---------------------------------------------------------------- time

  /** Market time, µs and ms. */
  get nowUs(): number {
    return this.now;
  }
  get nowMs(): number {
    return this.now / 1000;
  }
  get paused(): boolean {
    return this.isPaused;
  }
  /** Time of the next event, ms, or undefined. */
  nextEventMs(): number | undefined {
    const t = this.sched.peekUs();
    return t === undefined ? undefined : t / 1000;
  }

  /**
   * Runs every event due at or before `ms` (market time), at most `maxEvents` of them. Returns how many ran. Market
   * time ends at `ms` unless the budget stopped it earlier. A paused or stopped market does nothing.
   */
  advanceTo(ms: number, maxEvents = Number.POSITIVE_INFINITY): number {
    if (this.isPaused || this.stopped) return 0;
    const until = Math.floor(ms * 1000);
    let n = 0;
    for (;;) {
      const t = this.sched.peekUs();
      if (t === undefined || t > until) break;
      if (n >= maxEvents) return n;
      this.runNext();
      n++;
    }
    if (until > this.now) {
      this.now = until;
      this.setClock?.(Math.floor(until / 1000));
    }
    return n;
  }

  /** Runs the next event, whenever it is due. False when none is pending or the market is paused. */
  step(): boolean {
    if (this.isPaused || this.stopped || this.sched.peekUs() === undefined) return false;
    this.runNext();
    return true;
  }

  pause(): void {
    this.isPaused = true;
  }
  resume(): void {
    this.isPaused = false;
  }

  // ---------------------------------------------------------------- regimes

  /** Switches regime now (overrides replace the previous ones), optionally moving there linearly over transitionMs. */
  setRegime(regime: RegimeName, overrides: ParamOverrides = {}, transitionMs = 0): void {
    const fromParams = this.current;
    const from = this.regime;
    this.regime = regime;
    this.overrides = overrides;
    if (this.transition) this.transition.tick.cancelled = true;
    this.transition = null;
    const target = regimeParams(regime, overrides);
    if (target.shock) this.latent.addShock(target.shock, this.now);
    if (transitionMs > 0) {
      const endUs = this.now + transitionMs * 1000;
      this.transition = { from, fromParams, startUs: this.now, endUs, tick: this.sched.at(this.now, () => this.transitionTick()) };
    } else {
      this.apply(target);
    }
  }

  /** Replaces the pending timeline; steps run `atMs` after now. */
  setTimeline(steps: readonly TimelineStep[]): void {
    for (const t of this.timeline) t.ev.cancelled = true;
    const sorted = [...steps].sort((a, b) => a.atMs - b.atMs);
    this.timeline = sorted.map((step) => {
      const atUs = this.now + Math.round(step.atMs * 1000);
      const entry = {
        atUs,
        step,
        ev: this.sched.at(atUs, () => {
          this.timeline = this.timeline.filter((x) => x !== entry);
          this.setRegime(step.regime, step.params ?? {}, step.transitionMs ?? 0);
        }),
      };
      return entry;
    });
  }

  params(): MarketParams {
    return this.current;
  }

  /** Latent price in ticks now, or `aheadMs` ahead. */
  fair(aheadMs = 0): number {
    return this.latent.at(this.now + aheadMs * 1000);
  }

  // ---------------------------------------------------------------- lifecycle

  /** After a venue reset: the market's accounts are gone; create them again and requote from scratch. */
  reattach(): void {
    this.byUid.clear();
    for (let i = 0; i < this.agents.length; i++) {
      const a = this.agents[i]!;
      const uid = this.account(this.accountNames[i]!);
      a.rebind(uid);
      this.byUid.set(uid, a);
    }
  }

  /** Cancels the LPs' orders and stops for good. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const lp of this.lps) lp.withdraw();
    this.sched.clear();
    this.unlisten();
  }

  snapshot(): MarketSnapshot {
    const inst = this.venue.instrument(this.symbol);
    const fair = this.fair();
    return {
      symbol: this.symbol,
      regime: this.regime,
      overrides: this.overrides,
      transition: this.transition ? { from: this.transition.from, endsInMs: (this.transition.endUs - this.now) / 1000 } : null,
      params: this.current,
      paused: this.isPaused,
      speed: this.speed,
      timeMs: Math.floor(this.now / 1000),
      elapsedMs: (this.now - this.startUs) / 1000,
      latentPrice: (fair * Number(inst.config.tickSize)).toFixed(inst.priceDecimals),
      latentTicks: fair,
      midTicks: this.venue.mid(this.symbol),
      events: this.events,
      trades: this.trades,
      volumeLots: this.volumeLots,
      timeline: this.timeline.map((t) => ({ inMs: (t.atUs - this.now) / 1000, regime: t.step.regime })),
      agents: this.agents.map((a) => ({
        ...a.stats,
        position: this.venue.accounts.get(a.stats.uid)?.positions.get(this.symbol)?.size ?? 0,
      })),
    };
  }

  /** Uids of the market's own accounts (metrics exclude them). */
  uids(): number[] {
    return [...this.byUid.keys()];
  }

  // ---------------------------------------------------------------- internals

  private runNext(): void {
    const ev = this.sched.pop()!;
    if (ev.atUs > this.now) this.now = ev.atUs;
    this.setClock?.(Math.floor(this.now / 1000));
    this.events++;
    ev.run();
  }

  private apply(p: MarketParams): void {
    this.current = p;
    this.latent.setParams(p, this.now);
    for (const a of this.agents) a.onParams();
  }

  private transitionTick(): void {
    const t = this.transition;
    if (!t) return;
    const target = regimeParams(this.regime, this.overrides);
    const w = (this.now - t.startUs) / (t.endUs - t.startUs);
    if (w >= 1) {
      this.transition = null;
      this.apply(target);
      return;
    }
    this.apply(lerpParams(t.fromParams, target, w));
    t.tick = this.sched.at(Math.min(t.endUs, this.now + TRANSITION_TICK_US), () => this.transitionTick());
  }

  private scheduleLatent(): void {
    this.sched.at(this.latent.nextStepAfter(this.now), () => {
      this.latent.trim(this.now);
      for (const lp of this.lps) lp.onLatent();
      this.scheduleLatent();
    });
  }

  private account(name: string): number {
    if (!this.accountNames.includes(name)) this.accountNames.push(name);
    const apiKey = `mmbench-market-${this.symbol}-${name}`.slice(0, 64);
    const existing = this.venue.accountByKey(apiKey);
    if (existing) return existing.uid;
    const secret = `market-${this.secretRng.u32().toString(16)}${this.secretRng.u32().toString(16)}`;
    return this.venue.createAccount({
      apiKey, secret, balance: MARKET_BALANCE, makerFeeRate: '0', takerFeeRate: '0', leverage: 100, label: `market:${name}`,
      // The market trades all day: keeping its every fill and closed order would grow a long-lived venue without end.
      history: 'recent',
    }).uid;
  }

  private context(): AgentContext {
    const market = this;
    return {
      venue: this.venue,
      symbol: this.symbol,
      nowUs: () => market.now,
      fair: (aheadMs = 0) => market.latent.at(market.now + aheadMs * 1000),
      params: () => market.current,
      withdrawal: () => market.latent.withdrawal(market.now),
      at: (atUs, run) => market.sched.at(Math.max(atUs, market.now), run),
      timed: this.timer
        ? <T>(fn: () => T): T => {
            const t0 = market.timer!();
            try {
              return fn();
            } finally {
              market.venueMs += market.timer!() - t0;
            }
          }
        : <T>(fn: () => T): T => fn(),
    };
  }
}
