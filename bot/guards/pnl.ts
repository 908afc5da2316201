/**
 * PnL for the drawdown guard and the kill switch, from our own fills (the private `execution` stream, read
 * alongside execution — not through it — so the risk numbers do not depend on execution's bookkeeping).
 * PnL = cash + position × mid, fees included; starts at zero when the bot starts.
 */
export interface ExecutionFill {
  readonly execId: string;
  readonly side: 'Buy' | 'Sell';
  readonly price: number;
  readonly qty: number;
  readonly fee: number;
}

export class PnlTracker {
  private readonly seen = new Set<string>();
  private cash = 0;
  position = 0;
  private peak = 0;

  onFill(f: ExecutionFill): boolean {
    if (this.seen.has(f.execId)) return false;
    this.seen.add(f.execId);
    if (this.seen.size > 100_000) this.seen.delete(this.seen.values().next().value!);
    const s = f.side === 'Buy' ? 1 : -1;
    this.cash -= s * f.price * f.qty + f.fee;
    this.position += s * f.qty;
    return true;
  }

  pnl(mid: number | undefined): number {
    return this.cash + (mid === undefined ? 0 : this.position * mid);
  }

  /** Updates the peak with the current PnL and returns the drop from it (≥ 0). */
  drawdown(mid: number | undefined): number {
    const p = this.pnl(mid);
    if (p > this.peak) this.peak = p;
    return this.peak - p;
  }
}

/** Parses one item of the private `execution` topic; undefined for non-trade or malformed items. */
export function parseExecution(x: unknown, symbol: string): ExecutionFill | undefined {
  if (x === null || typeof x !== 'object') return undefined;
  const e = x as Record<string, unknown>;
  if (e['symbol'] !== symbol) return undefined;
  if (e['execType'] !== undefined && e['execType'] !== 'Trade') return undefined;
  const price = Number(e['execPrice']);
  const qty = Number(e['execQty']);
  const fee = Number(e['execFee'] ?? 0);
  if (typeof e['execId'] !== 'string' || (e['side'] !== 'Buy' && e['side'] !== 'Sell') || !(price > 0) || !(qty > 0)) return undefined;
  return { execId: e['execId'], side: e['side'], price, qty, fee: Number.isFinite(fee) ? fee : 0 };
}
