/**
 * Any command as the bot under test (docs/any-bot.md), through the CLI as a user runs it: the contract's environment
 * and rendered config reach the bot; and a bot that cannot start, exits at once, never becomes ready or ignores its
 * stop signal gets a verdict naming the cause and its last stderr lines — never a hang. The bots here are a few lines
 * of Node; each run is a 2 s scenario (about 3–8 s of wall time).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mmbench } from './helpers/mmbench.ts';

const root = mkdtempSync(join(tmpdir(), 'mmbench-anybot-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Report {
  pass: boolean;
  bot?: { command: string; source: string };
  gates: { name: string; pass: boolean; detail: string }[];
}

/** Writes a scenario with this bot section and runs it; returns the CLI result and the report. */
async function run(id: string, bot: string, extraArgs: string[] = []): Promise<{ code: number | null; stdout: string; report: Report; dir: string }> {
  const file = join(root, `${id}.yaml`);
  writeFileSync(
    file,
    `id: ${id}\ntitle: any-bot test\nseed: 7\nduration: 2s\ninstrument: { symbol: BTCUSDT }\nmarket: { speed: 4, timeline: [{ at: 0s, regime: calm }] }\nbot:\n${bot}\n`,
  );
  const r = await mmbench(['run', file, '--out', join(root, 'out'), '--run-id', id, ...extraArgs]);
  const dir = join(root, 'out', id, id);
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
  return { code: r.code, stdout: r.stdout, report, dir };
}

const gate = (r: Report, name: string) => r.gates.find((g) => g.name === name);

/** A Node one-liner as the bot's argv (no shell). */
const nodeBot = (src: string) => `  command: [node, -e, ${JSON.stringify(src)}]`;

describe('mmbench run with a bot command', () => {
  it('a command that does not exist: the run fails at once, naming the command', async () => {
    const r = await run('SC-971-no-such-bot', '  command: [mmbench-no-such-bot, --x]');
    expect(r.code).toBe(1);
    const g = gate(r.report, 'run completed')!;
    expect(g.pass).toBe(false);
    expect(g.detail).toMatch(/the bot command could not start: spawn mmbench-no-such-bot ENOENT/);
    expect(r.stdout).toMatch(/FAIL {2}SC-971-no-such-bot/);
  }, 60_000);

  it('a bot that exits at once: the verdict quotes its exit code and last stderr line', async () => {
    const r = await run('SC-972-exits', nodeBot("console.error('fatal: cannot read my config'); process.exit(3)"));
    expect(r.code).toBe(1);
    expect(gate(r.report, 'run completed')!.detail).toMatch(/the bot exited before it was ready \(code 3\); last stderr: fatal: cannot read my config/);
    expect(gate(r.report, 'bot_exit = 0')).toMatchObject({ pass: false, detail: 'the bot died before the stop (code 3)' });
  }, 60_000);

  it('a bot that never quotes: a timeout verdict saying what was awaited and what the venue saw', async () => {
    const r = await run('SC-973-never-ready', `${nodeBot("console.error('connecting...'); setInterval(() => {}, 1000)")}\n  ready_timeout: 1500ms`);
    expect(r.code).toBe(1);
    expect(gate(r.report, 'run completed')!.detail).toMatch(
      /the bot did not become ready within 1500 ms \(waiting for its orders resting on both sides at the venue; it had 0 bid\(s\) and 0 ask\(s\) resting on BTCUSDT\); last stderr: connecting\.\.\./,
    );
  }, 60_000);

  it('gets the contract (environment, rendered template), and is killed when it ignores SIGTERM', async () => {
    const tmpl = join(root, 'conf.tmpl.yaml');
    writeFileSync(tmpl, 'rest: ${MMBENCH_REST_URL}\nkey: ${MMBENCH_API_KEY}\nlimit: ${MMBENCH_POSITION_LIMIT}\n');
    const src = [
      "const fs = require('fs');",
      "const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('MMBENCH_')));",
      "fs.writeFileSync(process.env.MMBENCH_RUN_DIR + '/env.json', JSON.stringify({ env, config: fs.readFileSync(process.env.MMBENCH_CONFIG, 'utf8'), argv: process.argv.slice(1) }));",
      "process.on('SIGTERM', () => console.error('ignoring SIGTERM'));",
      "console.log('bot ready');",
      'setInterval(() => {}, 1000);',
    ].join(' ');
    const r = await run(
      'SC-974-stubborn',
      `  command: [node, -e, ${JSON.stringify(src)}, '\${MMBENCH_SYMBOL}']\n  config_template: ${tmpl}\n  ready: { log: "bot ready" }\n  stop: { grace: 1s }\n  position_limit: 0.25\n  env: { MY_KEY: "k=\${MMBENCH_API_KEY}" }`,
    );
    expect(r.code).toBe(1);
    const seen = JSON.parse(readFileSync(join(r.dir, 'env.json'), 'utf8')) as { env: Record<string, string>; config: string; argv: string[] };
    expect(Object.keys(seen.env).sort()).toEqual(
      ['MMBENCH_API_KEY', 'MMBENCH_API_SECRET', 'MMBENCH_CATEGORY', 'MMBENCH_CONFIG', 'MMBENCH_METRICS_PORT', 'MMBENCH_POSITION_LIMIT', 'MMBENCH_REST_URL', 'MMBENCH_RUN_DIR', 'MMBENCH_SEED', 'MMBENCH_SYMBOL', 'MMBENCH_WS_PRIVATE_URL', 'MMBENCH_WS_PUBLIC_URL', 'MMBENCH_WS_TRADE_URL'],
    );
    expect(seen.env['MMBENCH_WS_PUBLIC_URL']).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/v5\/public\/linear$/);
    expect(seen.env['MMBENCH_POSITION_LIMIT']).toBe('0.25');
    expect(seen.env['MMBENCH_SEED']).toBe('7');
    expect(seen.argv).toEqual(['BTCUSDT']);
    expect(seen.config).toContain(`rest: ${seen.env['MMBENCH_REST_URL']}`);
    expect(seen.config).toContain('key: mmbench-scenario-bot');
    expect(seen.config).toContain('limit: 0.25');
    expect(gate(r.report, 'bot_exit = 0')).toMatchObject({ pass: false, detail: expect.stringMatching(/still running 1\d{3} ms after SIGTERM and was killed \(SIGKILL\)/) });
    // The command as written (placeholders kept); the bot got it rendered (argv above).
    expect(r.report.bot?.command).toMatch(/^node -e .* \$\{MMBENCH_SYMBOL\}$/);
    // It never placed an order.
    expect(gate(r.report, 'open_orders_after_stop = 0')!.pass).toBe(true);
  }, 60_000);

  it('--bot-cmd replaces the scenario\'s bot; a bad --bot-cmd is a usage error', async () => {
    const r = await run('SC-975-flag', '  position_limit: 0.3', ['--bot-cmd', "node -e 'process.exit(0)'"]);
    expect(r.report.bot?.command).toBe("node -e 'process.exit(0)'");
    expect(gate(r.report, 'run completed')!.detail).toMatch(/the bot exited before it was ready \(code 0\)/);
    const bad = await mmbench(['run', join(root, 'SC-975-flag.yaml'), '--bot-cmd', "node -e 'oops"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--bot-cmd: unterminated '/);
  }, 60_000);
});
