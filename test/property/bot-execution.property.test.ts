/**
 * Properties of the order diff (bot/execution/diff.ts): applied to the live set it gives exactly the desired set;
 * it is empty when they are equal; it never amends and cancels the same order, never touches an order whose create
 * or cancel is in flight and never creates into a slot such an order holds, while an order with only amends in flight
 * is amended again; heldSlots names exactly the slots that still need an action once the blocking requests land.
 * The seed is printed; rerun with BOT_DIFF_SEED=<seed>.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyDiff, diffOrders, heldSlots, isBlocking, isEmptyDiff, slotKey } from '../../bot/execution/diff.ts';
import type { DesiredQuote, LiveOrder, Side } from '../../bot/types.ts';

const seed = Number(process.env.BOT_DIFF_SEED ?? Date.now() % 2 ** 31);
const params = { seed, numRuns: 400 };
console.info(`bot-execution diff properties: seed ${seed}`);

const side = fc.constantFrom<Side>('Buy', 'Sell');
const level = fc.integer({ min: 0, max: 4 });
// Numerically equal spellings on purpose: "0.010" and "0.01" are the same qty.
const price = fc.constantFrom('100.0', '100.1', '100.10', '99.9', '101.5');
const qty = fc.constantFrom('0.010', '0.01', '0.020', '1.5', '1.500');

const desiredArb = fc.uniqueArray(fc.record({ side, level, price, qty }), { selector: (d) => slotKey(d.side, d.level), maxLength: 10 });
type InFlight = 'none' | 'create' | 'cancel' | 'amend';
const liveArb = (inflight: fc.Arbitrary<InFlight>) =>
  fc.array(fc.record({ side, level, price, qty, inflight }), { maxLength: 12 }).map((xs) =>
    xs.map(({ inflight: f, ...x }, i): LiveOrder => ({
      ...x,
      orderId: `o${i}`,
      orderLinkId: `l${i}`,
      pending: f !== 'none',
      ...(f === 'none' ? {} : { inflight: f }),
    })));
const anyInflight = fc.constantFrom<InFlight>('none', 'create', 'cancel', 'amend');

/** The live set once every in-flight request has landed: cancels gone, creates and amends resting as shown. */
const land = (live: readonly LiveOrder[]): LiveOrder[] =>
  live.filter((o) => o.inflight !== 'cancel').map((o) => ({ ...o, pending: false, inflight: undefined }));

const canon = (xs: readonly { side: Side; level: number; price: string; qty: string }[]) =>
  xs.map((x) => `${x.side}:${x.level}:${Number(x.price)}:${Number(x.qty)}`).sort();

function checkWellFormed(live: readonly LiveOrder[], d: ReturnType<typeof diffOrders>): void {
  const amended = d.amend.map((a) => a.live.orderLinkId);
  const cancelled = d.cancel.map((c) => c.orderLinkId);
  expect(new Set(amended).size).toBe(amended.length);
  expect(new Set(cancelled).size).toBe(cancelled.length);
  expect(amended.filter((l) => cancelled.includes(l))).toEqual([]);
  const blocked = new Set(live.filter(isBlocking).map((o) => o.orderLinkId));
  expect([...amended, ...cancelled].filter((l) => blocked.has(l))).toEqual([]);
  for (const a of d.amend) expect(Number(a.live.price) !== Number(a.to.price) || Number(a.live.qty) !== Number(a.to.qty)).toBe(true);
}

describe('order diff properties', () => {
  it('applied to a live set without a pending create or cancel it gives exactly the desired set, minimally', () => {
    fc.assert(
      fc.property(desiredArb, liveArb(fc.constantFrom<InFlight>('none', 'amend')), (desired, live) => {
        const d = diffOrders(desired, live);
        checkWellFormed(live, d);
        expect(canon(applyDiff(live, d))).toEqual(canon(desired));
        // Minimal: one create per desired slot with no live order, nothing else created.
        const liveSlots = new Set(live.map((o) => slotKey(o.side, o.level)));
        expect(d.create.length).toBe(desired.filter((q) => !liveSlots.has(slotKey(q.side, q.level))).length);
        // An amend only where the slot is desired; a slot with one live order is never cancel + create.
        for (const c of d.cancel) {
          const k = slotKey(c.side, c.level);
          const single = live.filter((o) => slotKey(o.side, o.level) === k).length === 1;
          if (single) expect(desired.some((q) => slotKey(q.side, q.level) === k)).toBe(false);
        }
      }),
      params,
    );
  });

  it('is empty when live equals desired', () => {
    fc.assert(
      fc.property(desiredArb, (desired) => {
        const live = desired.map((q, i): LiveOrder => ({ ...q, orderId: `o${i}`, orderLinkId: `l${i}`, pending: false }));
        expect(isEmptyDiff(diffOrders(desired, live))).toBe(true);
      }),
      params,
    );
  });

  it('leaves orders with a create or cancel in flight and their slots alone, and converges every other slot', () => {
    fc.assert(
      fc.property(desiredArb, liveArb(anyInflight), (desired, live) => {
        const d = diffOrders(desired, live);
        checkWellFormed(live, d);
        const held = new Set(live.filter(isBlocking).map((o) => slotKey(o.side, o.level)));
        expect(d.create.filter((q) => held.has(slotKey(q.side, q.level)))).toEqual([]);
        const after = applyDiff(live, d);
        const free = (x: { side: Side; level: number }) => !held.has(slotKey(x.side, x.level));
        expect(canon(after.filter(free))).toEqual(canon(desired.filter(free)));
        // Blocked slots keep exactly their blocking orders.
        expect(canon(after.filter((o) => !free(o)))).toEqual(canon(live.filter(isBlocking)));
      }),
      params,
    );
  });

  it('heldSlots names exactly the slots that still need an action once the blocking requests land', () => {
    fc.assert(
      fc.property(desiredArb, liveArb(anyInflight), (desired, live) => {
        const d = diffOrders(desired, live);
        const next = diffOrders(desired, land(applyDiff(live, d)));
        const needs = new Set([
          ...next.create.map((q) => slotKey(q.side, q.level)),
          ...next.amend.map((a) => slotKey(a.to.side, a.to.level)),
          ...next.cancel.map((o) => slotKey(o.side, o.level)),
        ]);
        // Slots the first diff already acted on converge once its requests land too; only blocked slots may remain.
        const held = heldSlots(desired, live).map((h) => slotKey(h.side, h.level));
        expect(new Set(held)).toEqual(needs);
        expect(new Set(held).size).toBe(held.length);
      }),
      params,
    );
  });

  it('amends an order whose amends are in flight again, from the price and qty they ask for', () => {
    const q: DesiredQuote = { side: 'Buy', level: 0, price: '100.1', qty: '1' };
    const amending: LiveOrder = { orderId: 'a', orderLinkId: 'a', side: 'Buy', level: 0, price: '100.0', qty: '1', pending: true, inflight: 'amend' };
    expect(diffOrders([q], [amending])).toEqual({ create: [], amend: [{ live: amending, to: q }], cancel: [] });
    expect(isEmptyDiff(diffOrders([q], [{ ...amending, price: '100.10' }]))).toBe(true);
    expect(heldSlots([q], [amending])).toEqual([]);
  });

  it('keeps the exact match when a slot holds duplicates', () => {
    const q: DesiredQuote = { side: 'Buy', level: 0, price: '100.0', qty: '1' };
    const a: LiveOrder = { orderId: 'a', orderLinkId: 'a', side: 'Buy', level: 0, price: '99.0', qty: '1', pending: false };
    const b: LiveOrder = { ...a, orderId: 'b', orderLinkId: 'b', price: '100.00' };
    const d = diffOrders([q], [a, b]);
    expect(d).toEqual({ create: [], amend: [], cancel: [a] });
  });
});
