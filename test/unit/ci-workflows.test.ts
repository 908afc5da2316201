/**
 * The CI workflows (.github/workflows) parse, have the jobs issue 6 item 7 asks for, shard the PR suite over 1..N
 * exactly, and call only npm scripts and suites that exist. .ci/run runs the tests and one short scenario.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT, SUITES_DIR } from '../../scenarios/schema.ts';

interface Step { uses?: string; run?: string; with?: Record<string, unknown>; if?: string; name?: string }
interface Job { 'runs-on': string; steps: Step[]; strategy?: { matrix?: Record<string, unknown> }; env?: Record<string, string> }
interface Workflow { name: string; on: Record<string, unknown> | string | string[]; jobs: Record<string, Job> }

const load = (f: string) => parse(readFileSync(join(REPO_ROOT, '.github', 'workflows', f), 'utf8')) as Workflow;
const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** Every `npm run <script>` / `npm test` in a shell text names a script of package.json. */
function npmScripts(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/\bnpm (?:run(?:-script)? ([\w:.-]+)|(test)\b)/g)) out.push(m[1] ?? m[2]!);
  return out;
}
const runs = (job: Job) => job.steps.map((s) => s.run ?? '').join('\n');

function checkCommon(wf: Workflow): void {
  for (const [name, job] of Object.entries(wf.jobs)) {
    expect(job['runs-on'], name).toBeTruthy();
    const node = job.steps.find((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(node?.uses, `${name}: setup-node`).toBe('actions/setup-node@v4');
    expect(String(node?.with?.['node-version'])).toBe('20');
    expect(node?.with?.['cache']).toBe('npm');
    expect(job.steps[0]?.uses, `${name}: checkout first`).toBe('actions/checkout@v4');
    for (const s of npmScripts(runs(job))) expect(Object.keys(scripts), `${name}: npm script ${s}`).toContain(s);
  }
}

describe('.github/workflows/ci.yml', () => {
  const wf = load('ci.yml');

  it('runs on push and pull_request, with the test job and the sharded suite job', () => {
    expect(Object.keys(wf.on as object)).toEqual(expect.arrayContaining(['push', 'pull_request']));
    expect(Object.keys(wf.jobs)).toEqual(expect.arrayContaining(['test', 'suite']));
    checkCommon(wf);
    const test = runs(wf.jobs['test']!);
    expect(test).toMatch(/npm ci\b/);
    expect(test).toMatch(/npm test\b/);
  });

  it('shards the PR suite over exactly 1..N, uploads JUnit and artifacts, writes the job summary', () => {
    const job = wf.jobs['suite']!;
    const shards = job.strategy?.matrix?.['shard'] as number[];
    const text = runs(job);
    const m = /suite pr --shard \$\{\{ matrix\.shard \}\}\/(\d+)/.exec(text);
    expect(m, 'mmbench suite pr --shard ${{ matrix.shard }}/N').not.toBeNull();
    const n = Number(m![1]);
    expect([...shards].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(text).toMatch(/npm ci\b/);
    expect(text).toContain('$GITHUB_STEP_SUMMARY');
    expect(text).toContain('summary.md');
    const uploads = job.steps.filter((s) => s.uses === 'actions/upload-artifact@v4');
    const paths = uploads.map((s) => String(s.with?.['path']));
    expect(paths.some((p) => p.endsWith('junit.xml'))).toBe(true);
    expect(paths.some((p) => p.startsWith('artifacts/'))).toBe(true);
    for (const s of uploads) expect(s.if).toBe('always()');
    expect(existsSync(join(SUITES_DIR, 'pr.yaml'))).toBe(true);
  });
});

describe('.github/workflows/nightly.yml', () => {
  const wf = load('nightly.yml');

  it('runs on a schedule and by hand, running the nightly suite', () => {
    const on = wf.on as Record<string, unknown>;
    expect(Object.keys(on)).toEqual(expect.arrayContaining(['schedule', 'workflow_dispatch']));
    const cron = (on['schedule'] as { cron: string }[])[0]!.cron;
    expect(cron.trim().split(/\s+/)).toHaveLength(5);
    checkCommon(wf);
    const all = Object.values(wf.jobs).map(runs).join('\n');
    const suite = /mmbench -- suite ([\w-]+)/.exec(all)?.[1];
    expect(suite).toBe('nightly');
    expect(existsSync(join(SUITES_DIR, `${suite}.yaml`))).toBe(true);
  });
});

describe('soak workflows', () => {
  it('the nightly runs a 10-minute soak in 1-minute windows and uploads its report', () => {
    const wf = load('nightly.yml');
    const text = runs(wf.jobs['soak']!);
    expect(text).toMatch(/npm run mmbench -- soak --duration 10m --window 1m/);
    expect(text).toContain('soak-report.md');
  });

  it('a manual-dispatch workflow runs the 24 h soak', () => {
    const wf = load('soak-24h.yml');
    const on = wf.on as Record<string, { inputs?: Record<string, { default?: string }> }>;
    expect(Object.keys(on)).toEqual(['workflow_dispatch']);
    expect(on['workflow_dispatch']!.inputs!['duration']!.default).toBe('24h');
    expect(runs(wf.jobs['soak']!)).toMatch(/npm run mmbench -- soak --duration/);
  });
});

describe('.ci/run', () => {
  it('installs, typechecks, runs the tests, then one short scenario end to end', () => {
    const text = readFileSync(join(REPO_ROOT, '.ci', 'run'), 'utf8');
    const ci = text.indexOf('npm ci');
    const typecheck = text.indexOf('npm run typecheck');
    const test = text.indexOf('npm test');
    expect(typecheck, 'vitest does not check types').toBeGreaterThan(ci);
    expect(test).toBeGreaterThan(typecheck);
    const scenario = text.search(/npm run mmbench -- run SC-\d{3}/);
    expect(ci).toBeGreaterThanOrEqual(0);
    expect(test).toBeGreaterThan(ci);
    expect(scenario).toBeGreaterThan(test);
    for (const s of npmScripts(text)) expect(Object.keys(scripts)).toContain(s);
  });

  it('installs python3-websocket and runs the calm, private-drop and storm scenarios against the example Python bot', () => {
    const text = readFileSync(join(REPO_ROOT, '.ci', 'run'), 'utf8');
    expect(text).toMatch(/python3-websocket/);
    expect(text).toMatch(/--bot-cmd 'python3 examples\/python-mm\/bot\.py'/);
    for (const sc of ['SC-001-calm-baseline', 'SC-013-private-ws-drop-mid-fill', 'SC-006-rate-limit-storm']) {
      expect(text).toContain(sc);
      expect(existsSync(join(REPO_ROOT, 'scenarios', 'library', `${sc}.yaml`)), sc).toBe(true);
    }
  });
});
