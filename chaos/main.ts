#!/usr/bin/env node
/**
 * `npm run toxiproxy -- [--host 127.0.0.1] [--port 8474] [--config proxies.json] [--seed 1] [--proxy-metrics]
 *                      [--runtime-metrics] [--request-deadline-ms 15000] [--log-level warn]`
 *
 * The embedded Toxiproxy-compatible server. Prints ONE JSON line on stdout when ready ({"toxiproxy":url,...}); logs
 * are pino JSON on stderr. SIGTERM/SIGINT close the API and every proxy, then exit 0.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { z } from 'zod';
import { VERSION } from './toxiproxy/api.ts';
import { startToxiproxy } from './toxiproxy/server.ts';

const USAGE = `usage: npm run toxiproxy -- [--host 127.0.0.1] [--port 8474] [--config file.json] [--seed 1]
                           [--proxy-metrics] [--runtime-metrics] [--request-deadline-ms 15000]
                           [--log-level warn] [--version]`;

const Args = z.object({
  host: z.string().min(1),
  port: z.coerce.number().int().min(0).max(65535),
  seed: z.coerce.number().int().min(0).max(0xffffffff),
  config: z.string().optional(),
  'proxy-metrics': z.boolean(),
  'runtime-metrics': z.boolean(),
  'request-deadline-ms': z.coerce.number().int().min(1).max(600_000),
  'log-level': z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
});

async function main(): Promise<void> {
  let raw;
  try {
    raw = parseArgs({
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '8474' },
        seed: { type: 'string', default: '1' },
        config: { type: 'string' },
        'proxy-metrics': { type: 'boolean', default: false },
        'runtime-metrics': { type: 'boolean', default: false },
        'request-deadline-ms': { type: 'string', default: '15000' },
        'log-level': { type: 'string', default: process.env.LOG_LEVEL ?? 'warn' },
        version: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (raw.help) return void process.stdout.write(`${USAGE}\n`);
  if (raw.version) return void process.stdout.write(`toxiproxy-server version ${VERSION}\n`);
  const parsed = Args.safeParse(raw);
  if (!parsed.success) {
    process.stderr.write(`${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n')}\n${USAGE}\n`);
    process.exit(2);
  }
  const a = parsed.data;
  const logger = pino({ level: a['log-level'], base: { seed: a.seed } }, pino.destination(2));
  const server = await startToxiproxy({
    host: a.host,
    port: a.port,
    seed: a.seed,
    logger,
    configFile: a.config,
    proxyMetrics: a['proxy-metrics'],
    runtimeMetrics: a['runtime-metrics'],
    requestDeadlineMs: a['request-deadline-ms'],
  });
  process.stdout.write(`${JSON.stringify({ toxiproxy: server.url, version: VERSION, seed: server.seed, pid: process.pid })}\n`);
  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    server.close().then(
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
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
