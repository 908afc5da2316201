import type { Rng } from './rng.ts';

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/**
 * Order and execution ids shaped like Bybit's linear ids (UUID v4 strings), drawn from a seeded stream so a run
 * with the same seed and inputs produces the same ids.
 */
export class IdSource {
  constructor(private readonly rng: Rng) {}

  uuid(): string {
    // Four 32-bit draws, 8 hex digits each, with the v4 version and variant nibbles set: one id per order and per
    // push, so this stays cheap (a string built from 4 numbers, not 32 one-character appends).
    const a = this.rng.u32();
    const b = this.rng.u32();
    const c = this.rng.u32();
    const d = this.rng.u32();
    const hb = hex8(((b & 0xffff0fff) | 0x00004000) >>> 0);
    const hc = hex8(((c & 0x3fffffff) | 0x80000000) >>> 0);
    return `${hex8(a)}-${hb.slice(0, 4)}-${hb.slice(4)}-${hc.slice(0, 4)}-${hc.slice(4)}${hex8(d)}`;
  }

  /** Short connection ids like Bybit's conn_id ("cejreassvfrsfvb9v1a0-2m"). */
  connId(): string {
    const alphabet = 'abcdefghijklmnopqrstuv0123456789';
    let s = '';
    for (let i = 0; i < 20; i++) s += alphabet[this.rng.u32() & 31];
    return `${s}-${(this.rng.u32() % 36 ** 2).toString(36).padStart(2, '0')}`;
  }
}
