import { EOF, INTR } from '../stub.ts';
import type { ToxicSpec } from './spec.ts';

export interface LatencyAttrs extends Record<string, number> {
  latency: number;
  jitter: number;
}

/**
 * Each chunk is released at (time the proxy read it) + latency ± jitter. Sleeping per chunk from its own read time,
 * not from the previous release, keeps throughput: a bulk transfer is only shifted in time (1024 chunks may queue).
 * After the wait the chunk's timestamp moves on by the time slept, so chained latency toxics add up.
 */
export const latency: ToxicSpec<LatencyAttrs> = {
  type: 'latency',
  goStruct: 'LatencyToxic',
  fields: { latency: 'int64', jitter: 'int64' },
  bufferSize: 1024,
  // Go draws rand.Int63n(jitter*2): from 2^62 on the product wraps to <= 0 and Int63n panics, killing the server.
  check: (a) => (a.jitter >= 2n ** 62n ? 'latency jitter must be below 4611686018427387904 (2^62)' : undefined),
  async pipe(s, a) {
    for (;;) {
      const c = await s.recv();
      if (c === INTR) return;
      if (c === EOF) return s.close();
      let delay = a.latency;
      // Uniform integer in [-jitter, jitter-1] ms, as rand.Int63n(2*jitter) - jitter.
      if (a.jitter > 0) delay += s.rng.int(2 * a.jitter) - a.jitter;
      const sleep = delay - (performance.now() - c.ts);
      if (sleep > 0 && !(await s.sleep(sleep))) {
        s.forward(c); // interrupted: release at once rather than drop
        return;
      }
      c.ts += sleep;
      if (!(await s.send(c))) return;
    }
  },
};
