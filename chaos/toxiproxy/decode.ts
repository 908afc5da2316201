/**
 * Decoding request bodies into Go-like structs: fields are matched by name (exact, else case-insensitive), `null`
 * leaves a field unchanged, unknown keys are ignored, and a type mismatch does not stop the decode (Go saves the
 * first UnmarshalTypeError and keeps going), so the fields around it are still set. Field types are checked with zod.
 */
import { z } from 'zod';
import { GoNumber, goTypeOf, type GoValue } from './gojson.ts';

export type FieldType = 'string' | 'bool' | 'float32' | 'int64' | 'int';

const INT_LITERAL = /^-?\d+$/;
const FIELD: Record<FieldType, z.ZodType> = {
  string: z.string(),
  bool: z.boolean(),
  float32: z.instanceof(GoNumber),
  // Go rejects 1.5 and 1e3 for integer fields: the literal must be an integer.
  int64: z.instanceof(GoNumber).refine((n) => INT_LITERAL.test(n.raw) && Number.isSafeInteger(n.value)),
  int: z.instanceof(GoNumber).refine((n) => INT_LITERAL.test(n.raw) && Number.isSafeInteger(n.value)),
};

function typeError(v: GoValue, where: string, type: string): string {
  const lit = v instanceof GoNumber && type !== 'string' && type !== 'bool' ? ` ${v.raw}` : '';
  return `json: cannot unmarshal ${goTypeOf(v)}${lit} into ${where} of type ${type}`;
}

export function isObject(v: GoValue): v is { [k: string]: GoValue } {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof GoNumber);
}

/**
 * Applies the keys of `obj` to `target` for the declared `fields`. Returns the first type error (Go wording) or
 * undefined. `struct` names the Go struct for messages, `prefix` the JSON path inside it (e.g. `attributes.`).
 */
export function decodeInto(
  target: Record<string, unknown>,
  fields: Readonly<Record<string, FieldType>>,
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
  for (const [key, v] of Object.entries(obj)) {
    const name = names.includes(key) ? key : names.find((n) => n.toLowerCase() === key.toLowerCase());
    if (name === undefined || v === null) continue;
    const type = fields[name]!;
    if (!FIELD[type].safeParse(v).success) {
      first ??= typeError(v, `Go struct field ${struct}.${prefix}${name}`, type);
      continue;
    }
    target[name] = v instanceof GoNumber ? (type === 'float32' ? Math.fround(v.value) : v.value) : v;
  }
  return first;
}

/** Case-insensitive lookup of one key, as Go's decoder matches struct fields. */
export function getField(obj: { [k: string]: GoValue }, name: string): GoValue | undefined {
  if (name in obj) return obj[name];
  let found: GoValue | undefined;
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === name.toLowerCase()) found = v;
  return found;
}
