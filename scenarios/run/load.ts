/**
 * Background load: other clients of the venue while the bot quotes. They talk to the venue directly, not through the
 * proxy: load is other people's traffic, not the bot's network.
 *
 * REST: `rest_rps` requests per second from autocannon (`overallRate`, spread over a few keep-alive connections, each
 * closed-loop with one request in flight: a slow venue lowers the achieved rate, which `stats.sent` shows). The
 * requests rotate over the public market-data GETs (order book depth 50, tickers, recent trades) and, when an
 * `account` is given, signed private GETs of that account (wallet balance, open orders, positions; HMAC like a Bybit
 * V5 client, a fresh timestamp per request), so the venue's authentication and its per-account rate limiter are under
 * load too. A Bybit answer with retCode ≠ 0 (or HTTP ≠ 200) counts as failed. Without an account only public GETs
 * are sent (the venue knows no key for them to sign with).
 *
 * WebSocket: `ws_clients` public connections, each subscribed to the order book (depth 50) and trades, reading and
 * discarding what they get.
 */
import autocannon from 'autocannon';
import WebSocket from 'ws';
import { hmacHex } from '../../sim-exchange/bybit-v5/auth.ts';

export interface LoadHandle {
  readonly stats: { sent: number; ok: number; failed: number; signed: number; wsOpen: number; wsMessages: number };
  stop(): Promise<void>;
}

export interface LoadOptions {
  readonly restUrl: string;
  readonly wsPublicUrl: string;
  readonly restRps: number;
  readonly wsClients: number;
  readonly symbol: string;
  /** An account of the venue (not the bot's: its rate limits are its own) for the signed GETs. */
  readonly account?: { readonly apiKey: string; readonly secret: string };
  /**
   * Told each WebSocket client's local port as it opens, before it subscribes: the venue-side view of the bot leaves
   * these connections out (they are not the bot's).
   */
  readonly onWsPort?: (port: number) => void;
}

const RECV_WINDOW = '5000';

/** The venue account the runner creates for the load's signed requests when a scenario has REST load. */
export const LOAD_ACCOUNT = { apiKey: 'mmbench-load', secret: 'mmbench-load-secret', balance: '1000', label: 'load' } as const;

export function publicPaths(symbol: string): string[] {
  return [
    `/v5/market/orderbook?category=linear&symbol=${symbol}&limit=50`,
    `/v5/market/tickers?category=linear&symbol=${symbol}`,
    `/v5/market/recent-trade?category=linear&symbol=${symbol}&limit=50`,
  ];
}

export function privatePaths(symbol: string): string[] {
  return [
    '/v5/account/wallet-balance?accountType=UNIFIED',
    `/v5/order/realtime?category=linear&symbol=${symbol}`,
    `/v5/position/list?category=linear&symbol=${symbol}`,
  ];
}

/** Bybit V5 signed-GET headers: sign = HMAC(secret, timestamp + apiKey + recvWindow + queryString). */
export function signedHeaders(account: { apiKey: string; secret: string }, query: string, now = Date.now()): Record<string, string> {
  const ts = String(now);
  return {
    'X-BAPI-API-KEY': account.apiKey,
    'X-BAPI-TIMESTAMP': ts,
    'X-BAPI-RECV-WINDOW': RECV_WINDOW,
    'X-BAPI-SIGN': hmacHex(account.secret, ts + account.apiKey + RECV_WINDOW + query),
  };
}

export function startLoad(opts: LoadOptions): LoadHandle {
  const stats = { sent: 0, ok: 0, failed: 0, signed: 0, wsOpen: 0, wsMessages: 0 };
  let cannon: autocannon.Instance | undefined;
  let cannonDone: Promise<void> = Promise.resolve();
  if (opts.restRps > 0) {
    const account = opts.account;
    const requests: autocannon.Request[] = [];
    const onResponse = (status: number, body: string) => {
      let ok = status === 200;
      if (ok) {
        try {
          ok = (JSON.parse(body) as { retCode?: number }).retCode === 0;
        } catch {
          ok = false;
        }
      }
      if (ok) stats.ok++;
      else stats.failed++;
    };
    const pub = publicPaths(opts.symbol);
    const priv = account ? privatePaths(opts.symbol) : [];
    // Interleave: public, private, public, private, … (or public only).
    for (let i = 0; i < Math.max(pub.length, priv.length); i++) {
      if (pub[i]) requests.push({ method: 'GET', path: pub[i]!, setupRequest: (req) => (stats.sent++, req), onResponse });
      if (priv[i] && account) {
        const path = priv[i]!;
        const query = path.slice(path.indexOf('?') + 1);
        requests.push({
          method: 'GET',
          path,
          setupRequest: (req) => {
            stats.sent++;
            stats.signed++;
            return { ...req, headers: { ...req.headers, ...signedHeaders(account, query) } };
          },
          onResponse,
        });
      }
    }
    const connections = Math.max(1, Math.min(64, Math.ceil(opts.restRps / 25)));
    let resolveDone!: () => void;
    cannonDone = new Promise<void>((resolve) => (resolveDone = resolve));
    cannon = autocannon(
      {
        url: opts.restUrl,
        connections,
        pipelining: 1,
        overallRate: opts.restRps,
        duration: 3600, // stopped by stop()
        timeout: 5,
        requests,
      },
      () => resolveDone(),
    );
    cannon.on('reqError', () => void stats.failed++);
  }
  const sockets: WebSocket[] = [];
  for (let i = 0; i < opts.wsClients; i++) {
    const ws = new WebSocket(opts.wsPublicUrl);
    ws.on('open', () => {
      stats.wsOpen++;
      const port = (ws as unknown as { _socket?: { localPort?: number } })._socket?.localPort;
      if (port !== undefined) opts.onWsPort?.(port);
      ws.send(JSON.stringify({ op: 'subscribe', args: [`orderbook.50.${opts.symbol}`, `publicTrade.${opts.symbol}`] }));
    });
    ws.on('message', () => void stats.wsMessages++);
    ws.on('error', () => undefined);
    sockets.push(ws);
  }
  return {
    stats,
    async stop() {
      cannon?.stop();
      for (const ws of sockets) ws.terminate();
      await Promise.race([cannonDone, new Promise((r) => setTimeout(r, 6000).unref())]);
    },
  };
}
