import { z } from 'zod';

/**
 * Regime parameters: one plain object drives the latent price, the liquidity providers (as multipliers of each LP's
 * own style) and the takers. Every regime is a complete MarketParams; overrides are partial. Units are in the names
 * (bps, ms, per second, lots). Documented parameter by parameter in docs/market.md.
 */
export const Shock = z
  .object({
    /** Jump of the latent price on entering the regime, bps (negative = crash). */
    jumpBps: z.number().min(-5000).max(5000),
    /** How long liquidity stays withdrawn after the jump, ms. */
    withdrawMs: z.number().min(0).max(600_000),
    /** LP size multiplier while withdrawn (on top of depthMult). */
    withdrawDepthMult: z.number().min(0.001).max(1),
    /** LP spread multiplier while withdrawn (on top of spreadMult). */
    withdrawSpreadMult: z.number().min(1).max(1000),
    /** Fraction of the jump given back after the withdrawal, 0..1. */
    reboundFraction: z.number().min(0).max(1),
    /** Duration of the (linear) rebound, ms. */
    reboundMs: z.number().min(0).max(3_600_000),
  })
  .strict();
export type Shock = z.infer<typeof Shock>;

export const MarketParams = z
  .object({
    /** Diffusion volatility of the latent price, bps per √second. */
    volBps: z.number().min(0).max(1000),
    /** Drift of the latent price, bps per minute (trend). */
    driftBpsPerMin: z.number().min(-10_000).max(10_000),
    /** Poisson rate of latent jumps, per minute. */
    jumpsPerMin: z.number().min(0).max(600),
    /** Mean absolute jump size, bps (Laplace: symmetric, exponential tails). */
    jumpBps: z.number().min(0).max(5000),
    /** Multiplies every LP's sizes. */
    depthMult: z.number().min(0.001).max(100),
    /** Multiplies every LP's half-spread and level step (results are at least one tick). */
    spreadMult: z.number().min(0.1).max(1000),
    /** Multiplies every LP's reaction latency and refresh period. */
    lpLatencyMult: z.number().min(0.01).max(1000),
    /** Taker order arrivals per second (noise + informed), long-run mean. */
    takerRatePerS: z.number().min(0).max(100_000),
    /** Hawkes branching ratio of noise arrivals: share of arrivals triggered by earlier ones (0 = Poisson). */
    hawkesBranching: z.number().min(0).max(0.95),
    /** Decay time of the Hawkes excitation, ms. */
    hawkesDecayMs: z.number().min(1).max(600_000),
    /** Taker order size: lognormal median (lots) and log-σ. */
    sizeMedianLots: z.number().min(1).max(1_000_000),
    sizeSigma: z.number().min(0).max(5),
    /** With this probability a size is drawn from a Pareto tail instead (xm = tailMinLots, shape tailAlpha). */
    tailProb: z.number().min(0).max(1),
    tailMinLots: z.number().min(1).max(1_000_000),
    tailAlpha: z.number().min(0.5).max(10),
    /** Taker sizes are truncated here: a draw above it is drawn again (the venue's market-order cap applies after). */
    sizeMaxLots: z.number().min(1).max(100_000_000),
    /** Probability a noise taker trades on the same side as the previous one (order-flow sign persistence). */
    sameSideProb: z.number().min(0).max(1),
    /** Share of taker arrivals that are informed. */
    informedShare: z.number().min(0).max(1),
    /** How far ahead informed takers see the latent price, ms. */
    informedHorizonMs: z.number().min(0).max(60_000),
    /** Informed takers trade only levels at least this far (ticks) on the right side of the future latent price. */
    informedMinEdgeTicks: z.number().min(0).max(1_000_000),
    /** Informed size multiplier (on the common size distribution). */
    informedSizeMult: z.number().min(0.01).max(100),
    /** Applied once when the regime is entered (flash crash); null = none. */
    shock: Shock.nullable(),
  })
  .strict();
export type MarketParams = z.infer<typeof MarketParams>;

/** Overrides as the control plane and timelines take them. */
export const ParamOverrides = MarketParams.partial().strict();
export type ParamOverrides = z.infer<typeof ParamOverrides>;

export const REGIME_NAMES = ['calm', 'trend', 'vol-spike', 'flash-crash', 'liquidity-drought', 'toxic-flow'] as const;
export type RegimeName = (typeof REGIME_NAMES)[number];
export const RegimeName = z.enum(REGIME_NAMES);

/**
 * Calm resembles Binance BTCUSDT perp in a quiet hour (../shared/data capture, 2024-08-08 23:54-24:00Z; the comparison
 * is `npm run calibrate`, docs/calibration.md). The fair price moves in jumps (≈ 0.75/s, mean 1.12 bps ≈ 67 ticks)
 * with a faint diffusion, so the mid is still in about 40 % of the seconds and the 1 s σ is ≈ 1.3 bps. ≈ 16 taker
 * orders/s, lognormal(median 30 lots, σ 2.45) like the capture's taker bursts (p10…p99), truncated at 50 BTC (its
 * largest bursts are 43–57 BTC); each fills ≈ 4 small resting orders, giving ≈ 65 prints/s of median 0.016 BTC. The
 * book shape comes from the LP styles (agents/lp.ts).
 */
export const CALM: MarketParams = {
  volBps: 0.02,
  driftBpsPerMin: 0,
  jumpsPerMin: 45,
  jumpBps: 1.12,
  depthMult: 1,
  spreadMult: 1,
  lpLatencyMult: 1,
  takerRatePerS: 16,
  hawkesBranching: 0.5,
  hawkesDecayMs: 200,
  sizeMedianLots: 30,
  sizeSigma: 2.45,
  tailProb: 0,
  tailMinLots: 10_000,
  tailAlpha: 2,
  sizeMaxLots: 50_000,
  sameSideProb: 0.6,
  informedShare: 0.05,
  informedHorizonMs: 1000,
  informedMinEdgeTicks: 5,
  informedSizeMult: 1,
  shock: null,
};

/**
 * The other regimes are calm with changes. Taker rates are relative to calm's (taker orders are ≈ 4 prints each); a
 * regime that sets its own diffusion keeps calm's jumps unless it sets those too (trend and liquidity-drought: 1 s σ
 * ≈ 1.5–1.7 bps in total, vol-spike and flash-crash: their own jumps).
 */
export const REGIMES: Record<RegimeName, MarketParams> = {
  calm: CALM,
  trend: { ...CALM, driftBpsPerMin: 20, volBps: 0.8, informedShare: 0.15, sameSideProb: 0.7 },
  'vol-spike': { ...CALM, volBps: 6, jumpsPerMin: 3, jumpBps: 10, spreadMult: 3, depthMult: 0.5, takerRatePerS: 15, lpLatencyMult: 0.5 },
  'flash-crash': {
    ...CALM, volBps: 4, jumpsPerMin: 1, jumpBps: 10, spreadMult: 2, depthMult: 0.6, takerRatePerS: 13, sameSideProb: 0.8,
    shock: { jumpBps: -300, withdrawMs: 3000, withdrawDepthMult: 0.05, withdrawSpreadMult: 20, reboundFraction: 0.5, reboundMs: 10_000 },
  },
  'liquidity-drought': { ...CALM, volBps: 0.8, depthMult: 0.15, spreadMult: 4, lpLatencyMult: 4, takerRatePerS: 4 },
  'toxic-flow': { ...CALM, informedShare: 0.5, informedHorizonMs: 2000, informedMinEdgeTicks: 3, informedSizeMult: 2 },
};

export function regimeParams(name: RegimeName, overrides: ParamOverrides = {}): MarketParams {
  return { ...REGIMES[name], ...stripUndefined(overrides) };
}

/** Linear interpolation of every numeric field; `shock` is the target's (a shock is applied at the start). */
export function lerpParams(a: MarketParams, b: MarketParams, w: number): MarketParams {
  if (w >= 1) return b;
  const out: Record<string, unknown> = { ...b };
  for (const k of Object.keys(b) as (keyof MarketParams)[]) {
    const x = a[k];
    const y = b[k];
    if (typeof x === 'number' && typeof y === 'number') out[k] = x + (y - x) * Math.max(0, w);
  }
  return out as MarketParams;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
