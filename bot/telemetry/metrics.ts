/**
 * The bot's Prometheus metrics, on a registry of its own (several bots can live in one process, e.g. in tests).
 * Latencies are in milliseconds (the `_ms` suffix says so), buckets from 0.01 ms (pipeline stages) to 10 s.
 * `quoteCycle` is observed by execution: from the market-data event that triggered a requote to the acks of all of
 * that requote's actions. `quoteHold` is the other half of the bot's reaction: how long a change a requote wanted
 * waited before a later requote could send it (execution/executor.ts).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const STAGE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const NET_BUCKETS = [1, 2, 5, 10, 20, 35, 50, 75, 100, 150, 200, 300, 500, 1000, 2000, 5000, 10000];
/**
 * The release gate reads quote_cycle_p95_ms from this histogram (scenarios/run/prom.ts spreads a bucket's count
 * evenly over it), so its resolution is the gate's: 5 ms steps from 50 to 300 ms, where WAN quote cycles and their
 * gates (≤ 150, < 250, < 300) lie. With NET_BUCKETS' single 100–150 bucket a true P95 of 141 ms read as 147–150.
 */
const QUOTE_CYCLE_BUCKETS = [
  1, 2, 5, 10, 20, 35,
  ...Array.from({ length: 51 }, (_, i) => 50 + 5 * i),
  400, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000,
];

export function createMetrics(opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'mmbot_' });
  const r = [registry];
  return {
    registry,
    stageLatency: new Histogram({ name: 'mmbot_stage_latency_ms', help: 'Quote pipeline stage latency (ms)', labelNames: ['stage'] as const, buckets: STAGE_BUCKETS, registers: r }),
    pipelineLatency: new Histogram({ name: 'mmbot_pipeline_latency_ms', help: 'Whole quote pipeline latency (ms)', buckets: STAGE_BUCKETS, registers: r }),
    quoteCycle: new Histogram({ name: 'mmbot_quote_cycle_ms', help: 'Market-data event to acks of all actions of its requote (ms)', labelNames: ['mode'] as const, buckets: QUOTE_CYCLE_BUCKETS, registers: r }),
    quoteHold: new Histogram({ name: 'mmbot_quote_hold_ms', help: 'How long a wanted order change waited to be sent: its slot blocked by a pending create or cancel, or the amend rate budget spent (ms)', buckets: NET_BUCKETS, registers: r }),
    orderAck: new Histogram({ name: 'mmbot_order_ack_ms', help: 'Order request to venue ack (ms), per endpoint', labelNames: ['endpoint'] as const, buckets: NET_BUCKETS, registers: r }),
    guardTrips: new Counter({ name: 'mmbot_guard_trips_total', help: 'Guard trips by severity and reason', labelNames: ['severity', 'reason'] as const, registers: r }),
    guardMode: new Gauge({ name: 'mmbot_guard_mode', help: '0 normal, 1 soft, 2 hard, 3 killed', registers: r }),
    killSwitch: new Gauge({ name: 'mmbot_kill_switch', help: '1 while the kill switch holds the bot halted', registers: r }),
    spreadScore: new Gauge({ name: 'mmbot_spread_score', help: 'Adaptive spread score components in [0,1] and their weighted combination', labelNames: ['component'] as const, registers: r }),
    halfSpreadBps: new Gauge({ name: 'mmbot_half_spread_bps', help: 'Half-spread the pipeline chose (bps)', registers: r }),
    volatilityBps: new Gauge({ name: 'mmbot_volatility_bps', help: 'EWMA volatility (bps per sqrt second)', registers: r }),
    inventory: new Gauge({ name: 'mmbot_inventory', help: 'Signed position (base units)', registers: r }),
    pnl: new Gauge({ name: 'mmbot_pnl', help: 'PnL since start, marked to mid (quote currency)', registers: r }),
    openOrders: new Gauge({ name: 'mmbot_open_orders', help: 'Open orders', registers: r }),
    desiredQuotes: new Gauge({ name: 'mmbot_desired_quotes', help: 'Quotes the last requote wanted resting, per side', labelNames: ['side'] as const, registers: r }),
    fills: new Counter({ name: 'mmbot_fills_total', help: 'Own fills by liquidity role', labelNames: ['liquidity'] as const, registers: r }),
    unwinds: new Counter({ name: 'mmbot_unwinds_total', help: 'Inventory-unwind IOC orders sent, by outcome (filled, partial, unfilled, rejected, unknown)', labelNames: ['outcome'] as const, registers: r }),
    unwindFills: new Counter({ name: 'mmbot_unwind_fills_total', help: 'Fills of inventory-unwind IOC orders (also counted in mmbot_fills_total{liquidity="taker"})', registers: r }),
    rejects: new Counter({ name: 'mmbot_rejects_total', help: 'Rejected actions by retCode', labelNames: ['code'] as const, registers: r }),
    reconnects: new Counter({ name: 'mmbot_reconnects_total', help: 'WebSocket reconnects per stream', labelNames: ['stream'] as const, registers: r }),
    bookStale: new Counter({ name: 'mmbot_book_stale_total', help: 'Times the local book went stale, by reason', labelNames: ['reason'] as const, registers: r }),
    bookResyncs: new Counter({ name: 'mmbot_book_resyncs_total', help: 'Book resubscriptions', registers: r }),
    requotes: new Counter({ name: 'mmbot_requotes_total', help: 'Quote pipeline runs', registers: r }),
  };
}

export type BotMetrics = ReturnType<typeof createMetrics>;
