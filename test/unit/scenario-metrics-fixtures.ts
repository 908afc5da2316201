/** Hand-built runs for the metrics / gates / report tests (values worked out by hand in scenario-metrics.test.ts). */
import type { FillRow, RunRecord } from '../../scenarios/types.ts';

export function fill(p: Partial<FillRow> & Pick<FillRow, 'time' | 'side' | 'price' | 'qty'>): FillRow {
  return {
    seq: p.time,
    execId: `e${p.time}`,
    orderId: `o${p.time}`,
    orderLinkId: `l${p.time}`,
    fee: 0,
    isMaker: true,
    midBefore: null,
    touchBefore: null,
    takerSignedAt: null,
    ...p,
  };
}

/**
 * Window [0, 20000], H = 5000. Mids: 0→100, 4000→101, 6000→102, 10000→99, 15000→100.5 (M = 100.5).
 *   A t=1000  buy  2   @ 99.9  fee  0.02 maker, m=100,   m^H = mid(6000)  = 102
 *   B t=5000  sell 1   @ 101.2 fee  0.05 taker, m=101,   m^H = mid(10000) = 99, touch 101.25
 *   C t=17000 buy  0.5 @ 100.6 fee −0.01 maker, m=100.5, t+H > end ⇒ m^H = M = 100.5
 * plus a fill before the window (ignored). N = 351.3; spread 0.35, adverse −6, inventory −4.5, fees 0.06, PnL 1.79.
 */
export function tinyRun(over: Partial<RunRecord> = {}): RunRecord {
  return {
    scenarioId: 'SC-000-tiny',
    seed: 42,
    start: 0,
    end: 20_000,
    fills: [
      fill({ time: -5, side: 1, price: 50, qty: 100, fee: 1, midBefore: 50 }),
      fill({ time: 1000, side: 1, price: 99.9, qty: 2, fee: 0.02, midBefore: 100 }),
      fill({ time: 5000, side: -1, price: 101.2, qty: 1, fee: 0.05, isMaker: false, midBefore: 101, touchBefore: 101.25, takerSignedAt: 4990 }),
      fill({ time: 17_000, side: 1, price: 100.6, qty: 0.5, fee: -0.01, midBefore: 100.5 }),
    ],
    orders: [
      { orderId: 'x', orderLinkId: 'x', createdTime: -100, closedTime: 50_000, qty: 100, filled: 100 },
      { orderId: 'o1', orderLinkId: 'l1', createdTime: 0, closedTime: 1000, qty: 2, filled: 2 },
      { orderId: 'o2', orderLinkId: 'l2', createdTime: 500, closedTime: 5000, qty: 1, filled: 1 },
      { orderId: 'o3', orderLinkId: 'l3', createdTime: 2000, closedTime: 3000, qty: 1, filled: 0 },
      { orderId: 'o4', orderLinkId: 'l4', createdTime: 16_000, closedTime: null, qty: 1, filled: 0.5 },
    ],
    mids: [
      { time: 0, mid: 100 },
      { time: 4000, mid: 101 },
      { time: 6000, mid: 102 },
      { time: 10_000, mid: 99 },
      { time: 15_000, mid: 100.5 },
    ],
    quoteCycleMs: Array.from({ length: 100 }, (_, i) => (i + 1) * 10),
    quotes: [
      { time: 0, bid: 99.9, ask: 100.1 },
      { time: 7000, bid: null, ask: null },
      { time: 9500, bid: 98.9, ask: 99.1 },
      { time: 15_000, bid: 100.4, ask: 100.6 },
    ],
    faults: [{ kind: 'venue', name: 'ws_drop private', start: 7000, end: 9000 }],
    safety: { openOrdersAfterStop: 0, duplicateOrderLinkIds: 0, maxAbsPosition: 2, positionLimit: 5, unhandledErrors: { venue: 0, bot: 0 } },
    ...over,
  };
}
