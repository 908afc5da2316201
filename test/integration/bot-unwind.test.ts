/**
 * The inventory unwind end to end against the simulated venue. The bot's account takes a long position (a taker
 * trade against a house book) before the bot starts; the static house book never trades with the bot's resting
 * quotes, so that position only ages.
 * - With the taker budget open (maxTakerShare 1), the bot trims it with IOC Limit sells of `sliceQty` (orderLinkIds
 *   with the unwind marker), one at a time, down to flat and never short; the fills are intended taker fills (not the
 *   guards' unexpected taker fills, no MMB-456), and nothing is logged at error level.
 * - With the default budget (5 % of its own turnover) and no maker fill yet, it takes nothing.
 * Every wait is on an event; nothing sleeps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type SimHandle } from '../../sim-exchange/server.ts';
import { seedStaticBook } from '../../sim-exchange/market/static-book.ts';
import { parseConfig } from '../../bot/config/load.ts';
import { startBot, type BotHandle } from '../../bot/app.ts';
import type { Executor, UnwindOutcome } from '../../bot/execution/executor.ts';
import type { QuoteContext } from '../../bot/pipeline/context.ts';
import { capturingLogger, untilRequote, venueSection } from './helpers/bot.ts';

const SYMBOL = 'BTCUSDT';
const WAIT_MS = 15_000;
const START_LOTS = 30; // 0.030 BTC long; maxPosition 0.100
const SLICE_LOTS = 10; // sliceQty 0.010

async function botWithAgedLong(seed: number, unwind: Record<string, unknown>) {
  const BOT = { apiKey: `unwind-maker-${seed}`, secret: 'unwind-maker-secret' };
  const HOUSE = { apiKey: `unwind-house-${seed}`, secret: 'unwind-house-secret' };
  const sim = await startSim({
    seed,
    accounts: [
      { ...BOT, balance: '100000', makerFeeRate: '0.0002', takerFeeRate: '0.00055' },
      { ...HOUSE, balance: '50000000', makerFeeRate: '0', takerFeeRate: '0' },
    ],
  });
  const botUid = sim.venue.accountByKey(BOT.apiKey)!.uid;
  const houseUid = sim.venue.accountByKey(HOUSE.apiKey)!.uid;
  seedStaticBook(sim.venue, { symbol: SYMBOL, midTicks: 600_000, levels: 20, stepTicks: 5, spreadTicks: 2, qtyLots: 500, depthGrowth: 0.1, uid: houseUid });
  sim.venue.place(botUid, { symbol: SYMBOL, side: 1, orderType: 'Market', timeInForce: 'IOC', qty: START_LOTS, signedAt: Date.now() });
  const config = parseConfig(
    {
      configVersion: 2,
      symbol: SYMBOL,
      venue: venueSection(sim, BOT),
      marketData: { silentMs: 60_000, resyncTimeoutMs: 1000 },
      quoting: { levels: 2, refreshMs: 100, unwind: { afterMs: 300, cooldownMs: 300, sliceQty: '0.010', ...unwind } },
      guards: { cooldownMs: 200 },
      telemetry: { port: 0 },
    },
    {},
  );
  const { logger, logs } = capturingLogger();
  const bot = await startBot(config, { logger });
  const positionLots = () => sim.venue.account(botUid).positions.get(SYMBOL)?.size ?? 0;
  return { sim, bot, botUid, logs, positionLots };
}

describe('inventory unwind against the simulated venue', () => {
  let h: Awaited<ReturnType<typeof botWithAgedLong>>;
  const outcomes: UnwindOutcome[] = [];
  const decisions: NonNullable<QuoteContext['unwind']>[] = [];

  beforeAll(async () => {
    h = await botWithAgedLong(7, { maxTakerShare: 1 });
    expect(h.positionLots()).toBe(START_LOTS);
    // Registered before the first requote runs (it waits for a setImmediate after startBot resolves).
    (h.bot.executor as Executor).on('unwind', (o) => outcomes.push(o));
    h.bot.events.on('requote', (ctx) => {
      if (ctx.unwind) decisions.push(ctx.unwind);
    });
  });

  afterAll(async () => {
    await h?.bot.stop().catch(() => undefined);
    await h?.sim.close();
  });

  it('trims the aged position with IOC slices down to flat, never short, as intended taker fills', async () => {
    const { bot, sim, botUid, logs } = h;
    const ex = bot.executor as Executor;
    await untilRequote(bot, () => h.positionLots() === 0 && bot.status().position === 0, 'the position trimmed to flat', WAIT_MS);
    // Three slices of 10 lots: each an IOC Limit sell with our unwind marker, filled in full.
    expect(outcomes.map((o) => o.result)).toEqual(['filled', 'filled', 'filled']);
    for (const o of outcomes) {
      expect(o.orderLinkId).toMatch(/^mmb-[0-9a-z]{6}-US-[0-9a-z]+$/);
      expect(Math.round(Number(o.filledQty) / bot.instrument.lotValue)).toBe(SLICE_LOTS);
      const rec = sim.venue.orders.closedOf(botUid).find((r) => r.orderLinkId === o.orderLinkId);
      expect(rec).toMatchObject({ orderType: 'Limit', timeInForce: 'IOC', side: -1 });
    }
    // Each decision waited for the position to age, and sized the slice as configured.
    for (const d of decisions) {
      expect(d.side).toBe('Sell');
      expect(d.lots).toBe(SLICE_LOTS);
      expect(d.ageMs).toBeGreaterThanOrEqual(300);
    }
    // An intended taker fill: not an unexpected one (guards), no MMB-456; counted apart and in the metrics.
    expect(ex.view.takerFills).toBe(0);
    expect(ex.view.unwindFills).toBe(3);
    expect(ex.view.turnover.taker).toBeGreaterThan(0);
    expect(logs.some((l) => l.code === 'MMB-456')).toBe(false);
    const metrics = await (await fetch(bot.metricsUrl)).text();
    expect(metrics).toContain('mmbot_unwinds_total{outcome="filled"} 3');
    expect(metrics).toMatch(/mmbot_fills_total\{liquidity="taker"\} 3/);
    expect(metrics).toContain('mmbot_stage_latency_ms_count{stage="unwind"}');
  });

  it('stops at flat: 10 more requotes decide no unwind; logs no error; stop() leaves zero open orders', async () => {
    const { bot, sim, botUid, logs } = h;
    let quiet = 0;
    const onRequote = (ctx: QuoteContext) => {
      quiet = ctx.unwind === undefined ? quiet + 1 : 0;
    };
    bot.events.on('requote', onRequote);
    await untilRequote(bot, () => quiet >= 10, '10 requotes in a row without an unwind decision', WAIT_MS);
    bot.events.off('requote', onRequote);
    expect(h.positionLots()).toBe(0);
    expect((bot.executor as Executor).view.unwinds).toBe(3);
    // The resting ladder stayed post-only throughout.
    for (const o of sim.venue.orders.openOf(botUid)) expect(o.timeInForce).toBe('PostOnly');
    await bot.stop();
    expect([...sim.venue.orders.openOf(botUid)]).toEqual([]);
    const errors = logs.filter((l) => l.level >= 50);
    expect(errors, JSON.stringify(errors.slice(0, 3))).toEqual([]);
    expect(logs.some((l) => l.code === 'MMB-463')).toBe(true);
  });
});

describe('inventory unwind: the taker budget', () => {
  it('takes nothing before the bot has made markets (no maker turnover: 0 % of 0 leaves no budget)', async () => {
    const h = await botWithAgedLong(8, {}); // default maxTakerShare 0.05
    try {
      let requotes = 0;
      let decided = 0;
      h.bot.events.on('requote', (ctx) => {
        requotes++;
        if (ctx.unwind) decided++;
      });
      // Long past afterMs (300 ms at refreshMs 100): 20 requotes.
      await untilRequote(h.bot, () => requotes >= 20, '20 requotes', WAIT_MS);
      expect(decided).toBe(0);
      expect((h.bot.executor as Executor).view.unwinds).toBe(0);
      expect(h.positionLots()).toBe(START_LOTS);
    } finally {
      await h.bot.stop().catch(() => undefined);
      await h.sim.close();
    }
  });
});
