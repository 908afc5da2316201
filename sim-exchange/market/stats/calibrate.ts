/**
 * `npm run calibrate [capture] [--seed N] [--regime calm] [--markdown] [--out file]`
 *
 * Imports a recorded Binance USD-M capture, runs the simulated background market for the same market time, computes
 * the same statistics over both (stats.ts) and prints them side by side, with a "N of M figures within ±30%" summary.
 * Writes the full result to .bench-out/calibration.json. Always exits 0 unless the input cannot be read at all: it is
 * a report, not a gate. See docs/calibration.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { importBinance } from '../replay/import-binance.ts';
import { runMarketOffline } from '../offline.ts';
import { RegimeName } from '../params.ts';
import { DEFAULT_INSTRUMENTS } from '../../instruments.ts';
import { computeMarketStats } from './stats.ts';
import { buildReport, CAPTURE_CANDIDATES, defaultCapture, renderMarkdown, renderText } from './report.ts';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      seed: { type: 'string', default: '1' },
      regime: { type: 'string', default: 'calm' },
      markdown: { type: 'boolean', default: false },
      out: { type: 'string', default: '.bench-out/calibration.json' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log('usage: npm run calibrate -- [capture.gz] [--seed N] [--regime calm] [--markdown] [--out .bench-out/calibration.json]');
    return;
  }
  const seed = Number(values.seed);
  if (!Number.isSafeInteger(seed)) throw new Error(`--seed must be an integer: ${values.seed}`);
  const regime = RegimeName.parse(values.regime);
  const path = positionals[0] ? resolve(positionals[0]) : defaultCapture();
  if (!path) throw new Error(`no capture given and none found at ${CAPTURE_CANDIDATES.join(' or ')}`);

  const t0 = performance.now();
  const session = await importBinance(path);
  const real = computeMarketStats(session.events, { lotSize: session.lotSize, symbol: session.symbol });
  const t1 = performance.now();

  // The same market time as the recording (344.8 s for the default capture), whole milliseconds.
  const durationMs = Math.round(real.durationS * 1000);
  const listed = DEFAULT_INSTRUMENTS.find((i) => i.symbol === session.symbol);
  let sim: Parameters<typeof buildReport>[0]['sim'];
  if (!listed) {
    sim = { pending: `the simulated venue does not list ${session.symbol}` };
  } else {
    const events = runMarketOffline({ seed, regime, durationMs, symbol: session.symbol });
    const stats = computeMarketStats(events, { lotSize: listed.qtyStep, symbol: session.symbol });
    sim = { durationMs, events: events.length, stats };
  }
  const t2 = performance.now();

  const report = buildReport({
    seed,
    regime,
    source: path,
    importSummary: { ...session.report, tickSize: session.tickSize, lotSize: session.lotSize },
    real,
    sim,
  });
  const out = resolve(values.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n');

  if (values.markdown) {
    console.log(renderMarkdown(report));
  } else {
    console.log(`real: ${path} (${session.symbol}, ${session.events.length} events, import + stats ${((t1 - t0) / 1000).toFixed(1)} s)`);
    console.log(`sim:  regime ${regime}, seed ${seed}, ${(durationMs / 1000).toFixed(1)} s of market time (${((t2 - t1) / 1000).toFixed(1)} s)`);
    console.log('');
    console.log(renderText(report));
    console.log(`(written to ${out})`);
  }
}

main().catch((e: unknown) => {
  console.error(`calibrate: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
