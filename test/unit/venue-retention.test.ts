/**
 * What a long-lived venue keeps: the ledger and the closed-order history are capped, and an account with
 * `history: 'recent'` (the background market's own accounts) keeps only its recent past, so a soak's venue does not
 * grow by the market's all-day trading. Accounts with full history are untouched by other accounts' trimming.
 */
import { describe, expect, it } from 'vitest';
import { Ledger, type Execution } from '../../sim-exchange/accounts/ledger.ts';
import { OrderStore, type OrderRecord } from '../../sim-exchange/venue/orders.ts';
import { Venue } from '../../sim-exchange/venue/venue.ts';
import { ManualClock } from '../../sim-exchange/clock.ts';
import { DEFAULT_INSTRUMENTS } from '../../sim-exchange/instruments.ts';
import { Market } from '../../sim-exchange/market/market.ts';

let seq = 0;
const fill = (uid: number): Execution =>
  ({ execId: `e${seq}`, seq: ++seq, uid, symbol: 'BTCUSDT', qty: 1, price: 1 }) as unknown as Execution;

describe('Ledger retention', () => {
  it("keeps an account with recent history to its last fills; full-history accounts keep every fill", () => {
    const l = new Ledger(1_000_000, 10);
    for (let i = 0; i < 30; i++) {
      l.record(fill(1), 'recent');
      l.record(fill(2));
    }
    const recent = l.of(1);
    expect(recent.length).toBeGreaterThanOrEqual(10);
    expect(recent.length).toBeLessThanOrEqual(12); // trimmed in batches of a quarter over the cap
    expect(recent.at(-1)!.seq).toBe(l.of(2).at(-1)!.seq - 1);
    expect(l.of(2)).toHaveLength(30);
    expect(l.size).toBe(recent.length + 30);
    expect(l.dropped).toBe(30 - recent.length);
    const all = l.entries();
    expect(all.map((e) => e.seq)).toEqual([...all.map((e) => e.seq)].sort((a, b) => a - b));
    expect(all).toHaveLength(l.size);
  });

  it('past the global cap, drops the oldest fills across accounts and keeps the newest `cap`', () => {
    const l = new Ledger(20);
    const first = seq + 1;
    for (let i = 0; i < 26; i++) l.record(fill(i % 2 === 0 ? 3 : 4));
    expect(l.size).toBe(20);
    expect(l.dropped).toBe(6);
    expect(l.entries().map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => first + 6 + i));
  });
});

describe('closed-order history retention', () => {
  const order = (uid: number, n: number): OrderRecord =>
    ({ orderId: `o-${uid}-${n}`, orderLinkId: '', uid, engineId: uid * 1_000_000 + n }) as unknown as OrderRecord;

  it("caps an account with recent history at its recent cap, and a full one at the history cap", () => {
    const s = new OrderStore(40, 8);
    for (let n = 0; n < 60; n++) {
      for (const [uid, h] of [[1, 'recent'], [2, 'full']] as const) {
        const o = order(uid, n);
        s.add(o);
        s.close(o, h);
      }
    }
    expect(s.find(1, 'o-1-59')).toBeDefined();
    expect(s.find(1, 'o-1-40')).toBeUndefined();
    expect(s.find(2, 'o-2-40')).toBeDefined();
    expect(s.find(2, 'o-2-0')).toBeUndefined(); // past 1.25 × 40, trimmed to the newest 40
  });
});

describe('background market accounts', () => {
  it('keep only their recent history', () => {
    const v = new Venue({ instruments: DEFAULT_INSTRUMENTS, clock: new ManualClock(1_700_000_000_000), seed: 7 });
    const m = new Market(v, { symbol: 'BTCUSDT', seed: 7, regime: 'calm' });
    const uids = m.uids();
    expect(uids.length).toBeGreaterThan(0);
    for (const uid of uids) expect(v.account(uid).history).toBe('recent');
    expect(v.createAccount({ apiKey: 'a-bot-key', secret: 'a-bot-secret', balance: '1000' }).history).toBe('full');
    m.stop();
  });
});
