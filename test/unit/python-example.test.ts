/**
 * The example Python bot's own unit tests (examples/python-mm/test_bot.py: signing vectors, tick rounding, quote
 * placement, link ids, backoff), run with the standard library's unittest. They need python3 only: the bot loads its
 * WebSocket module lazily, so python3-websocket is not needed here.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../scenarios/schema.ts';

describe('examples/python-mm: python3 -m unittest', () => {
  it('passes', () => {
    const r = spawnSync('python3', ['-m', 'unittest', '-v', 'test_bot'], { cwd: join(REPO_ROOT, 'examples', 'python-mm'), encoding: 'utf8', timeout: 60_000 });
    expect(r.error, 'python3 must be on PATH').toBeUndefined();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^OK$/m);
    expect(Number(/Ran (\d+) tests?/.exec(r.stderr)?.[1])).toBeGreaterThan(20);
  });
});
