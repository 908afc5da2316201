/** Bot config: validation errors name the path, v1 → v2 migration, environment overrides, testnet-only defaults. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, parseConfig } from '../../bot/config/load.ts';
import { BotConfigSchema, TESTNET } from '../../bot/config/schema.ts';

const keys = { apiKey: 'k-123456', apiSecret: 's-123456' };
const NO_ENV = {};

function problems(doc: unknown, env: NodeJS.ProcessEnv = NO_ENV): string[] {
  try {
    parseConfig(doc, env);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('bot config', () => {
  it('a minimal v2 config gets every default, pointing at testnet', () => {
    const c = parseConfig({ configVersion: 2, venue: keys }, NO_ENV);
    expect(c.venue.restUrl).toBe(TESTNET.restUrl);
    expect(c.venue.wsPublicUrl).toBe(TESTNET.wsPublicUrl);
    expect(c.venue.wsPrivateUrl).toBe(TESTNET.wsPrivateUrl);
    expect(c.venue.wsTradeUrl).toBe(TESTNET.wsTradeUrl);
    expect(c.quoting.levels).toBe(3);
    expect(c.execution.mode).toBe('batched');
    expect(c.marketData.depth).toBe(50);
  });

  it('no default URL is a mainnet URL', () => {
    const c = parseConfig({ configVersion: 2, venue: keys }, NO_ENV);
    const urls = [c.venue.restUrl, c.venue.wsPublicUrl, c.venue.wsPrivateUrl, c.venue.wsTradeUrl];
    for (const u of urls) {
      const host = new URL(u).hostname;
      expect(host, u).toMatch(/testnet/);
      expect(['api.bybit.com', 'stream.bybit.com', 'api.bytick.com', 'stream.bytick.com']).not.toContain(host);
    }
    // The schema's own defaults too (not only what this test passed through).
    const json = JSON.stringify(BotConfigSchema.safeParse({ configVersion: 2, venue: keys }).data);
    expect(json).not.toMatch(/\/\/(api|stream)\.(bybit|bytick)\.com/);
  });

  it('a bad field gives an error naming its path and the bad value', () => {
    expect(problems({ configVersion: 2, venue: keys, quoting: { levels: 'x' } })).toEqual(['quoting.levels: expected integer in 1..20, got "x"']);
    expect(problems({ configVersion: 2, venue: keys, quoting: { levelStepTicks: 0 } })).toEqual(['quoting.levelStepTicks: expected integer >= 1, got 0']);
    expect(problems({ configVersion: 2, venue: keys, guards: { killSwitch: { maxPosition: 'lots' } } })[0]).toMatch(/^guards\.killSwitch\.maxPosition: expected a positive decimal/);
    expect(problems({ configVersion: 2, venue: { ...keys, restUrl: 'ftp://x' } })).toEqual(['venue.restUrl: expected a http or https URL, got "ftp://x"']);
    expect(problems({ configVersion: 2, venue: keys, quoting: { levles: 3 } })).toEqual(['quoting.levles: unknown field']);
    expect(problems({ configVersion: 2, venue: {} })).toEqual([
      'venue.apiKey: required: API key (or set MMBOT_API_KEY) (missing)',
      'venue.apiSecret: required: API secret (or set MMBOT_API_SECRET) (missing)',
    ]);
    expect(problems({ configVersion: 7, venue: keys })).toEqual(['configVersion: expected 2, got 7']);
    // Cross-field rules name the field that must change.
    expect(problems({ configVersion: 2, venue: keys, quoting: { minSpreadBps: 10, maxSpreadBps: 5 } })).toEqual(['quoting.maxSpreadBps: expected >= quoting.minSpreadBps (10), got 5']);
  });

  it('migrates a version 1 config', () => {
    const v1 = {
      configVersion: 1,
      exchange: { restUrl: 'http://127.0.0.1:9000', wsUrl: 'ws://127.0.0.1:9000/v5/public/linear', privateWsUrl: 'ws://127.0.0.1:9000/v5/private', key: 'k-123456', secret: 's-123456' },
      symbol: 'ETHUSDT',
      orderSize: 0.05,
      levels: 2,
      spreadBps: 6,
      maxInventory: 1.5,
      metricsPort: 0,
      batchOrders: false,
    };
    const c = parseConfig(v1, NO_ENV);
    expect(c.configVersion).toBe(2);
    expect(c.symbol).toBe('ETHUSDT');
    expect(c.venue).toMatchObject({ restUrl: 'http://127.0.0.1:9000', wsPrivateUrl: 'ws://127.0.0.1:9000/v5/private', wsTradeUrl: 'ws://127.0.0.1:9000/v5/trade', apiKey: 'k-123456' });
    expect(c.quoting).toMatchObject({ levels: 2, baseQty: '0.05', maxPosition: '1.5', minSpreadBps: 6, maxSpreadBps: 48 });
    expect(c.guards.killSwitch.maxPosition).toBe('3');
    expect(c.telemetry.port).toBe(0);
    expect(c.execution.mode).toBe('sequential');
    // A file without configVersion is a v1 file (the field came with v2's format change).
    expect(parseConfig({ exchange: { key: 'k-123456', secret: 's-123456' }, levels: 4 }, NO_ENV).quoting.levels).toBe(4);
    // Errors in a v1 file name the v1 path.
    expect(problems({ configVersion: 1, levels: 0 })).toEqual(['levels: expected integer >= 1, got 0 (in a version 1 config)']);
  });

  it('environment overrides the venue section and is validated like the file', () => {
    const env = {
      MMBOT_REST_URL: 'http://127.0.0.1:1234',
      MMBOT_WS_PUBLIC_URL: 'ws://127.0.0.1:1234/v5/public/linear',
      MMBOT_WS_PRIVATE_URL: 'ws://127.0.0.1:1234/v5/private',
      MMBOT_WS_TRADE_URL: 'ws://127.0.0.1:1234/v5/trade',
      MMBOT_API_KEY: 'env-key-1',
      MMBOT_API_SECRET: 'env-secret-1',
    };
    const c = parseConfig({ configVersion: 2, venue: { apiKey: 'file-key', apiSecret: 'file-secret', restUrl: 'http://10.0.0.1' } }, env);
    expect(c.venue).toMatchObject({
      restUrl: 'http://127.0.0.1:1234',
      wsPublicUrl: 'ws://127.0.0.1:1234/v5/public/linear',
      wsPrivateUrl: 'ws://127.0.0.1:1234/v5/private',
      wsTradeUrl: 'ws://127.0.0.1:1234/v5/trade',
      apiKey: 'env-key-1',
      apiSecret: 'env-secret-1',
    });
    // Keys from the environment alone (no venue section at all).
    expect(parseConfig({ configVersion: 2 }, { MMBOT_API_KEY: 'a-1', MMBOT_API_SECRET: 'b-1' }).venue.apiKey).toBe('a-1');
    expect(problems({ configVersion: 2, venue: keys }, { MMBOT_WS_PUBLIC_URL: 'http://nope' })).toEqual(['venue.wsPublicUrl: expected a ws or wss URL, got "http://nope"']);
  });

  it('the shipped example points at a local venue with the demo keys', () => {
    const c = loadConfigFile(join(import.meta.dirname, '../../bot/config/example.yaml'), NO_ENV);
    expect(new URL(c.venue.restUrl).hostname).toBe('127.0.0.1');
    expect(new URL(c.venue.wsPublicUrl).hostname).toBe('127.0.0.1');
    expect(c.venue.apiKey).toBe('mmbench-demo-key');
    expect(c.venue.apiSecret).toBe('mmbench-demo-secret');
  });

  it('npm run bot exits 2 with the path of the bad field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmbot-config-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'configVersion: 2\nvenue: { apiKey: k-123456, apiSecret: s-123456 }\nquoting:\n  levels: x\n');
    const root = join(import.meta.dirname, '../..');
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bot/main.ts'), '--config', file], { cwd: root, encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('quoting.levels: expected integer in 1..20, got "x"');
    expect(r.stderr).toContain('"code":"MMB-101"');
  });
});
