/**
 * Report writers: JUnit is well-formed XML (a small structural checker below; no XML parser is installed) with one
 * testcase per gate; summary.md leads with the verdict and failed gates; report.html is self-contained with an <svg>
 * per chart and fault bands; writeReports / writeSuiteSummary write their files; report.json round-trips.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateGates, recoveryGates } from '../../scenarios/gates.ts';
import { computeMetrics } from '../../scenarios/metrics.ts';
import {
  buildScenarioReport,
  inventoryOverTime,
  junitXml,
  latencyOverTime,
  parseReportJson,
  pnlOverTime,
  reportHtml,
  reportJson,
  suiteSummaryMarkdown,
  summaryMarkdown,
  writeReports,
  writeSuiteSummary,
} from '../../scenarios/report/index.ts';
import { downsample, thin, type Pt } from '../../scenarios/report/svg.ts';
import type { FillRow, RunRecord, ScenarioReport } from '../../scenarios/types.ts';
import { tinyRun } from './scenario-metrics-fixtures.ts';

// ------------------------------------------------------------------------------------------------------------------
// A minimal XML well-formedness checker: one root, balanced tags, quoted unique attributes, valid entity references,
// no raw '<' or '&' in text. Returns the elements in document order.

interface El {
  name: string;
  attrs: Record<string, string>;
  text: string;
  children: El[];
}

function parseXml(doc: string): El {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`XML: ${why} at ${i}: ${JSON.stringify(doc.slice(i, i + 40))}`);
  };
  const ENT = /^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/;
  const decode = (s: string) => {
    for (let k = 0; k < s.length; k++) {
      if (s[k] === '<') fail('raw < in text');
      if (s[k] === '&' && !ENT.test(s.slice(k))) fail('bad entity');
    }
    return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
  };
  if (doc.startsWith('<?xml')) {
    i = doc.indexOf('?>') + 2;
    if (i < 2) fail('unterminated declaration');
  }
  const stack: El[] = [];
  let root: El | null = null;
  while (i < doc.length) {
    const lt = doc.indexOf('<', i);
    const text = lt < 0 ? doc.slice(i) : doc.slice(i, lt);
    if (stack.length === 0 && text.trim() !== '') fail('text outside the root');
    if (stack.length > 0) stack.at(-1)!.text += decode(text);
    if (lt < 0) break;
    i = lt;
    if (doc.startsWith('</', i)) {
      const m = /^<\/([A-Za-z_][\w.-]*)\s*>/.exec(doc.slice(i));
      if (!m) fail('bad end tag');
      const top = stack.pop();
      if (!top || top.name !== m![1]) fail(`mismatched </${m![1]}>`);
      i += m![0].length;
      continue;
    }
    const m = /^<([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/.exec(doc.slice(i));
    if (!m) fail('bad start tag');
    const el: El = { name: m![1]!, attrs: {}, text: '', children: [] };
    for (const a of m![2]!.matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
      if (a[1]! in el.attrs) fail(`duplicate attribute ${a[1]}`);
      el.attrs[a[1]!] = decode(a[2] ?? a[3] ?? '');
    }
    if (stack.length > 0) stack.at(-1)!.children.push(el);
    else if (root) fail('second root');
    else root = el;
    i += m![0].length;
    if (m![3] !== '/') stack.push(el);
  }
  if (stack.length > 0) fail(`unclosed <${stack.at(-1)!.name}>`);
  if (!root) fail('no root');
  return root!;
}

const all = (el: El, name: string): El[] => [...(el.name === name ? [el] : []), ...el.children.flatMap((c) => all(c, name))];

// ------------------------------------------------------------------------------------------------------------------

function tinyReport(run: RunRecord = tinyRun(), title = 'Tiny hand-built run'): ScenarioReport {
  const metrics = computeMetrics(run);
  const gates = [
    ...evaluateGates(
      metrics,
      [
        { metric: 'net_bps', op: '>', threshold: 2 },
        { metric: 'quote_cycle_p95_ms', op: '<=', threshold: 150 },
      ],
      run.safety,
    ),
    ...recoveryGates(run, 1000),
  ];
  return buildScenarioReport({ run, title, startedAt: new Date(Date.UTC(2025, 0, 1)), metrics, gates });
}

describe('junit.xml', () => {
  it('is well-formed, one testsuite per scenario, one testcase per gate, failures with the detail', () => {
    const r = tinyReport();
    const doc = parseXml(junitXml([r]));
    expect(doc.name).toBe('testsuites');
    const suites = all(doc, 'testsuite');
    expect(suites).toHaveLength(1);
    const cases = all(doc, 'testcase');
    expect(cases).toHaveLength(r.gates.length);
    const failures = all(doc, 'failure');
    expect(failures).toHaveLength(r.gates.filter((g) => !g.pass).length);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.attrs.message).toBe('quote_cycle_p95_ms = 950.271, not <= 150 (100 samples)');
    expect(suites[0]!.attrs).toMatchObject({ name: 'SC-000-tiny', tests: String(r.gates.length), failures: '1' });
    expect(doc.attrs.tests).toBe(String(r.gates.length));
  });

  it('escapes hostile names and details and drops characters XML forbids', () => {
    const r: ScenarioReport = {
      ...tinyReport(),
      scenarioId: 'SC-<&>"\'',
      title: 'a\u0001b & "c"',
      gates: [{ name: 'g <1> & "2"', pass: false, detail: ']]> <b>&amp; \u0000\u001f\ud800 ok' }],
      pass: false,
    };
    const doc = parseXml(junitXml([r]));
    expect(all(doc, 'testsuite')[0]!.attrs.name).toBe('SC-<&>"\'');
    const c = all(doc, 'testcase')[0]!;
    expect(c.attrs.name).toBe('g <1> & "2"');
    expect(all(c, 'failure')[0]!.attrs.message).toBe(']]> <b>&amp;  ok');
  });

  it('a suite document has one testsuite per scenario and totals', () => {
    const a = tinyReport();
    const b: ScenarioReport = { ...a, scenarioId: 'SC-001-ok', gates: a.gates.filter((g) => g.pass), pass: true };
    const doc = parseXml(junitXml([a, b], 'pr'));
    expect(all(doc, 'testsuite').map((s) => s.attrs.name)).toEqual(['SC-000-tiny', 'SC-001-ok']);
    expect(all(doc, 'testcase')).toHaveLength(a.gates.length + b.gates.length);
    expect(doc.attrs).toMatchObject({ name: 'pr', tests: String(a.gates.length + b.gates.length), failures: '1' });
  });
});

describe('summary.md', () => {
  it('leads with the verdict, scenario and seed; failed gates first; key metrics after', () => {
    const md = summaryMarkdown(tinyReport());
    const lines = md.split('\n');
    expect(lines[0]).toBe('## ❌ FAIL · SC-000-tiny · seed 42');
    expect(md).toContain('**1 of 7 gates failed.**');
    const header = lines.indexOf('| gate | value | threshold | verdict |');
    expect(header).toBeGreaterThan(0);
    expect(lines[header + 2]).toMatch(/^\| quote_cycle_p95_ms <= 150 \| 950\.271 \| <= 150 \| \*\*FAIL\*\* — /);
    expect(lines[header + 3]).toMatch(/^\| net_bps > 2 \| 50\.9536 \| > 2 \| pass \|$/);
    expect(md.indexOf('Key metrics')).toBeGreaterThan(header);
    expect(md).toMatch(/\| net_bps \| 50\.95 \| bps \| 3 samples \|/);
  });

  it('a passing run says PASS and shows absent metrics with their reason', () => {
    const run = tinyRun({ fills: [], quoteCycleMs: [] });
    const r = buildScenarioReport({ run, title: 'quiet | run', startedAt: '2025-01-01T00:00:00.000Z', metrics: computeMetrics(run), gates: evaluateGates(computeMetrics(run), [], run.safety) });
    const md = summaryMarkdown(r);
    expect(md.split('\n')[0]).toBe('## ✅ PASS · SC-000-tiny · seed 42');
    expect(md).toContain('All 4 gates held.');
    expect(md).toContain('quiet \\| run');
    expect(md).toMatch(/\| net_bps \| absent \| bps \| no fills in the window \|/);
  });

  it('the suite summary counts failures and lists their failed gates', () => {
    const a = tinyReport();
    const b: ScenarioReport = { ...a, scenarioId: 'SC-001-ok', gates: a.gates.filter((g) => g.pass), pass: true };
    const md = suiteSummaryMarkdown([b, a], { title: 'pr', wallMs: 125_000 });
    expect(md.split('\n')[0]).toBe('# ❌ FAIL — pr: 1 of 2 scenarios failed');
    expect(md).toContain('Wall time 2 min 5 s.');
    expect(md.indexOf('| SC-000-tiny |')).toBeLessThan(md.indexOf('| SC-001-ok |'));
    expect(md).toContain('### SC-000-tiny · seed 42');
    expect(md).toContain('- **quote_cycle_p95_ms <= 150**: quote_cycle_p95_ms = 950.271, not <= 150 (100 samples)');
    expect(suiteSummaryMarkdown([b]).split('\n')[0]).toBe('# ✅ PASS — mm-bench suite: all 1 scenarios passed');
    expect(suiteSummaryMarkdown([]).split('\n')[0]).toMatch(/FAIL.*no scenario ran/);
  });
});

/** A 10-minute run with dense series: 20 Hz mids, 5 Hz quotes, 3000 fills, 30k quote cycles (deterministic). */
function bigRun(): { run: RunRecord; series: { time: number; ms: number }[] } {
  let s = 7;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const start = 1_700_000_000_000;
  const end = start + 600_000;
  const mids: { time: number; mid: number }[] = [];
  let m = 60_000;
  for (let t = start; t <= end; t += 50) mids.push({ time: t, mid: (m += (rnd() - 0.5) * 6) });
  const quotes = mids.filter((_, i) => i % 4 === 0).map((p) => ({ time: p.time, bid: p.mid - 3, ask: p.mid + 3 }));
  const fills: FillRow[] = [];
  for (let i = 0; i < 3000; i++) {
    const t = Math.floor(start + rnd() * 600_000);
    const mp = mids[Math.floor((t - start) / 50)]!.mid;
    const side = rnd() < 0.5 ? 1 : -1;
    fills.push({ seq: i, execId: `e${i}`, time: t, orderId: `o${i}`, orderLinkId: `l${i}`, side, price: mp - side * 3, qty: 0.001, fee: 0, isMaker: true, midBefore: mp, touchBefore: null, takerSignedAt: null });
  }
  fills.sort((a, b) => a.time - b.time);
  const series = Array.from({ length: 30_000 }, (_, i) => ({ time: start + i * 20, ms: 60 + rnd() * 40 }));
  const run: RunRecord = {
    ...tinyRun(),
    scenarioId: 'SC-099-big',
    start,
    end,
    fills,
    orders: [],
    mids,
    quotes,
    quoteCycleMs: series.map((q) => q.ms),
    faults: [{ kind: 'network', name: 'latency', start: start + 300_000, end: start + 310_000 }],
  };
  return { run, series };
}

describe('report.html', () => {
  it('is self-contained: no http(s) reference, no external script, style or image', () => {
    const html = reportHtml(tinyReport(), tinyRun());
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/<(script|link|img|iframe)\b/i);
    expect(html).not.toMatch(/\bsrc=/i);
    expect(html.startsWith('<!doctype html>')).toBe(true);
  });

  it('has an <svg> per chart (price, inventory, PnL, latency), fault bands on each time chart, and the verdict', () => {
    const html = reportHtml(tinyReport(), tinyRun(), { quoteCycleSeries: tinyRun().quoteCycleMs.map((ms, i) => ({ time: i * 200, ms })) });
    const svgs = html.match(/<svg\b[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs).toHaveLength(4);
    for (const s of svgs) expect(s).toContain('class="fault"');
    expect(svgs.map((s) => /aria-label="([^"]*)"/.exec(s)?.[1])).toEqual(['Price, quotes and fills', 'Inventory', 'PnL decomposition', 'Quote-cycle latency']);
    expect(html).toContain('<span class="badge fail">FAIL</span>SC-000-tiny · seed 42');
    // fills as markers with tooltips
    expect(svgs[0]).toContain('<title>buy 2 @ 99.9 maker t=1 s</title>');
    expect(svgs[0]).toContain('<title>sell 1 @ 101.2 taker t=5 s</title>');
  });

  it('without timestamped quote cycles the latency chart is over the sample index, without fault bands', () => {
    const html = reportHtml(tinyReport(), tinyRun());
    const svgs = html.match(/<svg\b[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs[3]).not.toContain('class="fault"');
    expect(svgs[3]).toContain('no sample timestamps');
  });

  it('escapes the title and gate text', () => {
    const r = { ...tinyReport(), title: '<script>alert(1)</script>' };
    const html = reportHtml(r, tinyRun());
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('stays light for a 10-minute run', () => {
    const { run, series } = bigRun();
    const html = reportHtml(tinyReport(run), run, { quoteCycleSeries: series });
    expect(html.length).toBeLessThan(300_000);
    expect(html).toContain('fill markers (evenly thinned)');
    expect(html.match(/<svg\b/g)).toHaveLength(4);
  });

  it('an empty run still renders four charts saying there is no data', () => {
    const run = tinyRun({ fills: [], mids: [], quotes: [], quoteCycleMs: [], faults: [] });
    const html = reportHtml(tinyReport(run), run);
    expect(html.match(/<svg\b/g)).toHaveLength(4);
    expect(html).toContain('no quote-cycle samples');
    expect(html).not.toMatch(/NaN|Infinity/);
  });
});

describe('chart series', () => {
  it('PnL over time ends at the hand-computed decomposition; inventory steps with the fills', () => {
    const p = pnlOverTime(tinyRun(), 5000, 21);
    const last = p.at(-1)!;
    expect(last.time).toBe(20_000);
    expect(last.spread).toBeCloseTo(0.35, 9);
    expect(last.adverse).toBeCloseTo(-6, 9);
    expect(last.inventory).toBeCloseTo(-4.5, 9);
    expect(last.fees).toBeCloseTo(0.06, 9);
    expect(last.pnl).toBeCloseTo(1.79, 9);
    // at t = 5000: A (buy 2 @ 99.9, m 100) is 4 s old, marked at M = mid(5000) = 101; B just filled at m 101
    const at5 = p.find((q) => q.time === 5000)!;
    expect(at5.adverse).toBeCloseTo(-2, 9); // A: (100 − 101)·2; B: −(101 − 101)
    expect(at5.inventory).toBeCloseTo(0, 9);
    expect(at5.pnl).toBeCloseTo(2 * (101 - 99.9) - (101 - 101.2) - 0.07, 9);
    expect(inventoryOverTime(tinyRun()).map((x) => x.position)).toEqual([0, 2, 1, 1.5, 1.5]);
  });

  it('latency windows: by time with timestamps, by index without', () => {
    const run = tinyRun();
    const byIdx = latencyOverTime(run);
    expect(byIdx.byTime).toBe(false);
    expect(byIdx.windows.length).toBeGreaterThan(3);
    for (const w of byIdx.windows) expect(w.p50 <= w.p95 && w.p95 <= w.p99).toBe(true);
    const series = Array.from({ length: 200 }, (_, i) => ({ time: i * 100, ms: i < 100 ? 10 : 500 }));
    const byTime = latencyOverTime(run, series);
    expect(byTime.byTime).toBe(true);
    expect(byTime.windows[0]!.p95).toBeCloseTo(10, 1);
    expect(byTime.windows.at(-1)!.p95).toBeCloseTo(500, 0);
  });

  it('downsampling keeps each bucket’s extremes and gaps; thinning keeps the ends', () => {
    const pts: Pt[] = Array.from({ length: 10_000 }, (_, i) => [i, i === 5000 ? 1e6 : i === 7000 ? null : Math.sin(i)]);
    const d = downsample(pts, 100, 0, 9999);
    expect(d.length).toBeLessThanOrEqual(400);
    expect(d.some(([, v]) => v === 1e6)).toBe(true);
    expect(d.some(([, v]) => v === null)).toBe(true);
    expect(d.map(([t]) => t)).toEqual([...d.map(([t]) => t)].sort((a, b) => a - b));
    const t = thin(Array.from({ length: 1000 }, (_, i) => i), 10);
    expect(t).toHaveLength(10);
    expect([t[0], t.at(-1)]).toEqual([0, 999]);
  });
});

describe('files', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('writeReports writes the four artifacts; report.json round-trips through parseReportJson', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mmb-report-'));
    dirs.push(dir);
    const r = tinyReport();
    const paths = await writeReports(join(dir, 'SC-000-tiny'), r, tinyRun());
    expect((await readdir(join(dir, 'SC-000-tiny'))).sort()).toEqual(['junit.xml', 'report.html', 'report.json', 'summary.md']);
    const back = parseReportJson(await readFile(paths.json, 'utf8'));
    expect(back).toEqual(JSON.parse(reportJson(r)));
    expect(back.pass).toBe(false);
    expect(r.artifacts).toMatchObject({ json: 'report.json', summary: 'summary.md', junit: 'junit.xml', html: 'report.html' });
    expect(await readFile(paths.summary, 'utf8')).toContain('❌ FAIL · SC-000-tiny · seed 42');
    parseXml(await readFile(paths.junit, 'utf8'));
  });

  it('writeSuiteSummary writes summary.md and junit.xml across scenarios', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mmb-suite-'));
    dirs.push(dir);
    const a = tinyReport();
    const out = await writeSuiteSummary(dir, [a, { ...a, scenarioId: 'SC-001' }], { title: 'pr' });
    expect(await readFile(out.summary, 'utf8')).toMatch(/^# ❌ FAIL — pr: 2 of 2 scenarios failed/);
    expect(all(parseXml(await readFile(out.junit, 'utf8')), 'testsuite')).toHaveLength(2);
  });

  it('parseReportJson names what is wrong', () => {
    const good = JSON.parse(reportJson(tinyReport()));
    expect(() => parseReportJson('{', 'x.json')).toThrow(/^x\.json: not JSON/);
    expect(() => parseReportJson(JSON.stringify({ ...good, seed: '1' }), 'x.json')).toThrow('x.json: seed: expected a number');
    const { net_bps: _drop, ...rest } = good.metrics;
    expect(() => parseReportJson(JSON.stringify({ ...good, metrics: rest }), 'x.json')).toThrow('x.json: metrics.net_bps: expected');
    expect(() => parseReportJson(JSON.stringify({ ...good, gates: [{ name: 'a' }] }), 'x.json')).toThrow('x.json: gates[0]: expected {name, pass, detail}');
  });

  it('parseReportJson reads a report written before the position metrics existed, with them absent', () => {
    const good = JSON.parse(reportJson(tinyReport()));
    const { mean_abs_position: _m, final_abs_position: _f, ...older } = good.metrics;
    const back = parseReportJson(JSON.stringify({ ...good, metrics: older }), 'old.json');
    const absent = { absent: true, reason: 'not in this report (written before the metric existed)' };
    expect(back.metrics.mean_abs_position).toEqual(absent);
    expect(back.metrics.final_abs_position).toEqual(absent);
  });
});
