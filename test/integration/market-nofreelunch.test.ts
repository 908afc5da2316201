/**
 * No free lunch: a client that always joins the touch on both sides, trading in the same book as the background
 * market. It runs in-process on a ManualClock (the client calls venue.place/cancel directly, no HTTP), reacting
 * after every market event — the fastest possible joiner, so whatever it loses is adverse selection, not latency.
 * PnL is computed from the venue ledger (cash flows and fees of its fills, the final position marked at the mid), in
 * bps of traded notional. Bands are documented in docs/market.md ("No free lunch").
 */
import { describe, it, expect } from 'vitest';
import { Venue } from '../../sim-exchange/venue/venue.ts';
import { ManualClock } from '../../sim-exchange/clock.ts';
import { DEFAULT_INSTRUMENTS } from '../../sim-exchange/instruments.ts';
import { Market } from '../../sim-exchange/market/market.ts';
import type { ParamOverrides, RegimeName } from '../../sim-exchange/market/params.ts';
import { isOpen, type OrderRecord } from '../../sim-exchange/venue/orders.ts';
import type { Side } from '../../sim-exchange/engine/types.ts';

const S = 'BTCUSDT';

interface ClientRun {
  fills: number;
  pnlBps: number;
  halfSpreadBps: number;
  /** Σ side × (mid before − price) / notional: the spread captured at the moment of each fill. */
  edgeBps: number;
  informedFills: number;
}

function runTouchClient(o: { seed: number; regime: RegimeName; params?: ParamOverrides; durationMs: number; qty: number; maxPos: number }): ClientRun {
  const clock = new ManualClock(1_700_000_000_000);
  const venue = new Venue({ instruments: DEFAULT_INSTRUMENTS, clock, seed: o.seed });
  const market = new Market(venue, { seed: o.seed, regime: o.regime, params: o.params ?? {}, startPrice: '60000', setClock: (ms) => clock.set(ms) });
  // Maker fee 0: "half the spread minus fees" with fees = 0, so the band is about the spread alone.
  const uid = venue.createAccount({ apiKey: 'touch-client', secret: 'touch-secret', balance: '50000000', makerFeeRate: '0', leverage: 100 }).uid;
  const book = venue.book(S);
  const mine = new Map<Side, OrderRecord>();
  /** The best price others quote on a side (our own lots taken out of the level). */
  const othersBest = (side: Side): number | undefined => {
    const own = mine.get(side);
    for (const [p, q] of book.depth(side, 3)) {
      const ownHere = own && isOpen(own) && own.price === p ? own.qty - own.filled : 0;
      if (q > ownHere) return p;
    }
    return undefined;
  };
  const requote = (): void => {
    const pos = venue.account(uid).positions.get(S)?.size ?? 0;
    for (const side of [1, -1] as const) {
      const own = mine.get(side);
      const want = (side === 1 ? pos < o.maxPos : pos > -o.maxPos) ? othersBest(side) : undefined;
      if (own && isOpen(own) && own.price === want) continue;
      if (own && isOpen(own)) venue.cancel(uid, { symbol: S, orderId: own.orderId });
      mine.delete(side);
      if (want === undefined) continue;
      const r = venue.place(uid, { symbol: S, side, orderType: 'Limit', timeInForce: 'PostOnly', price: want, qty: o.qty, signedAt: clock.now() });
      if (isOpen(r)) mine.set(side, r);
    }
  };
  const start = clock.now();
  market.advanceTo(start + 2000);
  const end = start + 2000 + o.durationMs;
  while ((market.nextEventMs() ?? Infinity) <= end) {
    market.step();
    requote();
  }

  const inst = venue.instrument(S);
  let cash = 0;
  let notional = 0;
  let pos = 0;
  let edge = 0;
  const fills = venue.ledger.of(uid);
  for (const f of fills) {
    cash -= f.side * f.notional + f.fee;
    notional += f.notional;
    pos += f.side * f.qty;
    if (f.midBefore !== null) edge += f.side * (f.midBefore - f.price) * f.qty * inst.cashPerTickLot;
  }
  const mid = venue.mid(S)!;
  const pnl = cash + pos * mid * inst.cashPerTickLot;
  return {
    fills: fills.length,
    pnlBps: (pnl / notional) * 1e4,
    halfSpreadBps: (0.5 / mid) * 1e4,
    edgeBps: (edge / notional) * 1e4,
    informedFills: market.snapshot().agents.find((a) => a.kind === 'informed')!.fills,
  };
}

describe('no free lunch for a touch-joining client', () => {
  it('loses money in toxic flow (informed takers see the latent price ahead)', () => {
    for (const seed of [1, 2]) {
      const r = runTouchClient({ seed, regime: 'toxic-flow', durationMs: 120_000, qty: 10, maxPos: 200 });
      console.log(`seed ${seed} toxic-flow`, r);
      expect(r.fills).toBeGreaterThan(100);
      expect(r.informedFills).toBeGreaterThan(100);
      // It still captures the spread at each fill; the loss is what the price does after.
      expect(r.edgeBps).toBeGreaterThan(0);
      expect(r.pnlBps).toBeLessThan(-0.1);
    }
  }, 30_000);

  it('earns about half the spread in a calm uninformed market', () => {
    // informedShare 0 removes informed flow; a still latent price (volBps 0, no jumps) leaves only the market's own
    // mechanics (queue at the touch, LP inventory skew), so the sign and size of the edge against a one-tick spread
    // (half a tick at 60000 is 0.0083 bps) are measurable. 120 s: a joiner at the back of the touch queue fills
    // about once a second.
    const params: ParamOverrides = { informedShare: 0, volBps: 0, jumpsPerMin: 0 };
    for (const seed of [1, 2]) {
      const r = runTouchClient({ seed, regime: 'calm', params, durationMs: 120_000, qty: 10, maxPos: 50 });
      console.log(`seed ${seed} calm uninformed`, r);
      expect(r.fills).toBeGreaterThan(100);
      expect(r.informedFills).toBe(0);
      // Half the spread at each fill, more when a fill comes while the spread is two ticks (after a sweep).
      expect(r.edgeBps).toBeGreaterThan(r.halfSpreadBps * 0.999);
      expect(r.edgeBps).toBeLessThan(r.halfSpreadBps * 1.25);
      expect(r.pnlBps).toBeGreaterThan(0);
      expect(r.pnlBps).toBeLessThan(1.5 * r.halfSpreadBps);
    }
  }, 30_000);
});
