/**
 * Bybit's per-endpoint rate limits as the venue reports them on every REST response (X-Bapi-Limit: the limit,
 * X-Bapi-Limit-Status: what is left in the rolling second, X-Bapi-Limit-Reset-Timestamp: when a unit frees up if
 * none is left). bybit-api parses them into `rateLimitApi` when its `parseAPIRateLimits` option is on.
 *
 * The gate holds a send while the venue has told us the window is used up, until the reset time it gave. Between
 * replies it counts what it sends, and a reply's figures are read net of the units still in flight (they may have
 * reached the venue after the request it answers), so overlapping sends do not all go out into a window known to be
 * empty. When the count runs out without a reset time from the venue, it sends anyway: the venue then answers 10006
 * with a reset time, and the retry waits for it. Time is venue wall time (ms since epoch).
 */

export interface LimitInfo {
  readonly max: number;
  readonly remaining: number;
  readonly resetAt: number;
}

/** bybit-api's parsed headers (`rateLimitApi`), or undefined when absent or malformed. */
export function limitFromReply(r: unknown): LimitInfo | undefined {
  const x = (r as { rateLimitApi?: { remainingRequests?: unknown; maxRequests?: unknown; resetAtTimestamp?: unknown } } | null)?.rateLimitApi;
  if (!x) return undefined;
  const max = Number(x.maxRequests);
  const remaining = Number(x.remainingRequests);
  const resetAt = Number(x.resetAtTimestamp);
  if (![max, remaining, resetAt].every(Number.isFinite)) return undefined;
  return { max, remaining, resetAt };
}

export class RateLimitGate {
  private readonly state = new Map<string, { max: number; remaining: number; resetAt: number }>();
  /** Units sent and not yet answered, per endpoint. */
  private readonly inflight = new Map<string, number>();

  constructor(
    private readonly wallNow: () => number = Date.now,
    /** A reset further away than this is not believed (clock skew); waits are capped to it. */
    private readonly maxWaitMs = 1100,
  ) {}

  /** Latest reply of `endpoint`: the venue's figures, less what is still in flight, replace our local count. */
  update(endpoint: string, info: LimitInfo): void {
    const pending = this.inflight.get(endpoint) ?? 0;
    this.state.set(endpoint, { ...info, remaining: Math.max(0, info.remaining - pending) });
  }

  /** A request of `units` on `endpoint` was answered (`info`: the figures of its reply, if any) or failed. */
  done(endpoint: string, units: number, info?: LimitInfo): void {
    const left = (this.inflight.get(endpoint) ?? 0) - units;
    if (left > 0) this.inflight.set(endpoint, left);
    else this.inflight.delete(endpoint);
    if (info) this.update(endpoint, info);
  }

  /** How long to hold a send on `endpoint` now (ms); 0 = go. Pure given the state. */
  waitMs(endpoint: string): number {
    const s = this.state.get(endpoint);
    if (!s || s.remaining > 0) return 0;
    const wait = s.resetAt - this.wallNow();
    return wait > 0 ? Math.min(wait, this.maxWaitMs) : 0;
  }

  /** Counts `units` sent on `endpoint` (batch endpoints count one unit per order); pair with done(). */
  take(endpoint: string, units: number): void {
    this.inflight.set(endpoint, (this.inflight.get(endpoint) ?? 0) + units);
    const s = this.state.get(endpoint);
    if (s) s.remaining = Math.max(0, s.remaining - units);
  }

  /** After a wait, the window has rolled by an unknown amount: treated as a spent window whose reset has passed. */
  forget(endpoint: string): void {
    const s = this.state.get(endpoint);
    if (s) this.state.set(endpoint, { max: s.max, remaining: 0, resetAt: Math.min(s.resetAt, this.wallNow()) });
  }

  /**
   * Units that can go out on `endpoint` now without a 10006, as far as the venue's last figures tell: what is left;
   * once a spent window's reset time has passed, one unit at a time (the window rolls: how many units it frees is
   * unknown until the next reply, so nothing else goes out while that unit is in flight); Infinity when the venue
   * has not told us yet.
   */
  budget(endpoint: string): number {
    const s = this.state.get(endpoint);
    if (!s) return Number.POSITIVE_INFINITY;
    if (s.remaining > 0) return s.remaining;
    return s.resetAt <= this.wallNow() && !this.inflight.has(endpoint) ? 1 : 0;
  }

  snapshot(endpoint: string): LimitInfo | undefined {
    const s = this.state.get(endpoint);
    return s ? { ...s } : undefined;
  }
}
