/**
 * The venue's view of one bot: taps on the venue's REST answers and WebSocket frames (sim-exchange/bybit-v5/tap.ts)
 * and a listener on its accounts, kept as the VenueView the venue-side metrics read (scenarios/conduct.ts,
 * docs/reports.md). Nothing here asks the bot anything: a bot in any language is measured the same way.
 *
 * - The bot's requests: REST answers signed with its key (also when the signature or timestamp was refused), and
 *   /v5/trade answers on its authenticated connections; each with its rejects (retCode ≠ 0, refused batch items, an
 *   answer without an envelope).
 * - Its order actions (create, amend, cancel, cancel-all, single or batch) at receipt.
 * - What it could see of the book: the frames written to its public connections — every public connection except
 *   the bench's own load clients (`excludePort`) — rebuilt per connection and topic (orderbook snapshots + deltas,
 *   tickers' bid1/ask1), ordered by the engine's cross sequence so a slower stream of the same book never moves the
 *   mid backwards; while it has no public book stream on the symbol, the venue's own mid at each change. A move is
 *   a mid thresholdBps or more away from the anchor: the mid at the last move, or at the bot's last order action when
 *   that came later (the bot quoted from there, so only a change since then asks it to act again).
 * - Both sides resting: re-checked at each update of its account; PostOnly cancels from its order updates.
 */
import type { RestAnswer, RestTap, WsConnView, WsTap } from '../../sim-exchange/bybit-v5/tap.ts';
import type { Venue } from '../../sim-exchange/venue/venue.ts';
import type { BookMove, OrderAction, OrderOp, RequestRow, VenueView } from '../types.ts';

const REST_ORDER_OPS: ReadonlyMap<string, OrderOp> = new Map([
  ['/v5/order/create', 'create'],
  ['/v5/order/amend', 'amend'],
  ['/v5/order/cancel', 'cancel'],
  ['/v5/order/cancel-all', 'cancel-all'],
  ['/v5/order/create-batch', 'create'],
  ['/v5/order/amend-batch', 'amend'],
  ['/v5/order/cancel-batch', 'cancel'],
]);
const TRADE_ORDER_OPS: ReadonlyMap<string, OrderOp> = new Map([
  ['order.create', 'create'],
  ['order.amend', 'amend'],
  ['order.cancel', 'cancel'],
  ['order.create-batch', 'create'],
  ['order.amend-batch', 'amend'],
  ['order.cancel-batch', 'cancel'],
]);

const BOOK_TOPIC = /^orderbook\.\d+\.([A-Z0-9]+)$/;
const TICKER_TOPIC = /^tickers\.([A-Z0-9]+)$/;

/** One public stream as a bot connection received it. */
interface StreamView {
  readonly symbol: string;
  readonly bids: Map<string, number>;
  readonly asks: Map<string, number>;
  bid: number | null;
  ask: number | null;
}

interface SymbolState {
  /** The mid a move is measured from: the mid at the last move, or at the bot's last order action if later. */
  anchor: number | null;
  /** The last mid the bot could see. */
  mid: number | null;
  /** Highest cross sequence applied from any of the bot's streams. */
  seq: number;
  /** Bot connections with a book or ticker stream on the symbol. */
  readonly streams: Set<string>;
}

export interface VenueWatchOptions {
  readonly apiKey: string;
  readonly symbol: string;
  readonly thresholdBps: number;
  readonly horizonMs: number;
}

const mono = () => performance.now();

export class VenueWatch implements RestTap, WsTap {
  private readonly moves: BookMove[] = [];
  private readonly actions: OrderAction[] = [];
  private readonly requests: RequestRow[] = [];
  private readonly postOnly: number[] = [];
  private readonly postOnlySeen = new Set<string>();
  private readonly twoSided: { time: number; on: boolean }[] = [];
  private readonly streams = new Map<string, Map<string, StreamView>>();
  private readonly symbols = new Map<string, SymbolState>();
  private readonly excluded = new Set<number>();
  private venue: Venue | undefined;
  private uid: number | undefined;
  private tick = 1;
  private sideState: boolean | undefined;
  private unlisten: (() => void) | undefined;

  constructor(private readonly opts: VenueWatchOptions) {}

  /** The taps to hand to startSim. */
  get tap(): { rest: RestTap; ws: WsTap } {
    return { rest: this, ws: this };
  }

  /** Connections from this client port are not the bot's (the bench's own load clients). */
  excludePort(port: number): void {
    this.excluded.add(port);
  }

  /** Starts watching the bot's account and the venue's mid (once the venue and the account exist). */
  attach(venue: Venue, uid: number): void {
    this.venue = venue;
    this.uid = uid;
    const inst = venue.instrument(this.opts.symbol);
    this.tick = inst.tick.units / 10 ** inst.tick.scale;
    this.checkSides();
    // The first anchor is the mid as it is now: the first change the bot could see is measured from it.
    this.venueMid();
    this.unlisten = venue.listen({
      onAccountUpdate: (who, update) => {
        this.venueMid();
        if (who !== this.uid) return;
        this.checkSides();
        for (const o of update.orders) {
          if (o.rejectReason === 'EC_PostOnlyWillTakeLiquidity' && o.status === 'Cancelled' && !this.postOnlySeen.has(o.orderId)) {
            this.postOnlySeen.add(o.orderId);
            this.postOnly.push(o.updatedTime);
          }
        }
      },
    });
  }

  detach(): void {
    this.unlisten?.();
    this.unlisten = undefined;
  }

  /**
   * What was seen so far, with `endMono` the monotonic time of the window end. `drain` hands the rows over and keeps
   * only the state a later window needs (the last two-sided state): for the soak's consecutive windows.
   */
  view(endMono: number, drain = false): VenueView {
    const v: VenueView = {
      endMono,
      thresholdBps: this.opts.thresholdBps,
      horizonMs: this.opts.horizonMs,
      moves: [...this.moves],
      actions: [...this.actions],
      requests: [...this.requests],
      postOnlyCancels: [...this.postOnly],
      twoSided: [...this.twoSided],
    };
    if (drain) {
      const last = this.twoSided[this.twoSided.length - 1];
      this.moves.length = 0;
      this.actions.length = 0;
      this.requests.length = 0;
      this.postOnly.length = 0;
      this.twoSided.length = 0;
      if (last) this.twoSided.push(last);
    }
    return v;
  }

  // ---------------------------------------------------------------- REST

  answered(a: RestAnswer): void {
    const mine = this.uid !== undefined && (a.uid === this.uid || (a.uid === undefined && a.apiKey === this.opts.apiKey));
    if (!mine) return;
    const rejects: string[] = [];
    if (a.retCode === null) rejects.push('http');
    else if (a.retCode !== 0) rejects.push(String(a.retCode));
    else for (const c of a.items ?? []) if (c !== 0) rejects.push(String(c));
    this.requests.push({ time: a.at, what: `${a.method} ${a.path}`, rejects });
    const op = REST_ORDER_OPS.get(a.path);
    if (op !== undefined) this.action(op, 'rest', a.body, a.at, a.mono);
  }

  // ---------------------------------------------------------------- WebSocket

  frame(conn: WsConnView, dir: 'in' | 'out', text: string): void {
    if (conn.channel === 'public') {
      if (dir === 'out' && !(conn.peerPort !== undefined && this.excluded.has(conn.peerPort))) this.publicFrame(conn.connId, text);
      return;
    }
    if (conn.channel !== 'trade' || this.uid === undefined || conn.uid !== this.uid) return;
    const msg = parse(text);
    if (msg === undefined) return;
    const op = typeof msg['op'] === 'string' ? msg['op'] : '';
    if (dir === 'in') {
      const kind = TRADE_ORDER_OPS.get(op);
      if (kind !== undefined) {
        const args = msg['args'];
        this.action(kind, 'trade', Array.isArray(args) ? args[0] : undefined, this.venue?.clock.now() ?? Date.now(), mono());
      }
      return;
    }
    if (op === 'pong' || op === '') return;
    const code = Number(msg['retCode']);
    const rejects: string[] = [];
    if (Number.isFinite(code) && code !== 0) rejects.push(String(code));
    else {
      const list = (msg['retExtInfo'] as { list?: unknown } | undefined)?.list;
      if (Array.isArray(list)) for (const i of list) if (Number((i as { code?: unknown })?.code ?? 0) !== 0) rejects.push(String((i as { code: unknown }).code));
    }
    this.requests.push({ time: this.venue?.clock.now() ?? Date.now(), what: `trade ${op}`, rejects });
  }

  closed(conn: WsConnView): void {
    const topics = this.streams.get(conn.connId);
    if (topics === undefined) return;
    this.streams.delete(conn.connId);
    for (const s of topics.values()) this.symbols.get(s.symbol)?.streams.delete(conn.connId);
  }

  private publicFrame(connId: string, text: string): void {
    // Only book and ticker pushes move the mid; the venue writes their topic first, so trades and acks are not parsed.
    if (!text.startsWith('{"topic":"orderbook.') && !text.startsWith('{"topic":"tickers.')) return;
    const msg = parse(text);
    const topic = msg?.['topic'];
    if (typeof topic !== 'string') return;
    const book = BOOK_TOPIC.exec(topic);
    const ticker = book ? null : TICKER_TOPIC.exec(topic);
    if (!book && !ticker) return;
    const symbol = (book ?? ticker)![1]!;
    let topics = this.streams.get(connId);
    if (!topics) this.streams.set(connId, (topics = new Map()));
    let s = topics.get(topic);
    if (!s) {
      topics.set(topic, (s = { symbol, bids: new Map(), asks: new Map(), bid: null, ask: null }));
      this.state(symbol).streams.add(connId);
    }
    const data = msg!['data'] as Record<string, unknown> | undefined;
    if (!data || typeof data !== 'object') return;
    let seq: number;
    if (book) {
      if (msg!['type'] === 'snapshot') {
        s.bids.clear();
        s.asks.clear();
      }
      apply(s.bids, data['b']);
      apply(s.asks, data['a']);
      s.bid = best(s.bids, 1);
      s.ask = best(s.asks, -1);
      seq = Number(data['seq']);
    } else {
      const b = Number(data['bid1Price']);
      const a = Number(data['ask1Price']);
      if (data['bid1Price'] !== undefined && b > 0) s.bid = b;
      if (data['ask1Price'] !== undefined && a > 0) s.ask = a;
      seq = Number(msg!['cs']);
    }
    if (s.bid === null || s.ask === null) return;
    const st = this.state(symbol);
    // An older book than one already applied (another depth's slower stream): not news to the bot.
    if (Number.isFinite(seq)) {
      if (seq < st.seq) return;
      st.seq = seq;
    }
    this.seen(symbol, (s.bid + s.ask) / 2, 'ws');
  }

  // ---------------------------------------------------------------- the venue's side

  /** The venue's mid changed visibly: a move for a bot with no public book stream on the symbol. */
  private venueMid(): void {
    const symbol = this.opts.symbol;
    const st = this.state(symbol);
    if (st.streams.size > 0) return;
    const m = this.venue!.mid(symbol);
    if (m !== null) this.seen(symbol, m * this.tick, 'venue');
  }

  private checkSides(): void {
    let bid = false;
    let ask = false;
    for (const o of this.venue!.orders.openOf(this.uid!)) {
      if (o.symbol !== this.opts.symbol) continue;
      if (o.side === 1) bid = true;
      else ask = true;
    }
    const on = bid && ask;
    if (on === this.sideState) return;
    this.sideState = on;
    this.twoSided.push({ time: this.venue!.clock.now(), on });
  }

  private state(symbol: string): SymbolState {
    let st = this.symbols.get(symbol);
    if (!st) this.symbols.set(symbol, (st = { anchor: null, mid: null, seq: -Infinity, streams: new Set() }));
    return st;
  }

  /** A mid the bot could see now: a move when it is thresholdBps or more from the anchor. */
  private seen(symbol: string, mid: number, via: 'ws' | 'venue'): void {
    const st = this.state(symbol);
    st.mid = mid;
    if (st.anchor === null) {
      st.anchor = mid;
      return;
    }
    if (Math.abs(mid - st.anchor) * 1e4 < this.opts.thresholdBps * st.anchor) return;
    this.moves.push({ time: this.venue?.clock.now() ?? Date.now(), mono: mono(), symbol, fromMid: st.anchor, toMid: mid, via });
    st.anchor = mid;
  }

  private action(op: OrderOp, channel: 'rest' | 'trade', body: unknown, time: number, at: number): void {
    const b = (body ?? {}) as { symbol?: unknown; request?: unknown };
    const items = Array.isArray(b.request) ? b.request : undefined;
    const symbol = typeof b.symbol === 'string' ? b.symbol : typeof (items?.[0] as { symbol?: unknown } | undefined)?.symbol === 'string' ? ((items![0] as { symbol: string }).symbol) : this.opts.symbol;
    this.actions.push({ time, mono: at, symbol, op, channel, n: items ? Math.max(1, items.length) : 1 });
    // The bot acted: its quotes are (being) set from what it saw, so the next move is measured from here.
    const st = this.symbols.get(symbol);
    if (st && st.mid !== null) st.anchor = st.mid;
  }
}

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Applies `[[price, size], ...]` levels (size "0" removes the level). */
function apply(side: Map<string, number>, levels: unknown): void {
  if (!Array.isArray(levels)) return;
  for (const l of levels) {
    if (!Array.isArray(l)) continue;
    const size = Number(l[1]);
    if (size === 0) side.delete(String(l[0]));
    else side.set(String(l[0]), size);
  }
}

/** The best price of a side: dir 1 = highest (bids), -1 = lowest (asks). */
function best(side: Map<string, number>, dir: 1 | -1): number | null {
  let out: number | null = null;
  for (const k of side.keys()) {
    const p = Number(k);
    if (out === null || (p - out) * dir > 0) out = p;
  }
  return out;
}
