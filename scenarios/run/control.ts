/**
 * The venue's control plane as the runner uses it (docs/control-plane.md): one authenticated call, and the ledger's
 * rows turned into the metrics' FillRow.
 */
import type { SimHandle } from '../../sim-exchange/server.ts';
import type { FillRow } from '../types.ts';

/** One control-plane call (the bench's admin API, bearer token); throws with the venue's error text. */
export async function control(sim: SimHandle, method: string, path: string, body?: unknown): Promise<unknown> {
  const r = await fetch(sim.urls.control + path, {
    method,
    headers: { authorization: `Bearer ${sim.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status} ${text.slice(0, 300)}`);
  return text ? (JSON.parse(text) as unknown) : null;
}

/** A ledger row as the control plane's GET /ledger (and /accounts/:uid/ledger) return it. */
export interface LedgerView {
  seq: number;
  execId: string;
  time: number;
  uid: number;
  symbol: string;
  orderId: string;
  orderLinkId: string;
  side: 'Buy' | 'Sell';
  price: string;
  qty: string;
  fee: string;
  isMaker: boolean;
  midBefore: string | null;
  touchBefore: string | null;
  takerSignedAt: number | null;
}

/** A control-plane ledger row as the metrics' FillRow. */
export function toFillRow(f: LedgerView): FillRow {
  return {
    seq: f.seq,
    execId: f.execId,
    time: f.time,
    orderId: f.orderId,
    orderLinkId: f.orderLinkId,
    side: f.side === 'Buy' ? 1 : -1,
    price: Number(f.price),
    qty: Number(f.qty),
    fee: Number(f.fee),
    isMaker: f.isMaker,
    midBefore: f.midBefore === null ? null : Number(f.midBefore),
    touchBefore: f.touchBefore === null ? null : Number(f.touchBefore),
    takerSignedAt: f.takerSignedAt,
  };
}
