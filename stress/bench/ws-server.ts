/**
 * Child process of the WS bench (stress/bench/ws.ts). Mode from argv[2]:
 *
 *   venue     startSim + a book: 4 accounts rest ~1,600 PostOnly orders over ~1,000 levels a side around 60,000.0,
 *             and a driver account that every 5 ms cancels and re-places 2 PostOnly orders within 40 ticks of the
 *             touch (bounded: ≤ 400 ops/s, ≤ 120 open), so every 20 ms orderbook.50 push carries a delta.
 *   baseline  a raw `ws` WebSocketServer; after {cmd:'start', text} it broadcasts `text` every 20 ms to all clients,
 *             encoded once per broadcast, with the 13-digit "ts" value replaced by Date.now() (same byte length).
 *
 * IPC: sends {type:'ready', port, wsPublic?}; answers {cmd:'stats'} with {type:'stats', ...}; {cmd:'close'} exits.
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer, WebSocket } from 'ws';
import { startSim } from '../../sim-exchange/server.ts';
import type { Side } from '../../sim-exchange/engine/types.ts';

const mode = process.argv[2];
const send = (m: object): void => {
  process.send?.(m);
};
const MID = 600_000; // ticks of 0.1 → 60,000.0
const CADENCE_MS = 20;

// mulberry32: deterministic driver.
let seed = 12345;
const rand = (): number => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

async function venueMode(): Promise<void> {
  const sim = await startSim({});
  const { venue } = sim;
  const now = (): number => Date.now();
  // Deep static book: 4 accounts × 400 orders, levels 41..1040 ticks from mid on both sides.
  for (let a = 0; a < 4; a++) {
    const acct = venue.createAccount({ apiKey: `deepbook${a}`, secret: `deepsecret${a}`, balance: '50000000' });
    for (let i = 0; i < 400; i++) {
      const side: Side = i % 2 === 0 ? 1 : -1;
      const off = 41 + ((a * 200 + (i >> 1)) % 1000);
      venue.place(acct.uid, {
        symbol: 'BTCUSDT',
        side,
        orderType: 'Limit',
        timeInForce: 'PostOnly',
        price: side === 1 ? MID - off : MID + off,
        qty: 1 + Math.floor(rand() * 50),
        signedAt: now(),
      });
    }
  }
  const driver = venue.createAccount({ apiKey: 'driver01', secret: 'driversecret01', balance: '50000000' });
  const live: string[] = [];
  let ops = 0;
  let errors = 0;
  const placeOne = (): void => {
    const side: Side = rand() < 0.5 ? 1 : -1;
    const off = 1 + Math.floor(rand() * 40);
    try {
      const rec = venue.place(driver.uid, {
        symbol: 'BTCUSDT',
        side,
        orderType: 'Limit',
        timeInForce: 'PostOnly',
        price: side === 1 ? MID - off : MID + off,
        qty: 1 + Math.floor(rand() * 20),
        signedAt: now(),
      });
      live.push(rec.orderId);
      ops++;
    } catch {
      errors++;
    }
  };
  for (let i = 0; i < 100; i++) placeOne();
  const timer = setInterval(() => {
    for (let k = 0; k < 2; k++) {
      const i = Math.floor(rand() * live.length);
      const id = live[i]!;
      live[i] = live[live.length - 1]!;
      live.pop();
      try {
        venue.cancel(driver.uid, { symbol: 'BTCUSDT', orderId: id });
        ops++;
      } catch {
        errors++;
      }
      placeOne();
    }
  }, 5);
  send({ type: 'ready', port: Number(new URL(sim.urls.rest).port), wsPublic: sim.urls.wsPublic });
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'stats') send({ type: 'stats', ws: sim.gateway.stats(), driverOps: ops, driverErrors: errors, cpu: process.cpuUsage() });
    else if (m.cmd === 'close') {
      clearInterval(timer);
      void sim.close().then(() => {
        send({ type: 'closed' });
        process.exit(0);
      });
    }
  });
}

async function baselineMode(): Promise<void> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  let timer: NodeJS.Timeout | undefined;
  let sent = 0;
  send({ type: 'ready', port: (wss.address() as AddressInfo).port });
  process.on('message', (m: { cmd: string; text?: string }) => {
    if (m.cmd === 'start' && m.text !== undefined && timer === undefined) {
      const text = m.text;
      const at = text.indexOf('"ts":') + 5;
      const head = text.slice(0, at);
      const tail = text.slice(at + 13);
      timer = setInterval(() => {
        const bytes = Buffer.from(head + String(Date.now()) + tail, 'utf8');
        for (const c of wss.clients) {
          if (c.readyState === WebSocket.OPEN) {
            c.send(bytes, { binary: false });
            sent++;
          }
        }
      }, CADENCE_MS);
    } else if (m.cmd === 'stats') send({ type: 'stats', sent, clients: wss.clients.size, cpu: process.cpuUsage() });
    else if (m.cmd === 'close') {
      if (timer) clearInterval(timer);
      for (const c of wss.clients) c.terminate();
      wss.close(() => {
        send({ type: 'closed' });
        process.exit(0);
      });
    }
  });
}

if (mode === 'venue') await venueMode();
else if (mode === 'baseline') await baselineMode();
else {
  console.error(`ws-server: unknown mode ${mode}`);
  process.exit(2);
}
