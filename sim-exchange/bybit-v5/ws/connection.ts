/**
 * One WebSocket connection of the gateway, whatever its path: the connection id, the authenticated uid, the topics it
 * subscribed, and the transport policies every path shares (../../../../shared/reference/bybit-v5.md §6, docs/websocket.md):
 *
 * - send(): drops silently once the socket is closing; applies the configured latency (a per-connection FIFO so
 *   jittered delays never reorder frames); closes the socket with 1013 "slow consumer" instead of buffering more than
 *   `maxBufferedBytes` (socket.bufferedAmount + frames still waiting for their delay); reports what it buffers to the
 *   gateway's OutboundBudget, which closes the largest buffers with 1013 when all connections together hold more
 *   than `maxTotalBufferedBytes`;
 * - admit(): the inbound flood budget, `maxInboundPerSec` messages in a fixed one-second window, else close 1008;
 * - touch(): the idle timer, reset by every inbound frame and ws ping; an idle connection is closed with 1000.
 *
 * Transport timing (delays, flood window, idle) reads real time: the venue clock may be a ManualClock that never moves.
 * Message timestamps (`ts`, `creationTime`, pong args) come from the venue clock.
 */
import type { WebSocket } from 'ws';
import type { Clock } from '../../clock.ts';
import type { WsConnView, WsTap } from '../tap.ts';

export type Channel = 'public' | 'private' | 'trade';

/** What the journal hook sees: every inbound text frame and every outbound frame, per connection. */
export type WsJournalEvent = {
  channel: Channel;
  connId: string;
  uid?: number;
  dir: 'in' | 'out';
  data: string;
  at: number;
};

/** The part of a pino logger the gateway uses. */
export interface WsLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ConnPolicy {
  /** Inbound messages per one-second window; one more closes the connection with 1008. */
  readonly maxInboundPerSec: number;
  /** bufferedAmount (+ delayed frames) above which a send closes the connection with 1013. */
  readonly maxBufferedBytes: number;
  /** No inbound frame (data or ws ping) for this long closes the connection with 1000. */
  readonly idleMs: number;
}

/** Shared by every connection of one gateway. */
export interface ConnEnv {
  readonly clock: Clock;
  readonly delayMs?: ((channel: Channel) => number) | undefined;
  readonly onMessage?: ((e: WsJournalEvent) => void) | undefined;
  /** Watches frames and connections (sim-exchange/bybit-v5/tap.ts). */
  readonly tap?: WsTap | undefined;
  readonly logger?: WsLogger | undefined;
  readonly counters: CloseCounters;
  /** The process-wide (per gateway) budget of outbound bytes buffered across connections; none when absent. */
  readonly budget?: OutboundBudget | undefined;
}

export interface CloseCounters {
  slowConsumer: number;
  flood: number;
  idle: number;
}

/** Close codes the gateway uses (RFC 6455 §7.4.1). */
export const CLOSE = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  POLICY: 1008,
  TOO_BIG: 1009,
  TRY_AGAIN_LATER: 1013,
} as const;

interface Delayed {
  readonly due: number;
  readonly text: string;
  readonly bytes: Buffer | undefined;
  readonly size: number;
}

const OPEN = 1;
/** Shared send options: a Buffer sent as a text frame. */
const TEXT_FRAME = { binary: false } as const;

export class WsConn implements WsConnView {
  uid: number | undefined;
  /** Subscribed topic names (public or private). */
  readonly topics = new Set<string>();
  private idleTimer: NodeJS.Timeout | undefined;
  private idleMs: number;
  private windowStart = 0;
  private windowCount = 0;
  private readonly queue: Delayed[] = [];
  private queueHead = 0;
  private queuedBytes = 0;
  private queueTimer: NodeJS.Timeout | undefined;
  private lastDue = 0;
  private closing = false;
  /** Buffered bytes as last reported to the OutboundBudget (its running total holds this value). */
  budgetBytes = 0;
  /** When the connection opened (performance.now()): the budget's tie-break, oldest first. */
  readonly openedAt = performance.now();

  constructor(
    readonly socket: WebSocket,
    readonly channel: Channel,
    readonly connId: string,
    private readonly policy: ConnPolicy,
    private readonly env: ConnEnv,
    idleMs = policy.idleMs,
    /** The client's TCP port (for taps); undefined when unknown. */
    readonly peerPort: number | undefined = undefined,
  ) {
    this.idleMs = idleMs;
    this.touch();
    const budget = env.budget;
    if (budget !== undefined) {
      budget.add(this);
      // The kernel took the buffered bytes: tell the budget (the next send would too, but a stuck-then-drained
      // connection may send nothing for a while).
      const raw = (socket as unknown as { _socket?: { on(e: 'drain', f: () => void): void } | null })._socket;
      raw?.on('drain', () => this.report());
    }
  }

  /** Outbound bytes this connection holds now: the socket's buffer plus frames still waiting for their delay. */
  get buffered(): number {
    return this.socket.bufferedAmount + this.queuedBytes;
  }

  get open(): boolean {
    return !this.closing && this.socket.readyState === OPEN;
  }

  /**
   * Sends one text frame. `bytes` (the UTF-8 of `text`) lets a fan-out encode once for all subscribers; it is sent as
   * a text frame. Never throws.
   */
  send(text: string, bytes?: Buffer): void {
    if (!this.open) return;
    const delay = this.env.delayMs === undefined ? 0 : this.env.delayMs(this.channel);
    if (delay > 0 || this.queueHead < this.queue.length) {
      const size = bytes === undefined ? Buffer.byteLength(text) : bytes.length;
      if (this.socket.bufferedAmount + this.queuedBytes + size > this.policy.maxBufferedBytes) return this.slowConsumer();
      const due = Math.max(performance.now() + Math.max(0, delay), this.lastDue);
      this.lastDue = due;
      this.queue.push({ due, text, bytes, size });
      this.queuedBytes += size;
      this.armQueue();
      this.report();
      return;
    }
    this.write(text, bytes);
  }

  /**
   * Runs `fn` with the TCP socket corked, so the frames it sends leave in one write instead of one syscall each.
   * ws has no public cork; `_socket` is its net.Socket (absent before the handshake completes, then this is a no-op).
   */
  corked(fn: () => void): void {
    const raw = (this.socket as unknown as { _socket?: { cork(): void; uncork(): void } | null })._socket;
    raw?.cork();
    try {
      fn();
    } finally {
      raw?.uncork();
    }
  }

  /** Counts one inbound message; false (and the connection closed with 1008) when over the budget. */
  admit(): boolean {
    const now = performance.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.windowCount = 0;
    }
    if (++this.windowCount > this.policy.maxInboundPerSec) {
      if (!this.closing) {
        this.env.counters.flood++;
        this.env.logger?.warn({ connId: this.connId, channel: this.channel, limit: this.policy.maxInboundPerSec }, 'ws flood: closing 1008');
        this.close(CLOSE.POLICY, 'too many messages');
      }
      return false;
    }
    return true;
  }

  /** Restarts the idle timer (any inbound frame, including a ws-level ping). */
  touch(): void {
    if (this.idleTimer !== undefined) {
      this.idleTimer.refresh();
      return;
    }
    this.idleTimer = setTimeout(() => {
      this.env.counters.idle++;
      this.close(CLOSE.NORMAL, 'idle timeout');
    }, this.idleMs);
    this.idleTimer.unref();
  }

  /** Journals an inbound frame. */
  journalIn(data: string): void {
    const hook = this.env.onMessage;
    if (hook !== undefined) this.journal(hook, 'in', data);
    const tap = this.env.tap;
    if (tap !== undefined) this.tapFrame(tap, 'in', data);
  }

  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.dispose();
    try {
      this.socket.close(code, reason);
    } catch {
      this.socket.terminate();
    }
  }

  /** Stops the timers and leaves the budget; called on close (by us or by the peer). */
  dispose(): void {
    this.closing = true;
    this.env.budget?.remove(this);
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    if (this.queueTimer !== undefined) clearTimeout(this.queueTimer);
    this.idleTimer = undefined;
    this.queueTimer = undefined;
    this.queue.length = 0;
    this.queueHead = 0;
    this.queuedBytes = 0;
  }

  private write(text: string, bytes: Buffer | undefined): void {
    const socket = this.socket;
    if (socket.bufferedAmount > this.policy.maxBufferedBytes) return this.slowConsumer();
    const hook = this.env.onMessage;
    if (hook !== undefined) this.journal(hook, 'out', text);
    const tap = this.env.tap;
    if (tap !== undefined) this.tapFrame(tap, 'out', text);
    if (bytes === undefined) socket.send(text);
    else socket.send(bytes, TEXT_FRAME);
    this.report();
  }

  /** Tells the budget how much this connection buffers now (may close connections, this one included). */
  private report(): void {
    if (this.closing) return;
    this.env.budget?.update(this, this.buffered);
  }

  private slowConsumer(): void {
    if (this.closing) return;
    this.env.counters.slowConsumer++;
    this.env.logger?.warn(
      { connId: this.connId, channel: this.channel, bufferedAmount: this.socket.bufferedAmount, limit: this.policy.maxBufferedBytes },
      'ws slow consumer: closing 1013',
    );
    this.close(CLOSE.TRY_AGAIN_LATER, 'slow consumer');
  }

  private armQueue(): void {
    if (this.queueTimer !== undefined || this.queueHead >= this.queue.length) return;
    const wait = Math.max(0, this.queue[this.queueHead]!.due - performance.now());
    this.queueTimer = setTimeout(() => this.flushQueue(), wait);
  }

  private flushQueue(): void {
    this.queueTimer = undefined;
    const now = performance.now();
    while (this.queueHead < this.queue.length && this.queue[this.queueHead]!.due <= now + 0.5) {
      const d = this.queue[this.queueHead++]!;
      this.queuedBytes -= d.size;
      if (!this.open) return;
      this.write(d.text, d.bytes);
    }
    if (this.queueHead >= this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    } else if (this.queueHead > 1024) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    this.armQueue();
  }

  private tapFrame(tap: WsTap, dir: 'in' | 'out', text: string): void {
    try {
      tap.frame(this, dir, text);
    } catch (err) {
      this.env.logger?.error({ err, connId: this.connId }, 'ws tap threw');
    }
  }

  private journal(hook: (e: WsJournalEvent) => void, dir: 'in' | 'out', data: string): void {
    try {
      const e: WsJournalEvent = { channel: this.channel, connId: this.connId, dir, data, at: this.env.clock.now() };
      if (this.uid !== undefined) e.uid = this.uid;
      hook(e);
    } catch (err) {
      this.env.logger?.error({ err, connId: this.connId }, 'ws journal hook threw');
    }
  }
}

/**
 * The budget of outbound bytes buffered across every open connection of one gateway (`maxTotalBufferedBytes`), on
 * top of each connection's own cap: without it N slow consumers may hold N × maxBufferedBytes.
 *
 * Each connection reports its buffered bytes (socket.bufferedAmount + delayed frames) after every send and when its
 * socket drains; the running total is an estimate (a connection that drained part of its buffer and sent nothing
 * since is counted high), so no connection is closed on it: when the estimate is over the limit the budget measures
 * every connection exactly (at most once per `minIntervalMs`, a timer catching up when a check was skipped) and, if
 * really over, closes connections with 1013 largest buffer first (ties: oldest connection first) until the total is
 * within the limit. A connection that reads keeps a near-empty buffer, so it is the last one chosen.
 *
 * A closed connection leaves the total at once; its bytes stay in memory until ws destroys the socket (the close
 * frame waits behind them; at most the close timeout, 5 s, when the peer never reads).
 */
export class OutboundBudget {
  /** Running estimate of the bytes buffered by the members (Σ their last reports). */
  private total = 0;
  private readonly members = new Set<WsConn>();
  private lastExact = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  /** Connections closed by the budget since start. */
  closes = 0;

  constructor(
    readonly limit: number,
    private readonly logger?: WsLogger | undefined,
    private readonly minIntervalMs = 5,
  ) {}

  add(conn: WsConn): void {
    this.members.add(conn);
    conn.budgetBytes = 0;
  }

  remove(conn: WsConn): void {
    if (!this.members.delete(conn)) return;
    this.total -= conn.budgetBytes;
    conn.budgetBytes = 0;
  }

  update(conn: WsConn, bytes: number): void {
    if (!this.members.has(conn)) return;
    this.total += bytes - conn.budgetBytes;
    conn.budgetBytes = bytes;
    if (this.total > this.limit) this.enforce();
  }

  /** Exact bytes buffered by the open connections now (refreshes the estimate). */
  measure(): number {
    let total = 0;
    for (const c of this.members) {
      const b = c.buffered;
      c.budgetBytes = b;
      total += b;
    }
    this.total = total;
    return total;
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.members.clear();
    this.total = 0;
  }

  private enforce(): void {
    const now = performance.now();
    if (now - this.lastExact < this.minIntervalMs) {
      if (this.timer === undefined) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          if (this.total > this.limit) this.enforce();
        }, this.minIntervalMs - (now - this.lastExact));
        this.timer.unref();
      }
      return;
    }
    this.lastExact = now;
    if (this.measure() <= this.limit) return;
    const victims = [...this.members].filter((c) => c.budgetBytes > 0).sort((a, b) => b.budgetBytes - a.budgetBytes || a.openedAt - b.openedAt);
    for (const c of victims) {
      if (this.total <= this.limit) break;
      this.closes++;
      this.logger?.warn(
        { connId: c.connId, channel: c.channel, buffered: c.budgetBytes, totalBuffered: this.total, budget: this.limit },
        'ws buffer budget exceeded: closing the largest slow consumer 1013',
      );
      c.close(CLOSE.TRY_AGAIN_LATER, 'slow consumer: venue buffer budget');
    }
  }
}
