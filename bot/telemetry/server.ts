/**
 * The telemetry HTTP server (fastify, its own port): GET /metrics (Prometheus), GET /healthz, and the operator's
 * POST /kill-switch/reset.
 */
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export interface Health {
  readonly ok: boolean;
  readonly [k: string]: unknown;
}

export interface TelemetryHooks {
  registry: Registry;
  health(): Health;
  /** Returns whether the kill switch was set (and is now reset). */
  resetKillSwitch(): { wasKilled: boolean; reason: string | undefined };
}

export interface TelemetryServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export async function startTelemetry(host: string, port: number, hooks: TelemetryHooks): Promise<TelemetryServer> {
  const app: FastifyInstance = Fastify({ logger: false });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', hooks.registry.contentType);
    return hooks.registry.metrics();
  });
  app.get('/healthz', async (_req, reply) => {
    const h = hooks.health();
    reply.code(h.ok ? 200 : 503);
    return h;
  });
  app.post('/kill-switch/reset', async () => {
    const r = hooks.resetKillSwitch();
    return { reset: r.wasKilled, reason: r.reason ?? null };
  });
  await app.listen({ host, port });
  const bound = (app.server.address() as AddressInfo).port;
  const h = host.includes(':') ? `[${host}]` : host;
  return { port: bound, url: `http://${h}:${bound}`, close: () => app.close() };
}
