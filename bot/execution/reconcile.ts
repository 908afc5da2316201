/**
 * Reconciliation plan: given a REST snapshot of the venue's open orders and what we track, what to change. Pure.
 *
 * - Orders without our orderLinkId prefix are never touched (another bot's, or a human's, on the same account).
 * - Ours and tracked → take the venue's state (if not older than ours; OrderStore.apply decides).
 * - Ours, untracked, minted by this run (a create whose answer was lost) → adopt it: the next diff amends or
 *   cancels it like any other order.
 * - Ours, untracked, from another run (the bot restarted) → orphan: cancel.
 * - Ours and known closed (a tombstone at least as new as the snapshot's updatedTime) → the snapshot is stale; skip.
 * - Tracked, not pending, not in the snapshot and last confirmed before the snapshot was requested → gone (filled or
 *   cancelled while we were not listening): drop it. Pending orders are left to their request's outcome.
 */
import type { TrackedOrder } from '../state/orders.ts';
import type { OrderUpdate } from '../venue/messages.ts';
import type { ParsedLinkId } from '../venue/link-ids.ts';

export interface ReconcileInput {
  readonly open: readonly OrderUpdate[];
  readonly tracked: readonly TrackedOrder[];
  /** Side and level of our ids; undefined for orders that are not ours. */
  readonly parse: (orderLinkId: string) => ParsedLinkId | undefined;
  readonly run: string;
  /** True if we know the order closed at or after `updatedTime`. */
  readonly closedSince: (orderLinkId: string, updatedTime: number) => boolean;
  /** Local ms when the snapshot was requested. */
  readonly requestedAt: number;
}

export interface ReconcilePlan {
  readonly update: OrderUpdate[];
  readonly adopt: { readonly order: OrderUpdate; readonly level: number }[];
  readonly orphans: OrderUpdate[];
  /** orderLinkIds of tracked orders the venue no longer has. */
  readonly gone: string[];
}

export function planReconcile(x: ReconcileInput): ReconcilePlan {
  const tracked = new Map(x.tracked.map((t) => [t.orderLinkId, t]));
  const plan: ReconcilePlan = { update: [], adopt: [], orphans: [], gone: [] };
  const seen = new Set<string>();
  for (const u of x.open) {
    const id = x.parse(u.orderLinkId);
    if (id === undefined) continue;
    seen.add(u.orderLinkId);
    if (tracked.has(u.orderLinkId)) plan.update.push(u);
    else if (x.closedSince(u.orderLinkId, u.updatedTime)) continue;
    else if (id.run === x.run && id.side === u.side) plan.adopt.push({ order: u, level: id.level });
    else plan.orphans.push(u);
  }
  for (const t of x.tracked) {
    // An order with a request in flight is left to that request's answer.
    const busy = t.inflight !== undefined || t.amends > 0;
    if (!busy && t.confirmedAt < x.requestedAt && !seen.has(t.orderLinkId)) plan.gone.push(t.orderLinkId);
  }
  return plan;
}
