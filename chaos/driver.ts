/**
 * The bench's chaos driver. It talks to Toxiproxy through toxiproxy-node-client, so it works the same against a real
 * toxiproxy-server (TOXIPROXY_URL set) and against the embedded one (started in-process on port 0 otherwise).
 *
 * One proxy per venue channel, all pointing at the venue's single host:port, so faults can hit REST, public WS,
 * private WS and trade WS separately. The driver never decides timing: callers add a fault when it starts and remove
 * it when it ends (removed, not zeroed, so live connections return to a clean chain at once).
 */
import { Toxiproxy, type Proxy as TpProxy } from 'toxiproxy-node-client';
import { z } from 'zod';
import { startToxiproxy, type ToxiproxyServer } from './toxiproxy/server.ts';
import { PROFILES, profileToxicName, type ProfileName, type Stream, type ToxicType } from './profiles.ts';

export const CHANNELS = ['rest', 'ws-public', 'ws-private', 'ws-trade'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface Fault {
  /** Unique per channel; used to remove it. */
  name: string;
  type: ToxicType;
  stream: Stream;
  attributes: Record<string, number>;
  toxicity?: number;
}

const FaultSchema = z.object({
  name: z.string().min(1).regex(/^[^/]+$/, 'fault names cannot contain "/"'),
  type: z.enum(['latency', 'bandwidth', 'slow_close', 'timeout', 'reset_peer', 'slicer', 'limit_data', 'noop']),
  stream: z.enum(['upstream', 'downstream']),
  attributes: z.record(z.string(), z.number().int()),
  toxicity: z.number().min(0).max(1).optional(),
});

export interface DriverOptions {
  /** The venue's address; every channel proxies to it. */
  upstream: string;
  /** A running Toxiproxy; default process.env.TOXIPROXY_URL, else an embedded server on 127.0.0.1:0. */
  url?: string;
  /** Proxy names are `<prefix>-<channel>`. */
  prefix?: string;
  /** Where proxies listen (a real Toxiproxy in Docker needs `0.0.0.0`). */
  listenHost?: string;
  /** Seed of the embedded server's PRNG (toxicity, jitter, slicer). */
  seed?: number;
  /**
   * Keep proxies that already exist under our names (their listen addresses are what clients were given, e.g. the
   * docker-compose stack's fixed ports): their toxics are removed and their upstream set, instead of re-creating
   * them on fresh ports. Default false: start clean.
   */
  reuse?: boolean;
}

/** Proxy names are `<prefix>-<channel>` with this default prefix. */
export const DEFAULT_PREFIX = 'venue';

export interface Endpoint {
  host: string;
  port: number;
  /** host:port as reported by Toxiproxy. */
  listen: string;
}

export class ChaosDriver {
  private constructor(
    readonly url: string,
    private readonly client: Toxiproxy,
    private readonly proxies: Map<Channel, TpProxy>,
    private readonly embedded: ToxiproxyServer | undefined,
    /** The proxies were someone else's (reuse): close() clears their toxics and leaves them. */
    private readonly reused = false,
  ) {}

  get isEmbedded(): boolean {
    return this.embedded !== undefined;
  }

  static async start(opts: DriverOptions): Promise<ChaosDriver> {
    const prefix = opts.prefix ?? DEFAULT_PREFIX;
    const wanted = opts.url ?? process.env.TOXIPROXY_URL;
    const embedded = wanted ? undefined : await startToxiproxy({ port: 0, seed: opts.seed ?? 1 });
    const url = (wanted ?? embedded!.url).replace(/\/+$/, '');
    const client = new Toxiproxy(url);
    const proxies = new Map<Channel, TpProxy>();
    try {
      const existing = await client.getAll();
      for (const ch of CHANNELS) {
        const name = `${prefix}-${ch}`;
        const old = existing[name];
        if (old && opts.reuse) {
          await clearToxics(old);
          const kept = old.upstream === opts.upstream && old.enabled ? old : await old.update({ enabled: true, listen: old.listen, upstream: opts.upstream });
          proxies.set(ch, kept);
          continue;
        }
        // Left over from an earlier run against a long-lived Toxiproxy: start clean.
        if (old) await old.remove();
        const p = await client.createProxy({ name, listen: `${opts.listenHost ?? '127.0.0.1'}:0`, upstream: opts.upstream });
        proxies.set(ch, p);
      }
    } catch (err) {
      await embedded?.close();
      throw err;
    }
    return new ChaosDriver(url, client, proxies, embedded, opts.reuse === true);
  }

  /** Where a client of `channel` should connect instead of the venue. */
  endpoint(channel: Channel): Endpoint {
    const listen = this.proxy(channel).listen;
    const i = listen.lastIndexOf(':');
    let host = listen.slice(0, i).replace(/^\[|\]$/g, '');
    if (host === '::' || host === '0.0.0.0' || host === '') host = '127.0.0.1';
    return { host, port: Number(listen.slice(i + 1)), listen };
  }

  /** Starts a fault now. Rejects if the name is taken on that channel. */
  async addFault(channel: Channel, fault: Fault): Promise<void> {
    const f = FaultSchema.parse(fault);
    await this.proxy(channel).addToxic({
      name: f.name,
      type: f.type as never,
      stream: f.stream as never,
      toxicity: f.toxicity ?? 1,
      attributes: f.attributes as never,
    });
  }

  /** Changes a running fault in place (applies to open connections at once). */
  async updateFault(channel: Channel, name: string, change: { attributes?: Record<string, number>; toxicity?: number }): Promise<void> {
    const t = await this.proxy(channel).getToxic(name);
    await t.update({ ...change } as never);
  }

  /** Ends a fault: the toxic is removed from the chain (not set to zero). */
  async removeFault(channel: Channel, name: string): Promise<void> {
    const t = await this.proxy(channel).getToxic(name);
    await t.remove();
  }

  /** Names of the faults active on a channel, in chain order (upstream first). */
  async faults(channel: Channel): Promise<string[]> {
    const res = await fetch(`${this.url}/proxies/${this.proxy(channel).name}/toxics`);
    if (!res.ok) throw new Error(`GET toxics: ${res.status}`);
    return ((await res.json()) as { name: string }[]).map((t) => t.name);
  }

  /** Takes a channel down (listener closed, every connection closed) or brings it back on the same port. */
  async setEnabled(channel: Channel, enabled: boolean): Promise<void> {
    const p = this.proxy(channel);
    const updated = await p.update({ enabled, listen: p.listen, upstream: p.upstream });
    this.proxies.set(channel, updated);
  }

  /** Adds every toxic of a network profile to the channels (default: all four). */
  async applyProfile(profile: ProfileName, channels: readonly Channel[] = CHANNELS): Promise<void> {
    for (const ch of channels) {
      for (const t of PROFILES[profile].toxics) {
        await this.addFault(ch, { name: profileToxicName(profile, t), type: t.type, stream: t.stream, attributes: { ...t.attributes }, toxicity: 'toxicity' in t ? (t.toxicity as number) : undefined });
      }
    }
  }

  async removeProfile(profile: ProfileName, channels: readonly Channel[] = CHANNELS): Promise<void> {
    for (const ch of channels) for (const t of PROFILES[profile].toxics) await this.removeFault(ch, profileToxicName(profile, t));
  }

  /** Removes every fault on every proxy of this server and re-enables disabled ones (Toxiproxy's /reset). */
  async reset(): Promise<void> {
    await this.client.reset();
    for (const ch of CHANNELS) this.proxies.set(ch, await this.client.get(this.proxy(ch).name));
  }

  /** Deletes the driver's proxies (reused ones only lose their toxics) and stops the embedded server if it started one. */
  async close(): Promise<void> {
    try {
      for (const p of this.proxies.values()) await (this.reused ? clearToxics(p) : p.remove()).catch(() => undefined);
    } finally {
      await this.embedded?.close();
    }
  }

  private proxy(channel: Channel): TpProxy {
    const p = this.proxies.get(channel);
    if (!p) throw new Error(`unknown channel ${channel}`);
    return p;
  }
}

/** Removes every toxic of a proxy, as the server lists them now (the client's Proxy object does not track them). */
async function clearToxics(p: TpProxy): Promise<void> {
  const base = `${p.getToxiproxy().host.replace(/\/+$/, '')}/proxies/${encodeURIComponent(p.name)}/toxics`;
  const list = (await (await fetch(base)).json()) as { name: string }[];
  for (const t of list) {
    const r = await fetch(`${base}/${encodeURIComponent(t.name)}`, { method: 'DELETE' });
    if (!r.ok && r.status !== 404) throw new Error(`removing toxic ${t.name} of ${p.name}: HTTP ${r.status}`);
  }
}
