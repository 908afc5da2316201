import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fmtMs } from './hist.ts';
import type { RestLoadResult } from './rest-load.ts';

export function writeJson(path: string, data: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`);
}

export const pad = (s: string, n: number): string => (s.length >= n ? `${s} ` : s + ' '.repeat(n - s.length));

export function restSummary(r: RestLoadResult, venueCpuPct: number | null): string {
  const lat = r.corrected ?? r.service;
  const lines = [
    `${pad('req/s', 10)}${pad(r.corrected ? 'latency ms from intended send p50 / p95 / p99 / max' : 'latency ms p50 / p95 / p99 / max', 54)}${pad('errors', 16)}${pad('gen CPU', 10)}venue CPU`,
    `${pad(r.rps.toFixed(0), 10)}${pad([lat.p50, lat.p95, lat.p99, lat.max].map(fmtMs).join(' / '), 54)}${pad(`${r.errorPct.toFixed(2)} % (${r.errors})`, 16)}${pad(`${r.genCpuPct.toFixed(0)} %`, 10)}${venueCpuPct === null ? 'n/a' : `${venueCpuPct.toFixed(0)} %`}`,
  ];
  if (r.corrected) lines.push(`service time (send → response) p50 / p95 / p99 / max: ${[r.service.p50, r.service.p95, r.service.p99, r.service.max].map(fmtMs).join(' / ')} ms`);
  lines.push('per op:');
  for (const [op, s] of Object.entries(r.perOp)) {
    lines.push(`  ${pad(op, 14)}${pad(String(s.count), 9)}p50 ${pad(fmtMs(s.p50), 7)}p95 ${pad(fmtMs(s.p95), 7)}p99 ${pad(fmtMs(s.p99), 7)}errors ${s.errors}`);
  }
  if (r.errorSamples.length > 0) lines.push(`sample failures: ${r.errorSamples.join(' | ')}`);
  return lines.join('\n');
}
