import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { Journal, trafficLine } from '../../sim-exchange/journal.ts';

const dir = mkdtempSync(join(tmpdir(), 'mm-bench-journal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('trafficLine', () => {
  it('keeps a REST body as its exact text', () => {
    const body = '{"qty":"0.010", "price":1.0}';
    const line = trafficLine({ channel: 'rest', method: 'POST', path: '/v5/order/create', query: '', uid: 7, body, at: 5 });
    expect(JSON.parse(line)).toEqual({ at: 5, channel: 'rest', method: 'POST', path: '/v5/order/create', query: '', uid: 7, body });
  });

  it('keeps an inbound WS frame as a string, even when it is not JSON', () => {
    const line = trafficLine({ channel: 'private', connId: 'c1', dir: 'in', data: '{"op":"ping"', at: 9 });
    expect(JSON.parse(line)).toEqual({ at: 9, channel: 'private', connId: 'c1', dir: 'in', data: '{"op":"ping"' });
  });

  it('embeds an outbound frame as a JSON value, and falls back to a string when it holds a line break', () => {
    const frame = '{"topic":"order","data":[{"orderId":"a"}]}';
    const out = JSON.parse(trafficLine({ channel: 'private', connId: 'c1', uid: 3, dir: 'out', data: frame, at: 1 }));
    expect(out).toEqual({ at: 1, channel: 'private', connId: 'c1', uid: 3, dir: 'out', frame: JSON.parse(frame) });
    const multi = '{"a":\n1}';
    const line = trafficLine({ channel: 'public', connId: 'c2', dir: 'out', data: multi, at: 2 });
    expect(line).not.toContain('\n');
    expect(JSON.parse(line).data).toBe(multi);
  });
});

describe('Journal', () => {
  it('writes one parseable line per record, in order, and everything by close()', async () => {
    const path = join(dir, 'j.jsonl');
    const j = new Journal(path);
    for (let i = 0; i < 2000; i++) j.traffic({ channel: 'trade', connId: 'c', dir: 'out', data: `{"i":${i}}`, at: i });
    j.write({ kind: 'fault', name: 'x' });
    expect(j.records).toBe(2001);
    await j.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(2001);
    expect(lines.slice(0, 2000).map((l) => JSON.parse(l).frame.i)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    expect(JSON.parse(lines[2000]!)).toEqual({ kind: 'fault', name: 'x' });
  });

  it('gzips when asked, and ignores writes after close', async () => {
    const path = join(dir, 'j.jsonl.gz');
    const j = new Journal(path, { gzip: true });
    j.write({ n: 1 });
    await j.close();
    j.write({ n: 2 });
    expect(gunzipSync(readFileSync(path)).toString('utf8')).toBe('{"n":1}\n');
  });
});
