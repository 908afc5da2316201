/**
 * The facts a finished run is judged on, read from the venue once the bot has stopped and market time is frozen:
 * the bot's orders (for fill_rate and order age), its fills from the ledger (the ground truth of every PnL metric),
 * and the safety facts (open orders after the stop, duplicate orderLinkIds, max |position| from the fills).
 */
import type { SimHandle } from '../../sim-exchange/server.ts';
import type { FillRow, OrderRow } from '../types.ts';
import { control, toFillRow, type LedgerView } from './control.ts';

export interface Collected {
  readonly fills: FillRow[];
  readonly orders: OrderRow[];
  readonly openAfterStop: number;
  readonly duplicateOrderLinkIds: number;
  /** Max |Σ s q| over the bot's fills in ledger order (base units). */
  readonly maxAbsPosition: number;
}

export async function collectFacts(sim: SimHandle, uid: number, symbol: string): Promise<Collected> {
  const venue = sim.venue;
  const inst = venue.instrument(symbol);
  const lot = inst.lot.units / 10 ** inst.lot.scale;
  const openAfterStop = venue.orders.openCount(uid, symbol);
  const all = [...venue.orders.closedOf(uid), ...venue.orders.openOf(uid)].filter((o) => o.symbol === symbol);
  const seen = new Map<string, number>();
  for (const o of all) if (o.orderLinkId) seen.set(o.orderLinkId, (seen.get(o.orderLinkId) ?? 0) + 1);
  const duplicateOrderLinkIds = [...seen.values()].reduce((n, c) => n + (c > 1 ? c - 1 : 0), 0);
  const orders = all
    .filter((o) => o.status !== 'Rejected')
    .map((o) => ({
      orderId: o.orderId,
      orderLinkId: o.orderLinkId,
      createdTime: o.createdTime,
      closedTime: o.status === 'New' || o.status === 'PartiallyFilled' ? null : o.updatedTime,
      qty: o.qty * lot,
      filled: o.filled * lot,
    }));
  const ledger = (await control(sim, 'GET', '/ledger')) as { list: LedgerView[] };
  const fills = ledger.list.filter((f) => f.uid === uid && f.symbol === symbol).map(toFillRow);
  let pos = 0;
  let max = 0;
  for (const f of fills) {
    pos += f.side * f.qty;
    max = Math.max(max, Math.abs(pos));
  }
  return { fills, orders, openAfterStop, duplicateOrderLinkIds, maxAbsPosition: Number(max.toFixed(9)) };
}
