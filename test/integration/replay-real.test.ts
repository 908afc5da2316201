/**
 * The replay on real data: the first 30 s of the Binance USD-M capture (data/fixtures/SOURCES.md) played into a
 * venue on a ManualClock, without and with a bot quoting at the touch.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { Venue } from '../../sim-exchange/venue/venue.ts';
import { ManualClock } from '../../sim-exchange/clock.ts';
import { DEFAULT_INSTRUMENTS } from '../../sim-exchange/instruments.ts';
import { ReplayPlayer, type PlayerReport } from '../../sim-exchange/market/replay/player.ts';
import { loadReplay } from '../../sim-exchange/market/replay/load.ts';
import type { ImportedSession } from '../../sim-exchange/market/events.ts';

const REAL = 'data/fixtures/binance-usdm_BTCUSDT_20240808_2354-2400Z_hftbacktest-raw.gz';
const BTC = 'BTCUSDT';
const T0_MS = 1_723_161_255_000;
const WINDOW_US = 30_000_000;

let session: ImportedSession;
beforeAll(async () => {
  const loaded = await loadReplay(REAL);
  const t0 = loaded.session.events[0]!.tsUs;
  session = { ...loaded.session, events: loaded.session.events.filter((e) => e.tsUs - t0 <= WINDOW_US) };
});

interface Run {
  readonly report: PlayerReport;
  readonly ledger: string;
  /** Top-20 levels compared with the recorded book at checkpoints: how many differed, out of how many. */
  readonly mismatched: number;
  readonly compared: number;
}

function run(withBot: boolean): Run {
  const clock = new ManualClock(T0_MS);
  const venue = new Venue({ instruments: DEFAULT_INSTRUMENTS, clock, seed: 5 });
  const bot = venue.createAccount({ apiKey: 'bot-key-1', secret: 'secret1', balance: '1000000', leverage: 50 }).uid;
  const player = new ReplayPlayer(venue, session, { startMs: T0_MS });
  const bids = new Map<number, number>();
  const asks = new Map<number, number>();
  let mismatched = 0;
  let compared = 0;
  let books = 0;
  for (let i = 0; i < session.events.length; i++) {
    const ev = session.events[i]!;
    clock.set(Math.ceil(player.dueMs(i)!));
    player.advanceTo(clock.now());
    if (ev.kind !== 'book') continue;
    if (ev.snapshot) {
      bids.clear();
      asks.clear();
    }
    for (const [p, q] of ev.bids) q > 0 ? bids.set(p, q) : bids.delete(p);
    for (const [p, q] of ev.asks) q > 0 ? asks.set(p, q) : asks.delete(p);
    if (withBot && i % 40 === 0) {
      // A naive bot: re-quote 0.005 BTC a side at the current touch.
      venue.cancelAll(bot, BTC);
      const b = venue.book(BTC);
      const bid = b.bestBid();
      const ask = b.bestAsk();
      if (bid !== undefined) venue.place(bot, { symbol: BTC, side: 1, orderType: 'Limit', timeInForce: 'GTC', price: bid, qty: 5, signedAt: clock.now() });
      if (ask !== undefined) venue.place(bot, { symbol: BTC, side: -1, orderType: 'Limit', timeInForce: 'GTC', price: ask, qty: 5, signedAt: clock.now() });
    }
    if (!withBot && ++books % 25 === 0) {
      const b = venue.book(BTC);
      const topBids = [...bids.keys()].sort((x, y) => y - x).slice(0, 20);
      const topAsks = [...asks.keys()].sort((x, y) => x - y).slice(0, 20);
      for (const p of topBids) if (b.levelQty(1, p) !== bids.get(p)) mismatched++;
      for (const p of topAsks) if (b.levelQty(-1, p) !== asks.get(p)) mismatched++;
      compared += topBids.length + topAsks.length;
    }
  }
  return { report: player.report(), ledger: JSON.stringify(venue.ledger.entries()), mismatched, compared };
}

describe('replay of the real Binance capture (first 30 s)', () => {
  it('without a bot, the engine book follows the recording', () => {
    const r = run(false);
    const trades = session.events.filter((e) => e.kind === 'trade').length;
    expect(r.report.applied.trade).toBe(trades);
    expect(r.report.applied.snapshot).toBe(1);
    expect(r.report.pending).toBe(0);
    expect(r.report.rejects).toBe(0);
    expect(r.report.staleLevelsRemoved).toBe(0);
    expect(r.report.botFillsFromTrades.count).toBe(0);
    // Prints that arrive after the diff that already removed their liquidity find none (docs/replay.md, limits);
    // the book itself heals at the next diff of the level, so the top 20 levels match almost everywhere.
    expect(r.report.tradesShort / trades).toBeLessThan(0.15);
    expect(r.compared).toBeGreaterThan(500);
    expect(r.mismatched / r.compared).toBeLessThan(0.02);
  });

  it('with a bot quoting at the touch: recorded trades fill it, and two runs give the same ledger', () => {
    const a = run(true);
    const b = run(true);
    expect(a.ledger).toBe(b.ledger);
    expect(a.report).toEqual(b.report);
    expect(a.report.botFillsFromTrades.count).toBeGreaterThan(0);
    expect(a.report.rejects).toBe(0);
  });
});
