/**
 * The venue's view of one bot (scenarios/run/venue-view.ts) on a real venue over loopback: moves as the bot's public
 * connection was sent them (its own stream, not the load clients'), moves seen at the venue while it has no stream,
 * the anchor moving to where the bot last acted, its order actions and rejects from signed REST, two-sided time and
 * PostOnly cancels. The book is static (no market): the test moves it by hand and awaits the frames it expects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type SimHandle } from '../../sim-exchange/server.ts';
import { signedHeaders } from '../../scenarios/run/load.ts';
import { VenueWatch } from '../../scenarios/run/venue-view.ts';
import { TestClient, limit } from './helpers/ws-harness.ts';

const SYMBOL = 'BTCUSDT';
const BOT = { apiKey: 'vv-bot', secret: 'vv-bot-secret', balance: '100000', label: 'bot' };
const HOUSE = { apiKey: 'vv-house', secret: 'vv-house-secret', balance: '10000000', label: 'house' };
/** BTCUSDT: a tick is 0.1 USDT, a lot 0.001 BTC. */
const TICKS = (usdt: number) => Math.round(usdt * 10);

let sim: SimHandle;
let watch: VenueWatch;
let botUid: number;
let houseUid: number;
const clients: TestClient[] = [];

/** The house's book: one bid and one ask around `mid` (USDT), replacing what it had. */
function houseQuotes(mid: number): void {
  sim.venue.cancelAll(houseUid, SYMBOL);
  sim.venue.place(houseUid, limit(SYMBOL, 1, TICKS(mid - 0.5), 1000));
  sim.venue.place(houseUid, limit(SYMBOL, -1, TICKS(mid + 0.5), 1000));
}

/** A signed V5 POST as a Bybit client sends it (the payload signed is the body). */
async function signedPost(path: string, body: object, secret = BOT.secret): Promise<{ retCode: number }> {
  const text = JSON.stringify(body);
  const r = await fetch(sim.urls.rest + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signedHeaders({ apiKey: BOT.apiKey, secret }, text) },
    body: text,
  });
  return (await r.json()) as { retCode: number };
}

async function subscribe(topic: string, onOpen?: (port: number) => void): Promise<TestClient> {
  const c = await TestClient.connect(sim.urls.wsPublic);
  const port = (c.ws as unknown as { _socket: { localPort: number } })._socket.localPort;
  onOpen?.(port);
  clients.push(c);
  await c.request({ op: 'subscribe', args: [topic], req_id: topic });
  await c.next((m) => m.json?.topic === topic && m.json?.type === 'snapshot', `${topic} snapshot`);
  return c;
}

beforeAll(async () => {
  watch = new VenueWatch({ apiKey: BOT.apiKey, symbol: SYMBOL, thresholdBps: 2, horizonMs: 2000 });
  sim = await startSim({ accounts: [BOT, HOUSE], tap: watch.tap });
  botUid = sim.venue.accountByKey(BOT.apiKey)!.uid;
  houseUid = sim.venue.accountByKey(HOUSE.apiKey)!.uid;
  houseQuotes(60_000);
  watch.attach(sim.venue, botUid);
});

afterAll(async () => {
  for (const c of clients) c.terminate();
  watch.detach();
  await sim.close();
});

describe('VenueWatch', () => {
  it('without a public stream of its own, the bot is held to the venue mid; a load client\'s stream does not count', async () => {
    const load = await subscribe(`orderbook.1.${SYMBOL}`, (port) => watch.excludePort(port));
    houseQuotes(60_030); // +5 bps
    await load.next((m) => m.json?.topic === `orderbook.1.${SYMBOL}` && Number(m.json?.data?.b?.[0]?.[0]) === 60029.5, 'the load client sees the move');
    const v = watch.view(performance.now());
    expect(v.moves).toHaveLength(1);
    expect(v.moves[0]).toMatchObject({ via: 'venue', fromMid: 60_000, toMid: 60_030, symbol: SYMBOL });
  });

  it('with its own stream, a move is stamped when the venue wrote it to the bot, as the bot\'s copy of the book says', async () => {
    const bot = await subscribe(`orderbook.50.${SYMBOL}`);
    houseQuotes(60_000); // −5 bps
    await bot.next((m) => m.json?.topic === `orderbook.50.${SYMBOL}` && m.json?.type === 'delta', 'the bot sees the move');
    const moves = watch.view(performance.now()).moves;
    expect(moves).toHaveLength(2);
    expect(moves[1]).toMatchObject({ via: 'ws', fromMid: 60_030, toMid: 60_000 });
    // Under the threshold: no move.
    houseQuotes(60_006); // +1 bps
    await bot.next((m) => m.json?.topic === `orderbook.50.${SYMBOL}` && m.json?.type === 'delta', 'the small move');
    expect(watch.view(performance.now()).moves).toHaveLength(2);
  });

  it('an order action moves the anchor to what the bot could see; its rejects are counted by code', async () => {
    const r = await signedPost('/v5/order/create', { category: 'linear', symbol: SYMBOL, side: 'Buy', orderType: 'Limit', qty: '0.01', price: '59000', timeInForce: 'PostOnly', orderLinkId: 'vv-1' });
    expect(r.retCode).toBe(0);
    const bad = await signedPost('/v5/order/create', { category: 'linear', symbol: SYMBOL, side: 'Sell', orderType: 'Limit', qty: '0.01', price: '61000' }, 'wrong-secret');
    expect(bad.retCode).not.toBe(0);
    const v = watch.view(performance.now());
    expect(v.actions.map((a) => [a.op, a.channel, a.symbol, a.n])).toEqual([
      ['create', 'rest', SYMBOL, 1],
      ['create', 'rest', SYMBOL, 1],
    ]);
    expect(v.requests.map((q) => q.rejects)).toEqual([[], [String(bad.retCode)]]);
    // The anchor is now 60006 (the bot acted there): +1.5 bps from it is no move, although it is +2.5 from the last move.
    const bot = clients[1]!;
    houseQuotes(60_015);
    await bot.next((m) => m.json?.topic === `orderbook.50.${SYMBOL}` && m.json?.type === 'delta', 'a move since the action');
    expect(watch.view(performance.now()).moves).toHaveLength(2);
  });

  it('two-sided time and PostOnly cancels come from the bot\'s account at the venue', async () => {
    expect(watch.view(performance.now()).twoSided.at(-1)?.on).toBe(false); // only a bid rests
    expect((await signedPost('/v5/order/create', { category: 'linear', symbol: SYMBOL, side: 'Sell', orderType: 'Limit', qty: '0.01', price: '61000', timeInForce: 'PostOnly' })).retCode).toBe(0);
    expect(watch.view(performance.now()).twoSided.at(-1)?.on).toBe(true);
    // A PostOnly buy at the ask would take liquidity: the venue cancels it.
    expect((await signedPost('/v5/order/create', { category: 'linear', symbol: SYMBOL, side: 'Buy', orderType: 'Limit', qty: '0.01', price: '60015.5', timeInForce: 'PostOnly' })).retCode).toBe(0);
    expect(watch.view(performance.now()).postOnlyCancels).toHaveLength(1);
  });

  it('drain hands the rows over and keeps only the two-sided state', () => {
    const first = watch.view(performance.now(), true);
    expect(first.requests.length).toBeGreaterThan(0);
    const next = watch.view(performance.now());
    expect(next).toMatchObject({ moves: [], actions: [], requests: [], postOnlyCancels: [] });
    expect(next.twoSided).toEqual([first.twoSided.at(-1)]);
  });
});
