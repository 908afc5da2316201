/**
 * The public market-data topics of /v5/public/linear (../../../../shared/reference/bybit-v5.md §6.3):
 *
 * - `orderbook.{1|50|200|1000}.{symbol}`: a `snapshot` to each new subscriber, then at Bybit's linear cadence
 *   (1 → 10 ms, 50 → 20 ms, 200 → 100 ms, 1000 → 200 ms) one `delta` when the top-N levels changed since the last push:
 *   changed and new levels with their new size, levels that left the top N with size "0". `u` is +1 per pushed change,
 *   `seq` the engine's cross sequence. Depth 1 sends snapshots only: on change, and every 3 s unchanged with the same u.
 * - `publicTrade.{symbol}`: real time, from the venue's trades, ≤ 1024 trades per message.
 * - `tickers.{symbol}`: a snapshot on subscribe, then every 100 ms a `delta` with the fields that changed (and symbol).
 *
 * A stream (one topic) keeps the state it last pushed; every subscriber's local copy equals it. Before a new subscriber
 * gets its snapshot the stream first pushes any pending change to the existing subscribers, so the snapshot and the
 * following deltas are consistent for everyone. Each message is serialised once and the same bytes go to every
 * subscriber. Timers run only while a topic has subscribers. `u` of a (symbol, depth) stream only grows for the life
 * of the feed, except after resnapshot() (u restarts at 1, as Bybit after a service restart).
 */
import type { Venue } from '../../venue/venue.ts';
import type { Clock } from '../../clock.ts';
import type { Level, MatchingEngine } from '../../engine/types.ts';
import type { Instrument } from '../../instruments.ts';
import type { PublicTrade } from '../../venue/market-stats.ts';
import { price, qty, publicTradeStreamJson } from '../serialize.ts';
import { tickerJson } from '../ticker.ts';
import type { WsLogger } from '../ws/connection.ts';

export type BookDepth = 1 | 50 | 200 | 1000;
export const BOOK_DEPTHS: readonly BookDepth[] = [1, 50, 200, 1000];

/** Bybit's linear push intervals per depth, ms. */
export const LINEAR_BOOK_CADENCE_MS: Readonly<Record<BookDepth, number>> = { 1: 10, 50: 20, 200: 100, 1000: 200 };
export const LINEAR_TICKER_MS = 100;
/** Level 1 re-sends an unchanged snapshot this often. */
export const LEVEL1_REFRESH_MS = 3000;
/** Bybit puts at most this many trades in one publicTrade message. */
export const MAX_TRADES_PER_MESSAGE = 1024;

/** Whatever receives the feed's messages (a WsConn). `bytes` is the UTF-8 of `text`, shared by all subscribers. */
export interface FeedSubscriber {
  send(text: string, bytes?: Buffer): void;
}

/** One public topic: subscribing sends the snapshot (if the topic has one) to the new subscriber. */
export interface FeedTopic {
  readonly name: string;
  add(sub: FeedSubscriber): void;
  remove(sub: FeedSubscriber): void;
  readonly subscriberCount: number;
}

export interface PublicFeedOptions {
  readonly venue: Venue;
  readonly clock: Clock;
  /** Push interval per depth (ms); tests and benchmarks may shorten them. */
  readonly bookCadenceMs?: Partial<Record<BookDepth, number>>;
  readonly tickerMs?: number;
  readonly level1RefreshMs?: number;
  readonly logger?: WsLogger | undefined;
}

function broadcast(subs: Iterable<FeedSubscriber>, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  for (const s of subs) s.send(text, bytes);
}

/** JSON of price levels, built by hand (prices and sizes are plain decimal strings: nothing to escape). */
function levelsText(inst: Instrument, levels: readonly Level[]): string {
  let s = '[';
  for (let k = 0; k < levels.length; k++) {
    const l = levels[k]!;
    if (k > 0) s += ',';
    s += '["' + price(inst, l[0]) + '","' + (l[1] === 0 ? '0' : qty(inst, l[1])) + '"]';
  }
  return s + ']';
}

/**
 * Appends to `out` the levels of `next` that are new or changed against `prev`, and `[price, 0]` for levels of `prev`
 * missing from `next`. Both are best-first: `dir` = -1 for bids (descending), +1 for asks (ascending).
 */
export function diffLevels(prev: readonly Level[], next: readonly Level[], dir: 1 | -1, out: Level[]): Level[] {
  let i = 0;
  let j = 0;
  while (i < prev.length || j < next.length) {
    const p = prev[i];
    const n = next[j];
    if (n === undefined || (p !== undefined && (p[0] - n[0]) * dir < 0)) {
      out.push([p![0], 0]);
      i++;
    } else if (p === undefined || (p[0] - n[0]) * dir > 0) {
      out.push(n);
      j++;
    } else {
      if (p[1] !== n[1]) out.push(n);
      i++;
      j++;
    }
  }
  return out;
}

abstract class Stream implements FeedTopic {
  protected readonly subs = new Set<FeedSubscriber>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly name: string,
    protected readonly feed: PublicFeed,
    private readonly intervalMs: number,
  ) {}

  get subscriberCount(): number {
    return this.subs.size;
  }

  /** Muted by a fault: the stream keeps its state (u advances) but sends nothing. */
  get muted(): boolean {
    const m = this.feed.muted;
    return m !== undefined && m.has(this.name);
  }

  add(sub: FeedSubscriber): void {
    if (this.subs.has(sub)) return;
    this.flush();
    this.subs.add(sub);
    if (!this.muted) this.welcome(sub);
    if (this.intervalMs > 0 && this.timer === undefined) {
      this.timer = setInterval(() => this.tick(), this.intervalMs);
      this.timer.unref();
    }
  }

  remove(sub: FeedSubscriber): void {
    if (!this.subs.delete(sub) || this.subs.size > 0) return;
    this.stop();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    try {
      this.flush();
    } catch (err) {
      this.feed.logger?.error({ err, topic: this.name }, 'public feed tick failed');
    }
  }

  /** Pushes what changed since the last push to the current subscribers. */
  protected abstract flush(): void;
  /** What a new subscriber gets (after flush()). */
  protected abstract welcome(sub: FeedSubscriber): void;
}

class BookStream extends Stream {
  u = 0;
  private bids: Level[] = [];
  private asks: Level[] = [];
  private seq = 0;
  private cts = 0;
  /** Book object and its seq at the last diff: an unchanged seq means an unchanged book. */
  private seenBook: MatchingEngine | undefined;
  private seenSeq = -1;
  private lastSentAt = 0;
  dropNext = false;

  constructor(
    name: string,
    feed: PublicFeed,
    readonly inst: Instrument,
    readonly depth: BookDepth,
    intervalMs: number,
  ) {
    super(name, feed, intervalMs);
  }

  /**
   * Brings the stream's state up to the book: if the top-N changed, u += 1 and the change is returned
   * (changed/new/removed levels per side), else undefined.
   */
  sync(): { b: Level[]; a: Level[] } | undefined {
    const book = this.feed.venue.book(this.inst.symbol);
    if (book === this.seenBook && book.seq === this.seenSeq) return undefined;
    this.seenBook = book;
    this.seenSeq = book.seq;
    const bids = book.depth(1, this.depth);
    const asks = book.depth(-1, this.depth);
    const b = diffLevels(this.bids, bids, -1, []);
    const a = diffLevels(this.asks, asks, 1, []);
    if (b.length === 0 && a.length === 0) return undefined;
    this.bids = bids;
    this.asks = asks;
    this.seq = book.seq;
    this.cts = this.feed.commandTime(this.inst.symbol);
    this.u++;
    return { b, a };
  }

  protected flush(): void {
    this.catchUp(true);
  }

  /**
   * sync(), then pushes the change (if any) to the subscribers. With `refresh`, an unchanged level-1 stream re-sends
   * its snapshot once level1RefreshMs passed since the last push.
   */
  catchUp(refresh: boolean): void {
    const change = this.sync();
    if (this.subs.size === 0) return;
    if (change === undefined) {
      if (refresh && this.depth === 1 && performance.now() - this.lastSentAt >= this.feed.level1RefreshMs) this.pushSnapshot();
      return;
    }
    if (this.dropNext) {
      this.dropNext = false;
      return;
    }
    if (this.muted) return;
    if (this.depth === 1) this.pushSnapshot();
    else {
      const fault = this.feed.deltaFault?.(this.inst.symbol, this.depth);
      if (fault === 'drop') return;
      this.lastSentAt = performance.now();
      const text = this.message('delta', change.b, change.a);
      broadcast(this.subs, text);
      if (fault === 'dup') broadcast(this.subs, text);
    }
  }

  protected welcome(sub: FeedSubscriber): void {
    // The level-1 refresh clock runs from the first subscriber's snapshot.
    if (this.subs.size === 1) this.lastSentAt = performance.now();
    sub.send(this.message('snapshot', this.bids, this.asks));
  }

  /** Restarts u at 1 from the current book and sends every subscriber the snapshot. */
  restart(): void {
    const book = this.feed.venue.book(this.inst.symbol);
    this.seenBook = book;
    this.seenSeq = book.seq;
    this.bids = book.depth(1, this.depth);
    this.asks = book.depth(-1, this.depth);
    this.seq = book.seq;
    this.cts = this.feed.commandTime(this.inst.symbol);
    this.u = 1;
    this.dropNext = false;
    if (this.subs.size > 0) this.pushSnapshot();
  }

  private pushSnapshot(): void {
    if (this.muted) return;
    this.lastSentAt = performance.now();
    broadcast(this.subs, this.message('snapshot', this.bids, this.asks));
  }

  private message(type: 'snapshot' | 'delta', b: readonly Level[], a: readonly Level[]): string {
    const ts = this.feed.clock.now();
    const data =
      '{"s":"' + this.inst.symbol + '","b":' + levelsText(this.inst, b) + ',"a":' + levelsText(this.inst, a) +
      ',"u":' + this.u + ',"seq":' + this.seq + '}';
    const cts = this.cts > 0 ? this.cts : ts;
    // Bybit's futures level 1 puts ts before type (reference §6.3, key order note).
    return this.depth === 1
      ? '{"topic":"' + this.name + '","ts":' + ts + ',"type":"' + type + '","data":' + data + ',"cts":' + cts + '}'
      : '{"topic":"' + this.name + '","type":"' + type + '","ts":' + ts + ',"data":' + data + ',"cts":' + cts + '}';
  }
}

class TickerStream extends Stream {
  private last: Record<string, string> | undefined;

  constructor(name: string, feed: PublicFeed, readonly symbol: string, intervalMs: number) {
    super(name, feed, intervalMs);
  }

  private sync(): Record<string, string> | undefined {
    const cur = tickerJson(this.feed.venue, this.symbol, this.feed.clock.now());
    const prev = this.last;
    this.last = cur;
    if (prev === undefined) return cur;
    let changed: Record<string, string> | undefined;
    for (const k in cur) {
      if (cur[k] !== prev[k]) (changed ??= { symbol: this.symbol })[k] = cur[k]!;
    }
    return changed;
  }

  protected flush(): void {
    if (this.subs.size === 0) {
      this.last = undefined;
      return;
    }
    const changed = this.sync();
    if (changed !== undefined && !this.muted) broadcast(this.subs, this.message('delta', changed));
  }

  protected welcome(sub: FeedSubscriber): void {
    if (this.last === undefined) this.sync();
    sub.send(this.message('snapshot', this.last!));
  }

  private message(type: 'snapshot' | 'delta', data: Record<string, string>): string {
    const cs = this.feed.venue.book(this.symbol).seq;
    return JSON.stringify({ topic: this.name, type, data, cs, ts: this.feed.clock.now() });
  }
}

class TradeStream extends Stream {
  constructor(name: string, feed: PublicFeed, readonly inst: Instrument) {
    super(name, feed, 0);
  }

  protected flush(): void {}
  protected welcome(): void {}

  publish(trades: readonly PublicTrade[]): void {
    if (this.subs.size === 0 || this.muted) return;
    const ts = this.feed.clock.now();
    for (let i = 0; i < trades.length; i += MAX_TRADES_PER_MESSAGE) {
      const data = trades.slice(i, i + MAX_TRADES_PER_MESSAGE).map((t) => publicTradeStreamJson(this.inst, t));
      broadcast(this.subs, '{"topic":"' + this.name + '","type":"snapshot","ts":' + ts + ',"data":' + JSON.stringify(data) + '}');
    }
  }
}

const BOOK_TOPIC = /^orderbook\.(1|50|200|1000)\.([A-Z0-9]{1,30})$/;
const TRADE_TOPIC = /^publicTrade\.([A-Z0-9]{1,30})$/;
const TICKER_TOPIC = /^tickers\.([A-Z0-9]{1,30})$/;

export class PublicFeed {
  readonly venue: Venue;
  readonly clock: Clock;
  readonly logger: WsLogger | undefined;
  readonly level1RefreshMs: number;
  private readonly cadence: Record<BookDepth, number>;
  private readonly tickerMs: number;
  private readonly topics = new Map<string, Stream>();
  private readonly lastCommandAt = new Map<string, number>();
  private readonly unlisten: () => void;
  /** Fault hook: topics on which nothing is sent (streams keep their state, so a book's u jumps when it resumes). */
  muted: ReadonlySet<string> | undefined = undefined;
  /** Fault hook: decides per orderbook delta (depth > 1) whether it is dropped (u still advances) or sent twice. */
  deltaFault: ((symbol: string, depth: BookDepth) => 'drop' | 'dup' | undefined) | undefined = undefined;

  constructor(opts: PublicFeedOptions) {
    this.venue = opts.venue;
    this.clock = opts.clock;
    this.logger = opts.logger;
    this.cadence = { ...LINEAR_BOOK_CADENCE_MS, ...opts.bookCadenceMs };
    this.tickerMs = opts.tickerMs ?? LINEAR_TICKER_MS;
    this.level1RefreshMs = opts.level1RefreshMs ?? LEVEL1_REFRESH_MS;
    this.unlisten = this.venue.listen({
      onTrades: (symbol, trades) => this.onTrades(symbol, trades),
      onAccountUpdate: (_uid, update) => {
        const o = update.orders[0];
        if (o !== undefined) this.lastCommandAt.set(o.symbol, o.updatedTime);
      },
    });
  }

  /** The topic named `name`, or undefined when the name is not a linear public topic of a listed symbol. */
  topic(name: string): FeedTopic | undefined {
    const known = this.topics.get(name);
    if (known !== undefined) return known;
    let m = BOOK_TOPIC.exec(name);
    if (m !== null) {
      const inst = this.venue.instruments.get(m[2]!);
      return inst === undefined ? undefined : this.book(inst.symbol, Number(m[1]) as BookDepth);
    }
    m = TRADE_TOPIC.exec(name);
    if (m !== null) {
      const inst = this.venue.instruments.get(m[1]!);
      return inst === undefined ? undefined : this.remember(new TradeStream(name, this, inst));
    }
    m = TICKER_TOPIC.exec(name);
    if (m !== null) {
      const inst = this.venue.instruments.get(m[1]!);
      return inst === undefined ? undefined : this.remember(new TickerStream(name, this, inst.symbol, this.tickerMs));
    }
    return undefined;
  }

  /**
   * The current `u` of orderbook.{depth}.{symbol}, after bringing the stream up to the book (pending changes are
   * pushed to its subscribers first), so a REST orderbook answered now carries the u of exactly that book.
   */
  updateId(symbol: string, depth: BookDepth = 1000): number {
    const s = this.book(symbol, depth);
    s.catchUp(false);
    return s.u;
  }

  /** Service-restart fault: every depth of `symbol` restarts at u = 1 with a fresh snapshot to all its subscribers. */
  resnapshot(symbol: string): void {
    const inst = this.venue.instrument(symbol);
    for (const depth of BOOK_DEPTHS) this.book(inst.symbol, depth).restart();
  }

  /** Gap fault: the next change of this stream (or of every depth) is not pushed, but u still advances past it. */
  dropNextDelta(symbol: string, depth?: BookDepth): void {
    const inst = this.venue.instrument(symbol);
    for (const d of depth === undefined ? BOOK_DEPTHS : [depth]) this.book(inst.symbol, d).dropNext = true;
  }

  /** Subscriptions per topic with at least one subscriber. */
  stats(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, s] of this.topics) if (s.subscriberCount > 0) out[name] = s.subscriberCount;
    return out;
  }

  close(): void {
    this.unlisten();
    for (const s of this.topics.values()) s.stop();
  }

  /** Time of the last venue command on `symbol` (the book's `cts`), 0 if none seen. */
  commandTime(symbol: string): number {
    return this.lastCommandAt.get(symbol) ?? 0;
  }

  private book(symbol: string, depth: BookDepth): BookStream {
    const name = `orderbook.${depth}.${symbol}`;
    const known = this.topics.get(name);
    if (known !== undefined) return known as BookStream;
    return this.remember(new BookStream(name, this, this.venue.instrument(symbol), depth, this.cadence[depth]));
  }

  private remember<S extends Stream>(s: S): S {
    this.topics.set(s.name, s);
    return s;
  }

  private onTrades(symbol: string, trades: readonly PublicTrade[]): void {
    if (trades.length > 0) this.lastCommandAt.set(symbol, trades[trades.length - 1]!.time);
    const s = this.topics.get(`publicTrade.${symbol}`) as TradeStream | undefined;
    if (s === undefined) return;
    try {
      s.publish(trades);
    } catch (err) {
      this.logger?.error({ err, symbol }, 'publicTrade publish failed');
    }
  }
}
