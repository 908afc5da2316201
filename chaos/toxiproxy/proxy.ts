/**
 * One proxy: a TCP listener, the connections it accepted (two links each) and its toxics. enabled ⇔ listening.
 * Stopping (disable, delete, listen/upstream change) closes the listener and every connection; toxics are kept.
 */
import net, { type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Rng } from '../../sim-exchange/rng.ts';
import { bindTarget, joinHostPort, listenErrorText, resolveListen, splitHostPort } from './addr.ts';
import { Errors } from './errors.ts';
import { marshal } from './gojson.ts';
import { Link, type Direction } from './link.ts';
import { ToxicCollection, toxicJson } from './toxic-collection.ts';

export interface ProxyContext {
  rng: Rng;
  log: Logger;
  /** Called with each link's byte counts when its connection ends (for /metrics). */
  onLinkDone?(p: Proxy, l: Link): void;
}

export interface ProxyInput {
  listen: string;
  upstream: string;
  enabled: boolean;
}

interface Conn {
  client: Socket;
  upstream: Socket;
  links: Link[];
}

export class Proxy {
  enabled = false;
  readonly toxics: ToxicCollection;
  private server: net.Server | null = null;
  private readonly conns = new Set<Conn>();
  private readonly dialing = new Set<Socket>();
  private lock: Promise<unknown> = Promise.resolve();

  constructor(
    readonly name: string,
    public listen: string,
    public upstream: string,
    private readonly ctx: ProxyContext,
  ) {
    this.toxics = new ToxicCollection(this);
  }

  links(direction: Direction): Link[] {
    const out: Link[] = [];
    for (const c of this.conns) for (const l of c.links) if (l.direction === direction) out.push(l);
    return out;
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  /** Serialises lifecycle changes of this proxy. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Binds the stored listen; on success `listen` becomes the bound address. Throws ApiError 500. */
  async start(): Promise<void> {
    if (this.enabled) return;
    const target = await bindTarget(this.listen);
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (c) => this.accept(c));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: target.host, port: target.port, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((err: NodeJS.ErrnoException) => {
      throw Errors.internal(listenErrorText(target.display, err));
    });
    server.on('error', (err) => this.ctx.log.warn({ proxy: this.name, err }, 'listener error'));
    const addr = server.address() as net.AddressInfo;
    this.listen = joinHostPort(addr.address, addr.port);
    this.server = server;
    this.enabled = true;
    this.ctx.log.info({ proxy: this.name, listen: this.listen, upstream: this.upstream }, 'started proxy');
  }

  /** Closes the listener and every connection (clients see FIN at once). */
  stop(): void {
    if (this.server) {
      this.server.close();
      this.server = null;
    }
    this.enabled = false;
    for (const s of this.dialing) s.destroy();
    this.dialing.clear();
    for (const c of this.conns) this.drop(c);
    this.conns.clear();
  }

  /** Toxiproxy's Differs: listen compared after resolving, upstream as a literal string. */
  async differs(other: { listen: string; upstream: string }): Promise<boolean> {
    return this.listen !== (await resolveListen(other.listen)) || this.upstream !== other.upstream;
  }

  async update(input: ProxyInput): Promise<void> {
    if (await this.differs(input)) {
      this.stop();
      this.listen = input.listen;
      this.upstream = input.upstream;
    }
    if (input.enabled !== this.enabled) {
      if (input.enabled) await this.start();
      else this.stop();
    }
  }

  json(): Record<string, unknown> {
    return {
      name: this.name,
      listen: this.listen,
      upstream: this.upstream,
      enabled: this.enabled,
      // An artefact of the real server (an exported zerolog field), kept for byte-level fidelity.
      Logger: {},
      toxics: this.toxics.list().map(toxicJson),
    };
  }

  toString(): string {
    return marshal(this.json());
  }

  private accept(client: Socket): void {
    client.setNoDelay(true);
    client.on('error', () => undefined);
    let target;
    try {
      target = splitHostPort(this.upstream);
    } catch {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: target.host || 'localhost', port: target.port, allowHalfOpen: true });
    this.dialing.add(upstream);
    upstream.on('error', () => undefined);
    const failed = (): void => {
      this.dialing.delete(upstream);
      client.destroy(); // the client sees EOF right away, as in Toxiproxy
    };
    upstream.once('close', failed);
    upstream.once('connect', () => {
      upstream.off('close', failed);
      this.dialing.delete(upstream);
      if (!this.enabled || client.destroyed) {
        upstream.destroy();
        client.destroy();
        return;
      }
      upstream.setNoDelay(true);
      upstream.pause();
      this.wire(client, upstream);
    });
  }

  private wire(client: Socket, upstream: Socket): void {
    const chain = this.toxics.chain;
    // reset_peer present when the connection starts ⇒ SO_LINGER=0 on both sockets: every close is an RST.
    const rst = [...chain.upstream, ...chain.downstream].some((t) => t.spec.lingerZero === true);
    const conn: Conn = { client, upstream, links: [] };
    const hooks = (): ConstructorParameters<typeof Link>[4] => ({
      rng: this.ctx.rng,
      rst: () => rst,
      onError: (err) => this.ctx.log.error({ proxy: this.name, err }, 'toxic failed'),
      onEnd: () => undefined,
    });
    conn.links.push(new Link('upstream', chain.upstream, client, upstream, hooks()));
    conn.links.push(new Link('downstream', chain.downstream, upstream, client, hooks()));
    this.conns.add(conn);
    let closed = 0;
    const onClose = (): void => {
      if (++closed < 2) return;
      this.conns.delete(conn);
      this.drop(conn);
    };
    client.once('close', onClose);
    upstream.once('close', onClose);
    for (const l of conn.links) l.start();
  }

  private drop(c: Conn): void {
    c.client.destroy();
    c.upstream.destroy();
    for (const l of c.links) {
      if (!l.isKilled) {
        l.kill();
        this.ctx.onLinkDone?.(this, l);
      }
    }
  }
}
