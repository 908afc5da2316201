/**
 * Bybit's per-UID, per-endpoint rolling one-second rate limit (shared/reference/bybit-v5.md §3, §4.2), exact:
 * a request at `now` is granted while fewer than `limit` units were granted in (now - 1000, now].
 *
 * Each (uid, endpoint) keeps a ring of its grants of the last second, run-length encoded by time (n units granted in
 * one ms are one entry), so take() is O(1) amortised whatever n is, and memory follows the actual rate, not the
 * configured limit (benchmarks raise limits to millions). Time comes only through the `now` argument.
 */

export interface LimitDecision {
  /** Units granted by this call (0..n); always 0 for peek(). */
  granted: number;
  /** The per-second limit of this (uid, endpoint). */
  limit: number;
  /** Units still available in the current window after this call. */
  remaining: number;
  /** ms: when the window frees a unit if `remaining` is 0, else `now`. */
  resetAt: number;
}

export const WINDOW_MS = 1000;
const INITIAL_CAPACITY = 8;

class Bucket {
  times: Float64Array;
  counts: Float64Array;
  /** Index of the oldest entry. */
  head = 0;
  /** Number of entries (distinct grant times) in the ring. */
  size = 0;
  /** Units granted in the ring (sum of counts). */
  used = 0;
  constructor(public limit: number) {
    const cap = Math.min(INITIAL_CAPACITY, limit);
    this.times = new Float64Array(cap);
    this.counts = new Float64Array(cap);
  }

  /** Drops grants that left the window (time <= now - 1000); clamps grants "in the future" after a clock step back. */
  evict(now: number): void {
    const cap = this.times.length;
    if (this.size > 0) {
      const newest = (this.head + this.size - 1) % cap;
      if (this.times[newest]! > now) this.clampTo(now);
    }
    const edge = now - WINDOW_MS;
    while (this.size > 0 && this.times[this.head]! <= edge) {
      this.used -= this.counts[this.head]!;
      this.head = this.head + 1 === cap ? 0 : this.head + 1;
      this.size--;
    }
  }

  /** The clock went back: grants stamped after `now` are treated as granted at `now` (keeps the ring sorted). */
  private clampTo(now: number): void {
    const cap = this.times.length;
    for (let i = 0, j = this.head; i < this.size; i++, j = j + 1 === cap ? 0 : j + 1) {
      if (this.times[j]! > now) this.times[j] = now;
    }
  }

  push(now: number, n: number): void {
    let cap = this.times.length;
    if (this.size > 0) {
      const newest = (this.head + this.size - 1) % cap;
      if (this.times[newest] === now) {
        this.counts[newest]! += n;
        this.used += n;
        return;
      }
    }
    if (this.size === cap) {
      this.grow();
      cap = this.times.length;
    }
    const at = (this.head + this.size) % cap;
    this.times[at] = now;
    this.counts[at] = n;
    this.size++;
    this.used += n;
  }

  private grow(): void {
    const cap = this.times.length;
    const next = Math.max(INITIAL_CAPACITY, cap * 2);
    const times = new Float64Array(next);
    const counts = new Float64Array(next);
    for (let i = 0, j = this.head; i < this.size; i++, j = j + 1 === cap ? 0 : j + 1) {
      times[i] = this.times[j]!;
      counts[i] = this.counts[j]!;
    }
    this.times = times;
    this.counts = counts;
    this.head = 0;
  }

  /** When enough of the oldest grants leave the window for one unit to be free again. */
  resetAt(): number {
    const cap = this.times.length;
    let used = this.used;
    for (let i = 0, j = this.head; i < this.size; i++, j = j + 1 === cap ? 0 : j + 1) {
      used -= this.counts[j]!;
      if (used < this.limit) return this.times[j]! + WINDOW_MS;
    }
    /* c8 ignore next */
    return this.size > 0 ? this.times[(this.head + this.size - 1) % cap]! + WINDOW_MS : 0;
  }
}

function checkLimit(name: string, n: number): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`rate limit for ${name} must be a positive integer, got ${n}`);
  return n;
}

export class RateLimiter {
  private readonly limits = new Map<string, number>();
  private defaultLimit: number;
  /** uid → endpoint → bucket (two levels, so no key string is built per call). */
  private readonly buckets = new Map<number | string, Map<string, Bucket>>();
  /**
   * The decision object returned by take()/peek(). It is REUSED by the next call on this limiter (no allocation per
   * call): read it at once, or copy it (`{ ...d }`) to keep it.
   */
  private readonly decision: LimitDecision = { granted: 0, limit: 0, remaining: 0, resetAt: 0 };

  constructor(limits: Readonly<Record<string, number>>, defaultLimit = 50) {
    this.defaultLimit = checkLimit('default', defaultLimit);
    this.setLimits(limits);
  }

  /** The configured per-second limit of an endpoint. */
  limitOf(endpoint: string): number {
    return this.limits.get(endpoint) ?? this.defaultLimit;
  }

  /**
   * Tries to take `n` units (default 1) for (uid, endpoint) at `now`. Grants min(n, free) units: batch endpoints take
   * n = number of orders, the first `granted` succeed, the rest fail individually. `granted === 0` means reject.
   * The returned object is reused by the next take()/peek() on this limiter.
   */
  take(uid: number | string, endpoint: string, now: number, n = 1): LimitDecision {
    if (!(n >= 1) || !Number.isSafeInteger(n)) throw new RangeError(`units must be a positive integer, got ${n}`);
    const b = this.bucket(uid, endpoint);
    b.evict(now);
    const free = b.limit - b.used;
    const granted = free <= 0 ? 0 : n < free ? n : free;
    if (granted > 0) b.push(now, granted);
    return this.decide(b, granted, now);
  }

  /** Like take() without taking: for headers on responses that did not consume. Creates no state for new keys. */
  peek(uid: number | string, endpoint: string, now: number): LimitDecision {
    const b = this.buckets.get(normUid(uid))?.get(endpoint);
    const d = this.decision;
    if (b === undefined) {
      d.granted = 0;
      d.limit = this.limitOf(endpoint);
      d.remaining = d.limit;
      d.resetAt = now;
      return d;
    }
    b.evict(now);
    return this.decide(b, 0, now);
  }

  /**
   * Merges per-endpoint limits into the table (control plane / benchmarks raise them); `defaultLimit` replaces the
   * limit of endpoints not in the table. Applies at once to existing (uid, endpoint) windows, keeping their grants.
   */
  setLimits(limits: Readonly<Record<string, number>>, defaultLimit?: number): void {
    for (const [endpoint, limit] of Object.entries(limits)) this.limits.set(endpoint, checkLimit(endpoint, limit));
    if (defaultLimit !== undefined) this.defaultLimit = checkLimit('default', defaultLimit);
    for (const perUid of this.buckets.values()) {
      for (const [endpoint, b] of perUid) b.limit = this.limitOf(endpoint);
    }
  }

  /** Forgets every grant (limits are kept). */
  reset(): void {
    this.buckets.clear();
  }

  private bucket(uid: number | string, endpoint: string): Bucket {
    const u = normUid(uid);
    let perUid = this.buckets.get(u);
    if (perUid === undefined) {
      perUid = new Map();
      this.buckets.set(u, perUid);
    }
    let b = perUid.get(endpoint);
    if (b === undefined) {
      b = new Bucket(this.limitOf(endpoint));
      perUid.set(endpoint, b);
    }
    return b;
  }

  private decide(b: Bucket, granted: number, now: number): LimitDecision {
    const d = this.decision;
    const remaining = b.limit - b.used;
    d.granted = granted;
    d.limit = b.limit;
    d.remaining = remaining > 0 ? remaining : 0;
    d.resetAt = remaining > 0 ? now : b.resetAt();
    return d;
  }
}

const CANONICAL_UINT = /^(?:0|[1-9]\d{0,14})$/;

/** uid 7 and "7" are the same key (the brief's `${uid}|${endpoint}` semantics) without building a string per call. */
function normUid(uid: number | string): number | string {
  return typeof uid === 'string' && CANONICAL_UINT.test(uid) ? Number(uid) : uid;
}

/** Per-second limits of linear trading/query endpoints ([doc:rate-limit/rate-limit], reference §3). Others: 50. */
export const BYBIT_LINEAR_LIMITS: Record<string, number> = {
  '/v5/order/create': 10,
  '/v5/order/amend': 10,
  '/v5/order/cancel': 10,
  '/v5/order/cancel-all': 10,
  '/v5/order/create-batch': 10,
  '/v5/order/amend-batch': 10,
  '/v5/order/cancel-batch': 10,
  '/v5/order/realtime': 50,
  '/v5/order/history': 50,
  '/v5/execution/list': 50,
  '/v5/position/list': 50,
  '/v5/account/wallet-balance': 50,
  '/v5/account/fee-rate': 5,
  '/v5/order/disconnected-cancel-all': 5,
};

/** Default limit of endpoints not in BYBIT_LINEAR_LIMITS. */
export const BYBIT_DEFAULT_LIMIT = 50;

/** The three headers Bybit puts on every response (pybit crashed once when one was missing, reference §4.2). */
export function limitHeaders(d: LimitDecision): Record<string, string> {
  return {
    'X-Bapi-Limit': String(d.limit),
    'X-Bapi-Limit-Status': String(d.remaining),
    'X-Bapi-Limit-Reset-Timestamp': String(d.resetAt),
  };
}
