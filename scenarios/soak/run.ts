/**
 * `mmbench soak`: one long run, window by window (docs/soak.md).
 *
 * Each window is one generated scenario (id SC-900-soak-wNNNN) (the runner caps a scenario at 1 h, and a window boundary is where the soak
 * checkpoints): the market regime cycles calm → trend → vol-spike → calm across windows, and a seeded private
 * WebSocket close lands at a seeded moment in about half of the windows (with a recovery gate). The venue runs in
 * this process, so its resources are this process's: RSS and heap used after the window, and the event-loop lag p99
 * over the window (perf_hooks — the same quantities prom-client exports as mmvenue_*). The bot is a fresh process per
 * window (the runner spawns it), so its resources are recorded as absent; a bot leak shows as drift of its
 * quote-cycle p95 only. After each window the checkpoint is written; at the end, the sign-off report.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { Rng } from '../../sim-exchange/rng.ts';
import { runScenario } from '../runner.ts';
import { parseScenario } from '../schema.ts';
import { newCheckpoint, readCheckpoint, remainingWindows, withWindow, writeCheckpoint, type SoakConfig, type WindowResult } from './checkpoint.ts';
import { EMPTY_RESOURCES, type ResourceSample } from './resources.ts';
import { writeSoakReport, type SoakVerdict } from './report.ts';
import { planWindows, type SoakWindow } from './windows.ts';

export const REGIME_CYCLE = ['calm', 'trend', 'vol-spike', 'calm'] as const;
const MAX_WINDOW_MS = 3_600_000;

export interface SoakRunConfig extends SoakConfig {
  /** Market time per wall second (default 1: a soak is about wall-clock hours). */
  readonly speed?: number;
  /** Probability that a window gets a seeded fault (default 0.5; 0 for none). */
  readonly faultRate?: number;
  /** Gates applied to every window (besides the runner's always-on safety gates). */
  readonly gates?: readonly string[];
}

export const DEFAULT_SOAK_GATES = ['quote_cycle_p95_ms < 1500'] as const;

/** The scenario document of window `w` (pure; exported for tests). */
export function windowScenario(cfg: SoakRunConfig, w: SoakWindow): Record<string, unknown> {
  const len = w.endMs - w.startMs;
  const rng = new Rng(cfg.seed).fork(`soak-window-${w.index}`);
  const regime = REGIME_CYCLE[w.index % REGIME_CYCLE.length]!;
  const doc: Record<string, unknown> = {
    id: `SC-900-soak-w${String(w.index).padStart(4, '0')}`,
    title: `Soak window ${w.index}: ${regime}`,
    tags: ['soak'],
    seed: Math.floor(rng.next() * 2 ** 31),
    duration: `${len}ms`,
    instrument: { symbol: 'BTCUSDT', category: 'linear' },
    market: { speed: cfg.speed ?? 1, timeline: [{ at: '0s', regime }] },
    gates: [...(cfg.gates ?? DEFAULT_SOAK_GATES)],
  };
  const faultDraw = rng.next();
  const at = Math.round(len * (0.2 + 0.3 * rng.next()));
  if (faultDraw < (cfg.faultRate ?? 0.5) && len >= 20_000) {
    doc['venue_faults'] = [{ at: `${at}ms`, type: 'ws-close', params: { channel: 'private', code: 1006 } }];
    doc['recovery'] = { within: `${Math.min(30_000, Math.round(len * 0.4))}ms` };
  }
  return doc;
}

function processResources(lagP99Ns: number): ResourceSample {
  const m = process.memoryUsage();
  return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, eventLoopLagSeconds: Number.isFinite(lagP99Ns) && lagP99Ns > 0 ? lagP99Ns / 1e9 : null };
}

export interface SoakRunOptions {
  readonly dir: string;
  /** A new soak (config) or a resume of `dir`'s checkpoint (config omitted, or equal in duration/window). */
  readonly config?: SoakRunConfig;
  readonly resume?: boolean;
  readonly log?: (line: string) => void;
}

export async function runSoak(opts: SoakRunOptions): Promise<{ verdict: SoakVerdict; dir: string }> {
  const log = opts.log ?? (() => {});
  let cp = opts.resume ? readCheckpoint(opts.dir) : newCheckpoint(opts.config ?? fail('a new soak needs a config'));
  const cfg = cp.config as SoakRunConfig;
  if (cfg.windowMs > MAX_WINDOW_MS) throw new Error(`soak window must be at most 1h (a scenario's limit), got ${cfg.windowMs} ms`);
  const plan = planWindows(cfg.durationMs, cfg.windowMs);
  const todo = remainingWindows(cp, plan, opts.resume && opts.config ? opts.config : undefined);
  if (!opts.resume) writeCheckpoint(opts.dir, cp);
  else log(`resuming ${opts.dir}: ${cp.windows.length} windows done, ${todo.length} to go`);
  for (const w of todo) {
    const doc = windowScenario(cfg, w);
    const loaded = parseScenario(doc, `${String(doc['id'])}.yaml`);
    const lag = monitorEventLoopDelay({ resolution: 20 });
    lag.enable();
    let result: WindowResult;
    try {
      const r = await runScenario(loaded, { dir: join(opts.dir, 'windows', String(doc['id'])), runId: `soak-${cfg.seed}` });
      lag.disable();
      (globalThis as { gc?: () => void }).gc?.();
      result = {
        index: w.index,
        startMs: w.startMs,
        endMs: w.endMs,
        regime: REGIME_CYCLE[w.index % REGIME_CYCLE.length]!,
        metrics: { ...r.report.metrics },
        gates: r.gates.map((g) => ({ name: g.name, pass: g.pass, detail: g.detail })),
        venue: processResources(lag.percentile(99)),
        bot: EMPTY_RESOURCES,
        pass: r.pass,
      };
    } catch (e) {
      lag.disable();
      result = {
        index: w.index,
        startMs: w.startMs,
        endMs: w.endMs,
        regime: REGIME_CYCLE[w.index % REGIME_CYCLE.length]!,
        metrics: {},
        gates: [{ name: 'window ran', pass: false, detail: `the window's scenario failed to run: ${(e as Error).message}` }],
        venue: processResources(Number.NaN),
        bot: EMPTY_RESOURCES,
        pass: false,
      };
    }
    cp = withWindow(cp, result);
    writeCheckpoint(opts.dir, cp);
    log(`window ${w.index + 1}/${plan.length} (${result.regime}): ${result.pass ? 'pass' : 'FAIL'}`);
  }
  const verdict = writeSoakReport(opts.dir, cp, plan.length);
  return { verdict, dir: opts.dir };
}

function fail(msg: string): never {
  throw new Error(msg);
}
