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

/** Fills kept per account with `history: 'recent'` (see AccountConfig). */
export const RECENT_FILLS = 500;

/**
 * Every fill, per account in venue order. Capped for long runs: past `cap` fills in all, the oldest are dropped; an
 * account that keeps only its recent history (`record(e, 'recent')`) keeps its last `recentCap`. `dropped` counts
 * what was let go, so a consumer can tell a complete ledger from a truncated one.
 */
export class Ledger {
  private readonly perUid = new Map<number, Execution[]>();
  private count = 0;
  dropped = 0;

  constructor(
    private readonly cap = 1_000_000,
    private readonly recentCap = RECENT_FILLS,
  ) {}

  record(e: Execution, history: 'full' | 'recent' = 'full'): void {
    let list = this.perUid.get(e.uid);
    if (!list) {
      list = [];
      this.perUid.set(e.uid, list);
    }
    list.push(e);
    this.count++;
    // Trimming in batches (a quarter over the cap) keeps the splices rare.
    if (history === 'recent' && list.length > this.recentCap * 1.25) this.drop(list, list.length - this.recentCap);
    if (this.count > this.cap * 1.25) this.trim();
  }

  /** Every kept fill in venue order (merged from the per-account lists: for the control plane, not a hot path). */
  entries(): readonly Execution[] {
    const out: Execution[] = [];
    for (const list of this.perUid.values()) out.push(...list);
    return out.sort((a, b) => a.seq - b.seq);
  }

  of(uid: number): readonly Execution[] {
    return this.perUid.get(uid) ?? [];
  }

  get size(): number {
    return this.count;
  }

  clear(): void {
    this.perUid.clear();
    this.count = 0;
    this.dropped = 0;
  }

  private drop(list: Execution[], n: number): void {
    list.splice(0, n);
    this.count -= n;
    this.dropped += n;
  }

  /** Drops the oldest fills across accounts down to `cap`. */
  private trim(): void {
    const minSeq = this.entries()[this.count - this.cap]!.seq;
    for (const [uid, list] of this.perUid) {
      let i = 0;
      while (i < list.length && list[i]!.seq < minSeq) i++;
      if (i > 0) this.drop(list, i);
      if (list.length === 0) this.perUid.delete(uid);
    }
  }
}
