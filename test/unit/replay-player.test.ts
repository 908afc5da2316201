import { describe, it, expect, beforeEach, vi, afterEach } from 'vitest';
import { Venue, type PlaceRequest } from '../../sim-exchange/venue/venue.ts';
import { ManualClock } from '../../sim-exchange/clock.ts';
import { DEFAULT_INSTRUMENTS } from '../../sim-exchange/instruments.ts';
import { ReplayPlayer } from '../../sim-exchange/market/replay/player.ts';
import { startRealtime } from '../../sim-exchange/market/replay/realtime.ts';
import { importBybit } from '../../sim-exchange/market/replay/import-bybit.ts';
import type { ImportedSession, Level, MarketEvent } from '../../sim-exchange/market/events.ts';

const BTC = 'BTCUSDT';
const T0_MS = 1_700_000_000_000;
const T0_US = T0_MS * 1000;
// Prices in ticks (0.1 USDT): 60000.0 = 600_000. Sizes in lots (0.001 BTC).
const BID = 599_990;
const ASK = 600_010;

const snap = (ms: number, bids: Level[], asks: Level[]): MarketEvent => ({ kind: 'book', tsUs: T0_US + ms * 1000, symbol: BTC, snapshot: true, bids, asks });
const delta = (ms: number, bids: Level[], asks: Level[]): MarketEvent => ({ kind: 'book', tsUs: T0_US + ms * 1000, symbol: BTC, snapshot: false, bids, asks });
const trade = (ms: number, takerSide: 'Buy' | 'Sell', priceTicks: number, qtyLots: number): MarketEvent => ({ kind: 'trade', tsUs: T0_US + ms * 1000, symbol: BTC, priceTicks, qtyLots, takerSide });

function session(events: MarketEvent[]): ImportedSession {
  return {
    symbol: BTC, tickSize: '0.1', lotSize: '0.001', events,
    report: { source: 'test', format: 'bybit-v5-public', lines: events.length, events: { snapshot: 0, delta: 0, trade: 0 }, badLines: 0, badSamples: [], skipped: 0, firstTsUs: null, lastTsUs: null },
  };
}

const limit = (side: 1 | -1, price: number, qty: number, extra: Partial<PlaceRequest> = {}): PlaceRequest => ({
  symbol: BTC, side, orderType: 'Limit', timeInForce: 'GTC', price, qty, signedAt: 0, ...extra,
});

describe('replay player', () => {
  let clock: ManualClock;
  let venue: Venue;
  let bot: number;
  beforeEach(() => {
    clock = new ManualClock(T0_MS);
    venue = new Venue({ instruments: DEFAULT_INSTRUMENTS, clock, seed: 7 });
    bot = venue.createAccount({ apiKey: 'bot-key-1', secret: 'secret1', balance: '1000000' }).uid;
  });

  function play(events: MarketEvent[], speed = 1): { player: ReplayPlayer; at: (ms: number) => void } {
    const player = new ReplayPlayer(venue, session(events), { startMs: T0_MS, speed });
    return {
      player,
      at(ms: number) {
        clock.set(T0_MS + ms);
        player.advanceTo(T0_MS + ms);
      },
    };
  }
  const book = () => venue.book(BTC);

  it('rests the recorded book as orders of a book account, and the tape is a different account', () => {
    const { player, at } = play([snap(0, [[BID, 5], [BID - 1, 7]], [[ASK, 4]])]);
    at(0);
    expect(book().depth(1, 5)).toEqual([[BID, 5], [BID - 1, 7]]);
    expect(book().depth(-1, 5)).toEqual([[ASK, 4]]);
    const r = player.report();
    expect(r.bookAccounts).toHaveLength(1);
    expect(r.bookAccounts).not.toContain(r.tapeAccount);
    expect(book().ordersOf(r.bookAccounts[0]!)).toHaveLength(3);
  });

  it('(a) a bot order queues behind the recorded size; recorded growth joins behind the bot', () => {
    const { player, at } = play([snap(0, [[BID, 5]], [[ASK, 5]]), delta(10, [], [[ASK, 8]])]);
    at(0);
    const mine = venue.place(bot, limit(-1, ASK, 2));
    expect(book().queueAhead(mine.engineId)).toBe(5);
    at(10);
    expect(book().queueAhead(mine.engineId)).toBe(5);
    expect(book().levelQty(-1, ASK)).toBe(10);
    expect(player.level(-1, ASK)).toEqual({ recorded: 8, debt: 0, replayQty: 8 });
  });

  it('(b) a recorded trade takes the queue ahead first, then the bot', () => {
    const { player, at } = play([snap(0, [[BID, 5]], [[ASK, 5]]), trade(10, 'Buy', ASK, 4), trade(20, 'Buy', ASK, 3)]);
    at(0);
    const mine = venue.place(bot, limit(-1, ASK, 2));
    at(10);
    expect(mine.filled).toBe(0);
    expect(book().queueAhead(mine.engineId)).toBe(1);
    at(20);
    expect(mine.filled).toBe(2);
    const r = player.report();
    expect(r.botFillsFromTrades).toEqual({ count: 1, lots: 2 });
    expect(r.tradesShort).toBe(0);
    // The tape's own position is the recorded flow; the bot sold 2 to it.
    expect(venue.account(bot).positions.get(BTC)!.size).toBe(-2);
  });

  it('(b) a bot order better than the recorded touch is hit first', () => {
    const { player, at } = play([snap(0, [[BID, 5]], [[ASK, 5]]), trade(10, 'Buy', ASK, 3)]);
    at(0);
    const inside = venue.place(bot, limit(-1, ASK - 5, 2));
    at(10);
    expect(inside.filled).toBe(2);
    expect(book().levelQty(-1, ASK)).toBe(4);
    expect(player.report().botFillsFromTrades).toEqual({ count: 1, lots: 2 });
  });

  it('(c) liquidity the bot took is a debt: a diff restating the old size does not bring it back', () => {
    const { player, at } = play([
      snap(0, [[BID, 5]], [[ASK, 5]]),
      delta(10, [], [[ASK, 5]]),
      delta(20, [], [[ASK, 7]]),
      delta(30, [], [[ASK, 2]]),
      delta(40, [], [[ASK, 0]]),
      delta(50, [], [[ASK, 4]]),
    ]);
    at(0);
    const take = venue.place(bot, limit(1, ASK, 3, { timeInForce: 'IOC' }));
    expect(take.filled).toBe(3);
    expect(player.level(-1, ASK)).toEqual({ recorded: 5, debt: 3, replayQty: 2 });
    at(10);
    expect(book().levelQty(-1, ASK)).toBe(2); // max(0, 5 − 3), not 5
    at(20);
    expect(book().levelQty(-1, ASK)).toBe(4); // 7 − 3
    at(30);
    expect(player.level(-1, ASK)).toEqual({ recorded: 2, debt: 2, replayQty: 0 }); // D clipped to R'
    expect(book().levelQty(-1, ASK)).toBe(0);
    at(40);
    expect(player.level(-1, ASK)).toBeUndefined(); // deleted: debt cleared
    at(50);
    expect(book().levelQty(-1, ASK)).toBe(4);
    expect(player.report().consumedByOthersLots).toBe(3);
  });

  it('(c) unexplained decreases come off the back of the queue, never from ahead of the bot first', () => {
    const { player, at } = play([
      snap(0, [[BID, 5]], [[ASK, 5]]),
      delta(10, [], [[ASK, 9]]), // +4 behind the bot
      delta(20, [], [[ASK, 6]]), // −3: from the replay order behind the bot
      delta(30, [], [[ASK, 3]]), // −3: the one behind goes, then the front is cut
    ]);
    at(0);
    const mine = venue.place(bot, limit(-1, ASK, 2));
    at(10);
    const book0 = player.report().bookAccounts[0]!;
    expect(book().ordersOf(book0).filter((o) => o.side === -1)).toHaveLength(2);
    at(20);
    expect(book().queueAhead(mine.engineId)).toBe(5);
    expect(book().levelQty(-1, ASK)).toBe(6 + 2);
    at(30);
    expect(book().queueAhead(mine.engineId)).toBe(3);
    expect(book().levelQty(-1, ASK)).toBe(3 + 2);
    expect(book().ordersOf(book0).filter((o) => o.side === -1)).toHaveLength(1);
  });

  it('grows the tail order in place when nobody queues behind it (one order per level)', () => {
    const { player, at } = play([snap(0, [[BID, 5]], [[ASK, 5]]), delta(10, [], [[ASK, 9]]), delta(20, [], [[ASK, 12]])]);
    at(20);
    expect(book().ordersOf(player.report().bookAccounts[0]!)).toHaveLength(2);
    expect(book().levelQty(-1, ASK)).toBe(12);
  });

  it('(d) the public book is the recording merged with the bot', () => {
    const { at } = play([snap(0, [[BID, 5], [BID - 10, 3]], [[ASK, 4], [ASK + 10, 6]]), delta(10, [[BID - 10, 8]], [])]);
    at(0);
    venue.place(bot, limit(1, BID, 2));
    venue.place(bot, limit(1, BID + 5, 1)); // inside the recorded spread
    venue.place(bot, limit(-1, ASK + 10, 3));
    at(10);
    expect(book().depth(1, 5)).toEqual([[BID + 5, 1], [BID, 7], [BID - 10, 8]]);
    expect(book().depth(-1, 5)).toEqual([[ASK, 4], [ASK + 10, 9]]);
  });

  it('a recorded level that crosses a bot order takes it (as the recorded order would have), then rests', () => {
    const { player, at } = play([
      snap(0, [[BID, 5]], [[ASK, 5]]),
      delta(10, [], [[ASK - 10, 4]]), // new recorded ask at 600000, where the bot bids
      delta(20, [], [[ASK - 10, 4]]),
    ]);
    at(0);
    const bid = venue.place(bot, limit(1, ASK - 10, 3));
    at(10);
    expect(bid.filled).toBe(3);
    expect(venue.ledger.entries().find((e) => e.uid === bot)!.isMaker).toBe(true);
    expect(book().levelQty(-1, ASK - 10)).toBe(1);
    expect(player.report().botFillsFromBook).toEqual({ count: 1, lots: 3 });
    at(20);
    expect(player.level(-1, ASK - 10)).toEqual({ recorded: 4, debt: 3, replayQty: 1 });
  });

  it('never trades with itself: a crossing recorded level removes the stale opposite one', () => {
    const { player, at } = play([snap(0, [[BID, 5]], [[ASK, 5]]), delta(10, [[ASK, 2]], [])]);
    at(10);
    expect(venue.ledger.entries()).toHaveLength(0);
    expect(book().depth(1, 1)).toEqual([[ASK, 2]]);
    expect(book().bestAsk()).toBeUndefined();
    expect(player.report().staleLevelsRemoved).toBe(1);
  });

  it('reports trades that found no (or not enough) liquidity', () => {
    // The second print is above the recorded touch: like any aggressor it takes the better ask first.
    const { player, at } = play([snap(0, [[BID, 5]], [[ASK, 5]]), trade(10, 'Sell', BID, 8), trade(20, 'Buy', ASK + 3, 6)]);
    at(20);
    expect(book().bestAsk()).toBeUndefined();
    const r = player.report();
    expect(r.tradesShort).toBe(2);
    expect(r.tradeLotsUnfilled).toBe(3 + 1);
    expect(r.applied).toEqual({ snapshot: 1, delta: 0, trade: 2 });
    expect(r.rejects).toBe(0);
  });

  it('a new snapshot deletes every level it does not list', () => {
    const { at } = play([snap(0, [[BID, 5], [BID - 1, 1]], [[ASK, 5]]), snap(10, [[BID + 20, 2]], [[ASK + 20, 3]])]);
    at(0);
    venue.place(bot, limit(1, BID, 1));
    at(10);
    expect(book().depth(1, 5)).toEqual([[BID + 20, 2], [BID, 1]]);
    expect(book().depth(-1, 5)).toEqual([[ASK + 20, 3]]);
  });

  it('applies events when due, at speed k', () => {
    const events = [snap(0, [[BID, 5]], [[ASK, 5]]), delta(1000, [[BID, 6]], []), delta(2000, [[BID, 7]], [])];
    const { player, at } = play(events, 2);
    at(0);
    expect(player.report().applied.snapshot).toBe(1);
    expect(player.nextDueMs()).toBe(T0_MS + 500);
    at(499);
    expect(book().levelQty(1, BID)).toBe(5);
    at(500);
    expect(book().levelQty(1, BID)).toBe(6);
    at(1000);
    expect(book().levelQty(1, BID)).toBe(7);
    expect(player.done).toBe(true);
    expect(player.nextDueMs()).toBeUndefined();
  });

  it('refuses a session whose tick does not match the venue listing', () => {
    const s = { ...session([snap(0, [], [])]), tickSize: '0.5' };
    expect(() => new ReplayPlayer(venue, s)).toThrow(/tick 0.5/);
  });

  it('spreads a deep book over several book accounts (the venue caps open orders per account)', () => {
    const bids: Level[] = Array.from({ length: 600 }, (_, i) => [BID - i, 1 + (i % 3)] as const);
    const asks: Level[] = Array.from({ length: 600 }, (_, i) => [ASK + i, 2] as const);
    const { player, at } = play([snap(0, bids, asks)]);
    at(0);
    expect(player.report().bookAccounts).toHaveLength(3);
    expect(book().depth(1, 1000)).toHaveLength(600);
    expect(book().depth(-1, 1000)).toHaveLength(600);
    expect(player.report().rejects).toBe(0);
  });
});

describe('replay determinism', () => {
  async function run(): Promise<{ ledger: string; depth: string; report: string }> {
    const s = await importBybit('data/fixtures/bybit-v5_BTCUSDT_handwritten.jsonl');
    const clock = new ManualClock(T0_MS);
    const venue = new Venue({ instruments: DEFAULT_INSTRUMENTS, clock, seed: 11 });
    const bot = venue.createAccount({ apiKey: 'bot-key-1', secret: 'secret1', balance: '1000000' }).uid;
    const player = new ReplayPlayer(venue, s, { startMs: T0_MS });
    // The bot quotes at the touch after every event, cancelling its previous quotes.
    for (let i = 0; !player.done; i++) {
      const due = player.nextDueMs()!;
      clock.set(Math.ceil(due));
      player.advanceTo(clock.now());
      venue.cancelAll(bot, BTC);
      const b = venue.book(BTC);
      const bid = b.bestBid();
      const ask = b.bestAsk();
      if (bid !== undefined) venue.place(bot, limit(1, bid, 1 + (i % 3), { signedAt: clock.now() }));
      if (ask !== undefined) venue.place(bot, limit(-1, ask, 2, { signedAt: clock.now() }));
    }
    const b = venue.book(BTC);
    return {
      ledger: JSON.stringify(venue.ledger.entries()),
      depth: JSON.stringify([b.depth(1, 50), b.depth(-1, 50)]),
      report: JSON.stringify(player.report()),
    };
  }

  it('the same session and seed give identical ledgers', async () => {
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    expect(JSON.parse(a.ledger).length).toBeGreaterThan(0);
  });
});

describe('replay real-time driver', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('wakes up when events are due and stops at the end (fake timers, no sleeping)', () => {
    vi.useFakeTimers({ now: T0_MS });
    const clock = new ManualClock(T0_MS);
    const venue = new Venue({ instruments: DEFAULT_INSTRUMENTS, clock, seed: 1 });
    const player = new ReplayPlayer(venue, session([snap(0, [[BID, 5]], [[ASK, 5]]), delta(1500, [[BID, 6]], []), delta(4000, [[BID, 9]], [])]), { startMs: T0_MS });
    let ended = false;
    const now = () => {
      clock.set(Date.now());
      return Date.now();
    };
    const driver = startRealtime(player, { now, onEnd: () => (ended = true) });
    expect(player.report().applied.snapshot).toBe(1);
    vi.advanceTimersByTime(1499);
    expect(venue.book(BTC).levelQty(1, BID)).toBe(5);
    vi.advanceTimersByTime(1);
    expect(venue.book(BTC).levelQty(1, BID)).toBe(6);
    vi.advanceTimersByTime(2500);
    expect(venue.book(BTC).levelQty(1, BID)).toBe(9);
    expect(ended).toBe(true);
    expect(driver.running).toBe(false);
  });
});
