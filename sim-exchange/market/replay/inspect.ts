/**
 * `npm run replay:inspect -- <file> [--symbol S] [--tick 0.1 --lot 0.001]`: imports a capture and prints the
 * import report as a table. Exit code 1 when the file cannot be replayed (no snapshot, unknown format).
 */
import { parseArgs } from 'node:util';
import { loadReplay } from './load.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { symbol: { type: 'string' }, tick: { type: 'string' }, lot: { type: 'string' }, speed: { type: 'string' } },
});
const file = positionals[0];
if (!file) {
  process.stderr.write('usage: npm run replay:inspect -- <capture file> [--symbol BTCUSDT] [--tick 0.1 --lot 0.001] [--speed k]\n');
  process.exit(2);
}
try {
  const { summary } = await loadReplay(file, {
    symbol: values.symbol, tickSize: values.tick, lotSize: values.lot, speed: values.speed === undefined ? undefined : Number(values.speed),
  });
  process.stdout.write(`${summary}\n`);
} catch (e) {
  process.stderr.write(`replay:inspect: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
