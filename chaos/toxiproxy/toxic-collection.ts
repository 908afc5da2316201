/**
 * The toxics of one proxy (Toxiproxy's ToxicCollection): one ordered chain per direction, the Go decode/validation
 * order of create and update, and fan-out of every change to the proxy's live links.
 */
import { decodeInto, isObject, typeError, type FieldDecoder } from './decode.ts';
import { ApiError, Errors } from './errors.ts';
import { decodeFirst, float32String, goIntString, GoSyntaxError, int64ToNumber, marshal, Raw, type GoValue } from './gojson.ts';
import type { Direction, Link, ToxicWrapper } from './link.ts';
import { TOXICS, type ToxicSpec } from './toxics/index.ts';

export interface LinkSource {
  links(direction: Direction): Link[];
}

export function parseBody(text: string): GoValue {
  try {
    return decodeFirst(text);
  } catch (err) {
    if (err instanceof GoSyntaxError) throw Errors.badRequestBody(err.message);
    throw err;
  }
}

export function parseDirection(stream: string): Direction | undefined {
  const s = stream.toLowerCase();
  return s === 'upstream' || s === 'downstream' ? s : undefined;
}

/**
 * The toxic object exactly as Toxiproxy emits it (key order, all attributes, float32 toxicity). Every number is the
 * value the toxic's stages compute with: integers with all their digits (never an exponent), toxicity as float32.
 */
export function toxicJson(t: ToxicWrapper): Record<string, unknown> {
  const attributes: Record<string, Raw> = {};
  for (const k of Object.keys(t.spec.fields)) attributes[k] = new Raw(goIntString(t.attributes[k] ?? 0));
  return {
    attributes,
    name: t.name,
    type: t.type,
    stream: t.stream,
    toxicity: new Raw(float32String(t.toxicity)),
  };
}

export class ToxicCollection {
  readonly chain: Record<Direction, ToxicWrapper[]> = { upstream: [], downstream: [] };

  constructor(private readonly proxy: LinkSource) {}

  list(): ToxicWrapper[] {
    return [...this.chain.upstream, ...this.chain.downstream];
  }

  find(name: string): ToxicWrapper | undefined {
    return this.chain.upstream.find((t) => t.name === name) ?? this.chain.downstream.find((t) => t.name === name);
  }

  get(name: string): ToxicWrapper {
    const t = this.find(name);
    if (!t) throw Errors.toxicNotFound();
    return t;
  }

  /** POST /proxies/{p}/toxics, in Toxiproxy's validation order. */
  async add(text: string): Promise<ToxicWrapper> {
    const body = parseBody(text);
    const top: Record<string, unknown> = { name: '', type: '', stream: 'downstream', toxicity: 1 };
    // First pass: `attributes` lands in the wrapper's Toxic interface, which holds a field-less *NoopToxic, so only
    // its JSON kind is checked; a `null` empties the interface and any later non-null value cannot be stored in it.
    let held: 'noop' | 'nil' = 'noop';
    const kindOnly: FieldDecoder = (v) => {
      if (v === null) held = 'nil';
      else if (held === 'nil' || !isObject(v)) {
        return typeError(v, 'Go struct field ToxicWrapper.attributes', held === 'nil' ? 'toxics.Toxic' : 'toxics.NoopToxic');
      }
      return undefined;
    };
    const err = decodeInto(
      top,
      { name: 'string', type: 'string', stream: 'string', toxicity: 'float32', attributes: kindOnly },
      body,
      'ToxicWrapper',
      '',
      'toxics.ToxicWrapper',
    );
    if (err) throw Errors.badRequestBody(err);
    const stream = top.stream as string;
    const direction = parseDirection(stream);
    if (!direction) throw Errors.invalidStream();
    const type = top.type as string;
    const name = (top.name as string) || `${type}_${stream}`;
    const spec = TOXICS.get(type);
    if (!spec) throw Errors.invalidToxicType();
    if (this.find(name)) throw Errors.toxicAlreadyExists();
    // Second pass: the attributes into the typed toxic (all zero to start).
    const exact: Record<string, bigint> = {};
    for (const k of Object.keys(spec.fields)) exact[k] = 0n;
    const aerr = decodeInto({}, { attributes: typedAttributes(spec, exact) }, body, '');
    if (aerr) throw Errors.badRequestBody(aerr);
    const bad = spec.check?.(exact);
    if (bad) throw Errors.invalidAttributes(bad);
    // A name taken meanwhile (two concurrent creates) would break the uniqueness the API promises.
    if (this.find(name)) throw Errors.toxicAlreadyExists();
    const w: ToxicWrapper = { name, type, stream, direction, toxicity: top.toxicity as number, attributes: toNumbers(exact), spec };
    this.chain[direction].push(w);
    await Promise.all(this.proxy.links(direction).map((l) => l.addToxic(w)));
    return w;
  }

  /** POST/PATCH /proxies/{p}/toxics/{t}: only `attributes` (partial) and `toxicity` change. */
  async update(name: string, text: string): Promise<ToxicWrapper> {
    const w = this.get(name);
    const body = parseBody(text);
    const exact: Record<string, bigint> = {};
    for (const k of Object.keys(w.spec.fields)) exact[k] = BigInt(w.attributes[k] ?? 0);
    const top: Record<string, unknown> = { toxicity: w.toxicity };
    // Go decodes into an anonymous struct, hence `Go struct field .toxicity` in its messages.
    const err = decodeInto(
      top,
      { toxicity: 'float32', attributes: typedAttributes(w.spec, exact) },
      body,
      '',
      '',
      'struct { Attributes interface {}; Toxicity float32 }',
    );
    const bad = w.spec.check?.(exact);
    if (err) {
      // Go decodes straight into the live toxic: fields decoded before the error stay changed, nothing restarts.
      if (!bad) Object.assign(w.attributes, toNumbers(exact));
      throw Errors.badRequestBody(err);
    }
    if (bad) throw Errors.invalidAttributes(bad);
    Object.assign(w.attributes, toNumbers(exact));
    w.toxicity = top.toxicity as number;
    await Promise.all(this.proxy.links(w.direction).map((l) => l.updateToxic(w)));
    return w;
  }

  async remove(name: string): Promise<void> {
    const w = this.get(name);
    const chain = this.chain[w.direction];
    chain.splice(chain.indexOf(w), 1);
    await Promise.all(this.proxy.links(w.direction).map((l) => l.removeToxic(w)));
  }

  /** /reset: every toxic removed from every live link (a timeout toxic closes its links on removal). */
  async removeAll(): Promise<void> {
    for (const w of this.list()) await this.remove(w.name);
  }

  json(): string {
    return marshal(this.list().map(toxicJson));
  }
}

/**
 * Decodes `attributes` values into the typed toxic `exact`, as Go does through an anonymous struct's `Attributes
 * interface{}` holding the toxic's pointer (hence `Go struct field .attributes` in its messages): each object in
 * document order is decoded into it; `null` empties the interface, so later values go nowhere.
 */
function typedAttributes(spec: ToxicSpec, exact: Record<string, bigint>): FieldDecoder {
  let held = true;
  return (v) => {
    if (v === null) held = false;
    if (!held || v === null) return undefined;
    if (!isObject(v)) return typeError(v, 'Go struct field .attributes', `toxics.${spec.goStruct}`);
    return decodeInto(exact, spec.fields, v, spec.goStruct, 'attributes.', `toxics.${spec.goStruct}`);
  };
}

/** The decoded attributes as the numbers the stages use (exact to 2^53, then rounded toward zero). */
function toNumbers(exact: Record<string, bigint>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(exact)) out[k] = int64ToNumber(v);
  return out;
}

export { ApiError };
