import { EOF, INTR } from '../stub.ts';
import type { ToxicSpec } from './spec.ts';

export interface BandwidthAttrs extends Record<string, number> {
  rate: number;
}

/**
 * rate is KB/s with KB = 1000 bytes, i.e. `rate` bytes per ms. Chunks longer than 100 ms worth go out in 100 ms
 * pieces; the rest waits len/rate ms. rate 0 stalls the link until the toxic is changed or removed (then the held
 * data is released).
 *
 * Pacing runs against a schedule (`due`) rather than summing sleeps: Toxiproxy carries the timer error over, but on a
 * busy event loop the time spent between sleeps also counts, so a schedule keeps the rate within a few % under load.
 * Idle time earns at most 10 ms of credit, so a burst after a pause stays bounded.
 */
export const bandwidth: ToxicSpec<BandwidthAttrs> = {
  type: 'bandwidth',
  goStruct: 'BandwidthToxic',
  fields: { rate: 'int64' },
  bufferSize: 1,
  check(a) {
    if (a.rate < 0n) return 'bandwidth rate must not be negative';
    // Go computes rate*100 in int64: beyond this it wraps and the toxic panics on a negative slice bound (or stalls).
    if (a.rate * 100n > 2n ** 63n - 1n) return 'bandwidth rate must be at most 92233720368547758';
    return undefined;
  },
  async pipe(s, a) {
    let due = performance.now();
    for (;;) {
      const c = await s.recv();
      if (c === INTR) return;
      if (c === EOF) return s.close();
      if (a.rate <= 0) {
        await s.hold();
        s.forward(c);
        return;
      }
      due = Math.max(due, performance.now() - 10);
      const piece = a.rate * 100;
      let data = c.data;
      while (data.length > piece) {
        due += 100;
        if (!(await s.sleep(due - performance.now()))) {
          s.forward({ data, ts: c.ts });
          return;
        }
        if (!(await s.send({ data: data.subarray(0, piece), ts: c.ts }))) {
          s.forward({ data: data.subarray(piece), ts: c.ts });
          return;
        }
        data = data.subarray(piece);
      }
      due += data.length / a.rate;
      if (!(await s.sleep(due - performance.now()))) {
        s.forward({ data, ts: c.ts });
        return;
      }
      if (!(await s.send({ data, ts: c.ts }))) return;
    }
  },
};
