/**
 * Engine replay of the command journal reproduces the venue exactly: for random command sequences issued at
 * advancing times (refusals included), re-applying the journaled commands — after a round trip through JSON, as they
 * would be read from the file — gives the same ledger, the same account states and the same open orders.
 * Reproduce a failure with FC_SEED=<printed seed>.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Venue } from '../../sim-exchange/venue/venue.ts';
import { replayCommands, isVenueCommand, type VenueCommand } from '../../sim-exchange/venue/commands.ts';
import { ManualClock } from '../../sim-exchange/clock.ts';
import { DEFAULT_INSTRUMENTS } from '../../sim-exchange/instruments.ts';
import { isOpen } from '../../sim-exchange/venue/orders.ts';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
console.log('fast-check seed', seed);

const MID = 600_000;
type Op =
  | { op: 'place'; who: number; side: 1 | -1; market: boolean; tif: 'GTC' | 'IOC' | 'FOK' | 'PostOnly'; off: number; qty: number; link: boolean }
  | { op: 'amend'; who: number; pick: number; dPrice: number; qty: number }
  | { op: 'cancel'; who: number; pick: number }
  | { op: 'cancelAll'; who: number }
  | { op: 'leverage'; who: number; lev: number }
  | { op: 'dcp'; who: number; s: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant('place' as const), who: fc.nat({ max: 2 }), side: fc.constantFrom(1 as const, -1 as const), market: fc.nat({ max: 5 }).map((n) => n === 0), tif: fc.constantFrom('GTC' as const, 'IOC' as const, 'FOK' as const, 'PostOnly' as const), off: fc.integer({ min: -15, max: 15 }), qty: fc.integer({ min: 0, max: 400 }), link: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('amend' as const), who: fc.nat({ max: 2 }), pick: fc.nat(), dPrice: fc.integer({ min: -5, max: 5 }), qty: fc.integer({ min: 0, max: 400 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('cancel' as const), who: fc.nat({ max: 2 }), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('cancelAll' as const), who: fc.nat({ max: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('leverage' as const), who: fc.nat({ max: 2 }), lev: fc.integer({ min: 0, max: 120 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('dcp' as const), who: fc.nat({ max: 2 }), s: fc.integer({ min: 3, max: 300 }) }) },
);

/** Runs ops on a live venue, journaling its commands; returns the venue and the journal as parsed JSON lines. */
function live(ops: readonly Op[], steps: readonly number[]): { venue: Venue; journal: VenueCommand[] } {
  const clock = new ManualClock(1_700_000_000_000);
  const venue = new Venue({ instruments: DEFAULT_INSTRUMENTS, clock, seed: 42 });
  const lines: string[] = [];
  venue.listen({ onCommand: (c) => lines.push(JSON.stringify(c)) });
  const uids = [0, 1, 2].map((i) => venue.createAccount({ apiKey: `replay-key-${i}`, secret: `replay-secret-${i}`, balance: i === 2 ? '5000' : '1000000', makerFeeRate: '-0.0001', takerFeeRate: '0.00055' }).uid);
  expect(() => venue.createAccount({ apiKey: 'replay-key-0', secret: 'dup-secret', balance: '1' })).toThrow(/already exists/); // journaled too
  let n = 0;
  for (const [i, o] of ops.entries()) {
    clock.advance(steps[i % steps.length]!);
    const uid = uids[o.who]!;
    const open = [...venue.orders.openOf(uid)];
    const pick = (k: number) => open[k % Math.max(1, open.length)];
    try {
      switch (o.op) {
        case 'place':
          venue.place(uid, {
            symbol: 'BTCUSDT', side: o.side, orderType: o.market ? 'Market' : 'Limit', timeInForce: o.market ? 'IOC' : o.tif,
            price: MID + o.off, qty: o.qty, orderLinkId: o.link ? `l${n++ % 7}` : undefined, signedAt: clock.now() - 3,
          });
          break;
        case 'amend': {
          const t = pick(o.pick);
          if (t) venue.amend(uid, { symbol: t.symbol, orderId: t.orderId, price: t.price + o.dPrice, qty: o.qty || undefined });
          else venue.amend(uid, { symbol: 'BTCUSDT', orderId: 'missing', qty: 1 });
          break;
        }
        case 'cancel': {
          const t = pick(o.pick);
          venue.cancel(uid, t ? { symbol: t.symbol, orderLinkId: t.orderLinkId || undefined, orderId: t.orderLinkId ? undefined : t.orderId } : { symbol: 'BTCUSDT', orderId: 'missing' });
          break;
        }
        case 'cancelAll':
          venue.cancelAll(uid, o.who === 1 ? undefined : 'BTCUSDT');
          break;
        case 'leverage':
          venue.setLeverage(uid, 'BTCUSDT', o.lev);
          break;
        case 'dcp':
          venue.setDcpWindow(uid, o.s);
          break;
      }
    } catch {
      // refused: journaled anyway, and refused again on replay
    }
  }
  const journal = lines.map((l) => JSON.parse(l) as unknown).filter(isVenueCommand);
  return { venue, journal };
}

/** Everything replay must reproduce, as plain data. */
function state(v: Venue): unknown {
  const accounts = [...v.accounts.values()].map((a) => ({
    uid: a.uid, apiKey: a.apiKey, wallet: a.walletBalance(), margin: v.marginOf(a.uid),
    positions: [...a.positions.entries()],
    open: [...v.orders.openOf(a.uid)].map((o) => ({ ...o })),
    links: [...a.usedLinkIds],
    dcp: v.dcpWindow(a.uid),
  }));
  const books = [...v.instruments.keys()].map((s) => ({ s, bids: v.book(s).depth(1, 50), asks: v.book(s).depth(-1, 50) }));
  return { ledger: v.ledger.entries().map((e) => ({ ...e })), accounts, books };
}

describe('command journal replay', () => {
  it('rebuilds the same ledger, accounts, orders and books', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 150 }), fc.array(fc.integer({ min: 0, max: 1500 }), { minLength: 1, maxLength: 10 }), (ops, steps) => {
        const { venue, journal } = live(ops, steps);
        const replayed = replayCommands(journal, { instruments: DEFAULT_INSTRUMENTS, seed: 42 });
        expect(replayed.applied + replayed.refused).toBe(journal.length);
        expect(state(replayed.venue)).toEqual(state(venue));
      }),
      { seed, numRuns: 60 },
    );
  });

  it('replays fills, fees and positions (a fixed crossing session)', () => {
    const ops: Op[] = [
      { op: 'place', who: 0, side: -1, market: false, tif: 'GTC', off: 0, qty: 300, link: true },
      { op: 'place', who: 1, side: 1, market: false, tif: 'IOC', off: 2, qty: 120, link: false },
      { op: 'place', who: 2, side: 1, market: true, tif: 'IOC', off: 0, qty: 50, link: true },
      { op: 'amend', who: 0, pick: 0, dPrice: 1, qty: 200 },
      { op: 'place', who: 1, side: 1, market: false, tif: 'GTC', off: 1, qty: 100, link: true },
    ];
    const { venue, journal } = live(ops, [250]);
    expect(venue.ledger.entries().length).toBeGreaterThanOrEqual(4);
    expect(state(replayCommands(journal, { instruments: DEFAULT_INSTRUMENTS, seed: 42 }).venue)).toEqual(state(venue));
  });

  it('journals no secret', () => {
    const { journal } = live([{ op: 'cancelAll', who: 0 }], [1]);
    expect(JSON.stringify(journal)).not.toContain('replay-secret');
  });
});
