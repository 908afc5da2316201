/**
 * A bot in another language under the library scenarios (docs/any-bot.md): the example Python market maker
 * (examples/python-mm/bot.py) passes SC-001 (calm), SC-006 (10006 storm) and SC-019 (every WebSocket dropped), gated
 * only on venue-side metrics; and each of its `--break` flags fails the gate meant to catch it, on those same
 * scenarios — for that reason and no other safety gate.
 *
 * Needs python3 with websocket-client (Debian package python3-websocket, which .ci/run installs); without it every
 * test here is skipped, loudly. About 3 minutes: seven runs at 2× market speed (SC-001 and SC-019 of 60 s, SC-006 of
 * 30 s), one at a time.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mmbench } from './helpers/mmbench.ts';

const probe = spawnSync('python3', ['-c', "import sys; sys.path.append('/usr/lib/python3/dist-packages'); import websocket"], { encoding: 'utf8' });
const available = probe.status === 0;
if (!available) {
  console.warn(`SKIPPED test/integration/python-bot.test.ts: python3 with the websocket module is missing (Debian package python3-websocket; .ci/run installs it): ${probe.stderr?.trim() || probe.error?.message}`);
}

const root = mkdtempSync(join(tmpdir(), 'mmbench-pybot-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Gate {
  name: string;
  pass: boolean;
  detail: string;
}

let n = 0;
async function runPy(scenario: string, breaks: readonly string[] = []): Promise<{ code: number | null; gates: Gate[]; failed: string[]; stdout: string }> {
  const id = `r${++n}`;
  const cmd = ['python3', 'examples/python-mm/bot.py', ...breaks.flatMap((b) => ['--break', b])].join(' ');
  const r = await mmbench(['run', scenario, '--bot-cmd', cmd, '--out', root, '--run-id', id]);
  const dir = join(root, id);
  const sub = readFileSync(join(dir, (await import('node:fs')).readdirSync(dir)[0]!, 'report.json'), 'utf8');
  const gates = (JSON.parse(sub) as { gates: Gate[] }).gates;
  return { code: r.code, gates, failed: gates.filter((g) => !g.pass).map((g) => g.name), stdout: r.stdout };
}

const why = (r: { gates: Gate[] }) => JSON.stringify(r.gates.filter((g) => !g.pass), null, 1);

describe.skipIf(!available)('the example Python bot under the library scenarios', () => {
  it('unbroken, it passes calm (SC-001); without cancel-on-exit it leaves orders (open_orders_after_stop)', async () => {
    const ok = await runPy('SC-001');
    expect(ok.failed, why(ok)).toEqual([]);
    expect(ok.code).toBe(0);
    const broken = await runPy('SC-001', ['no-cancel-on-exit']);
    expect(broken.failed, why(broken)).toEqual(['open_orders_after_stop = 0']);
  }, 120_000);

  it('a 300 ms sleep in every quote cycle fails the typical reaction on calm (quote_reaction_p50_ms)', async () => {
    const broken = await runPy('SC-001', ['slow-requote']);
    expect(broken.failed, why(broken)).toContain('quote_reaction_p50_ms < 150');
    const g = broken.gates.find((x) => x.name === 'quote_reaction_p50_ms < 150')!;
    expect(g.detail).toMatch(/quote_reaction_p50_ms = \d{3,}/);
    // It is slow, not unsafe: no safety gate fails.
    expect(broken.failed.filter((x) => /open_orders|duplicate|max_abs|unhandled|bot_exit|run completed/.test(x))).toEqual([]);
  }, 120_000);

  it('it backs off in a 10006 storm (SC-006); ignoring 10006 and retrying at once fails rejects_per_min[10006]', async () => {
    const ok = await runPy('SC-006');
    expect(ok.failed, why(ok)).toEqual([]);
    const broken = await runPy('SC-006', ['ignore-10006']);
    expect(broken.failed, why(broken)).toContain('rejects_per_min[10006] < 60');
    expect(broken.failed.filter((x) => /open_orders|duplicate|max_abs|unhandled|bot_exit|run completed/.test(x))).toEqual([]);
  }, 120_000);

  it('it reconnects after every WebSocket drops (SC-019); one that does not reconnect stops reacting (unreacted_moves_pct)', async () => {
    const ok = await runPy('SC-019');
    expect(ok.failed, why(ok)).toEqual([]);
    const broken = await runPy('SC-019', ['no-reconnect']);
    expect(broken.failed, why(broken)).toContain('unreacted_moves_pct < 50');
    expect(broken.failed.filter((x) => /open_orders|duplicate|max_abs|unhandled|bot_exit|run completed/.test(x))).toEqual([]);
  }, 120_000);
});
