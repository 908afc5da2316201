/** Shared plumbing for the chaos tests: an embedded Toxiproxy, loopback TCP servers and event-driven readers. */
import net, { type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';
import { Toxiproxy, type Proxy } from 'toxiproxy-node-client';
import { startToxiproxy, type ToxiproxyServer } from '../../chaos/toxiproxy/server.ts';

export interface Env {
  server: ToxiproxyServer;
  client: Toxiproxy;
  close(): Promise<void>;
}

export async function startEnv(seed = 1): Promise<Env> {
  const server = await startToxiproxy({ port: 0, seed });
  // eslint-disable-next-line no-console
  console.log(`chaos test toxiproxy seed=${seed}`);
  return { server, client: new Toxiproxy(server.url), close: () => server.close() };
}

export interface TcpServer {
  port: number;
  addr: string;
  /** Accepted sockets, in order. */
  sockets: Socket[];
  nextSocket(): Promise<Socket>;
  close(): Promise<void>;
}

/** A loopback server; `onConn` handles each accepted socket (default: echo). */
export async function tcpServer(onConn: (s: Socket) => void = (s) => s.pipe(s)): Promise<TcpServer> {
  const sockets: Socket[] = [];
  const waiters: ((s: Socket) => void)[] = [];
  const srv = net.createServer((s) => {
    s.setNoDelay(true);
    s.on('error', () => undefined);
    sockets.push(s);
    onConn(s);
    waiters.shift()?.(s);
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as AddressInfo).port;
  let taken = 0;
  return {
    port,
    addr: `127.0.0.1:${port}`,
    sockets,
    nextSocket: () =>
      new Promise((res) => {
        if (sockets.length > taken) res(sockets[taken++]!);
        else
          waiters.push((s) => {
            taken++;
            res(s);
          });
      }),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => srv.close(() => r()));
    },
  };
}

export function portOf(p: Proxy): number {
  return Number(p.listen.slice(p.listen.lastIndexOf(':') + 1));
}

export async function connect(port: number): Promise<Socket> {
  const s = net.connect({ port, host: '127.0.0.1' });
  s.setNoDelay(true);
  s.on('error', () => undefined);
  await once(s, 'connect');
  return s;
}

/** Collects everything a socket receives and how it ended. */
export class Reader {
  chunks: Buffer[] = [];
  bytes = 0;
  ended: 'end' | 'reset' | 'close' | null = null;
  endedAt = 0;
  errorCode: string | undefined;
  private waiters: (() => void)[] = [];

  constructor(readonly socket: Socket) {
    socket.on('data', (b: Buffer) => {
      this.chunks.push(b);
      this.bytes += b.length;
      this.poke();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      this.errorCode ??= e.code;
      if (!this.ended && e.code === 'ECONNRESET') this.finish('reset');
    });
    socket.on('end', () => this.finish('end'));
    socket.on('close', () => this.finish('close'));
  }

  get text(): string {
    return Buffer.concat(this.chunks).toString();
  }

  private finish(how: 'end' | 'reset' | 'close'): void {
    if (this.ended) return;
    this.ended = how;
    this.endedAt = performance.now();
    this.poke();
  }

  private poke(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves when `pred` holds (checked on every event). */
  until(pred: () => boolean): Promise<void> {
    return new Promise((res) => {
      const check = (): void => {
        if (pred()) res();
        else this.waiters.push(check);
      };
      check();
    });
  }

  untilBytes(n: number): Promise<void> {
    return this.until(() => this.bytes >= n || this.ended !== null);
  }

  untilEnded(): Promise<void> {
    return this.until(() => this.ended !== null);
  }
}

/** One round trip of `msg` through an echo path; resolves with the elapsed ms. */
export async function roundTrip(s: Socket, r: Reader, msg = 'ping'): Promise<number> {
  const want = r.bytes + msg.length;
  const t0 = performance.now();
  s.write(msg);
  await r.untilBytes(want);
  return performance.now() - t0;
}

/**
 * The quickest of `n` round trips: the figure to hold against an upper bound (a loaded 2-core machine can stall any
 * single one; it cannot make all of them fast when a toxic delays each).
 */
export async function quickestRoundTrip(s: Socket, r: Reader, n = 5): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) best = Math.min(best, await roundTrip(s, r));
  return best;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** A promise + its resolver. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
