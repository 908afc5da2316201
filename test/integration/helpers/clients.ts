/**
 * Shared setup for the real-client integration tests (bybit-api, ccxt): the whole venue in-process via `startSim`,
 * three accounts (a maker under test, a taker that fills it, a house account providing a static book), a journal of
 * every WS frame, and helpers that await a condition with a timeout (never sleep to synchronise).
 */
import { startSim, type SimHandle } from '../../../sim-exchange/server.ts';
import { seedStaticBook } from '../../../sim-exchange/market/static-book.ts';
import { trafficLine } from '../../../sim-exchange/journal.ts';
import type { VenueCommand } from '../../../sim-exchange/venue/commands.ts';

export const SYMBOL = 'BTCUSDT';
export const WAIT_MS = 5000;

export interface Keys {
  readonly apiKey: string;
  readonly secret: string;
}

export interface JournalFrame {
  channel: string;
  dir?: 'in' | 'out';
  uid?: number;
  data?: string;
  [k: string]: unknown;
}

export interface ClientSim {
  readonly sim: SimHandle;
  readonly maker: Keys & { uid: number };
  readonly taker: Keys & { uid: number };
  readonly house: Keys & { uid: number };
  /** Resolves once the venue has acknowledged a subscription to `topic` for the account `uid` (private) or anyone. */
  subscribed(topic: string, uid?: number): Promise<void>;
  /** Every venue command so far, JSON round-tripped (replayCommands rebuilds the venue from them). */
  readonly commands: readonly VenueCommand[];
  /** Traffic events whose journal line did not parse (should stay empty). */
  readonly journalErrors: readonly string[];
  /** Book depth as [price, qty] numbers (BTCUSDT: ticks of 0.1, lots of 0.001). */
  depth(levels: number): { bids: [number, number][]; asks: [number, number][] };
}

export async function startClientSim(tag: string): Promise<ClientSim> {
  const frames: JournalFrame[] = [];
  const journalErrors: string[] = [];
  const commands: VenueCommand[] = [];
  const listeners = new Set<(f: JournalFrame) => void>();
  const mk = (name: string) => ({ apiKey: `${tag}-${name}-key`, secret: `${tag}-${name}-secret` });
  const maker = mk('maker');
  const taker = mk('taker');
  const house = mk('house');
  const sim = await startSim({
    seed: 11,
    accounts: [
      { ...maker, balance: '100000', makerFeeRate: '0.0002', takerFeeRate: '0.00055' },
      { ...taker, balance: '100000', makerFeeRate: '0.0002', takerFeeRate: '0.00055' },
      { ...house, balance: '50000000', makerFeeRate: '0', takerFeeRate: '0' },
    ],
    // The command journal as it would be read back from the file (a JSON round trip).
    onCommand: (c) => commands.push(JSON.parse(JSON.stringify(c)) as VenueCommand),
    onTraffic: (e) => {
      // Every event must make one parseable journal line (outbound frames are embedded as JSON values).
      try {
        JSON.parse(trafficLine(e));
      } catch (err) {
        journalErrors.push(`${(err as Error).message}: ${JSON.stringify(e).slice(0, 300)}`);
      }
      const f = e as unknown as JournalFrame;
      if (typeof f.data !== 'string') return;
      frames.push(f);
      for (const l of listeners) l(f);
    },
  });
  const uidOf = (k: Keys) => sim.venue.accountByKey(k.apiKey)!.uid;
  const houseUid = uidOf(house);
  seedStaticBook(sim.venue, { symbol: SYMBOL, midTicks: 600_000, levels: 20, stepTicks: 5, spreadTicks: 2, qtyLots: 500, depthGrowth: 0.1, uid: houseUid });

  /** req_id → topics of inbound subscribe frames, per connection. */
  const pending = new Map<string, string[]>();
  const acked: { topic: string; uid: number | undefined }[] = [];
  const onFrame = (f: JournalFrame) => {
    let msg: { op?: string; req_id?: unknown; args?: unknown; success?: boolean };
    try {
      msg = JSON.parse(f.data!) as typeof msg;
    } catch {
      return;
    }
    if (msg.op !== 'subscribe') return;
    const key = `${String(f.connId)}|${String(msg.req_id)}`;
    if (f.dir === 'in' && Array.isArray(msg.args)) pending.set(key, msg.args as string[]);
    else if (f.dir === 'out' && msg.success === true) for (const topic of pending.get(key) ?? []) acked.push({ topic, uid: f.uid });
  };
  listeners.add(onFrame);

  return {
    sim,
    journalErrors,
    commands,
    maker: { ...maker, uid: uidOf(maker) },
    taker: { ...taker, uid: uidOf(taker) },
    house: { ...house, uid: houseUid },
    subscribed: (topic, uid) =>
      waitUntil(
        () => acked.some((a) => a.topic === topic && (uid === undefined || a.uid === uid)),
        (wake) => {
          listeners.add(wake);
          return () => listeners.delete(wake);
        },
        `subscription ack for ${topic}`,
      ),
    depth(levels) {
      const book = sim.venue.book(SYMBOL);
      const conv = (l: readonly (readonly [number, number])[]) => l.map(([p, q]) => [p / 10, q / 1000] as [number, number]);
      return { bids: conv(book.depth(1, levels)), asks: conv(book.depth(-1, levels)) };
    },
  };
}

/**
 * Resolves when `cond()` holds: checked now and after every wake-up signalled through `subscribe`; rejects after
 * `ms` with `what` in the message.
 */
export function waitUntil(
  cond: () => boolean,
  subscribe: (wake: () => void) => () => void,
  what: string,
  ms = WAIT_MS,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (cond()) return resolve();
    let off: () => void = () => undefined;
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    off = subscribe(() => {
      if (!cond()) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

/** Rejects with a readable error if `p` does not settle within `ms`. */
export function within<T>(p: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Book side as sorted numeric levels from string pairs (REST / WS payloads). */
export function numLevels(l: readonly (readonly [string | number, string | number])[]): [number, number][] {
  return l.map(([p, q]) => [Number(p), Number(q)]);
}
