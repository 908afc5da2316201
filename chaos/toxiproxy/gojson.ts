/**
 * Go `encoding/json` behaviour that clients can observe, reproduced for the Toxiproxy API:
 *  - requests are read with ONE streaming decode: the first JSON value counts, trailing bytes are ignored, an empty
 *    body is `EOF`; numbers keep their literal text so integer fields can reject `1.5` and `1e3` as Go does;
 *  - responses escape `<`, `>`, `&` (and U+2028/2029) like json.Marshal, and float32 fields print their shortest
 *    float32 form (0.1 stays 0.1, not 0.10000000149011612).
 */

/** A JSON number with its source text (Go decides int-vs-float from the literal, not the value). */
export class GoNumber {
  constructor(readonly raw: string) {}
  get value(): number {
    return Number(this.raw);
  }
}

export type GoValue = null | boolean | string | GoNumber | GoValue[] | { [k: string]: GoValue };

export class GoSyntaxError extends Error {}

/** Decodes the first JSON value of `text` (Go's json.Decoder.Decode); throws GoSyntaxError with Go's wording. */
export function decodeFirst(text: string): GoValue {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  };
  const eof = (): never => {
    throw new GoSyntaxError(i === 0 || text.trim() === '' ? 'EOF' : 'unexpected EOF');
  };
  const bad = (ctx: string): never => {
    throw new GoSyntaxError(`invalid character ${quoteChar(text[i]!)} ${ctx}`);
  };
  const value = (): GoValue => {
    ws();
    if (i >= text.length) eof();
    const c = text[i]!;
    if (c === '{') {
      i++;
      const obj: Record<string, GoValue> = {};
      ws();
      if (i >= text.length) eof();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (i >= text.length) eof();
        if (text[i] !== '"') bad('looking for beginning of object key string');
        const k = str();
        ws();
        if (i >= text.length) eof();
        if (text[i] !== ':') bad('after object key');
        i++;
        obj[k] = value();
        ws();
        if (i >= text.length) eof();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        bad('after object key:value pair');
      }
    }
    if (c === '[') {
      i++;
      const arr: GoValue[] = [];
      ws();
      if (i >= text.length) eof();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value());
        ws();
        if (i >= text.length) eof();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        bad('after array element');
      }
    }
    if (c === '"') return str();
    for (const [lit, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return v;
      }
      if (lit.startsWith(text.slice(i)) && i < text.length) eof();
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (m && m[0] !== '-') {
      i += m[0].length;
      return new GoNumber(m[0]);
    }
    return bad('looking for beginning of value');
  };
  const str = (): string => {
    const start = i;
    i++;
    for (; i < text.length; i++) {
      const ch = text[i]!;
      if (ch === '\\') i++;
      else if (ch === '"') {
        i++;
        try {
          return JSON.parse(text.slice(start, i)) as string;
        } catch {
          throw new GoSyntaxError('invalid character in string literal');
        }
      }
    }
    return eof();
  };
  return value();
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
  if (!Number.isFinite(f)) return '0';
  for (let p = 1; p <= 9; p++) {
    const s = Number(f.toPrecision(p));
    if (Math.fround(s) === f) return goFloat(s);
  }
  return goFloat(f);
}

/** Go's 'g'-like float formatting for JSON: exponent form only below 1e-6 or at/above 1e21 (as JS does). */
function goFloat(n: number): string {
  if (Object.is(n, -0)) return '-0';
  const s = String(n);
  // Go writes exponents as e-07 / e+21; JS writes e-7 / e+21. Pad to two digits.
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
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
