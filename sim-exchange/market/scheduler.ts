/**
 * The market's discrete-event queue. Times are integer microseconds of market time; ties run in the order they were
 * scheduled (a sequence number breaks them), so a run is a pure function of its inputs. A binary heap: the market
 * keeps a few dozen pending events, so push/pop cost is a handful of comparisons.
 */
export interface Scheduled {
  readonly atUs: number;
  readonly seq: number;
  readonly run: () => void;
  cancelled: boolean;
}

export class Scheduler {
  private readonly heap: Scheduled[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  /** Time of the next live event, or undefined. */
  peekUs(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.atUs;
  }

  at(atUs: number, run: () => void): Scheduled {
    const e: Scheduled = { atUs: Math.round(atUs), seq: this.seq++, run, cancelled: false };
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
    return e;
  }

  /** Removes and returns the next live event. */
  pop(): Scheduled | undefined {
    this.dropCancelled();
    return this.take();
  }

  clear(): void {
    this.heap.length = 0;
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.take();
  }

  private take(): Scheduled | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l]!, h[m]!)) m = l;
        if (r < h.length && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function less(a: Scheduled, b: Scheduled): boolean {
  return a.atUs < b.atUs || (a.atUs === b.atUs && a.seq < b.seq);
}
