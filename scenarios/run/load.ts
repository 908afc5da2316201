/**
 * Background load: other clients of the venue while the bot quotes. REST: `rest_rps` public GETs per second
 * (order book, tickers, recent trades in turn) on an open-loop schedule (a slow answer does not slow the schedule;
 * at most 256 requests in flight). WebSocket: `ws_clients` public connections, each subscribed to the order book
 * (depth 50) and trades, reading and discarding what they get. They talk to the venue directly, not through the proxy:
 * load is other people's traffic, not the bot's network.
 */
import WebSocket from 'ws';

export interface LoadHandle {
  readonly stats: { sent: number; ok: number; failed: number; wsOpen: number; wsMessages: number };
  stop(): Promise<void>;
}

const PATHS = ['/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=50', '/v5/market/tickers?category=linear&symbol=BTCUSDT', '/v5/market/recent-trade?category=linear&symbol=BTCUSDT&limit=50'];

export function startLoad(opts: { restUrl: string; wsPublicUrl: string; restRps: number; wsClients: number; symbol: string }): LoadHandle {
  const stats = { sent: 0, ok: 0, failed: 0, wsOpen: 0, wsMessages: 0 };
  let running = true;
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  const t0 = performance.now();
  if (opts.restRps > 0) {
    const tick = () => {
      if (!running) return;
      const due = Math.floor(((performance.now() - t0) / 1000) * opts.restRps);
      while (stats.sent < due && inFlight < 256) {
        const path = PATHS[stats.sent % PATHS.length]!.replace('BTCUSDT', opts.symbol);
        stats.sent++;
        inFlight++;
        const p = fetch(opts.restUrl + path, { signal: AbortSignal.timeout(5000) })
          .then(async (r) => {
            await r.arrayBuffer();
            if (r.ok) stats.ok++;
            else stats.failed++;
          })
          .catch(() => void stats.failed++)
          .finally(() => {
            inFlight--;
            pending.delete(p);
          });
        pending.add(p);
      }
      if (stats.sent < due) stats.sent = due; // shed what could not be sent (in-flight cap)
      timer = setTimeout(tick, Math.max(1, Math.min(50, 1000 / opts.restRps)));
    };
    tick();
  }
  const sockets: WebSocket[] = [];
  for (let i = 0; i < opts.wsClients; i++) {
    const ws = new WebSocket(opts.wsPublicUrl);
    ws.on('open', () => {
      stats.wsOpen++;
      ws.send(JSON.stringify({ op: 'subscribe', args: [`orderbook.50.${opts.symbol}`, `publicTrade.${opts.symbol}`] }));
    });
    ws.on('message', () => void stats.wsMessages++);
    ws.on('error', () => undefined);
    sockets.push(ws);
  }
  return {
    stats,
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      for (const ws of sockets) ws.terminate();
      await Promise.allSettled([...pending]);
    },
  };
}
