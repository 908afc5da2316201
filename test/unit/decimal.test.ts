import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decimalsOf, formatScaled, fromSteps, parseStep, toSteps, type Step } from '../../sim-exchange/bybit-v5/decimal.ts';
import { usdt, usdtTotal } from '../../sim-exchange/bybit-v5/serialize.ts';

const ok = (value: number) => ({ ok: true, value });
const why = (text: unknown, step: Step): string => {
  const r = toSteps(text, step);
  if (r.ok) throw new Error(`expected a refusal for ${String(text)}`);
  return r.why;
};

describe('parseStep', () => {
  it.each([
    ['0.1', 1, 1],
    ['0.10', 1, 1],
    ['0.5', 1, 5],
    ['0.25', 2, 25],
    ['0.0010', 3, 1],
    ['0.01', 2, 1],
    ['1', 0, 1],
    ['1.0', 0, 1],
    ['10', 0, 10],
    ['100.00', 0, 100],
    ['2.5', 1, 25],
    ['0.000000000000000001', 18, 1],
  ])('%s → scale %i, units %i', (text, scale, units) => {
    expect(parseStep(text)).toEqual({ text, scale, units });
  });

  it.each(['0', '0.000', '', '-0.1', '+1', '1e-3', '.5', '5.', ' 0.1', '0.1 ', '0,1', 'abc', '0.0000000000000000001'])(
    'refuses %j',
    (text) => {
      expect(() => parseStep(text)).toThrow();
    },
  );

  it('refuses steps whose units are not safe integers', () => {
    expect(() => parseStep('1234567890123456.5')).toThrow();
    expect(() => parseStep('9999999999999999')).toThrow(); // > 2^53 - 1
    expect(parseStep('9007199254740991').units).toBe(9007199254740991);
  });
});

describe('toSteps', () => {
  const tick = parseStep('0.1');
  const half = parseStep('0.5');
  const lot = parseStep('0.001');

  it('converts exact multiples', () => {
    expect(toSteps('100.1', tick)).toEqual(ok(1001));
    expect(toSteps('100.10', tick)).toEqual(ok(1001));
    expect(toSteps('100', tick)).toEqual(ok(1000));
    expect(toSteps('100.000000', tick)).toEqual(ok(1000));
    expect(toSteps('0.5', half)).toEqual(ok(1));
    expect(toSteps('1.0', half)).toEqual(ok(2));
    expect(toSteps('2.5', half)).toEqual(ok(5));
    expect(toSteps('0.001', lot)).toEqual(ok(1));
    expect(toSteps('1.5', lot)).toEqual(ok(1500));
    expect(toSteps('007.5', half)).toEqual(ok(15));
    expect(toSteps('20', parseStep('10'))).toEqual(ok(2));
  });

  it('is exact where floats are not (0.1 + 0.2, 0.3 / 0.1)', () => {
    expect(toSteps('0.3', tick)).toEqual(ok(3));
    expect(toSteps('0.3', parseStep('0.01'))).toEqual(ok(30));
    expect(toSteps('1.005', lot)).toEqual(ok(1005));
    expect(toSteps('4.35', parseStep('0.05'))).toEqual(ok(87));
  });

  it('accepts zero (callers decide whether zero is allowed)', () => {
    expect(toSteps('0', tick)).toEqual(ok(0));
    expect(toSteps('0.0', tick)).toEqual(ok(0));
    expect(toSteps('00.000', tick)).toEqual(ok(0));
  });

  it('refuses non-strings', () => {
    for (const v of [1, 1.5, null, undefined, {}, ['1'], true, 10n]) {
      expect(toSteps(v, tick)).toEqual({ ok: false, why: 'must be a decimal string' });
    }
  });

  it('refuses what is not a plain non-negative decimal (never rounds, never coerces)', () => {
    for (const s of ['', '-1', '+1', '1e3', '1E3', '.5', '5.', ' 5', '5 ', '1,5', '0x10', 'NaN', 'Infinity', '1_000', '٥', '1\n', '１']) {
      expect(why(s, tick)).toContain('is not a non-negative decimal');
    }
  });

  it('refuses too many decimals for the step', () => {
    expect(why('100.15', tick)).toBe('"100.15" has too many decimals (step 0.1)');
    expect(why('0.0001', lot)).toBe('"0.0001" has too many decimals (step 0.001)');
    expect(why('1.05', half)).toContain('too many decimals');
  });

  it('refuses values that are not a multiple of the step', () => {
    expect(why('0.3', half)).toBe('"0.3" is not a multiple of 0.5');
    expect(why('25', parseStep('10'))).toBe('"25" is not a multiple of 10');
    expect(why('0.07', parseStep('0.05'))).toContain('not a multiple of 0.05');
  });

  it('refuses values beyond 2^53 - 1 scaled units', () => {
    const one = parseStep('1');
    expect(toSteps('9007199254740991', one)).toEqual(ok(9007199254740991));
    expect(why('9007199254740992', one)).toContain('too large');
    expect(toSteps('900719925474099.1', tick)).toEqual(ok(9007199254740991));
    expect(why('900719925474099.2', tick)).toContain('too large');
    // 1 × 10^18 scaled units cannot be represented exactly
    expect(why('1', parseStep('0.000000000000000001'))).toContain('too large');
  });

  it('refuses more than 16 integer digits or 18 decimals outright', () => {
    expect(toSteps('12345678901234567', parseStep('1')).ok).toBe(false);
    expect(toSteps('0.0000000000000000001', tick).ok).toBe(false);
  });

  it('clips long inputs in the message', () => {
    const long = `${'9'.repeat(50)}`;
    const w = why(long, tick);
    expect(w).toContain('…');
    expect(w.length).toBeLessThan(80);
  });
});

describe('fromSteps / formatScaled', () => {
  it('formats with the step scale by default', () => {
    expect(fromSteps(1001, parseStep('0.1'))).toBe('100.1');
    expect(fromSteps(3, parseStep('0.5'))).toBe('1.5');
    expect(fromSteps(2, parseStep('0.5'))).toBe('1.0');
    expect(fromSteps(1, parseStep('0.001'))).toBe('0.001');
    expect(fromSteps(0, parseStep('0.01'))).toBe('0.00');
    expect(fromSteps(2, parseStep('10'))).toBe('20');
    expect(fromSteps(7, parseStep('1'))).toBe('7');
  });

  it('pads to more decimals on request', () => {
    expect(fromSteps(3, parseStep('0.5'), 3)).toBe('1.500');
    expect(fromSteps(5, parseStep('1'), 2)).toBe('5.00');
    expect(fromSteps(1001, parseStep('0.1'), 4)).toBe('100.1000');
  });

  it('formats negative values (PnL, deltas)', () => {
    expect(fromSteps(-3, parseStep('0.05'))).toBe('-0.15');
    expect(formatScaled(-5, 3, 3)).toBe('-0.005');
    expect(formatScaled(-12345, 2, 2)).toBe('-123.45');
    expect(formatScaled(-0, 2, 2)).toBe('0.00');
  });

  it('pads leading zeros of small values', () => {
    expect(formatScaled(5, 3, 3)).toBe('0.005');
    expect(formatScaled(50, 3, 3)).toBe('0.050');
    expect(formatScaled(0, 3, 3)).toBe('0.000');
    expect(formatScaled(1, 8, 8)).toBe('0.00000001');
    expect(formatScaled(12345, 0, 0)).toBe('12345');
    expect(formatScaled(12345, 0, 2)).toBe('12345.00');
  });

  it('formats the largest safe integer exactly', () => {
    expect(formatScaled(Number.MAX_SAFE_INTEGER, 8, 8)).toBe('90071992.54740991');
    expect(fromSteps(9007199254740991, parseStep('1'))).toBe('9007199254740991');
  });

  it('round-trips: toSteps(fromSteps(n)) === n (property)', () => {
    const steps = ['0.1', '0.5', '0.01', '0.25', '0.001', '1', '10', '0.00000001', '2.5'].map(parseStep);
    fc.assert(
      fc.property(fc.constantFrom(...steps), fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 4 }), (step, n, extra) => {
        const text = fromSteps(n, step, step.scale + extra);
        expect(decimalsOf(text)).toBe(step.scale + extra);
        expect(toSteps(text, step)).toEqual(ok(n));
      }),
      { numRuns: 500, seed: 7 },
    );
  });

  it('round-trips: fromSteps(toSteps(s)) is s normalised to the step scale (property)', () => {
    const step = parseStep('0.01');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 12 }), fc.integer({ min: 0, max: 3 }), (cents, pad) => {
        const s = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}${'0'.repeat(pad)}`;
        const r = toSteps(s, step);
        expect(r).toEqual(ok(cents));
        expect(fromSteps(cents, step)).toBe(s.slice(0, s.indexOf('.') + 3));
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  // Reported, not fixed here (decimal.ts belongs to another engineer). formatScaled/fromSteps document
  // `decimals >= scale` and a safe-integer value but do not check either, so precondition violations produce wrong
  // strings silently. Enable these once decimal.ts throws a RangeError for them.
  it('refuses decimals < scale instead of truncating', () => {
    // today: formatScaled(12345, 3, 0) === '12' (digits lost) while formatScaled(12345, 3, 1) === '12.345'
    expect(() => formatScaled(12345, 3, 0)).toThrow(RangeError);
    expect(() => formatScaled(12345, 3, 1)).toThrow(RangeError);
  });
  it('refuses unsafe or non-integer values instead of printing garbage', () => {
    // today: formatScaled(1e21, 2, 2) === '1e+.21', formatScaled(1.5, 1, 1) === '1..5'
    expect(() => formatScaled(1e21, 2, 2)).toThrow(RangeError);
    expect(() => formatScaled(1.5, 1, 1)).toThrow(RangeError);
    expect(() => fromSteps(2 ** 52, parseStep('10'))).toThrow(RangeError); // product beyond 2^53
  });

});

describe('decimalsOf', () => {
  it.each([
    ['0.010', 3],
    ['10', 0],
    ['1.5', 1],
    ['0.00000001', 8],
    ['10.', 0],
    ['', 0],
  ])('%j → %i', (text, n) => {
    expect(decimalsOf(text)).toBe(n);
  });
});

describe('usdtTotal (running totals: turnover, open-interest value)', () => {
  it('is exact in nano-USDT while that fits in a safe integer', () => {
    expect(usdtTotal(123_456_789)).toBe(usdt(123_456_789));
    expect(usdtTotal(Number.MAX_SAFE_INTEGER)).toBe('90071992.54740991');
  });

  it('prints to the cent past ~90M USDT instead of throwing (a busy market gets there within hours)', () => {
    expect(() => usdt(1e17)).toThrow(RangeError);
    expect(usdtTotal(1e17)).toBe('1000000000.00');
    expect(usdtTotal(Number.MAX_SAFE_INTEGER * 3)).toBe('270215977.64');
  });
});
