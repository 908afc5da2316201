/**
 * Report writers: JUnit is well-formed XML (a small structural checker below; no XML parser is installed) with one
 * testcase per gate and the bot under test as properties; summary.md leads with the verdict, the bot and failed gates,
 * and tells venue metrics from bot metrics; report.html is self-contained with an <svg> per chart (incl. the
 * venue-side quote reaction and rejects by code) and fault bands; writeReports / writeSuiteSummary write their files;
 * report.json round-trips and reads older reports.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateGates, recoveryGates } from '../../scenarios/gates.ts';
import { computeMetrics, computeMetricsWithDetails } from '../../scenarios/metrics.ts';
import {
  buildScenarioReport,
  inventoryOverTime,
  junitXml,
  latencyOverTime,
  parseReportJson,
  pnlOverTime,
  reactionOverTime,
  rejectsOverTime,
  reportHtml,
  reportJson,
  suiteSummaryMarkdown,
  summaryMarkdown,
  writeReports,
  writeSuiteSummary,
} from '../../scenarios/report/index.ts';
import { downsample, svgChart, thin, type Pt } from '../../scenarios/report/svg.ts';
import type { BookMove, FillRow, OrderAction, RunRecord, ScenarioReport, VenueView } from '../../scenarios/types.ts';
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

const BOT = { command: 'node --import tsx bot/main.ts --config "a b.yaml" <x> & y', source: 'reference bot (SC-000.yaml)', cwd: '/work/main' };

const move = (time: number, via: 'ws' | 'venue' = 'ws'): BookMove => ({ time, mono: time, symbol: 'BTCUSDT', fromMid: 100, toMid: 100.05, via });
const action = (time: number, n = 1, op: OrderAction['op'] = 'amend'): OrderAction => ({ time, mono: time, symbol: 'BTCUSDT', op, channel: 'rest', n });

/**
 * tinyRun (window [0, 20000], fault 7000–9000) with a venue view (mono = time), threshold 2 bps, horizon 2000 ms:
 *   moves 1000 (ws, reacted by the action at 1050: 50 ms), 3000 (ws, 3200: 200 ms), 8000 (ws, next action 12030 is
 *   past the horizon: unreacted), 12000 (venue, 12030: 30 ms), 19000 (no action; 19000 + 2000 > endMono: censored);
 *   requests: 7500 refused 10006, 7600 a batch with two 10006 items, 8200 an HTTP 5xx, 15000 refused 110007, and
 *   four that succeeded; a PostOnly cancel at 16000. Rejects: 10006 × 3, 110007, http, postonly = 6 in 20 s.
 */
function viewRun(over: Partial<VenueView> = {}, run: Partial<RunRecord> = {}): RunRecord {
  const view: VenueView = {
    endMono: 20_000,
    thresholdBps: 2,
    horizonMs: 2000,
    moves: [move(1000), move(3000), move(8000), move(12_000, 'venue'), move(19_000)],
    actions: [action(0, 6, 'create'), action(1050), action(3200, 2), action(12_030)],
    requests: [
      { time: 0, what: 'POST /v5/order/create-batch', rejects: [] },
      { time: 1050, what: 'POST /v5/order/amend', rejects: [] },
      { time: 3200, what: 'POST /v5/order/amend-batch', rejects: [] },
      { time: 7500, what: 'POST /v5/order/amend', rejects: ['10006'] },
      { time: 7600, what: 'POST /v5/order/amend-batch', rejects: ['10006', '10006'] },
      { time: 8200, what: 'POST /v5/order/amend', rejects: ['http'] },
      { time: 12_030, what: 'POST /v5/order/amend', rejects: [] },
      { time: 15_000, what: 'POST /v5/order/create', rejects: ['110007'] },
    ],
    postOnlyCancels: [16_000],
    twoSided: [
      { time: 0, on: true },
      { time: 7000, on: false },
      { time: 9500, on: true },
    ],
    ...over,
  };
  return tinyRun({ view, ...run });
}

const svgsOf = (html: string): string[] => html.match(/<svg\b[\s\S]*?<\/svg>/g) ?? [];
const chartNamed = (html: string, label: string): string => {
  const svg = svgsOf(html).find((x) => x.includes(`aria-label="${label}"`));
  if (!svg) throw new Error(`no chart ${label}`);
  return svg;
};
/** The <p class="note"> right after a chart. */
const noteAfter = (html: string, label: string): string => {
  const at = html.indexOf(`aria-label="${label}"`);
  const m = /<\/svg>\n<p class="note">([^<]*)<\/p>/.exec(html.slice(at));
  return m?.[1] ?? '';
};

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
    expect(md).toMatch(/\| net_bps \| venue \| 50\.95 \| bps \| 3 samples \|/);
  });

  it('a passing run says PASS and shows absent metrics with their reason', () => {
    const run = tinyRun({ fills: [], quoteCycleMs: [] });
    const r = buildScenarioReport({ run, title: 'quiet | run', startedAt: '2025-01-01T00:00:00.000Z', metrics: computeMetrics(run), gates: evaluateGates(computeMetrics(run), [], run.safety) });
    const md = summaryMarkdown(r);
    expect(md.split('\n')[0]).toBe('## ✅ PASS · SC-000-tiny · seed 42');
    expect(md).toContain('All 4 gates held.');
    expect(md).toContain('quiet \\| run');
    expect(md).toMatch(/\| net_bps \| venue \| absent \| bps \| no fills in the window \|/);
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
  // the venue's view: 3000 moves (every 200 ms), each reacted to within 10–110 ms except every 30th; 20 requests a
  // second, every 50th refused 10006 and every 400th a batch with two 110007 items
  const moves: BookMove[] = Array.from({ length: 3000 }, (_, i) => ({ ...move(start + 100 + i * 200), mono: 100 + i * 200 }));
  const actions: OrderAction[] = moves.filter((_, i) => i % 30 !== 29).map((m) => ({ ...action(m.time + 10 + Math.floor(rnd() * 100)), mono: m.mono + 10 + Math.floor(rnd() * 100) }));
  const requests = Array.from({ length: 12_000 }, (_, i) => ({ time: start + i * 50, what: 'POST /v5/order/amend', rejects: i % 400 === 7 ? ['110007', '110007'] : i % 50 === 3 ? ['10006'] : [] }));
  const view: VenueView = { endMono: 600_000, thresholdBps: 2, horizonMs: 2000, moves, actions, requests, postOnlyCancels: [start + 1000], twoSided: [{ time: start, on: true }] };
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
    view,
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

  it('has an <svg> per chart (price, inventory, PnL, reaction, rejects, quote cycle), fault bands on each time chart, and the verdict', () => {
    const html = reportHtml(tinyReport(), tinyRun(), { quoteCycleSeries: tinyRun().quoteCycleMs.map((ms, i) => ({ time: i * 200, ms })) });
    const svgs = svgsOf(html);
    expect(svgs).toHaveLength(6);
    for (const s of svgs) expect(s).toContain('class="fault"');
    expect(svgs.map((s) => /aria-label="([^"]*)"/.exec(s)?.[1])).toEqual([
      'Price, quotes and fills',
      'Inventory',
      'PnL decomposition',
      'Quote reaction (venue side)',
      'Rejects by code',
      'Quote cycle (bot side, self-reported)',
    ]);
    expect(html).toContain('<span class="badge fail">FAIL</span>SC-000-tiny · seed 42');
    // fills as markers with tooltips
    expect(svgs[0]).toContain('<title>buy 2 @ 99.9 maker t=1 s</title>');
    expect(svgs[0]).toContain('<title>sell 1 @ 101.2 taker t=5 s</title>');
  });

  it('without timestamped quote cycles the latency chart is over the sample index, without fault bands', () => {
    const html = reportHtml(tinyReport(), tinyRun());
    const qc = chartNamed(html, 'Quote cycle (bot side, self-reported)');
    expect(qc).not.toContain('class="fault"');
    expect(qc).toContain('no sample timestamps');
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
    expect(html).toMatch(/Quote reaction chart: showing \d+ of 2999 moves \(evenly thinned per kind\)/);
    expect(html.match(/<svg\b/g)).toHaveLength(6);
    // the rejects chart of a 10-minute run: 5 s buckets (120 of them), not 600 per-second points per key
    expect(html).toContain('rejects per 5 s');
    // a rolling p95 line over the 2900-odd reacted moves
    expect(chartNamed(html, 'Quote reaction (venue side)')).toContain('rolling p95');
  });

  it('an empty run still renders six charts saying there is no data', () => {
    const run = tinyRun({ fills: [], mids: [], quotes: [], quoteCycleMs: [], faults: [] });
    const html = reportHtml(tinyReport(run), run);
    expect(html.match(/<svg\b/g)).toHaveLength(6);
    expect(html).toContain('no quote-cycle samples');
    expect(html).not.toMatch(/NaN|Infinity/);
    // an empty venue view: no move, no reject
    const quiet = viewRun({ moves: [], actions: [], requests: [], postOnlyCancels: [], twoSided: [] }, { fills: [], mids: [], quotes: [], quoteCycleMs: [], faults: [] });
    const h2 = reportHtml(tinyReport(quiet), quiet);
    expect(chartNamed(h2, 'Quote reaction (venue side)')).toContain('no mid move of 2 bps or more in the window');
    expect(chartNamed(h2, 'Rejects by code')).toContain('no rejects');
    expect(h2).not.toMatch(/NaN|Infinity/);
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

// ------------------------------------------------------------------------------------------------------------------
// The bot under test, venue / bot sources, the venue-side metrics and their charts

/** tinyReport of viewRun() naming the bot. */
function botReport(run: RunRecord = viewRun()): ScenarioReport {
  const r = tinyReport(run);
  const withBot = buildScenarioReport({ run, title: r.title, startedAt: r.startedAt, metrics: r.metrics, gates: r.gates, bot: BOT });
  expect(Object.keys(withBot)).toEqual(['scenarioId', 'title', 'seed', 'startedAt', 'durationMs', 'bot', 'metrics', 'gates', 'pass', 'artifacts']);
  return withBot;
}

describe('the bot under test and the venue-side metrics in summary.md', () => {
  it('names the bot under the title, as a code span (backticks inside kept verbatim)', () => {
    const lines = summaryMarkdown(botReport()).split('\n');
    expect(lines[0]).toBe('## ❌ FAIL · SC-000-tiny · seed 42');
    expect(lines[2]).toBe('Bot: `node --import tsx bot/main.ts --config "a b.yaml" <x> & y` (reference bot (SC-000.yaml))');
    const tricky = summaryMarkdown({ ...botReport(), bot: { command: 'sh -c `echo ``hi`` `', source: 'a | b', cwd: '/' } });
    expect(tricky).toContain('Bot: ``` sh -c `echo ``hi`` ` ``` (a \\| b)');
    expect(summaryMarkdown(tinyReport())).not.toContain('Bot:');
  });

  it('the key-metrics table has a source column, units, and every reject key (those with rejects first)', () => {
    const md = summaryMarkdown(botReport());
    expect(md).toContain('| metric | source | value | unit | samples / why absent |');
    expect(md).toMatch(/\| quote_cycle_p95_ms \| bot \| 950\.3 \| ms \| 100 samples \|/);
    expect(md).toMatch(/\| quote_reaction_p95_ms \| venue \| 200(?:\.\d+)? \| ms \| 3 samples \|/);
    expect(md).toContain('| unreacted_moves_pct | venue | 25 | % | 4 samples |');
    expect(md).toContain('| order_to_trade | venue | 3.333 | actions/fill | 3 samples |'); // (6 + 1 + 2 + 1) / 3 fills
    expect(md).toContain('| requests_per_s | venue | 0.4 | /s | 8 samples |');
    expect(md).toContain('| rejects_per_min | venue | 18 | /min | 8 samples |'); // 6 rejects in 20 s
    const rows = md.split('\n').filter((l) => l.startsWith('| rejects_per_min['));
    expect(rows.slice(0, 4)).toEqual([
      '| rejects_per_min[10006] | venue | 9 | /min | 8 samples |',
      '| rejects_per_min[110007] | venue | 3 | /min | 8 samples |',
      '| rejects_per_min[http] | venue | 3 | /min | 8 samples |',
      '| rejects_per_min[postonly] | venue | 3 | /min | 8 samples |',
    ]);
    // then the catalogue's usual keys with no reject, numerically
    expect(rows.slice(4).map((l) => l.split(' | ')[0])).toEqual(['| rejects_per_min[10001]', '| rejects_per_min[10002]', '| rejects_per_min[10003]', '| rejects_per_min[10016]', '| rejects_per_min[110001]']);
    // named metrics before the reject keys, venue-side ones first
    expect(md.indexOf('| quote_reaction_p95_ms |')).toBeLessThan(md.indexOf('| net_bps |'));
    expect(md.indexOf('| final_abs_position |')).toBeLessThan(md.indexOf('| rejects_per_min[10006] |'));
  });

  it('a run without a venue view lists the venue-side metrics as absent, with the reason', () => {
    const md = summaryMarkdown(tinyReport());
    expect(md).toContain('| quote_reaction_p95_ms | venue | absent | ms | not recorded (a run from before the venue-side metrics) |');
    expect(md).toContain('| rejects_per_min[10006] | venue | absent | /min | not recorded (a run from before the venue-side metrics) |');
  });

  it('the suite summary shows quote_reaction_p95_ms (venue) and the bot once, or each bot with its scenarios', () => {
    const a = botReport();
    const b: ScenarioReport = { ...a, scenarioId: 'SC-001-ok', gates: a.gates.filter((g) => g.pass), pass: true };
    const md = suiteSummaryMarkdown([a, b], { title: 'pr' });
    expect(md).toContain('| scenario | seed | verdict | gates | failed gates | net_bps (venue) | quote_reaction_p95_ms (venue) | duration |');
    expect(md).not.toContain('quote_cycle_p95_ms |');
    expect(md).toMatch(/\| SC-001-ok \| 42 \| PASS \| 6\/6 \| — \| 50\.95 \| 200(?:\.\d+)? \| 20\.0 s \|/);
    expect(md.split('\n').filter((l) => l.startsWith('Bot: '))).toEqual(['Bot: `node --import tsx bot/main.ts --config "a b.yaml" <x> & y` (reference bot (SC-000.yaml))']);
    const c: ScenarioReport = { ...b, scenarioId: 'SC-002-other', bot: { ...BOT, command: 'python3 mybot.py', source: '--bot-cmd' } };
    const d: ScenarioReport = { ...b, scenarioId: 'SC-003-old', bot: undefined };
    const md2 = suiteSummaryMarkdown([a, b, c, d]);
    expect(md2).not.toContain('\nBot: ');
    expect(md2).toContain('Bots under test:');
    expect(md2).toContain('- `node --import tsx bot/main.ts --config "a b.yaml" <x> & y` (reference bot (SC-000.yaml)) — SC-000-tiny, SC-001-ok');
    expect(md2).toContain('- `python3 mybot.py` (--bot-cmd) — SC-002-other');
    expect(md2).toContain('- not recorded — SC-003-old');
    expect(suiteSummaryMarkdown([tinyReport()])).not.toMatch(/Bots? under test|^Bot:/m);
  });
});

describe('the bot under test in junit.xml', () => {
  it('adds bot.command and bot.source properties (escaped); testcases unchanged', () => {
    const r = botReport();
    const doc = parseXml(junitXml([r, tinyReport()]));
    const [withBot, without] = all(doc, 'testsuite');
    const props = (s: El) => Object.fromEntries(all(s, 'property').map((p) => [p.attrs.name, p.attrs.value]));
    expect(props(withBot!)).toEqual({ seed: '42', title: 'Tiny hand-built run', verdict: 'FAIL', 'bot.command': BOT.command, 'bot.source': BOT.source });
    expect(props(without!)).toEqual({ seed: '42', title: 'Tiny hand-built run', verdict: 'FAIL' });
    expect(all(withBot!, 'testcase')).toHaveLength(r.gates.length);
    expect(all(withBot!, 'testcase').map((c) => c.attrs.name)).toEqual(r.gates.map((g) => g.name));
  });
});

describe('report.json written before the venue-side metrics, and with reject keys', () => {
  const NEW = ['quote_reaction_p50_ms', 'quote_reaction_p95_ms', 'unreacted_moves_pct', 'quote_uptime_pct', 'order_to_trade', 'requests_per_s', 'rejects_per_min'] as const;
  const absent = { absent: true, reason: 'not in this report (written before the metric existed)' };

  it('reads an older report without the six venue-side metrics (nor reject keys, nor bot) with them absent', () => {
    const good = JSON.parse(reportJson(tinyReport()));
    const older = Object.fromEntries(Object.entries(good.metrics as Record<string, unknown>).filter(([k]) => !(NEW as readonly string[]).includes(k) && !k.startsWith('rejects_per_min[')));
    expect(Object.keys(older)).toHaveLength(12);
    const back = parseReportJson(JSON.stringify({ ...good, metrics: older }), 'old.json');
    for (const n of NEW) expect(back.metrics[n]).toEqual(absent);
    expect(back.metrics['rejects_per_min[10006]']).toBeUndefined();
    expect(back.bot).toBeUndefined();
    // and the writers still render it (the reject keys are simply not listed)
    expect(summaryMarkdown(back)).toContain('| quote_reaction_p95_ms | venue | absent | ms | not in this report (written before the metric existed) |');
    expect(summaryMarkdown(back)).not.toContain('rejects_per_min[');
  });

  it('keeps rejects_per_min[<key>] entries and the bot; checks their shapes', () => {
    const r = botReport();
    const text = reportJson(r);
    const back = parseReportJson(text);
    expect(back.metrics['rejects_per_min[10006]']).toEqual({ value: 9, samples: 8 });
    expect(back.metrics['rejects_per_min[postonly]']).toEqual({ value: 3, samples: 8 });
    expect(back.bot).toEqual(BOT);
    expect(back).toEqual(JSON.parse(text));
    const good = JSON.parse(text);
    const extra = parseReportJson(JSON.stringify({ ...good, metrics: { ...good.metrics, 'rejects_per_min[170130]': { value: 1.5, samples: 8 } } }));
    expect(extra.metrics['rejects_per_min[170130]']).toEqual({ value: 1.5, samples: 8 });
    expect(() => parseReportJson(JSON.stringify({ ...good, metrics: { ...good.metrics, 'rejects_per_min[10006]': { value: '9' } } }), 'x.json')).toThrow(
      'x.json: metrics.rejects_per_min[10006]: expected {value, samples} or {absent: true, reason}',
    );
    expect(() => parseReportJson(JSON.stringify({ ...good, bot: 'node bot.js' }), 'x.json')).toThrow('x.json: bot: expected {command, source, cwd}');
    expect(() => parseReportJson(JSON.stringify({ ...good, bot: { ...BOT, cwd: 1 } }), 'x.json')).toThrow('x.json: bot.cwd: expected a string');
    expect(() => parseReportJson(JSON.stringify({ ...good, bot: null }), 'x.json')).toThrow('x.json: bot: expected {command, source, cwd}');
  });
});

describe('report.html: the bot, the sources and the venue-side charts', () => {
  it('shows the bot (escaped) under the title and a source column with the reject keys', () => {
    const html = reportHtml(botReport(), viewRun());
    const h1 = html.indexOf('<h1>');
    const bot = html.indexOf('<p class="bot">Bot: <code>node --import tsx bot/main.ts --config &quot;a b.yaml&quot; &lt;x&gt; &amp; y</code> (reference bot (SC-000.yaml))');
    expect(bot).toBeGreaterThan(h1);
    expect(bot).toBeLessThan(html.indexOf('<h2>Gates</h2>'));
    expect(html).toContain('in <code>/work/main</code>');
    expect(reportHtml(tinyReport(), tinyRun())).not.toContain('<p class="bot">');
    expect(html).toContain('<th>metric</th><th>source</th><th>value</th><th>unit</th><th>samples / why absent</th>');
    expect(html).toContain('<tr><td>quote_cycle_p95_ms</td><td class="src-bot">bot</td><td class="num">950.3</td><td>ms</td><td>100 samples</td></tr>');
    expect(html).toContain('<tr><td>net_bps</td><td class="src-venue">venue</td>');
    expect(html).toContain('<tr><td>rejects_per_min[10006]</td><td class="src-venue">venue</td><td class="num">9</td><td>/min</td><td>8 samples</td></tr>');
    expect(html).toContain('<tr><td>rejects_per_min[10001]</td>');
    expect(html.indexOf('<td>rejects_per_min[postonly]</td>')).toBeLessThan(html.indexOf('<td>rejects_per_min[10001]</td>'));
  });

  it('the quote-reaction chart: a dot per reacted move, a cross per unreacted one at the horizon, fault bands, the stats', () => {
    const html = reportHtml(botReport(), viewRun());
    const svg = chartNamed(html, 'Quote reaction (venue side)');
    expect(svg).toContain('class="fault"');
    const tips = [...svg.matchAll(/<title>(t=[^<]*)<\/title>/g)].map((m) => m[1]);
    expect(tips).toEqual([
      't=1 s: reacted in 50 ms',
      't=3 s: reacted in 200 ms',
      't=12 s: reacted in 30 ms, move seen at the venue (no book stream)',
      't=8 s: unreacted (no order action within 2000 ms)',
    ]);
    // dots (arcs) for reacted moves, a stroked cross for the unreacted one, and the horizon line it sits on
    expect(svg.match(/a3 3 0 1 0 6 0/g)).toHaveLength(3 + 2); // 3 markers + 2 legend swatches (ws, venue)
    expect(svg).toMatch(/l7 7m0 -7l-7 7" fill="none" stroke="#cf222e"/);
    expect(svg).toContain('unreacted (at the horizon)');
    expect(svg).toContain('<title>horizon 2000 ms</title>');
    expect(svg).not.toContain('rolling p95'); // 3 reacted moves are too few
    const note = noteAfter(html, 'Quote reaction (venue side)');
    expect(note).toContain('n = 4 judged moves: 3 reacted, 1 unreacted (no action within 2000 ms) = 25 %; 1 censored');
    expect(note).toContain('1 seen at the venue while the bot had no book stream');
    // HDR values (3 significant digits: a percentile is its bucket's upper end, so p95 may print above the max)
    expect(note).toContain('Latency p50 / p95 / p99 / max: 50.02 / 200 / 200 / 200 ms (HDR, reacted moves only).');
    expect(note).toContain('No rolling p95: fewer than 20 reacted moves.');
    // the y value of the unreacted cross is the horizon's: the same y as the horizon line
    const crossY = /M[\d.]+ ([\d.]+)l7 7m0 -7l-7 7/.exec(svg.slice(svg.indexOf('<g clip-path')))![1]!;
    const lineY = /y1="([\d.]+)" y2="[\d.]+" stroke="#999" stroke-dasharray="6 4"><title>horizon/.exec(svg)![1]!;
    expect(Number(crossY) + 3.5).toBeCloseTo(Number(lineY), 1);
  });

  it('the rejects chart: one step series per key that occurred, per-second buckets, fault bands', () => {
    const html = reportHtml(botReport(), viewRun());
    const svg = chartNamed(html, 'Rejects by code');
    expect(svg).toContain('class="fault"');
    expect(svg).toContain('rejects per second');
    const legend = [...svg.matchAll(/<text x="[\d.]+" y="14" font-size="11">([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(legend).toEqual(['10006: Too many visits! (3)', '110007: ab not enough for new order (1)', 'http: no envelope (HTTP error) (1)', 'postonly: PostOnly cancelled (1)', 'fault window']);
    expect(svg.match(/<path d="M[^"]*H[^"]*" fill="none"/g)).toHaveLength(4);
    expect(noteAfter(html, 'Rejects by code')).toContain('Total 6: 10006 3, 110007 1, http 1, postonly 1.');
    // no rejects at all: the chart says so
    const clean = viewRun({ requests: [{ time: 100, what: 'GET /v5/order/realtime', rejects: [] }], postOnlyCancels: [] });
    expect(chartNamed(reportHtml(tinyReport(clean), clean), 'Rejects by code')).toContain('>no rejects</text>');
  });

  it('a run from before the venue view renders: both venue charts say not recorded', () => {
    const html = reportHtml(tinyReport(), tinyRun());
    for (const label of ['Quote reaction (venue side)', 'Rejects by code']) {
      const svg = chartNamed(html, label);
      expect(svg).toContain('>not recorded (a run from before the venue-side metrics)</text>');
      expect(svg).toContain('class="fault"');
      expect(svg).not.toMatch(/<path d="M/);
    }
    expect(html).not.toMatch(/NaN|Infinity|undefined/);
  });

  it('the quote-cycle chart is labelled bot side and says why it has no samples', () => {
    const why = 'the bot exports no latency (its bot section has no metrics)';
    const run = viewRun({}, { quoteCycleMs: [], quoteCycleAbsent: why });
    const html = reportHtml(tinyReport(run), run);
    const svg = chartNamed(html, 'Quote cycle (bot side, self-reported)');
    expect(html).toContain('<h2>Quote cycle (bot side, self-reported)</h2>');
    expect(svg).toContain(`>no quote-cycle samples: ${why}</text>`);
    // an empty frame over time, with the fault windows, like the other charts
    expect(svg).toContain('seconds since the window start');
    expect(svg).toContain('class="fault"');
    expect(noteAfter(html, 'Quote cycle (bot side, self-reported)')).toContain(`No samples: ${why}.`);
    expect(html).toContain('<tr><td>quote_cycle_p95_ms</td><td class="src-bot">bot</td><td class="num">absent</td><td>ms</td><td>the bot exports no latency (its bot section has no metrics)</td></tr>');
  });
});

describe('venue-side chart series', () => {
  it('reactionOverTime: from the details or recomputed from the view, the same; null without a view', () => {
    const run = viewRun();
    const { details } = computeMetricsWithDetails(run);
    const a = reactionOverTime(run, details)!;
    const b = reactionOverTime(run, null)!;
    expect(a.stats).toEqual(b.stats);
    expect(a.stats).toMatchObject({ moves: 5, reacted: 3, unreacted: 1, censored: 1 });
    expect(a.stats.series.map((p) => [p.time, p.ms])).toEqual([
      [1000, 50],
      [3000, 200],
      [8000, null],
      [12_000, 30],
    ]);
    expect(a.p95).toEqual([]);
    expect(reactionOverTime(tinyRun())).toBeNull();
  });

  it('reactionOverTime: a rolling p95 from HDR windows once there are enough reacted moves', () => {
    // a 200 s window: a move every 100 ms reacted to in 10 ms for 100 s, then one every 600 ms reacted to in 500 ms
    const moves = [...Array.from({ length: 1000 }, (_, i) => move(i * 100 + 50)), ...Array.from({ length: 166 }, (_, i) => move(100_050 + i * 600))];
    const actions = moves.map((m) => action(m.time + (m.time < 100_000 ? 10 : 500)));
    const r = reactionOverTime(viewRun({ moves, actions, endMono: 300_000 }, { end: 200_000 }))!;
    expect(r.stats.reacted).toBe(1166);
    expect(r.windowMs).toBe(5000);
    expect(r.p95.length).toBeGreaterThan(30);
    expect(r.p95[0]!.p95).toBeCloseTo(10, 1);
    expect(r.p95.at(-1)!.p95).toBeCloseTo(500, 0);
    for (const w of r.p95) expect(w.count).toBeGreaterThanOrEqual(5);
  });

  it('rejectsOverTime: counts per key per bucket; 1 s buckets, longer ones for long runs (≤ 120)', () => {
    const r = rejectsOverTime(viewRun())!;
    expect(r.bucketMs).toBe(1000);
    expect(r.starts).toHaveLength(20);
    expect(r.keys.map((k) => [k.key, k.total])).toEqual([
      ['10006', 3],
      ['110007', 1],
      ['http', 1],
      ['postonly', 1],
    ]);
    const k10006 = r.keys[0]!.counts;
    expect(k10006[7]).toBe(3);
    expect(k10006.reduce((a, c) => a + c, 0)).toBe(3);
    expect(r.keys[3]!.counts[16]).toBe(1);
    // outside the window: not counted
    expect(rejectsOverTime(viewRun({ requests: [{ time: 25_000, what: 'x', rejects: ['10006'] }], postOnlyCancels: [-1] }))!.keys).toEqual([]);
    const long = rejectsOverTime(viewRun({}, { end: 3_600_000 }))!;
    expect(long.bucketMs).toBe(30_000);
    expect(long.starts.length).toBeLessThanOrEqual(120);
    expect(long.keys[0]!.counts[0]).toBe(3);
    expect(rejectsOverTime(tinyRun())).toBeNull();
  });

  it('svgChart draws markers without a line (dots, crosses) and covers yInclude', () => {
    const svg = svgChart({
      id: 't',
      title: 't',
      yLabel: 'y',
      x0: 0,
      x1: 10,
      xLabel: 'x',
      xTick: String,
      series: [],
      markers: [
        { label: 'dots', color: '#00f', shape: 'dot', points: [{ x: 1, y: 5, tip: 'a' }] },
        { label: 'crosses', color: '#f00', shape: 'cross', points: [{ x: 2, y: 6, tip: 'b' }] },
      ],
      yInclude: [0],
    });
    expect(svg).toMatch(/<path d="M[\d.]+ [\d.]+a3 3 0 1 0 6 0a3 3 0 1 0 -6 0z" fill="#00f"><title>a<\/title><\/path>/);
    expect(svg).toMatch(/<path d="M[\d.]+ [\d.]+l7 7m0 -7l-7 7" fill="none" stroke="#f00" stroke-width="1.6"><title>b<\/title><\/path>/);
    expect(svg).toMatch(/>0<\/text>/); // the y axis reaches 0
    expect(svg).not.toContain('no data');
  });
});
