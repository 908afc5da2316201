/** Time-windowed samples for the guards: order-ack latency P95, reject rate, taker fills. */

export class RollingWindow {
  private readonly t: number[] = [];
  private readonly v: number[] = [];

  constructor(private readonly windowMs: number) {}

  push(now: number, value: number): void {
    this.t.push(now);
    this.v.push(value);
  }

  private prune(now: number): void {
    let k = 0;
    while (k < this.t.length && this.t[k]! <= now - this.windowMs) k++;
    if (k > 0) {
      this.t.splice(0, k);
      this.v.splice(0, k);
    }
  }

  count(now: number): number {
    this.prune(now);
    return this.v.length;
  }

  sum(now: number): number {
    this.prune(now);
    let s = 0;
    for (const x of this.v) s += x;
    return s;
  }

  /** Nearest-rank quantile (q in (0, 1]); undefined without samples. */
  quantile(now: number, q: number): number | undefined {
    this.prune(now);
    if (this.v.length === 0) return undefined;
    const sorted = [...this.v].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
  }
}
