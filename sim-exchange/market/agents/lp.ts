import type { Rng } from '../../rng.ts';
import type { Side } from '../../engine/types.ts';
import { isOpen, type OrderRecord } from '../../venue/orders.ts';
import { VenueError } from '../../bybit-v5/errors.ts';
import { exponential, lognormal } from '../dists.ts';
import type { Agent, AgentContext, AgentStats } from './context.ts';
import { newStats } from './context.ts';
import type { Scheduled } from '../scheduler.ts';

/** One liquidity provider's quoting style. Regimes scale it through depthMult, spreadMult and lpLatencyMult. */
export interface LpStyle {
  readonly name: string;
  /** Distance of its best quotes from the fair price, ticks (0.5 = a one-tick market around fair). */
  readonly halfSpreadTicks: number;
  /** Levels per side, and ticks between them. */
  readonly levels: number;
  readonly stepTicks: number;
  /** Median lots of one order: at level i an order is sizeLots × sizeGrowth^i, jittered lognormally (log-σ sizeJitter). */
  readonly sizeLots: number;
  readonly sizeGrowth: number;
  readonly sizeJitter: number;
  /**
   * Orders it queues at its best level (default 1): a queue of small orders, as the touch of a real book is, so a
   * taker fills several makers. Each is drawn like any order; a fully filled one is replaced at the back of the queue.
   */
  readonly touchOrders?: number;
  /** Reaction delay after a fair move or a fill, ms (uniformly 0.5×–1.5×). */
  readonly latencyMs: number;
  /**
   * Hysteresis: it re-centres its ladder only when its target (fair price, skewed) moved more than this many ticks
   * from the centre of its last re-centring; fills and refreshes within that band re-send orders around the old centre.
   */
  readonly toleranceTicks: number;
  /** Mean period of an unconditional refresh, ms (exponential). */
  readonly refreshMs: number;
  /** Its quotes shift by this many ticks per lot of inventory, against the inventory. */
  readonly skewTicksPerLot: number;
}

/**
 * Four styles, tuned against the Binance BTCUSDT capture (docs/calibration.md): two touch makers whose best level is
 * a queue of many small orders (36 a side, median 15 lots, log-σ 2: ≈ 3 BTC a side, so a taker fills several makers
 * and prints are small), two interleaved "dust" ladders of single small orders 4–80 ticks out, and a deep backstop
 * from 45 ticks on for sweeps. Quotes re-centre only beyond each style's tolerance, so the touch is sticky; inventory
 * leans them by about a tick per 10–20 BTC.
 */
export const DEFAULT_LPS: readonly LpStyle[] = [
  { name: 'lp-fast', halfSpreadTicks: 0.5, levels: 1, stepTicks: 1, sizeLots: 15, sizeGrowth: 1, sizeJitter: 2, touchOrders: 20, latencyMs: 1, toleranceTicks: 3, refreshMs: 500, skewTicksPerLot: 0.0001 },
  { name: 'lp-tight', halfSpreadTicks: 0.5, levels: 6, stepTicks: 9, sizeLots: 15, sizeGrowth: 1.4, sizeJitter: 2, touchOrders: 16, latencyMs: 3, toleranceTicks: 4, refreshMs: 1500, skewTicksPerLot: 0.00005 },
  { name: 'lp-ladder', halfSpreadTicks: 5, levels: 10, stepTicks: 8, sizeLots: 60, sizeGrowth: 1.05, sizeJitter: 1.5, latencyMs: 8, toleranceTicks: 8, refreshMs: 3000, skewTicksPerLot: 0.00002 },
  { name: 'lp-deep', halfSpreadTicks: 45, levels: 30, stepTicks: 20, sizeLots: 300, sizeGrowth: 1.1, sizeJitter: 0.6, latencyMs: 25, toleranceTicks: 40, refreshMs: 8000, skewTicksPerLot: 0 },
];

/** Below this share of its nominal size a lone resting order is topped up (an amend: it re-queues, as on Bybit). */
const TOP_UP_BELOW = 0.3;

/**
 * A liquidity provider keeping a ladder around the fair price through the venue (PostOnly limits of its own account).
 * A requote keeps orders whose price is still wanted (they keep their queue place), cancels the rest and places the
 * missing ones. It re-centres the ladder only when its target moved beyond its tolerance (hysteresis), so the touch
 * stays put through small moves of the fair price. It never crosses the book: levels that would are clipped to one
 * tick inside the opposite touch and the LP looks again after its latency; meanwhile slower LPs' stale quotes are
 * there for takers to pick off.
 */
export class LiquidityProvider implements Agent {
  readonly stats: AgentStats;
  /** Open orders by price; several at the best level when the style queues touchOrders there. */
  private readonly bids = new Map<number, OrderRecord[]>();
  private readonly asks = new Map<number, OrderRecord[]>();
  private pending: Scheduled | undefined;
  private periodic: Scheduled | undefined;
  /** Centre of the ladder: the target (fair price after skew) at the last re-centring. */
  private ref = Number.NaN;
  /** Price of its best bid / ask while clipped inside a stale quote, else 0. */
  private clipBid = 0;
  private clipAsk = 0;

  constructor(
    private readonly ctx: AgentContext,
    private readonly rng: Rng,
    readonly style: LpStyle,
    private uid: number,
  ) {
    this.stats = newStats(style.name, 'lp', uid);
  }

  start(): void {
    this.request(0);
    this.schedulePeriodic();
  }

  onParams(): void {
    this.request(this.latencyUs());
  }

  onLatent(): void {
    if (!this.within(this.target())) this.request(this.latencyUs());
  }

  onFill(): void {
    this.request(this.latencyUs());
  }

  rebind(uid: number): void {
    this.uid = uid;
    this.stats.uid = uid;
    this.bids.clear();
    this.asks.clear();
    this.ref = Number.NaN;
    this.clipBid = this.clipAsk = 0;
    this.request(0);
  }

  /** Cancels everything it quotes (the market stops). */
  withdraw(): void {
    this.pending && (this.pending.cancelled = true);
    this.periodic && (this.periodic.cancelled = true);
    this.pending = this.periodic = undefined;
    try {
      this.ctx.timed(() => this.ctx.venue.cancelAll(this.uid, this.ctx.symbol));
    } catch {
      // The account is gone (venue reset): nothing to cancel.
    }
    this.bids.clear();
    this.asks.clear();
  }

  private within(f: number): boolean {
    return Math.abs(f - this.ref) <= this.style.toleranceTicks;
  }

  private latencyUs(): number {
    return this.style.latencyMs * this.ctx.params().lpLatencyMult * (0.5 + this.rng.next()) * 1000;
  }

  private schedulePeriodic(): void {
    const mean = this.style.refreshMs * this.ctx.params().lpLatencyMult * 1000;
    this.periodic = this.ctx.at(this.ctx.nowUs() + exponential(this.rng, mean), () => {
      this.requote();
      this.schedulePeriodic();
    });
  }

  private request(delayUs: number): void {
    if (this.pending) return;
    this.pending = this.ctx.at(this.ctx.nowUs() + delayUs, () => {
      this.pending = undefined;
      this.requote();
    });
  }

  /** Fair price shifted against inventory. */
  private target(): number {
    const pos = this.ctx.venue.accounts.get(this.uid)?.positions.get(this.ctx.symbol)?.size ?? 0;
    return this.ctx.fair() - this.style.skewTicksPerLot * pos;
  }

  private requote(): void {
    const { venue, symbol } = this.ctx;
    if (!venue.accounts.has(this.uid)) return;
    const s = this.style;
    const p = this.ctx.params();
    const w = this.ctx.withdrawal();
    const t = this.target();
    if (!this.within(t)) this.ref = t;
    const f = this.ref;
    const spread = Math.max(1, Math.round(2 * s.halfSpreadTicks * p.spreadMult * w.spread));
    const step = Math.max(1, Math.round(s.stepTicks * p.spreadMult * w.spread));
    const bid0 = Math.floor(f - spread / 2 + 0.5);
    const ask0 = bid0 + spread;
    const depth = p.depthMult * w.depth;
    const touchOrders = Math.max(1, Math.round(s.touchOrders ?? 1));

    const bids: number[] = [];
    const asks: number[] = [];
    for (let i = 0; i < s.levels; i++) {
      bids.push(bid0 - i * step);
      asks.push(ask0 + i * step);
    }
    // Orders off the ladder go first, except the clipped ones below while they cannot cross the new ladder, so the
    // best prices read next are the others' (and its own ladder's, which never crosses itself).
    for (const rec of this.sweep(this.bids, this.clipBid > 0 && this.clipBid < ask0 ? [...bids, this.clipBid] : bids)) this.cancel(rec);
    for (const rec of this.sweep(this.asks, this.clipAsk > bid0 ? [...asks, this.clipAsk] : asks)) this.cancel(rec);
    const book = venue.book(symbol);
    const bestAsk = book.bestAsk();
    const bestBid = book.bestBid();
    // A level that would cross a stale quote (a slower LP's, not yet pulled) is clipped to one tick inside it, once:
    // the book keeps a one-tick spread while the stale quote waits to be pulled or taken, and the clipped orders stay
    // where they are (queue place) while the clip price holds.
    for (let i = 0; i < s.levels; i++) {
      if (bestAsk !== undefined && bids[i]! >= bestAsk) bids[i] = i === 0 ? bestAsk - 1 : 0;
      if (bestBid !== undefined && asks[i]! <= bestBid) asks[i] = i === 0 ? bestBid + 1 : 0;
    }
    this.clipBid = bids[0] !== bid0 ? bids[0]! : 0;
    this.clipAsk = asks[0] !== ask0 ? asks[0]! : 0;
    for (const rec of this.sweep(this.bids, bids)) this.cancel(rec);
    for (const rec of this.sweep(this.asks, asks)) this.cancel(rec);
    for (let i = 0; i < s.levels; i++) {
      const nominal = s.sizeLots * depth * Math.pow(s.sizeGrowth, i);
      const count = i === 0 ? touchOrders : 1;
      if (bids[i]! > 0) this.ensureLevel(this.bids, 1, bids[i]!, nominal, count);
      if (asks[i]! > 0) this.ensureLevel(this.asks, -1, asks[i]!, nominal, count);
    }
    // A clipped order is off its ladder; look again once the stale quote may have gone.
    if (this.clipBid || this.clipAsk) this.request(this.latencyUs());
  }

  /** Forgets closed orders and those at prices no longer wanted; returns the latter (still open) for cancelling. */
  private sweep(orders: Map<number, OrderRecord[]>, wanted: readonly number[]): OrderRecord[] {
    const off: OrderRecord[] = [];
    for (const [price, recs] of orders) {
      const keep = wanted.includes(price);
      const open = recs.filter(isOpen);
      if (keep && open.length > 0) {
        if (open.length !== recs.length) orders.set(price, open);
        continue;
      }
      orders.delete(price);
      if (!keep) off.push(...open);
    }
    return off;
  }

  /**
   * Keeps `count` orders of about `nominal` lots each at `price`. A lone order (count 1) is topped up by an amend when
   * mostly filled; in a queue (count > 1) a filled order is replaced by a new one at the back of the queue.
   */
  private ensureLevel(orders: Map<number, OrderRecord[]>, side: Side, price: number, nominal: number, count: number): void {
    const { venue, symbol } = this.ctx;
    let recs = orders.get(price);
    if (recs && count === 1 && recs.length === 1) {
      const rec = recs[0]!;
      const leaves = rec.qty - rec.filled;
      if (leaves >= nominal * TOP_UP_BELOW) return;
      const qty = rec.filled + this.size(nominal);
      if (qty <= rec.qty) return;
      try {
        this.ctx.timed(() => venue.amend(this.uid, { symbol, orderId: rec.orderId, qty }));
        this.stats.amended++;
      } catch (e) {
        this.reject(e);
      }
      return;
    }
    for (let n = recs?.length ?? 0; n < count; n++) {
      try {
        const placed = this.ctx.timed(() =>
          venue.place(this.uid, { symbol, side, orderType: 'Limit', timeInForce: 'PostOnly', price, qty: this.size(nominal), signedAt: venue.clock.now() }),
        );
        this.stats.placed++;
        if (!isOpen(placed)) break;
        if (!recs) orders.set(price, (recs = []));
        recs.push(placed);
      } catch (e) {
        this.reject(e);
        break;
      }
    }
  }

  private size(nominal: number): number {
    return Math.max(1, Math.round(lognormal(this.rng, nominal, this.style.sizeJitter)));
  }

  private cancel(rec: OrderRecord): void {
    try {
      this.ctx.timed(() => this.ctx.venue.cancel(this.uid, { symbol: this.ctx.symbol, orderId: rec.orderId }));
      this.stats.cancelled++;
    } catch (e) {
      this.reject(e);
    }
  }

  private reject(e: unknown): void {
    if (!(e instanceof VenueError)) throw e;
    this.stats.rejected++;
  }
}
