import { describe, expect, it } from 'vitest';
import { REGIME_CYCLE, windowScenario } from '../../scenarios/soak/run.ts';
import { parseScenario } from '../../scenarios/schema.ts';
import { planWindows } from '../../scenarios/soak/windows.ts';

describe('soak window scenarios', () => {
  const cfg = { durationMs: 10 * 60_000, windowMs: 60_000, seed: 42 };
  it('every window is a valid scenario; regimes cycle; faults are seeded and reproducible', () => {
    const plan = planWindows(cfg.durationMs, cfg.windowMs);
    const docs = plan.map((w) => windowScenario(cfg, w));
    for (const [i, d] of docs.entries()) {
      const loaded = parseScenario(d, `${String(d['id'])}.yaml`);
      expect(loaded.scenario.duration).toBe(60_000);
      expect((d['market'] as { timeline: { regime: string }[] }).timeline[0]!.regime).toBe(REGIME_CYCLE[i % 4]);
    }
    const withFault = docs.filter((d) => d['venue_faults']).length;
    expect(withFault).toBeGreaterThan(0);
    expect(withFault).toBeLessThan(docs.length);
    expect(plan.map((w) => windowScenario(cfg, w))).toEqual(docs);
    expect(windowScenario({ ...cfg, seed: 43 }, plan[0]!)['seed']).not.toBe(docs[0]!['seed']);
    expect(plan.map((w) => windowScenario({ ...cfg, faultRate: 0 }, w)).some((d) => d['venue_faults'])).toBe(false);
  });
});
