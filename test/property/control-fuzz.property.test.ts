/**
 * Fuzzing the control plane over a real socket: every route with arbitrary JSON bodies (valid templates with fields
 * replaced by garbage, arbitrary JSON, deep nesting, bytes that are not JSON), arbitrary query strings and path
 * parameters. Properties:
 *  - the answer is never a 5xx: 2xx, or a 4xx with the control plane's `{error, message}` body;
 *  - a refused request (4xx) leaves the venue exactly as it was (accounts, orders, ledger, delays, faults, market);
 *  - the server stays up: /health answers after the run.
 * The market is paused so that only the requests change state. /reset, /market/pause and /market/resume are left
 * out: they take no input and change state on purpose. Set FC_SEED to replay a run.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type SimHandle } from '../../sim-exchange/server.ts';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
console.log('control-plane fuzz: fast-check seed', seed);

let sim: SimHandle;
let uid = 0;

beforeAll(async () => {
  sim = await startSim({
    seed: 17,
    accounts: [{ apiKey: 'ctrl-fuzz-key', secret: 'ctrl-fuzz-secret', balance: '1000' }],
    market: { regime: 'calm', speed: 1, startPrice: '60000' },
  });
  sim.marketDriver!.pause();
  uid = sim.venue.accountByKey('ctrl-fuzz-key')!.uid;
});
afterAll(async () => {
  await sim.close();
});

interface Req {
  readonly method: string;
  readonly path: string;
  readonly body: string | undefined;
}

/**
 * Every piece of state a control-plane route can change, as the control plane shows it. (Not the book's sequence
 * number: a refused /book seed cancels what it placed, which moves the sequence but leaves the book as it was.)
 */
async function digest(): Promise<string> {
  const get = async (p: string) => (await fetch(`${sim.urls.control}${p}`, { headers: { authorization: `Bearer ${sim.token}` } })).text();
  const market = JSON.parse(await get('/market')) as Record<string, unknown>;
  return JSON.stringify([
    await get('/accounts'),
    await get('/delays'),
    await get('/faults'),
    market['regime'],
    market['timeline'],
    sim.venue.ledger.entries().length,
    sim.venue.book('BTCUSDT').depth(1, 1000),
    sim.venue.book('BTCUSDT').depth(-1, 1000),
  ]);
}

/** Where two digests first differ, briefly. */
function firstDiff(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `at ${i}: before …${a.slice(Math.max(0, i - 80), i + 80)}… after …${b.slice(Math.max(0, i - 80), i + 80)}…`;
}

const junk = fc.oneof(
  fc.jsonValue(),
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(1e39, -1, 0, 2 ** 53, Number.MAX_SAFE_INTEGER, '', 'NaN', '1e400', null, true, [], {}),
);
/** Nesting of `depth` arrays or objects around a value: the shape JSON.parse accepts and recursive code may not. */
const deep = fc.tuple(fc.integer({ min: 100, max: 20_000 }), fc.boolean()).map(([depth, arr]) => (arr ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)));
/** A valid-looking body with one field replaced, deleted or joined by an unknown one. */
const mutate = (template: Record<string, unknown>) =>
  fc.tuple(fc.constantFrom(...Object.keys(template), 'unknownField'), junk, fc.boolean()).map(([k, v, drop]) => {
    const o: Record<string, unknown> = { ...template };
    if (drop) delete o[k];
    else o[k] = v;
    return JSON.stringify(o);
  });
const TEMPLATES: Record<string, Record<string, unknown>> = {
  '/accounts': { apiKey: 'fuzz-new-key', secret: 'fuzz-new-secret', balance: '10', uid: 200_000 },
  '/book/BTCUSDT/seed': { price: '60000', qty: '0.01', levels: 3, uid: 100_001 },
  '/delays': { rest: 0, public: 0 },
  '/rate-limits': { limits: { '/v5/order/create': 10 } },
  '/market/regime': { regime: 'calm', transitionMs: 0 },
  '/market/timeline': { steps: [{ atMs: 0, regime: 'calm' }] },
  '/repro': { name: 'bundle' },
  '/faults': { kind: 'rest-5xx', durationMs: 1000 },
  '/faults/timeline': { steps: [{ atMs: 0, fault: { kind: 'rest-5xx', durationMs: 1000 } }] },
};
const body = (path: string) =>
  fc.oneof(
    { weight: 3, arbitrary: TEMPLATES[path] ? mutate(TEMPLATES[path]) : fc.jsonValue().map((v) => JSON.stringify(v)) },
    { weight: 2, arbitrary: junk.map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: deep },
    { weight: 1, arbitrary: fc.string() }, // mostly not JSON
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
const segment = fc.oneof(fc.constantFrom('BTCUSDT', 'ETHUSDT', '100001', '0', '-1', '1e5', 'NaN', '..', '%2e%2e', 'f1'), fc.string({ maxLength: 40 }).map(encodeURIComponent));
const query = fc
  .dictionary(fc.constantFrom('since', 'depth', 'uid', 'x'), fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('0', '-1', '1.5', 'abc', '1e400', '99999999999999999999')), { maxKeys: 3 })
  .map((q) => {
    const s = new URLSearchParams(q).toString();
    return s ? `?${s}` : '';
  });

const request: fc.Arbitrary<Req> = fc.oneof(
  ...['/accounts', '/book/BTCUSDT/seed', '/market/regime', '/market/timeline', '/repro', '/faults', '/faults/timeline'].map((p) =>
    body(p).map((b): Req => ({ method: 'POST', path: p, body: b })),
  ),
  ...['/delays', '/rate-limits'].map((p) => body(p).map((b): Req => ({ method: 'PUT', path: p, body: b }))),
  fc.tuple(fc.constantFrom('/accounts/:s', '/accounts/:s/ledger', '/ledger', '/book/:s', '/market', '/faults', '/health', '/delays'), segment, query).map(
    ([p, s, q]): Req => ({ method: 'GET', path: p.replace(':s', p.startsWith('/accounts/') && s === '100001' ? String(uid) : s) + q, body: undefined }),
  ),
  fc.tuple(segment, body('/book/BTCUSDT/seed')).map(([s, b]): Req => ({ method: 'POST', path: `/book/${s}/seed`, body: b })),
  segment.map((s): Req => ({ method: 'DELETE', path: `/faults/${s}`, body: undefined })),
);

describe('control-plane fuzz', () => {
  it('never answers 5xx, and a refused request changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        const before = await digest();
        const r = await fetch(`${sim.urls.control}${req.path}`, {
          method: req.method,
          headers: { authorization: `Bearer ${sim.token}`, ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(req.body !== undefined ? { body: req.body } : {}),
        });
        const text = await r.text();
        expect(r.status, `${req.method} ${req.path} ${String(req.body).slice(0, 200)} -> ${text.slice(0, 300)}`).toBeLessThan(500);
        if (r.status >= 400) {
          const err = JSON.parse(text) as { error?: unknown; message?: unknown };
          expect(typeof err.error).toBe('string');
          expect(typeof err.message).toBe('string');
          const after = await digest();
          if (after !== before) expect.fail(`${req.method} ${req.path} was refused (${r.status}: ${text.slice(0, 200)}) but changed the venue, ${firstDiff(before, after)}`);
        }
      }),
      { seed, numRuns: 300 },
    );
    expect((await fetch(`${sim.urls.control}/health`, { headers: { authorization: `Bearer ${sim.token}` } })).status).toBe(200);
  });
});
