/**
 * `mmbench soak`: one long run, sampled in rolling windows (docs/soak.md).
 *
 * One venue, one fault proxy and one bot process (scenarios/soak/session.ts) stay up across all windows; a window is a
 * cut in that run. Per window: the market regime cycles calm → trend → vol-spike → calm (switched at the boundary
 * through the control plane), a seeded private WebSocket close (code 1006) lands at a seeded moment in about half of
 * the windows (with a recovery gate), and a low background REST load runs throughout. At each window's end: every
 * DESIGN.md §4 metric over the window's slice of the venue ledger and the delta of the bot's quote-cycle histogram, the
 * gates, and RSS / heap / event-loop lag of both processes; then the checkpoint. At the end the bot gets SIGTERM and
 * the final window carries the always-on safety gates including open orders after stop; then the sign-off report.
 *
 * Resume (`--resume <dir>`) keeps the windows already in the checkpoint and runs the rest in a fresh session (a new
 * venue and bot): one soak directory can hold several sessions, each recorded with the window it started at.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../sim-exchange/rng.ts';
import type { RegimeName } from '../../sim-exchange/market/params.ts';
import { isPresent } from '../metrics.ts';
import type { MetricValue } from '../types.ts';
import { parseScenario, type LoadedScenario } from '../schema.ts';
import { newCheckpoint, readCheckpoint, remainingWindows, withWindow, writeCheckpoint, type SoakCheckpoint, type SoakConfig, type WindowResult } from './checkpoint.ts';
import { EMPTY_RESOURCES } from './resources.ts';
import { writeSoakReport, type SoakVerdict } from './report.ts';
import { SoakSession, type WindowFault, type WindowOutcome, type WindowSpec } from './session.ts';
import { planWindows, type SoakWindow } from './windows.ts';

export const REGIME_CYCLE = ['calm', 'trend', 'vol-spike', 'calm'] as const satisfies readonly RegimeName[];
/** Windows are at most 1 h: one background-load run (autocannon) per window, and the venue's order history cap. */
const MAX_WINDOW_MS = 3_600_000;
/** Faults only in windows at least this long (soak time), so recovery can be observed inside the window. */
const MIN_FAULT_WINDOW_MS = 20_000;

export interface SoakRunConfig extends SoakConfig {
  /** Market time per wall second (default 1: a soak is about wall-clock hours). */
  readonly speed?: number;
  /** Probability that a window gets a seeded fault (default 0.5; 0 for none). */
  readonly faultRate?: number;
  /** Background REST requests per second straight to the venue (default 5; 0 for none). */
  readonly loadRps?: number;
  /** Gates applied to every window (besides the always-on safety gates). */
  readonly gates?: readonly string[];
  /** The bot under test: a scenario `bot` section (docs/any-bot.md); absent: the reference bot. */
  readonly bot?: Record<string, unknown>;
}

export const DEFAULT_SOAK_GATES = ['quote_cycle_p95_ms < 1500'] as const;
export const DEFAULT_LOAD_RPS = 5;

/** What happens in window `w` (pure, seeded; exported for tests). Times are soak time (ms from the soak's start). */
export interface WindowPlan extends SoakWindow {
  readonly regime: RegimeName;
  readonly fault: WindowFault | null;
  readonly recoveryWithinMs: number | null;
}

export function windowPlan(cfg: SoakRunConfig, w: SoakWindow): WindowPlan {
  const len = w.endMs - w.startMs;
  const rng = new Rng(cfg.seed).fork(`soak-window-${w.index}`);
  const regime = REGIME_CYCLE[w.index % REGIME_CYCLE.length]!;
  const faultDraw = rng.next();
  const atMs = w.startMs + Math.round(len * (0.2 + 0.3 * rng.next()));
  if (faultDraw < (cfg.faultRate ?? 0.5) && len >= MIN_FAULT_WINDOW_MS) {
    return {
      ...w,
      regime,
      fault: { name: `ws-close-private#w${w.index}`, atMs, type: 'ws-close', params: { channel: 'private', code: 1006 } },
      recoveryWithinMs: Math.min(30_000, Math.round(len * 0.4)),
    };
  }
  return { ...w, regime, fault: null, recoveryWithinMs: null };
}

/**
 * The soak's scenario document: it validates the bot config (base + overrides), the instrument and the per-window
 * gates with the scenario schema. Its duration is one window (the schema caps a scenario at 1 h); the soak's own
 * windows drive time.
 */
export function soakScenario(cfg: SoakRunConfig): Record<string, unknown> {
  return {
    id: 'SC-900-soak',
    title: 'Soak: one venue and one bot across every window',
    tags: ['soak'],
    seed: cfg.seed,
    duration: `${Math.max(1000, Math.min(cfg.windowMs, MAX_WINDOW_MS))}ms`,
    instrument: { symbol: 'BTCUSDT', category: 'linear' },
    market: { speed: cfg.speed ?? 1, timeline: [{ at: '0s', regime: REGIME_CYCLE[0] }] },
    load: { rest_rps: cfg.loadRps ?? DEFAULT_LOAD_RPS },
    ...(cfg.bot ? { bot: cfg.bot } : {}),
    gates: [...(cfg.gates ?? DEFAULT_SOAK_GATES)],
  };
}

export interface SoakRunOptions {
  readonly dir: string;
  /** A new soak (config) or a resume of `dir`'s checkpoint (config omitted, or equal in duration/window). */
  readonly config?: SoakRunConfig;
  readonly resume?: boolean;
  readonly log?: (line: string) => void;
}

const pad = (i: number) => String(i).padStart(4, '0');
const mb = (b: number | null) => (b === null ? '—' : `${(b / 1e6).toFixed(1)} MB`);
const ms = (s: number | null) => (s === null ? '—' : `${(s * 1e3).toFixed(1)} ms`);

/** Which window, when, and in which session: the part every WindowResult starts with. */
const span = (p: WindowPlan, session: number) => ({ index: p.index, startMs: p.startMs, endMs: p.endMs, regime: p.regime, session });

function toResult(p: WindowPlan, session: number, o: WindowOutcome): WindowResult {
  return {
    ...span(p, session),
    // Every key present has a value (rejects_per_min[<key>] only for the keys the window listed).
    metrics: { ...o.metrics } as Record<string, MetricValue>,
    gates: o.gates.map((g) => ({ name: g.name, pass: g.pass, detail: g.detail })),
    venue: o.venue,
    bot: o.bot,
    faults: o.record.faults.map((f) => f.name),
    ...(o.load ? { load: o.load } : {}),
    fills: o.record.fills.length,
    venueLedgerRows: o.venueLedgerRows,
    pass: o.gates.every((g) => g.pass),
  };
}

function failedWindow(p: WindowPlan, session: number, why: string): WindowResult {
  return {
    ...span(p, session),
    metrics: {},
    gates: [{ name: 'window ran', pass: false, detail: why }],
    venue: EMPTY_RESOURCES,
    bot: EMPTY_RESOURCES,
    pass: false,
  };
}

export async function runSoak(opts: SoakRunOptions): Promise<{ verdict: SoakVerdict; dir: string }> {
  const log = opts.log ?? (() => {});
  let cp: SoakCheckpoint = opts.resume ? readCheckpoint(opts.dir) : newCheckpoint(opts.config ?? fail('a new soak needs a config'));
  const cfg = cp.config as SoakRunConfig;
  if (cfg.windowMs > MAX_WINDOW_MS) throw new Error(`soak window must be at most 1h, got ${cfg.windowMs} ms`);
  const plan = planWindows(cfg.durationMs, cfg.windowMs);
  const todo = remainingWindows(cp, plan, opts.resume && opts.config ? opts.config : undefined).map((w) => windowPlan(cfg, w));
  const loaded: LoadedScenario = parseScenario(soakScenario(cfg), 'SC-900-soak.yaml');
  const gates = loaded.scenario.gates;
  if (!opts.resume) writeCheckpoint(opts.dir, cp);
  else log(`resuming ${opts.dir}: ${cp.windows.length} windows done, ${todo.length} to go (a fresh venue and bot from window ${todo[0]?.index ?? '—'})`);
  mkdirSync(join(opts.dir, 'windows'), { recursive: true });
  const record = (r: WindowResult, extra: object) => {
    cp = withWindow(cp, r);
    writeCheckpoint(opts.dir, cp);
    writeFileSync(join(opts.dir, 'windows', `w${pad(r.index)}.json`), `${JSON.stringify({ ...r, ...extra }, null, 2)}\n`);
  };
  if (todo.length > 0) {
    const first = todo[0]!;
    const sessionDir = join(opts.dir, 'sessions', `from-w${pad(first.index)}`);
    mkdirSync(sessionDir, { recursive: true });
    const spec = (p: WindowPlan): WindowSpec => ({ index: p.index, startMs: p.startMs, endMs: p.endMs, regime: p.regime, fault: p.fault, recoveryWithinMs: p.recoveryWithinMs, gates });
    let session: SoakSession | undefined;
    let i = 0;
    try {
      session = await SoakSession.start({
        dir: sessionDir,
        runId: `soak-${cfg.seed}`,
        seed: cfg.seed,
        speed: cfg.speed ?? 1,
        loadRps: cfg.loadRps ?? DEFAULT_LOAD_RPS,
        loaded,
        firstRegime: first.regime,
        offsetMs: first.startMs,
      });
      log(`session from window ${first.index}: venue, proxy and bot up (logs in ${sessionDir})`);
      await session.begin(spec(first), true);
      for (; i < todo.length; i++) {
        const p = todo[i]!;
        const final = i === todo.length - 1;
        await session.waitEnd(spec(p));
        const c = await session.cut(spec(p), final ? null : spec(todo[i + 1]!));
        const o = await session.collect(c, final);
        const r = toResult(p, first.index, o);
        record(r, { pids: session.pids, details: o.details, timeline: o.timeline, botExit: o.botExit, quoteCycleSamples: o.record.quoteCycleMs.length, unhandled: o.unhandled });
        const qc = o.metrics.quote_cycle_p95_ms;
        const net = o.metrics.net_bps;
        log(
          `window ${p.index + 1}/${plan.length} (${p.regime}${r.faults && r.faults.length > 0 ? `, ${r.faults.join(', ')}` : ''}): ${r.pass ? 'pass' : 'FAIL'}` +
            ` — quote-cycle p95 ${isPresent(qc) ? `${qc.value.toFixed(1)} ms` : 'absent'}, net_bps ${isPresent(net) ? net.value.toFixed(2) : 'absent'}, ${r.fills ?? 0} fills;` +
            ` venue RSS ${mb(o.venue.rssBytes)} heap ${mb(o.venue.heapUsedBytes)} lag ${ms(o.venue.eventLoopLagSeconds)} (${o.venueLedgerRows} ledger rows);` +
            ` bot RSS ${mb(o.bot.rssBytes)} heap ${mb(o.bot.heapUsedBytes)} lag ${ms(o.bot.eventLoopLagSeconds)}`,
        );
        for (const g of o.gates) if (!g.pass) log(`  gate ${g.name} failed: ${g.detail}`);
        if (o.stopped && !final) {
          log(`the bot is gone after window ${p.index}: the soak stops here (resume with --resume ${opts.dir})`);
          break;
        }
      }
    } catch (e) {
      const p = todo[i];
      if (p && !cp.windows.some((w) => w.index === p.index)) {
        const why = `the soak session failed: ${(e as Error).message}`;
        record(failedWindow(p, first.index, why), {});
        log(`window ${p.index + 1}/${plan.length} (${p.regime}): FAIL — ${why}`);
      }
    } finally {
      await session?.close();
    }
  }
  const verdict = writeSoakReport(opts.dir, cp, plan.length);
  return { verdict, dir: opts.dir };
}

function fail(msg: string): never {
  throw new Error(msg);
}
