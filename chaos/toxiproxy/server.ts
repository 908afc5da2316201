/**
 * The embedded Toxiproxy: API server + proxies, startable in-process (the bench driver, tests) or from chaos/main.ts.
 */
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { Rng } from '../../sim-exchange/rng.ts';
import { buildApi } from './api.ts';
import { ProxyCollection } from './collection.ts';
import { parseBody } from './toxic-collection.ts';
import type { Proxy } from './proxy.ts';
import type { Link } from './link.ts';

export interface ToxiproxyOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Seeds toxicity draws, jitter and slicer sizes (never Math.random). */
  seed?: number;
  logger?: Logger;
  /** A JSON array in /populate format, loaded at start (errors are logged, as in Toxiproxy). */
  configFile?: string;
  proxyMetrics?: boolean;
  runtimeMetrics?: boolean;
  /** API request deadline in ms: headers within it, then the body within it (default 15 s, Go's ReadTimeout). */
  requestDeadlineMs?: number;
}

export interface ToxiproxyServer {
  /** e.g. http://127.0.0.1:8474 (no trailing slash: toxiproxy-node-client concatenates paths). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly seed: number;
  readonly proxies: ProxyCollection;
  close(): Promise<void>;
}

export async function startToxiproxy(opts: ToxiproxyOptions = {}): Promise<ToxiproxyServer> {
  const seed = opts.seed ?? 1;
  const rng = new Rng(seed);
  const log = opts.logger ?? pino({ level: 'warn' }, pino.destination(2));
  let registry: Registry | undefined;
  let onLinkDone: ((p: Proxy, l: Link) => void) | undefined;
  if (opts.proxyMetrics || opts.runtimeMetrics) {
    registry = new Registry();
    if (opts.runtimeMetrics) collectDefaultMetrics({ register: registry });
    if (opts.proxyMetrics) {
      const labelNames = ['direction', 'listener', 'proxy', 'upstream'] as const;
      const received = new Counter({ name: 'toxiproxy_proxy_received_bytes_total', help: 'Bytes read from the source, per link', labelNames, registers: [registry] });
      const sent = new Counter({ name: 'toxiproxy_proxy_sent_bytes_total', help: 'Bytes written to the destination, per link', labelNames, registers: [registry] });
      onLinkDone = (p, l) => {
        const labels = { direction: l.direction, listener: p.listen, proxy: p.name, upstream: p.upstream };
        received.inc(labels, l.received);
        sent.inc(labels, l.sent);
      };
    }
  }
  const proxies = new ProxyCollection({ rng: rng.fork('toxics'), log, onLinkDone });
  const app = await buildApi({ proxies, log, rng, metrics: registry, requestDeadlineMs: opts.requestDeadlineMs });
  await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 8474 });
  const addr = app.server.address() as AddressInfo;
  const hostPart = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  if (opts.configFile) {
    try {
      const r = await proxies.populate(parseBody(await readFile(opts.configFile, 'utf8')));
      if (r.error) log.error({ err: r.error.message, file: opts.configFile }, 'populating proxies from config failed');
      else log.info({ proxies: r.proxies.length, file: opts.configFile }, 'populated proxies from config');
    } catch (err) {
      log.error({ err, file: opts.configFile }, 'reading config failed');
    }
  }
  return {
    url: `http://${hostPart}:${addr.port}`,
    host: addr.address,
    port: addr.port,
    seed,
    proxies,
    async close() {
      await proxies.closeAll();
      await app.close();
    },
  };
}
