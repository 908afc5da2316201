import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CheckpointError,
  newCheckpoint,
  readCheckpoint,
  remainingWindows,
  withWindow,
  writeCheckpoint,
  type WindowResult,
} from '../../scenarios/soak/checkpoint.ts';
import { parseResources, promValue } from '../../scenarios/soak/resources.ts';
import { planWindows } from '../../scenarios/soak/windows.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'soak-cp-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const cfg = { durationMs: 60_000, windowMs: 10_000, seed: 7, scenario: 'soak-cycle' };
const win = (index: number): WindowResult => ({
  index,
  startMs: index * 10_000,
  endMs: (index + 1) * 10_000,
  regime: 'calm',
  metrics: { net_bps: { value: 1.5, samples: 10 }, quote_cycle_p95_ms: { absent: true, reason: 'no samples' } },
  gates: [{ name: 'net_bps > -2', pass: true, detail: 'net_bps = 1.5 > -2' }],
  venue: { rssBytes: 1e8, heapUsedBytes: 5e7, eventLoopLagSeconds: 0.01 },
  bot: { rssBytes: null, heapUsedBytes: null, eventLoopLagSeconds: null },
  pass: true,
});

describe('soak checkpoint', () => {
  it('writes atomically and reads back the same state', () => {
    const dir = tmp();
    let cp = newCheckpoint(cfg, new Date('2026-01-01T00:00:00Z'));
    cp = withWindow(cp, win(0));
    cp = withWindow(cp, win(1));
    writeCheckpoint(dir, cp);
    expect(readdirSync(dir)).toEqual(['checkpoint.json']); // no temp file left behind
    const back = readCheckpoint(dir);
    expect(back).toEqual(cp);
    expect(back.nextWindow).toBe(2);
    // Overwrite: still one file, newest state.
    writeCheckpoint(dir, withWindow(back, win(2)));
    expect(readCheckpoint(dir).nextWindow).toBe(3);
    expect(readdirSync(dir)).toEqual(['checkpoint.json']);
  });

  it('resume skips completed windows', () => {
    const dir = tmp();
    writeCheckpoint(dir, withWindow(withWindow(withWindow(newCheckpoint(cfg), win(0)), win(1)), win(2)));
    const cp = readCheckpoint(dir);
    const plan = planWindows(cp.config.durationMs, cp.config.windowMs);
    const left = remainingWindows(cp, plan, cfg);
    expect(left.map((w) => w.index)).toEqual([3, 4, 5]);
    expect(remainingWindows(withWindow(cp, win(5)), plan).map((w) => w.index)).toEqual([]);
    expect(() => remainingWindows(cp, plan, { durationMs: 120_000, windowMs: 10_000 })).toThrow(/cannot resume/);
  });

  it('re-recording a window replaces it', () => {
    const cp = withWindow(withWindow(newCheckpoint(cfg), win(0)), { ...win(0), pass: false });
    expect(cp.windows).toHaveLength(1);
    expect(cp.windows[0]!.pass).toBe(false);
  });

  it('a corrupt, invalid, inconsistent or missing checkpoint gives a clear error', () => {
    const dir = tmp();
    expect(() => readCheckpoint(dir)).toThrow(/no soak checkpoint at .*checkpoint\.json/);
    const path = join(dir, 'checkpoint.json');
    writeFileSync(path, '{"version": 1, "config": {');
    expect(() => readCheckpoint(dir)).toThrow(CheckpointError);
    expect(() => readCheckpoint(dir)).toThrow(/corrupt \(not valid JSON/);
    writeFileSync(path, JSON.stringify({ ...newCheckpoint(cfg), version: 99 }));
    expect(() => readCheckpoint(dir)).toThrow(/invalid \(version/);
    writeFileSync(path, JSON.stringify({ ...withWindow(newCheckpoint(cfg), win(1)) }));
    expect(() => readCheckpoint(dir)).toThrow(/window 0 is missing/);
    expect(JSON.parse(readFileSync(path, 'utf8')).nextWindow).toBe(2);
  });
});

describe('soak resources from Prometheus text', () => {
  const text = [
    '# HELP mmvenue_process_resident_memory_bytes Resident memory size in bytes.',
    '# TYPE mmvenue_process_resident_memory_bytes gauge',
    'mmvenue_process_resident_memory_bytes 123456789',
    'mmvenue_nodejs_heap_size_used_bytes 45678901',
    'mmvenue_nodejs_eventloop_lag_seconds 0.002',
    'mmvenue_nodejs_eventloop_lag_p99_seconds 0.011',
    'mmvenue_nodejs_heap_space_size_used_bytes{space="old"} 1000',
  ].join('\n');
  it('reads RSS, heap and lag (p99 preferred) with a prefix; absent gives null', () => {
    expect(parseResources(text, 'mmvenue_')).toEqual({ rssBytes: 123456789, heapUsedBytes: 45678901, eventLoopLagSeconds: 0.011 });
    expect(parseResources(text, 'mmbot_')).toEqual({ rssBytes: null, heapUsedBytes: null, eventLoopLagSeconds: null });
    expect(promValue(text, 'mmvenue_nodejs_heap_space_size_used_bytes')).toBe(1000);
    expect(promValue(text, 'mmvenue_nodejs_heap_size')).toBeNull();
  });
});
