import type { Rng } from '../../rng.ts';
import type { Side } from '../../engine/types.ts';
import type { MarketParams } from '../params.ts';
import { VenueError } from '../../bybit-v5/errors.ts';
import { exponential, lognormal, pareto } from '../dists.ts';
import type { Agent, AgentContext, AgentStats } from './context.ts';
import { newStats } from './context.ts';
import type { Scheduled } from '../scheduler.ts';

/**
 * A taker order size in lots: lognormal body, Pareto tail with probability tailProb, truncated at sizeMaxLots (a draw
 * above is drawn again; after 20 tries it is clipped), times `mult`, capped by the venue.
 */
export function drawSize(rng: Rng, p: MarketParams, mult: number, maxLots: number): number {
  let x = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 20 && x > p.sizeMaxLots; i++) {
    x = rng.next() < p.tailProb ? pareto(rng, p.tailMinLots, p.tailAlpha) : lognormal(rng, p.sizeMedianLots, p.sizeSigma);
  }
  return Math.min(maxLots, Math.max(1, Math.round(Math.min(x, p.sizeMaxLots) * mult)));
}

/**
 * Arrival times of a self-exciting (Hawkes) point process with an exponential kernel, by Ogata thinning:
 * λ(t) = μ + E(t), E decays with time constant τ and jumps by n/τ at each arrival (so n is the branching ratio and the
 * long-run rate is μ / (1 − n)). Between arrivals λ only decays, so the current λ bounds it and thinning is exact.
 */
export class Hawkes {
  /** Excitation, per second, as of `lastUs`. */
  private excite = 0;
  private lastUs: number;

  constructor(private readonly rng: Rng, nowUs: number) {
    this.lastUs = nowUs;
  }

  /** Brings the excitation to `nowUs` (before a parameter change redraws the next arrival). */
  decayTo(nowUs: number, tauS: number): void {
    this.excite *= Math.exp(-(nowUs - this.lastUs) / 1e6 / tauS);
    this.lastUs = nowUs;
  }

  /**
   * Next arrival after `lastUs` for base rate `mu` (per s), branching n, decay τ (s); undefined if none. Nothing is
   * committed until `arrive` (a parameter change may discard the drawn arrival).
   */
  next(mu: number, n: number, tauS: number): { atUs: number; excite: number } | undefined {
    if (mu <= 0 && this.excite <= 1e-12) return undefined;
    let t = this.lastUs;
    let e = this.excite;
    for (let guard = 0; guard < 100_000; guard++) {
      const bound = mu + e;
      if (bound <= 0) return undefined;
      const w = exponential(this.rng, 1 / bound);
      t += w * 1e6;
      e *= Math.exp(-w / tauS);
      if (this.rng.next() * bound <= mu + e) return { atUs: t, excite: e + n / tauS };
    }
    return undefined;
  }

  arrive(a: { atUs: number; excite: number }): void {
    this.excite = a.excite;
    this.lastUs = a.atUs;
  }
}

/** Uninformed market orders: Hawkes arrivals, heavy-tailed sizes, persistent order-flow sign. */
export class NoiseTaker implements Agent {
  readonly stats: AgentStats;
  private readonly hawkes: Hawkes;
  private nextEvent: Scheduled | undefined;
  private lastSide: Side = 1;

  constructor(private readonly ctx: AgentContext, private readonly rng: Rng, private uid: number, name = 'noise') {
    this.stats = newStats(name, 'noise', uid);
    this.hawkes = new Hawkes(rng, ctx.nowUs());
  }

  start(): void {
    this.schedule();
  }

  onParams(): void {
    if (this.nextEvent) this.nextEvent.cancelled = true;
    this.hawkes.decayTo(this.ctx.nowUs(), this.ctx.params().hawkesDecayMs / 1000);
    this.schedule();
  }

  rebind(uid: number): void {
    this.uid = uid;
    this.stats.uid = uid;
  }

  private schedule(): void {
    const p = this.ctx.params();
    const rate = p.takerRatePerS * (1 - p.informedShare);
    const n = p.hawkesBranching;
    const a = this.hawkes.next(rate * (1 - n), n, p.hawkesDecayMs / 1000);
    this.nextEvent = a === undefined ? undefined : this.ctx.at(a.atUs, () => {
      this.hawkes.arrive(a);
      this.fire();
    });
  }

  private fire(): void {
    const { venue, symbol } = this.ctx;
    const p = this.ctx.params();
    const side: Side = this.rng.next() < p.sameSideProb ? this.lastSide : this.lastSide === 1 ? -1 : 1;
    this.lastSide = side;
    const qty = drawSize(this.rng, p, 1, venue.instrument(symbol).spec.maxMktQtyLots);
    if (venue.accounts.has(this.uid)) {
      try {
        this.ctx.timed(() => venue.place(this.uid, { symbol, side, orderType: 'Market', timeInForce: 'IOC', qty, signedAt: venue.clock.now() }));
        this.stats.placed++;
      } catch (e) {
        if (!(e instanceof VenueError)) throw e;
        this.stats.rejected++;
      }
    }
    this.schedule();
  }
}

/**
 * Informed takers: Poisson arrivals; each sees the latent price `informedHorizonMs` ahead and, if the book is on the
 * wrong side of it by at least `informedMinEdgeTicks`, sends an IOC limit that takes only the levels still profitable
 * against that future price. Without an edge it does nothing, so its realised flow is below its arrival share.
 */
export class InformedTaker implements Agent {
  readonly stats: AgentStats;
  private nextEvent: Scheduled | undefined;

  constructor(private readonly ctx: AgentContext, private readonly rng: Rng, private uid: number, name = 'informed') {
    this.stats = newStats(name, 'informed', uid);
  }

  start(): void {
    this.schedule();
  }

  onParams(): void {
    if (this.nextEvent) this.nextEvent.cancelled = true;
    this.schedule();
  }

  rebind(uid: number): void {
    this.uid = uid;
    this.stats.uid = uid;
  }

  private schedule(): void {
    const p = this.ctx.params();
    const rate = p.takerRatePerS * p.informedShare;
    this.nextEvent = rate > 0 ? this.ctx.at(this.ctx.nowUs() + exponential(this.rng, 1e6 / rate), () => this.fire()) : undefined;
  }

  private fire(): void {
    const { venue, symbol } = this.ctx;
    const p = this.ctx.params();
    const future = this.ctx.fair(p.informedHorizonMs);
    const book = venue.book(symbol);
    const ask = book.bestAsk();
    const bid = book.bestBid();
    let side: Side | 0 = 0;
    let limit = 0;
    if (ask !== undefined && future - ask >= p.informedMinEdgeTicks) {
      side = 1;
      limit = Math.floor(future - p.informedMinEdgeTicks);
    } else if (bid !== undefined && bid - future >= p.informedMinEdgeTicks) {
      side = -1;
      limit = Math.ceil(future + p.informedMinEdgeTicks);
    }
    const qty = drawSize(this.rng, p, p.informedSizeMult, venue.instrument(symbol).spec.maxMktQtyLots);
    if (side !== 0 && venue.accounts.has(this.uid)) {
      try {
        this.ctx.timed(() => venue.place(this.uid, { symbol, side, orderType: 'Limit', timeInForce: 'IOC', price: limit, qty, signedAt: venue.clock.now() }));
        this.stats.placed++;
      } catch (e) {
        if (!(e instanceof VenueError)) throw e;
        this.stats.rejected++;
      }
    }
    this.schedule();
  }
}
