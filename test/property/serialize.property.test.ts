/**
 * The private stream's hand-built order text must be byte-identical to the object serialiser it replaces, for any
 * order state. Reproduce a failure with FC_SEED=<printed seed>.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { orderStreamJson, orderStreamText } from '../../sim-exchange/bybit-v5/serialize.ts';
import { DEFAULT_INSTRUMENTS, makeInstrument } from '../../sim-exchange/instruments.ts';
import type { OrderRecord } from '../../sim-exchange/venue/orders.ts';

const INSTRUMENTS = DEFAULT_INSTRUMENTS.map(makeInstrument);
const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
console.log('fast-check seed', seed);

const order: fc.Arbitrary<OrderRecord> = fc.record({
  engineId: fc.nat(),
  orderId: fc.uuid(),
  orderLinkId: fc.oneof(fc.constant(''), fc.stringMatching(/^[0-9A-Za-z_-]{1,36}$/), fc.string({ maxLength: 8 })),
  uid: fc.nat(),
  symbol: fc.constantFrom(...INSTRUMENTS.map((i) => i.symbol)),
  side: fc.constantFrom(1 as const, -1 as const),
  orderType: fc.constantFrom('Limit' as const, 'Market' as const),
  timeInForce: fc.constantFrom('GTC' as const, 'IOC' as const, 'FOK' as const, 'PostOnly' as const),
  smp: fc.constantFrom('CancelTaker' as const, 'CancelMaker' as const, 'CancelBoth' as const),
  reduceOnly: fc.boolean(),
  price: fc.integer({ min: 1, max: 2_000_000 }),
  qty: fc.integer({ min: 1, max: 100_000 }), // notional stays within a safe nano-USDT integer
  filled: fc.nat({ max: 1_000_000 }),
  cumValue: fc.nat({ max: 2 ** 50 }),
  cumFee: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  status: fc.constantFrom('New' as const, 'PartiallyFilled' as const, 'Filled' as const, 'Cancelled' as const, 'Rejected' as const),
  rejectReason: fc.constantFrom('EC_NoError', 'EC_PostOnlyWillTakeLiquidity', 'EC_PerCancelRequest'),
  cancelType: fc.constantFrom('UNKNOWN', 'CancelByUser', 'CancelByDCP'),
  closedPnl: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  createdTime: fc.nat(),
  updatedTime: fc.nat(),
  signedAt: fc.nat(),
  lastPriceOnCreated: fc.nat({ max: 2_000_000 }),
}).map((o) => ({ ...o, filled: o.filled % (o.qty + 1) })); // a valid state: never more filled than ordered

describe('orderStreamText', () => {
  it('equals JSON.stringify(orderStreamJson) for any order', () => {
    fc.assert(
      fc.property(order, (o) => {
        const inst = INSTRUMENTS.find((i) => i.symbol === o.symbol)!;
        expect(orderStreamText(inst, o)).toBe(JSON.stringify(orderStreamJson(inst, o)));
      }),
      { seed, numRuns: 500 },
    );
  });
});
