/**
 * Toxiproxy 2.12.0's HTTP API on fastify: same paths, status codes, bodies and headers (see docs/chaos.md for the
 * coverage table). Bodies are written pre-serialised because clients and tests may compare bytes: Go's json.Marshal
 * key order, escaping and float32 formatting, no trailing newline on success, `{"error","status"}\n` as text/plain
 * on errors (Go's http.Error), 405 with an empty body for a known path with another method.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Rng } from '../../sim-exchange/rng.ts';
import { joinHostPort } from './addr.ts';
import { decodeProxySpec, type ProxyCollection } from './collection.ts';
import { decodeInto } from './decode.ts';
import { asApiError, Errors, TEXT, type ApiError } from './errors.ts';
import { marshal } from './gojson.ts';
import { parseBody, toxicJson } from './toxic-collection.ts';

export const VERSION = '2.12.0';

/**
 * Largest request body read (Toxiproxy has none; ours answers 413 beyond it). Real bodies are well under a KiB (a
 * /populate of thousands of proxies fits); the limit bounds how long one body can hold the event loop, which every
 * proxied byte shares: decoding 1 MiB of the worst JSON takes ~0.2 s, 16 MiB took seconds.
 */
export const BODY_LIMIT = 1024 * 1024;
/** Go's ReadTimeout: the default deadline for receiving a whole request (headers and body). */
export const DEFAULT_REQUEST_DEADLINE_MS = 15_000;

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
type Method = (typeof METHODS)[number];

export interface ApiOptions {
  proxies: ProxyCollection;
  log: Logger;
  rng: Rng;
  /** Serve /metrics from this registry (only when -proxy-metrics / -runtime-metrics was given). */
  metrics?: Registry;
  /**
   * The request deadline in ms (default 15 s, Go's ReadTimeout): the whole request, headers and body, must arrive
   * within it from its first byte (a fresh connection: from connecting), however the bytes trickle. A body still
   * arriving then gets Go's 400 `bad request body: read tcp A->B: i/o timeout`, headers not yet in get a 408; the
   * connection is closed either way. Only receiving counts: handling and answering are not cut.
   */
  requestDeadlineMs?: number;
}

function sendError(reply: FastifyReply, err: ApiError): FastifyReply {
  // A body not read to its end (too large, timed out) leaves the connection unusable: close it after this answer.
  if (!reply.request.raw.complete) reply.header('connection', 'close');
  return reply
    .code(err.status)
    .header('content-type', 'text/plain; charset=utf-8')
    .header('x-content-type-options', 'nosniff')
    .send(`${marshal({ error: err.message, status: err.status })}\n`);
}

function sendJson(reply: FastifyReply, body: string, status = 200): FastifyReply {
  // A Buffer, so fastify does not append "; charset=utf-8" (Go sends exactly application/json).
  return reply.code(status).header('content-type', 'application/json').send(Buffer.from(body));
}

/** The response Node keeps on a socket from a request's headers until its answer is done. */
interface HttpSocket extends Socket {
  _httpMessage?: { headersSent: boolean } | null;
}

/**
 * Errors of the HTTP layer, before any route runs. The request deadline passing while the body is still arriving is
 * what Go's server turns into the decoder's `bad request body: read tcp A->B: i/o timeout` (400); passing before the
 * headers are in, Go just closes the connection, and here the client is told so with a 408 in the same error body.
 * Malformed requests get Go's plain-text 400 / 431. The connection is closed in every case.
 */
function onClientError(err: Error & { code?: string }, socket: Socket, deadline: number): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const inFlight = (socket as HttpSocket)._httpMessage ?? undefined;
  let status: number;
  let body: string;
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    const e =
      inFlight === undefined
        ? Errors.headersTimeout(deadline)
        : Errors.readTimeout(joinHostPort(socket.localAddress ?? '', socket.localPort ?? 0), joinHostPort(socket.remoteAddress ?? '', socket.remotePort ?? 0));
    status = e.status;
    body = `${marshal({ error: e.message, status: e.status })}\n`;
  } else if (err.code === 'HPE_HEADER_OVERFLOW') {
    status = 431;
    body = '431 Request Header Fields Too Large';
  } else {
    status = 400;
    body = '400 Bad Request';
  }
  // Only while no byte of an answer went out on this socket (else the client would read a corrupt stream).
  if (socket.writable && inFlight?.headersSent !== true) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: text/plain; charset=utf-8\r\nx-content-type-options: nosniff\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** A 20-character xid-style id (base32hex of 12 bytes: time, a per-server random part, a counter). */
function requestIds(rng: Rng): () => string {
  const machine = [rng.u32(), rng.u32()];
  let counter = rng.u32() & 0xffffff;
  const alphabet = '0123456789abcdefghijklmnopqrstuv';
  return () => {
    const b = Buffer.alloc(12);
    b.writeUInt32BE(Math.floor(Date.now() / 1000), 0);
    b.writeUInt32BE(machine[0]!, 4);
    b.writeUInt8(machine[1]! & 0xff, 8);
    counter = (counter + 1) & 0xffffff;
    b.writeUIntBE(counter, 9, 3);
    let bits = 0;
    let acc = 0;
    let out = '';
    for (const byte of b) {
      acc = (acc << 8) | byte;
      bits += 8;
      while (bits >= 5) {
        out += alphabet[(acc >>> (bits - 5)) & 31];
        bits -= 5;
      }
      acc &= (1 << bits) - 1;
    }
    if (bits > 0) out += alphabet[(acc << (5 - bits)) & 31];
    return out;
  };
}

export async function buildApi(opts: ApiOptions) {
  const { proxies } = opts;
  const deadline = opts.requestDeadlineMs ?? DEFAULT_REQUEST_DEADLINE_MS;
  if (!Number.isInteger(deadline) || deadline < 1) throw new RangeError(`requestDeadlineMs must be a positive integer, got ${deadline}`);
  const app = Fastify({
    logger: false,
    exposeHeadRoutes: false,
    bodyLimit: BODY_LIMIT,
    // Go's server: read 15 s (the whole request), write 30 s, idle 60 s. Node checks the request deadline (headers
    // and body, from the request's first byte) every connectionsCheckingInterval: a quarter of it, at most 1 s.
    // It must get requestTimeout at construction: set later, Node does not apply it to a body still arriving.
    keepAliveTimeout: 60_000,
    requestTimeout: deadline,
    http: { requestTimeout: deadline, headersTimeout: deadline, connectionsCheckingInterval: Math.min(1000, Math.max(10, Math.floor(deadline / 4))) },
    clientErrorHandler: (err, socket) => onClientError(err, socket, deadline),
  });
  const nextId = requestIds(opts.rng.fork('request-id'));

  // Go never checks Content-Type: every body is read as text and decoded by the handler.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  // Middleware of matched routes: request id, then the browser block (405s bypass it, as mux's handler does).
  app.addHook('onRequest', async (req, reply) => {
    if (req.is404 || (req.routeOptions.config as { bare?: boolean }).bare) return;
    reply.header('x-toxiproxy-request-id', nextId());
    if ((req.headers['user-agent'] ?? '').startsWith('Mozilla/')) {
      return reply.code(403).header('content-type', 'text/plain; charset=utf-8').send(TEXT.userAgentBlocked);
    }
  });
  // Toxiproxy logs every request; here at debug level so a busy driver does not flood stderr.
  app.addHook('onResponse', async (req, reply) => {
    opts.log.debug({ method: req.method, url: req.url, status: reply.statusCode }, 'request');
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).header('content-type', 'text/plain; charset=utf-8').send(TEXT.notFound));
  app.setErrorHandler((err, _req, reply) => sendError(reply, asApiError(err)));

  const routes = new Map<string, Set<Method>>();
  const route = (method: Method, url: string, handler: (p: Record<string, string>, body: string, reply: FastifyReply) => Promise<unknown>): void => {
    (routes.get(url) ?? routes.set(url, new Set()).get(url)!).add(method);
    app.route({
      method,
      url,
      handler: async (req, reply) => {
        try {
          return await handler(req.params as Record<string, string>, typeof req.body === 'string' ? req.body : '', reply);
        } catch (err) {
          return sendError(reply, asApiError(err));
        }
      },
    });
  };

  route('GET', '/version', async (_p, _b, reply) =>
    reply.header('content-type', 'application/json;charset=utf-8').send(`{"version": "${VERSION}"}\n`),
  );

  route('POST', '/reset', async (_p, _b, reply) => {
    await proxies.reset();
    return reply.code(204).send();
  });

  route('GET', '/proxies', async (_p, _b, reply) => {
    const obj: Record<string, unknown> = {};
    for (const p of proxies.all()) obj[p.name] = p.json();
    return sendJson(reply, marshal(obj));
  });

  route('POST', '/proxies', async (_p, body, reply) => {
    const spec = decodeProxySpec(parseBody(body));
    const p = await proxies.create(spec);
    return sendJson(reply, p.toString(), 201);
  });

  route('POST', '/populate', async (_p, body, reply) => {
    let result;
    try {
      result = await proxies.populate(parseBody(body));
    } catch (err) {
      result = { proxies: [], error: asApiError(err) };
    }
    const list = result.proxies.length > 0 ? result.proxies.map((p) => p.json()) : null;
    const e = result.error;
    const out = e ? { error: e.message, status: e.status, proxies: list } : { proxies: list };
    return sendJson(reply, marshal(out), e ? e.status : 201);
  });

  route('GET', '/proxies/:proxy', async (p, _b, reply) => sendJson(reply, proxies.get(p.proxy!).toString()));

  const updateProxy = async (p: Record<string, string>, body: string, reply: FastifyReply): Promise<unknown> => {
    proxies.get(p.proxy!); // 404 before the body is looked at
    const doc = parseBody(body);
    const updated = await proxies.update(p.proxy!, (proxy) => {
      // Omitted fields keep their values; `name` is ignored.
      const input: Record<string, unknown> = { listen: proxy.listen, upstream: proxy.upstream, enabled: proxy.enabled };
      const err = decodeInto(input, { listen: 'string', upstream: 'string', enabled: 'bool' }, doc, 'Proxy', '', 'toxiproxy.Proxy');
      if (err) throw Errors.badRequestBody(err);
      return input as { listen: string; upstream: string; enabled: boolean };
    });
    return sendJson(reply, updated.toString());
  };
  route('POST', '/proxies/:proxy', updateProxy);
  route('PATCH', '/proxies/:proxy', updateProxy);

  route('DELETE', '/proxies/:proxy', async (p, _b, reply) => {
    await proxies.remove(p.proxy!);
    return reply.code(204).send();
  });

  route('GET', '/proxies/:proxy/toxics', async (p, _b, reply) => sendJson(reply, proxies.get(p.proxy!).toxics.json()));

  route('POST', '/proxies/:proxy/toxics', async (p, body, reply) => {
    const t = await proxies.get(p.proxy!).toxics.add(body);
    return sendJson(reply, marshal(toxicJson(t))); // 200, not 201
  });

  route('GET', '/proxies/:proxy/toxics/:toxic', async (p, _b, reply) =>
    sendJson(reply, marshal(toxicJson(proxies.get(p.proxy!).toxics.get(p.toxic!)))),
  );

  const updateToxic = async (p: Record<string, string>, body: string, reply: FastifyReply): Promise<unknown> => {
    const t = await proxies.get(p.proxy!).toxics.update(p.toxic!, body);
    return sendJson(reply, marshal(toxicJson(t)));
  };
  route('POST', '/proxies/:proxy/toxics/:toxic', updateToxic);
  route('PATCH', '/proxies/:proxy/toxics/:toxic', updateToxic);

  route('DELETE', '/proxies/:proxy/toxics/:toxic', async (p, _b, reply) => {
    await proxies.get(p.proxy!).toxics.remove(p.toxic!);
    return reply.code(204).send();
  });

  const metrics = opts.metrics;
  if (metrics) {
    route('GET', '/metrics', async (_p, _b, reply) =>
      reply.header('content-type', metrics.contentType).send(await metrics.metrics()),
    );
  }

  // A known path with another method: 405, empty body, no request id (mux's MethodNotAllowed handler).
  for (const [url, methods] of routes) {
    const others = METHODS.filter((m) => !methods.has(m));
    app.route({ method: others, url, config: { bare: true }, handler: async (_req, reply) => reply.code(405).send() });
  }

  return app;
}
