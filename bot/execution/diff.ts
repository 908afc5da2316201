/**
 * The order diff: the minimal set of create / amend / cancel requests that turns the live orders into the desired
 * quotes. Pure; no I/O, no clock.
 *
 * Rules (docs/bot-execution.md §1):
 * - Orders are matched per slot = (side, level). A desired quote and the live order of its slot pair up.
 * - Same price and qty (numerically: "0.010" = "0.01") → nothing.
 * - Price or qty differs → one amend (not cancel + create: one request instead of two, and the orderId lives on).
 * - A live order whose slot is not desired → cancel. A desired slot with no live order → create.
 * - An order with a create or cancel awaiting its ack blocks its slot: it is not touched, and nothing is created there
 *   (that would be a second order for one slot once the first is acked). The slot is "held" (heldSlots) until a
 *   requote after the ack brings it in line.
 * - An order with only amends in flight (LiveOrder.inflight 'amend') counts at the price and qty of the newest one and
 *   may be amended again at once: the venue applies one order's amends in the order they arrive, so waiting for the
 *   acks would only add a round trip to every requote that comes in between.
 * - A slot holding several orders (only after a reconciliation race) keeps one (the exact match if there is one, else
 *   the first) and cancels the rest; a blocked slot cancels its other orders.
 * - Desired quotes must have unique slots (the pipeline builds one ladder per side); a duplicate slot is ignored
 *   after the first.
 */
import type { DesiredQuote, LiveOrder, OrderDiff, Side } from '../types.ts';
import { cmpDec, eqDec, subDec } from '../venue/decimal.ts';

export const slotKey = (side: Side, level: number): string => `${side}:${level}`;

export interface DiffOptions {
  /**
   * How far (an absolute price, decimal string) a resting order of this level, desired at `price`, may be from it
   * and still count as in place: re-pricing on every tick costs rate limit and queue position for no edge. Default:
   * exact everywhere.
   */
  readonly priceTolerance?: (level: number, price: string) => string;
}

const within = (a: string, b: string, tol: string): boolean => {
  const d = cmpDec(a, b) >= 0 ? subDec(a, b) : subDec(b, a);
  return cmpDec(d, tol) <= 0;
};

/** A create or cancel awaits its ack: the order may not exist yet, or is going away. */
export const isBlocking = (o: LiveOrder): boolean => o.pending && o.inflight !== 'amend';

function bySlot(desired: readonly DesiredQuote[], live: readonly LiveOrder[]) {
  const want = new Map<string, DesiredQuote>();
  for (const d of desired) {
    const k = slotKey(d.side, d.level);
    if (!want.has(k)) want.set(k, d);
  }
  const have = new Map<string, LiveOrder[]>();
  for (const o of live) {
    const k = slotKey(o.side, o.level);
    const list = have.get(k);
    if (list) list.push(o);
    else have.set(k, [o]);
  }
  return { want, have };
}

/** Is `o` in place for `d`: same qty, and the same price or within the level's tolerance. */
function matcher(opts: DiffOptions): (o: LiveOrder, d: DesiredQuote) => boolean {
  const tolerance = opts.priceTolerance;
  return (o, d) => eqDec(o.qty, d.qty) && (eqDec(o.price, d.price) || (tolerance !== undefined && within(o.price, d.price, tolerance(d.level, d.price))));
}

export function diffOrders(desired: readonly DesiredQuote[], live: readonly LiveOrder[], opts: DiffOptions = {}): OrderDiff {
  return planOrders(desired, live, opts).diff;
}

/**
 * The slots the diff had to leave for later: a create or cancel awaits its ack there, and once those land (the
 * cancelled orders gone, the created ones resting, the diff's own cancels of the slot's other orders done) the slot
 * will still need an action. Execution keeps the time of the event that first wanted each, and observes the wait
 * as quote_hold when a later requote acts there.
 */
export function heldSlots(desired: readonly DesiredQuote[], live: readonly LiveOrder[], opts: DiffOptions = {}): { side: Side; level: number }[] {
  return planOrders(desired, live, opts).held;
}

/** The diff and the held slots in one pass over the slots (what execution needs on every requote). */
export function planOrders(
  desired: readonly DesiredQuote[],
  live: readonly LiveOrder[],
  opts: DiffOptions = {},
): { diff: OrderDiff; held: { side: Side; level: number }[] } {
  const matches = matcher(opts);
  const { want, have } = bySlot(desired, live);

  const create: DesiredQuote[] = [];
  const amend: { live: LiveOrder; to: DesiredQuote }[] = [];
  const cancel: LiveOrder[] = [];
  const held: { side: Side; level: number }[] = [];

  for (const [k, orders] of have) {
    const free = orders.filter((o) => !isBlocking(o));
    const d = want.get(k);
    if (free.length < orders.length) {
      cancel.push(...free);
      const creating = orders.filter((o) => isBlocking(o) && o.inflight !== 'cancel');
      const done = d === undefined ? creating.length === 0 : creating.length === 1 && matches(creating[0]!, d);
      if (!done) held.push({ side: orders[0]!.side, level: orders[0]!.level });
      continue;
    }
    if (d === undefined) {
      cancel.push(...free);
      continue;
    }
    const keep = free.find((o) => matches(o, d)) ?? free[0]!;
    if (!matches(keep, d)) amend.push({ live: keep, to: d });
    for (const o of free) if (o !== keep) cancel.push(o);
  }
  for (const [k, d] of want) if (!have.has(k)) create.push(d);
  return { diff: { create, amend, cancel }, held };
}

export const isEmptyDiff = (d: OrderDiff): boolean => d.create.length + d.amend.length + d.cancel.length === 0;

/**
 * The live set after every action of `d` succeeded (for tests and the docs' definition of "minimal"): cancelled
 * orders gone, amended ones at their new price and qty, creates added (with placeholder ids).
 */
export function applyDiff(live: readonly LiveOrder[], d: OrderDiff): LiveOrder[] {
  const gone = new Set(d.cancel.map((o) => o.orderLinkId));
  const to = new Map(d.amend.map((a) => [a.live.orderLinkId, a.to]));
  const out: LiveOrder[] = [];
  for (const o of live) {
    if (gone.has(o.orderLinkId)) continue;
    const t = to.get(o.orderLinkId);
    out.push(t ? { ...o, price: t.price, qty: t.qty } : o);
  }
  d.create.forEach((q, i) => {
    out.push({ orderId: `new-${i}`, orderLinkId: `new-${i}`, side: q.side, level: q.level, price: q.price, qty: q.qty, pending: false });
  });
  return out;
}
