/**
 * The control plane as a hostile user would try it (issue 17): a token nobody can derive from the seed, a venue that
 * will not listen beyond loopback without a chosen token, repro bundles that stay inside their directory, account
 * uids that cannot break auto-numbering, and query strings that are checked instead of compared as NaN.
 */
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exposureProblem, isLoopback, startSim, type SimHandle } from '../../sim-exchange/server.ts';
import { Journal } from '../../sim-exchange/journal.ts';
import { DEFAULT_INSTRUMENTS } from '../../sim-exchange/instruments.ts';
import { MAX_UID } from '../../sim-exchange/accounts/account.ts';

type Json = Record<string, unknown>;

describe('control-plane token', () => {
  it('is random, not derived from the seed: two venues with the same seed print different tokens', async () => {
    const a = await startSim({ seed: 1 });
    const b = await startSim({ seed: 1 });
    try {
      expect(a.token).not.toBe(b.token);
      expect(a.token.length).toBeGreaterThanOrEqual(32);
      const health = await fetch(`${b.urls.control}/health`, { headers: { authorization: `Bearer ${a.token}` } });
      expect(health.status, "one venue's token does not open another's").toBe(401);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('is required, and long, when the host is not loopback', async () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.5', 'example.com']) expect(isLoopback(h), h).toBe(false);
    expect(exposureProblem('0.0.0.0', undefined)).toContain('--token');
    expect(exposureProblem('0.0.0.0', 'short')).toContain('at least 16');
    expect(exposureProblem('0.0.0.0', 'a-token-of-enough-length')).toBeUndefined();
    // startSim checks before it binds anything.
    await expect(startSim({ host: '0.0.0.0' })).rejects.toThrow(/--token/);
  });

  it('the CLI refuses --host 0.0.0.0 without a token, exit code 2 and a clear message', async () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'MMBENCH_CONTROL_TOKEN'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'sim-exchange/main.ts', '--host', '0.0.0.0', '--port', '0', '--control-port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(2);
    expect(out, 'no ready line').toBe('');
    expect(err).toContain('--host 0.0.0.0 is reachable from other machines');
    expect(err).toContain('MMBENCH_CONTROL_TOKEN');
  });
});

describe('control-plane input', () => {
  let sim: SimHandle;
  let dir: string;
  let root: string;
  let journal: Journal;
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> => {
    const r = await fetch(`${sim.urls.control}${path}`, {
      method,
      headers: { authorization: `Bearer ${sim.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: r.status, json: (await r.json()) as Json };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mmbench-ctrl-'));
    root = join(dir, 'repro');
    journal = new Journal(join(dir, 'journal.jsonl'), { gzip: false });
    const j = journal;
    sim = await startSim({
      seed: 3,
      repro: { root, source: () => ({ seed: 3, instruments: DEFAULT_INSTRUMENTS, journal: j, market: null, argv: [] }) },
      onCommand: (c) => j.write(c),
    });
  });
  afterAll(async () => {
    await sim.close();
    await journal.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('POST /repro refuses names that leave or are the repro directory, and writes nothing outside it', async () => {
    const before = (await readdir(dir)).sort();
    for (const name of ['..', '.', '...', '../x', 'a/b', '/tmp', 'a\\b', '', 'x'.repeat(65)]) {
      const r = await call('POST', '/repro', { name });
      expect(r.status, `name ${JSON.stringify(name)}`).toBe(400);
      expect(r.json['error']).toBe('CTRL_BAD_REQUEST');
    }
    expect((await readdir(dir)).sort(), 'nothing written next to the repro directory').toEqual(before);
    // Dots inside a name are fine, leading ones too: only dot-only names (and separators) are refused.
    for (const name of ['.hidden.bundle', '..dotted']) {
      const ok = await call('POST', '/repro', { name });
      expect(ok.status, name).toBe(201);
      expect(ok.json['dir']).toBe(join(root, name));
    }
    expect((await readdir(root)).sort()).toEqual(['..dotted', '.hidden.bundle']);
  });

  it('POST /accounts bounds the uid, so auto-numbering stays exact; a refused body changes nothing', async () => {
    const accounts = sim.venue.accounts.size;
    const huge = await call('POST', '/accounts', { uid: Number.MAX_SAFE_INTEGER, apiKey: 'huge-uid-key', secret: 'huge-uid-secret', balance: '10' });
    expect(huge.status).toBe(400);
    expect(String(huge.json['message'])).toContain(`at most ${MAX_UID}`);
    expect(sim.venue.accounts.size).toBe(accounts);
    const top = await call('POST', '/accounts', { uid: MAX_UID, apiKey: 'top-uid-key', secret: 'top-uid-secret', balance: '10' });
    expect(top.status).toBe(201);
    for (let i = 0; i < 3; i++) {
      const auto = await call('POST', '/accounts', { apiKey: `auto-uid-key-${i}`, secret: 'auto-uid-secret', balance: '10' });
      expect(auto.status, JSON.stringify(auto.json)).toBe(201);
      expect(auto.json['uid']).toBe(MAX_UID + 1 + i);
    }
    // A duplicate is a 409 and does not consume an auto uid.
    expect((await call('POST', '/accounts', { apiKey: 'auto-uid-key-0', secret: 'auto-uid-secret', balance: '10' })).status).toBe(409);
    const next = await call('POST', '/accounts', { apiKey: 'auto-uid-key-3', secret: 'auto-uid-secret', balance: '10' });
    expect(next.json['uid']).toBe(MAX_UID + 4);
    for (const bad of [[], 'x', 42, null, { apiKey: 'k' }, { uid: 0, apiKey: 'zero-uid-key', secret: 'zero-secret', balance: '1' }, { uid: 1.5, apiKey: 'frac-uid-key', secret: 'frac-secret', balance: '1' }]) {
      const r = await call('POST', '/accounts', bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
    }
  });

  it('GET /ledger, /accounts/:uid/ledger and /book check their query strings (400, not a NaN comparison)', async () => {
    const uid = [...sim.venue.accounts.keys()][0]!;
    for (const q of ['since=abc', 'since=-1', 'since=1.5', 'since=1e3', 'since=', 'since=99999999999999999', 'other=1']) {
      const r = await call('GET', `/ledger?${q}`);
      expect(r.status, `/ledger?${q}`).toBe(400);
      expect(r.json['error']).toBe('CTRL_BAD_REQUEST');
      expect((await call('GET', `/accounts/${uid}/ledger?${q}`)).status, `/accounts/${uid}/ledger?${q}`).toBe(400);
    }
    expect((await call('GET', '/ledger?since=0')).status).toBe(200);
    expect((await call('GET', '/ledger')).status).toBe(200);
    for (const q of ['depth=abc', 'depth=0', 'depth=1001', 'depth=-5']) expect((await call('GET', `/book/BTCUSDT?${q}`)).status, q).toBe(400);
    expect((await call('GET', '/book/BTCUSDT?depth=5')).status).toBe(200);
  });
});

describe('budgets on /metrics', () => {
  it('shows every budget in force as mmvenue_budget{budget}, settings included', async () => {
    const sim = await startSim({
      seed: 4,
      httpBudgets: { headersDeadlineMs: 1500, requestDeadlineMs: 2500, headerLimit: 8192, bodyLimit: 4096 },
      ws: { maxTotalBufferedBytes: 3_000_000, tradeReqIdWindow: 77 },
    });
    try {
      const text = await (await fetch(`${sim.urls.control}/metrics`, { headers: { authorization: `Bearer ${sim.token}` } })).text();
      const budget = (name: string) => Number(new RegExp(`^mmvenue_budget\\{budget="${name}"\\} (\\S+)$`, 'm').exec(text)?.[1]);
      expect(budget('rest_headers_deadline_ms')).toBe(1500);
      expect(budget('rest_request_deadline_ms')).toBe(2500);
      expect(budget('rest_header_bytes')).toBe(8192);
      expect(budget('rest_body_bytes')).toBe(4096);
      expect(budget('ws_buffered_bytes_total')).toBe(3_000_000);
      expect(budget('ws_trade_req_id_window')).toBe(77);
      expect(budget('ws_buffered_bytes_per_connection')).toBe(8 * 1024 * 1024);
      expect(budget('ws_subscribe_args_chars_per_connection')).toBe(21_000);
      expect(budget('ws_subscribe_args_per_request_spot')).toBe(10);
      expect(budget('venue_closed_link_ids_per_account')).toBe(100_000);
    } finally {
      await sim.close();
    }
  });
});
