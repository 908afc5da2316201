import type { Side, OrderKind, TimeInForce, SmpPolicy, EngineEvent, RejectReason, CancelReason, MatchingEngine } from '../engine/types.ts';
import { OrderBook } from '../engine/order-book.ts';
import { Account, AccountConfig, CLOSED_LINK_ID_WINDOW, type AccountInput } from '../accounts/account.ts';
import { applyFill } from '../accounts/position.ts';
import { Ledger, type Execution } from '../accounts/ledger.ts';
import { makeInstrument, type Instrument, type InstrumentConfig } from '../instruments.ts';
import { VenueError } from '../bybit-v5/errors.ts';
import type { Clock } from '../clock.ts';
import { Rng } from '../rng.ts';
import { IdSource } from '../ids.ts';
import { OrderStore, isOpen, type OrderRecord } from './orders.ts';
import { MarketStats, type PublicTrade } from './market-stats.ts';
import type { VenueCommand } from './commands.ts';

/** Secrets never reach the command journal; replay needs none (it calls the venue directly, not through auth). */
export const REDACTED_SECRET = 'redacted';

/** A new order in integers, as the wire layer hands it over after parsing. */
export interface PlaceRequest {
  readonly symbol: string;
  readonly side: Side;
  readonly orderType: OrderKind;
  /** Market orders are always IOC. */
  readonly timeInForce: TimeInForce;
  /** Ticks; required for Limit, ignored for Market. */
  readonly price?: number | undefined;
  readonly qty: number;
  readonly orderLinkId?: string | undefined;
  readonly reduceOnly?: boolean | undefined;
  readonly smp?: SmpPolicy | undefined;
  /** The request's X-BAPI-TIMESTAMP. */
  readonly signedAt: number;
}

export interface OrderRef {
  readonly symbol: string;
  readonly orderId?: string | undefined;
  readonly orderLinkId?: string | undefined;
}

export interface AmendRequest extends OrderRef {
  readonly price?: number | undefined;
  readonly qty?: number | undefined;
}

/** What changed for one account in one command. Listeners must read the records synchronously: they mutate later. */
export interface AccountUpdate {
  readonly orders: readonly OrderRecord[];
  readonly executions: readonly Execution[];
  readonly positions: readonly string[];
  readonly wallet: boolean;
}

export interface VenueListener {
  onAccountUpdate?(uid: number, update: AccountUpdate): void;
  onTrades?(symbol: string, trades: readonly PublicTrade[]): void;
  /**
   * Every state-changing command, before it runs, in call order, refused ones included: the command journal.
   * Re-applying them to a venue built with the same instruments and seed reproduces its ledger (commands.ts).
   */
  onCommand?(c: VenueCommand): void;
}

export interface VenueOptions {
  readonly instruments: readonly InstrumentConfig[];
  readonly clock: Clock;
  readonly seed: number;
  /** Self-trade policy when an order does not choose one (Bybit's smpType None). */
  readonly smpDefault?: SmpPolicy;
  readonly ledgerCap?: number;
  /**
   * Closed orders whose orderLinkId an account keeps reserved (accounts/account.ts LinkIds); default
   * CLOSED_LINK_ID_WINDOW. Not journaled: a replay uses the default. Below 25,000 (the most closed orders the
   * OrderStore keeps per account) an id can be reused while its old order is still in the store; lookups by
   * orderLinkId then find the newest order, and trimming the old one leaves the new one's entry alone.
   */
  readonly closedLinkIdWindow?: number;
}

export const MAX_OPEN_ORDERS_PER_SYMBOL = 500;

/** Bybit's rejectReason and cancelType for each way an order can leave the engine. */
const CANCEL_TEXT: Record<CancelReason, { rejectReason: string; cancelType: string }> = {
  user: { rejectReason: 'EC_PerCancelRequest', cancelType: 'CancelByUser' },
  post_only: { rejectReason: 'EC_PostOnlyWillTakeLiquidity', cancelType: 'UNKNOWN' },
  ioc_remainder: { rejectReason: 'EC_NoImmediateQtyToFill', cancelType: 'UNKNOWN' },
  fok_unfilled: { rejectReason: 'EC_CancelForNoFullFill', cancelType: 'UNKNOWN' },
  smp: { rejectReason: 'EC_BySelfMatch', cancelType: 'CancelBySmp' },
  external: { rejectReason: 'EC_PerCancelRequest', cancelType: 'CancelByAdmin' },
};

/** Engine refusals in the venue's words. */
function rejectError(r: RejectReason, inst: Instrument): VenueError {
  switch (r) {
    case 'qty_below_min': return new VenueError('PARAMS', `The number of contracts below min limit allowed (minOrderQty ${inst.config.minOrderQty})`);
    // Bybit's own text, as seen in a batch answer (reference §3.2).
    case 'qty_above_max': return new VenueError('PARAMS', undefined, 'The number of contracts exceeds maximum limit allowed: too large');
    case 'qty_invalid': return new VenueError('PARAMS', 'qty err');
    case 'price_invalid': return new VenueError('PARAMS', 'price err');
    case 'price_out_of_range': return new VenueError('PRICE_RANGE', `price must be within ${inst.config.minPrice}..${inst.config.maxPrice}`);
    case 'notional_below_min': return new VenueError('NOTIONAL', `minNotionalValue is ${inst.config.minNotionalValue} USDT`);
    case 'amend_qty_le_filled': return new VenueError('AMEND_QTY');
    case 'amend_no_change': return new VenueError('AMEND_NO_CHANGE');
    case 'unknown_order': return new VenueError('ORDER_NOT_FOUND');
    case 'duplicate_id': return new VenueError('SERVER', 'duplicate engine id');
  }
}

/** Order qty within the instrument's limits (10001); `max` is maxOrderQty, or maxMktOrderQty for a Market order. */
function checkQty(inst: Instrument, qty: number, max: number): void {
  if (!Number.isSafeInteger(qty) || qty <= 0) throw rejectError('qty_invalid', inst);
  if (qty < inst.spec.minQtyLots) throw rejectError('qty_below_min', inst);
  if (qty > max) throw rejectError('qty_above_max', inst);
}

/** A limit price within minPrice..maxPrice (110003). */
function checkPrice(inst: Instrument, price: number): void {
  if (!Number.isSafeInteger(price) || price <= 0) throw rejectError('price_invalid', inst);
  if (price < inst.spec.minPriceTicks || price > inst.spec.maxPriceTicks) throw rejectError('price_out_of_range', inst);
}

/**
 * The price band (linear 110003): a Buy above, or a Sell below, the reference (the mark) by more than
 * priceLimitRatio is refused; passive prices far away are fine. No reference (empty book, no trade yet): no band.
 */
function checkBand(inst: Instrument, side: Side, price: number, reference: number | undefined): void {
  if (reference === undefined) return;
  const r = inst.priceLimitRatio;
  if ((side === 1 && price > reference * (1 + r)) || (side === -1 && price < reference * (1 - r))) {
    throw new VenueError('PRICE_RANGE', `price is more than ${r * 100}% through the mark`);
  }
}

function checkNotional(inst: Instrument, price: number, qty: number): void {
  if (price * qty < inst.spec.minNotional) throw rejectError('notional_below_min', inst);
}

/**
 * What one command changed for one account. It is handed to listeners as is (an AccountUpdate): a command builds
 * fresh ones, so nothing is copied on the way out.
 */
class AccountChanges implements AccountUpdate {
  readonly orders: OrderRecord[] = [];
  readonly executions: Execution[] = [];
  readonly positions: string[] = [];
  /** Set once the list is long enough that a scan for duplicates costs more (cancel-all, a taker sweeping). */
  private seen: Set<OrderRecord> | undefined;
  constructor(readonly uid: number) {}
  /** The wallet changed when the account had fills. */
  get wallet(): boolean {
    return this.executions.length > 0;
  }
  /** An order changed (placed, filled, amended, cancelled): listed once, in the order of its first change. */
  addOrder(o: OrderRecord): void {
    if (this.seen === undefined && this.orders.length < 8) {
      if (!this.orders.includes(o)) this.orders.push(o);
      return;
    }
    this.seen ??= new Set(this.orders);
    if (!this.seen.has(o)) {
      this.seen.add(o);
      this.orders.push(o);
    }
  }
  addPosition(symbol: string): void {
    if (!this.positions.includes(symbol)) this.positions.push(symbol);
  }
}

/**
 * State collected while one command runs, emitted once it has been applied in full. Accounts in first-touched order;
 * most commands touch one or two, so they are found by a scan rather than a map.
 */
class Changes {
  constructor(readonly symbol: string) {}
  readonly accounts: AccountChanges[] = [];
  readonly trades: PublicTrade[] = [];

  private of(uid: number): AccountChanges {
    for (const a of this.accounts) if (a.uid === uid) return a;
    const a = new AccountChanges(uid);
    this.accounts.push(a);
    return a;
  }
  order(o: OrderRecord): void {
    const a = this.of(o.uid);
    a.addOrder(o);
    a.addPosition(o.symbol);
  }
  execution(e: Execution): void {
    this.of(e.uid).executions.push(e);
  }
}

/** Context of one command: the instrument, time, and the book as it was before the command touched it. */
interface CommandContext {
  readonly inst: Instrument;
  readonly now: number;
  readonly midBefore: number | null;
  readonly bidBefore: number | undefined;
  readonly askBefore: number | undefined;
  readonly changes: Changes;
  readonly cancelType: string;
}

/**
 * The simulated venue's domain: one engine per instrument, accounts, orders, the ledger and the public tape.
 * Every command validates fully before it changes anything (state is never half-applied) and reports its effects
 * to listeners only after it has been applied. Time comes from the Clock; ids from the seeded stream.
 */
export class Venue {
  readonly instruments = new Map<string, Instrument>();
  readonly accounts = new Map<number, Account>();
  readonly orders = new OrderStore();
  readonly ledger: Ledger;
  readonly clock: Clock;
  readonly seed: number;
  private readonly books = new Map<string, OrderBook>();
  private readonly stats = new Map<string, MarketStats>();
  private readonly byKey = new Map<string, Account>();
  private readonly listeners: VenueListener[] = [];
  /** Listeners with onCommand, so commands are not described when nobody journals them. */
  private commandListeners = 0;
  private readonly dcpWindows = new Map<number, number>();
  private readonly smpDefault: SmpPolicy;
  /** Closed orders whose orderLinkId each account keeps reserved (VenueOptions.closedLinkIdWindow). */
  readonly closedLinkIdWindow: number;
  private ids: IdSource;
  private nextEngineId = 1;
  private execSeq = 0;
  private nextUid = 100_001;
  private readonly events: EngineEvent[] = [];
  /** Orders whose leaves count in their account's exposure: kept here, not on the record the API serialises. */
  private readonly resting = new WeakSet<OrderRecord>();

  constructor(opts: VenueOptions) {
    this.clock = opts.clock;
    this.seed = opts.seed;
    this.smpDefault = opts.smpDefault ?? 'CancelTaker';
    this.closedLinkIdWindow = opts.closedLinkIdWindow ?? CLOSED_LINK_ID_WINDOW;
    this.ledger = new Ledger(opts.ledgerCap);
    this.ids = new IdSource(new Rng(opts.seed).fork('venue-ids'));
    for (const cfg of opts.instruments) {
      const inst = makeInstrument(cfg);
      this.instruments.set(inst.symbol, inst);
      this.books.set(inst.symbol, new OrderBook(inst.spec));
      this.stats.set(inst.symbol, new MarketStats());
    }
  }

  listen(l: VenueListener): () => void {
    this.listeners.push(l);
    if (l.onCommand) this.commandListeners++;
    return () => {
      const i = this.listeners.indexOf(l);
      if (i < 0) return;
      this.listeners.splice(i, 1);
      if (l.onCommand) this.commandListeners--;
    };
  }

  private command(c: VenueCommand): void {
    for (const l of this.listeners) l.onCommand?.(c);
  }

  /** Forgets all accounts, orders, fills and trades; books start empty. Instruments and listeners stay. */
  reset(): void {
    if (this.commandListeners > 0) this.command({ cmd: 'reset', at: this.clock.now() });
    for (const [symbol, inst] of this.instruments) {
      this.books.set(symbol, new OrderBook(inst.spec));
      this.stats.set(symbol, new MarketStats());
    }
    this.accounts.clear();
    this.byKey.clear();
    this.orders.clear();
    this.ledger.clear();
    this.dcpWindows.clear();
    this.ids = new IdSource(new Rng(this.seed).fork('venue-ids'));
    this.nextEngineId = 1;
    this.execSeq = 0;
    this.nextUid = 100_001;
  }

  // ---------------------------------------------------------------- accounts

  createAccount(input: AccountInput): Account {
    const now = this.clock.now();
    // Every check before the journal and the uid counter: a refused account leaves no trace.
    const cfg = AccountConfig.parse(input);
    const uid = cfg.uid ?? this.nextUid;
    if (this.accounts.has(uid)) throw new Error(`uid ${uid} already exists`);
    if (this.byKey.has(cfg.apiKey)) throw new Error(`apiKey ${cfg.apiKey} already exists`);
    if (this.commandListeners > 0) this.command({ cmd: 'createAccount', at: now, input: { ...input, secret: REDACTED_SECRET } });
    if (uid >= this.nextUid) this.nextUid = uid + 1;
    const acct = new Account(uid, cfg, now, this.closedLinkIdWindow);
    this.accounts.set(uid, acct);
    this.byKey.set(acct.apiKey, acct);
    return acct;
  }

  /** The KeyStore the auth layer reads (an Account has uid, apiKey, secret, readOnly). */
  accountByKey(apiKey: string): Account | undefined {
    return this.byKey.get(apiKey);
  }

  account(uid: number): Account {
    const a = this.accounts.get(uid);
    if (!a) throw new VenueError('API_KEY_INVALID');
    return a;
  }

  setDcpWindow(uid: number, seconds: number): void {
    if (this.commandListeners > 0) this.command({ cmd: 'setDcpWindow', at: this.clock.now(), uid, seconds });
    this.dcpWindows.set(uid, seconds);
  }

  /** Disconnect-cancel window in seconds for an account, if it enabled DCP. */
  dcpWindow(uid: number): number | undefined {
    return this.dcpWindows.get(uid);
  }

  setLeverage(uid: number, symbol: string, leverage: number): void {
    const now = this.clock.now();
    if (this.commandListeners > 0) this.command({ cmd: 'setLeverage', at: now, uid, symbol, leverage });
    const inst = this.instrument(symbol);
    if (!Number.isInteger(leverage) || leverage < 1 || leverage > inst.maxLeverage) {
      throw new VenueError('PARAMS', `leverage must be an integer in 1..${inst.maxLeverage}`);
    }
    const p = this.account(uid).position(symbol, now);
    if (p.leverage === leverage) throw new VenueError('LEVERAGE_NOT_MODIFIED');
    p.leverage = leverage;
  }

  // ---------------------------------------------------------------- market views

  instrument(symbol: string): Instrument {
    const inst = this.instruments.get(symbol);
    if (!inst) throw new VenueError('BAD_SYMBOL', symbol);
    return inst;
  }

  book(symbol: string): MatchingEngine {
    const b = this.books.get(symbol);
    if (!b) throw new VenueError('BAD_SYMBOL', symbol);
    return b;
  }

  tape(symbol: string): MarketStats {
    const s = this.stats.get(symbol);
    if (!s) throw new VenueError('BAD_SYMBOL', symbol);
    return s;
  }

  /** Mid in ticks (may end in .5), or null when a side is empty. */
  mid(symbol: string): number | null {
    const b = this.book(symbol);
    const bid = b.bestBid();
    const ask = b.bestAsk();
    return bid === undefined || ask === undefined ? null : (bid + ask) / 2;
  }

  /** The price positions are marked at: the mid, else the last trade, else undefined. */
  mark(symbol: string): number | undefined {
    return this.mid(symbol) ?? this.tape(symbol).last?.price;
  }

  marginOf(uid: number, extra?: { symbol: string; side: Side; qty: number; notional: number }) {
    return this.account(uid).margin(this.markOf, extra);
  }

  /** The mark and cash scale of a symbol, as Account.margin reads them; one function for the venue's life. */
  private readonly markOf = (symbol: string): { mark: number; cashPerTickLot: number } | undefined => {
    const m = this.mark(symbol);
    const inst = this.instruments.get(symbol);
    return m === undefined || !inst ? undefined : { mark: m, cashPerTickLot: inst.cashPerTickLot };
  };

  // ---------------------------------------------------------------- commands

  /**
   * Checks, in this order (docs/errors.md "Order checks"); the first that fails answers and nothing changes:
   * orderLinkId unused (110072) → open orders < 500 (110020) → instrument limits: qty within min/max (Market:
   * maxMktOrderQty) (10001), Limit price within minPrice..maxPrice (110003) → price band (110003) → reduce-only
   * (110017, qty capped at the position) → min notional (110094) → margin (110007). Tick and qty-step multiples are
   * checked by the wire layer (params.ts, 10001) before the venue sees the request.
   */
  place(uid: number, req: PlaceRequest): OrderRecord {
    // One clock read per command: the journal records this time, and a replay on a ManualClock must see the same.
    const now = this.clock.now();
    if (this.commandListeners > 0) this.command({ cmd: 'place', at: now, uid, req });
    const acct = this.account(uid);
    const inst = this.instrument(req.symbol);
    const book = this.books.get(req.symbol)!;
    if (req.orderLinkId && acct.usedLinkIds.has(req.orderLinkId)) throw new VenueError('DUPLICATE_LINK_ID');
    if (this.orders.openCount(uid, req.symbol) >= MAX_OPEN_ORDERS_PER_SYMBOL) throw new VenueError('TOO_MANY_ORDERS');

    const bid = book.bestBid();
    const ask = book.bestAsk();
    const reference = this.mark(req.symbol);
    let price: number;
    if (req.orderType === 'Market') {
      checkQty(inst, req.qty, inst.spec.maxMktQtyLots);
      price = this.marketBound(inst, req.side, req.side === 1 ? ask : bid, reference);
    } else {
      if (req.price === undefined) throw new VenueError('PARAMS', 'price is required for Limit orders');
      price = req.price;
      checkQty(inst, req.qty, inst.spec.maxQtyLots);
      checkPrice(inst, price);
      checkBand(inst, req.side, price, reference);
    }

    let qty = req.qty;
    const reduceOnly = req.reduceOnly === true;
    if (reduceOnly) {
      const size = acct.positions.get(req.symbol)?.size ?? 0;
      if (size === 0 || Math.sign(size) === req.side) throw new VenueError('REDUCE_ONLY');
      qty = Math.min(qty, Math.abs(size));
    }
    if (req.orderType === 'Limit') checkNotional(inst, price, qty);
    if (!reduceOnly && (req.orderType === 'Limit' || (req.side === 1 ? ask : bid) !== undefined)) {
      // A Market order facing an empty side cannot fill (it is cancelled as IOC), so it needs no margin.
      const notional = price * qty * inst.cashPerTickLot;
      // Beyond 2^53 nano-USDT (~90M USDT) cash is no longer exact; no account in the bench can carry such an order.
      if (!Number.isSafeInteger(notional) || this.marginOf(uid, { symbol: req.symbol, side: req.side, qty, notional }).available < 0) {
        throw new VenueError('INSUFFICIENT_AB');
      }
    }

    const engineId = this.nextEngineId;
    const events = this.events;
    events.length = 0;
    const smp = req.smp ?? this.smpDefault;
    const rejected = book.place(
      { id: engineId, owner: uid, side: req.side, kind: req.orderType, tif: req.orderType === 'Market' ? 'IOC' : req.timeInForce, price, qty, smp },
      events,
    );
    if (rejected) throw rejectError(rejected, inst);
    this.nextEngineId++;

    const rec: OrderRecord = {
      engineId, orderId: this.ids.uuid(), orderLinkId: req.orderLinkId ?? '', uid, symbol: req.symbol, side: req.side,
      orderType: req.orderType, timeInForce: req.orderType === 'Market' ? 'IOC' : req.timeInForce, smp, reduceOnly,
      price, qty, filled: 0, cumValue: 0, cumFee: 0, status: 'New', rejectReason: 'EC_NoError', cancelType: 'UNKNOWN',
      closedPnl: 0, createdTime: now, updatedTime: now, signedAt: req.signedAt, lastPriceOnCreated: this.tape(req.symbol).last?.price ?? 0,
    };
    this.orders.add(rec);
    if (rec.orderLinkId) acct.usedLinkIds.add(rec.orderLinkId);
    const ctx = this.context(inst, now, bid, ask, 'CancelByUser');
    ctx.changes.order(rec);
    this.apply(events, ctx);
    this.settle(rec, book, ctx);
    this.emit(ctx.changes);
    return rec;
  }

  /**
   * The same price and size checks as a create, on the order as it would be after the amend (price and qty, given or
   * kept), so an amend can never reach a price a create could not. In this order; the first that fails answers and
   * nothing changes (the order keeps its price, qty and queue place): order known (110001) and open (110008) → some
   * change (10001) → qty within min/maxOrderQty (10001) → price within minPrice..maxPrice (110003) → price band
   * (110003), against the mark without this order's own quote (as if it were cancelled and created afresh) → qty
   * above the filled qty (110064) → min notional (110094) → margin (110007).
   */
  amend(uid: number, req: AmendRequest): OrderRecord {
    const now = this.clock.now();
    if (this.commandListeners > 0) this.command({ cmd: 'amend', at: now, uid, req });
    const inst = this.instrument(req.symbol);
    const book = this.books.get(req.symbol)!;
    const rec = this.openOrder(uid, req);
    const newPrice = req.price ?? rec.price;
    const newQty = req.qty ?? rec.qty;
    if ((req.price === undefined && req.qty === undefined) || (newPrice === rec.price && newQty === rec.qty)) throw new VenueError('AMEND_NO_CHANGE');
    checkQty(inst, newQty, inst.spec.maxQtyLots);
    checkPrice(inst, newPrice);
    checkBand(inst, rec.side, newPrice, this.markWithout(rec, book));
    if (newQty <= rec.filled) throw new VenueError('AMEND_QTY');
    checkNotional(inst, newPrice, newQty);
    const bid = book.bestBid();
    const ask = book.bestAsk();
    const events = this.events;
    events.length = 0;
    // The exposure of the order is taken out first so a margin check sees the book without it.
    const leaves = rec.qty - rec.filled;
    const newLeaves = newQty - rec.filled;
    if (!rec.reduceOnly && newPrice * newLeaves > rec.price * leaves) {
      const notional = newPrice * newLeaves * inst.cashPerTickLot;
      const acct = this.account(uid);
      acct.expose(rec.symbol, rec.side, -leaves, -rec.price * leaves * inst.cashPerTickLot);
      const m = this.marginOf(uid, { symbol: rec.symbol, side: rec.side, qty: newLeaves, notional });
      acct.expose(rec.symbol, rec.side, leaves, rec.price * leaves * inst.cashPerTickLot);
      if (!Number.isSafeInteger(notional) || m.available < 0) throw new VenueError('INSUFFICIENT_AB');
    }
    const rejected = book.amend({ id: rec.engineId, price: req.price, qty: req.qty }, events);
    if (rejected) throw rejectError(rejected, inst);
    const ctx = this.context(inst, now, bid, ask, 'CancelByUser');
    this.unexpose(rec, inst);
    ctx.changes.order(rec);
    this.apply(events, ctx);
    this.settle(rec, book, ctx);
    this.emit(ctx.changes);
    return rec;
  }

  cancel(uid: number, ref: OrderRef): OrderRecord {
    const now = this.clock.now();
    if (this.commandListeners > 0) this.command({ cmd: 'cancel', at: now, uid, ref });
    const inst = this.instrument(ref.symbol);
    const book = this.books.get(ref.symbol)!;
    const rec = this.openOrder(uid, ref);
    const events = this.events;
    events.length = 0;
    const rejected = book.cancel(rec.engineId, events, 'user');
    if (rejected) throw rejectError(rejected, inst);
    const ctx = this.context(inst, now, undefined, undefined, 'CancelByUser');
    this.apply(events, ctx);
    this.emit(ctx.changes);
    return rec;
  }

  /**
   * Cancels an account's open orders on one symbol, or on every symbol. `cancelType` says who asked: the user,
   * disconnect-cancel (CancelByDCP) or the operator (CancelByAdmin).
   */
  cancelAll(uid: number, symbol: string | undefined, cancelType = 'CancelByUser', limit = MAX_OPEN_ORDERS_PER_SYMBOL): OrderRecord[] {
    const now = this.clock.now();
    if (this.commandListeners > 0) this.command({ cmd: 'cancelAll', at: now, uid, symbol: symbol ?? null, cancelType, limit });
    this.account(uid);
    const symbols = symbol === undefined ? [...this.instruments.keys()] : [this.instrument(symbol).symbol];
    const done: OrderRecord[] = [];
    for (const s of symbols) {
      const inst = this.instruments.get(s)!;
      const book = this.books.get(s)!;
      const targets = [...this.orders.openOf(uid)].filter((o) => o.symbol === s).slice(0, limit);
      if (targets.length === 0) continue;
      const events = this.events;
      events.length = 0;
      const reason: CancelReason = cancelType === 'CancelByUser' ? 'user' : 'external';
      for (const o of targets) book.cancel(o.engineId, events, reason);
      const ctx = this.context(inst, now, undefined, undefined, cancelType);
      this.apply(events, ctx);
      this.emit(ctx.changes);
      done.push(...targets);
    }
    return done;
  }

  // ---------------------------------------------------------------- internals

  private openOrder(uid: number, ref: OrderRef): OrderRecord {
    this.account(uid);
    const rec = this.orders.find(uid, ref.orderId, ref.orderLinkId);
    if (!rec || rec.symbol !== ref.symbol) throw new VenueError('ORDER_NOT_FOUND');
    if (!isOpen(rec)) throw new VenueError('ORDER_CLOSED');
    return rec;
  }

  /**
   * The mark as a fresh order would see it if `rec` were not on the book: the mid without its quote, else the last
   * trade. Only differs from mark() when `rec` is alone at the best price of its side.
   */
  private markWithout(rec: OrderRecord, book: OrderBook): number | undefined {
    let bid = book.bestBid();
    let ask = book.bestAsk();
    const leaves = rec.qty - rec.filled;
    if (book.getOrder(rec.engineId) !== undefined && rec.price === (rec.side === 1 ? bid : ask) && book.levelQty(rec.side, rec.price) === leaves) {
      const next = book.depth(rec.side, 2)[1]?.[0];
      if (rec.side === 1) bid = next;
      else ask = next;
    }
    return bid !== undefined && ask !== undefined ? (bid + ask) / 2 : this.tape(rec.symbol).last?.price;
  }

  /** Worst price a market order may trade at: the touch moved by the price band, else the reference, else the limit. */
  private marketBound(inst: Instrument, side: Side, touch: number | undefined, reference: number | undefined): number {
    const base = touch ?? reference;
    const r = inst.priceLimitRatio;
    if (base === undefined) return side === 1 ? inst.spec.maxPriceTicks : inst.spec.minPriceTicks;
    const bound = side === 1 ? Math.floor(base * (1 + r)) : Math.ceil(base * (1 - r));
    return Math.min(inst.spec.maxPriceTicks, Math.max(inst.spec.minPriceTicks, bound));
  }

  private context(inst: Instrument, now: number, bid: number | undefined, ask: number | undefined, cancelType: string): CommandContext {
    return {
      inst, now, bidBefore: bid, askBefore: ask, cancelType, changes: new Changes(inst.symbol),
      midBefore: bid === undefined || ask === undefined ? null : (bid + ask) / 2,
    };
  }

  /** Removes a resting order's leaves from its account's exposure (it is about to change or leave the book). */
  private unexpose(rec: OrderRecord, inst: Instrument): void {
    if (!this.resting.has(rec)) return;
    this.resting.delete(rec);
    const leaves = rec.qty - rec.filled;
    this.accounts.get(rec.uid)?.expose(rec.symbol, rec.side, -leaves, -rec.price * leaves * inst.cashPerTickLot);
  }

  /** After a place or amend: an order still live in the engine rests, and its leaves count as exposure. */
  private settle(rec: OrderRecord, book: OrderBook, ctx: CommandContext): void {
    if (isOpen(rec) && book.getOrder(rec.engineId)) {
      this.resting.add(rec);
      const leaves = rec.qty - rec.filled;
      this.accounts.get(rec.uid)?.expose(rec.symbol, rec.side, leaves, rec.price * leaves * ctx.inst.cashPerTickLot);
    }
  }

  private apply(events: readonly EngineEvent[], ctx: CommandContext): void {
    for (const ev of events) {
      switch (ev.type) {
        case 'accepted':
          break;
        case 'amended': {
          const rec = this.orders.byEngineId(ev.id)!;
          rec.price = ev.price;
          rec.qty = ev.qty;
          rec.updatedTime = ctx.now;
          break;
        }
        case 'fill':
          this.fill(ev, ctx);
          break;
        case 'cancelled': {
          const rec = this.orders.byEngineId(ev.id)!;
          this.unexpose(rec, ctx.inst);
          const text = CANCEL_TEXT[ev.reason];
          rec.status = 'Cancelled';
          rec.rejectReason = text.rejectReason;
          rec.cancelType = ev.reason === 'external' ? ctx.cancelType : text.cancelType;
          rec.updatedTime = ctx.now;
          const owner = this.accounts.get(rec.uid)!;
          this.orders.close(rec, owner.history);
          if (rec.orderLinkId) owner.usedLinkIds.close(rec.orderLinkId);
          ctx.changes.order(rec);
          break;
        }
      }
    }
  }

  private fill(ev: Extract<EngineEvent, { type: 'fill' }>, ctx: CommandContext): void {
    const { inst, now } = ctx;
    const taker = this.orders.byEngineId(ev.takerId)!;
    const maker = this.orders.byEngineId(ev.makerId)!;
    const notional = ev.price * ev.qty * inst.cashPerTickLot;
    const execId = this.ids.uuid();
    const tape = this.tape(inst.symbol);
    const trade: PublicTrade = {
      execId, price: ev.price, qty: ev.qty, side: ev.takerSide, time: now, seq: this.books.get(inst.symbol)!.seq,
      tickDirection: tape.tickDirection(ev.price),
    };
    for (const [rec, isMaker, leaves] of [[maker, true, ev.makerLeaves], [taker, false, ev.takerLeaves]] as const) {
      const acct = this.accounts.get(rec.uid)!;
      const feeRate = isMaker ? acct.makerFeeRate : acct.takerFeeRate;
      const fee = Math.round(notional * feeRate);
      if (isMaker) acct.expose(rec.symbol, rec.side, -ev.qty, -rec.price * ev.qty * inst.cashPerTickLot);
      const effect = applyFill(acct.position(rec.symbol, now), rec.side, ev.qty, notional, fee, now);
      rec.filled += ev.qty;
      rec.cumValue += notional;
      rec.cumFee += fee;
      rec.closedPnl += effect.pnl - fee;
      rec.updatedTime = now;
      rec.status = leaves === 0 ? 'Filled' : 'PartiallyFilled';
      const touch = rec.side === 1 ? ctx.askBefore : ctx.bidBefore;
      const exec: Execution = {
        execId, seq: ++this.execSeq, uid: rec.uid, symbol: rec.symbol, orderId: rec.orderId, orderLinkId: rec.orderLinkId,
        side: rec.side, orderType: rec.orderType, orderPrice: rec.price, orderQty: rec.qty, leavesQty: leaves,
        price: ev.price, qty: ev.qty, notional, fee, feeRate, isMaker, time: now, closedSize: effect.closedQty,
        pnl: effect.pnl, midBefore: ctx.midBefore, touchBefore: touch ?? null, takerSignedAt: taker.signedAt,
      };
      this.ledger.record(exec, acct.history);
      ctx.changes.execution(exec);
      ctx.changes.order(rec);
      if (leaves === 0) {
        this.resting.delete(rec);
        this.orders.close(rec, acct.history);
        if (rec.orderLinkId) acct.usedLinkIds.close(rec.orderLinkId);
      }
    }
    tape.record(trade, inst.cashPerTickLot);
    ctx.changes.trades.push(trade);
  }

  private emit(changes: Changes): void {
    if (this.listeners.length === 0) return;
    for (const update of changes.accounts) {
      for (const l of this.listeners) l.onAccountUpdate?.(update.uid, update);
    }
    if (changes.trades.length > 0) {
      for (const l of this.listeners) l.onTrades?.(changes.symbol, changes.trades);
    }
  }
}

