/**
 * Soak checkpoint: after every window the soak writes `checkpoint.json` in its output directory — the config, the
 * completed windows (metrics, gates, resources) and the next window's index — atomically (write a temp file in the
 * same directory, fsync, rename over the old one), so a crash mid-write leaves the previous checkpoint intact.
 * `--resume <dir>` reads it back and continues from `nextWindow`.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { SoakWindow } from './windows.ts';

export const CHECKPOINT_FILE = 'checkpoint.json';
export const CHECKPOINT_VERSION = 1;

const num = z.number().nullable();
const resources = z.object({ rssBytes: num, heapUsedBytes: num, eventLoopLagSeconds: num });
const metricValue = z.union([z.object({ value: z.number(), samples: z.number() }), z.object({ absent: z.literal(true), reason: z.string() })]);
const gate = z.object({ name: z.string(), pass: z.boolean(), detail: z.string() }).passthrough();

const windowResult = z.object({
  index: z.number().int().nonnegative(),
  startMs: z.number(),
  endMs: z.number(),
  regime: z.string().optional(),
  metrics: z.record(z.string(), metricValue),
  gates: z.array(gate),
  venue: resources,
  bot: resources,
  /** The window at which the session (venue + bot processes) that ran this window started; resumes start new ones. */
  session: z.number().int().nonnegative().optional(),
  /** Faults injected in the window (names). */
  faults: z.array(z.string()).optional(),
  /** The background REST load's requests in the window. */
  load: z.object({ sent: z.number(), ok: z.number(), failed: z.number() }).optional(),
  /** Fills the venue's ledger retained at the window's end (all accounts; capped by the venue): context for its heap. */
  venueLedgerRows: z.number().int().nonnegative().optional(),
  /** The bot's fills in the window. */
  fills: z.number().int().nonnegative().optional(),
  pass: z.boolean(),
});

const config = z
  .object({
    durationMs: z.number().positive(),
    windowMs: z.number().positive(),
    seed: z.number().int(),
    scenario: z.string().optional(),
  })
  .passthrough();

const checkpoint = z.object({
  version: z.literal(CHECKPOINT_VERSION),
  config,
  startedAt: z.string(),
  updatedAt: z.string(),
  windows: z.array(windowResult),
  nextWindow: z.number().int().nonnegative(),
});

export type SoakConfig = z.infer<typeof config>;
export type WindowResult = z.infer<typeof windowResult>;
export type SoakCheckpoint = z.infer<typeof checkpoint>;

export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

export function newCheckpoint(cfg: SoakConfig, now = new Date()): SoakCheckpoint {
  return { version: CHECKPOINT_VERSION, config: cfg, startedAt: now.toISOString(), updatedAt: now.toISOString(), windows: [], nextWindow: 0 };
}

/** A new checkpoint with `w` recorded (replacing an earlier record of the same window) and nextWindow past it. */
export function withWindow(cp: SoakCheckpoint, w: WindowResult, now = new Date()): SoakCheckpoint {
  const windows = [...cp.windows.filter((x) => x.index !== w.index), w].sort((a, b) => a.index - b.index);
  return { ...cp, windows, nextWindow: Math.max(cp.nextWindow, w.index + 1), updatedAt: now.toISOString() };
}

/** Atomically writes `<dir>/checkpoint.json` (temp file + fsync + rename). */
export function writeCheckpoint(dir: string, cp: SoakCheckpoint): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, CHECKPOINT_FILE);
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    writeFileSync(tmp, `${JSON.stringify(cp, null, 2)}\n`);
    const fd = openSync(tmp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    if (existsSync(tmp)) rmSync(tmp, { force: true });
    throw e;
  }
  return path;
}

/** Reads and validates `<dir>/checkpoint.json`; every problem is a CheckpointError naming the file and what is wrong. */
export function readCheckpoint(dir: string): SoakCheckpoint {
  const path = join(dir, CHECKPOINT_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CheckpointError(`no soak checkpoint at ${path}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`soak checkpoint ${path} is corrupt (not valid JSON: ${(e as Error).message}); delete it to start over`);
  }
  const parsed = checkpoint.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new CheckpointError(`soak checkpoint ${path} is invalid (${issues}); delete it to start over`);
  }
  const cp = parsed.data;
  const done = new Set(cp.windows.map((w) => w.index));
  for (let i = 0; i < cp.nextWindow; i++) if (!done.has(i)) throw new CheckpointError(`soak checkpoint ${path} is inconsistent: nextWindow ${cp.nextWindow} but window ${i} is missing`);
  return cp;
}

/**
 * The windows still to run when resuming `cp` over the plan `windows`. The plan must come from the checkpoint's own
 * config (a different --duration or --window on resume is an error rather than a silently re-cut run).
 */
export function remainingWindows(cp: SoakCheckpoint, windows: readonly SoakWindow[], cfg?: Pick<SoakConfig, 'durationMs' | 'windowMs'>): SoakWindow[] {
  if (cfg && (cfg.durationMs !== cp.config.durationMs || cfg.windowMs !== cp.config.windowMs))
    throw new CheckpointError(
      `cannot resume: the checkpoint was for duration ${cp.config.durationMs} ms / window ${cp.config.windowMs} ms, not ${cfg.durationMs} ms / ${cfg.windowMs} ms`,
    );
  const done = new Set(cp.windows.map((w) => w.index));
  return windows.filter((w) => w.index >= cp.nextWindow && !done.has(w.index));
}
