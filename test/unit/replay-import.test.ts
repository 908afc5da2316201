import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { importBinance, BinanceImporter } from '../../sim-exchange/market/replay/import-binance.ts';
import { importBybit } from '../../sim-exchange/market/replay/import-bybit.ts';
import { loadReplay, detectFormat, formatImportReport } from '../../sim-exchange/market/replay/load.ts';
import { parseStampUs } from '../../sim-exchange/market/replay/lines.ts';
import { parseLevels, resolveSteps } from '../../sim-exchange/market/replay/session-builder.ts';
import type { BookEvent, ImportedSession, TradeEvent } from '../../sim-exchange/market/events.ts';

const FIX = 'data/fixtures';
const REAL = `${FIX}/binance-usdm_BTCUSDT_20240808_2354-2400Z_hftbacktest-raw.gz`;
const BINANCE_EDGE = `${FIX}/binance-usdm_BTCUSDT_handwritten-edge.txt`;
const BYBIT = `${FIX}/bybit-v5_BTCUSDT_handwritten.jsonl`;

const books = (s: ImportedSession) => s.events.filter((e): e is BookEvent => e.kind === 'book');
const trades = (s: ImportedSession) => s.events.filter((e): e is TradeEvent => e.kind === 'trade');

function expectTimeOrdered(s: ImportedSession): void {
  for (let i = 1; i < s.events.length; i++) expect(s.events[i]!.tsUs).toBeGreaterThanOrEqual(s.events[i - 1]!.tsUs);
}

describe('replay import: the real Binance USD-M capture (data/fixtures/SOURCES.md)', () => {
  let s: ImportedSession;
  beforeAll(async () => {
    s = await importBinance(REAL);
  });

  it('counts what SOURCES.md lists, minus what the sync rules drop', () => {
    const r = s.report;
    expect(r.format).toBe('binance-usdm-raw');
    expect(r.lines).toBe(93_954);
    expect(r.events.snapshot).toBe(1);
    // 6,551 diffs, of which 4 have u <= lastUpdateId; 21,313 trades, of which 5 came before the snapshot.
    expect(r.events.delta).toBe(6_551 - 4);
    expect(r.events.trade).toBe(21_313 - 5);
    expect(r.skipped).toBe(66_089 + 4 + 5);
    expect(r.badLines).toBe(0);
    expect(s.events).toHaveLength(1 + 6_547 + 21_308);
  });

  it('reads 19-digit ns stamps as µs and spans 344.8 s', () => {
    expect(s.report.firstTsUs).toBe(1_723_161_255_030_314);
    expect(s.report.lastTsUs).toBe(1_723_161_599_833_492);
    expect(((s.report.lastTsUs! - s.report.firstTsUs!) / 1e6).toFixed(1)).toBe('344.8');
  });

  it('starts with the 1000-level REST snapshot, in exact ticks and lots', () => {
    expect(s.symbol).toBe('BTCUSDT');
    expect([s.tickSize, s.lotSize]).toEqual(['0.1', '0.001']);
    const snap = s.events[0] as BookEvent;
    expect(snap.snapshot).toBe(true);
    expect(snap.bids).toHaveLength(1000);
    expect(snap.asks).toHaveLength(1000);
    expect(snap.bids[0]).toEqual([618_002, 2_909]); // "61800.20", "2.909"
    expect(books(s).filter((b) => b.snapshot)).toHaveLength(1);
    expectTimeOrdered(s);
  });

  it('maps m (buyer is maker) to the taker side', () => {
    const t = trades(s);
    expect(t.some((x) => x.takerSide === 'Buy')).toBe(true);
    expect(t.some((x) => x.takerSide === 'Sell')).toBe(true);
    expect(t.every((x) => Number.isSafeInteger(x.priceTicks) && x.qtyLots > 0)).toBe(true);
  });

  it('prints a summary table', () => {
    const text = formatImportReport(s.report, { symbol: s.symbol, speed: 4 });
    expect(text).toMatch(/book deltas\s+6547/);
    expect(text).toMatch(/time span\s+344\.8 s/);
    expect(text).toMatch(/wall time at 4x\s+86\.2 s/);
  });
});

describe('replay import: hand-written Binance edge cases', () => {
  let s: ImportedSession;
  beforeAll(async () => {
    s = await importBinance(BINANCE_EDGE);
  });

  it('counts events, skipped and bad lines', () => {
    expect(s.report).toMatchObject({ lines: 19, events: { snapshot: 1, delta: 6, trade: 3 }, badLines: 5, skipped: 5 });
    expect(s.report.badSamples.map((b) => b.line)).toEqual([10, 11, 12, 14, 16]);
    expectTimeOrdered(s);
  });

  it('buffers diffs until the snapshot, drops u <= lastUpdateId, stamps the rest with the snapshot time', () => {
    const b = books(s);
    expect(b[0]!.snapshot).toBe(true);
    // Line 1 (u=95) is dropped; line 3 (U=96..u=103) straddles lastUpdateId=100 and is applied right after it.
    expect(b[1]).toMatchObject({ snapshot: false, bids: [[618_000, 2_000]], asks: [[618_003, 100]], tsUs: b[0]!.tsUs });
    expect(b.some((x) => x.bids.some(([, q]) => q === 9_000))).toBe(false);
  });

  it('a broken pu chain is a bad line but is applied; a stale diff is not', () => {
    const reasons = s.report.badSamples.map((x) => x.reason);
    expect(reasons[0]).toMatch(/broken chain: pu=120 != previous u=115; applied anyway/);
    expect(reasons[1]).toMatch(/stale diff/);
    expect(books(s).some((x) => x.bids.some(([p, q]) => p === 618_000 && q === 1_500))).toBe(true);
    expect(books(s).some((x) => x.bids.some(([, q]) => q === 7_000))).toBe(false);
    // The chain continues from the applied gap diff: u=130 with pu=125 is fine.
    expect(books(s).at(-2)!.bids).toEqual([[618_000, 1_100]]);
  });

  it('reads µs and ns stamps alike, and skips trades before the snapshot', () => {
    const t = trades(s);
    expect(t.map((x) => x.id)).toEqual(['2', '3', '5']);
    expect(t[0]).toMatchObject({ tsUs: 1_723_161_600_002_000, takerSide: 'Buy', priceTicks: 618_001, qtyLots: 200 });
    expect(t[1]!.takerSide).toBe('Sell');
    expect(t[2]!.tsUs).toBe(1_723_161_600_013_000); // 19-digit ns line
    expect(s.report.badSamples[4]!.reason).toMatch(/61800\.05/);
  });

  it('the pure core takes lines directly; a snapshot before any symbol line waits for one', () => {
    const core = new BinanceImporter();
    core.push('1723161600000000 {"lastUpdateId":5,"bids":[["100.0","1.000"]],"asks":[["100.1","1.000"]]}', 1);
    core.push('1723161600000001 {"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","s":"BTCUSDT","U":6,"u":6,"pu":5,"b":[],"a":[["100.1","0"]]}}', 2);
    core.push('1723161600000002 {"stream":"x","data":{"e":"depthUpdate","s":"BTCUSDT","U":7,"u":7,"pu":6,"b":[["100.0","1"]],"a":[]}}', 3);
    core.push('no-stamp {"a":1}', 4);
    const out = core.finish();
    expect(out.report).toMatchObject({ lines: 4, events: { snapshot: 1, delta: 2, trade: 0 }, badLines: 1 });
    expect(out.report.badSamples[0]!.reason).toBe('no receive stamp');
  });
});

describe('replay import: hand-written Bybit V5 capture', () => {
  let s: ImportedSession;
  beforeAll(async () => {
    s = await importBybit(BYBIT);
  });

  it('counts events, skipped and bad lines', () => {
    expect(s.report).toMatchObject({
      format: 'bybit-v5-public', lines: 38, events: { snapshot: 2, delta: 14, trade: 6 }, badLines: 10, skipped: 9,
      firstTsUs: 1_723_161_600_000_000, lastTsUs: 1_723_161_601_090_000,
    });
    expect(s.report.badSamples.map((b) => b.line)).toEqual([11, 12, 13, 14, 19, 20, 25, 32, 34, 35]);
    expectTimeOrdered(s);
  });

  it('a snapshot resets (u=1 after a restart); gaps are reported and applied, stale deltas are not', () => {
    const b = books(s);
    expect(b[0]).toMatchObject({ snapshot: true, bids: [[618_000, 1_500], [617_999, 200], [617_995, 2_000]] });
    const reset = b.find((x, i) => i > 0 && x.snapshot)!;
    expect(reset).toMatchObject({ tsUs: 1_723_161_601_000_000, bids: [[618_100, 500], [618_099, 1_000]] });
    const reasons = s.report.badSamples.map((x) => x.reason);
    expect(reasons).toContain('broken chain: u=106 after 104; applied anyway');
    expect(reasons).toContain('stale delta: u=105 <= previous u=106; not applied');
    expect(b.some((x) => x.bids.some(([p, q]) => p === 617_998 && q === 900))).toBe(true);
    expect(b.some((x) => x.bids.some(([, q]) => q === 5_000))).toBe(false);
  });

  it('skips block trades and uses prefixed stamps (µs or ns) over ts', () => {
    const t = trades(s);
    expect(t.map((x) => x.id)).toEqual(['t-1', 't-2', 't-3', 't-5', 't-7', 't-8']);
    expect(t[2]).toMatchObject({ takerSide: 'Sell', priceTicks: 618_000, qtyLots: 500 });
    expect(t[4]!.tsUs).toBe(1_723_161_601_030_250);
    expect(books(s).find((x) => x.asks.some(([p]) => p === 618_103))!.tsUs).toBe(1_723_161_601_050_250);
  });

  it('refuses levels that are not whole ticks or lots, by digits', () => {
    const reasons = s.report.badSamples.map((x) => x.reason);
    expect(reasons.some((r) => r.includes('"61800.05" has too many decimals'))).toBe(true);
    expect(reasons.some((r) => r.includes('"0.0505" has too many decimals'))).toBe(true);
  });
});

describe('replay import: input handling', () => {
  it('recognises gzip by magic bytes, whatever the name; a truncated gzip is a bad line, not a crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-import-'));
    try {
      const gz = gzipSync(readFileSync(BYBIT));
      const plainName = join(dir, 'capture.jsonl');
      writeFileSync(plainName, gz);
      const a = await importBybit(plainName, { source: 'x' });
      const b = await importBybit(BYBIT, { source: 'x' });
      expect(a).toEqual(b);

      const cut = join(dir, 'cut.gz');
      writeFileSync(cut, gz.subarray(0, Math.floor(gz.length * 0.6)));
      const c = await importBybit(cut);
      expect(c.report.badSamples.at(-1)!.reason).toMatch(/input stream error/);
      expect(c.report.lines).toBeLessThan(38);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('detects the format and loads', async () => {
    expect(await detectFormat(BINANCE_EDGE)).toBe('binance-usdm-raw');
    expect(await detectFormat(BYBIT)).toBe('bybit-v5-public');
    const { session, report, summary } = await loadReplay(BYBIT, { speed: 2 });
    expect(session.report).toBe(report);
    expect(summary).toMatch(/bad-line samples \(10 of 10\)/);
  });

  it('stamps: 19 digits ns, 16 µs, 13 ms, else null', () => {
    expect(parseStampUs('1723161255030314667')).toBe(1_723_161_255_030_314);
    expect(parseStampUs('1723161255030314')).toBe(1_723_161_255_030_314);
    expect(parseStampUs('1723161255030')).toBe(1_723_161_255_030_000);
    expect(parseStampUs('12345')).toBeNull();
    expect(parseStampUs('17231612550303x4')).toBeNull();
  });

  it('converts decimal strings exactly where floats would not', () => {
    const steps = resolveSteps('BTCUSDT', {});
    // 0.29 / 0.001 = 289.99999999999994 and 61800.3 / 0.1 = 618002.9999999999 in floating point.
    expect(parseLevels([['61800.3', '0.29']], steps, false)).toEqual({ ok: true, value: [[618_003, 290]] });
    expect(parseLevels([['61800.30', '0']], steps, true)).toEqual({ ok: true, value: [] });
    expect(parseLevels([['-1', '1']], steps, false).ok).toBe(false);
    expect(parseLevels([['1e5', '1']], steps, false).ok).toBe(false);
    expect(() => resolveSteps('FOOUSDT', {})).toThrow(/tickSize and lotSize/);
    expect(resolveSteps('FOOUSDT', { tickSize: '0.5', lotSize: '1' }).tick.units).toBe(5);
  });
});
