/**
 * The order diff: the minimal set of create / amend / cancel requests that turns the live orders into the desired
 * quotes. Pure; no I/O, no clock.
 *
 * Rules (docs/bot-execution.md §1):
 * - Orders are matched per slot = (side, level). A desired quote and the live order of its slot pair up.
 * - Same price and qty (numerically: "0.010" = "0.01") → nothing.
 * - Price or qty differs → one amend (not cancel + create: one request instead of two, and the orderId lives on).
 * - A live order whose slot is not desired → cancel. A desired slot with no live order → create.
 * - A pending order (a create, amend or cancel for it awaits its ack) is never touched again, and it occupies its
 *   slot: no create there either (that would be a second order for one slot once the first is acked). The next
 *   requote after the ack brings the slot in line.
 * - A slot holding several orders (only after a reconciliation race) keeps one (the exact match if there is one, else
 *   the first) and cancels the rest; a slot with a pending order cancels its non-pending extras.
 * - Desired quotes must have unique slots (the pipeline builds one ladder per side); a duplicate slot is ignored
 *   after the first.
 */
import type { DesiredQuote, LiveOrder, OrderDiff, Side } from '../types.ts';
import { cmpDec, eqDec, subDec } from '../venue/decimal.ts';

export const slotKey = (side: Side, level: number): string => `${side}:${level}`;

export interface DiffOptions {
  /**
   * How far (an absolute price, decimal string) a resting order of this level may be from its desired price and still
   * count as in place. Deeper levels tolerate a drift: re-pricing them on every tick costs rate limit and queue
   * position for no edge. Default: exact everywhere.
   */
  readonly priceTolerance?: (level: number) => string;
}

const within = (a: string, b: string, tol: string): boolean => {
  const d = cmpDec(a, b) >= 0 ? subDec(a, b) : subDec(b, a);
  return cmpDec(d, tol) <= 0;
};

export function diffOrders(desired: readonly DesiredQuote[], live: readonly LiveOrder[], opts: DiffOptions = {}): OrderDiff {
  const tolerance = opts.priceTolerance;
  const matches = (o: LiveOrder, d: DesiredQuote): boolean =>
    eqDec(o.qty, d.qty) && (eqDec(o.price, d.price) || (tolerance !== undefined && within(o.price, d.price, tolerance(d.level))));
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

  const create: DesiredQuote[] = [];
  const amend: { live: LiveOrder; to: DesiredQuote }[] = [];
  const cancel: LiveOrder[] = [];

  for (const [k, orders] of have) {
    const idle = orders.filter((o) => !o.pending);
    if (idle.length < orders.length) {
      cancel.push(...idle);
      continue;
    }
    const d = want.get(k);
    if (d === undefined) {
      cancel.push(...idle);
      continue;
    }
    const keep = idle.find((o) => matches(o, d)) ?? idle[0]!;
    if (!matches(keep, d)) amend.push({ live: keep, to: d });
    for (const o of idle) if (o !== keep) cancel.push(o);
  }
  for (const [k, d] of want) if (!have.has(k)) create.push(d);
  return { create, amend, cancel };
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
