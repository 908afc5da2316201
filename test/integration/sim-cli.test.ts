/**
 * `npm run sim` end to end, as a user runs it: the ready line, the background market or a replay as the market, the
 * journal on disk, and a clean SIGTERM. The journal's command records, fed back through a fresh engine, rebuild the
 * very fills the running venue reported over its control plane.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { isVenueCommand, replayCommands, type JournalHeader } from '../../sim-exchange/venue/commands.ts';
import { readReproBundle } from '../../sim-exchange/repro.ts';

const dir = mkdtempSync(join(tmpdir(), 'mm-bench-sim-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Ready {
  event: 'ready';
  rest: string;
  control: string;
  token: string;
  seed: number;
  market: { regime: string; speed: number } | null;
  replay: { file: string; speed: number; imported: { events: { snapshot: number; delta: number; trade: number }; badLines: number } } | null;
}

async function startCli(args: string[]): Promise<{ child: ChildProcess; ready: Ready }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'sim-exchange/main.ts', '--port', '0', '--control-port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.resume();
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { child, ready: JSON.parse(line) as Ready };
}

async function stop(child: ChildProcess): Promise<number> {
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = (await exited) as [number];
  return code;
}

function control(ready: Ready, path: string): Promise<unknown> {
  return fetch(`${ready.control}${path}`, { headers: { authorization: `Bearer ${ready.token}` } }).then((r) => r.json());
}

function controlPost(ready: Ready, path: string, body: object): Promise<{ status: number; json: Record<string, unknown> }> {
  return fetch(`${ready.control}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ready.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, json: (await r.json()) as Record<string, unknown> }));
}

describe('npm run sim', () => {
  it('runs the background market, journals it, and the journal replays to the same fills', async () => {
    const journalPath = join(dir, 'market.jsonl');
    const reproDir = join(dir, 'repro');
    const { child, ready } = await startCli(['--seed', '7', '--market-speed', '20', '--journal', journalPath, '--repro-dir', reproDir]);
    expect(ready.market).toEqual({ regime: 'calm', speed: 20 });
    expect(ready.replay).toBeNull();
    // The market trades by itself: wait (bounded) until the control plane reports fills.
    type Fill = { execId: string; uid: number; orderId: string };
    // No event to await across processes, so poll the condition (every 25 ms, at most 20 s).
    let fills: Fill[] = [];
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      fills = ((await control(ready, '/ledger')) as { list: Fill[] }).list;
      if (fills.length >= 30) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(fills.length).toBeGreaterThanOrEqual(30);
    // A repro bundle on demand, while the market keeps trading.
    const bundle = await controlPost(ready, '/repro', { name: 'incident-1' });
    expect(bundle.status).toBe(201);
    expect(bundle.json).toMatchObject({ dir: join(reproDir, 'incident-1'), files: ['manifest.json', 'journal.jsonl'], seed: 7 });
    expect(bundle.json.command).toContain('--seed 7');
    expect(await stop(child)).toBe(0);

    // The bundle alone rebuilds the fills the venue had reported before it was written.
    const fromBundle = await readReproBundle(join(reproDir, 'incident-1'));
    expect(fromBundle.manifest).toMatchObject({ seed: 7, market: { regime: 'calm', speed: 20 }, replay: null });
    const rebuilt = replayCommands(fromBundle.commands, fromBundle.header).venue.ledger.entries();
    expect(rebuilt.slice(0, fills.length).map((e) => e.execId)).toEqual(fills.map((f) => f.execId));

    const lines = readFileSync(journalPath, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const header = lines[0] as unknown as JournalHeader;
    expect(header).toMatchObject({ kind: 'header', version: 1, seed: 7 });
    const commands = lines.filter(isVenueCommand);
    expect(commands.length).toBeGreaterThan(fills.length);
    const { venue } = replayCommands(commands, header);
    // The journal runs to the shutdown, so it holds at least the fills read before it: they must come back identical.
    const replayed = venue.ledger.entries().slice(0, fills.length).map((e) => ({ execId: e.execId, uid: e.uid, orderId: e.orderId }));
    expect(replayed).toEqual(fills.map((f) => ({ execId: f.execId, uid: f.uid, orderId: f.orderId })));
  });

  it('plays a recorded capture as the market and reports what it imported', async () => {
    const { child, ready } = await startCli(['--replay', 'data/fixtures/bybit-v5_BTCUSDT_handwritten.jsonl', '--speed', '1000']);
    expect(ready.market).toBeNull();
    expect(ready.replay?.speed).toBe(1000);
    expect(ready.replay?.imported.events.snapshot).toBeGreaterThanOrEqual(1);
    expect(ready.replay?.imported.badLines).toBe(10);
    const book = (await control(ready, '/book/BTCUSDT?depth=5')) as { bids: [string, string][]; asks: [string, string][] };
    expect(book.bids.length + book.asks.length).toBeGreaterThan(0);
    // Without --journal there is nothing to bundle: a clear 409, not a half-written directory.
    const bundle = await controlPost(ready, '/repro', {});
    expect(bundle.status).toBe(409);
    expect(bundle.json).toMatchObject({ error: 'CTRL_CONFLICT' });
    expect(String(bundle.json.message)).toContain('--journal');
    expect(await stop(child)).toBe(0);
  });

  it('refuses a file that is not a capture, with exit code 2', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'sim-exchange/main.ts', '--replay', 'package.json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(2);
    expect(err).toContain('not a Binance USD-M raw capture nor a Bybit V5 public capture');
  });
});
