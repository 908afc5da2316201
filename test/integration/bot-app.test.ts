/**
 * The whole bot in-process against the simulated venue (static book from a house account, as sim-exchange/main.ts
 * seeds it): it quotes both sides and keeps them, serves /metrics, /healthz and the kill-switch reset, survives a
 * gap in the book stream (stale → resync → quoting again), logs no error, and stop() leaves zero open orders.
 * Every wait is on an event (requotes, the venue's state); nothing sleeps to synchronise.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type SimHandle } from '../../sim-exchange/server.ts';
import { seedStaticBook } from '../../sim-exchange/market/static-book.ts';
import { parseConfig } from '../../bot/config/load.ts';
import { startBot, type BotHandle } from '../../bot/app.ts';
import { capturingLogger, untilRequote, venueSection } from './helpers/bot.ts';

const SYMBOL = 'BTCUSDT';
const WAIT_MS = 10_000;
const BOT = { apiKey: 'botapp-maker-key', secret: 'botapp-maker-secret' };
const HOUSE = { apiKey: 'botapp-house-key', secret: 'botapp-house-secret' };

describe('bot against the simulated venue', () => {
  let sim: SimHandle;
  let bot: BotHandle;
  let botUid: number;
  let houseUid: number;
  const { logger, logs } = capturingLogger();

  const until = (cond: () => boolean, what: string) => untilRequote(bot, cond, what, WAIT_MS);

  const sides = () => {
    const open = [...sim.venue.orders.openOf(botUid)];
    return { buy: open.filter((o) => o.side === 1).length, sell: open.filter((o) => o.side === -1).length, total: open.length };
  };

  beforeAll(async () => {
    sim = await startSim({
      seed: 5,
      accounts: [
        { ...BOT, balance: '100000', makerFeeRate: '0.0002', takerFeeRate: '0.00055' },
        { ...HOUSE, balance: '50000000', makerFeeRate: '0', takerFeeRate: '0' },
      ],
    });
    botUid = sim.venue.accountByKey(BOT.apiKey)!.uid;
    houseUid = sim.venue.accountByKey(HOUSE.apiKey)!.uid;
    seedStaticBook(sim.venue, { symbol: SYMBOL, midTicks: 600_000, levels: 20, stepTicks: 5, spreadTicks: 2, qtyLots: 500, depthGrowth: 0.1, uid: houseUid });
    const config = parseConfig(
      {
        configVersion: 2,
        symbol: SYMBOL,
        venue: venueSection(sim, BOT),
        // A static book is quiet by design: no silent-stream resyncs during the test.
        marketData: { silentMs: 60_000, resyncTimeoutMs: 1000 },
        quoting: { levels: 2, refreshMs: 100 },
        guards: { cooldownMs: 200 },
        telemetry: { port: 0 },
      },
      {},
    );
    bot = await startBot(config, { logger });
  });

  afterAll(async () => {
    await bot?.stop().catch(() => undefined);
    await sim?.close();
  });

  it('quotes both sides and keeps them for 20 requotes', async () => {
    await until(() => sides().buy === 2 && sides().sell === 2, 'two levels per side resting at the venue');
    let seen = 0;
    let broken = '';
    await until(() => {
      const s = sides();
      if (s.buy === 0 || s.sell === 0) broken ||= `one-sided at requote ${seen}: ${JSON.stringify(s)}`;
      return ++seen >= 20;
    }, '20 requotes');
    expect(broken).toBe('');
    // Our quotes never cross the venue's touch (PostOnly would cancel them): all resting orders are New.
    const open = [...sim.venue.orders.openOf(botUid)];
    const bestBid = Math.max(...open.filter((o) => o.side === 1).map((o) => o.price));
    const bestAsk = Math.min(...open.filter((o) => o.side === -1).map((o) => o.price));
    expect(bestBid).toBeLessThan(bestAsk);
    expect(bot.status()).toMatchObject({ mode: 'normal', halt: undefined, bookStale: false, killed: undefined });
    // Disconnect-cancel was enabled at start with the configured window (and armed by the dcp.future subscription).
    expect(sim.venue.dcpWindow(botUid)).toBe(10);
  });

  it('serves /metrics, /healthz and the kill-switch reset on its own port', async () => {
    expect(bot.telemetryPort).toBeGreaterThan(0);
    const metrics = await (await fetch(bot.metricsUrl)).text();
    for (const name of [
      'mmbot_stage_latency_ms_bucket{le="0.01",stage="fair_value"}',
      'mmbot_stage_latency_ms_count{stage="ladder"}',
      'mmbot_quote_cycle_ms_count',
      'mmbot_order_ack_ms_count{endpoint=',
      'mmbot_spread_score{component="volatility"}',
      'mmbot_spread_score{component="liquidity"}',
      'mmbot_spread_score{component="latency"}',
      'mmbot_spread_score{component="pnl"}',
      'mmbot_inventory',
      'mmbot_open_orders 4',
    ]) expect(metrics, name).toContain(name);
    const health = await fetch(`${bot.telemetryUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, mode: 'normal' });
    const reset = await fetch(`${bot.telemetryUrl}/kill-switch/reset`, { method: 'POST' });
    expect(await reset.json()).toEqual({ reset: false, reason: null });
  });

  it('a gap in the book stream makes it stale (HARD: cancel all), resyncs, and quotes again', async () => {
    let sawStale = false;
    const onRequote = (ctx: { in: { bookStale: boolean } }) => {
      if (ctx.in.bookStale) sawStale = true;
    };
    bot.events.on('requote', onRequote);
    sim.gateway.feed.dropNextDelta(SYMBOL, 50);
    // A house order inside the top 50 changes the book: its delta is dropped, the next one reveals the gap.
    // Two changes in separate pushes (the feed conflates changes within one cadence): wait until the first, dropped
    // one has advanced the stream's u before making the second.
    const u0 = sim.gateway.feed.updateId(SYMBOL, 50);
    sim.venue.place(houseUid, { symbol: SYMBOL, side: 1, orderType: 'Limit', timeInForce: 'PostOnly', price: 599_000, qty: 10, signedAt: Date.now() });
    await until(() => sim.gateway.feed.updateId(SYMBOL, 50) > u0, 'the dropped delta to advance u');
    sim.venue.place(houseUid, { symbol: SYMBOL, side: 1, orderType: 'Limit', timeInForce: 'PostOnly', price: 599_001, qty: 10, signedAt: Date.now() });
    await until(() => sawStale, 'a requote on the stale book');
    bot.events.off('requote', onRequote);
    const metrics = await (await fetch(bot.metricsUrl)).text();
    expect(metrics).toContain('mmbot_book_stale_total{reason="gap"} 1');
    expect(metrics).toMatch(/mmbot_guard_trips_total\{severity="hard",reason="stale_data"\} 1/);
    await until(() => !bot.status().bookStale && bot.status().mode === 'normal' && sides().buy === 2 && sides().sell === 2, 'quoting again after the resync');
    expect(logs.some((l) => l.code === 'MMB-201')).toBe(true);
    if (process.env.BOT_DEBUG) console.log(logs.map((l) => JSON.stringify(l).slice(0, 300)).join('\n'));
  });

  it('logs no error, and stop() leaves zero open orders', async () => {
    await bot.stop();
    expect(sides().total).toBe(0);
    const errors = logs.filter((l) => l.level >= 50);
    expect(errors, JSON.stringify(errors.slice(0, 3))).toEqual([]);
    expect(logs.some((l) => l.msg.startsWith('bot started; telemetry on port'))).toBe(true);
  });
});
