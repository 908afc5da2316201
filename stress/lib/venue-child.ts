/**
 * The venue for the stress tools, in a child process (its own event loop; the load generator never shares it).
 * Started by stress/lib/venue.ts through stress/bench/harness.ts startChild; argv[2] is JSON VenueChildOptions.
 *
 * startSim with every order-entry rate limit raised (the tools measure the venue, not its limiter), N stress
 * accounts (stress/lib/accounts.ts) plus the bot's, and either a static 50-level book around 60000 (house account)
 * or the calm background market at 1× real time.
 *
 * IPC: sends {type:'ready', port, rest, wsPublic, wsPrivate, wsTrade, control, token}; answers {cmd:'stats'} with
 * {type:'stats', cpu, rss}, and {cmd:'close'} by closing and exiting.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startSim } from '../../sim-exchange/server.ts';
import { HOUSE_ACCOUNT } from '../../sim-exchange/config.ts';
import { seedStaticBook } from '../../sim-exchange/market/static-book.ts';
import { BOT_ACCOUNT, RAISED_LIMITS, STRESS_BALANCE, stressAccounts } from './accounts.ts';

export interface VenueChildOptions {
  accounts: number;
  staticBook: boolean;
  market: boolean;
  seed: number;
  /** Also create the bot's account (BOT_ACCOUNT). */
  bot?: boolean;
}


async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2] ?? '{}') as VenueChildOptions;
  const accounts = [
    { ...HOUSE_ACCOUNT, makerFeeRate: '0', takerFeeRate: '0' },
    ...stressAccounts(o.accounts).map((a) => ({ ...a, balance: STRESS_BALANCE })),
    ...(o.bot ? [{ ...BOT_ACCOUNT, balance: '10000000' }] : []),
  ];
  const sim = await startSim({
    seed: o.seed,
    rateLimits: RAISED_LIMITS,
    // Every request of a load generator comes from 127.0.0.1: lift the per-IP limit of public routes, so the
    // market-data profiles measure the venue rather than its limiter.
    publicLimit: 1_000_000,
    accounts,
    ...(o.market ? { market: { regime: 'calm' as const, speed: 1 } } : {}),
  });
  if (o.staticBook && !o.market) {
    const house = sim.venue.accountByKey(HOUSE_ACCOUNT.apiKey)!;
    // 60000.0 / tick 0.1 = 600000 ticks; 0.5 BTC / lot 0.001 = 500 lots; as sim-exchange/config.ts DEFAULT_CONFIG.
    seedStaticBook(sim.venue, { symbol: 'BTCUSDT', midTicks: 600_000, levels: 50, stepTicks: 5, spreadTicks: 2, qtyLots: 500, depthGrowth: 0.1, uid: house.uid });
  }
  const port = Number(new URL(sim.urls.rest).port);
  process.send?.({
    type: 'ready',
    port,
    rest: sim.urls.rest,
    wsPublic: sim.urls.wsPublic,
    wsPrivate: sim.urls.wsPrivate,
    wsTrade: sim.urls.wsTrade,
    control: sim.urls.control,
    token: sim.token,
  });
  process.on('message', (m: { cmd?: string }) => {
    if (m.cmd === 'stats') process.send?.({ type: 'stats', cpu: process.cpuUsage(), rss: process.memoryUsage().rss });
    else if (m.cmd === 'close') {
      void sim.close().then(() => {
        process.send?.({ type: 'closed' });
        process.exit(0);
      });
    }
  });
  // The parent died without saying close: do not linger.
  process.on('disconnect', () => process.exit(0));
}

// Only as the forked child (never when imported).
if (process.send !== undefined && process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
