import type { Side } from '../engine/types.ts';

/**
 * A one-way-mode linear position, in integers: `size` in signed lots (+ long, − short) and `cost` in signed nano-USDT
 * (Σ side·price·qty over the lots still open, average-cost basis). Realised PnL is booked when a fill reduces the
 * position: the closed share of `cost` (rounded to the nano) is released against the fill's notional.
 *
 * Invariant used by the conservation property: (realisedGross − cost) changes on every fill by exactly
 * −side·notional, so across all accounts Σ(realisedGross − cost) = 0 and Σ size = 0, with no rounding drift.
 */
export interface Position {
  size: number;
  cost: number;
  /** Realised PnL from closing, before fees, since the account was created (nano-USDT). */
  realisedGross: number;
  /** Fees paid (positive) or rebates received (negative) on this symbol (nano-USDT). */
  fees: number;
  /** Realised PnL (gross − fees) since the position was last flat; Bybit's curRealisedPnl. */
  curRealised: number;
  leverage: number;
  createdTime: number;
  updatedTime: number;
  openTime: number;
  seq: number;
}

export function emptyPosition(leverage: number, now: number): Position {
  return { size: 0, cost: 0, realisedGross: 0, fees: 0, curRealised: 0, leverage, createdTime: now, updatedTime: now, openTime: 0, seq: 0 };
}

export interface FillEffect {
  /** Lots of this fill that reduced an existing position (Bybit's closedSize). */
  readonly closedQty: number;
  /** Realised PnL of this fill before fees (nano-USDT). */
  readonly pnl: number;
}

/**
 * Applies one fill to a position. `notional` = price·qty·cashPerTickLot (nano-USDT, exact); `fee` in nano-USDT,
 * positive = paid. Pure arithmetic on integers except the closed-cost share, rounded half away from zero.
 */
export function applyFill(p: Position, side: Side, qty: number, notional: number, fee: number, now: number): FillEffect {
  let closedQty = 0;
  let pnl = 0;
  const wasFlat = p.size === 0;
  if (p.size !== 0 && Math.sign(p.size) !== side) {
    const held = Math.abs(p.size);
    closedQty = Math.min(qty, held);
    const closedNotional = closedQty === qty ? notional : Math.round((notional * closedQty) / qty);
    const closedCost = closedQty === held ? p.cost : Math.round((p.cost * closedQty) / held);
    pnl = -side * closedNotional - closedCost;
    p.size += side * closedQty;
    p.cost -= closedCost;
    const openedQty = qty - closedQty;
    if (openedQty > 0) {
      p.size += side * openedQty;
      p.cost += side * (notional - closedNotional);
    }
  } else {
    p.size += side * qty;
    p.cost += side * notional;
  }
  p.realisedGross += pnl;
  p.fees += fee;
  if (wasFlat) {
    p.curRealised = 0;
    p.openTime = now;
  }
  p.curRealised += pnl - fee;
  p.updatedTime = now;
  p.seq++;
  return { closedQty, pnl };
}

/** Unrealised PnL at a mark price given in ticks (may be fractional, e.g. a mid). Nano-USDT, rounded. */
export function unrealised(p: Position, markTicks: number, cashPerTickLot: number): number {
  return p.size === 0 ? 0 : Math.round(p.size * markTicks * cashPerTickLot - p.cost);
}

/** Average entry price in ticks (fractional), or 0 when flat. */
export function avgEntryTicks(p: Position, cashPerTickLot: number): number {
  return p.size === 0 ? 0 : p.cost / (p.size * cashPerTickLot);
}
