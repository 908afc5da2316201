#!/usr/bin/env node
/**
 * `npm run bot -- --config <file.yaml>`
 *
 * Loads and validates the config (exit 2 with one line per bad field), starts the bot, and on SIGTERM / SIGINT
 * cancels every open order, waits for the venue to confirm, and exits 0 (1 if the orders could not be confirmed
 * cancelled). Logs are pino JSON on stderr; the startup line carries the telemetry port.
 */
import { parseArgs } from 'node:util';
import { loadConfigFile, ConfigError } from './config/load.ts';
import { startBot } from './app.ts';
import { ERRORS } from './telemetry/errors.ts';

const USAGE = 'usage: npm run bot -- --config <file.yaml>';

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({ options: { config: { type: 'string' }, help: { type: 'boolean', default: false } }, strict: true }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!args.config) {
    process.stderr.write(`--config is required\n${USAGE}\n`);
    process.exit(2);
  }
  let config;
  try {
    config = loadConfigFile(args.config);
  } catch (err) {
    if (err instanceof ConfigError) {
      // Human-readable first (one line per bad field), then the coded JSON line for log pipelines.
      process.stderr.write(`${err.message}\n`);
      process.stderr.write(`${JSON.stringify({ level: 'fatal', code: ERRORS.CONFIG_INVALID.code, msg: ERRORS.CONFIG_INVALID.text, problems: err.problems })}\n`);
      process.exit(2);
    }
    throw err;
  }

  const bot = await startBot(config);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    process.stderr.write(`${JSON.stringify({ level: 'info', msg: 'shutting down', signal })}\n`);
    bot.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
