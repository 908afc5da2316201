/**
 * The order-book feed: I/O around the pure LocalBook. Subscribes orderbook.{depth}.{symbol} through bybit-api's
 * WebsocketClient, applies every message, and repairs the book when it goes stale:
 * - gap / seq regress / u=1 re-snapshot / crossed → resync at once (unsubscribe + subscribe: a fresh snapshot);
 * - silent stream (no book message for `silentMs` while other frames — pongs — still arrive) → resync;
 * - connection lost → stale until bybit-api's own reconnect resubscribes and the snapshot arrives;
 * - a resync whose snapshot does not come within `resyncTimeoutMs` is retried.
 * Emits 'book' (arrival time, performance.now() ms) after each applied message, 'stale' (reason) and 'fresh'.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { WebsocketClient } from 'bybit-api';
import type { Logger } from 'pino';
import { LocalBook, silence, type BookMessage, type StaleReason } from './book.ts';
import type { Instrument } from './instrument.ts';
import { logCode } from '../telemetry/errors.ts';
import type { BotMetrics } from '../telemetry/metrics.ts';

export interface BookFeedOptions {
  readonly ws: WebsocketClient;
  readonly symbol: string;
  readonly depth: number;
  readonly instrument: Instrument;
  readonly silentMs: number;
  readonly resyncTimeoutMs: number;
  readonly logger: Logger;
  readonly metrics: BotMetrics;
  readonly now?: () => number;
}

interface FeedEvents {
  book: [receivedAt: number];
  stale: [reason: StaleReason];
  fresh: [];
}

type RawWs = { on(ev: 'message', fn: (d: unknown) => void): void; off(ev: 'message', fn: (d: unknown) => void): void };

export class BookFeed extends EventEmitter<FeedEvents> {
  readonly book: LocalBook;
  readonly topic: string;
  private readonly now: () => number;
  private lastBookAt: number;
  private lastAliveAt: number;
  private resyncStartedAt: number | undefined;
  private resyncing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly offs: (() => void)[] = [];

  constructor(private readonly o: BookFeedOptions) {
    super();
    this.book = new LocalBook(o.instrument);
    this.topic = `orderbook.${o.depth}.${o.symbol}`;
    this.now = o.now ?? (() => performance.now());
    this.lastBookAt = this.lastAliveAt = this.now();
  }

  get stale(): boolean {
    return !this.book.isLive;
  }

  /** Subscribes and resolves once the first snapshot is in. */
  async start(): Promise<void> {
    const ws = this.o.ws;
    const listen = <A extends unknown[]>(ev: string, fn: (...a: A) => void) => {
      (ws as unknown as EventEmitter).on(ev, fn as (...a: unknown[]) => void);
      this.offs.push(() => (ws as unknown as EventEmitter).off(ev, fn as (...a: unknown[]) => void));
    };
    listen('update', (e: { topic?: string; type?: string; data?: unknown }) => {
      if (e.topic === this.topic) this.onBook(e as unknown as BookMessage);
    });
    // Pongs and acks never reach 'update': watch the raw socket to know the connection itself is alive.
    const watchRaw = (e: { ws?: RawWs }) => {
      const raw = e.ws;
      if (raw === undefined) return;
      const fn = () => {
        this.lastAliveAt = this.now();
      };
      raw.on('message', fn);
      this.offs.push(() => raw.off('message', fn));
    };
    listen('open', watchRaw);
    listen('reconnected', (e: { ws?: RawWs }) => {
      watchRaw(e);
      this.o.metrics.reconnects.inc({ stream: 'public' });
    });
    listen('reconnect', () => {
      // bybit-api resubscribes after reconnecting; its first message is a snapshot, whatever its u.
      this.book.expectSnapshot();
      this.resyncStartedAt = this.now();
      this.goStale('disconnected', 'public stream reconnecting');
      logCode(this.o.logger, 'WS_RECONNECTING', { stream: 'public' });
    });
    const first = new Promise<void>((resolve) => this.once('fresh', resolve));
    this.book.expectSnapshot();
    this.resyncStartedAt = this.now();
    try {
      await Promise.all(this.o.ws.subscribeV5(this.topic, 'linear'));
    } catch (err) {
      logCode(this.o.logger, 'BOOK_SUBSCRIBE_FAILED', { topic: this.topic, err: String((err as Error)?.message ?? JSON.stringify(err)) });
      throw new Error(`subscribe ${this.topic} failed`);
    }
    const tick = Math.max(20, Math.min(this.o.silentMs, this.o.resyncTimeoutMs) / 4);
    this.timer = setInterval(() => this.watchdog(), tick);
    this.timer.unref();
    await first;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    for (const off of this.offs.splice(0)) off();
  }

  private onBook(msg: BookMessage): void {
    const at = this.now();
    this.lastBookAt = this.lastAliveAt = at;
    const wasLive = this.book.isLive;
    const r = this.book.apply(msg);
    if (r.kind === 'stale') {
      this.onStale(r.reason, r.detail);
      return;
    }
    if (r.kind !== 'applied') return;
    if (!wasLive) {
      this.resyncStartedAt = undefined;
      this.emit('fresh');
    }
    this.emit('book', at);
  }

  private goStale(reason: StaleReason, detail: string): void {
    this.book.markStale(reason);
    this.o.metrics.bookStale.inc({ reason });
    logCode(this.o.logger, 'BOOK_STALE', { reason, topic: this.topic }, detail);
    this.emit('stale', reason);
  }

  private onStale(reason: StaleReason, detail: string): void {
    this.o.metrics.bookStale.inc({ reason });
    logCode(this.o.logger, 'BOOK_STALE', { reason, topic: this.topic }, detail);
    this.emit('stale', reason);
    void this.resync();
  }

  /** Unsubscribe + subscribe: the venue answers with a fresh snapshot. */
  resync(): Promise<void> {
    if (this.resyncing || this.closed) return this.resyncing ?? Promise.resolve();
    this.resyncStartedAt = this.now();
    this.book.expectSnapshot();
    this.o.metrics.bookResyncs.inc();
    const run = async () => {
      await Promise.allSettled(this.o.ws.unsubscribeV5(this.topic, 'linear'));
      if (this.closed) return;
      await Promise.allSettled(this.o.ws.subscribeV5(this.topic, 'linear'));
    };
    this.resyncing = run().finally(() => {
      this.resyncing = undefined;
    });
    return this.resyncing;
  }

  private watchdog(): void {
    if (this.closed) return;
    const now = this.now();
    if (this.book.isLive) {
      const s = silence(now, this.lastBookAt, this.lastAliveAt, this.o.silentMs);
      if (s === 'silent') {
        this.book.markStale('silent');
        this.onStale('silent', `no book message for ${Math.round(now - this.lastBookAt)} ms while the connection is alive`);
      }
      // 'disconnected': bybit-api's pong timeout closes and reconnects the socket; 'reconnect' handles the book.
      return;
    }
    if (this.resyncing === undefined && this.resyncStartedAt !== undefined && now - this.resyncStartedAt > this.o.resyncTimeoutMs) {
      logCode(this.o.logger, 'BOOK_RESYNC_TIMEOUT', { topic: this.topic, waitedMs: Math.round(now - this.resyncStartedAt) });
      void this.resync();
    } else if (this.resyncStartedAt === undefined && this.resyncing === undefined) {
      // Stale with no resync under way (e.g. after a disconnect): start one once the socket is back.
      if (this.o.ws.isConnected('v5LinearPublic')) void this.resync();
    }
  }
}
