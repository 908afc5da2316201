/**
 * The scenario runner (docs/scenarios.md, "What the runner does"). One scenario, end to end:
 *
 *  1. the venue **in-process** (startSim: the background market or a replay, a command journal for the repro bundle,
 *     its pino log to logs/venue.log), the market paused right after its first turn so the book is there but market
 *     time has not started;
 *  2. the fault proxy (ChaosDriver: the embedded Toxiproxy, or TOXIPROXY_URL), one proxy per venue channel, the
 *     scenario's network profile applied;
 *  3. the bot **as its own process** (`node --import tsx bot/main.ts --config bot.yaml`), configured only through the
 *     generated bot.yaml, which points it at the proxies; the runner waits for its /healthz and its first quote;
 *  4. t0: the market resumes (or the replay starts). The timeline plays in scenario (market) time: regime steps are
 *     the market's own timeline; venue faults go through the control plane (POST /faults, DELETE /faults/:id), network
 *     toxics through the driver (added at start, removed at end); windows `[a, b]` are drawn from the seed. Every
 *     100 ms the venue mid and the bot's best bid/ask (its open orders at the venue) are sampled; every second the
 *     bot's /metrics;
 *  5. at the end: faults still on are ended, /metrics scraped one last time, the bot stopped with SIGTERM (it cancels
 *     everything and exits 0), then the venue ledger (GET /ledger), the bot's order history, and the safety facts;
 *  6. RunRecord → computeMetrics → evaluateGates (+ recovery gates) → report.json, summary.md, junit.xml,
 *     report.html, run.json, logs/ and repro/ under the scenario's artifact directory.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import pino from 'pino';
import { stringify as stringifyYaml } from 'yaml';
import { startSim, type SimHandle } from '../sim-exchange/server.ts';
import { Journal } from '../sim-exchange/journal.ts';
import { DEFAULT_INSTRUMENTS } from '../sim-exchange/instruments.ts';
import { writeReproBundle, type ReproSource } from '../sim-exchange/repro.ts';
import type { JournalHeader } from '../sim-exchange/venue/commands.ts';
import { loadReplay } from '../sim-exchange/market/replay/load.ts';
import { ReplayPlayer } from '../sim-exchange/market/replay/player.ts';
import { startRealtime } from '../sim-exchange/market/replay/realtime.ts';
import { Rng } from '../sim-exchange/rng.ts';
import { ChaosDriver, CHANNELS, type Channel } from '../chaos/driver.ts';
import { computeMetricsWithDetails, type MetricDetails } from './metrics.ts';
import { evaluateGates, positionGate, recoveryGates, type GateOutcome } from './gates.ts';
import { resolveRepoPath, type AtSpec, type LoadedScenario, type Scenario } from './schema.ts';
import { launchBot, type BotProcess } from './run/bot-process.ts';
import { venueLog } from './run/venue-log.ts';
import { histogramDelta, histogramSamples, parseHistogram, percentile, type Histogram } from './run/prom.ts';
import { LOAD_ACCOUNT, startLoad, type LoadHandle } from './run/load.ts';
import { writeScenarioReports } from './run/reports.ts';
import type { FaultWindow, FillRow, MidPoint, OrderRow, RunRecord, ScenarioReport } from './types.ts';

export const BOT_ACCOUNT = { apiKey: 'mmbench-scenario-bot', secret: 'mmbench-scenario-bot-secret', balance: '100000', label: 'bot' } as const;
const SAMPLE_MS = 100;
const SCRAPE_MS = 1000;
const BOT_HEALTH_TIMEOUT_MS = 30_000;
const BOT_STOP_TIMEOUT_MS = 20_000;

export interface Progress {
  readonly scenarioId: string;
  readonly phase: 'starting' | 'running' | 'stopping' | 'reporting' | 'done';
  /** Scenario time so far and in all (ms). */
  readonly elapsedMs: number;
  readonly durationMs: number;
  readonly fills: number;
  readonly position: number;
  readonly activeFaults: number;
}

export interface RunOptions {
  /** artifacts/<run>/<scenario>/ */
  readonly dir: string;
  readonly runId: string;
  /** Replaces the scenario's seed (mmbench run --seed, repro). */
  readonly seed?: number;
  readonly onProgress?: (p: Progress) => void;
}

/** What run.json holds: enough to rebuild every report (mmbench report) and to check a repro. */
export interface SavedRun {
  readonly kind: 'mm-bench-run';
  readonly version: 1;
  readonly runId: string;
  readonly scenarioFile: string;
  readonly scenario: Scenario;
  readonly record: RunRecord;
  readonly extras: RunExtras;
}

export interface RunExtras {
  readonly wallMs: number;
  readonly speed: number;
  readonly botUid: number;
  readonly botExit: { code: number | null; signal: string | null };
  readonly botCodes: Record<string, number>;
  readonly botUncoded: readonly string[];
  readonly venueUncoded: readonly string[];
  /** Timeline actions as they fired (venue clock). */
  readonly timeline: readonly { readonly at: number; readonly plannedMs: number; readonly scenarioMs: number; readonly what: string; readonly error?: string }[];
  /** P50/P95/P99 of the quote cycle per scrape interval (decoded from bucket deltas). */
  readonly quoteCycleSeries: readonly { readonly time: number; readonly count: number; readonly p50: number | null; readonly p95: number | null; readonly p99: number | null; readonly samples: readonly number[] }[];
  /** Bot position over time (sampled with the quotes). */
  readonly positions: readonly { readonly time: number; readonly position: number }[];
  readonly load: LoadHandle['stats'] | null;
  readonly market: { readonly rebases: number; readonly events: number } | null;
  readonly replay: object | null;
  readonly details: MetricDetails;
  readonly reproDir: string | null;
  readonly error: string | null;
}

export interface RunOutcome {
  readonly report: ScenarioReport;
  readonly saved: SavedRun;
  readonly gates: readonly GateOutcome[];
  readonly dir: string;
  readonly pass: boolean;
}

interface Action {
  readonly scenarioMs: number;
  readonly order: number;
  readonly what: string;
  readonly run: () => Promise<void>;
}

/** Resolves a start time: fixed, or drawn uniformly from [from, to] with the scenario seed's stream `name`. */
export function resolveAt(at: AtSpec, seed: number, name: string): number {
  if ('fixed' in at) return at.fixed;
  return Math.round(at.from + new Rng(seed).fork(name).next() * (at.to - at.from));
}

export async function runScenario(loaded: LoadedScenario, opts: RunOptions): Promise<RunOutcome> {
  const sc = loaded.scenario;
  const seed = opts.seed ?? sc.seed;
  const dir = opts.dir;
  const logsDir = join(dir, 'logs');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(logsDir, { recursive: true });
  writeFileSync(join(dir, 'scenario.yaml'), loaded.text || stringifyYaml(sc));
  const wall0 = performance.now();
  const symbol = sc.instrument.symbol;
  const isReplay = sc.market.replay !== undefined;
  const speed = sc.market.replay ? sc.market.replay.speed : sc.market.speed;
  const progress = (p: Omit<Progress, 'scenarioId' | 'durationMs'>) => opts.onProgress?.({ scenarioId: sc.id, durationMs: sc.duration, ...p });
  progress({ phase: 'starting', elapsedMs: 0, fills: 0, position: 0, activeFaults: 0 });

  // ---- the venue: log, journal, in-process server
  const vlog = venueLog(join(logsDir, 'venue.log'), 500);
  const venueUncoded = vlog.uncoded;
  const logger = pino({ level: 'warn', base: { runId: opts.runId, scenario: sc.id, seed } }, vlog.stream);
  const journalPath = join(dir, '.journal.jsonl.gz');
  const journal = new Journal(journalPath, { gzip: true });
  const instruments = DEFAULT_INSTRUMENTS;
  journal.write({ kind: 'header', version: 1, seed, instruments } satisfies JournalHeader);

  const replay = sc.market.replay ? await loadReplay(resolveRepoPath(sc.market.replay.file), { speed: sc.market.replay.speed }) : undefined;
  const timeline = sc.market.timeline ?? [];
  const marketOpts = isReplay
    ? false
    : {
        symbol,
        regime: timeline[0]!.regime,
        ...(timeline[0]!.params ? { params: timeline[0]!.params } : {}),
        timeline: timeline.slice(1).map((s) => ({ atMs: s.at, regime: s.regime, params: s.params, transitionMs: s.transition })),
        speed: sc.market.speed,
        ...(sc.market.start_price ? { startPrice: sc.market.start_price } : {}),
      };
  const reproSource = (): ReproSource => ({
    seed,
    instruments,
    journal,
    market: isReplay ? null : { regime: timeline[0]!.regime, speed: sc.market.speed, timeline: marketOpts ? marketOpts.timeline : [] },
    replayFile: sc.market.replay ? resolveRepoPath(sc.market.replay.file) : undefined,
    argv: ['run', relative(process.cwd(), loaded.file) || loaded.file, '--seed', String(seed)],
  });

  let sim: SimHandle | undefined;
  let chaos: ChaosDriver | undefined;
  let load: LoadHandle | undefined;
  let botProc: BotProcess | undefined;
  let replayDriver: { stop(): void } | undefined;
  let player: ReplayPlayer | undefined;
  let sampler: NodeJS.Timeout | undefined;
  let scraper: NodeJS.Timeout | undefined;
  let error: string | null = null;
  let botExit: { code: number | null; signal: string | null } = { code: null, signal: null };
  const mids: MidPoint[] = [];
  const quotes: { time: number; bid: number | null; ask: number | null }[] = [];
  const positions: { time: number; position: number }[] = [];
  const faults: FaultWindow[] = [];
  const fired: { at: number; plannedMs: number; scenarioMs: number; what: string; error?: string }[] = [];
  const qcSeries: { time: number; count: number; p50: number | null; p95: number | null; p99: number | null; samples: number[] }[] = [];
  let lastHist: Histogram | undefined;
  let finalHist: Histogram | undefined;
  let t0Hist: Histogram | undefined;
  let start = 0;
  let end = 0;
  let botUid = 0;
  let reproDir: string | null = null;
  let openAfterStop = 0;
  let dupLinks = 0;
  let maxAbsPos = 0;
  let fills: FillRow[] = [];
  let orders: OrderRow[] = [];
  let marketFacts: RunExtras['market'] = null;
  const botConfig = structuredClone(loaded.botConfig) as Record<string, unknown> & { quoting?: { maxPosition?: unknown } };

  try {
    sim = await startSim({
      seed,
      instruments,
      // A second account only for the background load's signed requests (its own rate limits, not the bot's).
      accounts: sc.load.rest_rps > 0 ? [BOT_ACCOUNT, LOAD_ACCOUNT] : [BOT_ACCOUNT],
      logger: logger as never,
      market: marketOpts,
      onCommand: (c) => journal.write(c),
      onFault: (r) => journal.write(r),
      repro: { root: dir, source: reproSource },
    });
    // The driver's first turn placed the LPs' quotes at market time 0; hold market time there until the bot quotes.
    sim.marketDriver?.pause();
    const venue = sim.venue;
    botUid = venue.accountByKey(BOT_ACCOUNT.apiKey)!.uid;
    const inst = venue.instrument(symbol);
    const tickValue = inst.tick.units / 10 ** inst.tick.scale;
    const lotValue = inst.lot.units / 10 ** inst.lot.scale;
    if (replay) {
      player = new ReplayPlayer(venue, replay.session, { speed: sc.market.replay!.speed, startMs: venue.clock.now() });
      player.advanceTo(venue.clock.now()); // the first snapshot: a book for the bot to join
    }

    // ---- the fault proxy
    const port = new URL(sim.urls.rest).port;
    chaos = await ChaosDriver.start({ upstream: `127.0.0.1:${port}`, seed, prefix: `mmbench-${process.pid}-${sc.id}` });
    if (sc.network.profile) await chaos.applyProfile(sc.network.profile);
    const ep = (ch: Channel) => `${chaos!.endpoint(ch).host}:${chaos!.endpoint(ch).port}`;

    // ---- the bot, as its own process, configured by its file only
    const { bot: running, telemetry } = await launchBot({
      venue, botUid, symbol, account: BOT_ACCOUNT, botConfig, endpoint: ep,
      configPath: join(dir, 'bot.yaml'),
      header: `# Generated by mmbench for ${sc.id} (seed ${seed}): ${sc.bot.base} + the scenario's bot.overrides, venue → the fault proxy.`,
      logsDir,
      onSpawn: (p) => (botProc = p),
      timeoutMs: BOT_HEALTH_TIMEOUT_MS,
    });

    const scrape = async (): Promise<Histogram | undefined> => {
      const r = await fetch(`${telemetry}/metrics`, { signal: AbortSignal.timeout(2000) });
      return parseHistogram(await r.text(), 'mmbot_quote_cycle_ms');
    };
    // The quote cycles of the warm-up (before t0) are not the window's: later scrapes count from this one.
    t0Hist = await scrape().catch(() => undefined);
    lastHist = t0Hist;

    // ---- t0
    const market = sim.market;
    let scenarioNow: () => number;
    start = venue.clock.now();
    if (market && sim.marketDriver) {
      const m0 = market.nowMs;
      sim.marketDriver.resume();
      scenarioNow = () => market.nowMs - m0;
    } else {
      const p = player!;
      const pausedFor = venue.clock.now() - p.startMs;
      replayDriver = startRealtime(p, { now: () => venue.clock.now() - pausedFor, onError: (err) => logger.error({ err }, 'replay stopped') });
      scenarioNow = () => (venue.clock.now() - start) * speed;
    }
    if (sc.load.rest_rps > 0 || sc.load.ws_clients > 0) {
      load = startLoad({ restUrl: sim.urls.rest, wsPublicUrl: sim.urls.wsPublic, restRps: sc.load.rest_rps, wsClients: sc.load.ws_clients, symbol, account: LOAD_ACCOUNT });
    }

    // ---- sampling
    let position = 0;
    const sample = () => {
      const t = venue.clock.now();
      const mid = venue.mid(symbol);
      if (mid !== null) mids.push({ time: t, mid: mid * tickValue });
      let bid: number | null = null;
      let ask: number | null = null;
      for (const o of venue.orders.openOf(botUid)) {
        if (o.symbol !== symbol) continue;
        if (o.side === 1) bid = bid === null ? o.price : Math.max(bid, o.price);
        else ask = ask === null ? o.price : Math.min(ask, o.price);
      }
      quotes.push({ time: t, bid: bid === null ? null : bid * tickValue, ask: ask === null ? null : ask * tickValue });
      const p = venue.account(botUid).positions.get(symbol);
      position = p ? p.size * lotValue : 0;
      positions.push({ time: t, position });
    };
    sample();
    sampler = setInterval(sample, SAMPLE_MS);
    const scrapeInterval = () => {
      void scrape()
        .then((h) => {
          if (!h) return;
          const d = histogramDelta(h, lastHist);
          lastHist = h;
          const s = histogramSamples(d);
          qcSeries.push({ time: venue.clock.now(), count: s.length, p50: percentile(s, 0.5) ?? null, p95: percentile(s, 0.95) ?? null, p99: percentile(s, 0.99) ?? null, samples: s });
        })
        .catch(() => undefined);
    };
    scraper = setInterval(scrapeInterval, SCRAPE_MS);

    // ---- the timeline
    const actions: Action[] = [];
    const active = new Map<string, () => Promise<void>>();
    let order = 0;
    sc.venue_faults.forEach((f, i) => {
      const at = resolveAt(f.at, seed, `venue_faults[${i}]`);
      const name = `${f.type}#${i}`;
      let id: string | undefined;
      let startedAt = 0;
      const stop = async () => {
        active.delete(name);
        if (id !== undefined) await control(sim!, 'DELETE', `/faults/${id}`).catch(() => undefined);
        faults.push({ kind: 'venue', name, start: startedAt, end: venue.clock.now() });
      };
      actions.push({
        scenarioMs: at,
        order: order++,
        what: `venue fault ${name} on`,
        run: async () => {
          startedAt = venue.clock.now();
          const res = (await control(sim!, 'POST', '/faults', { type: f.type, params: f.params })) as { id?: string };
          id = res.id;
          if (f.duration === undefined) faults.push({ kind: 'venue', name, start: startedAt, end: startedAt });
          else active.set(name, stop);
        },
      });
      if (f.duration !== undefined) {
        actions.push({ scenarioMs: at + f.duration, order: order++, what: `venue fault ${name} off`, run: async () => void (active.has(name) && (await stop())) });
      }
    });
    sc.network.toxics.forEach((t, i) => {
      const at = resolveAt(t.at, seed, `network.toxics[${i}]`);
      const channels: readonly Channel[] = t.channel === 'all' ? CHANNELS : [t.channel];
      const streams = t.direction === 'both' ? (['upstream', 'downstream'] as const) : ([t.direction] as const);
      const name = `${t.type}-${t.channel}#${i}`;
      let startedAt = 0;
      const stop = async () => {
        active.delete(name);
        for (const ch of channels) {
          if (t.type === 'down') await chaos!.setEnabled(ch, true);
          else for (const s of streams) await chaos!.removeFault(ch, `sc${i}-${s}`).catch(() => undefined);
        }
        faults.push({ kind: 'network', name, start: startedAt, end: venue.clock.now() });
      };
      actions.push({
        scenarioMs: at,
        order: order++,
        what: `network ${name} on`,
        run: async () => {
          startedAt = venue.clock.now();
          active.set(name, stop);
          for (const ch of channels) {
            if (t.type === 'down') await chaos!.setEnabled(ch, false);
            else for (const s of streams) await chaos!.addFault(ch, { name: `sc${i}-${s}`, type: t.type, stream: s, attributes: t.attributes, ...(t.toxicity !== undefined ? { toxicity: t.toxicity } : {}) });
          }
        },
      });
      actions.push({ scenarioMs: at + t.duration, order: order++, what: `network ${name} off`, run: async () => void (active.has(name) && (await stop())) });
    });
    actions.sort((a, b) => a.scenarioMs - b.scenarioMs || a.order - b.order);

    progress({ phase: 'running', elapsedMs: 0, fills: 0, position: 0, activeFaults: 0 });
    const wallLimit = (sc.duration / speed) * 3 + 30_000;
    const wallStart = performance.now();
    let next = 0;
    let lastProgress = 0;
    for (;;) {
      const now = scenarioNow();
      while (next < actions.length && actions[next]!.scenarioMs <= now) {
        const a = actions[next++]!;
        const rec: { at: number; plannedMs: number; scenarioMs: number; what: string; error?: string } = { at: venue.clock.now(), plannedMs: a.scenarioMs, scenarioMs: Math.round(scenarioNow()), what: a.what };
        try {
          await a.run();
        } catch (err) {
          rec.error = (err as Error).message;
          error ??= `${a.what}: ${rec.error}`;
        }
        fired.push(rec);
      }
      if (now >= sc.duration) break;
      if (performance.now() - wallStart > wallLimit) {
        error ??= `scenario time reached only ${Math.round(now)} of ${sc.duration} ms within ${Math.round(wallLimit)} ms of wall time`;
        break;
      }
      if (performance.now() - lastProgress >= 250) {
        lastProgress = performance.now();
        progress({ phase: 'running', elapsedMs: Math.min(now, sc.duration), fills: venue.ledger.of(botUid).length, position, activeFaults: active.size });
      }
      const wait = next < actions.length ? Math.min(20, Math.max(1, (actions[next]!.scenarioMs - now) / speed)) : 20;
      await new Promise((r) => setTimeout(r, wait));
      if (running.child.exitCode !== null || running.child.signalCode !== null) {
        error ??= `the bot exited during the run (code ${running.child.exitCode}, signal ${running.child.signalCode})`;
        break;
      }
    }
    progress({ phase: 'stopping', elapsedMs: Math.min(scenarioNow(), sc.duration), fills: venue.ledger.of(botUid).length, position, activeFaults: active.size });

    // ---- the end: faults off, last scrape, SIGTERM
    for (const stop of [...active.values()]) await stop().catch(() => undefined);
    await load?.stop();
    clearInterval(scraper);
    scraper = undefined;
    try {
      finalHist = await scrape();
      if (finalHist) {
        const s = histogramSamples(histogramDelta(finalHist, lastHist));
        if (s.length > 0) qcSeries.push({ time: venue.clock.now(), count: s.length, p50: percentile(s, 0.5) ?? null, p95: percentile(s, 0.95) ?? null, p99: percentile(s, 0.99) ?? null, samples: s });
      }
    } catch (err) {
      error ??= `last /metrics scrape failed: ${(err as Error).message}`;
    }
    clearInterval(sampler);
    sampler = undefined;
    sample();
    end = venue.clock.now();
    botExit = await stopBot(running);
    // The bot is gone: freeze the market so nothing changes while the facts are read.
    sim.marketDriver?.pause();
    replayDriver?.stop();
    if (market) marketFacts = { rebases: sim.marketDriver?.rebases ?? 0, events: market.snapshot().events };

    // ---- collect
    openAfterStop = venue.orders.openCount(botUid, symbol);
    const all = [...venue.orders.closedOf(botUid), ...venue.orders.openOf(botUid)].filter((o) => o.symbol === symbol);
    const seen = new Map<string, number>();
    for (const o of all) if (o.orderLinkId) seen.set(o.orderLinkId, (seen.get(o.orderLinkId) ?? 0) + 1);
    dupLinks = [...seen.values()].reduce((n, c) => n + (c > 1 ? c - 1 : 0), 0);
    orders = all
      .filter((o) => o.status !== 'Rejected')
      .map((o) => ({
        orderId: o.orderId,
        orderLinkId: o.orderLinkId,
        createdTime: o.createdTime,
        closedTime: o.status === 'New' || o.status === 'PartiallyFilled' ? null : o.updatedTime,
        qty: o.qty * lotValue,
        filled: o.filled * lotValue,
      }));
    const ledger = (await control(sim, 'GET', '/ledger')) as { list: LedgerView[] };
    fills = ledger.list.filter((f) => f.uid === botUid && f.symbol === symbol).map(toFillRow);
    let pos = 0;
    for (const f of fills) {
      pos += f.side * f.qty;
      maxAbsPos = Math.max(maxAbsPos, Math.abs(pos));
    }
    maxAbsPos = Number(maxAbsPos.toFixed(9));

    // ---- the repro bundle: journal so far + manifest, then the scenario itself
    try {
      const b = await writeReproBundle(dir, 'repro', reproSource(), new Date());
      reproDir = b.dir;
      writeFileSync(join(b.dir, 'scenario.yaml'), loaded.text || stringifyYaml(sc));
      writeFileSync(
        join(b.dir, 'scenario.json'),
        `${JSON.stringify({ kind: 'mm-bench-scenario-repro', version: 1, scenarioId: sc.id, scenarioFile: relative(process.cwd(), loaded.file), seed, botUid, symbol, window: { start, end }, botFills: fills.map((f) => ({ execId: f.execId, orderLinkId: f.orderLinkId, side: f.side, price: f.price, qty: f.qty, fee: f.fee, time: f.time })), faultTimeline: fired }, null, 2)}\n`,
      );
    } catch (err) {
      error ??= `repro bundle: ${(err as Error).message}`;
    }
  } catch (err) {
    error = (err as Error).stack ?? String(err);
  } finally {
    if (sampler) clearInterval(sampler);
    if (scraper) clearInterval(scraper);
    replayDriver?.stop();
    if (botProc && botProc.child.exitCode === null && botProc.child.signalCode === null) botExit = await stopBot(botProc);
    await load?.stop().catch(() => undefined);
    await chaos?.close().catch(() => undefined);
    player?.dispose();
    await sim?.close().catch(() => undefined);
    await journal.close().catch(() => undefined);
    rmSync(journalPath, { force: true });
    await vlog.close();
  }

  // ---- the record, metrics, gates, reports
  progress({ phase: 'reporting', elapsedMs: sc.duration, fills: fills.length, position: 0, activeFaults: 0 });
  const botErrors = (botProc?.uncoded.length ?? 0) + (botExit.code === 0 ? 0 : 1);
  if (start === 0) start = Date.now();
  if (end === 0) end = Date.now();
  const limit = Number((botConfig.quoting?.maxPosition as string | undefined) ?? '0.1');
  const record: RunRecord = {
    scenarioId: sc.id,
    seed,
    start,
    end,
    fills,
    orders,
    mids,
    quoteCycleMs: finalHist ? histogramSamples(histogramDelta(finalHist, t0Hist)) : [],
    quotes,
    faults,
    safety: {
      openOrdersAfterStop: openAfterStop,
      duplicateOrderLinkIds: dupLinks,
      maxAbsPosition: maxAbsPos,
      positionLimit: limit,
      unhandledErrors: { venue: venueUncoded.length + (error ? 1 : 0), bot: botErrors },
    },
  };
  const { metrics, details } = computeMetricsWithDetails(record);
  const gates: GateOutcome[] = [...evaluateGates(metrics, sc.gates, record.safety)];
  if (sc.position) gates.push(positionGate(record.safety, sc.position.max_abs));
  if (sc.recovery && record.faults.length > 0) gates.push(...recoveryGates(record, sc.recovery.within));
  if (error) gates.push({ name: 'run completed', kind: 'safety', pass: false, value: null, threshold: 'no runner error', detail: error.split('\n')[0]!.slice(0, 500) });
  const saved: SavedRun = {
    kind: 'mm-bench-run',
    version: 1,
    runId: opts.runId,
    scenarioFile: relative(process.cwd(), loaded.file) || loaded.file,
    scenario: sc,
    record,
    extras: {
      wallMs: Math.round(performance.now() - wall0),
      speed,
      botUid,
      botExit,
      botCodes: Object.fromEntries(botProc?.codes ?? []),
      botUncoded: botProc?.uncoded.slice(0, 50) ?? [],
      venueUncoded: venueUncoded.slice(0, 50),
      timeline: fired,
      quoteCycleSeries: qcSeries,
      positions,
      load: load?.stats ?? null,
      market: marketFacts,
      replay: player ? player.report() : null,
      details,
      reproDir: reproDir ? relative(dir, reproDir) : null,
      error,
    },
  };
  if (error) writeFileSync(join(logsDir, 'runner-error.txt'), `${error}\n`);
  const report = await writeScenarioReports(dir, saved, metrics, gates, new Date(Date.now() - saved.extras.wallMs).toISOString());
  progress({ phase: 'done', elapsedMs: sc.duration, fills: fills.length, position: 0, activeFaults: 0 });
  return { report, saved, gates, dir, pass: report.pass };
}

/** SIGTERM (SIGKILL after 20 s) and the exit; exported for the soak's long-lived session (scenarios/soak/session.ts). */
export async function stopBot(bot: BotProcess): Promise<{ code: number | null; signal: string | null }> {
  if (bot.child.exitCode !== null || bot.child.signalCode !== null) return { code: bot.child.exitCode, signal: bot.child.signalCode };
  bot.child.kill('SIGTERM');
  const timer = setTimeout(() => bot.child.kill('SIGKILL'), BOT_STOP_TIMEOUT_MS);
  const r = await bot.exited;
  clearTimeout(timer);
  return r;
}

/** A ledger row as the control plane's GET /ledger (and /accounts/:uid/ledger) return it. */
export interface LedgerView {
  seq: number;
  execId: string;
  time: number;
  uid: number;
  symbol: string;
  orderId: string;
  orderLinkId: string;
  side: 'Buy' | 'Sell';
  price: string;
  qty: string;
  fee: string;
  isMaker: boolean;
  midBefore: string | null;
  touchBefore: string | null;
  takerSignedAt: number | null;
}

/** A control-plane ledger row as the metrics' FillRow. */
export function toFillRow(f: LedgerView): FillRow {
  return {
    seq: f.seq,
    execId: f.execId,
    time: f.time,
    orderId: f.orderId,
    orderLinkId: f.orderLinkId,
    side: f.side === 'Buy' ? 1 : -1,
    price: Number(f.price),
    qty: Number(f.qty),
    fee: Number(f.fee),
    isMaker: f.isMaker,
    midBefore: f.midBefore === null ? null : Number(f.midBefore),
    touchBefore: f.touchBefore === null ? null : Number(f.touchBefore),
    takerSignedAt: f.takerSignedAt,
  };
}

/** One control-plane call (the bench's admin API, bearer token); throws with the venue's error text. */
export async function control(sim: SimHandle, method: string, path: string, body?: unknown): Promise<unknown> {
  const r = await fetch(sim.urls.control + path, {
    method,
    headers: { authorization: `Bearer ${sim.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status} ${text.slice(0, 300)}`);
  return text ? (JSON.parse(text) as unknown) : null;
}

