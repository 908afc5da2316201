import { z } from 'zod';
import type { Side } from '../engine/types.ts';
import { emptyPosition, unrealised, type Position } from './position.ts';
import { NANO_PER_USDT } from '../instruments.ts';

/** What the control plane (or a config file) says about a new account. Fee rates as Bybit writes them. */
/** Largest wallet an account may be created with (see AccountConfig.balance). */
export const MAX_BALANCE_USDT = 50_000_000;
/**
 * Largest uid: Bybit's are 6-10 digit integers. Auto-numbering continues from the largest uid in use, so an unbounded
 * uid (2^53 - 1) would leave the next auto-numbered one past the integers a double holds exactly.
 */
export const MAX_UID = 2 ** 31 - 1;

export const AccountConfig = z
  .object({
    uid: z.number().int().positive().max(MAX_UID, `uid: at most ${MAX_UID}`).optional(),
    apiKey: z.string().regex(/^[A-Za-z0-9_-]{6,64}$/, 'apiKey: 6-64 chars of [A-Za-z0-9_-]'),
    secret: z.string().min(6).max(128),
    /**
     * USDT wallet balance as a decimal string, at most 8 decimals, at most MAX_BALANCE_USDT: cash is kept in exact
     * nano-USDT integers, and 5e7 USDT = 5e15 nano leaves headroom below 2^53 (≈ 9.007e15) for PnL.
     */
    balance: z
      .string()
      .regex(/^\d{1,12}(\.\d{1,8})?$/, 'balance: a decimal string with at most 8 decimals')
      .refine((b) => Number(b) <= MAX_BALANCE_USDT, `balance: at most ${MAX_BALANCE_USDT} USDT (cash is exact nano-USDT)`),
    /** Negative = rebate. Bybit's default VIP0 linear rates. */
    makerFeeRate: z.string().regex(/^-?0(\.\d{1,8})?$/).default('0.0002'),
    takerFeeRate: z.string().regex(/^0(\.\d{1,8})?$/).default('0.00055'),
    leverage: z.number().int().min(1).max(100).default(10),
    readOnly: z.boolean().default(false),
    label: z.string().max(64).default(''),
    /**
     * How much of the account's past the venue keeps: 'full' (every fill up to the ledger's cap, 20k closed orders)
     * or 'recent' (its last RECENT_FILLS fills and RECENT_CLOSED_ORDERS closed orders) — for the background market's
     * own accounts, which trade all day and whose past nobody reads: without it a long-lived venue grows by their
     * history (≈ 1.5 KB a fill, hundreds a second).
     */
    history: z.enum(['full', 'recent']).default('full'),
  })
  .strict();
export type AccountConfig = z.infer<typeof AccountConfig>;
export type AccountInput = z.input<typeof AccountConfig>;

/** Open-order exposure on one symbol and side: leaves qty (lots) and its notional at the order prices (nano-USDT). */
interface Exposure {
  buyQty: number;
  buyNotional: number;
  sellQty: number;
  sellNotional: number;
}

/**
 * How many closed orders' orderLinkIds an account keeps reserved (see LinkIds). Bybit says orderLinkIds are "always
 * unique" but does not document whether a closed order's id may be reused (reference §5.4). A window by count, not
 * by time: memory stays bounded whatever the order rate (≤ 100,000 ids of ≤ 36 chars, a few MB at worst per
 * account), and it needs no clock. 100,000 is several hours of a busy bot's orders, far beyond any retry of a lost
 * create (the idempotency use of 110072), and above the 25,000 closed orders per account the OrderStore keeps, so a
 * released id never refers to an order the venue can still look up.
 */
export const CLOSED_LINK_ID_WINDOW = 100_000;

/**
 * The orderLinkIds an account may not use for a new order (110072): every id of an order that is still open — never
 * released while the order is open — plus the ids of its last `window` closed orders, oldest released first. Memory:
 * open ids (≤ 500 open orders per symbol) + `window`. Deterministic: the window counts closes, no clock is read.
 */
export class LinkIds {
  private readonly open = new Set<string>();
  private readonly closed = new Set<string>();
  /** Closed ids in closing order; `head` is the oldest still reserved (a queue without shift()'s O(n)). */
  private queue: string[] = [];
  private head = 0;

  constructor(readonly window: number = CLOSED_LINK_ID_WINDOW) {
    if (!Number.isInteger(window) || window < 0) throw new Error(`closedLinkIdWindow must be a non-negative integer, got ${window}`);
  }

  has(id: string): boolean {
    return this.open.has(id) || this.closed.has(id);
  }

  /** An order with this id was accepted and is open. */
  add(id: string): void {
    this.open.add(id);
  }

  /** The order with this id reached a final status: its id stays reserved until `window` later closes push it out. */
  close(id: string): void {
    if (!this.open.delete(id)) return;
    if (this.window === 0) return;
    this.closed.add(id);
    this.queue.push(id);
    if (this.queue.length - this.head > this.window) {
      this.closed.delete(this.queue[this.head]!);
      this.queue[this.head++] = '';
      if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
    }
  }

  /** Ids reserved now: open plus closed within the window. */
  get size(): number {
    return this.open.size + this.closed.size;
  }

  get openSize(): number {
    return this.open.size;
  }

  /** Open ids first (in order of placing), then closed ones oldest first. */
  *[Symbol.iterator](): IterableIterator<string> {
    yield* this.open;
    for (let i = this.head; i < this.queue.length; i++) yield this.queue[i]!;
  }
}

/** Exact decimal text (≤ 8 decimals) to nano-USDT. */
export function usdtToNano(text: string): number {
  const [int, frac = ''] = text.split('.');
  return Number(int) * NANO_PER_USDT + Number(frac.padEnd(8, '0'));
}

export class Account {
  readonly uid: number;
  readonly apiKey: string;
  readonly secret: string;
  readonly readOnly: boolean;
  readonly label: string;
  readonly history: 'full' | 'recent';
  readonly makerFeeRate: number;
  readonly takerFeeRate: number;
  readonly makerFeeText: string;
  readonly takerFeeText: string;
  readonly defaultLeverage: number;
  /** Deposits in nano-USDT. Wallet balance = deposits + Σ realised − Σ fees. */
  deposits: number;
  readonly positions = new Map<string, Position>();
  private readonly exposure = new Map<string, Exposure>();
  /** The orderLinkIds this account may not use again: those of its open orders and of its recently closed ones. */
  readonly usedLinkIds: LinkIds;
  readonly createdTime: number;

  constructor(uid: number, cfg: AccountConfig, now: number, closedLinkIdWindow = CLOSED_LINK_ID_WINDOW) {
    this.uid = uid;
    this.apiKey = cfg.apiKey;
    this.secret = cfg.secret;
    this.readOnly = cfg.readOnly;
    this.label = cfg.label;
    this.history = cfg.history;
    this.makerFeeText = cfg.makerFeeRate;
    this.takerFeeText = cfg.takerFeeRate;
    this.makerFeeRate = Number(cfg.makerFeeRate);
    this.takerFeeRate = Number(cfg.takerFeeRate);
    this.defaultLeverage = cfg.leverage;
    this.deposits = usdtToNano(cfg.balance);
    this.createdTime = now;
    this.usedLinkIds = new LinkIds(closedLinkIdWindow);
  }

  position(symbol: string, now: number): Position {
    let p = this.positions.get(symbol);
    if (!p) {
      p = emptyPosition(this.defaultLeverage, now);
      this.positions.set(symbol, p);
    }
    return p;
  }

  /** Deposits plus realised PnL minus fees, over all symbols (nano-USDT). */
  walletBalance(): number {
    let w = this.deposits;
    for (const p of this.positions.values()) w += p.realisedGross - p.fees;
    return w;
  }

  cumRealised(): number {
    let r = 0;
    for (const p of this.positions.values()) r += p.realisedGross - p.fees;
    return r;
  }

  /** Adds (or, with negative numbers, removes) resting exposure when an order rests, fills, amends or cancels. */
  expose(symbol: string, side: Side, qty: number, notional: number): void {
    let e = this.exposure.get(symbol);
    if (!e) {
      e = { buyQty: 0, buyNotional: 0, sellQty: 0, sellNotional: 0 };
      this.exposure.set(symbol, e);
    }
    if (side === 1) {
      e.buyQty += qty;
      e.buyNotional += notional;
    } else {
      e.sellQty += qty;
      e.sellNotional += notional;
    }
  }

  /**
   * Initial margin of open orders on one symbol (nano-USDT), with an optional extra order included. Bybit's one-way
   * rule, simplified: orders that would only close the position need no margin; of the two sides, the larger
   * position-opening requirement counts (a two-sided quote can only fill into one direction at a time).
   */
  orderIM(symbol: string, extra?: { side: Side; qty: number; notional: number }): number {
    const e = this.exposure.get(symbol) ?? { buyQty: 0, buyNotional: 0, sellQty: 0, sellNotional: 0 };
    const p = this.positions.get(symbol);
    const size = p?.size ?? 0;
    const lev = p?.leverage ?? this.defaultLeverage;
    let { buyQty, buyNotional, sellQty, sellNotional } = e;
    if (extra) {
      if (extra.side === 1) {
        buyQty += extra.qty;
        buyNotional += extra.notional;
      } else {
        sellQty += extra.qty;
        sellNotional += extra.notional;
      }
    }
    const opening = (qty: number, notional: number, closable: number): number =>
      qty <= 0 ? 0 : (notional * Math.max(0, qty - closable)) / qty;
    const buyOpen = opening(buyQty, buyNotional, Math.max(0, -size));
    const sellOpen = opening(sellQty, sellNotional, Math.max(0, size));
    return Math.round(Math.max(buyOpen, sellOpen) / lev);
  }

  positionIM(symbol: string): number {
    const p = this.positions.get(symbol);
    return p ? Math.round(Math.abs(p.cost) / p.leverage) : 0;
  }

  /**
   * Margin summary over all symbols, with marks in ticks per symbol (fractional allowed). Bybit UTA:
   * equity = wallet + uPnL; available = equity − position IM − order IM.
   */
  margin(marks: (symbol: string) => { mark: number; cashPerTickLot: number } | undefined, extra?: { symbol: string; side: Side; qty: number; notional: number }): MarginSummary {
    const wallet = this.walletBalance();
    let upl = 0;
    let positionIM = 0;
    let orderIM = 0;
    const symbols = new Set<string>([...this.positions.keys(), ...this.exposure.keys()]);
    if (extra) symbols.add(extra.symbol);
    for (const s of symbols) {
      const p = this.positions.get(s);
      const m = marks(s);
      if (p && m) upl += unrealised(p, m.mark, m.cashPerTickLot);
      positionIM += this.positionIM(s);
      orderIM += this.orderIM(s, extra && extra.symbol === s ? extra : undefined);
    }
    const equity = wallet + upl;
    return { wallet, upl, equity, positionIM, orderIM, available: equity - positionIM - orderIM };
  }
}

export interface MarginSummary {
  readonly wallet: number;
  readonly upl: number;
  readonly equity: number;
  readonly positionIM: number;
  readonly orderIM: number;
  readonly available: number;
}
