import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newCheckpoint, withWindow, type SoakCheckpoint, type WindowResult } from '../../scenarios/soak/checkpoint.ts';
import { renderSoakHtml, renderSoakMarkdown, soakVerdict, writeSoakReport } from '../../scenarios/soak/report.ts';

const MIN = 60_000;
function run(n: number, heap: (i: number) => number, failGateAt = -1, botMeasured = true): SoakCheckpoint {
  let cp = newCheckpoint({ durationMs: n * MIN, windowMs: MIN, seed: 3 }, new Date('2026-01-01T00:00:00Z'));
  for (let i = 0; i < n; i++) {
    const pass = i !== failGateAt;
    const w: WindowResult = {
      index: i,
      startMs: i * MIN,
      endMs: (i + 1) * MIN,
      regime: ['calm', 'trend', 'vol-spike'][i % 3]!,
      metrics: { net_bps: { value: 1 + (i % 2) * 0.1, samples: 50 }, quote_cycle_p95_ms: { value: 20 + (i % 3), samples: 100 } },
      gates: [{ name: 'net_bps > -2', pass, detail: pass ? 'net_bps = 1 > -2' : 'net_bps = -5 ≤ -2' }],
      venue: { rssBytes: 150e6 + ((i * 7) % 5) * 1e6, heapUsedBytes: heap(i), eventLoopLagSeconds: 0.002 + (i % 2) * 0.001 },
      bot: botMeasured
        ? { rssBytes: 90e6 + ((i * 5) % 3) * 1e6, heapUsedBytes: 30e6 + ((i * 11) % 5) * 0.2e6, eventLoopLagSeconds: 0.001 + (i % 2) * 0.0005 }
        : { rssBytes: null, heapUsedBytes: null, eventLoopLagSeconds: null },
      pass,
    };
    cp = withWindow(cp, w);
  }
  return cp;
}
const flatHeap = (i: number) => 60e6 + ((i * 13) % 7) * 0.3e6;

describe('soak sign-off report', () => {
  it('PASS for a clean flat run', () => {
    const cp = run(12, flatHeap);
    const v = soakVerdict(cp, 12);
    expect(v.reasons).toEqual([]);
    expect(v.pass).toBe(true);
    const md = renderSoakMarkdown(cp, v);
    expect(md).toMatch(/^# Soak sign-off: PASS/);
    expect(md).toContain('| venue heap used | no |');
  });

  it('FAIL when a series was never measured, or the run is too short to judge drift', () => {
    const unmeasured = soakVerdict(run(12, flatHeap, -1, false), 12);
    expect(unmeasured.pass).toBe(false);
    expect(unmeasured.reasons).toContain('not measured: bot RSS has no sample in any window');
    const short = soakVerdict(run(3, flatHeap), 3);
    expect(short.pass).toBe(false);
    expect(short.reasons.some((r) => r.startsWith('too short to judge: venue heap used'))).toBe(true);
  });

  it('FAIL with reasons: a failed gate, a planted heap leak, an incomplete run', () => {
    const cp = run(12, (i) => 60e6 + i * 2e6 + ((i * 13) % 7) * 0.1e6, 4);
    const v = soakVerdict(cp, 20);
    expect(v.pass).toBe(false);
    expect(v.reasons.some((r) => r.startsWith('incomplete: 12 of 20'))).toBe(true);
    expect(v.reasons.some((r) => /window 4 .*gate net_bps > -2 failed/.test(r))).toBe(true);
    expect(v.reasons.some((r) => r.startsWith('drift: venue heap used keeps rising'))).toBe(true);
    expect(v.reasons.some((r) => r.includes('venue RSS'))).toBe(false);
    const md = renderSoakMarkdown(cp, v);
    expect(md).toMatch(/^# Soak sign-off: FAIL/);
    expect(md).toContain('| venue heap used | **yes** |');
  });

  it('says which sessions (venue + bot processes) ran the windows, and shows faults, load and the venue ledger', () => {
    let cp = run(8, flatHeap);
    const one = renderSoakMarkdown(cp, soakVerdict(cp, 8));
    expect(one).not.toContain('session');
    for (const w of cp.windows) cp = withWindow(cp, { ...w, session: w.index < 5 ? 0 : 5, faults: w.index === 2 ? ['ws-close-private#w2'] : [], load: { sent: 300, ok: 299, failed: 0 }, fills: 7, venueLedgerRows: 1000 * (w.index + 1) });
    const md = renderSoakMarkdown(cp, soakVerdict(cp, 8));
    expect(md).toContain('2 sessions (a fresh venue and bot each, after a resume), started at windows 0, 5');
    expect(md).toMatch(/\| 2 \| 2 min 0 s–3 min 0 s \| vol-spike \| ws-close-private#w2 \| 1 pass \| 7 \|.* \| 299\/300 \| 3000 \|/);
    const single = cp.windows.map((w) => ({ ...w, session: 0 }));
    expect(renderSoakMarkdown({ ...cp, windows: single }, soakVerdict({ ...cp, windows: single }, 8))).toContain('One venue and one bot process ran every window (one session, started at window 0).');
  });

  it('HTML is self-contained with inline SVG plots and escapes text', () => {
    const dir = mkdtempSync(join(tmpdir(), 'soak-rep-'));
    try {
      const cp = run(8, flatHeap, 2);
      const v = writeSoakReport(dir, cp, 8);
      expect(v.pass).toBe(false);
      const html = readFileSync(join(dir, 'soak-report.html'), 'utf8');
      expect(html).toContain('Soak sign-off: <span class="v">FAIL</span>');
      expect((html.match(/<svg/g) ?? []).length).toBe(5);
      expect(html).not.toMatch(/<script|<link|src="http/);
      expect(html).toContain('net_bps = -5 ≤ -2');
      expect(readFileSync(join(dir, 'soak-report.md'), 'utf8')).toMatch(/^# Soak sign-off: FAIL/);
      expect(renderSoakHtml(run(1, flatHeap), soakVerdict(run(1, flatHeap), 1))).toContain('<svg');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
