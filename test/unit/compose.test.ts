/**
 * docker-compose.yml and its files under docker/ agree with the bench: the compose file validates
 * (`docker-compose config -q`, Debian's docker-compose 1.29 needs no engine), images are pinned, Toxiproxy is
 * pre-populated with exactly the chaos driver's proxies pointing at the venue's port, the bot reaches the venue only
 * through those proxies, Prometheus scrapes services and ports that exist, and Grafana's provisioning is complete.
 * Nothing here starts a container.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CHANNELS, DEFAULT_PREFIX, type Channel } from '../../chaos/driver.ts';
import { DEMO_ACCOUNT } from '../../sim-exchange/config.ts';
import { loadConfigFile } from '../../bot/config/load.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
const TOXIPROXY_IMAGE = 'ghcr.io/shopify/toxiproxy:2.12.0';
const TOXIPROXY_API_PORT = 8474;
/** Bybit V5 WebSocket paths the venue serves (sim-exchange/server.ts urls). */
const WS_PATH: Record<Exclude<Channel, 'rest'>, string> = {
  'ws-public': '/v5/public/linear',
  'ws-private': '/v5/private',
  'ws-trade': '/v5/trade',
};
const ENV_FOR: Record<Channel, string> = {
  rest: 'MMBOT_REST_URL',
  'ws-public': 'MMBOT_WS_PUBLIC_URL',
  'ws-private': 'MMBOT_WS_PRIVATE_URL',
  'ws-trade': 'MMBOT_WS_TRADE_URL',
};

interface Service {
  image?: string;
  build?: { context?: string; dockerfile?: string; target?: string } | string;
  command?: string[] | string;
  environment?: Record<string, string> | string[];
  volumes?: string[];
  ports?: string[];
}

/** A control token for the checks: compose requires MMBENCH_CONTROL_TOKEN and has no default for it. */
const TEST_TOKEN = 'compose-test-token-0123456789';
const REQUIRED_VALUES: Record<string, string> = { MMBENCH_CONTROL_TOKEN: TEST_TOKEN };

/**
 * Compose's `${VAR:-default}` / `${VAR-default}` / `${VAR:?error}` / `$$` with the defaults only (a required variable
 * takes REQUIRED_VALUES), so the checks do not depend on the caller's env.
 */
function interpolate(s: string): string {
  return s.replace(/\$\$|\$\{(\w+)(?:(:?-)([^}]*)|:\?[^}]*)?\}/g, (m, name: string | undefined, dash: string | undefined, def: string | undefined) =>
    m === '$$' ? '$' : dash !== undefined ? (def ?? '') : (REQUIRED_VALUES[name!] ?? ''),
  );
}

function readText(rel: string): string {
  return readFileSync(join(ROOT, rel), 'utf8');
}

const compose = parseYaml(readText('docker-compose.yml')) as { services: Record<string, Service> };
const services = compose.services;

function command(s: Service): string[] {
  expect(Array.isArray(s.command), 'commands are written as lists (exact argv)').toBe(true);
  return (s.command as string[]).map((a) => interpolate(String(a)));
}

function env(s: Service): Record<string, string> {
  const e = s.environment ?? {};
  const pairs = Array.isArray(e) ? e.map((kv) => kv.split(/=(.*)/s, 2) as [string, string]) : Object.entries(e);
  return Object.fromEntries(pairs.map(([k, v]) => [k, interpolate(String(v ?? ''))]));
}

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  if (i >= 0) return argv[i + 1];
  const eq = argv.find((a) => a.startsWith(`${name}=`));
  return eq?.slice(name.length + 1);
}

/** Host path (relative to the repo) mounted at `target` in a service, if any. */
function mountSource(s: Service, target: string): string | undefined {
  for (const v of s.volumes ?? []) {
    const [src, dst] = v.split(':');
    if (dst === target && src !== undefined) return posix.normalize(src);
  }
  return undefined;
}

function findService(what: string, pred: (name: string, s: Service) => boolean): [string, Service] {
  const found = Object.entries(services).filter(([n, s]) => pred(n, s));
  expect(found.map(([n]) => n), `exactly one ${what} service in docker-compose.yml`).toHaveLength(1);
  return found[0]!;
}

const runs = (script: string) => (_: string, s: Service) => Array.isArray(s.command) && s.command.slice(0, 3).join(' ') === `npm run ${script}`;
const [venueName, venue] = findService('venue (npm run sim)', runs('sim'));
const [botName, bot] = findService('bot (npm run bot)', runs('bot'));
const [toxiName, toxi] = findService('toxiproxy', (_, s) => (s.image ?? '').startsWith('ghcr.io/shopify/toxiproxy'));
const [promName, prom] = findService('prometheus', (_, s) => (s.image ?? '').startsWith('prom/prometheus'));
const [, grafana] = findService('grafana', (_, s) => (s.image ?? '').startsWith('grafana/grafana'));

/** The chaos driver names proxies `<prefix>-<channel>`. */
function driverProxyNames(): string[] {
  return CHANNELS.map((c) => `${DEFAULT_PREFIX}-${c}`);
}

interface PopulateEntry {
  name: string;
  listen: string;
  upstream: string;
  enabled?: boolean;
}
const populate = JSON.parse(readText('docker/toxiproxy.json')) as PopulateEntry[];
const prefixOf = driverProxyNames()[0]!.slice(0, -CHANNELS[0].length);
const proxyFor = (ch: Channel): PopulateEntry => {
  const p = populate.find((e) => e.name === `${prefixOf}${ch}`);
  if (!p) throw new Error(`docker/toxiproxy.json has no proxy ${prefixOf}${ch}`);
  return p;
};
const portOf = (hostPort: string): number => Number(hostPort.slice(hostPort.lastIndexOf(':') + 1));

describe('docker-compose.yml', () => {
  it('validates with docker-compose config -q', () => {
    const r = spawnSync('docker-compose', ['-f', COMPOSE_FILE, 'config', '-q'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...REQUIRED_VALUES } });
    if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
      throw new Error(
        'docker-compose is not installed, so docker-compose.yml cannot be validated. Install Debian\'s (no Docker engine needed): ' +
          '`sudo apt-get update && sudo apt-get install -y --no-install-recommends docker-compose` (.ci/run does this).',
      );
    }
    if (r.error) throw r.error;
    expect(r.status, `docker-compose config -q failed:\n${r.stderr}`).toBe(0);
  });

  it('pins every image (a version tag, not latest, or a digest), Toxiproxy exactly 2.12.0', () => {
    const pinned = (ref: string) => {
      if (/@sha256:[0-9a-f]{64}$/.test(ref)) return true;
      const last = ref.split('/').pop()!;
      const tag = last.includes(':') ? last.slice(last.indexOf(':') + 1) : '';
      return tag !== '' && tag !== 'latest';
    };
    for (const [name, s] of Object.entries(services)) {
      expect(s.image !== undefined || s.build !== undefined, `${name}: image or build`).toBe(true);
      if (s.image !== undefined) expect(pinned(s.image), `${name}: image ${s.image} is not pinned`).toBe(true);
    }
    expect(toxi.image).toBe(TOXIPROXY_IMAGE);
  });

  it('builds from docker/Dockerfile whose base images are pinned by version tag and digest', () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.build === undefined) continue;
      expect(typeof s.build, `${name}: build is a mapping`).toBe('object');
      const b = s.build as { context?: string; dockerfile?: string; target?: string };
      const file = join(ROOT, b.context ?? '.', b.dockerfile ?? 'Dockerfile');
      expect(existsSync(file), `${name}: ${file} exists`).toBe(true);
      const froms = [...readFileSync(file, 'utf8').matchAll(/^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/gim)];
      const stages = new Set(froms.map((m) => m[2]).filter((x): x is string => x !== undefined));
      if (b.target) expect(stages.has(b.target), `${name}: target ${b.target} is a stage of ${file}`).toBe(true);
      for (const [, ref] of froms) {
        if (stages.has(ref!)) continue;
        expect(ref, `${file}: FROM ${ref} must be pinned by a version tag and a digest`).toMatch(/^[^:@\s]+:\d+\.\d+\.\d+[^@\s]*@sha256:[0-9a-f]{64}$/);
      }
    }
    expect(existsSync(join(ROOT, '.dockerignore')), '.dockerignore at the build context').toBe(true);
    expect(readText('.dockerignore')).toMatch(/^node_modules$/m);
  });

  it('pre-populates Toxiproxy with exactly the chaos driver proxies, each on its own port, upstream = the venue', () => {
    const argv = command(toxi);
    const cfg = flag(argv, '-config');
    expect(cfg, 'toxiproxy command has -config=<file>').toBeDefined();
    expect(mountSource(toxi, cfg!), `${cfg} is mounted from docker/toxiproxy.json`).toBe('docker/toxiproxy.json');
    expect(argv).toContain('-host=0.0.0.0');

    expect(Array.isArray(populate)).toBe(true);
    expect(populate.map((p) => p.name).sort()).toEqual(driverProxyNames().sort());

    const venuePort = Number(flag(command(venue), '--port'));
    expect(Number.isInteger(venuePort) && venuePort > 0, 'venue command has a fixed --port').toBe(true);
    const ports = new Set<number>();
    for (const p of populate) {
      expect(p.upstream, `${p.name}: upstream is the venue service and its --port`).toBe(`${venueName}:${venuePort}`);
      expect(p.listen, `${p.name}: listens on all interfaces of the container with a fixed port`).toMatch(/^0\.0\.0\.0:\d+$/);
      expect(p.enabled ?? true, `${p.name}: enabled`).toBe(true);
      const port = portOf(p.listen);
      expect(port).not.toBe(TOXIPROXY_API_PORT);
      ports.add(port);
      expect((toxi.ports ?? []).some((m) => m.endsWith(`:${port}`)), `${p.name}: port ${port} published`).toBe(true);
    }
    expect(ports.size, 'one port per proxy').toBe(populate.length);
  });

  it('runs the venue on all interfaces with fixed ports and a control token the user must set, from the environment', () => {
    const argv = command(venue);
    expect(flag(argv, '--host')).toBe('0.0.0.0');
    expect(Number(flag(argv, '--control-port'))).toBeGreaterThan(0);
    expect(argv, 'the token stays out of argv (ps shows argv)').not.toContain('--token');
    const raw = venue.environment as Record<string, string>;
    expect(raw['MMBENCH_CONTROL_TOKEN'], 'required: ${MMBENCH_CONTROL_TOKEN:?message}, no default').toMatch(/^\$\{MMBENCH_CONTROL_TOKEN:\?[^}]+\}$/);
  });

  it('refuses to configure without MMBENCH_CONTROL_TOKEN, naming it', () => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'MMBENCH_CONTROL_TOKEN'));
    const r = spawnSync('docker-compose', ['-f', COMPOSE_FILE, 'config', '-q'], { cwd: ROOT, encoding: 'utf8', env: clean });
    if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') throw new Error('docker-compose is not installed (see the test above)');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('MMBENCH_CONTROL_TOKEN');
  });

  it('puts the bot behind the proxies: env URLs and its config point at toxiproxy:<proxy port>', () => {
    const argv = command(bot);
    const cfgPath = flag(argv, '--config');
    expect(cfgPath).toBe('/config/bot.yaml');
    expect(mountSource(bot, cfgPath!)).toBe('docker/bot.yaml');

    const e = env(bot);
    const want: Record<Channel, string> = {
      rest: `http://${toxiName}:${portOf(proxyFor('rest').listen)}`,
      'ws-public': `ws://${toxiName}:${portOf(proxyFor('ws-public').listen)}${WS_PATH['ws-public']}`,
      'ws-private': `ws://${toxiName}:${portOf(proxyFor('ws-private').listen)}${WS_PATH['ws-private']}`,
      'ws-trade': `ws://${toxiName}:${portOf(proxyFor('ws-trade').listen)}${WS_PATH['ws-trade']}`,
    };
    for (const ch of CHANNELS) expect(e[ENV_FOR[ch]], `${ENV_FOR[ch]} (${ch})`).toBe(want[ch]);
    expect(e['MMBOT_API_KEY']).toBe(DEMO_ACCOUNT.apiKey);
    expect(e['MMBOT_API_SECRET']).toBe(DEMO_ACCOUNT.secret);

    // The file alone (no env) already points through the proxies, and the bot accepts it.
    const fileOnly = loadConfigFile(join(ROOT, 'docker/bot.yaml'), {});
    expect(fileOnly.venue.restUrl).toBe(want.rest);
    expect(fileOnly.venue.wsPublicUrl).toBe(want['ws-public']);
    expect(fileOnly.venue.wsPrivateUrl).toBe(want['ws-private']);
    expect(fileOnly.venue.wsTradeUrl).toBe(want['ws-trade']);
    const withEnv = loadConfigFile(join(ROOT, 'docker/bot.yaml'), e);
    expect(withEnv.telemetry.host, 'telemetry must listen on all interfaces for Prometheus').toBe('0.0.0.0');
    expect((bot.ports ?? []).some((m) => m.endsWith(`:${withEnv.telemetry.port}`)), 'telemetry port published').toBe(true);
  });

  it('has Prometheus scrape only services and ports that exist, including the bot', () => {
    const cfgFile = mountSource(prom, '/etc/prometheus/prometheus.yml');
    expect(cfgFile).toBe('docker/prometheus.yml');
    const cfg = parseYaml(readText('docker/prometheus.yml')) as {
      scrape_configs: { job_name: string; metrics_path?: string; authorization?: { type: string; credentials_file: string }; static_configs: { targets: string[] }[] }[];
    };
    const botCfg = loadConfigFile(join(ROOT, 'docker/bot.yaml'), env(bot));
    const venueArgv = command(venue);
    // What each service listens on, from its own settings.
    const listens: Record<string, number[]> = {
      [venueName]: [Number(flag(venueArgv, '--port')), Number(flag(venueArgv, '--control-port'))],
      [toxiName]: [TOXIPROXY_API_PORT, ...populate.map((p) => portOf(p.listen))],
      [botName]: [botCfg.telemetry.port],
      [promName]: [9090],
      localhost: [9090], // Prometheus scraping itself
    };
    const targets = cfg.scrape_configs.flatMap((j) => j.static_configs.flatMap((s) => s.targets.map((t) => ({ job: j.job_name, t }))));
    expect(targets.length).toBeGreaterThan(0);
    for (const { job, t } of targets) {
      const [host, port] = [t.slice(0, t.lastIndexOf(':')), portOf(t)];
      expect(Object.keys(listens), `${job}: target ${t} names a compose service`).toContain(host);
      expect(listens[host], `${job}: ${host} listens on ${port}`).toContain(port);
      // The venue's metrics are on its control plane, behind its bearer token: Prometheus's entrypoint writes the
      // token from the environment into the file the scrape reads.
      if (host === venueName) {
        expect(port, `${job}: venue metrics are on the control port`).toBe(Number(flag(venueArgv, '--control-port')));
        const auth = cfg.scrape_configs.find((j) => j.job_name === job)!.authorization;
        expect(auth?.type).toBe('Bearer');
        const file = auth!.credentials_file;
        const entry = ((prom as Service & { entrypoint?: string[] }).entrypoint ?? []).map(String).join(' ');
        expect(entry, `prometheus entrypoint writes the token to ${file}`).toContain(`"$$MMBENCH_CONTROL_TOKEN" > ${file}`);
        expect(entry, 'then runs prometheus with the mounted config').toContain('exec /bin/prometheus --config.file=/etc/prometheus/prometheus.yml');
        expect(env(prom)['MMBENCH_CONTROL_TOKEN']).toBe(TEST_TOKEN);
      }
    }
    expect(targets.map((x) => x.t)).toContain(`${venueName}:${Number(flag(venueArgv, '--control-port'))}`);
    expect(targets.map((x) => x.t)).toContain(`${botName}:${botCfg.telemetry.port}`);
    if (targets.some((x) => x.t.startsWith(`${toxiName}:`))) {
      const argv = command(toxi);
      expect(argv.includes('-proxy-metrics') || argv.includes('-runtime-metrics'), 'toxiproxy /metrics needs -proxy-metrics or -runtime-metrics').toBe(true);
    }
  });

  it('provisions Grafana: the Prometheus datasource and a dashboard on the bot metrics that exist', () => {
    const dsDir = mountSource(grafana, '/etc/grafana/provisioning/datasources');
    const dbDir = mountSource(grafana, '/etc/grafana/provisioning/dashboards');
    expect(dsDir).toBe('docker/grafana/provisioning/datasources');
    expect(dbDir).toBe('docker/grafana/provisioning/dashboards');
    const yamls = (dir: string) => readdirSync(join(ROOT, dir)).filter((f) => /\.ya?ml$/.test(f)).map((f) => parseYaml(readText(join(dir, f))) as Record<string, unknown>);

    const datasources = yamls(dsDir!).flatMap((d) => (d['datasources'] ?? []) as { uid: string; type: string; url: string }[]);
    const promDs = datasources.find((d) => d.type === 'prometheus');
    expect(promDs, 'a prometheus datasource').toBeDefined();
    expect(promDs!.url).toBe(`http://${promName}:9090`);

    const providers = yamls(dbDir!).flatMap((d) => (d['providers'] ?? []) as { options: { path: string } }[]);
    expect(providers.length).toBeGreaterThan(0);
    const metricNames = new Set([...readText('bot/telemetry/metrics.ts').matchAll(/name: '(mmbot_\w+)'/g)].map((m) => m[1]!));
    expect(metricNames.size, 'metric names found in bot/telemetry/metrics.ts').toBeGreaterThan(0);

    let dashboards = 0;
    for (const p of providers) {
      const hostDir = mountSource(grafana, p.options.path);
      expect(hostDir, `dashboard provider path ${p.options.path} is mounted`).toBeDefined();
      const dir = join(ROOT, hostDir!);
      expect(statSync(dir).isDirectory()).toBe(true);
      for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) {
        dashboards++;
        const dash = JSON.parse(readFileSync(join(dir, f), 'utf8')) as {
          uid: string;
          panels: { type: string; title: string; datasource?: { uid: string }; targets?: { expr: string }[] }[];
        };
        expect(dash.uid).toBeTruthy();
        const exprs = dash.panels.flatMap((pl) => pl.targets ?? []).map((t) => t.expr);
        for (const pl of dash.panels.filter((x) => x.type !== 'row')) expect(pl.datasource?.uid, `${f}: ${pl.title} uses the provisioned datasource`).toBe(promDs!.uid);
        const used = new Set(exprs.flatMap((x) => [...x.matchAll(/\b(mmbot_\w+?)(?:_bucket|_sum|_count)?\b/g)].map((m) => m[1]!)));
        for (const m of used) expect(metricNames, `${f}: ${m} is a metric of bot/telemetry/metrics.ts`).toContain(m);
        for (const m of ['mmbot_quote_cycle_ms', 'mmbot_order_ack_ms', 'mmbot_inventory', 'mmbot_guard_trips_total', 'mmbot_fills_total'])
          expect(used, `${f}: a panel on ${m}`).toContain(m);
      }
    }
    expect(dashboards, 'at least one dashboard JSON').toBeGreaterThan(0);
  });
});
