/**
 * The venue-side metrics (scenarios/conduct.ts, docs/reports.md "Venue-side metrics"): reaction matching with its
 * horizon and censoring, two-sided uptime, requests and rejects per key, order-to-trade; absent without samples.
 * Plus a property: every judged move is reacted or unreacted, and each reaction latency is the gap to the first
 * action at or after the move (checked against a brute-force matcher).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conductMetrics, reactions, twoSidedMs, USUAL_REJECT_KEYS } from '../../scenarios/conduct.ts';
import type { BookMove, OrderAction, VenueView } from '../../scenarios/types.ts';

const move = (mono: number, time = mono, symbol = 'BTCUSDT'): BookMove => ({ time, mono, symbol, fromMid: 100, toMid: 100.02, via: 'ws' });
const act = (mono: number, n = 1, symbol = 'BTCUSDT'): OrderAction => ({ time: mono, mono, symbol, op: 'amend', channel: 'rest', n });
const view = (o: Partial<VenueView>): VenueView => ({
  endMono: 100_000,
  thresholdBps: 2,
  horizonMs: 2000,
  moves: [],
  actions: [],
  requests: [],
  postOnlyCancels: [],
  twoSided: [],
  ...o,
});

describe('reactions', () => {
  it('each move takes the first action at or after it on its symbol, within the horizon', () => {
    const r = reactions(view({ moves: [move(1000), move(1005), move(5000), move(9000)], actions: [act(1030), act(1100), act(7500), act(9000, 1, 'ETHUSDT')] }), 0, 100_000, 100_000);
    // 1000 → 1030 (30 ms); 1005 → 1030 (25 ms); 5000: next is 7500, past the 2 s horizon; 9000: only another symbol.
    expect(r.reacted).toBe(2);
    expect(r.unreacted).toBe(2);
    expect(r.series.map((s) => s.ms)).toEqual([30, 25, null, null]);
    expect(r.max).toBeCloseTo(30, 2);
  });

  it('an action at the very same instant counts (0 ms); an earlier one does not', () => {
    const r = reactions(view({ moves: [move(1000)], actions: [act(999), act(1000)] }), 0, 10_000, 10_000);
    expect(r.series[0]!.ms).toBe(0);
  });

  it('a move whose horizon runs past the window end with no action yet is censored, not unreacted', () => {
    const r = reactions(view({ moves: [move(9000)], actions: [] }), 0, 10_000, 10_000);
    expect(r).toMatchObject({ moves: 1, reacted: 0, unreacted: 0, censored: 1 });
  });

  it('only moves inside [start, end] (venue clock) are judged', () => {
    const r = reactions(view({ moves: [move(100, 100), move(200, 200), move(300, 300)], actions: [act(150), act(250), act(350)] }), 150, 250, 10_000);
    expect(r.moves).toBe(1);
  });

  it('matches a brute-force matcher on random moves and actions', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20_000 }), { maxLength: 40 }), fc.array(fc.integer({ min: 0, max: 20_000 }), { maxLength: 40 }), fc.integer({ min: 1, max: 5000 }), (ms, as, horizon) => {
        const v = view({ moves: ms.map((m) => move(m)), actions: as.map((a) => act(a)), horizonMs: horizon });
        const r = reactions(v, 0, 20_000, 20_000);
        expect(r.reacted + r.unreacted + r.censored).toBe(ms.length);
        const expected = ms.flatMap((m) => {
          const next = [...as].sort((a, b) => a - b).find((a) => a >= m);
          if (next !== undefined && next - m <= horizon) return [next - m];
          return m + horizon > 20_000 ? [] : [null];
        });
        expect(r.series.map((s) => s.ms)).toEqual(expected);
      }),
      { seed: 20261208, numRuns: 200 },
    );
    console.log('fast-check seed 20261208');
  });
});

describe('twoSidedMs', () => {
  it('integrates the on periods, starting from the last state at or before the window start', () => {
    const changes = [
      { time: 0, on: true },
      { time: 500, on: false },
      { time: 700, on: true },
      { time: 2000, on: false },
    ];
    expect(twoSidedMs(changes, 100, 1000)).toBe(400 + 300);
    expect(twoSidedMs(changes, 600, 3000)).toBe(1300);
    expect(twoSidedMs([{ time: 0, on: true }], 0, 1000)).toBe(1000);
  });
});

describe('conductMetrics', () => {
  it('computes every venue-side metric over the window', () => {
    const v = view({
      moves: [move(1000), move(3000)],
      actions: [act(1040, 6), act(3020), act(3030)],
      requests: [
        { time: 1040, what: 'POST /v5/order/create-batch', rejects: ['110007'] },
        { time: 3020, what: 'POST /v5/order/amend', rejects: [] },
        { time: 3030, what: 'trade order.cancel', rejects: ['10006'] },
        { time: 4000, what: 'GET /v5/position/list', rejects: [] },
      ],
      postOnlyCancels: [5000],
      twoSided: [
        { time: 0, on: true },
        { time: 30_000, on: false },
      ],
    });
    const { metrics, details } = conductMetrics(v, 0, 60_000, 100_000, 4);
    expect(metrics['quote_reaction_p95_ms']).toMatchObject({ samples: 2 });
    expect((metrics['quote_reaction_p95_ms'] as { value: number }).value).toBeCloseTo(40, 1);
    expect(metrics['unreacted_moves_pct']).toEqual({ value: 0, samples: 2 });
    expect(metrics['quote_uptime_pct']).toEqual({ value: 50, samples: 2 });
    expect(metrics['order_to_trade']).toEqual({ value: 8 / 4, samples: 4 });
    expect(metrics['requests_per_s']).toEqual({ value: 4 / 60, samples: 4 });
    expect(metrics['rejects_per_min']).toEqual({ value: 3, samples: 4 });
    expect(metrics['rejects_per_min[10006]']).toEqual({ value: 1, samples: 4 });
    expect(metrics['rejects_per_min[postonly]']).toEqual({ value: 1, samples: 4 });
    expect(metrics['rejects_per_min[10001]']).toEqual({ value: 0, samples: 4 });
    expect(details!.rejectsByKey).toMatchObject({ '110007': 1, '10006': 1, postonly: 1 });
  });

  it('absent, with a reason, when there is nothing to measure — never a passing default', () => {
    const { metrics } = conductMetrics(view({}), 0, 60_000, 100_000, 0);
    for (const k of ['quote_reaction_p50_ms', 'quote_reaction_p95_ms', 'unreacted_moves_pct', 'quote_uptime_pct', 'order_to_trade', 'requests_per_s', 'rejects_per_min', ...USUAL_REJECT_KEYS.map((x) => `rejects_per_min[${x}]`)]) {
      expect(metrics[k], k).toHaveProperty('absent', true);
    }
    expect(metrics['quote_reaction_p95_ms']).toMatchObject({ reason: 'no mid move of 2 bps or more in the window' });
    expect(metrics['requests_per_s']).toMatchObject({ reason: 'the bot sent no request in the window' });
    const none = conductMetrics(undefined, 0, 1, 1, 0).metrics;
    expect(none['quote_uptime_pct']).toMatchObject({ absent: true });
  });

  it('moves nobody reacted to: the latency is absent and unreacted_moves_pct is 100', () => {
    const { metrics } = conductMetrics(view({ moves: [move(1000), move(2000)] }), 0, 60_000, 100_000, 0);
    expect(metrics['quote_reaction_p95_ms']).toMatchObject({ absent: true, reason: expect.stringContaining('2 unreacted') });
    expect(metrics['unreacted_moves_pct']).toEqual({ value: 100, samples: 2 });
  });
});
