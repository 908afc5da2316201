/**
 * Our fills from the private `execution` stream: deduplicated by execId (a reconnect may replay), split by maker and
 * taker. The bot's resting quotes only post, so a taker fill of one of them is a symptom (a guard watches the count);
 * fills of its inventory-unwind IOC orders are intended and counted apart.
 */
import type { FillUpdate } from '../venue/messages.ts';

const MAX_SEEN = 50_000;

export class FillLog {
  private readonly seen = new Set<string>();
  maker = 0;
  /** Unexpected taker fills: a resting (PostOnly) quote should never take. Inventory-unwind fills are not counted here. */
  taker = 0;
  /** Fills of inventory-unwind IOC orders (intended taker fills). */
  unwind = 0;
  /** Notional (price × qty, quote currency) of our fills by liquidity role; unwind fills are taker. */
  readonly turnover = { maker: 0, taker: 0 };

  /** True if the fill is new (then counted). `unwind`: it belongs to an inventory-unwind IOC. */
  record(f: FillUpdate, unwind = false): boolean {
    if (f.execType !== '' && f.execType !== 'Trade') return false;
    if (this.seen.has(f.execId)) return false;
    this.seen.add(f.execId);
    if (this.seen.size > MAX_SEEN) this.seen.delete(this.seen.values().next().value!);
    if (unwind) this.unwind++;
    else if (f.isMaker) this.maker++;
    else this.taker++;
    const notional = Number(f.price) * Number(f.qty);
    if (Number.isFinite(notional)) this.turnover[f.isMaker ? 'maker' : 'taker'] += notional;
    return true;
  }
}
