/**
 * A short soak end to end through the CLI: `mmbench soak --duration 80s --window 20s --speed 5 --fault-rate 1` — four
 * 20 s windows (4 s of wall time each), calm → trend → vol-spike → calm, a seeded private WebSocket close in every
 * window, the background REST load on — run by ONE venue and ONE bot process. Then the checkpoint is rolled back to two
 * windows and `mmbench soak --resume` runs the last two in a fresh session, keeping the first two. About 40 s of wall
 * time. The windows' gate verdicts are not asserted (they are the bot's, not the soak's); what is: every window is
 * recorded with its metrics and both processes' resources, the processes live across windows, the safety gates are
 * where they belong, and the verdict has its reasons.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mmbench } from './helpers/mmbench.ts';
import { METRIC_NAMES } from '../../scenarios/metrics.ts';
import { USUAL_REJECT_KEYS, rejectMetric } from '../../scenarios/conduct.ts';

const root = mkdtempSync(join(tmpdir(), 'mmbench-soak-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SEED = 5;

interface WindowJson {
  index: number;
  session: number;
  regime: string;
  faults: string[];
  load?: { sent: number; ok: number };
  metrics: Record<string, { value?: number; absent?: true }>;
  gates: { name: string; pass: boolean; detail: string }[];
  venue: Record<string, number | null>;
  bot: Record<string, number | null>;
  pids?: { bot: number; venue: number };
}

const readJson = <T,>(p: string): T => JSON.parse(readFileSync(p, 'utf8')) as T;

describe('mmbench soak', () => {
  const dir = join(root, 'soak-it');
  const windowFile = (i: number) => join(dir, 'windows', `w${String(i).padStart(4, '0')}.json`);

  it(`runs four windows on one long-lived venue and bot, checkpoints, and writes the sign-off report (seed ${SEED})`, async () => {
    console.log(`soak integration: seed ${SEED}`);
    const r = await mmbench(['soak', '--duration', '80s', '--window', '20s', '--speed', '5', '--seed', String(SEED), '--fault-rate', '1', '--out', root, '--run-id', 'soak-it']);
    // Four windows cannot sign off drift (< 6 windows): FAIL, with reasons.
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout.match(/session from window/g)).toHaveLength(1);
    for (const [i, regime] of ['calm', 'trend', 'vol-spike', 'calm'].entries()) expect(r.stdout).toContain(`window ${i + 1}/4 (${regime}, ws-close-private#w${i})`);
    expect(r.stdout).toMatch(/soak FAIL/);

    const cp = readJson<{ nextWindow: number; windows: WindowJson[] }>(join(dir, 'checkpoint.json'));
    expect(cp.nextWindow).toBe(4);
    expect(cp.windows.map((w) => w.index)).toEqual([0, 1, 2, 3]);
    for (const w of cp.windows) {
      expect(w.session).toBe(0);
      // Both processes' resources in every window.
      for (const side of [w.venue, w.bot]) {
        expect(side['rssBytes']).toBeGreaterThan(0);
        expect(side['heapUsedBytes']).toBeGreaterThan(0);
        expect(side['eventLoopLagSeconds']).toBeGreaterThan(0);
      }
      expect(w.metrics['quote_cycle_p95_ms']?.value).toBeGreaterThan(0);
      // Every named metric and the usual reject keys; any other key is a reject code the window saw.
      const keys = Object.keys(w.metrics);
      for (const k of [...METRIC_NAMES, ...USUAL_REJECT_KEYS.map(rejectMetric)]) expect(keys).toContain(k);
      for (const k of keys) expect(k).toMatch(/^(?:[a-z_0-9]+|rejects_per_min\[\w+\])$/);
      expect(keys.filter((k) => !k.startsWith('rejects_per_min[')).sort()).toEqual([...METRIC_NAMES].sort());
      // The venue's view of the bot, window by window: it quoted, it sent requests.
      expect(w.metrics['quote_uptime_pct']?.value).toBeGreaterThan(50);
      expect(w.metrics['requests_per_s']?.value).toBeGreaterThan(0);
      expect(w.faults).toEqual([`ws-close-private#w${w.index}`]);
      expect(w.load!.sent).toBeGreaterThan(0);
      const names = w.gates.map((g) => g.name);
      expect(names).toContain('quote_cycle_p95_ms < 1500');
      expect(names).toContain('duplicate_order_link_ids = 0');
      expect(names.some((n) => n.startsWith(`recovery after venue ws-close-private#w${w.index}`))).toBe(true);
      // Open orders after stop only in the last window, after the bot's SIGTERM.
      expect(names.includes('open_orders_after_stop = 0')).toBe(w.index === 3);
    }
    // One bot process and one venue across all windows.
    const pids = [0, 1, 2, 3].map((i) => readJson<WindowJson>(windowFile(i)).pids!);
    expect(new Set(pids.map((p) => p.bot)).size).toBe(1);
    expect(new Set(pids.map((p) => p.venue)).size).toBe(1);
    expect(readdirSync(join(dir, 'sessions'))).toEqual(['from-w0000']);
    expect(existsSync(join(dir, 'sessions', 'from-w0000', 'logs', 'bot.stderr.log'))).toBe(true);

    const md = readFileSync(join(dir, 'soak-report.md'), 'utf8');
    expect(md).toMatch(/^# Soak sign-off: FAIL/);
    expect(md).toContain('One venue and one bot process ran every window');
    expect(md).toContain('too short to judge: venue heap used');
    expect(md).toContain('too short to judge: bot heap used');
    expect(md).not.toContain('not measured');
    expect(readFileSync(join(dir, 'soak-report.html'), 'utf8')).toContain('<svg');
  }, 180_000);

  it('resumes from the checkpoint in a fresh session, keeping the completed windows', async () => {
    const path = join(dir, 'checkpoint.json');
    const cp = readJson<{ windows: WindowJson[] }>(path);
    const kept = cp.windows.slice(0, 2);
    writeFileSync(path, JSON.stringify({ ...cp, windows: kept, nextWindow: 2 }));
    const r = await mmbench(['soak', '--resume', dir]);
    expect(r.code, r.stdout + r.stderr).toBe(1); // the verdict, as above; the resume itself is what is checked
    expect(r.stdout).toContain('2 windows done, 2 to go');
    expect(r.stdout).toContain('session from window 2');
    expect(r.stdout).not.toContain('window 1/4');
    expect(r.stdout).not.toContain('window 2/4');
    expect(r.stdout).toContain('window 3/4 (vol-spike');
    expect(r.stdout).toContain('window 4/4 (calm');
    const after = readJson<{ nextWindow: number; windows: WindowJson[] }>(path);
    expect(after.nextWindow).toBe(4);
    expect(after.windows.slice(0, 2)).toEqual(kept);
    expect(after.windows.map((w) => w.session)).toEqual([0, 0, 2, 2]);
    for (const w of after.windows.slice(2)) expect(w.bot.rssBytes).toBeGreaterThan(0);
    expect(readdirSync(join(dir, 'sessions')).sort()).toEqual(['from-w0000', 'from-w0002']);
    expect(readFileSync(join(dir, 'soak-report.md'), 'utf8')).toContain('2 sessions');
  }, 180_000);

  it('a missing checkpoint or a bad duration is a usage error with a clear message', async () => {
    const bad = join(root, 'bad');
    const r0 = await mmbench(['soak', '--resume', bad]);
    expect(r0.code).toBe(2);
    expect(r0.stderr).toMatch(/no soak checkpoint at/);
    const r = await mmbench(['soak', '--duration', '10x', '--window', '8s']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad duration/);
  }, 60_000);
});
