import type { Rng } from '../../../sim-exchange/rng.ts';
import { EOF, INTR } from '../stub.ts';
import type { ToxicSpec } from './spec.ts';

export interface SlicerAttrs extends Record<string, number> {
  average_size: number;
  size_variation: number;
  delay: number;
}

/**
 * Piece boundaries for a chunk of `size` bytes: split in halves (the split point shifted by a random integer in
 * [-var, var-1]) until every piece is <= average_size + size_variation. Iterative (Toxiproxy recurses and overflows
 * its stack on average_size + size_variation < 1, which the API now rejects), and a split point is kept strictly
 * inside the piece so the loop always terminates.
 */
export function slicePoints(size: number, a: SlicerAttrs, rng: Rng): number[] {
  const out: number[] = [];
  const stack: [number, number][] = [[0, size]];
  while (stack.length > 0) {
    const [start, end] = stack.pop()!;
    if (end - start - a.average_size <= a.size_variation || end - start < 2) {
      out.push(end);
      continue;
    }
    let mid = start + Math.floor((end - start) / 2);
    if (a.size_variation > 0) mid += rng.int(2 * a.size_variation) - a.size_variation;
    mid = Math.min(end - 1, Math.max(start + 1, mid));
    stack.push([mid, end], [start, mid]); // left half first
  }
  return out;
}

/**
 * Splits each chunk into pieces (see slicePoints) sent one by one with `delay` µs after each. Sub-millisecond delays
 * are paced against a running deadline (sleep only once ≥ 1 ms behind schedule) because Node timers have 1 ms
 * resolution. An interrupt forwards the unsent rest as one piece.
 */
export const slicer: ToxicSpec<SlicerAttrs> = {
  type: 'slicer',
  goStruct: 'SlicerToxic',
  fields: { average_size: 'int', size_variation: 'int', delay: 'int' },
  bufferSize: 1,
  check(a) {
    if (a.average_size < 1n) return 'slicer average_size must be at least 1';
    if (a.size_variation < 0n) return 'slicer size_variation must not be negative';
    if (a.size_variation > a.average_size) return 'slicer size_variation must not exceed average_size';
    return undefined;
  },
  async pipe(s, a) {
    let due = performance.now();
    for (;;) {
      const c = await s.recv();
      if (c === INTR) return;
      if (c === EOF) return s.close();
      const ends = slicePoints(c.data.length, a, s.rng);
      let from = 0;
      for (const to of ends) {
        const ok = await s.send({ data: c.data.subarray(from, to), ts: c.ts });
        from = to;
        if (!ok) {
          s.forward({ data: c.data.subarray(from), ts: c.ts });
          return;
        }
        const now = performance.now();
        due = Math.max(due, now - 1) + Math.max(0, a.delay) / 1000;
        if (due - now >= 1 && !(await s.sleep(due - now))) {
          s.forward({ data: c.data.subarray(from), ts: c.ts });
          return;
        }
      }
    }
  },
};
