/**
 * Go `encoding/json` behaviour that clients can observe, reproduced for the Toxiproxy API:
 *  - requests are read with ONE streaming decode: the first JSON value counts, trailing bytes are ignored, an empty
 *    body is `EOF`, nesting stops at Go's 10,000 levels; numbers keep their literal text so integer fields can reject
 *    `1.5` and `1e3` as Go does, and are parsed as strconv does (int64 range, float32 rounding and overflow);
 *  - responses escape `<`, `>`, `&` (and U+2028/2029) like json.Marshal, and float32 fields print their shortest
 *    float32 form (0.1 stays 0.1, not 0.10000000149011612), int64s all their digits.
 */

/** A JSON number with its source text (Go decides int-vs-float from the literal, not the value). */
export class GoNumber {
  constructor(readonly raw: string) {}
  get value(): number {
    return Number(this.raw);
  }
}

/**
 * A JSON object as Go's decoder walks it: every key/value pair in document order, duplicates included (Go decodes
 * each in turn, so a later duplicate overwrites an earlier one but an earlier type error still counts). Kept out of
 * plain JS objects so `__proto__` and friends are ordinary keys.
 */
export class GoObject {
  constructor(readonly entries: [string, GoValue][] = []) {}
}

export type GoValue = null | boolean | string | GoNumber | GoValue[] | GoObject;

export class GoSyntaxError extends Error {}

/** encoding/json's scanner refuses to nest arrays/objects deeper than this (scanner.go maxNestingDepth). */
export const MAX_NESTING_DEPTH = 10_000;

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

type Frame = { arr: GoValue[]; obj?: undefined; key?: undefined } | { arr?: undefined; obj: GoObject; key: string };

/**
 * Decodes the first JSON value of `text` (Go's json.Decoder.Decode); throws GoSyntaxError with Go's wording.
 * Iterative (an explicit stack, never recursion), linear in the input, and nesting deeper than 10,000 is Go's
 * `invalid character '[' exceeded max depth`, so no body can overflow the call stack.
 */
export function decodeFirst(text: string): GoValue {
  let i = 0;
  const n = text.length;
  const ws = (): void => {
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
    }
  };
  const eof = (): never => {
    throw new GoSyntaxError(i === 0 || text.trim() === '' ? 'EOF' : 'unexpected EOF');
  };
  const bad = (ctx: string): never => {
    throw new GoSyntaxError(`invalid character ${quoteChar(text[i]!)} ${ctx}`);
  };
  const str = (): string => {
    const start = i;
    let plain = true; // no escape, no control character: the text between the quotes is the string
    i++;
    for (; i < n; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 0x5c) {
        plain = false;
        i++;
      } else if (ch < 0x20) plain = false;
      else if (ch === 0x22) {
        i++;
        if (plain) return text.slice(start + 1, i - 1);
        let s: string;
        try {
          s = JSON.parse(text.slice(start, i)) as string;
        } catch {
          throw new GoSyntaxError('invalid character in string literal');
        }
        // Go turns an unpaired \ud800-style escape into U+FFFD.
        return s.replace(LONE_SURROGATE, '\ufffd');
      }
    }
    return eof();
  };
  /** After `{` or `,` inside an object: the key and its colon. */
  const key = (): string => {
    ws();
    if (i >= n) eof();
    if (text[i] !== '"') bad('looking for beginning of object key string');
    const k = str();
    ws();
    if (i >= n) eof();
    if (text[i] !== ':') bad('after object key');
    i++;
    return k;
  };
  const literal = <T>(word: string, v: T): T => {
    if (text.startsWith(word, i)) {
      i += word.length;
      return v;
    }
    if (n - i < word.length && word.startsWith(text.slice(i))) eof();
    return bad('looking for beginning of value');
  };
  /** -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? — an incomplete fraction or exponent is left for the caller to refuse. */
  const number = (): GoNumber => {
    let j = i;
    if (text.charCodeAt(j) === 0x2d) j++;
    const d = text.charCodeAt(j);
    if (d === 0x30) j++;
    else if (d > 0x30 && d <= 0x39) while (isDigit(text.charCodeAt(++j)));
    else bad('looking for beginning of value');
    if (text.charCodeAt(j) === 0x2e && isDigit(text.charCodeAt(j + 1))) while (isDigit(text.charCodeAt(++j)));
    const e = text.charCodeAt(j);
    if (e === 0x65 || e === 0x45) {
      let k = j + 1;
      const sign = text.charCodeAt(k);
      if (sign === 0x2b || sign === 0x2d) k++;
      if (isDigit(text.charCodeAt(k))) {
        while (isDigit(text.charCodeAt(++k)));
        j = k;
      }
    }
    const raw = text.slice(i, j);
    i = j;
    return new GoNumber(raw);
  };
  const scalar = (): GoValue => {
    switch (text.charCodeAt(i)) {
      case 0x22:
        return str();
      case 0x74:
        return literal('true', true);
      case 0x66:
        return literal('false', false);
      case 0x6e:
        return literal('null', null);
      default:
        return number();
    }
  };

  const stack: Frame[] = [];
  for (;;) {
    // A value starts here.
    ws();
    if (i >= n) eof();
    const c = text[i]!;
    let v: GoValue;
    if (c === '{' || c === '[') {
      if (stack.length >= MAX_NESTING_DEPTH) bad('exceeded max depth');
      i++;
      ws();
      if (i >= n) eof();
      if (c === '{') {
        const obj = new GoObject();
        if (text[i] !== '}') {
          stack.push({ obj, key: key() });
          continue;
        }
        i++;
        v = obj;
      } else {
        const arr: GoValue[] = [];
        if (text[i] !== ']') {
          stack.push({ arr });
          continue;
        }
        i++;
        v = arr;
      }
    } else {
      v = scalar();
    }
    // Hand the finished value to its container, closing containers while they end.
    for (;;) {
      const top = stack[stack.length - 1];
      if (!top) return v;
      if (top.arr) top.arr.push(v);
      else top.obj.entries.push([top.key, v]);
      ws();
      if (i >= n) eof();
      const d = text[i];
      if (d === ',') {
        i++;
        if (top.obj) top.key = key();
        break;
      }
      if (d === (top.arr ? ']' : '}')) {
        i++;
        stack.pop();
        v = top.arr ?? top.obj;
        continue;
      }
      return bad(top.arr ? 'after array element' : 'after object key:value pair');
    }
  }
}

function quoteChar(c: string): string {
  return c === "'" ? `'\\''` : `'${c}'`;
}

/** The JSON type name Go uses in "cannot unmarshal X into ..." errors. */
export function goTypeOf(v: GoValue): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (v instanceof GoNumber) return 'number';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

/** json.Marshal string escaping: like JSON.stringify plus HTML-safe escapes. */
export function goString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Shortest decimal that round-trips through float32 (what Go prints for a float32 field). */
export function float32String(x: number): string {
  const f = Math.fround(x);
  if (!Number.isFinite(f)) throw new RangeError(`not a finite float32: ${x}`); // decoding never stores one
  if (Object.is(f, -0)) return '-0'; // toPrecision drops the sign of zero
  for (let p = 1; p <= 9; p++) {
    const s = Number(f.toPrecision(p));
    if (Math.fround(s) === f) return goFloat(s);
  }
  return goFloat(f);
}

/**
 * encoding/json's float formatting: exponent form only below 1e-6 or at/above 1e21, exponent digits not padded
 * (Go's encoder cleans `e-07` up to `e-7`), which is exactly what JS's Number#toString writes.
 */
function goFloat(n: number): string {
  if (Object.is(n, -0)) return '-0';
  return String(n);
}

// ------------------------------------------------------------------------------------------ numbers, Go's way

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INT_LITERAL = /^-?\d+$/;

/**
 * strconv.ParseInt(literal, 10, 64), which is what encoding/json does for an int/int64 field: only an integer
 * literal (no fraction, no exponent: `1.0` and `1e3` are refused) within [-2^63, 2^63-1]. undefined = Go's
 * UnmarshalTypeError.
 */
export function parseGoInt64(raw: string): bigint | undefined {
  if (!INT_LITERAL.test(raw)) return undefined;
  // JSON forbids leading zeros, so anything longer than "-9223372036854775808" is out of range (and BigInt never
  // sees a multi-megabyte literal).
  if (raw.length > 20) return undefined;
  const v = BigInt(raw);
  return v < INT64_MIN || v > INT64_MAX ? undefined : v;
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * An int64 as the double the toxics compute with: exact up to 2^53, beyond that rounded toward zero, so it never
 * leaves the int64 range (2^63-1 becomes 2^63-1024) and never grows past a limit it was checked against.
 */
export function int64ToNumber(v: bigint): number {
  const d = Number(v);
  if (BigInt(d) === v || (d > 0 ? BigInt(d) < v : BigInt(d) > v)) return d;
  f64[0] = d;
  u64[0] = u64[0]! - 1n; // one step toward zero (sign-magnitude: the magnitude shrinks for either sign)
  return f64[0]!;
}

/** An integer-valued double as Go prints an int64: all digits, never an exponent. */
export function goIntString(v: number): string {
  return Number.isSafeInteger(v) ? String(v) : BigInt(v).toString();
}

/** (2 - 2^-24) * 2^127: halfway between the largest float32 and 2^128; from here up ParseFloat(_, 32) overflows. */
const FLOAT32_OVERFLOW = 3.4028235677973366e38;
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * strconv.ParseFloat(literal, 32), as encoding/json does for a float32 field: the float32 nearest to the exact
 * decimal (ties to even), or undefined when that overflows (|x| >= FLOAT32_OVERFLOW: Go's "cannot unmarshal number
 * 1e39 ... of type float32"). Underflow is not an error: 1e-50 is 0. Going through the double (Number) is exact except
 * where that double sits exactly on a float32 tie or on the overflow threshold; there the decimal itself decides.
 */
export function parseGoFloat32(raw: string): number | undefined {
  const d = Number(raw);
  const a = Math.abs(d);
  if (a > FLOAT32_OVERFLOW) return undefined; // includes Infinity
  if (a === FLOAT32_OVERFLOW) return compareDecimal(raw, d) * Math.sign(d) >= 0 ? undefined : Math.sign(d) * FLOAT32_MAX;
  const f = Math.fround(d);
  if (f === d) return f;
  // The other float32 neighbour of d (one step away from f, toward d).
  f32[0] = f;
  u32[0] = Math.abs(d) > Math.abs(f) ? u32[0]! + 1 : u32[0]! - 1;
  const g = f32[0]!;
  if ((f + g) / 2 !== d) return f; // not a tie: the double rounding cannot have changed the answer
  const c = compareDecimal(raw, d) * Math.sign(d); // > 0: the decimal lies beyond d (away from zero)
  if (c === 0) return f; // a true tie: Math.fround already rounded to even
  const outer = Math.abs(f) > Math.abs(g) ? f : g;
  const inner = outer === f ? g : f;
  return c > 0 ? outer : inner;
}

/** Significant digits kept when comparing a literal exactly (Go's decimal keeps 800 and remembers truncation). */
const MAX_DIGITS = 800;

/**
 * Sign of (decimal literal - d), exactly, for a finite non-zero double d with the literal's sign (d = Number(raw)).
 */
function compareDecimal(raw: string, d: number): number {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(raw)!;
  const sign = m[1] === '-' ? -1 : 1;
  let digits = (m[2]! + (m[3] ?? '')).replace(/^0+/, '');
  let exp = Number(m[4] ?? '0') - (m[3]?.length ?? 0);
  // Magnitudes far apart need no arithmetic (d is within float32's range here: 1e-46 .. 4e38).
  if (digits === '' || digits.length + exp < -400) return -sign;
  if (digits.length + exp > 400) return sign;
  let sticky = false;
  if (digits.length > MAX_DIGITS) {
    sticky = /[1-9]/.test(digits.slice(MAX_DIGITS));
    exp += digits.length - MAX_DIGITS;
    digits = digits.slice(0, MAX_DIGITS);
  }
  // |d| = mant * 2^e2 exactly.
  f64[0] = Math.abs(d);
  const bits = u64[0]!;
  const bexp = Number(bits >> 52n);
  let mant = bits & ((1n << 52n) - 1n);
  let e2 = -1074;
  if (bexp !== 0) {
    mant |= 1n << 52n;
    e2 = bexp - 1075;
  }
  let lhs = BigInt(digits);
  let rhs = mant;
  if (exp >= 0) lhs *= 10n ** BigInt(exp);
  else rhs *= 10n ** BigInt(-exp);
  if (e2 >= 0) rhs <<= BigInt(e2);
  else lhs <<= BigInt(-e2);
  const c = lhs === rhs ? (sticky ? 1 : 0) : lhs > rhs ? 1 : -1; // |x| vs |d|
  return c * sign;
}

/**
 * Serialises a value the way json.Marshal would for the shapes this server emits: objects keep insertion order,
 * numbers that are float32 fields must be pre-formatted with `Raw`.
 */
export class Raw {
  constructor(readonly text: string) {}
}

export function marshal(v: unknown): string {
  if (v instanceof Raw) return v.text;
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return goString(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map(marshal).join(',')}]`;
  const parts: string[] = [];
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (val === undefined) continue;
    parts.push(`${goString(k)}:${marshal(val)}`);
  }
  return `{${parts.join(',')}}`;
}
