/**
 * Exact arithmetic on the decimal strings that cross the pipeline/execution seam (prices and sizes already aligned to
 * tick and lot). Execution only ever needs to add and compare quantities, so this is a few lines over BigInt rather
 * than a decimal library.
 */

function parts(s: string): { int: bigint; scale: number } {
  const neg = s.startsWith('-');
  const body = neg ? s.slice(1) : s;
  const [i = '0', f = ''] = body.split('.');
  const int = BigInt(`${i || '0'}${f}`);
  return { int: neg ? -int : int, scale: f.length };
}

function align(a: string, b: string): { x: bigint; y: bigint; scale: number } {
  const p = parts(a);
  const q = parts(b);
  const scale = Math.max(p.scale, q.scale);
  return { x: p.int * 10n ** BigInt(scale - p.scale), y: q.int * 10n ** BigInt(scale - q.scale), scale };
}

function format(v: bigint, scale: number): string {
  const neg = v < 0n;
  let digits = (neg ? -v : v).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }
  return neg ? `-${digits}` : digits;
}

/** a + b, with as many decimals as the longer operand. */
export function addDec(a: string, b: string): string {
  const { x, y, scale } = align(a, b);
  return format(x + y, scale);
}

/** a - b, with as many decimals as the longer operand. */
export function subDec(a: string, b: string): string {
  const { x, y, scale } = align(a, b);
  return format(x - y, scale);
}

/** Numeric comparison: "0.010" equals "0.01". */
export function cmpDec(a: string, b: string): -1 | 0 | 1 {
  const { x, y } = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export const eqDec = (a: string, b: string): boolean => cmpDec(a, b) === 0;

export const isZeroDec = (a: string): boolean => cmpDec(a, '0') === 0;
