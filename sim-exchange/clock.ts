/**
 * The one clock seam. Everything in the venue that needs "now" asks a Clock; the engine never does. Tests and
 * faster-than-real-time markets use ManualClock; `offsetMs` is how the control plane skews the server clock.
 */
export interface Clock {
  now(): number;
}

export class SystemClock implements Clock {
  offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
}

export class ManualClock implements Clock {
  constructor(private t: number = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
  set(t: number): void {
    this.t = t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
