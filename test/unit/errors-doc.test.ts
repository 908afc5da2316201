import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CATALOGUE, type CatalogueEntry } from '../../sim-exchange/bybit-v5/errors.ts';

const DOC_PATH = fileURLToPath(new URL('../../docs/errors.md', import.meta.url));
const doc = readFileSync(DOC_PATH, 'utf8');

/** Markdown tables of the doc: header cells and body rows (cells trimmed, `\|` unescaped). */
function tables(md: string): Array<{ header: string[]; rows: string[][] }> {
  const out: Array<{ header: string[]; rows: string[][] }> = [];
  const lines = md.split('\n');
  const cells = (line: string) =>
    line
      .trim()
      .replace(/^\|/, '')
      .replace(/\|$/, '')
      .split(/(?<!\\)\|/)
      .map((c) => c.trim().replace(/\\\|/g, '|'));
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i]!.trim().startsWith('|') || !/^\s*\|(\s*:?-+:?\s*\|)+\s*$/.test(lines[i + 1]!)) continue;
    const header = cells(lines[i]!);
    const rows: string[][] = [];
    let j = i + 2;
    for (; j < lines.length && lines[j]!.trim().startsWith('|'); j++) rows.push(cells(lines[j]!));
    out.push({ header, rows });
    i = j;
  }
  return out;
}

const all = tables(doc);
const catalogueTable = all.find((t) => t.header[0] === 'Name' && t.header[1] === 'retCode');
const entries = Object.entries(CATALOGUE) as Array<[string, CatalogueEntry]>;
const catalogueCodes = new Set(entries.map(([, e]) => e.retCode));

describe('docs/errors.md', () => {
  it('has the catalogue table', () => {
    expect(catalogueTable, 'a table whose header starts "| Name | retCode |"').toBeDefined();
    expect(catalogueTable!.header).toEqual(['Name', 'retCode', 'HTTP', 'retMsg', 'When', 'ccxt class']);
  });

  it.each(entries)('documents %s with its retCode, HTTP status and message', (name, entry) => {
    const row = catalogueTable!.rows.find((r) => r[0] === `\`${name}\``);
    expect(row, `a row for ${name} in the catalogue table`).toBeDefined();
    expect(Number(row![1])).toBe(entry.retCode);
    expect(Number(row![2])).toBe(entry.http);
    expect(row![3]).toBe(entry.retMsg);
    expect(row![4]!.length).toBeGreaterThan(0);
    expect(row![5]!.length, `ccxt class of ${name}`).toBeGreaterThan(0);
    // and, more loosely, the name and code appear in the text at all
    expect(doc).toContain(name);
    expect(doc).toContain(String(entry.retCode));
  });

  it('names no entry the catalogue does not have', () => {
    for (const row of catalogueTable!.rows) {
      const name = row[0]!.replace(/`/g, '');
      expect(Object.hasOwn(CATALOGUE, name), `${name} is in CATALOGUE`).toBe(true);
    }
    expect(catalogueTable!.rows.length).toBe(entries.length);
  });

  it('every retCode in any of its tables exists in the catalogue', () => {
    let seen = 0;
    for (const t of all) {
      const col = t.header.indexOf('retCode');
      if (col < 0) continue;
      for (const row of t.rows) {
        const code = Number(row[col]);
        expect(Number.isInteger(code), `retCode cell "${row[col]}"`).toBe(true);
        expect(catalogueCodes.has(code), `retCode ${code} is in CATALOGUE`).toBe(true);
        seen++;
      }
    }
    expect(seen).toBeGreaterThanOrEqual(entries.length);
  });
});
