/**
 * Our fills from the private `execution` stream: deduplicated by execId (a reconnect may replay), split by maker and
 * taker. The bot only posts, so a taker fill is a symptom (a guard watches the count).
 */
import type { FillUpdate } from '../venue/messages.ts';

const MAX_SEEN = 50_000;

export class FillLog {
  private readonly seen = new Set<string>();
  maker = 0;
  taker = 0;

  /** True if the fill is new (then counted). */
  record(f: FillUpdate): boolean {
    if (f.execType !== '' && f.execType !== 'Trade') return false;
    if (this.seen.has(f.execId)) return false;
    this.seen.add(f.execId);
    if (this.seen.size > MAX_SEEN) this.seen.delete(this.seen.values().next().value!);
    if (f.isMaker) this.maker++;
    else this.taker++;
    return true;
  }
}
