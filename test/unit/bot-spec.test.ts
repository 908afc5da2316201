/**
 * The bot-under-test contract (scenarios/bot-spec.ts, docs/any-bot.md): placeholders, the reference preset, the
 * checks a scenario's bot section gets before anything runs, rendering, and shell-like command splitting.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  BOT_ENV_NAMES,
  BotSection,
  checkBotSpec,
  commandLine,
  loadBotFile,
  renderConfig,
  renderTemplate,
  renderedConfigName,
  resolveBotSpec,
  splitCommand,
  unknownPlaceholders,
} from '../../scenarios/bot-spec.ts';
import { parseScenario, REPO_ROOT } from '../../scenarios/schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'mmbench-botspec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const VALUES = Object.fromEntries(BOT_ENV_NAMES.map((n) => [n, `<${n}>`]));
const section = (doc: unknown) => BotSection.parse(doc);

describe('placeholders', () => {
  it('renders ${NAME} from the values and $$ as a literal $', () => {
    expect(renderTemplate('url: ${MMBENCH_REST_URL}/x cost: $$5', { MMBENCH_REST_URL: 'http://h:1' })).toBe('url: http://h:1/x cost: $5');
  });

  it('lists every unknown name once, in order, and ignores escaped ones', () => {
    expect(unknownPlaceholders('${A} ${MMBENCH_SYMBOL} ${B} ${A} $${C}', ['MMBENCH_SYMBOL'])).toEqual(['A', 'B']);
  });

  it('a name without a value throws instead of rendering an empty string', () => {
    expect(() => renderTemplate('${MMBENCH_NOPE}', {})).toThrow(/MMBENCH_NOPE/);
  });
});

describe('resolveBotSpec', () => {
  it('a section without a command is the reference bot with the section laid over it', () => {
    const spec = resolveBotSpec(section({ overrides: { quoting: { levels: 2 } }, position_limit: 0.05, stop: { grace: '5s' } }), 'x.yaml');
    expect(spec.reference).toBe(true);
    expect(spec.command).toContain('bot/main.ts');
    expect(spec.configTemplate).toBe(join(REPO_ROOT, 'scenarios/bots/reference.config.yaml'));
    expect(spec.metrics?.histogram).toBe('mmbot_quote_cycle_ms');
    expect(spec.positionLimit).toBe(0.05);
    expect(spec.stop).toEqual({ signal: 'SIGTERM', graceMs: 5000 });
    expect(spec.ready).toBe('quotes');
    expect(checkBotSpec(spec)).toEqual([]);
  });

  it('a section with a command stands alone: no template, no metrics, the defaults', () => {
    const spec = resolveBotSpec(section({ command: ['python3', 'bot.py'], cwd: 'examples/python-mm' }), 'x.yaml');
    expect(spec.reference).toBe(false);
    expect(spec.configTemplate).toBeUndefined();
    expect(spec.metrics).toBeUndefined();
    expect(spec.cwd).toBe(join(REPO_ROOT, 'examples/python-mm'));
    expect(spec.positionLimit).toBe(0.1);
    expect(spec.errors).toEqual({ pino: true, pattern: undefined });
  });
});

describe('checkBotSpec: problems found before anything runs', () => {
  it('an unknown placeholder in the template names the file and the placeholder', () => {
    const t = join(dir, 'cfg.tmpl.yaml');
    writeFileSync(t, 'rest: ${MMBENCH_REST_URL}\nkey: ${MMBENCH_API_KEYS}\n');
    const p = checkBotSpec(resolveBotSpec(section({ command: ['bot'], config_template: t }), 'x.yaml'));
    expect(p).toHaveLength(1);
    expect(p[0]).toContain(t);
    expect(p[0]).toContain('unknown placeholder ${MMBENCH_API_KEYS}');
  });

  it('placeholders in argv, env, ready and metrics URLs are checked too; MMBENCH_CONFIG needs a template', () => {
    const p = checkBotSpec(
      resolveBotSpec(
        section({ command: ['bot', '--config', '${MMBENCH_CONFIG}'], env: { X: '${MMBENCH_REST}' }, ready: { http: 'http://127.0.0.1:${PORT}/ok' }, metrics: { url: '${MMBENCH_METRICS_PORT}', histogram: 'h' } }),
        'x.yaml',
      ),
    );
    expect(p.join('\n')).toMatch(/bot\.command\[2\]: \$\{MMBENCH_CONFIG\} needs a config_template/);
    expect(p.join('\n')).toMatch(/bot\.env\.X: unknown placeholder \$\{MMBENCH_REST\}/);
    expect(p.join('\n')).toMatch(/bot\.ready\.http: unknown placeholder \$\{PORT\}/);
    expect(p).toHaveLength(3);
  });

  it('an unreadable template, and overrides with nothing to merge onto', () => {
    expect(checkBotSpec(resolveBotSpec(section({ command: ['bot'], config_template: join(dir, 'missing.yaml') }), 'x.yaml'))[0]).toMatch(/cannot read .*missing\.yaml/);
    expect(checkBotSpec(resolveBotSpec(section({ command: ['bot'], overrides: { a: 1 } }), 'x.yaml'))).toEqual(['bot.overrides: the bot has no config_template to merge them onto']);
    const ini = join(dir, 'bot.ini');
    writeFileSync(ini, 'key=${MMBENCH_API_KEY}\n');
    expect(checkBotSpec(resolveBotSpec(section({ command: ['bot'], config_template: ini, overrides: { a: 1 } }), 'x.yaml'))[0]).toMatch(/not YAML or JSON/);
  });

  it('a scenario with a bad template is a schema error naming the file and the placeholder', () => {
    const t = join(dir, 'bad.yaml');
    writeFileSync(t, 'x: ${MMBENCH_WHAT}\n');
    const doc = { id: 'SC-901-x', title: 't', seed: 1, duration: '5s', instrument: { symbol: 'BTCUSDT' }, market: { timeline: [{ at: '0s', regime: 'calm' }] }, bot: { command: ['bot'], config_template: t } };
    expect(() => parseScenario(doc, 'SC-901-x.yaml')).toThrow(/SC-901-x\.yaml: bot\.config_template: .*bad\.yaml: unknown placeholder \$\{MMBENCH_WHAT\}/);
  });
});

describe('renderConfig', () => {
  it('renders the template and merges the overrides onto YAML, keeping what they do not name', () => {
    const spec = resolveBotSpec(section({ overrides: { quoting: { levels: 2 }, telemetry: { logLevel: 'warn' } } }), 'x.yaml');
    const doc = parseYaml(renderConfig(spec, { ...VALUES, MMBENCH_METRICS_PORT: '9999', MMBENCH_POSITION_LIMIT: '0.2' }, 'header')) as Record<string, Record<string, unknown>>;
    expect(doc['venue']!['restUrl']).toBe('<MMBENCH_REST_URL>');
    expect(doc['quoting']).toMatchObject({ levels: 2, levelStepTicks: 60, maxPosition: '0.2' });
    expect(doc['telemetry']).toMatchObject({ port: 9999, logLevel: 'warn' });
  });

  it('JSON templates stay JSON; the rendered file is named after the template', () => {
    const t = join(dir, 'conf.json.tmpl');
    writeFileSync(t, '{"url": "${MMBENCH_REST_URL}", "n": 1}');
    const spec = resolveBotSpec(section({ command: ['bot'], config_template: t, overrides: { n: 2 } }), 'x.yaml');
    expect(JSON.parse(renderConfig(spec, VALUES, 'h'))).toEqual({ url: '<MMBENCH_REST_URL>', n: 2 });
    expect(renderedConfigName(t)).toBe('bot.json');
    expect(renderedConfigName('a/reference.config.yaml')).toBe('bot.yaml');
    expect(renderedConfigName('bot.ini')).toBe('bot.ini');
  });
});

describe('splitCommand / commandLine', () => {
  it('splits like a POSIX shell without expanding anything', () => {
    expect(splitCommand(`python3  examples/python-mm/bot.py --break slow-requote`)).toEqual(['python3', 'examples/python-mm/bot.py', '--break', 'slow-requote']);
    expect(splitCommand(`bot --name 'a b' --x "c \\"d\\"" e\\ f $HOME`)).toEqual(['bot', '--name', 'a b', '--x', 'c "d"', 'e f', '$HOME']);
    expect(splitCommand(`bot ''`)).toEqual(['bot', '']);
    expect(() => splitCommand(`bot 'open`)).toThrow(/unterminated/);
  });

  it('commandLine quotes what a shell would need quoted', () => {
    expect(commandLine({ command: ['python3', 'bot.py', 'a b', "it's"] })).toBe(`python3 bot.py 'a b' 'it'\\''s'`);
  });
});

describe('loadBotFile', () => {
  it('reads a bot section from a file, paths relative to the file', () => {
    const f = join(dir, 'my-bot.yaml');
    writeFileSync(join(dir, 'my.tmpl.yaml'), 'key: ${MMBENCH_API_KEY}\n');
    writeFileSync(f, 'command: [python3, bot.py]\nconfig_template: my.tmpl.yaml\nready: { log: "quoting" }\nstop: { signal: SIGINT, grace: 3s }\n');
    const spec = loadBotFile(f);
    expect(spec.cwd).toBe(dir);
    expect(spec.configTemplate).toBe(join(dir, 'my.tmpl.yaml'));
    expect(spec.ready).toEqual({ log: 'quoting' });
    expect(spec.stop).toEqual({ signal: 'SIGINT', graceMs: 3000 });
  });

  it('an unknown field or a bad regex is an error naming the file', () => {
    const f = join(dir, 'bad-bot.yaml');
    writeFileSync(f, 'command: [bot]\nreadyy: quotes\n');
    expect(() => loadBotFile(f)).toThrow(/bad-bot\.yaml: .*readyy/);
    writeFileSync(f, 'command: [bot]\nerrors: { pattern: "(" }\n');
    expect(() => loadBotFile(f)).toThrow(/bad-bot\.yaml: errors\.pattern: expected a regular expression/);
  });
});
