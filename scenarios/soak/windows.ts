/**
 * Soak window math: split a run of `durationMs` into consecutive windows of `windowMs`, and assign time-stamped
 * samples to them. Pure functions, no I/O.
 *
 * Windows are half-open, [startMs, endMs), measured from the soak's start (t = 0). The last window is closed,
 * [startMs, endMs], so a sample stamped exactly at the end of the run still lands somewhere.
 *
 * The last partial window: when `durationMs` is not a multiple of `windowMs`, the remainder r is
 *   - kept as its own, shorter window (flagged `partial: true`) when r >= minLastFraction * windowMs (default 0.5);
 *   - otherwise merged into the previous window, which becomes longer (up to 1.5 × windowMs by default) and is
 *     flagged `partial: true` too.
 * So no window is ever shorter than half a window (a tiny tail would give a metric from a handful of samples and
 * skew the drift fit). A run shorter than one window is a single window of the whole run.
 */

export interface SoakWindow {
  readonly index: number;
  readonly startMs: number;
  readonly endMs: number;
  /** True when the window's length differs from windowMs (the last window, see the module comment). */
  readonly partial: boolean;
}

export interface PlanOptions {
  /** A remainder at least this fraction of a window is its own window; a shorter one merges into the previous. */
  readonly minLastFraction?: number;
}

export function planWindows(durationMs: number, windowMs: number, opts: PlanOptions = {}): SoakWindow[] {
  if (!Number.isFinite(durationMs) || durationMs <= 0) throw new Error(`soak duration must be > 0 ms (got ${durationMs})`);
  if (!Number.isFinite(windowMs) || windowMs <= 0) throw new Error(`soak window must be > 0 ms (got ${windowMs})`);
  const minLast = opts.minLastFraction ?? 0.5;
  if (!(minLast >= 0 && minLast <= 1)) throw new Error(`minLastFraction must be in [0, 1] (got ${minLast})`);
  if (durationMs <= windowMs) return [{ index: 0, startMs: 0, endMs: durationMs, partial: durationMs !== windowMs }];
  const full = Math.floor(durationMs / windowMs);
  const rem = durationMs - full * windowMs;
  const out: SoakWindow[] = [];
  for (let i = 0; i < full; i++) out.push({ index: i, startMs: i * windowMs, endMs: (i + 1) * windowMs, partial: false });
  if (rem > 0) {
    if (rem >= minLast * windowMs) out.push({ index: full, startMs: full * windowMs, endMs: durationMs, partial: true });
    else {
      const last = out[out.length - 1]!;
      out[out.length - 1] = { ...last, endMs: durationMs, partial: true };
    }
  }
  return out;
}

/** The index of the window holding time t (ms from the start), or -1 when t is outside [0, end of run]. */
export function windowIndexAt(windows: readonly SoakWindow[], t: number): number {
  if (windows.length === 0 || !Number.isFinite(t)) return -1;
  const last = windows[windows.length - 1]!;
  if (t < 0 || t > last.endMs) return -1;
  if (t === last.endMs) return last.index;
  // Binary search: windows are sorted and contiguous.
  let lo = 0;
  let hi = windows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const w = windows[mid]!;
    if (t < w.startMs) hi = mid - 1;
    else if (t >= w.endMs) lo = mid + 1;
    else return w.index;
  }
  return -1;
}

export interface Assigned<T> {
  /** One array per window, in window order; samples keep their input order. */
  readonly byWindow: T[][];
  /** Samples outside [0, end of run] (or with a non-finite time). */
  readonly outside: T[];
}

/** Assigns samples to windows by `time(sample)` (ms from the soak's start). */
export function assignSamples<T>(windows: readonly SoakWindow[], samples: Iterable<T>, time: (s: T) => number): Assigned<T> {
  const byWindow: T[][] = windows.map(() => []);
  const outside: T[] = [];
  for (const s of samples) {
    const i = windowIndexAt(windows, time(s));
    if (i < 0) outside.push(s);
    else byWindow[i]!.push(s);
  }
  return { byWindow, outside };
}

/** Parses "500ms", "8s", "10m", "24h", "1h30m" or a bare number of ms. */
export function parseDurationMs(s: string): number {
  const t = s.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  let total = 0;
  let pos = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * unit[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos === 0 || pos !== t.length) throw new Error(`bad duration "${s}" (use e.g. 500ms, 8s, 10m, 24h, 1h30m)`);
  return total;
}
