/**
 * The scenario's venue, in this process: the background market (or a replay of a recorded session), a command
 * journal for the repro bundle, its pino log in logs/venue.log, the bot's account (and the load's), and the taps of
 * the venue-side view of the bot. Started with market time held right after the market's first turn, so the book is
 * there but the scenario's clock has not started; `begin()` is t0.
 */
import { rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import pino, { type Logger } from 'pino';
import { startSim, type SimHandle } from '../../sim-exchange/server.ts';
import { Journal } from '../../sim-exchange/journal.ts';
import { DEFAULT_INSTRUMENTS } from '../../sim-exchange/instruments.ts';
import type { ReproSource } from '../../sim-exchange/repro.ts';
import type { JournalHeader } from '../../sim-exchange/venue/commands.ts';
import { loadReplay } from '../../sim-exchange/market/replay/load.ts';
import { ReplayPlayer } from '../../sim-exchange/market/replay/player.ts';
import { startRealtime } from '../../sim-exchange/market/replay/realtime.ts';
import type { RestTap, WsTap } from '../../sim-exchange/bybit-v5/tap.ts';
import { resolveRepoPath, type LoadedScenario } from '../schema.ts';
import { LOAD_ACCOUNT } from './load.ts';
import { venueLog, type VenueLog } from './venue-log.ts';

/** The bot's account at the venue: its keys are what the bot gets as MMBENCH_API_KEY / MMBENCH_API_SECRET. */
export const BOT_ACCOUNT = { apiKey: 'mmbench-scenario-bot', secret: 'mmbench-scenario-bot-secret', balance: '100000', label: 'bot' } as const;

export interface ScenarioVenue {
  readonly sim: SimHandle;
  readonly botUid: number;
  readonly logger: Logger;
  readonly log: VenueLog;
  readonly journal: Journal;
  /** Market time per wall second (the replay's speed for a replay). */
  readonly speed: number;
  readonly player: ReplayPlayer | undefined;
  /** What a repro bundle is made of (the journal so far, seed, instruments, market or replay, the re-run argv). */
  reproSource(): ReproSource;
  /** t0: the market resumes (or the replay starts); returns the scenario clock (ms since t0, market time). */
  begin(): () => number;
  /** Freezes market time (the run is over: nothing changes while the facts are read). */
  freeze(): void;
  /** Market facts for run.json: driver rebases and market events. */
  marketFacts(): { rebases: number; events: number } | null;
  /** Stops everything and removes the journal file (the bundle has its copy). */
  close(): Promise<void>;
}

export interface VenueOptions {
  readonly loaded: LoadedScenario;
  readonly seed: number;
  readonly runId: string;
  readonly dir: string;
  readonly logsDir: string;
  readonly tap: { readonly rest: RestTap; readonly ws: WsTap };
}

export async function startScenarioVenue(o: VenueOptions): Promise<ScenarioVenue> {
  const sc = o.loaded.scenario;
  const { seed } = o;
  const log = venueLog(join(o.logsDir, 'venue.log'), 500);
  const logger = pino({ level: 'warn', base: { runId: o.runId, scenario: sc.id, seed } }, log.stream);
  const journalPath = join(o.dir, '.journal.jsonl.gz');
  const journal = new Journal(journalPath, { gzip: true });
  const instruments = DEFAULT_INSTRUMENTS;
  journal.write({ kind: 'header', version: 1, seed, instruments } satisfies JournalHeader);

  const replaySpec = sc.market.replay;
  const replay = replaySpec ? await loadReplay(resolveRepoPath(replaySpec.file), { speed: replaySpec.speed }) : undefined;
  const timeline = sc.market.timeline ?? [];
  const marketTimeline = timeline.slice(1).map((s) => ({ atMs: s.at, regime: s.regime, params: s.params, transitionMs: s.transition }));
  const marketOpts = replaySpec
    ? false
    : {
        symbol: sc.instrument.symbol,
        regime: timeline[0]!.regime,
        ...(timeline[0]!.params ? { params: timeline[0]!.params } : {}),
        timeline: marketTimeline,
        speed: sc.market.speed,
        ...(sc.market.start_price ? { startPrice: sc.market.start_price } : {}),
      };
  const reproSource = (): ReproSource => ({
    seed,
    instruments,
    journal,
    market: replaySpec ? null : { regime: timeline[0]!.regime, speed: sc.market.speed, timeline: marketTimeline },
    replayFile: replaySpec ? resolveRepoPath(replaySpec.file) : undefined,
    argv: ['run', relative(process.cwd(), o.loaded.file) || o.loaded.file, '--seed', String(seed)],
  });

  let sim: SimHandle;
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
      repro: { root: o.dir, source: reproSource },
      tap: o.tap,
    });
  } catch (err) {
    await journal.close().catch(() => undefined);
    await log.close();
    throw err;
  }
  // The driver's first turn placed the LPs' quotes at market time 0; hold market time there until the bot quotes.
  sim.marketDriver?.pause();
  const venue = sim.venue;
  const player = replay && replaySpec ? new ReplayPlayer(venue, replay.session, { speed: replaySpec.speed, startMs: venue.clock.now() }) : undefined;
  player?.advanceTo(venue.clock.now()); // the first snapshot: a book for the bot to join
  let replayDriver: { stop(): void } | undefined;

  return {
    sim,
    botUid: venue.accountByKey(BOT_ACCOUNT.apiKey)!.uid,
    logger,
    log,
    journal,
    speed: replaySpec ? replaySpec.speed : sc.market.speed,
    player,
    reproSource,
    begin() {
      const market = sim.market;
      if (market && sim.marketDriver) {
        const m0 = market.nowMs;
        sim.marketDriver.resume();
        return () => market.nowMs - m0;
      }
      const p = player!;
      const start = venue.clock.now();
      const pausedFor = start - p.startMs;
      replayDriver = startRealtime(p, { now: () => venue.clock.now() - pausedFor, onError: (err) => logger.error({ err }, 'replay stopped') });
      return () => (venue.clock.now() - start) * replaySpec!.speed;
    },
    freeze() {
      sim.marketDriver?.pause();
      replayDriver?.stop();
    },
    marketFacts() {
      return sim.market ? { rebases: sim.marketDriver?.rebases ?? 0, events: sim.market.snapshot().events } : null;
    },
    async close() {
      replayDriver?.stop();
      player?.dispose();
      await sim.close().catch(() => undefined);
      await journal.close().catch(() => undefined);
      rmSync(journalPath, { force: true });
      await log.close();
    },
  };
}
