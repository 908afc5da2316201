/**
 * Starting the bot under test for a run (a scenario or a soak session), the same way for every bot: the values of
 * the contract (venue URLs through the fault proxy, the bot account's keys, symbol, run directory, position limit, a
 * free port for its metrics, the seed), its config template rendered into the run directory, the process spawned,
 * then its readiness awaited. docs/any-bot.md.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Channel } from '../../chaos/driver.ts';
import type { Venue } from '../../sim-exchange/venue/venue.ts';
import { renderConfig, renderedConfigName, type BotEnvName, type BotSpec } from '../bot-spec.ts';
import { freePort, startBot, type BotProcess } from './bot-process.ts';
import { waitReady } from './ready.ts';

export interface LaunchOptions {
  readonly spec: BotSpec;
  /** The venue (in this process): readiness by resting quotes is awaited on its account updates. */
  readonly venue: Venue;
  readonly uid: number;
  readonly account: { readonly apiKey: string; readonly secret: string };
  readonly symbol: string;
  /** host:port of each channel's way in (the fault proxy). */
  readonly endpoint: (ch: Channel) => string;
  /** The run's directory (MMBENCH_RUN_DIR; the rendered config goes here) and its logs directory. */
  readonly runDir: string;
  readonly logsDir: string;
  readonly seed: number;
  /** The first line of the rendered config (YAML), saying what generated it. */
  readonly header: string;
  /** Called with the process as soon as it is spawned, so the caller can stop it if the wait fails. */
  readonly onSpawn: (p: BotProcess) => void;
}

export interface Launched {
  readonly bot: BotProcess;
  /** The contract's values as the bot got them. */
  readonly values: Readonly<Record<string, string>>;
  /** The rendered config's path, when the bot has a template. */
  readonly configPath: string | undefined;
}

/** The values of the contract for this run (docs/any-bot.md lists them). */
export async function contractValues(o: Omit<LaunchOptions, 'venue' | 'uid' | 'logsDir' | 'header' | 'onSpawn'>): Promise<Record<BotEnvName, string>> {
  const ep = o.endpoint;
  const runDir = resolve(o.runDir);
  return {
    MMBENCH_REST_URL: `http://${ep('rest')}`,
    MMBENCH_WS_PUBLIC_URL: `ws://${ep('ws-public')}/v5/public/linear`,
    MMBENCH_WS_PRIVATE_URL: `ws://${ep('ws-private')}/v5/private`,
    MMBENCH_WS_TRADE_URL: `ws://${ep('ws-trade')}/v5/trade`,
    MMBENCH_API_KEY: o.account.apiKey,
    MMBENCH_API_SECRET: o.account.secret,
    MMBENCH_SYMBOL: o.symbol,
    MMBENCH_CATEGORY: 'linear',
    MMBENCH_RUN_DIR: runDir,
    MMBENCH_POSITION_LIMIT: String(o.spec.positionLimit),
    MMBENCH_METRICS_PORT: String(await freePort()),
    MMBENCH_SEED: String(o.seed),
    MMBENCH_CONFIG: o.spec.configTemplate ? join(runDir, renderedConfigName(o.spec.configTemplate)) : '',
  };
}

/** Renders the config, spawns the bot and waits until it is ready; throws with the verdict when it is not. */
export async function launchBot(o: LaunchOptions): Promise<Launched> {
  const values: Record<string, string> = await contractValues(o);
  let configPath: string | undefined;
  if (o.spec.configTemplate) {
    configPath = values.MMBENCH_CONFIG;
    writeFileSync(configPath!, renderConfig(o.spec, values, o.header));
  } else {
    delete values.MMBENCH_CONFIG;
  }
  const bot = startBot(o.spec, values, o.logsDir);
  o.onSpawn(bot);
  await waitReady(bot, { venue: o.venue, uid: o.uid, symbol: o.symbol, values });
  return { bot, values, configPath };
}
