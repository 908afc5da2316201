import type { Venue } from '../venue/venue.ts';
import type { Level as EngineLevel } from '../engine/types.ts';
import type { BookEvent, Level, MarketEvent, TradeEvent } from './events.ts';

/**
 * Records a venue's public market data as common-format events (events.ts): a snapshot of the top `levels` levels
 * when it starts, then after every `flush` that changed the book (its `seq` moved) a delta of the levels that changed
 * within the top `levels` — a level that left the window is sent with size 0, so a consumer's book is exactly the
 * venue's top `levels` after each event. Every print is a TradeEvent, stamped with the flush time.
 */
export class BookRecorder {
  readonly events: MarketEvent[] = [];
  private bids = new Map<number, number>();
  private asks = new Map<number, number>();
  private lastSeq = -1;
  private pendingTrades: { price: number; qty: number; side: 1 | -1; id: string }[] = [];
  private readonly unlisten: () => void;

  constructor(private readonly venue: Venue, readonly symbol: string, private readonly levels = 20) {
    this.unlisten = venue.listen({
      onTrades: (s, trades) => {
        if (s !== symbol) return;
        for (const t of trades) this.pendingTrades.push({ price: t.price, qty: t.qty, side: t.side, id: t.execId });
      },
    });
  }

  /** Full snapshot of the top levels now. */
  snapshot(tsUs: number): void {
    const book = this.venue.book(this.symbol);
    this.bids = new Map(book.depth(1, this.levels));
    this.asks = new Map(book.depth(-1, this.levels));
    this.lastSeq = book.seq;
    this.pendingTrades.length = 0;
    const ev: BookEvent = { kind: 'book', tsUs, symbol: this.symbol, snapshot: true, bids: [...this.bids], asks: [...this.asks] };
    this.events.push(ev);
  }

  /** Emits the trades seen since the last flush, then a book delta if the top levels changed. */
  flush(tsUs: number): void {
    for (const t of this.pendingTrades) {
      const ev: TradeEvent = { kind: 'trade', tsUs, symbol: this.symbol, priceTicks: t.price, qtyLots: t.qty, takerSide: t.side === 1 ? 'Buy' : 'Sell', id: t.id };
      this.events.push(ev);
    }
    this.pendingTrades.length = 0;
    const book = this.venue.book(this.symbol);
    if (book.seq === this.lastSeq) return;
    this.lastSeq = book.seq;
    const [bids, nb] = diff(this.bids, book.depth(1, this.levels));
    const [asks, na] = diff(this.asks, book.depth(-1, this.levels));
    this.bids = nb;
    this.asks = na;
    if (bids.length === 0 && asks.length === 0) return;
    this.events.push({ kind: 'book', tsUs, symbol: this.symbol, snapshot: false, bids, asks });
  }

  close(): void {
    this.unlisten();
  }
}

function diff(prev: Map<number, number>, now: readonly EngineLevel[]): [Level[], Map<number, number>] {
  const next = new Map(now);
  const out: Level[] = [];
  for (const [p, q] of next) if (prev.get(p) !== q) out.push([p, q]);
  for (const p of prev.keys()) if (!next.has(p)) out.push([p, 0]);
  return [out, next];
}
