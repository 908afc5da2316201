import { describe, expect, it } from 'vitest';
import { DEFAULT_SOAK_GATES, REGIME_CYCLE, soakScenario, windowPlan } from '../../scenarios/soak/run.ts';
import { parseScenario } from '../../scenarios/schema.ts';
import { planWindows } from '../../scenarios/soak/windows.ts';

describe('soak window plans', () => {
  const seed = 42;
  const cfg = { durationMs: 10 * 60_000, windowMs: 60_000, seed };
  it(`regimes cycle; faults are seeded, inside their window and reproducible (seed ${seed})`, () => {
    console.log(`soak window plans: seed ${seed}`);
    const plan = planWindows(cfg.durationMs, cfg.windowMs);
    const plans = plan.map((w) => windowPlan(cfg, w));
    for (const [i, p] of plans.entries()) {
      expect(p.regime).toBe(REGIME_CYCLE[i % 4]);
      if (p.fault) {
        expect(p.fault.atMs).toBeGreaterThanOrEqual(p.startMs + 0.2 * 60_000);
        expect(p.fault.atMs).toBeLessThanOrEqual(p.startMs + 0.5 * 60_000);
        expect(p.fault).toMatchObject({ type: 'ws-close', params: { channel: 'private', code: 1006 } });
        expect(p.recoveryWithinMs).toBe(24_000);
      } else expect(p.recoveryWithinMs).toBeNull();
    }
    const withFault = plans.filter((p) => p.fault).length;
    expect(withFault).toBeGreaterThan(0);
    expect(withFault).toBeLessThan(plans.length);
    expect(plan.map((w) => windowPlan(cfg, w))).toEqual(plans);
    expect(plan.map((w) => windowPlan({ ...cfg, seed: seed + 1 }, w).fault?.atMs)).not.toEqual(plans.map((p) => p.fault?.atMs));
    expect(plan.map((w) => windowPlan({ ...cfg, faultRate: 0 }, w)).some((p) => p.fault)).toBe(false);
    expect(plan.map((w) => windowPlan({ ...cfg, faultRate: 1 }, w)).every((p) => p.fault)).toBe(true);
  });

  it('windows too short to observe a recovery get no fault', () => {
    const plan = planWindows(60_000, 10_000);
    expect(plan.map((w) => windowPlan({ durationMs: 60_000, windowMs: 10_000, seed: 1, faultRate: 1 }, w)).some((p) => p.fault)).toBe(false);
  });

  it("the soak's scenario document is valid and carries the per-window gates and the background load", () => {
    const loaded = parseScenario(soakScenario({ ...cfg, speed: 2 }), 'SC-900-soak.yaml');
    expect(loaded.scenario.gates.map((g) => `${g.metric} ${g.op} ${g.threshold}`)).toEqual([...DEFAULT_SOAK_GATES]);
    expect(loaded.scenario.load.rest_rps).toBeGreaterThan(0);
    expect(loaded.scenario.market.speed).toBe(2);
    expect(parseScenario(soakScenario({ ...cfg, loadRps: 0 }), 'SC-900-soak.yaml').scenario.load.rest_rps).toBe(0);
  });
});
