#!/usr/bin/env node
/**
 * `npm run sim -- [--host h] [--port p] [--control-port p] [--token t] [--seed n] [--config file.yaml]
 *                [--price 60000] [--regime calm] [--market-speed 1] [--no-market] [--no-book] [--log-level warn]
 *                [--journal file.jsonl[.gz]] [--replay capture[.gz] [--speed 1]] [--repro-dir artifacts/repro]`
 *
 * The background market (docs/market.md) trades BTCUSDT unless --no-market, which keeps the static book of the
 * config instead (unless --no-book). --replay plays a recorded session as the background market instead
 * (docs/replay.md); what it imported is printed on stderr and in the ready line.
 *
 * The control plane's token is --token, else $MMBENCH_CONTROL_TOKEN, else random (printed in the ready line); a --host
 * other than loopback needs one of the first two (docs/security.md).
 *
 * Starts the simulated Bybit V5 venue and prints ONE JSON line on stdout when it is ready (the URLs of REST, each
 * WebSocket path and the control plane). Logs go to stderr as pino JSON. SIGTERM or SIGINT shut it down cleanly.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { exposureProblem, startSim } from './server.ts';
import { DEFAULT_CONFIG, HOUSE_ACCOUNT, loadConfig, type SimConfig } from './config.ts';
import { seedStaticBook } from './market/static-book.ts';
import { toSteps } from './bybit-v5/decimal.ts';
import { Journal } from './journal.ts';
import { RegimeName, REGIME_NAMES } from './market/params.ts';
import { DEFAULT_INSTRUMENTS } from './instruments.ts';
import type { JournalHeader } from './venue/commands.ts';
import { loadReplay } from './market/replay/load.ts';
import { ReplayPlayer } from './market/replay/player.ts';
import { startRealtime } from './market/replay/realtime.ts';

const USAGE = `usage: npm run sim -- [--host 127.0.0.1] [--port 0] [--control-port 0] [--token T] [--seed N]
                      [--config file.yaml] [--price 60000] [--log-level warn] [--journal file.jsonl[.gz]]
                      [--regime ${REGIME_NAMES.join('|')}] [--market-speed 1] [--no-market] [--no-book]
                      [--replay capture[.gz] [--speed 1]] [--repro-dir artifacts/repro]`;

function fail(msg: string): never {
  process.stderr.write(`${msg}\n${USAGE}\n`);
  process.exit(2);
}

function intFlag(v: string | undefined, name: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) fail(`--${name} must be an integer in ${min}..${max}, got "${v}"`);
  return n;
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string' },
        'control-port': { type: 'string' },
        token: { type: 'string' },
        seed: { type: 'string' },
        config: { type: 'string' },
        price: { type: 'string' },
        'no-book': { type: 'boolean', default: false },
        regime: { type: 'string', default: 'calm' },
        'market-speed': { type: 'string', default: '1' },
        'no-market': { type: 'boolean', default: false },
        replay: { type: 'string' },
        speed: { type: 'string', default: '1' },
        'log-level': { type: 'string', default: 'warn' },
        journal: { type: 'string' },
        'repro-dir': { type: 'string', default: 'artifacts/repro' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    fail((err as Error).message);
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let config: SimConfig;
  try {
    config = args.config ? loadConfig(args.config) : DEFAULT_CONFIG;
  } catch (err) {
    fail((err as Error).message);
  }
  const seed = intFlag(args.seed, 'seed', 0, 2 ** 32 - 1) ?? config.seed ?? 1;
  // The environment keeps the token out of `ps` (docker-compose.yml passes it so); --token wins when both are given.
  const token = args.token ?? (process.env['MMBENCH_CONTROL_TOKEN'] || undefined);
  const exposed = exposureProblem(args.host ?? '127.0.0.1', token);
  if (exposed) fail(exposed);
  const logger = pino({ level: args['log-level'] ?? 'warn', base: { seed } }, pino.destination(2));

  const regime = RegimeName.safeParse(args.regime);
  if (!regime.success) fail(`--regime must be one of ${REGIME_NAMES.join(', ')}, got "${args.regime}"`);
  const speed = Number(args['market-speed']);
  if (!(speed > 0 && speed <= 1000)) fail(`--market-speed must be a number in (0, 1000], got "${args['market-speed']}"`);
  const replaySpeed = Number(args.speed);
  if (!(replaySpeed > 0 && replaySpeed <= 1000)) fail(`--speed must be a number in (0, 1000], got "${args.speed}"`);
  // A replay is the background market: no seeded market and no static book next to it.
  const replay = args.replay
    ? await loadReplay(args.replay, { speed: replaySpeed }).catch((err: unknown) => fail((err as Error).message))
    : undefined;
  if (replay) process.stderr.write(`${replay.summary}\n`);
  const withMarket = !args['no-market'] && replay === undefined;
  const startPrice = args.price ?? config.staticBook?.price ?? '60000';

  const instruments = config.instruments ?? DEFAULT_INSTRUMENTS;
  const journal = args.journal ? new Journal(args.journal, { gzip: args.journal.endsWith('.gz') }) : undefined;
  // The header first: a replay of the journal's commands needs the same instruments and seed (docs/journal.md).
  journal?.write({ kind: 'header', version: 1, seed, instruments } satisfies JournalHeader);
  const sim = await startSim({
    host: args.host,
    port: intFlag(args.port, 'port', 0, 65535) ?? 0,
    controlPort: intFlag(args['control-port'], 'control-port', 0, 65535) ?? 0,
    ...(token ? { token } : {}),
    seed,
    instruments,
    ...(config.rateLimits ? { rateLimits: config.rateLimits } : {}),
    accounts: config.accounts ?? [],
    logger,
    ...(withMarket ? { market: { regime: regime.data, speed, startPrice } } : {}),
    ...(journal ? { onTraffic: (e) => journal.traffic(e), onCommand: (c) => journal.write(c), onFault: (r) => journal.write(r) } : {}),
    repro: {
      root: args['repro-dir'],
      source: () => ({
        seed,
        instruments,
        journal,
        market: withMarket ? { regime: regime.data, speed } : null,
        replayFile: args.replay,
        argv: process.argv.slice(2),
      }),
    },
  });

  let replayDriver: { stop(): void } | undefined;
  let player: ReplayPlayer | undefined;
  if (replay) {
    player = new ReplayPlayer(sim.venue, replay.session, { speed: replaySpeed, startMs: sim.venue.clock.now() });
    const p = player;
    // Real time, not the venue clock: a control-plane clock skew must not make the replay skip events.
    const offset = sim.venue.clock.now() - Date.now();
    replayDriver = startRealtime(p, {
      now: () => Date.now() + offset,
      onEnd: () => logger.info({ report: p.report() }, 'replay finished'),
      onError: (err) => logger.error({ err }, 'replay stopped'),
    });
  }

  const book = args['no-book'] || withMarket || replay ? null : config.staticBook;
  if (book) {
    const inst = sim.venue.instrument(book.symbol);
    const mid = toSteps(args.price ?? book.price, inst.tick);
    const lots = toSteps(book.qty, inst.lot);
    if (!mid.ok) fail(`--price / staticBook.price: ${mid.why}`);
    if (!lots.ok) fail(`staticBook.qty: ${lots.why}`);
    const house = sim.venue.accountByKey(HOUSE_ACCOUNT.apiKey) ?? [...sim.venue.accounts.values()][0];
    if (!house) fail('staticBook needs an account to provide liquidity');
    seedStaticBook(sim.venue, { ...book, midTicks: mid.value, qtyLots: lots.value, uid: house.uid });
  }

  process.stdout.write(
    `${JSON.stringify({
      event: 'ready',
      rest: sim.urls.rest,
      ws: { public: sim.urls.wsPublic, private: sim.urls.wsPrivate, trade: sim.urls.wsTrade },
      control: sim.urls.control,
      token: sim.token,
      seed,
      accounts: [...sim.venue.accounts.values()].map((a) => ({ uid: a.uid, apiKey: a.apiKey, label: a.label })),
      market: withMarket ? { regime: regime.data, speed } : null,
      replay: replay ? { file: args.replay, speed: replaySpeed, imported: replay.report } : null,
    })}\n`,
  );

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    replayDriver?.stop();
    player?.dispose();
    sim.close().then(() => journal?.close()).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
