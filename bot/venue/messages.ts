/**
 * Venue payloads (private stream items and REST list items; both use Bybit's field names) normalised into the few
 * fields execution uses. Parsing is defensive: a malformed item becomes undefined and is skipped, never a throw in
 * a stream handler.
 */
import type { Side } from '../types.ts';

export type OrderStatus =
  | 'New'
  | 'PartiallyFilled'
  | 'Untriggered'
  | 'Filled'
  | 'Cancelled'
  | 'Rejected'
  | 'PartiallyFilledCanceled'
  | 'Deactivated'
  | 'Triggered';

const OPEN: ReadonlySet<string> = new Set(['New', 'PartiallyFilled', 'Untriggered']);

export const isOpenStatus = (s: string): boolean => OPEN.has(s);

export interface OrderUpdate {
  readonly symbol: string;
  readonly orderId: string;
  readonly orderLinkId: string;
  readonly side: Side;
  readonly price: string;
  /** Total order qty. */
  readonly qty: string;
  readonly leavesQty: string;
  readonly cumExecQty: string;
  readonly status: string;
  readonly rejectReason: string;
  /** Venue ms. */
  readonly updatedTime: number;
}

export interface FillUpdate {
  readonly symbol: string;
  readonly execId: string;
  readonly orderId: string;
  readonly orderLinkId: string;
  readonly side: Side;
  readonly price: string;
  readonly qty: string;
  readonly isMaker: boolean;
  readonly execType: string;
}

export interface PositionUpdate {
  readonly symbol: string;
  /** Signed size in base units (Buy positive). */
  readonly size: number;
  readonly updatedTime: number;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const side = (v: unknown): Side | undefined => (v === 'Buy' || v === 'Sell' ? v : undefined);

export function parseOrder(x: unknown): OrderUpdate | undefined {
  if (x === null || typeof x !== 'object') return undefined;
  const o = x as Record<string, unknown>;
  const s = side(o.side);
  const symbol = str(o.symbol);
  const orderId = str(o.orderId);
  const status = str(o.orderStatus);
  if (!s || !symbol || !orderId || !status) return undefined;
  return {
    symbol,
    orderId,
    orderLinkId: str(o.orderLinkId) ?? '',
    side: s,
    price: str(o.price) ?? '0',
    qty: str(o.qty) ?? '0',
    leavesQty: str(o.leavesQty) ?? '0',
    cumExecQty: str(o.cumExecQty) ?? '0',
    status,
    rejectReason: str(o.rejectReason) ?? '',
    updatedTime: Number(str(o.updatedTime) ?? 0) || 0,
  };
}

export function parseFill(x: unknown): FillUpdate | undefined {
  if (x === null || typeof x !== 'object') return undefined;
  const o = x as Record<string, unknown>;
  const s = side(o.side);
  const symbol = str(o.symbol);
  const execId = str(o.execId);
  if (!s || !symbol || !execId) return undefined;
  return {
    symbol,
    execId,
    orderId: str(o.orderId) ?? '',
    orderLinkId: str(o.orderLinkId) ?? '',
    side: s,
    price: str(o.execPrice) ?? '0',
    qty: str(o.execQty) ?? '0',
    isMaker: o.isMaker === true || o.isMaker === 'true',
    execType: str(o.execType) ?? '',
  };
}

export function parsePosition(x: unknown): PositionUpdate | undefined {
  if (x === null || typeof x !== 'object') return undefined;
  const o = x as Record<string, unknown>;
  const symbol = str(o.symbol);
  const size = Number(str(o.size));
  if (!symbol || !Number.isFinite(size)) return undefined;
  const sign = o.side === 'Sell' ? -1 : o.side === 'Buy' ? 1 : 0;
  return { symbol, size: sign * size, updatedTime: Number(str(o.updatedTime) ?? 0) || 0 };
}
