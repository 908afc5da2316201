import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BYBIT_DEFAULT_LIMIT,
  BYBIT_LINEAR_LIMITS,
  RateLimiter,
  limitHeaders,
  type LimitDecision,
} from '../../sim-exchange/bybit-v5/rate-limit.ts';

const T = 1_700_000_000_000;
const EP = '/v5/order/create';

/** take() reuses its result object; copy it to keep it. */
const take = (l: RateLimiter, uid: number | string, now: number, n?: number, ep = EP): LimitDecision => ({
  ...l.take(uid, ep, now, n),
});
const peek = (l: RateLimiter, uid: number | string, now: number, ep = EP): LimitDecision => ({ ...l.peek(uid, ep, now) });

describe('RateLimiter window', () => {
  it('grants `limit` requests then refuses within (now-1000, now]', () => {
    const l = new RateLimiter({ [EP]: 3 });
    expect(take(l, 1, T)).toEqual({ granted: 1, limit: 3, remaining: 2, resetAt: T });
    expect(take(l, 1, T + 10)).toEqual({ granted: 1, limit: 3, remaining: 1, resetAt: T + 10 });
    expect(take(l, 1, T + 20)).toEqual({ granted: 1, limit: 3, remaining: 0, resetAt: T + 1000 });
    expect(take(l, 1, T + 30)).toEqual({ granted: 0, limit: 3, remaining: 0, resetAt: T + 1000 });
  });

  it('a grant at t still counts at t+999 and is gone at t+1000 (exact sliding window)', () => {
    const l = new RateLimiter({ [EP]: 2 });
    take(l, 1, T);
    take(l, 1, T + 500);
    expect(take(l, 1, T + 999).granted).toBe(0);
    const d = take(l, 1, T + 1000);
    expect(d.granted).toBe(1);
    expect(d.remaining).toBe(0);
    expect(d.resetAt).toBe(T + 1500); // the grant at T+500 frees next
    expect(take(l, 1, T + 1499).granted).toBe(0);
    expect(take(l, 1, T + 1500).granted).toBe(1);
  });

  it('is not a fixed window: a burst at the end of one second blocks the start of the next', () => {
    const l = new RateLimiter({ [EP]: 2 });
    take(l, 1, T + 990);
    take(l, 1, T + 995);
    expect(take(l, 1, T + 1005).granted).toBe(0);
    expect(take(l, 1, T + 1990).granted).toBe(1);
  });

  it('keeps uids and endpoints apart', () => {
    const l = new RateLimiter({ [EP]: 1, '/v5/order/cancel': 1 });
    expect(take(l, 1, T).granted).toBe(1);
    expect(take(l, 1, T).granted).toBe(0);
    expect(take(l, 2, T).granted).toBe(1);
    expect(take(l, 1, T, 1, '/v5/order/cancel').granted).toBe(1);
  });

  it('treats uid 7 and "7" as the same key, other strings (IPs) as their own', () => {
    const l = new RateLimiter({ [EP]: 1 });
    expect(take(l, 7, T).granted).toBe(1);
    expect(take(l, '7', T).granted).toBe(0);
    expect(take(l, '07', T).granted).toBe(1);
    expect(take(l, '127.0.0.1', T).granted).toBe(1);
    expect(take(l, '127.0.0.1', T).granted).toBe(0);
  });

  it('uses the default limit for unknown endpoints (50 unless given)', () => {
    expect(take(new RateLimiter({}), 1, T, 1, '/v5/x').limit).toBe(50);
    expect(take(new RateLimiter({}, 7), 1, T, 1, '/v5/x').limit).toBe(7);
  });
});

describe('RateLimiter batches', () => {
  it('grants the first units that fit and refuses the rest', () => {
    const l = new RateLimiter({ [EP]: 10 });
    expect(take(l, 1, T, 4)).toEqual({ granted: 4, limit: 10, remaining: 6, resetAt: T });
    expect(take(l, 1, T + 1, 10)).toEqual({ granted: 6, limit: 10, remaining: 0, resetAt: T + 1000 });
    expect(take(l, 1, T + 2, 3)).toEqual({ granted: 0, limit: 10, remaining: 0, resetAt: T + 1000 });
    // the 4 units of T free at T+1000, the 6 of T+1 at T+1001
    expect(take(l, 1, T + 1000, 5)).toEqual({ granted: 4, limit: 10, remaining: 0, resetAt: T + 1001 });
    expect(take(l, 1, T + 1001, 20)).toEqual({ granted: 6, limit: 10, remaining: 0, resetAt: T + 2000 });
  });

  it('a batch larger than the limit gets exactly `limit`', () => {
    const l = new RateLimiter({ [EP]: 10 });
    expect(take(l, 1, T, 25).granted).toBe(10);
  });

  it('refuses invalid unit counts', () => {
    const l = new RateLimiter({ [EP]: 10 });
    for (const n of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => l.take(1, EP, T, n)).toThrow(RangeError);
  });
});

describe('RateLimiter reset timestamp and peek', () => {
  it('resetAt is now while units remain, the freeing time when exhausted', () => {
    const l = new RateLimiter({ [EP]: 2 });
    expect(take(l, 1, T).resetAt).toBe(T);
    expect(take(l, 1, T + 300).resetAt).toBe(T + 1000);
    expect(peek(l, 1, T + 999)).toEqual({ granted: 0, limit: 2, remaining: 0, resetAt: T + 1000 });
    expect(peek(l, 1, T + 1000)).toEqual({ granted: 0, limit: 2, remaining: 1, resetAt: T + 1000 });
  });

  it('peek does not take and creates no window for new keys', () => {
    const l = new RateLimiter({ [EP]: 1 });
    expect(peek(l, 9, T)).toEqual({ granted: 0, limit: 1, remaining: 1, resetAt: T });
    expect(peek(l, 9, T)).toEqual({ granted: 0, limit: 1, remaining: 1, resetAt: T });
    expect(take(l, 9, T).granted).toBe(1);
    expect(peek(l, 9, T + 1)).toEqual({ granted: 0, limit: 1, remaining: 0, resetAt: T + 1000 });
  });

  it('returns one reused decision object (no allocation per call)', () => {
    const l = new RateLimiter({ [EP]: 5 });
    const a = l.take(1, EP, T);
    const b = l.take(2, EP, T);
    const c = l.peek(3, EP, T);
    expect(a).toBe(b);
    expect(b).toBe(c);
  });
});

describe('RateLimiter setLimits / reset', () => {
  it('raises a limit at once, keeping the grants already made', () => {
    const l = new RateLimiter({ [EP]: 2 });
    take(l, 1, T, 2);
    expect(take(l, 1, T).granted).toBe(0);
    l.setLimits({ [EP]: 5 });
    expect(take(l, 1, T + 1, 10)).toEqual({ granted: 3, limit: 5, remaining: 0, resetAt: T + 1000 });
  });

  it('lowers a limit below the current usage: refuses until enough grants expire', () => {
    const l = new RateLimiter({ [EP]: 10 });
    take(l, 1, T, 3);
    take(l, 1, T + 100, 3);
    l.setLimits({ [EP]: 2 });
    const d = take(l, 1, T + 200);
    expect(d).toEqual({ granted: 0, limit: 2, remaining: 0, resetAt: T + 1100 }); // after T+1000 still 3 >= 2
    expect(take(l, 1, T + 1000).granted).toBe(0);
    expect(take(l, 1, T + 1100).granted).toBe(1);
  });

  it('merges: endpoints not mentioned keep their limit; defaultLimit changes unlisted endpoints', () => {
    const l = new RateLimiter({ [EP]: 2, '/v5/order/amend': 3 });
    l.setLimits({ [EP]: 4 });
    expect(l.limitOf('/v5/order/amend')).toBe(3);
    expect(l.limitOf(EP)).toBe(4);
    take(l, 1, T, 1, '/v5/other');
    l.setLimits({}, 1000);
    expect(l.limitOf('/v5/other')).toBe(1000);
    expect(take(l, 1, T, 1, '/v5/other').limit).toBe(1000);
    expect(l.limitOf(EP)).toBe(4);
  });

  it('rejects non-positive or non-integer limits', () => {
    expect(() => new RateLimiter({ [EP]: 0 })).toThrow(RangeError);
    expect(() => new RateLimiter({}, 0)).toThrow(RangeError);
    expect(() => new RateLimiter({ [EP]: 1.5 })).toThrow(RangeError);
    expect(() => new RateLimiter({ [EP]: Number.POSITIVE_INFINITY })).toThrow(RangeError);
    expect(() => new RateLimiter({}).setLimits({ [EP]: -1 })).toThrow(RangeError);
  });

  it('reset() forgets all grants', () => {
    const l = new RateLimiter({ [EP]: 1 });
    take(l, 1, T);
    expect(take(l, 1, T).granted).toBe(0);
    l.reset();
    expect(take(l, 1, T).granted).toBe(1);
  });
});

describe('RateLimiter robustness', () => {
  it('huge limits cost memory by rate, not by limit', () => {
    const l = new RateLimiter({ [EP]: 1_000_000_000 });
    for (let i = 0; i < 10_000; i++) expect(l.take(1, EP, T + i).granted).toBe(1);
    expect(peek(l, 1, T + 10_000).remaining).toBe(1_000_000_000 - 999);
  });

  it('a clock step back does not block for the size of the step', () => {
    const l = new RateLimiter({ [EP]: 2 });
    take(l, 1, T + 3_600_000, 2);
    // clock went back an hour: the grants are treated as made "now"
    expect(take(l, 1, T).granted).toBe(0);
    expect(take(l, 1, T + 1000).granted).toBe(1);
  });

  it('grows the ring across wrap-around without losing order', () => {
    const l = new RateLimiter({ [EP]: 100 });
    let t = T;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 7 + (round % 13); i++) l.take(1, EP, t++);
      t += 400;
    }
    // compare with a brute-force count
    const l2 = new RateLimiter({ [EP]: 100 });
    const grants: number[] = [];
    t = T;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 7 + (round % 13); i++) {
        if (l2.take(1, EP, t).granted) grants.push(t);
        t++;
      }
      t += 400;
    }
    const inWindow = grants.filter((g) => g > t - 1000).length;
    expect(peek(l, 1, t).remaining).toBe(100 - inWindow);
  });

  it('matches a brute-force sliding window on random traffic (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 1, max: 6 }), fc.boolean()), {
          maxLength: 120,
        }),
        (limit, steps) => {
          const l = new RateLimiter({ [EP]: limit });
          const log: Array<{ t: number; n: number }> = [];
          let now = T;
          for (const [dt, n, isPeek] of steps) {
            now += dt;
            const used = log.filter((g) => g.t > now - 1000).reduce((s, g) => s + g.n, 0);
            const free = Math.max(0, limit - used);
            if (isPeek) {
              const d = l.peek(1, EP, now);
              if (d.granted !== 0 || d.remaining !== free) return false;
              continue;
            }
            const d = l.take(1, EP, now, n);
            const expGranted = Math.min(n, free);
            if (d.granted !== expGranted) return false;
            if (expGranted > 0) log.push({ t: now, n: expGranted });
            const remaining = free - expGranted;
            if (d.remaining !== remaining || d.limit !== limit) return false;
            if (remaining > 0) {
              if (d.resetAt !== now) return false;
            } else {
              // earliest t' > now at which fewer than `limit` units remain in (t'-1000, t']
              const live = log.filter((g) => g.t > now - 1000).sort((a, b) => a.t - b.t);
              let u = live.reduce((s, g) => s + g.n, 0);
              let exp = 0;
              for (const g of live) {
                u -= g.n;
                if (u < limit) {
                  exp = g.t + 1000;
                  break;
                }
              }
              if (d.resetAt !== exp) return false;
            }
          }
          return true;
        },
      ),
      { numRuns: 300, seed: 42 },
    );
  });
});

describe('BYBIT_LINEAR_LIMITS', () => {
  it('has the reference §3 per-second limits', () => {
    expect(BYBIT_LINEAR_LIMITS).toEqual({
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
    });
    expect(BYBIT_DEFAULT_LIMIT).toBe(50);
    const l = new RateLimiter(BYBIT_LINEAR_LIMITS);
    expect(l.limitOf('/v5/market/tickers')).toBe(50);
    expect(l.limitOf('/v5/account/fee-rate')).toBe(5);
  });
});

describe('limitHeaders', () => {
  it('gives all three headers as strings', () => {
    expect(limitHeaders({ granted: 1, limit: 10, remaining: 9, resetAt: 1672738134824 })).toEqual({
      'X-Bapi-Limit': '10',
      'X-Bapi-Limit-Status': '9',
      'X-Bapi-Limit-Reset-Timestamp': '1672738134824',
    });
  });
});
