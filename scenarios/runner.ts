/**
 * The scenario runner (docs/scenarios.md, "What the runner does"). One scenario, end to end, top to bottom:
 *
 *  1. the venue in this process (run/venue.ts): the market or a replay held at market time 0, the command journal,
 *     the venue's log, and the taps of the venue-side view of the bot (run/venue-view.ts);
 *  2. the fault proxy (ChaosDriver: the embedded Toxiproxy, or TOXIPROXY_URL), one proxy per venue channel, the
 *     scenario's network profile applied;
 *  3. the bot under test as its own process (run/bot-launch.ts): any command, configured only through the MMBENCH_*
 *     environment and its rendered config template, pointed at the proxies; then its readiness;
 *  4. t0: market time starts; background load; the sampler (mid, quotes, position every 100 ms); the bot's own
 *     latency histogram every second when it exports one (run/bot-metrics.ts); the fault timeline in scenario time
 *     (run/timeline.ts);
 *  5. the end: faults off, the last scrape, the bot stopped (its stop signal, SIGKILL after the grace), market time
 *     frozen, the facts read from the venue (run/collect.ts), the repro bundle (run/repro-bundle.ts);
 *  6. RunRecord → computeMetrics → gates → report.json, summary.md, junit.xml, report.html, run.json (run/reports.ts).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { ChaosDriver, type Channel } from '../chaos/driver.ts';
import { commandLine, renderTemplate } from './bot-spec.ts';
import { computeMetricsWithDetails, type MetricDetails } from './metrics.ts';
import { evaluateGates, positionGate, recoveryGates, type GateOutcome } from './gates.ts';
import type { LoadedScenario, Scenario } from './schema.ts';
import { launchBot } from './run/bot-launch.ts';
import { BotVerdict, exitVerdict, stopBot, type BotProcess } from './run/bot-process.ts';
import { NO_BOT_METRICS, QuoteCycleScrape, type QuoteCyclePoint } from './run/bot-metrics.ts';
import { collectFacts, type Collected } from './run/collect.ts';
import { LOAD_ACCOUNT, startLoad, type LoadHandle } from './run/load.ts';
import { writeScenarioRepro } from './run/repro-bundle.ts';
import { writeScenarioReports } from './run/reports.ts';
import { Sampler } from './run/sampler.ts';
import { Timeline, type Fired } from './run/timeline.ts';
import { BOT_ACCOUNT, startScenarioVenue, type ScenarioVenue } from './run/venue.ts';
import { VenueWatch } from './run/venue-view.ts';
import type { BotExit, RunRecord, ScenarioReport } from './types.ts';

export { BOT_ACCOUNT } from './run/venue.ts';
export { resolveAt } from './run/timeline.ts';
export { control, toFillRow, type LedgerView } from './run/control.ts';

const SCRAPE_MS = 1000;

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
  /** The bot under test: its command as started, where its spec came from, its working directory. */
  readonly bot?: { readonly command: string; readonly argv: readonly string[]; readonly source: string; readonly cwd: string; readonly config: string | null; readonly metrics: string | null };
  readonly botExit: BotExit | { code: number | null; signal: string | null };
  readonly botCodes: Record<string, number>;
  /** The bot's stderr lines its error rules flagged (the first 50). */
  readonly botUncoded: readonly string[];
  readonly venueUncoded: readonly string[];
  /** Timeline actions as they fired (venue clock). */
  readonly timeline: readonly Fired[];
  /** P50/P95/P99 of the bot's quote cycle per scrape interval (decoded from bucket deltas); empty without bot.metrics. */
  readonly quoteCycleSeries: readonly QuoteCyclePoint[];
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

export async function runScenario(loaded: LoadedScenario, opts: RunOptions): Promise<RunOutcome> {
  const sc = loaded.scenario;
  const spec = loaded.bot;
  const seed = opts.seed ?? sc.seed;
  const dir = opts.dir;
  const logsDir = join(dir, 'logs');
  const symbol = sc.instrument.symbol;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(logsDir, { recursive: true });
  writeFileSync(join(dir, 'scenario.yaml'), loaded.text || stringifyYaml(sc));
  const wall0 = performance.now();
  const progress = (p: Omit<Progress, 'scenarioId' | 'durationMs'>) => opts.onProgress?.({ scenarioId: sc.id, durationMs: sc.duration, ...p });
  progress({ phase: 'starting', elapsedMs: 0, fills: 0, position: 0, activeFaults: 0 });

  const watch = new VenueWatch({ apiKey: BOT_ACCOUNT.apiKey, symbol, thresholdBps: sc.reaction.threshold_bps, horizonMs: sc.reaction.horizon });
  let venue: ScenarioVenue | undefined;
  let chaos: ChaosDriver | undefined;
  let load: LoadHandle | undefined;
  let bot: BotProcess | undefined;
  let sampler: Sampler | undefined;
  let cycle: QuoteCycleScrape | undefined;
  let scrapeTimer: NodeJS.Timeout | undefined;
  let timeline: Timeline | undefined;
  let botExit: BotExit | undefined;
  let facts: Collected | undefined;
  let marketFacts: RunExtras['market'] = null;
  let quoteCycleAbsent: string | undefined = spec.metrics ? undefined : NO_BOT_METRICS;
  let values: Readonly<Record<string, string>> = {};
  let configPath: string | undefined;
  let reproDir: string | null = null;
  let error: string | null = null;
  let start = 0;
  let end = 0;
  let endMono = Infinity;
  const fail = (what: string) => void (error ??= what);

  try {
    // 1. the venue
    venue = await startScenarioVenue({ loaded, seed, runId: opts.runId, dir, logsDir, tap: watch.tap });
    const sim = venue.sim;
    watch.attach(sim.venue, venue.botUid);

    // 2. the fault proxy
    const port = new URL(sim.urls.rest).port;
    chaos = await ChaosDriver.start({ upstream: `127.0.0.1:${port}`, seed, prefix: `mmbench-${process.pid}-${sc.id}` });
    if (sc.network.profile) await chaos.applyProfile(sc.network.profile);
    const proxy = chaos;
    const endpoint = (ch: Channel) => `${proxy.endpoint(ch).host}:${proxy.endpoint(ch).port}`;

    // 3. the bot under test
    const launched = await launchBot({
      spec, venue: sim.venue, uid: venue.botUid, account: BOT_ACCOUNT, symbol, endpoint, runDir: dir, logsDir, seed,
      header: `Generated by mmbench for ${sc.id} (seed ${seed}): ${spec.configTemplate ? relative(process.cwd(), spec.configTemplate) : ''} + the scenario's bot.overrides, venue → the fault proxy.`,
      onSpawn: (p) => (bot = p),
    });
    const running = launched.bot;
    values = launched.values;
    configPath = launched.configPath;
    if (spec.metrics) {
      cycle = new QuoteCycleScrape(renderTemplate(spec.metrics.url, values), spec.metrics.histogram);
      await cycle.baseline();
    }

    // 4. t0
    start = sim.venue.clock.now();
    const scenarioNow = venue.begin();
    if (sc.load.rest_rps > 0 || sc.load.ws_clients > 0) {
      load = startLoad({ restUrl: sim.urls.rest, wsPublicUrl: sim.urls.wsPublic, restRps: sc.load.rest_rps, wsClients: sc.load.ws_clients, symbol, account: LOAD_ACCOUNT, onWsPort: (p) => watch.excludePort(p) });
    }
    sampler = new Sampler(sim.venue, venue.botUid, symbol);
    sampler.start();
    const scrape = cycle;
    if (scrape) scrapeTimer = setInterval(() => void scrape.interval(sim.venue.clock.now()), SCRAPE_MS);
    timeline = new Timeline(sc, seed, sim, chaos);
    const tl = timeline;
    const s = sampler;
    const fills = () => sim.venue.ledger.of(venue!.botUid).length;
    const played = await tl.play({
      durationMs: sc.duration,
      speed: venue.speed,
      scenarioNow,
      // A bot that dies during the run ends it: nothing after that is about the bot.
      stopIf: () => (running.running ? undefined : exitVerdict(running, 'during the run')),
      onTick: (now) => progress({ phase: 'running', elapsedMs: Math.min(now, sc.duration), fills: fills(), position: s.position, activeFaults: tl.activeCount }),
    });
    if (played) fail(played);
    if (tl.error) fail(tl.error);
    progress({ phase: 'stopping', elapsedMs: Math.min(scenarioNow(), sc.duration), fills: fills(), position: s.position, activeFaults: tl.activeCount });

    // 5. the end
    await tl.endAll();
    await load?.stop();
    clearInterval(scrapeTimer);
    scrapeTimer = undefined;
    if (cycle) {
      try {
        await cycle.end(sim.venue.clock.now());
        if (cycle.samples().length === 0 && cycle.series.length === 0) quoteCycleAbsent = `the bot's metrics at ${renderTemplate(spec.metrics!.url, values)} have no histogram ${spec.metrics!.histogram}, or it recorded nothing`;
      } catch (err) {
        fail(`last scrape of the bot's metrics failed: ${(err as Error).message}`);
      }
    }
    s.stop();
    end = sim.venue.clock.now();
    endMono = performance.now();
  } catch (err) {
    error = err instanceof BotVerdict ? err.message : ((err as Error).stack ?? String(err));
  } finally {
    if (scrapeTimer) clearInterval(scrapeTimer);
    sampler?.stop();
    if (bot) botExit = await stopBot(bot);
    watch.detach();
    await load?.stop().catch(() => undefined);
    if (venue) {
      venue.freeze();
      marketFacts = venue.marketFacts();
      try {
        facts = await collectFacts(venue.sim, venue.botUid, symbol);
        reproDir = await writeScenarioRepro(dir, loaded, venue.reproSource(), { seed, botUid: venue.botUid, symbol, window: { start, end }, fills: facts.fills, fired: timeline?.fired ?? [] });
      } catch (err) {
        fail(`collecting the run's facts: ${(err as Error).message}`);
      }
    }
    await chaos?.close().catch(() => undefined);
    await venue?.close();
  }

  // 6. the record, metrics, gates, reports
  progress({ phase: 'reporting', elapsedMs: sc.duration, fills: facts?.fills.length ?? 0, position: 0, activeFaults: 0 });
  if (start === 0) start = Date.now();
  if (end === 0) end = Date.now();
  const unknown = Number.NaN; // not measured: fails its safety gate instead of passing it
  const record: RunRecord = {
    scenarioId: sc.id,
    seed,
    start,
    end,
    fills: facts?.fills ?? [],
    orders: facts?.orders ?? [],
    mids: sampler?.mids ?? [],
    quoteCycleMs: cycle?.samples() ?? [],
    ...(quoteCycleAbsent !== undefined ? { quoteCycleAbsent } : {}),
    quotes: sampler?.quotes ?? [],
    faults: timeline?.windows ?? [],
    view: watch.view(endMono),
    safety: {
      openOrdersAfterStop: facts?.openAfterStop ?? unknown,
      duplicateOrderLinkIds: facts?.duplicateOrderLinkIds ?? unknown,
      maxAbsPosition: facts?.maxAbsPosition ?? unknown,
      positionLimit: spec.positionLimit,
      unhandledErrors: { venue: venue?.log.uncoded.length ?? 0, bot: bot?.errorCount ?? 0 },
      ...(botExit ? { botExit } : {}),
    },
  };
  const { metrics, details } = computeMetricsWithDetails(record);
  const gates: GateOutcome[] = [...evaluateGates(metrics, sc.gates, record.safety)];
  if (sc.position) gates.push(positionGate(record.safety, sc.position.max_abs));
  if (sc.recovery && record.faults.length > 0) gates.push(...recoveryGates(record, sc.recovery.within));
  if (error) gates.push(runErrorGate(error));
  const saved: SavedRun = {
    kind: 'mm-bench-run',
    version: 1,
    runId: opts.runId,
    scenarioFile: relative(process.cwd(), loaded.file) || loaded.file,
    scenario: sc,
    record,
    extras: {
      wallMs: Math.round(performance.now() - wall0),
      speed: venue?.speed ?? sc.market.speed,
      botUid: venue?.botUid ?? 0,
      bot: {
        // As written (placeholders kept), so one bot reads the same in every scenario's report; `argv` as started.
        command: commandLine(spec),
        argv: bot?.argv ?? [],
        source: spec.source,
        cwd: spec.cwd,
        config: configPath ? relative(dir, configPath) : null,
        metrics: spec.metrics ? `${renderTemplate(spec.metrics.url, { ...values })} ${spec.metrics.histogram}` : null,
      },
      botExit: botExit ?? { code: null, signal: null },
      botCodes: Object.fromEntries(bot?.codes ?? []),
      botUncoded: bot?.errorLines.slice(0, 50) ?? [],
      venueUncoded: venue?.log.uncoded.slice(0, 50) ?? [],
      timeline: timeline?.fired ?? [],
      quoteCycleSeries: cycle?.series ?? [],
      positions: sampler?.positions ?? [],
      load: load?.stats ?? null,
      market: marketFacts,
      replay: venue?.player ? venue.player.report() : null,
      details,
      reproDir: reproDir ? relative(dir, reproDir) : null,
      error,
    },
  };
  if (error) writeFileSync(join(logsDir, 'runner-error.txt'), `${error}\n`);
  const report = await writeScenarioReports(dir, saved, metrics, gates, new Date(Date.now() - saved.extras.wallMs).toISOString());
  progress({ phase: 'done', elapsedMs: sc.duration, fills: record.fills.length, position: 0, activeFaults: 0 });
  return { report, saved, gates, dir, pass: report.pass };
}

/** The gate a runner error adds: the run did not complete as planned (its first line says why). */
export function runErrorGate(error: string): GateOutcome {
  return { name: 'run completed', kind: 'safety', pass: false, value: null, threshold: 'no runner error', detail: error.split('\n')[0]!.slice(0, 500) };
}
