/**
 * The scenario file format (scenarios/schema.ts): every library file and suite validates; unknown fields, bad values
 * and bad gates are refused with the file, the path and what was expected in the message; durations, seeded windows
 * and bot overrides are read as documented (docs/scenarios.md).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify as stringifyYaml } from 'yaml';
import { libraryFiles, loadScenarioFile, loadSuite, parseScenario, ScenarioError, splitExclusive, SUITES_DIR } from '../../scenarios/schema.ts';
import { resolveAt } from '../../scenarios/runner.ts';
import { positionGate } from '../../scenarios/gates.ts';
import { readdirSync } from 'node:fs';

const dir = mkdtempSync(join(tmpdir(), 'mmbench-schema-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GOOD = {
  id: 'SC-900-test',
  title: 'test',
  tags: ['unit'],
  seed: 1,
  duration: '20s',
  instrument: { symbol: 'BTCUSDT', category: 'linear' },
  market: { speed: 2, timeline: [{ at: '0s', regime: 'calm' }, { at: '5s', regime: 'vol-spike', transition: '1s' }] },
  venue_faults: [{ at: '6s', duration: '2s', type: 'rate-limit-storm', params: { p: 0.5 } }],
  network: { profile: 'wan', toxics: [{ at: ['3s', '5s'], duration: '1s', channel: 'ws-public', direction: 'downstream', type: 'latency', attributes: { latency: 200 } }] },
  load: { rest_rps: 10, ws_clients: 2 },
  bot: { overrides: { quoting: { levels: 2 } } },
  gates: ['quote_cycle_p95_ms < 250', 'net_bps >= -2.5'],
  recovery: { within: '5s' },
};

/** Writes `doc` as YAML to a file and loads it; returns the error message ('' when it loaded). */
function loadError(doc: unknown, name = 'SC-900-test.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, stringifyYaml(doc));
  try {
    loadScenarioFile(file);
    return '';
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return (err as Error).message;
  }
}

const patch = (p: (d: typeof GOOD & Record<string, unknown>) => void) => {
  const d = structuredClone(GOOD) as typeof GOOD & Record<string, unknown>;
  p(d);
  return d;
};

describe('scenario schema', () => {
  it('every library file validates, and its id is its file name', () => {
    const files = libraryFiles();
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const f of files) {
      const l = loadScenarioFile(f);
      expect(l.scenario.id).toBe(basename(f).replace(/\.yaml$/, ''));
      expect(l.scenario.duration).toBeGreaterThanOrEqual(15_000);
      expect(l.scenario.duration).toBeLessThanOrEqual(120_000);
    }
  });

  it('every suite resolves to library files', () => {
    for (const f of readdirSync(SUITES_DIR).filter((x) => x.endsWith('.yaml'))) {
      const s = loadSuite(join(SUITES_DIR, f));
      expect(s.files.length).toBeGreaterThan(0);
    }
    // Issue 6 item 5: at least 12 scenarios of 30–60 s (market time). SC-011 runs 120 s: its trend needs that long for
    // the skew-off break to show reliably (docs/scenarios.md); none runs longer, to keep the suite within minutes.
    const pr = loadSuite('pr').files.map((f) => loadScenarioFile(f).scenario);
    expect(new Set(pr.map((s) => s.id)).size).toBe(pr.length);
    expect(pr.filter((s) => s.duration >= 30_000 && s.duration <= 60_000).length).toBeGreaterThanOrEqual(12);
    for (const s of pr) {
      expect(s.duration, s.id).toBeGreaterThanOrEqual(30_000);
      expect(s.duration, s.id).toBeLessThanOrEqual(120_000);
    }
  });

  it('exclusive scenarios run first and alone in a parallel suite; the rest keep the suite order', () => {
    expect(parseScenario(GOOD, 'SC-900-test.yaml').scenario.exclusive).toBe(false);
    const pr = loadSuite('pr').files.map((f) => loadScenarioFile(f));
    const { alone, shared } = splitExclusive(pr);
    expect(alone.map((l) => l.scenario.id)).toEqual(['SC-010-calm-wan']);
    expect(shared.map((l) => l.scenario.id)).toEqual(pr.map((l) => l.scenario.id).filter((id) => id !== 'SC-010-calm-wan'));
    expect(() => parseScenario({ ...GOOD, exclusive: 'yes' }, 'SC-900-test.yaml')).toThrow(/exclusive: expected true or false/);
  });

  it('reads a full file: durations in ms, gates parsed, bot overrides merged onto the base', () => {
    const l = parseScenario(GOOD, 'SC-900-test.yaml');
    expect(l.scenario.duration).toBe(20_000);
    expect(l.scenario.market.timeline![1]).toEqual({ at: 5000, regime: 'vol-spike', transition: 1000 });
    expect(l.scenario.venue_faults[0]).toMatchObject({ at: { fixed: 6000 }, duration: 2000, type: 'rate-limit-storm' });
    expect(l.scenario.network.toxics[0]!.at).toEqual({ from: 3000, to: 5000 });
    expect(l.scenario.gates).toEqual([
      { metric: 'quote_cycle_p95_ms', op: '<', threshold: 250 },
      { metric: 'net_bps', op: '>=', threshold: -2.5 },
    ]);
    expect(l.scenario.recovery).toEqual({ within: 5000 });
    // The reference bot, its overrides kept for its rendered config (merged there: test/unit/bot-spec.test.ts).
    expect(l.bot.reference).toBe(true);
    expect(l.bot.overrides).toEqual({ quoting: { levels: 2 } });
  });

  it('an unknown field is rejected with the file and the path', () => {
    const msg = loadError(patch((d) => ((d.market.timeline[1] as Record<string, unknown>)['regim'] = 'calm')));
    expect(msg).toContain('SC-900-test.yaml');
    expect(msg).toContain('market.timeline[1].regim: unknown field');
    expect(loadError(patch((d) => (d['colour'] = 'red')))).toMatch(/SC-900-test\.yaml: colour: unknown field/);
    expect(loadError(patch((d) => ((d.network.toxics[0] as Record<string, unknown>)['jitter'] = 3)))).toContain('network.toxics[0].jitter: unknown field');
  });

  it('bad values name the path and what was expected', () => {
    expect(loadError(patch((d) => (d.duration = '20')))).toMatch(/duration: expected a duration such as 30s/);
    expect(loadError(patch((d) => (d.gates = ['net_bps >> 2'])))).toMatch(/gates\[0\]: expected "metric op threshold"/);
    expect(loadError(patch((d) => (d.gates = ['pnl > 2'])))).toMatch(/gates\[0\]: unknown metric "pnl": expected one of/);
    expect(loadError(patch((d) => (d.market.timeline[0]!.regime = 'boom')))).toMatch(/market\.timeline\[0\]\.regime:/);
    expect(loadError(patch((d) => (d.market.timeline[0]!.at = '1s')))).toMatch(/market\.timeline\[0\]\.at: the first regime step must be at 0s/);
    expect(loadError(patch((d) => (d.venue_faults[0]!.type = 'meteor')))).toMatch(/venue_faults\[0\]\.type: expected a venue fault type/);
    expect(loadError(patch((d) => ((d.venue_faults[0]!.params as Record<string, unknown>) = { p: 3 })))).toMatch(/venue_faults\[0\]\.params\.p:/);
    expect(loadError(patch((d) => (d.venue_faults[0]!.at = '19s')))).toMatch(/venue_faults\[0\]\.at: must end within the scenario's duration/);
    expect(loadError(patch((d) => (d.network.toxics[0]!.channel = 'ws-everything')))).toMatch(/network\.toxics\[0\]\.channel: expected one of rest, ws-public/);
    expect(loadError(patch((d) => (d.id = 'calm')))).toMatch(/id: expected an id such as SC-012-flash-crash/);
    expect(loadError(patch((d) => (d.bot.overrides = { quoting: { levels: 'x' } } as never)))).toMatch(/bot\.overrides\.quoting\.levels: expected integer in 1\.\.20/);
    expect(loadError(patch((d) => (d.bot.overrides = { quoting: { levelz: 2 } } as never)))).toMatch(/bot\.overrides\.quoting\.levelz: unknown field/);
    expect(loadError(patch((d) => (d.market = { speed: 1 } as never)))).toMatch(/market\.timeline: expected exactly one of market\.timeline or market\.replay/);
    expect(loadError(GOOD, 'SC-901-other.yaml')).toMatch(/SC-901-other\.yaml: id: expected the file's name "SC-901-other"/);
    expect(loadError('just text')).toMatch(/SC-900-test\.yaml: \(root\)/);
  });

  it('a seeded window draws the same time for the same seed, inside the window', () => {
    const at = { from: 10_000, to: 14_000 };
    const a = resolveAt(at, 42, 'venue_faults[0]');
    expect(resolveAt(at, 42, 'venue_faults[0]')).toBe(a);
    expect(a).toBeGreaterThanOrEqual(10_000);
    expect(a).toBeLessThanOrEqual(14_000);
    const draws = new Set(Array.from({ length: 20 }, (_, s) => resolveAt(at, s, 'venue_faults[0]')));
    expect(draws.size).toBeGreaterThan(10);
    expect(resolveAt({ fixed: 5000 }, 1, 'x')).toBe(5000);
  });

  it('position: {max_abs} is an inventory gate tighter than the safety limit', () => {
    expect(loadError(patch((d) => (d['position'] = { max_abs: 0.06 })))).toBe('');
    expect(loadError(patch((d) => (d['position'] = { max_abs: 0 })))).toMatch(/position\.max_abs: expected a position \(base units\) > 0/);
    expect(loadError(patch((d) => (d['position'] = { max: 0.06 })))).toMatch(/position\.max: unknown field/);
    const safety = { openOrdersAfterStop: 0, duplicateOrderLinkIds: 0, maxAbsPosition: 0.074, positionLimit: 0.1, unhandledErrors: { venue: 0, bot: 0 } };
    const fail = positionGate(safety, 0.06);
    expect(fail).toMatchObject({ name: 'max_abs_position <= 0.06', pass: false, value: 0.074, kind: 'metric' });
    expect(positionGate({ ...safety, maxAbsPosition: 0.06 }, 0.06).pass).toBe(true);
    expect(positionGate({ ...safety, maxAbsPosition: Number.NaN }, 0.06)).toMatchObject({ pass: false, value: null });
  });
});
