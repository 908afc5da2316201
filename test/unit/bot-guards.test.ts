/** Guards: SOFT / HARD / kill-switch transitions, cooldown, trips counted on rising edges, operator reset. */
import { describe, expect, it } from 'vitest';
import { INITIAL_GUARD_STATE, resetKillSwitch, stepGuards, type GuardInputs, type GuardLimits } from '../../bot/guards/guards.ts';
import { RollingWindow } from '../../bot/guards/window.ts';

const limits: GuardLimits = {
  soft: { volBps: 10, ackP95Ms: 100, drawdown: 10, inventoryRatio: 0.5, takerFills: 1, rejectRate: 0.1 },
  hard: { volBps: 30, ackP95Ms: 500, drawdown: 50, inventoryRatio: 1, takerFills: 3, rejectRate: 0.5 },
  cooldownMs: 1000,
  minActionsForRejectRate: 10,
  killSwitch: { maxLoss: 100, maxPosition: 2 },
};
const calm: GuardInputs = { volBps: 1, ackP95Ms: 10, drawdown: 0, inventoryRatio: 0, takerFills: 0, rejects: 0, actions: 0, stale: false, loss: 0, absPosition: 0 };

describe('guards', () => {
  it('normal when calm', () => {
    const r = stepGuards(INITIAL_GUARD_STATE, calm, limits, 0);
    expect(r.decision.mode).toBe('normal');
    expect(r.trips).toEqual([]);
  });

  it('each input trips SOFT then HARD with its reason, counted once per rising edge', () => {
    const cases: [Partial<GuardInputs>, Partial<GuardInputs>, string][] = [
      [{ volBps: 20 }, { volBps: 40 }, 'volatility'],
      [{ ackP95Ms: 200 }, { ackP95Ms: 600 }, 'ack_latency'],
      [{ drawdown: 20 }, { drawdown: 60 }, 'drawdown'],
      [{ inventoryRatio: 0.7 }, { inventoryRatio: 1.1 }, 'inventory'],
      [{ takerFills: 1 }, { takerFills: 3 }, 'taker_fills'],
      [{ rejects: 2, actions: 10 }, { rejects: 6, actions: 10 }, 'reject_rate'],
    ];
    for (const [soft, hard, reason] of cases) {
      const s1 = stepGuards(INITIAL_GUARD_STATE, { ...calm, ...soft }, limits, 0);
      expect(s1.decision.mode, reason).toBe('soft');
      expect(s1.trips, reason).toEqual([{ severity: 'soft', reason }]);
      const s2 = stepGuards(s1.state, { ...calm, ...soft }, limits, 10);
      expect(s2.trips, `${reason}: no second trip while it holds`).toEqual([]);
      const h = stepGuards(s2.state, { ...calm, ...hard }, limits, 20);
      expect(h.decision.mode, reason).toBe('hard');
      expect(h.trips, reason).toEqual([{ severity: 'hard', reason }]);
    }
  });

  it('reject rate needs enough actions to trip', () => {
    expect(stepGuards(INITIAL_GUARD_STATE, { ...calm, rejects: 3, actions: 3 }, limits, 0).decision.mode).toBe('normal');
  });

  it('stale data is HARD, and HARD halts until cooldown after it clears', () => {
    const a = stepGuards(INITIAL_GUARD_STATE, { ...calm, stale: true }, limits, 0);
    expect(a.decision).toMatchObject({ mode: 'hard', hard: ['stale_data'] });
    expect(a.trips).toEqual([{ severity: 'hard', reason: 'stale_data' }]);
    const b = stepGuards(a.state, { ...calm, stale: true }, limits, 500);
    expect(b.decision.haltUntil).toBe(1500);
    const c = stepGuards(b.state, calm, limits, 1400);
    expect(c.decision.mode).toBe('hard');
    const d = stepGuards(c.state, calm, limits, 1500);
    expect(d.decision.mode).toBe('normal');
  });

  it('the kill switch latches until reset, even when the cause goes away', () => {
    const k = stepGuards(INITIAL_GUARD_STATE, { ...calm, loss: 150 }, limits, 0);
    expect(k.decision).toMatchObject({ mode: 'killed', kill: 'max_loss' });
    expect(k.trips).toContainEqual({ severity: 'kill', reason: 'max_loss' });
    const later = stepGuards(k.state, calm, limits, 1e9);
    expect(later.decision.mode).toBe('killed');
    expect(later.trips).toEqual([]);
    const reset = stepGuards(resetKillSwitch(later.state), calm, limits, 1e9 + 1);
    expect(reset.decision.mode).toBe('normal');
    const pos = stepGuards(INITIAL_GUARD_STATE, { ...calm, absPosition: 2.5 }, limits, 0);
    expect(pos.decision).toMatchObject({ mode: 'killed', kill: 'max_position' });
  });
});

describe('RollingWindow', () => {
  it('P95 and sums over the window only', () => {
    const w = new RollingWindow(1000);
    for (let i = 1; i <= 100; i++) w.push(0, i);
    expect(w.quantile(500, 0.95)).toBe(95);
    expect(w.sum(500)).toBe(5050);
    w.push(900, 1);
    expect(w.count(1000)).toBe(1);
    expect(w.quantile(5000, 0.95)).toBeUndefined();
  });
});
