import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startSim, type SimHandle } from '../../sim-exchange/server.ts';

/** Control-plane answers are loosely typed JSON; tests read fields by name and assert them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const json = async (r: Response): Promise<Json> => r.json();

/** Polls a condition (no sleeping to synchronise: it returns as soon as the condition holds). */
async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('control plane: background market', () => {
  let sim: SimHandle;
  let bare: SimHandle;
  const call = (s: SimHandle, method: string, path: string, body?: unknown) =>
    fetch(`${s.urls.control}${path}`, {
      method,
      headers: { authorization: `Bearer ${s.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  beforeAll(async () => {
    const seed = 21;
    console.log(`seed ${seed}`);
    // Speed 5: the market produces trades quickly without the test waiting long.
    [sim, bare] = await Promise.all([startSim({ seed, market: { regime: 'calm', speed: 5 } }), startSim({ seed })]);
  });
  afterAll(async () => {
    await Promise.all([sim.close(), bare.close()]);
  });

  it('GET /market shows the regime, the latent price and agent stats; the venue book is the market\'s', async () => {
    const m = await waitFor('market trades', async () => {
      const v = await json(await call(sim, 'GET', '/market'));
      return v.trades > 0 ? v : undefined;
    });
    expect(m).toMatchObject({ symbol: 'BTCUSDT', regime: 'calm', paused: false, speed: 5, transition: null });
    expect(Number(m.latentPrice)).toBeGreaterThan(50_000);
    expect(m.params.volBps).toBe(0.02);
    expect(m.agents.map((a: Json) => a.kind)).toEqual(['lp', 'lp', 'lp', 'lp', 'noise', 'informed']);
    expect(m.agents[0].placed).toBeGreaterThan(0);
    const book = await json(await fetch(`${sim.urls.rest}/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=50`));
    expect(book.retCode).toBe(0);
    expect(book.result.b.length).toBeGreaterThan(10);
    expect(book.result.a.length).toBeGreaterThan(10);
  });

  it('POST /market/regime switches regime (with a transition) and refuses bad bodies', async () => {
    const r = await call(sim, 'POST', '/market/regime', { regime: 'toxic-flow', params: { informedShare: 0.7 }, transitionMs: 60_000 });
    expect(r.status).toBe(200);
    const m = await json(r);
    expect(m.regime).toBe('toxic-flow');
    expect(m.overrides).toEqual({ informedShare: 0.7 });
    expect(m.transition).toMatchObject({ from: 'calm' });
    const bad = await call(sim, 'POST', '/market/regime', { regime: 'panic' });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toBe('CTRL_BAD_REQUEST');
    const badParam = await call(sim, 'POST', '/market/regime', { regime: 'calm', params: { volBps: -1 } });
    expect(badParam.status).toBe(400);
    expect((await json(badParam)).message).toContain('params.volBps');
    const unknown = await call(sim, 'POST', '/market/regime', { regime: 'calm', params: { nope: 1 } });
    expect(unknown.status).toBe(400);
    const calm = await json(await call(sim, 'POST', '/market/regime', { regime: 'calm' }));
    expect(calm).toMatchObject({ regime: 'calm', transition: null });
  });

  it('POST /market/timeline schedules regime steps', async () => {
    const r = await call(sim, 'POST', '/market/timeline', {
      steps: [{ atMs: 600_000, regime: 'flash-crash' }, { atMs: 300_000, regime: 'vol-spike', transitionMs: 1000 }],
    });
    expect(r.status).toBe(200);
    const t = (await json(r)).timeline;
    expect(t.map((s: Json) => s.regime)).toEqual(['vol-spike', 'flash-crash']);
    expect(t[0].inMs).toBeGreaterThan(299_000);
    const m = await json(await call(sim, 'GET', '/market'));
    expect(m.timeline).toHaveLength(2);
    const bad = await call(sim, 'POST', '/market/timeline', { steps: [{ atMs: -1, regime: 'calm' }] });
    expect(bad.status).toBe(400);
    expect((await json(await call(sim, 'POST', '/market/timeline', { steps: [] }))).timeline).toEqual([]);
  });

  it('POST /market/pause stops the market, /market/resume restarts it', async () => {
    expect(await json(await call(sim, 'POST', '/market/pause'))).toEqual({ paused: true });
    const paused = await json(await call(sim, 'GET', '/market'));
    expect(paused.paused).toBe(true);
    // Paused: no event runs, whatever the driver or anyone asks.
    expect(sim.market!.advanceTo(sim.market!.nowMs + 60_000)).toBe(0);
    expect(await json(await call(sim, 'POST', '/market/resume'))).toEqual({ paused: false });
    await waitFor('events after resume', async () => {
      const v = await json(await call(sim, 'GET', '/market'));
      return v.events > paused.events;
    });
  });

  it('after POST /reset the market makes new accounts and quotes again', async () => {
    expect((await call(sim, 'POST', '/reset')).status).toBe(200);
    await waitFor('book rebuilt', async () => {
      const b = await json(await call(sim, 'GET', '/book/BTCUSDT?depth=5'));
      return b.bids.length > 0 && b.asks.length > 0;
    });
    const accts = await json(await call(sim, 'GET', '/accounts'));
    expect(accts.list.filter((a: Json) => String(a.label).startsWith('market:'))).toHaveLength(6);
  });

  it('without a market the routes answer 404 CTRL_NOT_FOUND', async () => {
    for (const [method, path] of [['GET', '/market'], ['POST', '/market/pause'], ['POST', '/market/resume']] as const) {
      const r = await call(bare, method, path);
      expect(r.status).toBe(404);
      expect((await json(r)).error).toBe('CTRL_NOT_FOUND');
    }
    const r = await call(bare, 'POST', '/market/regime', { regime: 'calm' });
    expect(r.status).toBe(404);
  });
});
