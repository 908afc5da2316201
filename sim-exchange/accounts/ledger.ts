import type { Side, OrderKind } from '../engine/types.ts';

/**
 * One fill of one account: the venue's ground truth from which every metric of DESIGN.md §4 is computed.
 * Prices in ticks, quantities in lots, money in nano-USDT (fee > 0 paid, < 0 rebate).
 */
export interface Execution {
  readonly execId: string;
  /** Venue-wide fill sequence, also Bybit's execution `seq`. */
  readonly seq: number;
  readonly uid: number;
  readonly symbol: string;
  readonly orderId: string;
  readonly orderLinkId: string;
  readonly side: Side;
  readonly orderType: OrderKind;
  readonly orderPrice: number;
  readonly orderQty: number;
  readonly leavesQty: number;
  readonly price: number;
  readonly qty: number;
  readonly notional: number;
  readonly fee: number;
  readonly feeRate: number;
  readonly isMaker: boolean;
  readonly time: number;
  /** Lots of this fill that reduced the position, and the PnL realised by it (before fee). */
  readonly closedSize: number;
  readonly pnl: number;
  /** Venue mid in ticks (may end in .5) just before the order that caused the fill arrived; null if a side was empty. */
  readonly midBefore: number | null;
  /** Best opposite price (ticks) for the taker just before it arrived; null if none. */
  readonly touchBefore: number | null;
  /** X-BAPI-TIMESTAMP of the taker order's request (for slippage against the touch when it was signed). */
  readonly takerSignedAt: number;
}

/**
 * Every fill in venue order, with per-account indexes. Capped for long runs: the oldest fills are dropped past
 * `cap`, and `dropped` says how many, so a consumer can tell a complete ledger from a truncated one.
 */
export class Ledger {
  private readonly all: Execution[] = [];
  private readonly perUid = new Map<number, Execution[]>();
  dropped = 0;

  constructor(private readonly cap = 1_000_000) {}

  record(e: Execution): void {
    this.all.push(e);
    let list = this.perUid.get(e.uid);
    if (!list) {
      list = [];
      this.perUid.set(e.uid, list);
    }
    list.push(e);
    if (this.all.length > this.cap * 1.25) this.trim();
  }

  entries(): readonly Execution[] {
    return this.all;
  }

  of(uid: number): readonly Execution[] {
    return this.perUid.get(uid) ?? [];
  }

  get size(): number {
    return this.all.length;
  }

  clear(): void {
    this.all.length = 0;
    this.perUid.clear();
    this.dropped = 0;
  }

  private trim(): void {
    const cut = this.all.length - this.cap;
    const minSeq = this.all[cut]!.seq;
    this.all.splice(0, cut);
    this.dropped += cut;
    for (const [uid, list] of this.perUid) {
      let i = 0;
      while (i < list.length && list[i]!.seq < minSeq) i++;
      if (i > 0) list.splice(0, i);
      if (list.length === 0) this.perUid.delete(uid);
    }
  }
}
