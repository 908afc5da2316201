import type { Rng } from '../rng.ts';

/**
 * Random draws over the seeded Rng. Pure functions of the stream: the same stream state gives the same draw.
 * `1 - next()` is in (0, 1], so logarithms never see 0.
 */

export function uniformOpen(rng: Rng): number {
  return 1 - rng.next();
}

/** Standard normal (Box–Muller; one draw per call keeps streams easy to reason about). */
export function normal(rng: Rng): number {
  const u = uniformOpen(rng);
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export function exponential(rng: Rng, mean: number): number {
  return -Math.log(uniformOpen(rng)) * mean;
}

export function lognormal(rng: Rng, median: number, sigma: number): number {
  return median * Math.exp(sigma * normal(rng));
}

/** Pareto with scale xm and shape alpha: P(X > x) = (xm / x)^alpha. */
export function pareto(rng: Rng, xm: number, alpha: number): number {
  return xm / Math.pow(uniformOpen(rng), 1 / alpha);
}

/** Symmetric Laplace with mean absolute value `scale`. */
export function laplace(rng: Rng, scale: number): number {
  const e = exponential(rng, scale);
  return rng.next() < 0.5 ? -e : e;
}
