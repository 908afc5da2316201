/** Thresholds (parse, units, comparators, exit code), the profile schema, the step search's logic, the bot histogram math. */
import { describe, expect, it } from 'vitest';
import { allHold, evaluate, exitCode, parseThreshold, ThresholdError, type Metric } from '../../stress/lib/thresholds.ts';
import { listProfiles, loadProfile, loadWsProfile, parseProfile, ProfileError } from '../../stress/profile.ts';
import { findLimit, rateSteps, type StepOutcome } from '../../stress/find-limit.ts';
import { parseBuckets, quantileBetween } from '../../stress/lib/bot-proc.ts';
import { rng, weightedPicker } from '../../stress/lib/rest-load.ts';

const metrics: Record<string, Metric> = {
  p95: { kind: 'time', value: 42 },
  errors: { kind: 'percent', value: 0.5 },
  rps: { kind: 'rate', value: 2500 },
  gaps: { kind: 'count', value: 0 },
};

describe('parseThreshold', () => {
  it('reads metric, comparator, number and unit', () => {
    expect(parseThreshold('p95 < 50ms')).toMatchObject({ metric: 'p95', op: '<', value: 50, unit: 'ms' });
    expect(parseThreshold('errors<1%')).toMatchObject({ metric: 'errors', op: '<', value: 1, unit: '%' });
    expect(parseThreshold(' rps > 2000 ')).toMatchObject({ metric: 'rps', op: '>', value: 2000, unit: '' });
    expect(parseThreshold('rps >= 2000/s')).toMatchObject({ op: '>=', unit: 'rps' });
    expect(parseThreshold('ack.p99 <= 0.2s')).toMatchObject({ metric: 'ack.p99', op: '<=', value: 0.2, unit: 's' });
    expect(parseThreshold('p50 < 800µs')).toMatchObject({ unit: 'us', value: 800 });
    expect(parseThreshold('gaps == 0')).toMatchObject({ op: '==', value: 0 });
    expect(parseThreshold('gaps != 3')).toMatchObject({ op: '!=', value: 3 });
  });

  it('refuses what it cannot read', () => {
    for (const bad of ['p95 50ms', 'p95 < fast', 'p95 < 50 minutes', '< 50ms', 'p95 =< 50ms', '']) {
      expect(() => parseThreshold(bad), bad).toThrow(ThresholdError);
    }
  });
});

describe('evaluate', () => {
  const ev = (expr: string) => evaluate([parseThreshold(expr)], metrics)[0]!;

  it('applies each comparator', () => {
    expect(ev('p95 < 50ms').ok).toBe(true);
    expect(ev('p95 < 42ms').ok).toBe(false);
    expect(ev('p95 <= 42ms').ok).toBe(true);
    expect(ev('p95 > 41ms').ok).toBe(true);
    expect(ev('p95 > 42ms').ok).toBe(false);
    expect(ev('p95 >= 42ms').ok).toBe(true);
    expect(ev('gaps == 0').ok).toBe(true);
    expect(ev('gaps != 0').ok).toBe(false);
  });

  it('converts units: s and µs to ms, % and rps as is; no unit = the base unit', () => {
    expect(ev('p95 < 0.05s').ok).toBe(true);
    expect(ev('p95 < 0.04s').ok).toBe(false);
    expect(ev('p95 < 0.04s').actual).toBeCloseTo(0.042);
    expect(ev('p95 < 43000us').ok).toBe(true);
    expect(ev('p95 < 41000us').ok).toBe(false);
    expect(ev('p95 < 43').ok).toBe(true);
    expect(ev('errors < 1%').ok).toBe(true);
    expect(ev('errors < 0.5%').ok).toBe(false);
    expect(ev('rps > 2000').ok).toBe(true);
    expect(ev('rps > 2000rps').ok).toBe(true);
    expect(ev('rps > 3000/s').ok).toBe(false);
  });

  it('fails (never passes) a unit of the wrong kind, an unknown metric or a NaN value', () => {
    expect(ev('p95 < 50%')).toMatchObject({ ok: false });
    expect(ev('p95 < 50%').error).toMatch(/does not fit/);
    expect(ev('errors < 1ms').ok).toBe(false);
    expect(ev('rps > 5ms').ok).toBe(false);
    expect(ev('p999 < 50ms')).toMatchObject({ ok: false });
    expect(ev('p999 < 50ms').error).toMatch(/unknown metric/);
    expect(evaluate([parseThreshold('p95 < 50ms')], { p95: { kind: 'time', value: NaN } })[0]!.ok).toBe(false);
  });

  it('exit code 0 only when every threshold holds', () => {
    const pass = evaluate(['p95 < 50ms', 'errors < 1%', 'rps > 2000'].map(parseThreshold), metrics);
    expect(allHold(pass)).toBe(true);
    expect(exitCode(pass)).toBe(0);
    const breached = evaluate(['p95 < 50ms', 'errors < 1%', 'rps > 3000'].map(parseThreshold), metrics);
    expect(breached.map((r) => r.ok)).toEqual([true, true, false]);
    expect(exitCode(breached)).not.toBe(0);
  });
});

describe('profiles', () => {
  it('every shipped profile loads, with the three REST profiles present', () => {
    expect(listProfiles()).toEqual(expect.arrayContaining(['order-entry', 'market-data', 'mixed']));
    for (const name of listProfiles()) {
      const p = loadProfile(name);
      expect(p.parsedThresholds.length).toBeGreaterThan(0);
      expect(p.mix.length).toBeGreaterThan(0);
    }
    expect(loadProfile('mixed')).toMatchObject({ mode: 'open', rate: 1000 });
    expect(loadWsProfile('default').parsedThresholds.length).toBeGreaterThan(0);
  });

  it('refuses unknown keys, unknown ops, bad thresholds and an open loop without a rate', () => {
    const ok = { mode: 'closed', connections: 2, mix: [{ op: 'create', weight: 1 }], thresholds: ['p95 < 50ms'] };
    expect(() => parseProfile('x', ok)).not.toThrow();
    expect(() => parseProfile('x', { ...ok, extra: 1 })).toThrow(ProfileError);
    expect(() => parseProfile('x', { ...ok, mix: [{ op: 'teleport', weight: 1 }] })).toThrow(ProfileError);
    expect(() => parseProfile('x', { ...ok, mix: [{ op: 'create', weight: 1, colour: 'red' }] })).toThrow(ProfileError);
    expect(() => parseProfile('x', { ...ok, thresholds: ['p95 less than 50'] })).toThrow(/thresholds/);
    expect(() => parseProfile('x', { ...ok, mode: 'open' })).toThrow(/rate/);
    expect(() => parseProfile('x', { ...ok, mode: 'open', rate: 100 })).not.toThrow();
  });
});

describe('the weighted mix', () => {
  it('is reproducible from the seed and follows the weights', () => {
    const mix = [
      { op: 'create' as const, weight: 3 },
      { op: 'cancel' as const, weight: 1 },
    ];
    const a = weightedPicker(mix, rng(7));
    const b = weightedPicker(mix, rng(7));
    const seqA = Array.from({ length: 4000 }, () => a().op);
    expect(Array.from({ length: 4000 }, () => b().op)).toEqual(seqA);
    const creates = seqA.filter((o) => o === 'create').length;
    expect(creates / 4000).toBeGreaterThan(0.7);
    expect(creates / 4000).toBeLessThan(0.8);
  });
});

describe('the step search', () => {
  it('rates: start × factor while ≤ max', () => {
    expect(rateSteps(100, 2, 800)).toEqual([100, 200, 400, 800]);
    expect(rateSteps(100, 1.5, 500)).toEqual([100, 150, 225, 338]);
    expect(rateSteps(1, 1.01, 3)).toEqual([1, 2, 3]);
    expect(() => rateSteps(100, 1, 800)).toThrow(RangeError);
    expect(() => rateSteps(100, 2, 50)).toThrow(RangeError);
  });

  // A fake target: answers every offered rate up to `capacity`, with latency rising with load.
  const fake = (capacity: number) => async (rate: number): Promise<StepOutcome> => ({
    metrics: {
      rps: { kind: 'rate', value: Math.min(rate, capacity) },
      p95: { kind: 'time', value: 2 + (20 * rate) / capacity },
      errors: { kind: 'percent', value: 0 },
    },
  });

  it('stops at the first step that breaks and reports the one before', async () => {
    const seen: number[] = [];
    const r = await findLimit({ start: 100, factor: 2, max: 10_000, thresholds: ['p95 < 50ms', 'errors < 1%'].map(parseThreshold), runStep: async (rate) => (seen.push(rate), fake(1000)(rate)) });
    expect(seen).toEqual([100, 200, 400, 800, 1600]);
    expect(r.limit).toBe(800);
    expect(r.broke).toBe(1600);
    expect(r.steps.map((s) => s.held)).toEqual([true, true, true, true, false]);
    // 1600 offered, 1000 answered: the achieved-rate check is what broke.
    expect(r.steps[4]!.results.filter((x) => !x.ok).map((x) => x.metric)).toEqual(['rps']);
  });

  it('a latency threshold breaks a step even when the rate is answered', async () => {
    const r = await findLimit({ start: 100, factor: 2, max: 10_000, thresholds: [parseThreshold('p95 < 10ms')], runStep: fake(1000) });
    // p95 = 2 + 20 × rate / 1000: 4, 6, 10 → breaks at 400.
    expect(r.limit).toBe(200);
    expect(r.broke).toBe(400);
  });

  it('ignores the profile’s absolute rps thresholds; reports no limit when the first step breaks; every step held up to max', async () => {
    const r1 = await findLimit({ start: 100, factor: 2, max: 400, thresholds: ['rps > 100000', 'p95 < 50ms'].map(parseThreshold), runStep: fake(1000) });
    expect(r1).toMatchObject({ limit: 400, broke: null });
    const r2 = await findLimit({ start: 2000, factor: 2, max: 10_000, thresholds: [parseThreshold('p95 < 50ms')], runStep: fake(1000) });
    expect(r2).toMatchObject({ limit: null, broke: 2000 });
  });
});

describe('bot quote-cycle histogram', () => {
  const scrape = (counts: number[]) =>
    parseBuckets(
      [
        '# HELP mmbot_quote_cycle_ms x',
        ...[1, 2, 5, 10, 20].map((le, i) => `mmbot_quote_cycle_ms_bucket{le="${le}",mode="batched"} ${counts[i]}`),
        `mmbot_quote_cycle_ms_bucket{le="+Inf",mode="batched"} ${counts[5]}`,
        `mmbot_quote_cycle_ms_sum{mode="batched"} 0`,
      ].join('\n'),
    );

  it('P95 between two scrapes, interpolated inside the bucket', () => {
    const a = scrape([0, 0, 0, 0, 0, 0]);
    // 100 observations: 50 ≤ 2 ms, 40 in (2,5], 10 in (5,10].
    const b = scrape([0, 50, 90, 100, 100, 100]);
    const q = quantileBetween(a, b, 0.95);
    expect(q.count).toBe(100);
    expect(q.value).toBeCloseTo(7.5);
    expect(quantileBetween(b, b, 0.95)).toEqual({ value: null, count: 0 });
    // Only the delta counts.
    const c = scrape([0, 50, 90, 100, 200, 200]);
    expect(quantileBetween(b, c, 0.5).value).toBeCloseTo(15);
  });
});
