import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { once } from 'node:events';
import WebSocket from 'ws';
import { startSim, type SimHandle } from '../../sim-exchange/server.ts';
import { hmacHex } from '../../sim-exchange/bybit-v5/auth.ts';

/** Control-plane answers are loosely typed JSON; tests read fields by name and assert them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const json = async (r: Response): Promise<Json> => r.json();

describe('control plane', () => {
  let sim: SimHandle;
  const call = (method: string, path: string, body?: unknown, token = sim.token) =>
    fetch(`${sim.urls.control}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  beforeAll(async () => {
    sim = await startSim({ seed: 5 });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('serves Prometheus metrics behind the token: commands, orders, fills, WS connections, process', async () => {
    expect((await call('GET', '/metrics', undefined, 'wrong')).status).toBe(401);
    const acct = sim.venue.createAccount({ apiKey: 'ctrl-metrics-key', secret: 'ctrl-metrics-secret', balance: '1000' });
    sim.venue.place(acct.uid, { symbol: 'BTCUSDT', side: 1, orderType: 'Limit', timeInForce: 'GTC', price: 500_000, qty: 10, signedAt: 0 });
    const r = await call('GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    const text = await r.text();
    expect(text).toMatch(/^mmvenue_commands_total\{cmd="place"\} [1-9]/m);
    expect(text).toMatch(/^mmvenue_open_orders\{symbol="BTCUSDT"\} [1-9]/m);
    expect(text).toMatch(/^mmvenue_fills \d+/m);
    expect(text).toContain('mmvenue_ws_connections');
    expect(text).toMatch(/^mmvenue_process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^mmvenue_nodejs_eventloop_lag_seconds /m);
  });

  it('refuses requests without the bearer token and is not on the venue port', async () => {
    const r = await call('GET', '/health', undefined, 'wrong');
    expect(r.status).toBe(401);
    expect((await json(r)).error).toBe('CTRL_UNAUTHORIZED');
    const venue = await fetch(`${sim.urls.rest}/accounts`);
    expect(venue.status).toBe(404);
    expect((await json(venue)).retCode).toBe(10017);
  });

  it('creates accounts, refuses duplicates and bad bodies with the path named', async () => {
    const ok = await call('POST', '/accounts', { apiKey: 'ctrl-key-1', secret: 'secret-1', balance: '1000', makerFeeRate: '-0.0001' });
    expect(ok.status).toBe(201);
    const acct = await json(ok);
    expect(acct).toMatchObject({ apiKey: 'ctrl-key-1', makerFeeRate: '-0.0001', wallet: { balance: '1000.00' } });
    expect((await call('POST', '/accounts', { apiKey: 'ctrl-key-1', secret: 'secret-1', balance: '1' })).status).toBe(409);
    const bad = await call('POST', '/accounts', { apiKey: 'ctrl-key-2', secret: 'secret-2', balance: '-5', extra: 1 });
    expect(bad.status).toBe(400);
    const msg = (await json(bad)).message as string;
    expect(msg).toContain('balance');
  });

  it('seeds a book, shows it, and records fills in the ledger with the mid before each', async () => {
    const house = await json(await call('POST', '/accounts', { apiKey: 'ctrl-house', secret: 'secret-h', balance: '10000000' }));
    const seeded = await call('POST', '/book/BTCUSDT/seed', { uid: house.uid, price: '60000', qty: '0.1', levels: 3, spreadTicks: 2 });
    expect(await json(seeded)).toEqual({ placed: 6 });
    const book = await json(await call('GET', '/book/BTCUSDT?depth=2'));
    expect(book.mid).toBe('60000.00');
    expect(book.bids[0]).toEqual(['59999.90', '0.100']);
    const taker = await json(await call('POST', '/accounts', { apiKey: 'ctrl-taker', secret: 'secret-t', balance: '100000' }));
    sim.venue.place(taker.uid, { symbol: 'BTCUSDT', side: 1, orderType: 'Market', timeInForce: 'IOC', qty: 50, signedAt: 0 });
    const ledger = await json(await call('GET', `/accounts/${taker.uid}/ledger`));
    expect(ledger.list).toHaveLength(1);
    expect(ledger.list[0]).toMatchObject({ side: 'Buy', price: '60000.10', qty: '0.050', isMaker: false, midBefore: '60000.00' });
  });

  it('closes every WebSocket connection with 1012 on reset, so no connection keeps a reused uid', async () => {
    const acct = await json(await call('POST', '/accounts', { apiKey: 'ctrl-ws-key', secret: 'secret-ws', balance: '1000' }));
    const ws = new WebSocket(sim.urls.wsPrivate);
    await once(ws, 'open');
    const expires = Date.now() + 10_000;
    ws.send(JSON.stringify({ op: 'auth', args: ['ctrl-ws-key', expires, hmacHex('secret-ws', `GET/realtime${expires}`)] }));
    const [authReply] = await once(ws, 'message');
    expect(JSON.parse(String(authReply)).success).toBe(true);
    const closed = once(ws, 'close');
    const r = await call('POST', '/reset');
    expect(await json(r)).toEqual({ ok: true });
    const [code] = await closed;
    expect(code).toBe(1012);
    expect(sim.venue.accounts.has(acct.uid)).toBe(false);
  });
});
