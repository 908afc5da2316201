/**
 * Retry policy: which answers are worth another try, and how long to wait. Pure (the random source is injected, so
 * a seeded run waits the same every time).
 *
 * Retried: 10006 (rate limit: wait for the venue's reset time, at least the backoff), 10016 (server error / restart),
 * HTTP 5xx and 429, network errors and timeouts. Everything else is final: a business refusal does not change by
 * asking again.
 */

export interface RetryPolicy {
  /** Tries per request, the first included. */
  readonly maxAttempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
  /** Per-request timeout. */
  readonly timeoutMs: number;
  /**
   * 10006 is not a failure but a "not yet": it is retried after the venue's reset time for as long as this (ms) from
   * the first try, however many rounds that takes (a sliding window frees one unit at a time).
   */
  readonly rateLimitPatienceMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseMs: 50, maxMs: 2000, timeoutMs: 5000, rateLimitPatienceMs: 10_000 };

export const RATE_LIMITED = 10006;
export const SERVER_ERROR = 10016;

export const isRetryableCode = (retCode: number): boolean => retCode === RATE_LIMITED || retCode === SERVER_ERROR;

/**
 * Wait before retry number `retry` (0 = the first retry): exponential, capped, with "equal jitter" — half fixed, half
 * random — so that retries of requests that failed together spread out but never collapse to zero.
 */
export function backoffMs(retry: number, p: Pick<RetryPolicy, 'baseMs' | 'maxMs'>, random: () => number): number {
  const cap = Math.min(p.maxMs, p.baseMs * 2 ** Math.max(0, retry));
  return cap / 2 + (cap / 2) * random();
}

/** Mulberry32: a tiny seeded PRNG for reproducible jitter. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
