/**
 * The WebSocket load generator against startSim (in-process, calm background market at 1×) for 2.5 s: public
 * subscribers receive book deltas and trades with no u gaps, private connections get an ack for their orders.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type SimHandle } from '../../sim-exchange/server.ts';
import { runWsLoad, wsMetrics } from '../../stress/ws-load.ts';
import { RAISED_LIMITS, stressAccounts, STRESS_BALANCE } from '../../stress/lib/accounts.ts';
import { evaluate, exitCode, parseThreshold } from '../../stress/lib/thresholds.ts';

const accounts = stressAccounts(2);
let sim: SimHandle;

beforeAll(async () => {
  sim = await startSim({ seed: 3, rateLimits: RAISED_LIMITS, accounts: accounts.map((a) => ({ ...a, balance: STRESS_BALANCE })), market: { regime: 'calm', speed: 1 } });
});
afterAll(async () => {
  await sim.close();
});

describe('stress:ws load generator', () => {
  it('delivers book and trade messages without gaps and gets acks for orders', async () => {
    const r = await runWsLoad({ wsPublic: sim.urls.wsPublic, wsTrade: sim.urls.wsTrade, publicConns: 3, privateConns: 2, accounts, rate: 40, durationS: 2.5 });
    expect(r.public.messages).toBeGreaterThan(0);
    expect(r.public.bookMessages).toBeGreaterThan(3);
    expect(r.public.snapshots).toBe(3);
    expect(r.public.gaps).toBe(0);
    expect(r.public.outOfOrder).toBe(0);
    expect(r.public.delivery.count).toBe(r.public.messages);
    expect(r.private.sent).toBeGreaterThan(20);
    expect(r.private.acks).toBe(r.private.sent - r.private.unanswered);
    expect(r.private.acks).toBeGreaterThan(20);
    expect(r.private.ackErrors).toBe(0);
    expect(r.private.authFailures).toBe(0);
    expect(r.reconnects).toBe(0);
    const th = evaluate(['gaps == 0', 'out_of_order == 0', 'ack_errors < 1%', 'reconnects == 0', 'acks > 0', 'ack.p99 < 10s'].map(parseThreshold), wsMetrics(r));
    expect(th.filter((t) => !t.ok)).toEqual([]);
    expect(exitCode(th)).toBe(0);
    // Orders were really placed and cancelled on the venue: at most the acknowledged creates not yet cancelled rest.
    const open = accounts.map((a) => sim.venue.accountByKey(a.apiKey)!).map((acc) => (sim.venue as unknown as { orders: { openCount(uid: number, s: string): number } }).orders.openCount(acc.uid, 'BTCUSDT'));
    expect(open.reduce((s, n) => s + n, 0)).toBeLessThanOrEqual(Math.ceil(r.private.acks / 2) + 1);
  });

  it('counts a failed auth as an error and no ack', async () => {
    const r = await runWsLoad({ wsPublic: sim.urls.wsPublic, wsTrade: sim.urls.wsTrade, publicConns: 0, privateConns: 1, accounts: [{ apiKey: 'nobody-key', secret: 'nobody-secret' }], rate: 20, durationS: 1 });
    expect(r.private.authFailures).toBe(1);
    expect(r.private.sent).toBe(0);
    const th = evaluate([parseThreshold('ack_errors < 1%')], wsMetrics(r));
    expect(exitCode(th)).toBe(1);
  });
});
