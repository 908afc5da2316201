/**
 * One short scenario end to end through the CLI, as CI runs it: `mmbench run <file>` starts the venue, the fault
 * proxy and the bot as its own process, plays 12 s of calm market at 4× with a venue fault, a network toxic and background load, stops the bot and writes
 * the artifacts. The scenario carries one gate that cannot hold (`quote_cycle_p95_ms < 0`), so the run must exit 1
 * with that gate — and only that gate — failed in junit.xml; then `report`, `gate` and `repro --no-rerun` work on
 * what the run left behind. About 10–15 s of wall time.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mmbench } from './helpers/mmbench.ts';

const root = mkdtempSync(join(tmpdir(), 'mmbench-run-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));


const SCENARIO = `
id: SC-990-e2e
title: End-to-end test scenario with an impossible gate
tags: [test]
seed: 99
duration: 12s
instrument: { symbol: BTCUSDT, category: linear }
market:
  speed: 4
  timeline:
    - { at: 0s, regime: calm }
venue_faults:
  - { at: 4s, duration: 2s, type: rate-limit-storm, params: { p: 0.3 } }
load: { rest_rps: 20, ws_clients: 2 }
network:
  toxics:
    - { at: [3s, 5s], duration: 2s, channel: ws-public, direction: downstream, type: latency, attributes: { latency: 30 } }
bot:
  overrides: { quoting: { levels: 2 } }
gates:
  - quote_cycle_p95_ms < 10000
  - quote_uptime_pct > 50
  - quote_cycle_p95_ms < 0
`;

describe('mmbench run: one scenario end to end', () => {
  const file = join(root, 'SC-990-e2e.yaml');
  writeFileSync(file, SCENARIO);
  const dir = join(root, 'out', 'e2e', 'SC-990-e2e');

  it('runs, writes every artifact, one junit testcase per gate, and exits 1 because a gate failed', async () => {
    const r = await mmbench(['run', file, '--out', join(root, 'out'), '--run-id', 'e2e']);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.stdout).toMatch(/^FAIL {2}SC-990-e2e {2}seed 99/m);
    expect(r.code).toBe(1);
    for (const f of ['report.json', 'summary.md', 'junit.xml', 'report.html', 'run.json', 'bot.yaml', 'scenario.yaml', 'logs/bot.stderr.log', 'logs/venue.log', 'repro/manifest.json', 'repro/journal.jsonl.gz', 'repro/scenario.json', 'repro/scenario.yaml']) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { pass: boolean; gates: { name: string; pass: boolean; detail: string }[] };
    expect(report.pass).toBe(false);
    // The file's three gates, then the five safety gates.
    expect(report.gates.map((g) => g.name)).toEqual([
      'quote_cycle_p95_ms < 10000',
      'quote_uptime_pct > 50',
      'quote_cycle_p95_ms < 0',
      'open_orders_after_stop = 0',
      'duplicate_order_link_ids = 0',
      'max_abs_position <= position_limit',
      'unhandled_errors = 0',
      'bot_exit = 0',
    ]);
    expect(report.gates.filter((g) => !g.pass).map((g) => g.name), JSON.stringify(report.gates, null, 1)).toEqual(['quote_cycle_p95_ms < 0']);
    const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
    expect(junit.match(/<testcase /g)?.length).toBe(report.gates.length);
    expect(junit.match(/<failure /g)?.length).toBe(1);
    // The bot was configured through its file, pointed at the proxies (not the venue), and the toxic fired.
    const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as {
      record: { faults: { kind: string }[]; mids: unknown[]; quotes: unknown[]; fills: unknown[]; view: { requests: { what: string; rejects: string[] }[] } };
      extras: { botExit: { code: number }; load: { ok: number; wsOpen: number } | null };
    };
    expect(run.extras.botExit.code).toBe(0);
    // The venue saw the bot's requests without the bot reporting anything (whether the storm, p = 0.3 for half a
    // second, refused any of them depends on timing: test/integration/venue-view.test.ts checks rejects exactly).
    expect(run.record.view.requests.length).toBeGreaterThan(10);
    expect(run.record.view.requests.filter((q) => q.what.startsWith('POST /v5/order/')).length).toBeGreaterThan(0);
    expect(run.record.faults.map((f) => f.kind).sort()).toEqual(['network', 'venue']);
    expect(run.extras.load!.ok).toBeGreaterThan(0);
    expect(run.extras.load!.wsOpen).toBe(2);
    expect(run.record.mids.length).toBeGreaterThan(10);
    expect(run.record.quotes.length).toBeGreaterThan(10);
    expect(readFileSync(join(dir, 'bot.yaml'), 'utf8')).toMatch(/apiKey: mmbench-scenario-bot/);
  }, 90_000);

  it('report rebuilds the files from run.json; gate re-checks report.json; repro replays the journal to the same fills', async () => {
    rmSync(join(dir, 'summary.md'));
    const rep = await mmbench(['report', dir]);
    expect(rep.code).toBe(1);
    expect(existsSync(join(dir, 'summary.md'))).toBe(true);
    const gate = await mmbench(['gate', join(dir, 'report.json'), '--baseline', join(dir, 'report.json')]);
    expect(gate.stdout).toMatch(/FAIL {2}quote_cycle_p95_ms < 0/);
    expect(gate.stdout).toMatch(/pass {2}regression: quote_cycle_p95_ms growth/);
    expect(gate.code).toBe(1);
    const repro = await mmbench(['repro', join(dir, 'repro'), '--no-rerun']);
    expect(repro.stdout).toMatch(/^PASS {2}journal replay: \d+ commands → \d+ bot fills, recorded \d+, identical/m);
    expect(repro.code).toBe(0);
  }, 60_000);
});
