/**
 * The quote loop's concurrency (bot/app.ts), with the real market-data path against the simulated venue and a fake
 * executor whose applies the test answers by hand: in batched mode a requote starts while the previous one still
 * awaits its acks; in sequential mode the next requote waits for them. The order of events is recorded and compared;
 * nothing sleeps to synchronise (requotes come from the bot's refresh timer).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { startSim, type SimHandle } from '../../sim-exchange/server.ts';
import { seedStaticBook } from '../../sim-exchange/market/static-book.ts';
import { parseConfig } from '../../bot/config/load.ts';
import { startBot, type BotExecutor } from '../../bot/app.ts';
import type { QuoteSet } from '../../bot/types.ts';
import { venueSection } from './helpers/bot.ts';

const SYMBOL = 'BTCUSDT';
const BOT = { apiKey: 'botloop-key', secret: 'botloop-secret' };
const HOUSE = { apiKey: 'botloop-house-key', secret: 'botloop-house-secret' };

/** An executor whose applies resolve only when the test says so; it logs calls and answers in order. */
class HeldExecutor implements BotExecutor {
  readonly log: string[] = [];
  private readonly waiting: (() => void)[] = [];
  private readonly onCall: ((n: number) => void)[] = [];
  private calls = 0;
  readonly view = {
    position: 0,
    openOrders: 0,
    drainAckLatencies: () => [],
    rejects: new Map<number, number>(),
    takerFills: 0,
    live: [],
  };
  async start(): Promise<void> {}
  stop(): void {}
  async cancelAll(): Promise<void> {}
  apply(q: QuoteSet): Promise<number> {
    const n = ++this.calls;
    // A requote with nothing to quote (e.g. still halted) answers at once, and says so in the log.
    this.log.push(q.quotes.length === 0 ? `apply ${n} (empty)` : `apply ${n}`);
    for (const f of this.onCall.splice(0)) f(n);
    if (q.quotes.length === 0) return Promise.resolve(0);
    return new Promise((resolve) => {
      this.waiting.push(() => {
        this.log.push(`acked ${n}`);
        resolve(q.quotes.length);
      });
    });
  }
  /** Resolves at the next apply call; rejects if none comes within 5 s (the refresh timer requotes every 20 ms). */
  nextCall(): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no apply within 5 s; calls so far: ${this.log.join(', ')}`)), 5000);
      this.onCall.push((n) => {
        clearTimeout(timer);
        resolve(n);
      });
    });
  }
  ackOldest(): void {
    this.waiting.shift()?.();
  }
  ackAll(): void {
    while (this.waiting.length > 0) this.ackOldest();
  }
}

describe('quote loop concurrency', () => {
  let sim: SimHandle;

  beforeAll(async () => {
    sim = await startSim({ seed: 11, accounts: [{ ...BOT, balance: '100000' }, { ...HOUSE, balance: '50000000', makerFeeRate: '0', takerFeeRate: '0' }] });
    const houseUid = sim.venue.accountByKey(HOUSE.apiKey)!.uid;
    seedStaticBook(sim.venue, { symbol: SYMBOL, midTicks: 600_000, levels: 20, stepTicks: 5, spreadTicks: 2, qtyLots: 500, depthGrowth: 0.1, uid: houseUid });
  });

  afterAll(async () => {
    await sim?.close();
  });

  async function run(mode: 'batched' | 'sequential') {
    const ex = new HeldExecutor();
    const config = parseConfig(
      {
        configVersion: 2,
        symbol: SYMBOL,
        venue: venueSection(sim, BOT),
        marketData: { silentMs: 60_000 },
        quoting: { refreshMs: 20 },
        execution: { mode, minRequoteMs: 0 },
        telemetry: { port: 0 },
      },
      {},
    );
    const firstCall = ex.nextCall();
    const bot = await startBot(config, { logger: pino({ level: 'silent' }), executor: () => ex });
    return { ex, bot, firstCall };
  }

  it('batched: the next requote is applied while the previous one still awaits its acks', async () => {
    const { ex, bot, firstCall } = await run('batched');
    try {
      await firstCall;
      // The refresh timer requotes again; the first apply has not been answered.
      await ex.nextCall();
      expect(ex.log.slice(0, 2)).toEqual(['apply 1', 'apply 2']);
    } finally {
      ex.ackAll();
      await bot.stop();
    }
  });

  it('sequential: the next requote waits for the acks of the previous one', async () => {
    const { ex, bot, firstCall } = await run('sequential');
    try {
      await firstCall;
      const second = ex.nextCall();
      ex.ackOldest();
      await second;
      expect(ex.log.slice(0, 3)).toEqual(['apply 1', 'acked 1', 'apply 2']);
    } finally {
      ex.ackAll();
      await bot.stop();
    }
  });
});
