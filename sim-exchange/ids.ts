import type { Rng } from './rng.ts';

const HEX = '0123456789abcdef';

/**
 * Order and execution ids shaped like Bybit's linear ids (UUID v4 strings), drawn from a seeded stream so a run
 * with the same seed and inputs produces the same ids.
 */
export class IdSource {
  constructor(private readonly rng: Rng) {}

  uuid(): string {
    let s = '';
    for (let i = 0; i < 32; i++) {
      let nibble = this.rng.u32() & 15;
      if (i === 12) nibble = 4;
      else if (i === 16) nibble = 8 | (nibble & 3);
      s += HEX[nibble];
      if (i === 7 || i === 11 || i === 15 || i === 19) s += '-';
    }
    return s;
  }

  /** Short connection ids like Bybit's conn_id ("cejreassvfrsfvb9v1a0-2m"). */
  connId(): string {
    const alphabet = 'abcdefghijklmnopqrstuv0123456789';
    let s = '';
    for (let i = 0; i < 20; i++) s += alphabet[this.rng.u32() & 31];
    return `${s}-${(this.rng.u32() % 36 ** 2).toString(36).padStart(2, '0')}`;
  }
}
