/**
 * The step search against a tiny local server with a known capacity: it answers 503 to a request when CAPACITY
 * requests were already accepted in the last second (a sliding window, so no alignment with the load matters). Steps 100 → 200 → 400 req/s, one second each with a
 * one-second pause between them (so no window sees two steps): 100 and 200 fit, 400 does not. Also the CLI's exit
 * code on a breached threshold (`npm run stress -- <profile> --target`).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLimit } from '../../stress/find-limit.ts';
import { RestLoad, restMetrics } from '../../stress/lib/rest-load.ts';
import { parseThreshold } from '../../stress/lib/thresholds.ts';

const CAPACITY = 300;
let app: FastifyInstance;
let url = '';
const accepted: number[] = [];
const dir = mkdtempSync(join(tmpdir(), 'mm-bench-stress-'));

beforeAll(async () => {
  app = Fastify({ logger: false });
  app.get('/*', async (_req, rep) => {
    const now = performance.now();
    while (accepted.length > 0 && accepted[0]! <= now - 1000) accepted.shift();
    if (accepted.length >= CAPACITY) return rep.code(503).send({ retCode: 10016, retMsg: 'busy' });
    accepted.push(now);
    return { retCode: 0, retMsg: 'OK', result: {} };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('stress:find-limit step search', () => {
  it('stops at the step over the server’s capacity and reports the one before', async () => {
    const load = new RestLoad({ url, mix: [{ op: 'tickers', weight: 1 }], accounts: [{ apiKey: 'k', secret: 's' }], symbol: 'BTCUSDT', maxOpenPerAccount: 10, seed: 1 });
    const r = await findLimit({
      start: 100,
      factor: 2,
      max: 1600,
      thresholds: ['errors < 1%', 'p99 < 1s'].map(parseThreshold),
      pause: () => new Promise((res) => setTimeout(res, 1050)),
      runStep: async (rate) => ({ metrics: restMetrics(await load.run({ durationS: 1, connections: 10, rate })) }),
    });
    expect(r.steps.map((s) => s.rate)).toEqual([100, 200, 400]);
    expect(r.steps.map((s) => s.held)).toEqual([true, true, false]);
    expect(r.limit).toBe(200);
    expect(r.broke).toBe(400);
    // 400 offered into a 300/s window: about a quarter answered 503.
    const errs = r.steps[2]!.results.find((x) => x.metric === 'errors')!;
    expect(errs.ok).toBe(false);
    expect(errs.actual).toBeGreaterThan(5);
  });

  it('npm run stress exits non-zero when a threshold is breached, zero when all hold', async () => {
    const profile = (thresholds: string[]) => {
      const p = join(dir, `p${thresholds.length}.yaml`);
      writeFileSync(p, `mode: closed\nconnections: 2\ndurationS: 1\nwarmupS: 0\nmix:\n  - { op: tickers, weight: 1 }\nthresholds:\n${thresholds.map((t) => `  - "${t}"`).join('\n')}\n`);
      return p;
    };
    // Not spawnSync: the server under load lives in this process's event loop.
    const run = (p: string) =>
      new Promise<{ status: number | null; stdout: string }>((resolve) => {
        const c = spawn(process.execPath, ['--import', 'tsx', 'stress/cli.ts', p, '--target', url, '--duration', '1', '--out', join(dir, 'out.json')], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 20_000 });
        let stdout = '';
        c.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        c.on('close', (status) => resolve({ status, stdout }));
      });
    // Two closed-loop connections against 300 per second: mostly 503 → errors far above 1 %.
    const breached = await run(profile(['errors < 1%', 'rps > 1']));
    expect(breached.stdout).toMatch(/FAIL\s+errors < 1%/);
    expect(breached.status).toBe(1);
    const held = await run(profile(['rps > 1']));
    expect(held.stdout).toMatch(/result: PASS/);
    expect(held.status).toBe(0);
  });
});
