/** `npm run toxiproxy`: the ready line, --config populate, and a clean SIGTERM exit. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';

describe('chaos/main.ts', () => {
  it('prints one JSON ready line, loads --config, and exits 0 on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chaos-'));
    const config = join(dir, 'proxies.json');
    writeFileSync(config, JSON.stringify([{ name: 'from-config', listen: '127.0.0.1:0', upstream: 'localhost:1' }]));
    const child = spawn(process.execPath, ['--import', 'tsx', 'chaos/main.ts', '--port', '0', '--seed', '3', '--config', config, '--request-deadline-ms', '5000'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    const ready = JSON.parse(line) as { toxiproxy: string; seed: number };
    expect(ready.toxiproxy).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ready.seed).toBe(3);
    const res = await fetch(`${ready.toxiproxy}/proxies`);
    expect(Object.keys((await res.json()) as object)).toEqual(['from-config']);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = (await exited) as [number];
    expect(code).toBe(0);
  });
});
