import type { Rng } from '../rng.ts';
import type { MarketParams, Shock } from './params.ts';
import { normal, laplace } from './dists.ts';

/** Liquidity multipliers a shock imposes at one instant (1 = none). */
export interface Withdrawal {
  readonly depth: number;
  readonly spread: number;
}

interface ActiveShock {
  readonly atUs: number;
  /** Log-size of the jump. */
  readonly jump: number;
  readonly spec: Shock;
}

/**
 * The latent (fair) price: a log-price diffusion on a fixed time grid, with regime-dependent volatility and drift,
 * compound-Poisson jumps, and deterministic shock paths (flash crash: jump, hold, partial linear rebound).
 *
 * The path is generated ahead of time so informed takers can look `horizon` into the future; it is piecewise constant
 * between grid points, so liquidity providers see discrete moves and react to each. A parameter change discards the
 * future beyond `now` and redraws it under the new parameters (a regime change is news nobody could foresee).
 * Prices are floats in ticks; consumers round.
 */
export class LatentPrice {
  /** Grid times (µs) and base log-prices; index 0 is the last point at or before `now`. */
  private times: number[] = [];
  private logs: number[] = [];
  private params: MarketParams;
  private readonly shocks: ActiveShock[] = [];

  constructor(
    private readonly rng: Rng,
    startTicks: number,
    startUs: number,
    readonly stepUs: number,
    params: MarketParams,
  ) {
    this.params = params;
    this.times.push(startUs);
    this.logs.push(Math.log(startTicks));
  }

  /** New parameters from `nowUs` on: the drawn future is discarded. */
  setParams(params: MarketParams, nowUs: number): void {
    this.params = params;
    this.trim(nowUs);
    this.times.length = 1;
    this.logs.length = 1;
  }

  /** Starts a shock at `atUs` (the next grid point on). */
  addShock(spec: Shock, atUs: number): void {
    this.shocks.push({ atUs, jump: Math.log(1 + spec.jumpBps / 10_000), spec });
  }

  /** Fair price (ticks) in force at time `tUs`: the last grid point at or before it, plus shock offsets. */
  at(tUs: number): number {
    this.ensure(tUs);
    // Points are few (horizon / step ≤ a few hundred); scan from the end, where look-ups usually land.
    let i = this.times.length - 1;
    while (i > 0 && this.times[i]! > tUs) i--;
    const t = this.times[i]!;
    return Math.exp(this.logs[i]! + this.offset(t));
  }

  /** The next grid time after `tUs` (when the fair price may move next). */
  nextStepAfter(tUs: number): number {
    const t0 = this.times[0]!;
    return t0 + (Math.floor((tUs - t0) / this.stepUs) + 1) * this.stepUs;
  }

  /** Drops grid points before `nowUs` except the one in force. */
  trim(nowUs: number): void {
    let k = 0;
    while (k + 1 < this.times.length && this.times[k + 1]! <= nowUs) k++;
    if (k > 0) {
      this.times.splice(0, k);
      this.logs.splice(0, k);
    }
  }

  /** Liquidity withdrawal in force at `tUs` (product over shocks; recovers linearly over the rebound). */
  withdrawal(tUs: number): Withdrawal {
    let depth = 1;
    let spread = 1;
    for (const s of this.shocks) {
      const w = this.shockWeight(s, tUs);
      if (w <= 0) continue;
      depth *= 1 - w * (1 - s.spec.withdrawDepthMult);
      spread *= 1 + w * (s.spec.withdrawSpreadMult - 1);
    }
    return { depth, spread };
  }

  private ensure(tUs: number): void {
    const p = this.params;
    const dt = this.stepUs / 1e6;
    const drift = (p.driftBpsPerMin / 10_000 / 60) * dt;
    const vol = (p.volBps / 10_000) * Math.sqrt(dt);
    const pJump = (p.jumpsPerMin / 60) * dt;
    while (this.times[this.times.length - 1]! < tUs) {
      const n = this.times.length - 1;
      let d = drift + vol * normal(this.rng);
      if (pJump > 0 && this.rng.next() < pJump) d += Math.log(1 + laplace(this.rng, p.jumpBps) / 10_000);
      this.times.push(this.times[n]! + this.stepUs);
      this.logs.push(this.logs[n]! + d);
    }
  }

  private offset(tUs: number): number {
    let x = 0;
    for (const s of this.shocks) {
      if (tUs < s.atUs) continue;
      const held = s.atUs + s.spec.withdrawMs * 1000;
      const end = held + s.spec.reboundMs * 1000;
      if (tUs < held) x += s.jump;
      else if (tUs < end) x += s.jump * (1 - s.spec.reboundFraction * ((tUs - held) / (end - held)));
      else x += s.jump * (1 - s.spec.reboundFraction);
    }
    return x;
  }

  /** 1 while liquidity is withdrawn, falling linearly to 0 over the rebound. */
  private shockWeight(s: ActiveShock, tUs: number): number {
    if (tUs < s.atUs) return 0;
    const held = s.atUs + s.spec.withdrawMs * 1000;
    if (tUs < held) return 1;
    const end = held + s.spec.reboundMs * 1000;
    return tUs < end ? 1 - (tUs - held) / (end - held) : 0;
  }
}
