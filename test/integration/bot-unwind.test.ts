/**
 * The inventory unwind end to end against the simulated venue: the bot's account takes a long position (a taker trade
 * against a house book) before the bot starts, far beyond the inventory at which the skewed ask would sit at the best
 * bid. The bot then crosses the excess out with one IOC Limit order (orderLinkId with the unwind marker), its position
 * shrinks to about the crossing point, the fill is counted as an intended taker fill (not the guards' unexpected
 * taker fills, no MMB-456), and nothing is logged at error level. Every wait is on an event; nothing sleeps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type SimHandle } from '../../sim-exchange/server.ts';
import { seedStaticBook } from '../../sim-exchange/market/static-book.ts';
import { parseConfig } from '../../bot/config/load.ts';
import { startBot, type BotHandle } from '../../bot/app.ts';
import type { Executor, UnwindOutcome } from '../../bot/execution/executor.ts';
import { capturingLogger, untilRequote, venueSection } from './helpers/bot.ts';

const SYMBOL = 'BTCUSDT';
const WAIT_MS = 10_000;
const BOT = { apiKey: 'unwind-maker-key', secret: 'unwind-maker-secret' };
const HOUSE = { apiKey: 'unwind-house-key', secret: 'unwind-house-secret' };
const START_LOTS = 90; // 0.090 BTC long; maxPosition 0.100

describe('inventory unwind against the simulated venue', () => {
  let sim: SimHandle;
  let bot: BotHandle;
  let botUid: number;
  const { logger, logs } = capturingLogger();
  const outcomes: UnwindOutcome[] = [];
  const decisions: { lots: number; targetLots: number }[] = [];
  const positionLots = () => sim.venue.account(botUid).positions.get(SYMBOL)?.size ?? 0;

  beforeAll(async () => {
    sim = await startSim({
      seed: 7,
      accounts: [
        { ...BOT, balance: '100000', makerFeeRate: '0.0002', takerFeeRate: '0.00055' },
        { ...HOUSE, balance: '50000000', makerFeeRate: '0', takerFeeRate: '0' },
      ],
    });
    botUid = sim.venue.accountByKey(BOT.apiKey)!.uid;
    const houseUid = sim.venue.accountByKey(HOUSE.apiKey)!.uid;
    seedStaticBook(sim.venue, { symbol: SYMBOL, midTicks: 600_000, levels: 20, stepTicks: 5, spreadTicks: 2, qtyLots: 500, depthGrowth: 0.1, uid: houseUid });
    // The bot's account buys 0.090 as taker against the house asks before the bot starts.
    sim.venue.place(botUid, { symbol: SYMBOL, side: 1, orderType: 'Market', timeInForce: 'IOC', qty: START_LOTS, signedAt: Date.now() });
    expect(positionLots()).toBe(START_LOTS);
    const config = parseConfig(
      {
        configVersion: 2,
        symbol: SYMBOL,
        venue: venueSection(sim, BOT),
        marketData: { silentMs: 60_000, resyncTimeoutMs: 1000 },
        // 30 bps of skew at full inventory: the crossing point is well below 0.090.
        quoting: { levels: 2, refreshMs: 100, skewBps: 30, unwind: { maxCrossTicks: 5, cooldownMs: 500 } },
        guards: { cooldownMs: 200 },
        telemetry: { port: 0 },
      },
      {},
    );
    bot = await startBot(config, { logger });
    // Registered before the first requote runs (it waits for a setImmediate after startBot resolves).
    (bot.executor as Executor).on('unwind', (o) => outcomes.push(o));
    bot.events.on('requote', (ctx) => {
      if (ctx.unwind) decisions.push({ lots: ctx.unwind.lots, targetLots: ctx.unwind.targetLots });
    });
  });

  afterAll(async () => {
    await bot?.stop().catch(() => undefined);
    await sim?.close();
  });

  it('crosses the excess out with one IOC, the position shrinks, and no unexpected taker fill is counted', async () => {
    const ex = bot.executor as Executor;
    await untilRequote(bot, () => outcomes.length >= 1 && decisions.length >= 1, 'the first unwind and the requote that decided it', WAIT_MS);
    const out = outcomes[0]!;
    const decided = decisions[0];
    expect(out).toMatchObject({ result: 'filled', code: 0, status: 'Filled' });
    // The venue saw one IOC Limit sell with our unwind marker, for the excess over the crossing point.
    const rec = sim.venue.orders.closedOf(botUid).find((o) => o.orderLinkId === out.orderLinkId);
    expect(rec).toMatchObject({ orderType: 'Limit', timeInForce: 'IOC', side: -1 });
    expect(out.orderLinkId).toMatch(/^mmb-[0-9a-z]{6}-US-[0-9a-z]+$/);
    const filledLots = Math.round(Number(out.filledQty) / bot.instrument.lotValue);
    expect(filledLots).toBe(decided!.lots);
    expect(filledLots).toBeLessThan(START_LOTS);
    // The position shrinks (venue and the bot's own view, which comes from the private stream).
    expect(positionLots()).toBeLessThan(START_LOTS);
    await untilRequote(bot, () => bot.status().position < START_LOTS * bot.instrument.lotValue - 1e-9, 'the position update on the private stream', WAIT_MS);
    // It took the position back to about the crossing point (ladder fills aside: the static book does not trade).
    expect(Math.abs(positionLots() - decided!.targetLots)).toBeLessThanOrEqual(1 + 1e-9);
    // An intended taker fill: not an unexpected one (guards), no MMB-456; counted apart and in the metrics.
    expect(ex.view.takerFills).toBe(0);
    expect(ex.view.unwindFills).toBeGreaterThanOrEqual(1);
    expect(logs.some((l) => l.code === 'MMB-456')).toBe(false);
    // (A SOFT trip for the inventory itself is expected at 0.9 of the max; none for taker fills.)
    expect(logs.some((l) => (l as { reason?: string }).reason === 'taker_fills')).toBe(false);
    const metrics = await (await fetch(bot.metricsUrl)).text();
    expect(metrics).toContain('mmbot_unwinds_total{outcome="filled"} 1');
    expect(metrics).toMatch(/mmbot_fills_total\{liquidity="taker"\} [1-9]/);
    expect(metrics).toContain('mmbot_stage_latency_ms_count{stage="unwind"}');
    // The resting ladder is still post-only: nothing of ours crosses the touch.
    await untilRequote(bot, () => [...sim.venue.orders.openOf(botUid)].length > 0, 'resting quotes', WAIT_MS);
    for (const o of sim.venue.orders.openOf(botUid)) expect(o.timeInForce).toBe('PostOnly');
  });

  it('settles: no unwind decided for 10 requotes in a row, never flipped short; logs no error; stop() leaves zero open orders', async () => {
    // Leaving SOFT (inventory) narrows the half-spread, which moves the crossing point: a smaller second unwind is
    // allowed, after the cooldown. Then it settles.
    let quiet = 0;
    const onRequote = (ctx: { unwind?: unknown }) => {
      quiet = ctx.unwind === undefined ? quiet + 1 : 0;
    };
    bot.events.on('requote', onRequote);
    await untilRequote(bot, () => quiet >= 10, '10 requotes in a row without an unwind decision', WAIT_MS);
    bot.events.off('requote', onRequote);
    if (process.env.BOT_DEBUG) console.log(logs.filter((l) => /MMB-46[34]|MMB-3/.test(l.code ?? '')).map((l) => JSON.stringify(l)).join('\n'));
    const ex = bot.executor as Executor;
    expect(ex.view.unwinds).toBeGreaterThanOrEqual(1);
    expect(ex.view.unwinds).toBeLessThanOrEqual(3);
    expect(positionLots()).toBeGreaterThan(0);
    expect(ex.view.takerFills).toBe(0);
    await bot.stop();
    expect([...sim.venue.orders.openOf(botUid)]).toEqual([]);
    const errors = logs.filter((l) => l.level >= 50);
    expect(errors, JSON.stringify(errors.slice(0, 3))).toEqual([]);
    expect(logs.some((l) => l.code === 'MMB-463')).toBe(true);
  });
});
