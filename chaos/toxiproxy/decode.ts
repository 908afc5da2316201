/**
 * Decoding request bodies into Go-like structs, as encoding/json does: the object's key/value pairs are applied in
 * document order (a duplicate key decodes again), a key matches a field by exact name, else case-insensitively with
 * Unicode simple folding (`ſ` matches `s`, the Kelvin sign `k`), `null` leaves a field unchanged, unknown keys are
 * ignored, and a type mismatch does not stop the decode (Go saves the first UnmarshalTypeError and keeps going), so
 * the fields around it are still set. Numbers follow strconv: int/int64 fields take only integer literals within
 * [-2^63, 2^63-1] (stored as bigint, exact); float32 fields take any literal whose float32 rounding does not overflow.
 */
import { GoNumber, GoObject, goTypeOf, parseGoFloat32, parseGoInt64, type GoValue } from './gojson.ts';

export type FieldType = 'string' | 'bool' | 'float32' | 'int64' | 'int';

/**
 * A field decoded by custom code (an interface-typed field such as a toxic's `attributes`): gets every value for the
 * field in document order, `null` included, and returns a Go error text or undefined.
 */
export type FieldDecoder = (v: GoValue) => string | undefined;

const NO_VALUE = Symbol('no value');

/** The decoded value for a field of `type`, or NO_VALUE when Go would report an UnmarshalTypeError. */
function scalar(type: FieldType, v: GoValue): unknown {
  switch (type) {
    case 'string':
      return typeof v === 'string' ? v : NO_VALUE;
    case 'bool':
      return typeof v === 'boolean' ? v : NO_VALUE;
    case 'float32':
      return v instanceof GoNumber ? (parseGoFloat32(v.raw) ?? NO_VALUE) : NO_VALUE;
    case 'int64':
    case 'int':
      return v instanceof GoNumber ? (parseGoInt64(v.raw) ?? NO_VALUE) : NO_VALUE;
  }
}

/**
 * Go's "cannot unmarshal" text. A number names its literal only when the target is numeric (`number 1e39 ... of type
 * float32`: strconv refused it); into a string, bool or struct it is just `number`.
 */
export function typeError(v: GoValue, where: string, type: string): string {
  const lit = v instanceof GoNumber && (type === 'int64' || type === 'int' || type === 'float32') ? ` ${v.raw}` : '';
  return `json: cannot unmarshal ${goTypeOf(v)}${lit} into ${where} of type ${type}`;
}

export function isObject(v: GoValue): v is GoObject {
  return v instanceof GoObject;
}

/** encoding/json's foldName for the ASCII field names used here: a-z upper-cased, `ſ` → S, Kelvin sign → K. */
function foldName(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c >= 0x61 && c <= 0x7a) out += String.fromCharCode(c - 0x20);
    else if (c === 0x17f) out += 'S';
    else if (c === 0x212a) out += 'K';
    else out += ch;
  }
  return out;
}

/** The field a key decodes into: the exact name if there is one, else the case-folded match (Go 1.21+). */
export function matchField(key: string, names: readonly string[]): string | undefined {
  if (names.includes(key)) return key;
  // A folded match is as long as the field name (ASCII, or ſ/K for s/k, which are one UTF-16 unit too).
  if (!names.some((n) => n.length === key.length)) return undefined;
  const folded = foldName(key);
  return names.find((n) => n.length === key.length && foldName(n) === folded);
}

/**
 * Applies the pairs of `obj` to `target` for the declared `fields`. Returns the first type error (Go wording) or
 * undefined. `struct` names the Go struct for messages, `prefix` the JSON path inside it (e.g. `attributes.`),
 * `goValueType` the type named when `obj` itself is not an object.
 */
export function decodeInto(
  target: Record<string, unknown>,
  fields: Readonly<Record<string, FieldType | FieldDecoder>>,
  obj: GoValue,
  struct: string,
  prefix = '',
  goValueType = struct,
): string | undefined {
  if (obj === null) return undefined;
  if (!isObject(obj)) {
    return prefix
      ? typeError(obj, `Go struct field ${struct}.${prefix.slice(0, -1)}`, goValueType)
      : typeError(obj, 'Go value', goValueType);
  }
  const names = Object.keys(fields);
  let first: string | undefined;
  for (const [key, v] of obj.entries) {
    const name = matchField(key, names);
    if (name === undefined) continue;
    const type = fields[name]!;
    if (typeof type === 'function') {
      first ??= type(v);
      continue;
    }
    if (v === null) continue;
    const value = scalar(type, v);
    if (value === NO_VALUE) {
      first ??= typeError(v, `Go struct field ${struct}.${prefix}${name}`, type);
      continue;
    }
    target[name] = value;
  }
  return first;
}
