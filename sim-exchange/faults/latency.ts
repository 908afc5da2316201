/**
 * Processing latency of the latency fault (docs/faults.md):
 *
 *   base  = lognormal: medianMs · exp(sigma · Z), Z ~ N(0, 1)                 (median = medianMs)
 *           pareto:    xm / (1 − U)^(1/alpha), xm = medianMs / 2^(1/alpha)    (median = medianMs, tail ∝ x^−alpha)
 *   scale = clamp((σ₁ₛ / refVolBps)^volExponent, 1, maxScale)   σ₁ₛ = the market's 1 s volatility in bps; 1 without one
 *   delay = min(maxMs, base · scale)
 */
import type { Rng } from '../rng.ts';
import type { MarketParams } from '../market/params.ts';

export interface LatencyShape {
  readonly dist: 'lognormal' | 'pareto';
  readonly medianMs: number;
  readonly sigma: number;
  readonly alpha: number;
  readonly maxMs: number;
}

export interface VolScaling {
  readonly refVolBps: number;
  readonly volExponent: number;
  readonly maxScale: number;
}

/** A standard normal draw (Box–Muller, one of the pair; two uniforms per draw). */
export function gaussian(rng: Rng): number {
  const u1 = 1 - rng.next(); // (0, 1]
  const u2 = rng.next();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** One delay in ms (two uniforms for lognormal, one for pareto). */
export function sampleLatency(rng: Rng, p: LatencyShape, scale = 1): number {
  let base: number;
  if (p.dist === 'lognormal') base = p.medianMs * Math.exp(p.sigma * gaussian(rng));
  else {
    const xm = p.medianMs / 2 ** (1 / p.alpha);
    base = xm / (1 - rng.next()) ** (1 / p.alpha);
  }
  const d = base * scale;
  return Number.isFinite(d) ? Math.min(p.maxMs, Math.max(0, d)) : p.maxMs;
}

/** The latency multiplier for a 1 s volatility of `volBps` (undefined = no market: 1). */
export function volatilityScale(volBps: number | undefined, s: VolScaling): number {
  if (volBps === undefined || !(volBps > 0)) return 1;
  const k = (volBps / s.refVolBps) ** s.volExponent;
  return Math.min(s.maxScale, Math.max(1, k));
}

/**
 * The 1 s volatility (bps) of the market's latent price under `p`: diffusion and jumps together,
 * √(volBps² + jumpsPerMin/60 · jumpBps²), times √speed when the market runs `speed` × faster than the venue clock.
 * Calm ≈ 0.97, trend ≈ 1.3, vol-spike ≈ 6.4.
 */
export function oneSecondVolBps(p: Pick<MarketParams, 'volBps' | 'jumpsPerMin' | 'jumpBps'>, speed = 1): number {
  return Math.sqrt(p.volBps ** 2 + (p.jumpsPerMin / 60) * p.jumpBps ** 2) * Math.sqrt(speed);
}
