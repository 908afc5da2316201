/**
 * The whole bot in a living market: the venue's background market (calm, seeded) at 4× real time, so 20 s of market
 * time pass in about 5 s. The bot keeps quotes on both sides, gets fills, logs no error; after its private WebSocket
 * is cut it reconciles, and it ends with no orphan and no duplicate order; stop() leaves zero open orders.
 * Waits are on the bot's requote events and the venue's state; nothing sleeps to synchronise.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type SimHandle } from '../../sim-exchange/server.ts';
import { parseConfig } from '../../bot/config/load.ts';
import { startBot, type BotHandle } from '../../bot/app.ts';
import { capturingLogger, untilRequote, venueSection } from './helpers/bot.ts';
import { isOpen } from '../../sim-exchange/venue/orders.ts';
import type { ExecutorView } from '../../bot/execution/executor.ts';

const SYMBOL = 'BTCUSDT';
const SPEED = 4;
const MARKET_SECONDS = 20;
const BOT = { apiKey: 'botmkt-maker-key', secret: 'botmkt-maker-secret' };
/** The account of the bot run as its own process (npm run bot). */
const CLI = { apiKey: 'botmkt-cli-key', secret: 'botmkt-cli-secret' };

describe('bot in the background market', () => {
  let sim: SimHandle;
  let bot: BotHandle;
  let botUid: number;
  const { logger, logs } = capturingLogger();

  const until = (cond: () => boolean, what: string, ms = 15_000) => untilRequote(bot, cond, what, ms);

  const open = () => [...sim.venue.orders.openOf(botUid)];
  const fills = () => sim.venue.ledger.of(botUid).length;

  beforeAll(async () => {
    sim = await startSim({
      seed: 21,
      accounts: [
        { ...BOT, balance: '100000', makerFeeRate: '0.0002', takerFeeRate: '0.00055' },
        { ...CLI, balance: '100000', makerFeeRate: '0.0002', takerFeeRate: '0.00055' },
      ],
      market: { regime: 'calm', speed: SPEED },
    });
    botUid = sim.venue.accountByKey(BOT.apiKey)!.uid;
    const config = parseConfig(
      {
        configVersion: 2,
        symbol: SYMBOL,
        venue: venueSection(sim, BOT),
        quoting: { levels: 2, baseQty: '0.010' },
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

  it(`quotes both sides through ${MARKET_SECONDS} s of calm market and gets fills`, async () => {
    const market = sim.market!;
    const t0 = market.snapshot().timeMs;
    let samples = 0;
    let twoSided = 0;
    await until(() => {
      const o = open();
      samples++;
      if (o.some((x) => x.side === 1) && o.some((x) => x.side === -1)) twoSided++;
      return market.snapshot().timeMs - t0 >= MARKET_SECONDS * 1000;
    }, `${MARKET_SECONDS} s of market time`, (MARKET_SECONDS / SPEED) * 1000 + 15_000);
    // Both sides most of the time: a fill leaves a side empty until the next requote refills it.
    expect(twoSided / samples).toBeGreaterThan(0.8);
    expect(fills()).toBeGreaterThan(0);
    expect(logs.filter((l) => l.level >= 50)).toEqual([]);
  });

  it('reconciles after its private WebSocket is cut: no orphan, no duplicate', async () => {
    const view = () => bot.executor.view as ExecutorView;
    const before = view().reconciliations;
    expect(sim.gateway.drop({ channel: 'private', uid: botUid }, 4000, 'test cut')).toBeGreaterThan(0);
    await until(() => view().reconciliations > before, 'a reconciliation after the cut');
    await until(() => open().length > 0, 'quotes again');
    // Every venue order of the bot is one the bot tracks, and each slot holds one order.
    const live = view().live;
    const venueOpen = open();
    const tracked = new Set(live.map((o) => o.orderLinkId));
    expect(venueOpen.filter((o) => !tracked.has(o.orderLinkId) && isOpen(o))).toEqual([]);
    const slots = live.map((o) => `${o.side}:${o.level}`);
    expect(new Set(slots).size).toBe(slots.length);
  });

  it('stop() leaves zero open orders and no error was logged', async () => {
    await bot.stop();
    expect(open()).toEqual([]);
    expect(logs.filter((l) => l.level >= 50)).toEqual([]);
  });

  it('as its own process (npm run bot): quotes, then SIGTERM cancels everything and it exits 0', async () => {
    const cliUid = sim.venue.accountByKey(CLI.apiKey)!.uid;
    const quoting = new Promise<void>((resolve) => {
      const off = sim.venue.listen({
        onAccountUpdate(uid) {
          if (uid === cliUid && sim.venue.orders.openCount(cliUid, SYMBOL) >= 2) {
            off();
            resolve();
          }
        },
      });
    });
    // The example config as shipped, but on a free telemetry port (tests run in parallel).
    const example = parseYaml(readFileSync('bot/config/example.yaml', 'utf8')) as { telemetry: { port: number } };
    example.telemetry.port = 0;
    const dir = mkdtempSync(join(tmpdir(), 'mm-bench-bot-'));
    const configPath = join(dir, 'bot.yaml');
    writeFileSync(configPath, stringifyYaml(example));
    const child = spawn(process.execPath, ['--import', 'tsx', 'bot/main.ts', '--config', configPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        MMBOT_REST_URL: sim.urls.rest,
        MMBOT_WS_PUBLIC_URL: sim.urls.wsPublic,
        MMBOT_WS_PRIVATE_URL: sim.urls.wsPrivate,
        MMBOT_WS_TRADE_URL: sim.urls.wsTrade,
        MMBOT_API_KEY: CLI.apiKey,
        MMBOT_API_SECRET: CLI.secret,
      },
    });
    child.stdout!.resume();
    child.stderr!.resume();
    const exited = once(child, 'exit');
    await quoting;
    child.kill('SIGTERM');
    const [code] = (await exited) as [number];
    expect(code).toBe(0);
    expect(sim.venue.orders.openCount(cliUid, SYMBOL)).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });
});
