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
  /** Median lots at its best level; level i holds sizeLots × sizeGrowth^i, jittered lognormally by sizeJitter. */
  readonly sizeLots: number;
  readonly sizeGrowth: number;
  readonly sizeJitter: number;
  /** Reaction delay after a fair move or a fill, ms (uniformly 0.5×–1.5×). */
  readonly latencyMs: number;
  /** It requotes when the fair price moved more than this many ticks from where it last quoted. */
  readonly toleranceTicks: number;
  /** Mean period of an unconditional refresh, ms (exponential). */
  readonly refreshMs: number;
  /** Its quotes shift by this many ticks per lot of inventory, against the inventory. */
  readonly skewTicksPerLot: number;
}

/**
 * Four styles: a fast one-tick quoter, a tight multi-level maker, a medium-spread ladder and a slow deep book.
 * Together they give the calm regime a one-tick spread with a few BTC at the touch (tuned against the Binance capture).
 */
export const DEFAULT_LPS: readonly LpStyle[] = [
  { name: 'lp-fast', halfSpreadTicks: 0.5, levels: 4, stepTicks: 1, sizeLots: 900, sizeGrowth: 1.2, sizeJitter: 0.5, latencyMs: 1, toleranceTicks: 0.5, refreshMs: 500, skewTicksPerLot: 0.002 },
  { name: 'lp-tight', halfSpreadTicks: 0.5, levels: 10, stepTicks: 2, sizeLots: 1000, sizeGrowth: 1.1, sizeJitter: 0.6, latencyMs: 3, toleranceTicks: 2, refreshMs: 1500, skewTicksPerLot: 0.001 },
  { name: 'lp-ladder', halfSpreadTicks: 3, levels: 15, stepTicks: 6, sizeLots: 2000, sizeGrowth: 1.08, sizeJitter: 0.6, latencyMs: 8, toleranceTicks: 8, refreshMs: 3000, skewTicksPerLot: 0.0005 },
  { name: 'lp-deep', halfSpreadTicks: 15, levels: 20, stepTicks: 25, sizeLots: 4000, sizeGrowth: 1.05, sizeJitter: 0.5, latencyMs: 25, toleranceTicks: 40, refreshMs: 8000, skewTicksPerLot: 0 },
];

/** Below this share of its nominal size a resting order is topped up (an amend: it re-queues, as on Bybit). */
const TOP_UP_BELOW = 0.3;

/**
 * A liquidity provider keeping a ladder around the fair price through the venue (PostOnly limits of its own account).
 * A requote keeps orders whose price is still wanted (they keep their queue place), cancels the rest and places the
 * missing levels. It never crosses the book: levels that would are clipped to one tick inside the opposite touch and
 * the LP looks again after its latency; meanwhile slower LPs' stale quotes are there for takers to pick off.
 */
export class LiquidityProvider implements Agent {
  readonly stats: AgentStats;
  private readonly bids = new Map<number, OrderRecord>();
  private readonly asks = new Map<number, OrderRecord>();
  private pending: Scheduled | undefined;
  private periodic: Scheduled | undefined;
  /** Fair price (after skew) of the last requote. */
  private ref = Number.NaN;

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
    const f = this.target();
    if (!(Math.abs(f - this.ref) <= this.style.toleranceTicks)) this.request(this.latencyUs());
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
    const f = this.target();
    this.ref = f;
    const spread = Math.max(1, Math.round(2 * s.halfSpreadTicks * p.spreadMult * w.spread));
    const step = Math.max(1, Math.round(s.stepTicks * p.spreadMult * w.spread));
    const bid0 = Math.floor(f - spread / 2 + 0.5);
    const ask0 = bid0 + spread;
    const depth = p.depthMult * w.depth;

    this.prune(this.bids, bid0, -step);
    this.prune(this.asks, ask0, step);
    const book = venue.book(symbol);
    const bestAsk = book.bestAsk();
    const bestBid = book.bestBid();
    // A level that would cross a stale quote (a slower LP's, not yet pulled) is clipped to one tick inside it, once:
    // the book keeps a one-tick spread while the stale quote waits to be pulled or taken.
    let clippedBid = false;
    let clippedAsk = false;
    for (let i = 0; i < s.levels; i++) {
      const nominal = s.sizeLots * depth * Math.pow(s.sizeGrowth, i);
      let b = bid0 - i * step;
      if (bestAsk !== undefined && b >= bestAsk) {
        b = clippedBid ? 0 : bestAsk - 1;
        clippedBid = true;
      }
      if (b > 0) this.ensureLevel(this.bids, 1, b, nominal);
      let a = ask0 + i * step;
      if (bestBid !== undefined && a <= bestBid) {
        a = clippedAsk ? 0 : bestBid + 1;
        clippedAsk = true;
      }
      if (a > 0) this.ensureLevel(this.asks, -1, a, nominal);
    }
    const clipped = clippedBid || clippedAsk;
    // The clipped order is off its ladder; look again once the stale quote may have gone.
    if (clipped) this.request(this.latencyUs());
  }

  /** Drops closed orders and cancels those off the new ladder (prices first + k·step, k < levels). */
  private prune(orders: Map<number, OrderRecord>, first: number, step: number): void {
    const levels = this.style.levels;
    for (const [price, rec] of orders) {
      if (!isOpen(rec)) {
        orders.delete(price);
        continue;
      }
      const k = (price - first) / step;
      if (Number.isInteger(k) && k >= 0 && k < levels) continue;
      orders.delete(price);
      this.cancel(rec);
    }
  }

  /** Keeps one order of about `nominal` lots at `price`: places it, or tops it up when mostly filled. */
  private ensureLevel(orders: Map<number, OrderRecord>, side: Side, price: number, nominal: number): void {
    const { venue, symbol } = this.ctx;
    const rec = orders.get(price);
    if (rec) {
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
    try {
      const placed = this.ctx.timed(() =>
        venue.place(this.uid, { symbol, side, orderType: 'Limit', timeInForce: 'PostOnly', price, qty: this.size(nominal), signedAt: venue.clock.now() }),
      );
      this.stats.placed++;
      if (isOpen(placed)) orders.set(price, placed);
    } catch (e) {
      this.reject(e);
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
