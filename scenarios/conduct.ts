/**
 * The bot's conduct as the venue saw it: the venue-side metrics of docs/reports.md, computed from a VenueView (every
 * time stamped at the venue, so no bot has to export or log anything). Pure: no I/O, no clock.
 *
 * Over the window [start, end]:
 *
 *   quote_reaction_p95_ms  P95 over the window's moves of (venue receives the bot's first order action on the move's
 *                          symbol − venue wrote the move to the bot), HDR; p99 and max in the details.
 *   quote_reaction_p50_ms  the median of the same latencies: the bot's typical reaction, which a few slow ones do not
 *                          move (P95 over a handful of moves is their maximum).
 *                          A move is a public book update that takes the mid ≥ thresholdBps from the mid of the
 *                          previous move (VenueView.moves). An action at or after the move, within horizonMs, is its
 *                          reaction; none within the horizon: the move is unreacted.
 *   unreacted_moves_pct    100 × unreacted / judged moves. A move whose horizon runs past the window end with no
 *                          action yet is censored: neither reacted nor unreacted (counted in the details).
 *   quote_uptime_pct       100 × (time with the bot's orders resting on both sides) / (end − start).
 *   order_to_trade         order actions (each order a request names: a batch of 6 counts 6) / the bot's fills.
 *   requests_per_s         the bot's requests (REST calls, /v5/trade ops) / window seconds.
 *   rejects_per_min        rejects / window minutes: requests refused (their retCode), refused items of batches,
 *                          answers without an envelope ("http"), and PostOnly orders the venue cancelled ("postonly");
 *                          rejects_per_min[<key>] the same for one key.
 *
 * Membership: a move, action, request or cancel belongs to the window when start ≤ time ≤ end (venue clock);
 * latencies are differences of the venue process's monotonic clock (`mono`), so a clock-skew fault does not bend them.
 */
import { MsHistogram } from './histogram.ts';
import type { MetricValue, RejectMetricName, VenueView } from './types.ts';

/** Reject keys every report lists (0 when none), beside any other key the run saw. */
export const USUAL_REJECT_KEYS: readonly string[] = ['10001', '10002', '10003', '10006', '10016', '110001', '110007', 'postonly', 'http'];

export const rejectMetric = (key: string): RejectMetricName => `rejects_per_min[${key}]`;

export interface ReactionStats {
  readonly moves: number;
  readonly reacted: number;
  readonly unreacted: number;
  readonly censored: number;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly max: number | null;
  /** Each judged move: its time (venue clock) and latency (null = unreacted), for the chart. */
  readonly series: readonly { readonly time: number; readonly ms: number | null; readonly via: 'ws' | 'venue' }[];
}

export interface ConductDetails {
  readonly reaction: ReactionStats;
  readonly requests: number;
  readonly orderActions: number;
  readonly rejectsByKey: Readonly<Record<string, number>>;
  readonly twoSidedMs: number;
}

export interface Conduct {
  readonly metrics: Record<string, MetricValue>;
  readonly details: ConductDetails | null;
}

const absent = (reason: string): MetricValue => ({ absent: true, reason });

/** Matches each move with the bot's first action on its symbol at or after it (both sorted by `mono`). */
export function reactions(view: VenueView, start: number, end: number, endMono: number): ReactionStats {
  const moves = view.moves.filter((m) => m.time >= start && m.time <= end);
  const bySymbol = new Map<string, number[]>();
  for (const a of view.actions) {
    let list = bySymbol.get(a.symbol);
    if (!list) bySymbol.set(a.symbol, (list = []));
    list.push(a.mono);
  }
  for (const list of bySymbol.values()) list.sort((a, b) => a - b);
  const h = new MsHistogram();
  let reacted = 0;
  let unreacted = 0;
  let censored = 0;
  const series: { time: number; ms: number | null; via: 'ws' | 'venue' }[] = [];
  for (const m of moves) {
    const list = bySymbol.get(m.symbol) ?? [];
    const i = lowerBound(list, m.mono);
    const next = i < list.length ? list[i]! : undefined;
    if (next !== undefined && next - m.mono <= view.horizonMs) {
      reacted++;
      h.record(next - m.mono);
      series.push({ time: m.time, ms: next - m.mono, via: m.via });
    } else if (m.mono + view.horizonMs > endMono) {
      censored++;
    } else {
      unreacted++;
      series.push({ time: m.time, ms: null, via: m.via });
    }
  }
  const out: ReactionStats = { moves: moves.length, reacted, unreacted, censored, p50: h.percentile(50), p95: h.percentile(95), p99: h.percentile(99), max: h.max(), series };
  h.destroy();
  return out;
}

function lowerBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Milliseconds of [start, end] with both sides resting: the state at the last change at or before `start`, then each change. */
export function twoSidedMs(changes: VenueView['twoSided'], start: number, end: number): number {
  let on = false;
  let t = start;
  let total = 0;
  for (const c of [...changes].sort((a, b) => a.time - b.time)) {
    if (c.time <= start) {
      on = c.on;
      continue;
    }
    if (c.time > end) break;
    if (on) total += c.time - t;
    t = c.time;
    on = c.on;
  }
  if (on) total += end - t;
  return total;
}

/**
 * The venue-side metrics over [start, end]. `endMono` is the monotonic time of `end` (to censor moves whose horizon
 * runs past it); `fills` the bot's fills in the window (order_to_trade). Without a view every one is absent.
 */
export function conductMetrics(view: VenueView | undefined, start: number, end: number, endMono: number, fills: number): Conduct {
  const names = ['quote_reaction_p50_ms', 'quote_reaction_p95_ms', 'unreacted_moves_pct', 'quote_uptime_pct', 'order_to_trade', 'requests_per_s', 'rejects_per_min'];
  if (view === undefined) {
    const why = absent('not recorded (a run from before the venue-side metrics)');
    return { metrics: Object.fromEntries([...names, ...USUAL_REJECT_KEYS.map(rejectMetric)].map((n) => [n, why])), details: null };
  }
  const span = end - start;
  const metrics: Record<string, MetricValue> = {};
  const r = reactions(view, start, end, endMono);
  const judged = r.reacted + r.unreacted;
  const noReaction = absent(r.moves === 0 ? `no mid move of ${view.thresholdBps} bps or more in the window` : `no move was reacted to within ${view.horizonMs} ms (${r.unreacted} unreacted, ${r.censored} censored)`);
  metrics['quote_reaction_p50_ms'] = r.p50 !== null ? { value: r.p50, samples: r.reacted } : noReaction;
  metrics['quote_reaction_p95_ms'] = r.p95 !== null ? { value: r.p95, samples: r.reacted } : noReaction;
  metrics['unreacted_moves_pct'] =
    judged > 0 ? { value: (100 * r.unreacted) / judged, samples: judged } : absent(r.moves === 0 ? `no mid move of ${view.thresholdBps} bps or more in the window` : `every move's horizon ran past the window end (${r.censored} censored)`);

  const on = twoSidedMs(view.twoSided, start, end);
  metrics['quote_uptime_pct'] = span > 0 && view.twoSided.length > 0 ? { value: (100 * on) / span, samples: view.twoSided.length } : absent(span > 0 ? 'no quote state recorded' : `window length ${span} ms is not positive`);

  const inWindow = (t: number) => t >= start && t <= end;
  const actions = view.actions.filter((a) => inWindow(a.time));
  const orderActions = actions.reduce((n, a) => n + a.n, 0);
  metrics['order_to_trade'] = fills > 0 ? { value: orderActions / fills, samples: fills } : absent(`no fills in the window (${orderActions} order actions)`);

  const requests = view.requests.filter((q) => inWindow(q.time));
  const rejects = new Map<string, number>(USUAL_REJECT_KEYS.map((k) => [k, 0]));
  for (const q of requests) for (const k of q.rejects) rejects.set(k, (rejects.get(k) ?? 0) + 1);
  rejects.set('postonly', view.postOnlyCancels.filter(inWindow).length);
  const total = [...rejects.values()].reduce((a, b) => a + b, 0);
  const minutes = span / 60_000;
  if (requests.length === 0 || !(span > 0)) {
    const why = absent(span > 0 ? 'the bot sent no request in the window' : `window length ${span} ms is not positive`);
    metrics['requests_per_s'] = why;
    metrics['rejects_per_min'] = why;
    for (const k of rejects.keys()) metrics[rejectMetric(k)] = why;
  } else {
    metrics['requests_per_s'] = { value: requests.length / (span / 1000), samples: requests.length };
    metrics['rejects_per_min'] = { value: total / minutes, samples: requests.length };
    for (const [k, n] of rejects) metrics[rejectMetric(k)] = { value: n / minutes, samples: requests.length };
  }
  return {
    metrics,
    details: { reaction: r, requests: requests.length, orderActions, rejectsByKey: Object.fromEntries(rejects), twoSidedMs: on },
  };
}
