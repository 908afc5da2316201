/**
 * A short soak end to end through the CLI: `mmbench soak --duration 16s --window 8s` (two 8 s windows, calm then
 * trend, no faults) writes a checkpoint per window and the sign-off report; then the checkpoint is rolled back to one
 * window and `mmbench soak --resume` runs only the second window again. About 30–40 s of wall time.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mmbench } from './helpers/mmbench.ts';

const root = mkdtempSync(join(tmpdir(), 'mmbench-soak-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));


describe('mmbench soak', () => {
  const dir = join(root, 'soak-it');
  it('runs two windows, checkpoints, and writes the sign-off report', async () => {
    const r = await mmbench(['soak', '--duration', '16s', '--window', '8s', '--seed', '5', '--fault-rate', '0', '--out', root, '--run-id', 'soak-it']);
    // Every window passes, but two windows cannot sign off drift (and the bot's resources are not sampled yet): FAIL.
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain('window 1/2 (calm): pass');
    expect(r.stdout).toContain('window 2/2 (trend): pass');
    expect(r.stdout).toMatch(/soak FAIL/);
    const cp = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
    expect(cp.nextWindow).toBe(2);
    expect(cp.windows).toHaveLength(2);
    expect(cp.windows[0].venue.heapUsedBytes).toBeGreaterThan(0);
    expect(cp.windows[0].venue.rssBytes).toBeGreaterThan(0);
    expect(cp.windows[0].metrics.quote_cycle_p95_ms.value).toBeGreaterThan(0);
    const md = readFileSync(join(dir, 'soak-report.md'), 'utf8');
    expect(md).toMatch(/^# Soak sign-off: FAIL/);
    expect(md).toContain('too short to judge: venue heap used');
    expect(readFileSync(join(dir, 'soak-report.html'), 'utf8')).toContain('<svg');
  }, 120_000);

  it('resumes from the checkpoint, skipping completed windows', async () => {
    const path = join(dir, 'checkpoint.json');
    const cp = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, JSON.stringify({ ...cp, windows: cp.windows.slice(0, 1), nextWindow: 1 }));
    const w0 = statSync(join(dir, 'windows', 'SC-900-soak-w0000', 'report.json')).mtimeMs;
    const r = await mmbench(['soak', '--resume', dir]);
    expect(r.code, r.stdout + r.stderr).toBe(1); // the verdict, as above; the resume itself is what is checked
    expect(r.stdout).toContain('1 windows done, 1 to go');
    expect(r.stdout).not.toContain('window 1/2');
    expect(r.stdout).toContain('window 2/2 (trend): pass');
    expect(statSync(join(dir, 'windows', 'SC-900-soak-w0000', 'report.json')).mtimeMs).toBe(w0);
    expect(JSON.parse(readFileSync(path, 'utf8')).nextWindow).toBe(2);
  }, 120_000);

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
