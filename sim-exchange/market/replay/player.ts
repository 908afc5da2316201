/**
 * Plays an ImportedSession into a Venue as the background market (docs/replay.md).
 *
 * Everything goes through the engine, so the public book and tape are the recording merged with whatever the bot
 * does, in price-time priority:
 *  - the recorded book rests as GTC limit orders of replay "book" accounts (one order per level, more only when the
 *    level grew while someone else queued behind it, or beyond the max order qty);
 *  - each recorded trade is an IOC limit at the trade price for the trade qty by a separate "tape" account (so
 *    self-trade prevention never stops it): it takes the queue ahead of the bot first, then the bot. A bot order
 *    at a better price than the recorded touch is hit first, which is what the aggressor would have done.
 *
 * Level bookkeeping, per side and price: R = recorded size, D = "debt", the recorded liquidity that someone other
 * than the tape consumed (the bot hitting it, or a recorded level filling a crossing bot order). The recording
 * never learns of that consumption, so the replay rests max(0, R − D), never R: liquidity is consumed once.
 * D is clipped to R on each update and cleared when the level is deleted. Trades by the tape are not debt: the
 * recorded diffs already show them.
 *  - Decreases are taken from the BACK of the replay's orders (amend down keeps priority, else cancel): risk-averse,
 *    the bot's queue position does not improve from recorded cancels that may have been behind it.
 *  - Increases join at the back: the tail replay order is amended up only when nothing queues behind it (same
 *    position), otherwise a new order is placed behind the bot.
 *  - A recorded level that crosses a bot order (recorded ask at or below the bot's bid) is placed as a taker at the
 *    recorded price: it fills the bot, as it would have, and the rest rests. The fill counts as debt of the level.
 *  - A recorded level that crosses the replay's own opposite levels means those are stale (a lost diff): they are
 *    deleted first, so the replay never trades with itself.
 *
 * Deterministic: time enters only through advanceTo(ms) (the caller's clock seam), no randomness, and iteration
 * orders are insertion orders. Real-time driving lives in realtime.ts.
 */
import type { BookEvent, ImportedSession, Level, MarketEvent, TradeEvent } from '../events.ts';
import type { Venue, AccountUpdate } from '../../venue/venue.ts';
import { MAX_OPEN_ORDERS_PER_SYMBOL } from '../../venue/venue.ts';
import { isOpen, type OrderRecord } from '../../venue/orders.ts';
import type { Side } from '../../engine/types.ts';
import { parseStep } from '../../bybit-v5/decimal.ts';

export interface ReplayOptions {
  /** Recording seconds per simulated second (k); default 1. */
  readonly speed?: number;
  /** Simulated time (ms) at which the session's first event is due; default: the venue clock now. */
  readonly startMs?: number;
  /** Prefix of the replay accounts' API keys (unique per player on one venue); default "replay". */
  readonly accountPrefix?: string;
}

export interface PlayerReport {
  readonly applied: { snapshot: number; delta: number; trade: number };
  /** Events not yet due. */
  readonly pending: number;
  /** Recorded trades that found less liquidity than their qty (the rest is dropped), and the lots missing. */
  readonly tradesShort: number;
  readonly tradeLotsUnfilled: number;
  /** Fills of other (bot) accounts by recorded trades. */
  readonly botFillsFromTrades: { readonly count: number; readonly lots: number };
  /** Fills of other accounts by recorded levels that crossed their resting orders. */
  readonly botFillsFromBook: { readonly count: number; readonly lots: number };
  /** Recorded liquidity consumed by others (added to level debts). */
  readonly consumedByOthersLots: number;
  /** Replay levels removed because a newer recorded level crossed them (a sign of lost diffs). */
  readonly staleLevelsRemoved: number;
  /** Venue refusals of replay commands (price band, notional, margin...), with samples. */
  readonly rejects: number;
  readonly rejectSamples: readonly string[];
  readonly bookAccounts: readonly number[];
  readonly tapeAccount: number;
}

/** The replay's view of one recorded level. */
interface LevelState {
  readonly side: Side;
  readonly price: number;
  recorded: number;
  debt: number;
  /** Replay orders at this level, oldest first (closed ones are pruned lazily). */
  orders: OrderRecord[];
}

const REPLAY_ACCOUNT = {
  // 50M USDT at 100x: enough margin for a full 1000-level BTC book, and 5e15 nano-USDT stays a safe integer.
  balance: '50000000',
  leverage: 100,
  makerFeeRate: '0',
  takerFeeRate: '0',
  // Nobody should trade as the recording through the API.
  readOnly: true,
} as const;

const MAX_REJECT_SAMPLES = 20;

export class ReplayPlayer {
  readonly symbol: string;
  readonly speed: number;
  readonly startMs: number;
  private readonly events: readonly MarketEvent[];
  private readonly t0Us: number;
  private next = 0;
  private readonly bids = new Map<number, LevelState>();
  private readonly asks = new Map<number, LevelState>();
  private readonly bookUids: number[] = [];
  /** Open replay orders per book account (the venue's openCount walks all of an account's orders). */
  private readonly openPerBook = new Map<number, number>();
  private readonly counted = new WeakSet<OrderRecord>();
  private readonly tapeUid: number;
  private readonly maxQty: number;
  private readonly prefix: string;
  /** Which replay command is running: fills seen by the listener are attributed by it. */
  private mode: 'idle' | 'book' | 'tape' = 'idle';
  private readonly unlisten: () => void;
  private readonly r = {
    applied: { snapshot: 0, delta: 0, trade: 0 },
    tradesShort: 0, tradeLotsUnfilled: 0,
    botFillsFromTrades: { count: 0, lots: 0 }, botFillsFromBook: { count: 0, lots: 0 },
    consumedByOthersLots: 0, staleLevelsRemoved: 0, rejects: 0, rejectSamples: [] as string[],
  };

  constructor(private readonly venue: Venue, session: ImportedSession, opts: ReplayOptions = {}) {
    const inst = venue.instrument(session.symbol);
    const tick = parseStep(session.tickSize);
    const lot = parseStep(session.lotSize);
    if (tick.units * 10 ** (inst.tick.scale - tick.scale) !== inst.tick.units || lot.units * 10 ** (inst.lot.scale - lot.scale) !== inst.lot.units) {
      throw new Error(`session ${session.symbol} is in tick ${session.tickSize} / lot ${session.lotSize}, the venue lists ${inst.config.tickSize} / ${inst.config.qtyStep}`);
    }
    const speed = opts.speed ?? 1;
    if (!(speed > 0) || !Number.isFinite(speed)) throw new Error(`speed must be a positive number, got ${speed}`);
    this.symbol = session.symbol;
    this.speed = speed;
    this.startMs = opts.startMs ?? venue.clock.now();
    this.events = session.events;
    this.t0Us = session.events[0]?.tsUs ?? 0;
    this.maxQty = inst.spec.maxQtyLots;
    this.prefix = opts.accountPrefix ?? 'replay';
    this.tapeUid = venue.createAccount({ ...REPLAY_ACCOUNT, apiKey: `${this.prefix}-tape`, secret: `${this.prefix}-tape-secret`, label: `${this.prefix} tape` }).uid;
    this.addBookAccount();
    this.unlisten = venue.listen({ onAccountUpdate: (uid, u) => this.onUpdate(uid, u) });
  }

  /** Simulated time (ms) at which event `i` is due. */
  dueMs(i: number): number | undefined {
    const ev = this.events[i];
    return ev === undefined ? undefined : this.startMs + (ev.tsUs - this.t0Us) / 1000 / this.speed;
  }

  /** When the next event is due, or undefined when the session is over. */
  nextDueMs(): number | undefined {
    return this.dueMs(this.next);
  }

  get done(): boolean {
    return this.next >= this.events.length;
  }

  /** Applies, in order, every event due at or before simulated time `ms`. Returns how many. */
  advanceTo(ms: number): number {
    // Compared in recording µs, so at speed 1 an event is due exactly at its recorded offset.
    const limitUs = this.t0Us + (ms - this.startMs) * 1000 * this.speed;
    const from = this.next;
    while (this.next < this.events.length && this.events[this.next]!.tsUs <= limitUs) {
      this.apply(this.events[this.next]!);
      this.next++;
    }
    return this.next - from;
  }

  report(): PlayerReport {
    const r = this.r;
    return {
      applied: { ...r.applied },
      pending: this.events.length - this.next,
      tradesShort: r.tradesShort,
      tradeLotsUnfilled: r.tradeLotsUnfilled,
      botFillsFromTrades: { ...r.botFillsFromTrades },
      botFillsFromBook: { ...r.botFillsFromBook },
      consumedByOthersLots: r.consumedByOthersLots,
      staleLevelsRemoved: r.staleLevelsRemoved,
      rejects: r.rejects,
      rejectSamples: [...r.rejectSamples],
      bookAccounts: [...this.bookUids],
      tapeAccount: this.tapeUid,
    };
  }

  /** Recorded size and debt of a level (for tests and diagnostics). */
  level(side: Side, price: number): { recorded: number; debt: number; replayQty: number } | undefined {
    const st = (side === 1 ? this.bids : this.asks).get(price);
    return st && { recorded: st.recorded, debt: st.debt, replayQty: this.live(st) };
  }

  /** Stops listening to the venue. The replay's orders stay where they are. */
  dispose(): void {
    this.unlisten();
  }

  // ------------------------------------------------------------------------------------------------ events

  private apply(ev: MarketEvent): void {
    if (ev.symbol !== this.symbol) return;
    if (ev.kind === 'trade') {
      this.r.applied.trade++;
      this.applyTrade(ev);
    } else {
      if (ev.snapshot) this.r.applied.snapshot++;
      else this.r.applied.delta++;
      this.applyBook(ev);
    }
  }

  private applyBook(ev: BookEvent): void {
    const touched: LevelState[] = [];
    const setLevels = (side: Side, levels: readonly Level[], seen: Set<LevelState> | null) => {
      for (const [price, size] of levels) {
        const st = this.state(side, price);
        this.record(st, size);
        touched.push(st);
        seen?.add(st);
      }
    };
    if (ev.snapshot) {
      // Every level the snapshot does not list is gone.
      const listed = new Set<LevelState>();
      setLevels(1, ev.bids, listed);
      setLevels(-1, ev.asks, listed);
      for (const map of [this.bids, this.asks]) {
        for (const st of map.values()) {
          if (!listed.has(st)) {
            this.record(st, 0);
            touched.push(st);
          }
        }
      }
    } else {
      setLevels(1, ev.bids, null);
      setLevels(-1, ev.asks, null);
    }
    // Shrink before growing: a level that moved from one side to the other must leave before it arrives.
    this.mode = 'book';
    try {
      for (const st of touched) this.shrink(st);
      for (const st of touched) this.grow(st);
    } finally {
      this.mode = 'idle';
    }
    for (const st of touched) this.forgetIfEmpty(st);
  }

  private applyTrade(ev: TradeEvent): void {
    const side: Side = ev.takerSide === 'Buy' ? 1 : -1;
    let left = ev.qtyLots;
    let filled = 0;
    this.mode = 'tape';
    try {
      while (left > 0) {
        const qty = Math.min(left, this.maxQty);
        left -= qty;
        const rec = this.place(this.tapeUid, side, ev.priceTicks, qty, 'IOC');
        if (rec) filled += rec.filled;
      }
    } finally {
      this.mode = 'idle';
    }
    if (filled < ev.qtyLots) {
      this.r.tradesShort++;
      this.r.tradeLotsUnfilled += ev.qtyLots - filled;
    }
  }

  // ------------------------------------------------------------------------------------------------ levels

  private state(side: Side, price: number): LevelState {
    const map = side === 1 ? this.bids : this.asks;
    let st = map.get(price);
    if (!st) {
      st = { side, price, recorded: 0, debt: 0, orders: [] };
      map.set(price, st);
    }
    return st;
  }

  /** A new recorded size: D is clipped to it, and cleared with the level. */
  private record(st: LevelState, size: number): void {
    st.recorded = size;
    st.debt = Math.min(st.debt, size);
  }

  private target(st: LevelState): number {
    return Math.max(0, st.recorded - st.debt);
  }

  /** Live replay lots at the level; drops closed orders from the list. */
  private live(st: LevelState): number {
    let q = 0;
    let keep = 0;
    for (const o of st.orders) {
      if (!isOpen(o)) continue;
      st.orders[keep++] = o;
      q += o.qty - o.filled;
    }
    st.orders.length = keep;
    return q;
  }

  private forgetIfEmpty(st: LevelState): void {
    if (st.recorded === 0 && st.debt === 0 && this.live(st) === 0) (st.side === 1 ? this.bids : this.asks).delete(st.price);
  }

  /** Takes the excess off the back of the replay's queue at this level. */
  private shrink(st: LevelState): void {
    let excess = this.live(st) - this.target(st);
    for (let i = st.orders.length - 1; i >= 0 && excess > 0; i--) {
      const o = st.orders[i]!;
      const leaves = o.qty - o.filled;
      if (leaves <= excess) {
        if (this.cancel(o)) excess -= leaves;
      } else if (this.amendQty(o, o.qty - excess)) {
        excess = 0;
      }
    }
    this.live(st);
  }

  /** Adds the missing lots at the back of the level (behind anyone already queued there). */
  private grow(st: LevelState): void {
    let add = this.target(st) - this.live(st);
    if (add <= 0) return;
    this.removeStaleCrossing(st);
    const book = this.venue.book(this.symbol);
    const last = st.orders[st.orders.length - 1];
    if (last) {
      const leaves = last.qty - last.filled;
      const ahead = book.queueAhead(last.engineId);
      // Amending up sends an order to the tail; when it is the tail already, that is the same as a new order.
      const isTail = ahead !== undefined && ahead + leaves === book.levelQty(st.side, st.price);
      const room = this.maxQty - last.qty;
      if (isTail && room > 0) {
        const more = Math.min(add, room);
        if (this.amendQty(last, last.qty + more)) add -= more;
      }
    }
    while (add > 0) {
      const qty = Math.min(add, this.maxQty);
      add -= qty;
      // GTC: if a bot order sits at or through this price, this takes it first (then rests), as it would have.
      const uid = this.bookAccount();
      const rec = this.place(uid, st.side, st.price, qty, 'GTC');
      if (!rec) break;
      if (isOpen(rec)) {
        st.orders.push(rec);
        this.counted.add(rec);
        this.openPerBook.set(uid, this.openPerBook.get(uid)! + 1);
      }
    }
  }

  /**
   * The recording's own opposite levels at or through `st.price` cannot still be there (the recorded book is never
   * crossed): they are leftovers of lost diffs. Delete them so the replay does not trade with itself.
   */
  private removeStaleCrossing(st: LevelState): void {
    const opp = st.side === 1 ? this.asks : this.bids;
    const book = this.venue.book(this.symbol);
    const best = st.side === 1 ? book.bestAsk() : book.bestBid();
    if (best === undefined || (st.side === 1 ? best > st.price : best < st.price)) return;
    for (const o of [...opp.values()]) {
      if (st.side === 1 ? o.price > st.price : o.price < st.price) continue;
      if (this.live(o) === 0 && o.recorded === 0) continue;
      this.r.staleLevelsRemoved++;
      this.record(o, 0);
      this.shrink(o);
      this.forgetIfEmpty(o);
    }
  }

  // ------------------------------------------------------------------------------------------------ accounts

  private addBookAccount(): number {
    const n = this.bookUids.length + 1;
    const uid = this.venue.createAccount({ ...REPLAY_ACCOUNT, apiKey: `${this.prefix}-book-${n}`, secret: `${this.prefix}-book-secret`, label: `${this.prefix} book ${n}` }).uid;
    this.bookUids.push(uid);
    this.openPerBook.set(uid, 0);
    return uid;
  }

  /** The book account with the fewest open orders; a new one when all are at the venue's per-account cap. */
  private bookAccount(): number {
    let best = this.bookUids[0]!;
    let bestN = Infinity;
    for (const uid of this.bookUids) {
      const n = this.openPerBook.get(uid)!;
      if (n < bestN) {
        best = uid;
        bestN = n;
      }
    }
    return bestN < MAX_OPEN_ORDERS_PER_SYMBOL ? best : this.addBookAccount();
  }

  /** Attributes fills while any command runs (the bot's own included). */
  private onUpdate(uid: number, u: AccountUpdate): void {
    for (const o of u.orders) {
      if (!isOpen(o) && this.counted.delete(o)) this.openPerBook.set(uid, this.openPerBook.get(uid)! - 1);
    }
    for (const e of u.executions) {
      if (e.symbol !== this.symbol) continue;
      if (this.openPerBook.has(uid)) {
        // Consumed by someone other than the tape: the recording will not show it, so it becomes debt.
        if (this.mode !== 'tape') {
          const st = (e.side === 1 ? this.bids : this.asks).get(e.orderPrice);
          if (st) st.debt += e.qty;
          this.r.consumedByOthersLots += e.qty;
        }
      } else if (uid !== this.tapeUid) {
        const bucket = this.mode === 'tape' ? this.r.botFillsFromTrades : this.mode === 'book' ? this.r.botFillsFromBook : null;
        if (bucket) {
          bucket.count++;
          bucket.lots += e.qty;
        }
      }
    }
  }

  // ------------------------------------------------------------------------------------------------ venue commands

  private place(uid: number, side: Side, price: number, qty: number, tif: 'GTC' | 'IOC'): OrderRecord | undefined {
    try {
      return this.venue.place(uid, { symbol: this.symbol, side, orderType: 'Limit', timeInForce: tif, price, qty, signedAt: this.venue.clock.now() });
    } catch (e) {
      this.reject(`place ${side === 1 ? 'Buy' : 'Sell'} ${qty}@${price} ${tif}`, e);
      return undefined;
    }
  }

  private amendQty(o: OrderRecord, qty: number): boolean {
    try {
      this.venue.amend(o.uid, { symbol: this.symbol, orderId: o.orderId, qty });
      return true;
    } catch (e) {
      this.reject(`amend ${o.orderId} qty ${qty}`, e);
      return false;
    }
  }

  private cancel(o: OrderRecord): boolean {
    try {
      this.venue.cancel(o.uid, { symbol: this.symbol, orderId: o.orderId });
      return true;
    } catch (e) {
      this.reject(`cancel ${o.orderId}`, e);
      return false;
    }
  }

  private reject(what: string, e: unknown): void {
    this.r.rejects++;
    if (this.r.rejectSamples.length < MAX_REJECT_SAMPLES) this.r.rejectSamples.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
