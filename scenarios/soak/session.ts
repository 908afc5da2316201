/**
 * The soak's long-lived session (docs/soak.md): ONE venue (in this process, with its background market), ONE fault
 * proxy and ONE bot process (`node --import tsx bot/main.ts --config bot.yaml`, as the scenario runner starts it),
 * kept alive across every window of the soak; the windows are cuts in one continuous run.
 *
 * Start-up is the scenario runner's (scenarios/runner.ts): the venue paused after its first market turn, the proxies,
 * the bot configured only through its file and pointed at the proxies, its /healthz and its first quote at the venue;
 * then t0, the market resumes. From then on, window by window:
 *
 *  - `begin(w)`: at the boundary the regime is switched through the control plane (POST /market/regime), a fresh
 *    background REST load is started (scenarios/run/load.ts: a low rate, straight to the venue on loopback, with the
 *    load account's signed GETs; one autocannon instance per window, the previous one stopped), and the window's seeded
 *    fault is armed;
 *  - `waitEnd(w)`: the clock runs until soak time reaches the window's end; the fault fires (POST /faults) when its
 *    time comes; a sampler records the venue mid and the bot's best bid/ask (its open orders at the venue) every
 *    100 ms into the current window's buffers;
 *  - `cut(w, next)`: synchronously the window's end (venue clock) is taken and the buffers handed over, the next
 *    window begins (as above), then both processes' /metrics are scraped once (the bot's quote-cycle histogram and its prom-client process metrics; the venue's
 *    control-plane `mmvenue_*` process metrics, after a full GC of this process) — the next window starts at the same
 *    instant, there is no gap;
 *  - `collect(cut)`: the bot's fills since the last window from the venue ledger (GET /accounts/:uid/ledger?since),
 *    those in [start, end) are this window's (later ones wait for the next), the bot's orders created in the window
 *    from the venue's order store, the quote-cycle samples from the histogram delta; then the scenario runner's own
 *    computeMetricsWithDetails and gate functions (evaluateGate, safetyGates, recoveryGates). In the final window
 *    (or when the bot died) the bot is stopped with SIGTERM first and the always-on safety gates include
 *    open_orders_after_stop.
 *
 * Everything kept per window is dropped when the window is collected, so the harness's own memory (which shares the
 * process, and so the `mmvenue_*` RSS and heap, with the venue) stays flat over a long soak.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pino from 'pino';
import { ChaosDriver, type Channel } from '../../chaos/driver.ts';
import { DEFAULT_INSTRUMENTS } from '../../sim-exchange/instruments.ts';
import type { RegimeName } from '../../sim-exchange/market/params.ts';
import { startSim, type SimHandle } from '../../sim-exchange/server.ts';
import { evaluateGate, recoveryGates, safetyGates, type GateOutcome } from '../gates.ts';
import { computeMetricsWithDetails, type MetricDetails } from '../metrics.ts';
import { renderTemplate } from '../bot-spec.ts';
import { control, toFillRow, type LedgerView } from '../run/control.ts';
import { launchBot } from '../run/bot-launch.ts';
import { stopBot, type BotProcess } from '../run/bot-process.ts';
import { NO_BOT_METRICS } from '../run/bot-metrics.ts';
import { venueLog } from '../run/venue-log.ts';
import { LOAD_ACCOUNT, startLoad, type LoadHandle } from '../run/load.ts';
import { histogramDelta, histogramSamples, parseHistogram, type Histogram } from '../run/prom.ts';
import { BOT_ACCOUNT } from '../run/venue.ts';
import { VenueWatch } from '../run/venue-view.ts';
import { Sampler } from '../run/sampler.ts';
import type { LoadedScenario } from '../schema.ts';
import type { BotExit, VenueView, FaultWindow, FillRow, Gate, Metrics, MidPoint, OrderRow, RunRecord } from '../types.ts';
import { EMPTY_RESOURCES, botResources, scrapeResources, type ResourceSample } from './resources.ts';

const OPEN_AFTER_STOP = 'open_orders_after_stop = 0';
const UNHANDLED = 'unhandled_errors = 0';

/**
 * `; first venue error: GET /v5/market/tickers?…: unexpected error in REST handler (RangeError: …)` from a pino line —
 * also from one cut short (the bot's lines are kept to 500 characters), where the fields are picked out one by one.
 */
export function firstError(who: string, lines: readonly string[]): string {
  const line = lines[0];
  if (line === undefined) return '';
  const field = (name: string) => new RegExp(`"${name}":"((?:[^"\\\\]|\\\\.)*)"`).exec(line)?.[1];
  let r: { msg?: unknown; method?: unknown; url?: unknown; err?: { type?: unknown; message?: unknown } } | undefined;
  try {
    r = JSON.parse(line) as typeof r;
  } catch {
    r = line.trimStart().startsWith('{') ? { msg: field('msg'), method: field('method'), url: field('url'), err: { type: field('type'), message: field('message') } } : undefined;
  }
  let text = line;
  if (r && typeof r === 'object') {
    const where = typeof r.method === 'string' && typeof r.url === 'string' ? `${r.method} ${r.url}: ` : '';
    const err = r.err && typeof r.err.message === 'string' ? `${typeof r.err.type === 'string' ? `${r.err.type}: ` : ''}${r.err.message}` : '';
    const msg = typeof r.msg === 'string' ? r.msg : '';
    text = `${where}${msg}${msg && err ? ` (${err})` : err}` || line;
  }
  return `; first ${who} error: ${text.slice(0, 240)}`;
}

export interface SessionConfig {
  /** Where bot.yaml and logs/ of this session go. */
  readonly dir: string;
  readonly runId: string;
  readonly seed: number;
  /** Market time per wall second. */
  readonly speed: number;
  /** Background REST requests per second (0: none). */
  readonly loadRps: number;
  /** The soak's scenario document: its bot config (base + overrides) and instrument. */
  readonly loaded: LoadedScenario;
  /** The regime of the session's first window (the market starts in it). */
  readonly firstRegime: RegimeName;
  /** Soak time (ms from the soak's start) at the session's t0: 0, or the first remaining window's start on resume. */
  readonly offsetMs: number;
}

export interface WindowFault {
  readonly name: string;
  /** Soak time at which it fires. */
  readonly atMs: number;
  readonly type: string;
  readonly params: Record<string, unknown>;
}

export interface WindowSpec {
  readonly index: number;
  /** Soak time (ms from the soak's start). */
  readonly startMs: number;
  readonly endMs: number;
  readonly regime: RegimeName;
  readonly fault: WindowFault | null;
  /** Recovery gate after the fault (wall ms), when there is a fault. */
  readonly recoveryWithinMs: number | null;
  readonly gates: readonly Gate[];
}

export interface TimelineEntry {
  readonly at: number;
  readonly soakMs: number;
  readonly what: string;
  readonly error?: string;
}

/** What `cut` hands to `collect`: the window's buffers, taken at the boundary. */
export interface WindowCut {
  readonly spec: WindowSpec;
  readonly start: number;
  readonly end: number;
  readonly mids: readonly MidPoint[];
  readonly quotes: readonly { time: number; bid: number | null; ask: number | null }[];
  readonly faults: readonly FaultWindow[];
  readonly timeline: readonly TimelineEntry[];
  readonly hist: Histogram | undefined;
  readonly prevHist: Histogram | undefined;
  /** The venue's view of the bot in the window. */
  readonly view: VenueView;
  readonly bot: ResourceSample;
  readonly venue: ResourceSample;
  readonly load: LoadHandle | undefined;
  /** Unhandled-error log lines of the window (level ≥ error without a catalogue code; crash output of the bot). */
  readonly botUncoded: readonly string[];
  readonly venueUncoded: readonly string[];
  /** Fills the venue's ledger holds at the cut (all accounts). */
  readonly venueLedgerRows: number;
  readonly errors: readonly string[];
}

export interface WindowOutcome {
  readonly record: RunRecord;
  readonly metrics: Metrics;
  readonly details: MetricDetails;
  readonly gates: readonly GateOutcome[];
  readonly venue: ResourceSample;
  readonly bot: ResourceSample;
  readonly load: { readonly sent: number; readonly ok: number; readonly failed: number } | null;
  readonly venueLedgerRows: number;
  /** The first few unhandled-error lines of each process in the window (all of them are in the session's logs). */
  readonly unhandled: { readonly venue: readonly string[]; readonly bot: readonly string[] };
  readonly timeline: readonly TimelineEntry[];
  /** The bot was stopped (final window) or died: no further window can run in this session. */
  readonly stopped: boolean;
  readonly botExit: BotExit | null;
}

/** A full GC of this process before the venue's heap is read (a live-heap figure, not a point in a GC cycle). */
function processGc(): (() => void) | undefined {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

export class SoakSession {
  private readonly sampler: Sampler;
  private load: LoadHandle | undefined;
  private faults: FaultWindow[] = [];
  private timeline: TimelineEntry[] = [];
  private errors: string[] = [];
  private windowStart = 0;
  private lastHist: Histogram | undefined;
  private ledgerSeq = 0;
  /** Fills fetched past the last window's end: the next window's. */
  private pending: FillRow[] = [];
  private position = 0;
  private stopped = false;
  private botExit: BotExit | null = null;
  private pendingFault: WindowFault | null = null;
  private readonly gc = processGc();
  private readonly lotValue: number;
  private readonly positionLimit: number;

  private constructor(
    private readonly cfg: SessionConfig,
    private readonly sim: SimHandle,
    private readonly chaos: ChaosDriver,
    private readonly bot: BotProcess,
    /** The bot's metrics URL (when it exports them) as rendered for this session. */
    private readonly metricsUrl: string | undefined,
    private readonly watch: VenueWatch,
    private readonly botUid: number,
    private readonly symbol: string,
    private readonly venueUncoded: string[],
    private readonly closeLog: () => Promise<void>,
    private readonly m0: number,
  ) {
    const inst = sim.venue.instrument(symbol);
    this.sampler = new Sampler(sim.venue, botUid, symbol);
    this.lotValue = inst.lot.units / 10 ** inst.lot.scale;
    this.positionLimit = cfg.loaded.bot.positionLimit;
  }

  /** Starts venue, proxies and bot; resolves at t0 (the market running, the bot quoting). Cleans up on failure. */
  static async start(cfg: SessionConfig): Promise<SoakSession> {
    const logsDir = join(cfg.dir, 'logs');
    mkdirSync(logsDir, { recursive: true });
    const sc = cfg.loaded.scenario;
    const symbol = sc.instrument.symbol;
    const vlog = venueLog(join(logsDir, 'venue.log'), 4000);
    const venueUncoded = vlog.uncoded;
    const closeLog = vlog.close;
    const logger = pino({ level: 'warn', base: { runId: cfg.runId, scenario: sc.id, seed: cfg.seed } }, vlog.stream);
    let sim: SimHandle | undefined;
    let chaos: ChaosDriver | undefined;
    let bot: BotProcess | undefined;
    const watch = new VenueWatch({ apiKey: BOT_ACCOUNT.apiKey, symbol, thresholdBps: sc.reaction.threshold_bps, horizonMs: sc.reaction.horizon });
    try {
      sim = await startSim({
        tap: watch.tap,
        seed: cfg.seed,
        instruments: DEFAULT_INSTRUMENTS,
        accounts: cfg.loadRps > 0 ? [BOT_ACCOUNT, LOAD_ACCOUNT] : [BOT_ACCOUNT],
        logger: logger as never,
        market: { symbol, regime: cfg.firstRegime, speed: cfg.speed, ...(sc.market.start_price ? { startPrice: sc.market.start_price } : {}) },
      });
      sim.marketDriver?.pause();
      const venue = sim.venue;
      const botUid = venue.accountByKey(BOT_ACCOUNT.apiKey)!.uid;
      watch.attach(venue, botUid);
      const port = new URL(sim.urls.rest).port;
      chaos = await ChaosDriver.start({ upstream: `127.0.0.1:${port}`, seed: cfg.seed, prefix: `mmbench-soak-${process.pid}-${cfg.offsetMs}` });
      if (sc.network.profile) await chaos.applyProfile(sc.network.profile);
      const ep = (ch: Channel) => `${chaos!.endpoint(ch).host}:${chaos!.endpoint(ch).port}`;
      const spec = cfg.loaded.bot;
      const launched = await launchBot({
        spec, venue, uid: botUid, account: BOT_ACCOUNT, symbol, endpoint: ep, runDir: cfg.dir, logsDir, seed: cfg.seed,
        header: `Generated by mmbench soak (seed ${cfg.seed}), venue → the fault proxy.`,
        onSpawn: (p) => (bot = p),
      });
      const metricsUrl = spec.metrics ? renderTemplate(spec.metrics.url, launched.values) : undefined;
      const market = sim.market!;
      const s = new SoakSession(cfg, sim, chaos, launched.bot, metricsUrl, watch, botUid, symbol, venueUncoded, closeLog, market.nowMs);
      // The warm-up's quote cycles are not the first window's; its process metrics start a fresh lag histogram.
      const first = await s.scrapeBot();
      s.lastHist = first.hist;
      await s.scrapeVenue();
      s.windowStart = venue.clock.now();
      s.sampler.start();
      sim.marketDriver!.resume();
      return s;
    } catch (err) {
      if (bot) await stopBot(bot).catch(() => undefined);
      watch.detach();
      await chaos?.close().catch(() => undefined);
      await sim?.close().catch(() => undefined);
      await closeLog();
      throw err;
    }
  }

  /** Soak time now: market time since t0 plus the session's offset. */
  soakNow(): number {
    return this.sim.market!.nowMs - this.m0 + this.cfg.offsetMs;
  }

  /** The processes this session runs: the bot's pid, and this process's (the venue's). */
  get pids(): { readonly bot: number | undefined; readonly venue: number } {
    return { bot: this.bot.child.pid, venue: process.pid };
  }

  get alive(): boolean {
    return !this.stopped && this.bot.running;
  }

  /** The bot's quote-cycle histogram (when it exports one) and its resources (RSS from /proc for any bot). */
  private async scrapeBot(): Promise<{ hist: Histogram | undefined; resources: ResourceSample }> {
    let text = '';
    if (this.metricsUrl) {
      const r = await fetch(this.metricsUrl, { signal: AbortSignal.timeout(5000) });
      text = await r.text();
    }
    const hist = this.cfg.loaded.bot.metrics ? parseHistogram(text, this.cfg.loaded.bot.metrics.histogram) : undefined;
    return { hist, resources: botResources(this.bot.child.pid, text) };
  }

  private scrapeVenue(): Promise<ResourceSample> {
    this.gc?.();
    return scrapeResources(`${this.sim.urls.control}/metrics`, 'mmvenue_', 5000, { authorization: `Bearer ${this.sim.token}` });
  }

  private record(what: string, error?: string): void {
    this.timeline.push({ at: this.sim.venue.clock.now(), soakMs: Math.round(this.soakNow()), what, ...(error ? { error } : {}) });
    if (error) this.errors.push(`${what}: ${error}`);
  }

  /** At the window's start (the previous window's cut): regime, a fresh background load, the fault armed. */
  async begin(w: WindowSpec, first: boolean): Promise<void> {
    if (!first) {
      try {
        await control(this.sim, 'POST', '/market/regime', { regime: w.regime });
        this.record(`regime ${w.regime}`);
      } catch (err) {
        this.record(`regime ${w.regime}`, (err as Error).message);
      }
    }
    if (this.cfg.loadRps > 0) {
      this.load = startLoad({ restUrl: this.sim.urls.rest, wsPublicUrl: this.sim.urls.wsPublic, restRps: this.cfg.loadRps, wsClients: 0, symbol: this.symbol, account: LOAD_ACCOUNT });
    }
    this.pendingFault = w.fault;
  }

  /** Runs until soak time reaches the window's end, firing the window's fault on time; returns early if the bot dies. */
  async waitEnd(w: WindowSpec): Promise<void> {
    const len = w.endMs - Math.max(w.startMs, this.cfg.offsetMs);
    const wallLimit = (len / this.cfg.speed) * 3 + 30_000;
    const wallStart = performance.now();
    for (;;) {
      const now = this.soakNow();
      const f = this.pendingFault;
      if (f && now >= f.atMs) {
        this.pendingFault = null;
        const at = this.sim.venue.clock.now();
        try {
          await control(this.sim, 'POST', '/faults', { type: f.type, params: f.params });
          this.faults.push({ kind: 'venue', name: f.name, start: at, end: at });
          this.record(`venue fault ${f.name}`);
        } catch (err) {
          this.record(`venue fault ${f.name}`, (err as Error).message);
        }
      }
      if (now >= w.endMs) return;
      if (!this.alive) {
        this.errors.push(`the bot exited during the window (code ${this.bot.child.exitCode}, signal ${this.bot.child.signalCode})`);
        return;
      }
      if (performance.now() - wallStart > wallLimit) {
        this.errors.push(`soak time reached only ${Math.round(now)} of ${w.endMs} ms within ${Math.round(wallLimit)} ms of wall time`);
        return;
      }
      const wait = f ? Math.min(20, Math.max(1, (f.atMs - now) / this.cfg.speed)) : 20;
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  /**
   * The boundary: takes the window's end and its buffers synchronously (the next window's start is the same instant),
   * begins the next window (its regime, load and fault) when there is one, then scrapes both processes once: the bot
   * first, then the venue after a full GC of this process.
   */
  async cut(w: WindowSpec, next: WindowSpec | null): Promise<WindowCut> {
    const { mids, quotes } = this.sampler.drain();
    const end = this.sim.venue.clock.now();
    const view = this.watch.view(performance.now(), true);
    const part = {
      start: this.windowStart,
      end,
      view,
      mids,
      quotes,
      faults: this.faults,
      timeline: this.timeline,
      errors: this.errors,
      load: this.load,
      // Taken out of the arrays (not copied), so a process that keeps erroring does not grow this one's memory.
      botUncoded: this.bot.errorLines.splice(0),
      venueUncoded: this.venueUncoded.splice(0),
      venueLedgerRows: this.sim.venue.ledger.size,
    };
    // The next window starts here; the last mid and quote carry over as its state at the start.
    this.windowStart = end;
    this.faults = [];
    this.timeline = [];
    this.errors = [];
    this.load = undefined;
    this.pendingFault = null;
    const prevHist = this.lastHist;
    if (next && this.alive) await this.begin(next, false);
    const botScrape = this.alive ? await this.scrapeBot().catch((err: Error) => ({ error: err.message })) : { error: 'the bot is not running' };
    const venue = await this.scrapeVenue();
    let hist: Histogram | undefined;
    let bot = EMPTY_RESOURCES;
    const errors = [...part.errors];
    if ('error' in botScrape) errors.push(`bot /metrics scrape at the window's end failed: ${botScrape.error}`);
    else {
      hist = botScrape.hist;
      bot = botScrape.resources;
      if (hist) this.lastHist = hist;
    }
    return { spec: w, ...part, errors, hist, prevHist, bot, venue };
  }

  /** The window's record, metrics and gates. `final`: stop the bot first (the end of the soak). */
  async collect(c: WindowCut, final: boolean): Promise<WindowOutcome> {
    const venue = this.sim.venue;
    const errors = [...c.errors];
    const loadStats = c.load ? { sent: c.load.stats.sent, ok: c.load.stats.ok, failed: c.load.stats.failed } : null;
    await c.load?.stop().catch(() => undefined);
    let stoppedNow = false;
    if (final || !this.alive) {
      if (!this.stopped) {
        this.sampler.stop();
        await this.load?.stop().catch(() => undefined);
        this.botExit = await stopBot(this.bot);
        this.stopped = true;
        stoppedNow = true;
        this.sim.marketDriver?.pause();
      }
    }
    // The bot's fills since the last window, from the venue's ledger; those at or past the end are the next window's.
    let fills: FillRow[] = [];
    try {
      const res = (await control(this.sim, 'GET', `/accounts/${this.botUid}/ledger?since=${this.ledgerSeq}`)) as { list: LedgerView[] };
      const fresh = res.list.filter((f) => f.symbol === this.symbol).map(toFillRow);
      for (const f of res.list) this.ledgerSeq = Math.max(this.ledgerSeq, f.seq);
      const all = [...this.pending, ...fresh];
      fills = all.filter((f) => f.time < c.end || stoppedNow);
      this.pending = stoppedNow ? [] : all.filter((f) => f.time >= c.end);
    } catch (err) {
      errors.push(`ledger: ${(err as Error).message}`);
    }
    let maxAbs = Math.abs(this.position);
    for (const f of fills) {
      this.position += f.side * f.qty;
      maxAbs = Math.max(maxAbs, Math.abs(this.position));
    }
    maxAbs = Number(maxAbs.toFixed(9));
    // The bot's orders created in the window (the venue keeps each account's last 20 000 closed orders).
    const mine = [...venue.orders.closedOf(this.botUid), ...venue.orders.openOf(this.botUid)].filter((o) => o.symbol === this.symbol);
    const inWindow = (t: number) => t >= c.start && t < c.end;
    const seen = new Map<string, number>();
    let dupLinks = 0;
    for (const o of [...mine].sort((a, b) => a.createdTime - b.createdTime)) {
      if (!o.orderLinkId) continue;
      const n = (seen.get(o.orderLinkId) ?? 0) + 1;
      seen.set(o.orderLinkId, n);
      if (n > 1 && inWindow(o.createdTime)) dupLinks++;
    }
    const orders: OrderRow[] = mine
      .filter((o) => o.status !== 'Rejected' && inWindow(o.createdTime))
      .map((o) => {
        const open = o.status === 'New' || o.status === 'PartiallyFilled';
        return {
          orderId: o.orderId,
          orderLinkId: o.orderLinkId,
          createdTime: o.createdTime,
          closedTime: open || o.updatedTime > c.end ? null : o.updatedTime,
          qty: o.qty * this.lotValue,
          filled: o.filled * this.lotValue,
        };
      });
    const stopped = this.stopped;
    const openAfterStop = stopped ? venue.orders.openCount(this.botUid, this.symbol) : 0;
    const quoteCycleMs = c.hist ? histogramSamples(histogramDelta(c.hist, c.prevHist)) : [];
    const record: RunRecord = {
      scenarioId: this.cfg.loaded.scenario.id,
      seed: this.cfg.seed,
      start: c.start,
      end: c.end,
      fills,
      orders,
      mids: c.mids,
      quoteCycleMs,
      ...(this.cfg.loaded.bot.metrics ? {} : { quoteCycleAbsent: NO_BOT_METRICS }),
      quotes: c.quotes,
      faults: c.faults,
      view: c.view,
      safety: {
        openOrdersAfterStop: openAfterStop,
        duplicateOrderLinkIds: dupLinks,
        maxAbsPosition: maxAbs,
        positionLimit: this.positionLimit,
        unhandledErrors: { venue: c.venueUncoded.length, bot: c.botUncoded.length },
        ...(stoppedNow && this.botExit ? { botExit: this.botExit } : {}),
      },
    };
    const { metrics, details } = computeMetricsWithDetails(record);
    const gates: GateOutcome[] = c.spec.gates.map((g) => evaluateGate(metrics, g));
    // The always-on safety gates; open orders after stop only once the bot has stopped.
    // The unhandled-errors gate names the first error of each process, so the report says what went wrong.
    gates.push(
      ...safetyGates(record.safety)
        .filter((g) => stopped || g.name !== OPEN_AFTER_STOP)
        .map((g) => (g.pass || g.name !== UNHANDLED ? g : { ...g, detail: `${g.detail}${firstError('venue', c.venueUncoded)}${firstError('bot', c.botUncoded)}` })),
    );
    if (c.spec.recoveryWithinMs !== null && record.faults.length > 0) gates.push(...recoveryGates(record, c.spec.recoveryWithinMs));
    // The soak's own problems in the window (a scrape, the ledger, a fault that could not be injected, the bot gone).
    if (errors.length > 0) {
      gates.push({ name: 'window completed', kind: 'safety', pass: false, value: null, threshold: 'no runner error', detail: errors.join('; ').slice(0, 500) });
    }
    return { record, metrics, details, gates, venue: c.venue, bot: c.bot, load: loadStats, venueLedgerRows: c.venueLedgerRows, unhandled: { venue: c.venueUncoded.slice(0, 5), bot: c.botUncoded.slice(0, 5) }, timeline: c.timeline, stopped, botExit: stoppedNow ? this.botExit : null };
  }

  /** Tears everything down (idempotent); the bot gets SIGTERM if it is still running. */
  async close(): Promise<void> {
    this.sampler.stop();
    await this.load?.stop().catch(() => undefined);
    this.load = undefined;
    if (this.bot.running) await stopBot(this.bot).catch(() => undefined);
    this.watch.detach();
    this.stopped = true;
    await this.chaos.close().catch(() => undefined);
    await this.sim.close().catch(() => undefined);
    await this.closeLog().catch(() => undefined);
  }
}
