/**
 * The toxics of one proxy (Toxiproxy's ToxicCollection): one ordered chain per direction, the Go decode/validation
 * order of create and update, and fan-out of every change to the proxy's live links.
 */
import { decodeInto, getField, isObject } from './decode.ts';
import { ApiError, Errors } from './errors.ts';
import { decodeFirst, float32String, GoSyntaxError, marshal, Raw, type GoValue } from './gojson.ts';
import type { Direction, Link, ToxicWrapper } from './link.ts';
import { TOXICS } from './toxics/index.ts';

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

/** The toxic object exactly as Toxiproxy emits it (key order, all attributes, float32 toxicity). */
export function toxicJson(t: ToxicWrapper): Record<string, unknown> {
  const attributes: Record<string, number> = {};
  for (const k of Object.keys(t.spec.fields)) attributes[k] = t.attributes[k] ?? 0;
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
    let err = decodeInto(
      top,
      { name: 'string', type: 'string', stream: 'string', toxicity: 'float32' },
      body,
      'ToxicWrapper',
      '',
      'toxics.ToxicWrapper',
    );
    // The first pass decodes `attributes` into a field-less noop struct: only its JSON kind is checked.
    if (!err && isObject(body)) {
      const raw = getField(body, 'attributes');
      if (raw !== undefined && raw !== null && !isObject(raw)) {
        err = `json: cannot unmarshal ${Array.isArray(raw) ? 'array' : typeof raw === 'string' ? 'string' : typeof raw === 'boolean' ? 'bool' : 'number'} into Go struct field ToxicWrapper.attributes of type toxics.NoopToxic`;
      }
    }
    if (err) throw Errors.badRequestBody(err);
    const stream = top.stream as string;
    const direction = parseDirection(stream);
    if (!direction) throw Errors.invalidStream();
    const type = top.type as string;
    const name = (top.name as string) || `${type}_${stream}`;
    const spec = TOXICS.get(type);
    if (!spec) throw Errors.invalidToxicType();
    if (this.find(name)) throw Errors.toxicAlreadyExists();
    const attributes: Record<string, number> = {};
    for (const k of Object.keys(spec.fields)) attributes[k] = 0;
    const raw = isObject(body) ? getField(body, 'attributes') : undefined;
    const aerr = decodeInto(attributes, spec.fields, raw ?? null, spec.goStruct, 'attributes.', `toxics.${spec.goStruct}`);
    if (aerr) throw Errors.badRequestBody(aerr);
    const bad = spec.check?.(attributes);
    if (bad) throw Errors.invalidAttributes(bad);
    // A name taken meanwhile (two concurrent creates) would break the uniqueness the API promises.
    if (this.find(name)) throw Errors.toxicAlreadyExists();
    const w: ToxicWrapper = { name, type, stream, direction, toxicity: top.toxicity as number, attributes, spec };
    this.chain[direction].push(w);
    await Promise.all(this.proxy.links(direction).map((l) => l.addToxic(w)));
    return w;
  }

  /** POST/PATCH /proxies/{p}/toxics/{t}: only `attributes` (partial) and `toxicity` change. */
  async update(name: string, text: string): Promise<ToxicWrapper> {
    const w = this.get(name);
    const body = parseBody(text);
    const next = { ...w.attributes };
    const top: Record<string, unknown> = { toxicity: w.toxicity };
    // Go decodes into an anonymous struct, hence `Go struct field .toxicity` in its messages.
    let err = decodeInto(top, { toxicity: 'float32' }, body, '', '', 'struct { Attributes interface {}; Toxicity float32 }');
    const raw = isObject(body) ? getField(body, 'attributes') : undefined;
    const aerr = decodeInto(next, w.spec.fields, raw ?? null, w.spec.goStruct, 'attributes.', `toxics.${w.spec.goStruct}`);
    err ??= aerr;
    if (err) {
      // Go decodes straight into the live toxic: fields decoded before the error stay changed, nothing restarts.
      if (!w.spec.check?.(next)) Object.assign(w.attributes, next);
      throw Errors.badRequestBody(err);
    }
    const bad = w.spec.check?.(next);
    if (bad) throw Errors.invalidAttributes(bad);
    Object.assign(w.attributes, next);
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

export { ApiError };
