/**
 * Fuzzing the embedded Toxiproxy's API over HTTP: toxic create/update bodies with every attribute of every toxic type
 * set to arbitrary JSON (fc.jsonValue, integers past int64, floats past float32, deep nesting, wrong types), unicode
 * and case-folded keys, duplicates; proxy create/update/populate bodies; and whole bodies of garbage. Properties:
 *  - the answer is 2xx or 4xx in Toxiproxy's `{"error","status"}` shape, never a 5xx (the one exception: the 500 Go
 *    itself gives for a listen address it cannot resolve or bind, with Go's text);
 *  - a rejected toxic create changes nothing;
 *  - after a 2xx (and after any update, since Go keeps attributes decoded before an error), GET returns the toxic
 *    byte for byte as POST did, its numbers are finite and within Go's int64 / float32 ranges, and they are exactly
 *    what the live toxic (the object every link stage reads) holds;
 *  - the server stays up.
 * Set FC_SEED to replay a run.
 */
import net from 'node:net';
import { once } from 'node:events';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startToxiproxy, type ToxiproxyServer } from '../../chaos/toxiproxy/server.ts';
import { float32String } from '../../chaos/toxiproxy/gojson.ts';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
console.log('fast-check seed', seed);
const NUM_RUNS = 200;

const TYPES: Record<string, string[]> = {
  latency: ['latency', 'jitter'],
  bandwidth: ['rate'],
  slow_close: ['delay'],
  timeout: ['timeout'],
  reset_peer: ['timeout'],
  slicer: ['average_size', 'size_variation', 'delay'],
  limit_data: ['bytes'],
  noop: [],
};
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const FLOAT32_MAX = 3.4028234663852886e38;

let srv: ToxiproxyServer;
let busy: net.Server;
let busyAddr = '';

beforeAll(async () => {
  srv = await startToxiproxy({ port: 0, seed: seed >>> 0 });
  busy = net.createServer().listen(0, '127.0.0.1');
  await once(busy, 'listening');
  busyAddr = `127.0.0.1:${(busy.address() as net.AddressInfo).port}`;
  const r = await send('POST', '/proxies', '{"name":"fz","listen":"127.0.0.1:0","upstream":"127.0.0.1:1"}');
  expect(r.status).toBe(201);
});
afterAll(async () => {
  await srv.close();
  await new Promise<void>((r) => busy.close(() => r()));
});

async function send(method: string, path: string, body?: string) {
  const res = await fetch(srv.url + path, { method, body });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

// ------------------------------------------------------------------------------------------------- JSON text

/** A JSON fragment written verbatim (numbers JS cannot hold, nesting JSON.stringify would recurse on). */
class Lit {
  constructor(readonly text: string) {}
}
/** An object as ordered pairs: duplicate keys and `__proto__` survive. */
class Obj {
  constructor(readonly entries: [string, unknown][]) {}
}

function toJson(v: unknown): string {
  if (v instanceof Lit) return v.text;
  if (v instanceof Obj) return `{${v.entries.map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`).join(',')}}`;
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  if (v !== null && typeof v === 'object') return toJson(new Obj(Object.entries(v)));
  return JSON.stringify(v) ?? 'null';
}

// ------------------------------------------------------------------------------------------------- arbitraries

const numberLiteral: fc.Arbitrary<Lit> = fc.oneof(
  fc.constantFrom(
    '9223372036854775807', '9223372036854775808', '-9223372036854775808', '-9223372036854775809', '9007199254740993',
    '4611686018427387903', '4611686018427387904', '92233720368547758', '92233720368547759', '1e39', '-1e39',
    '3.4028235e38', '340282356779733661637539395458142568448', '340282356779733661637539395458142568447', '1e-50',
    '1e400', '-0', '1.5', '1e3', '1.0', '0', '1', '-1', '0.5', '1' + '0'.repeat(400),
  ).map((t) => new Lit(t)),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((b) => new Lit(b.toString())),
  fc.integer({ min: -1000, max: 100_000 }).map((n) => new Lit(String(n))),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => new Lit(JSON.stringify(d))),
  fc.tuple(fc.integer({ min: -99999, max: 99999 }), fc.integer({ min: -400, max: 400 })).map(([m, e]) => new Lit(`${m}e${e}`)),
);

/** Balanced nesting around either side of Go's 10,000-level limit. */
const deep: fc.Arbitrary<Lit> = fc
  .tuple(fc.constantFrom(1, 100, 9_999, 10_000, 10_001, 20_000), fc.boolean())
  .map(([n, arr]) => new Lit(arr ? '['.repeat(n) + ']'.repeat(n) : '{"a":'.repeat(n) + '0' + '}'.repeat(n)));

const anyString = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.constantFrom('__proto__', 'constructor', ''));

/** Any JSON value, weighted toward the troublesome ones. */
const wild: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 4, arbitrary: numberLiteral },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: anyString },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}) },
);

/** The key itself, or a spelling Go also matches (case, ſ for s, Kelvin sign for k). */
const spelling = (key: string): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(key) },
    { weight: 1, arbitrary: fc.constant(key.toUpperCase()) },
    { weight: 1, arbitrary: fc.constant(key.replace(/s/g, '\u017f').replace(/k/g, '\u212a')) },
  );

/** Extra keys: random unicode text (filtered so it cannot fold onto a real field by accident). */
const REAL = new Set(['name', 'type', 'stream', 'toxicity', 'attributes', 'listen', 'upstream', 'enabled', ...Object.values(TYPES).flat()]);
const extraKey = anyString.filter((k) => !REAL.has(k.toLowerCase().replace(/\u017f/g, 's').replace(/\u212a/g, 'k')));

/** An object from fields (each present or not, spelled variously, valued by its arbitrary) plus extra and duplicate keys. */
function object(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Obj> {
  const present = Object.entries(fields).map(([k, a]) => fc.option(fc.tuple(spelling(k), a), { nil: undefined, freq: 4 }));
  return fc
    .tuple(fc.tuple(...present), fc.array(fc.tuple(extraKey, wild), { maxLength: 2 }), fc.boolean(), fc.integer({ min: 0, max: 9 }))
    .map(([fs, extra, dup, at]) => {
      const entries = fs.filter((e): e is [string, unknown] => e !== undefined);
      if (dup && entries.length > 0) entries.push(entries[at % entries.length]!);
      entries.splice(at % (entries.length + 1), 0, ...extra);
      return new Obj(entries);
    });
}

/** A value for an attribute: sensible integers (so many creates succeed), number literals of every kind, anything. */
const attrValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 50 }).map((n) => new Lit(String(n))) },
  { weight: 3, arbitrary: numberLiteral },
  { weight: 1, arbitrary: wild },
);

const attributesFor = (type: string): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 8, arbitrary: object(Object.fromEntries((TYPES[type] ?? []).map((f) => [f, attrValue]))) }, { weight: 1, arbitrary: wild });

const toxicType = fc.oneof({ weight: 16, arbitrary: fc.constantFrom(...Object.keys(TYPES)) }, { weight: 1, arbitrary: fc.constantFrom('down', '', 'LATENCY') });

const toxicBody: fc.Arbitrary<Obj> = toxicType.chain((type) =>
  object({
    type: fc.oneof({ weight: 19, arbitrary: fc.constant(type) }, { weight: 1, arbitrary: wild }),
    name: fc.oneof({ weight: 3, arbitrary: fc.string({ maxLength: 12 }) }, { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) }, { weight: 1, arbitrary: wild }),
    stream: fc.oneof({ weight: 5, arbitrary: fc.constantFrom('upstream', 'downstream', 'UPSTREAM', '') }, { weight: 1, arbitrary: wild }),
    toxicity: fc.oneof({ weight: 3, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) }, { weight: 3, arbitrary: numberLiteral }, { weight: 1, arbitrary: wild }),
    attributes: attributesFor(Object.keys(TYPES).includes(type) ? type : 'latency'),
  }),
);

/** Whole bodies that are not a JSON object: garbage text, cut-off nesting, scalars. */
const garbageBody: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 50 }),
  fc.constantFrom(1, 5_000, 10_001, 100_000).map((n) => '['.repeat(n)),
  fc.constantFrom(1, 5_000, 10_001, 100_000).map((n) => '{"a":'.repeat(n)),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
  wild.map(toJson),
);

// Listen values never name a host that needs DNS; the 500s they can cause are Go's own.
const listen = fc.oneof(
  fc.constantFrom('127.0.0.1:0', 'localhost:0', '', 'nocolon', '1:2:3', '127.0.0.1:99999', '127.0.0.1:x', '[::1'),
  fc.constant('BUSY'),
  wild.filter((v) => typeof v !== 'string'),
);
const proxyBody = object({
  name: fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), wild),
  listen,
  upstream: fc.oneof(fc.string({ maxLength: 20 }), wild),
  enabled: fc.oneof(fc.boolean(), wild),
});
const proxyJson = (o: Obj): string => toJson(o).replace('"BUSY"', JSON.stringify(busyAddr));

// ------------------------------------------------------------------------------------------------- checks

/** A 4xx is Toxiproxy's error body with the same status. */
function expectApiError(r: { status: number; text: string }, populate = false): void {
  const j = JSON.parse(r.text) as { error: unknown; status: unknown; proxies?: unknown };
  expect(typeof j.error).toBe('string');
  expect(j.status).toBe(r.status);
  if (populate) expect(j).toHaveProperty('proxies');
}

/** Never a 5xx, except Go's own 500 for a listen address it cannot use. */
function expectNo5xx(r: { status: number; text: string }, listenErrorsAllowed = false): void {
  if (r.status >= 500 && listenErrorsAllowed) {
    expect(r.status).toBe(500);
    expect(JSON.parse(r.text).error).toMatch(/^(listen tcp |address )/);
    return;
  }
  expect(r.status, r.text.slice(0, 300)).toBeLessThan(500);
}

/** The raw text of every attribute value in a toxic JSON (numbers past 2^53 must not go through JSON.parse). */
function rawNumbers(text: string): { attributes: Record<string, string>; toxicity: string } {
  const m = /^\{"attributes":\{([^}]*)\},.*"toxicity":([^,}]+)\}$/s.exec(text);
  expect(m, text).not.toBeNull();
  const inner = m![1]!;
  const attributes = Object.fromEntries(inner === '' ? [] : inner.split(',').map((kv) => kv.split(':') as [string, string]).map(([k, v]) => [JSON.parse(k) as string, v]));
  return { attributes, toxicity: m![2]! };
}

/** GET agrees with `posted` byte for byte, numbers are in Go's ranges, and the live toxic holds exactly them. */
async function expectStoredIsApplied(posted: string): Promise<void> {
  const t = JSON.parse(posted) as { name: string; type: string };
  const list = await send('GET', '/proxies/fz/toxics');
  expect(list.text).toContain(posted);
  if (t.name !== '.' && t.name !== '..') {
    const one = await send('GET', `/proxies/fz/toxics/${encodeURIComponent(t.name)}`);
    expect(one.text).toBe(posted);
  }
  const { attributes, toxicity } = rawNumbers(posted);
  expect(Object.keys(attributes)).toEqual(TYPES[t.type]);
  const w = srv.proxies.get('fz').toxics.get(t.name);
  for (const [k, v] of Object.entries(attributes)) {
    expect(v).toMatch(/^-?\d+$/);
    const b = BigInt(v);
    expect(b >= INT64_MIN && b <= INT64_MAX, `${k}=${v}`).toBe(true);
    expect(Number.isFinite(w.attributes[k])).toBe(true);
    expect(BigInt(w.attributes[k]!), k).toBe(b);
  }
  // The text is the shortest decimal that reads back as the float32 the toxic draws against.
  const x = Number(toxicity);
  expect(Number.isFinite(x) && Math.abs(Math.fround(x)) <= FLOAT32_MAX, toxicity).toBe(true);
  expect(Math.fround(x)).toBe(w.toxicity);
  expect(float32String(w.toxicity)).toBe(toxicity);
}

async function clearToxics(): Promise<void> {
  await srv.proxies.get('fz').toxics.removeAll();
}

async function expectAlive(): Promise<void> {
  expect((await send('GET', '/version')).status).toBe(200);
}

// ------------------------------------------------------------------------------------------------- properties

describe('Toxiproxy API under random bodies', () => {
  it('toxic create: 200 or a 4xx; a 4xx adds nothing; a 200 reads back identical and in range', async () => {
    let created = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 5, arbitrary: toxicBody.map(toJson) }, { weight: 1, arbitrary: garbageBody }), async (body) => {
        try {
          const before = (await send('GET', '/proxies/fz/toxics')).text;
          const r = await send('POST', '/proxies/fz/toxics', body);
          if (process.env.FUZZ_TRACE) console.log('create', r.status, r.text.slice(0, 160));
          expectNo5xx(r);
          if (r.status === 200) {
            created++;
            await expectStoredIsApplied(r.text);
          } else {
            expectApiError(r);
            expect((await send('GET', '/proxies/fz/toxics')).text).toBe(before);
          }
          await expectAlive();
        } finally {
          await clearToxics();
        }
      }),
      { seed, numRuns: NUM_RUNS },
    );
    expect(created).toBeGreaterThan(0);
  }, 180_000);

  it('toxic update: 200 or a 4xx; either way GET and the live toxic agree and stay in range', async () => {
    const updateBody = fc.constantFrom(...Object.keys(TYPES)).chain((type) =>
      fc.tuple(
        fc.constant(type),
        fc.oneof(
          { weight: 5, arbitrary: object({ attributes: attributesFor(type), toxicity: fc.oneof(numberLiteral, wild) }).map(toJson) },
          { weight: 1, arbitrary: garbageBody },
        ),
        fc.constantFrom('POST', 'PATCH'),
      ),
    );
    let updated = 0;
    await fc.assert(
      fc.asyncProperty(updateBody, async ([type, body, method]) => {
        try {
          const c = await send('POST', '/proxies/fz/toxics', JSON.stringify({ type, name: 't', attributes: Object.fromEntries(TYPES[type]!.map((f) => [f, 10])) }));
          expect(c.status).toBe(200);
          const r = await send(method, '/proxies/fz/toxics/t', body);
          if (process.env.FUZZ_TRACE) console.log('update', r.status, r.text.slice(0, 160));
          expectNo5xx(r);
          if (r.status === 200) updated++;
          else expectApiError(r);
          const now = await send('GET', '/proxies/fz/toxics/t');
          if (r.status === 200) expect(now.text).toBe(r.text);
          await expectStoredIsApplied(now.text);
          await expectAlive();
        } finally {
          await clearToxics();
        }
      }),
      { seed, numRuns: NUM_RUNS },
    );
    expect(updated).toBeGreaterThan(0);
  }, 180_000);

  it('proxy create, update and populate: 2xx or a 4xx (or Go\'s own listen 500), the server stays up', async () => {
    const op = fc.oneof(
      fc.tuple(fc.constant('create' as const), fc.oneof({ weight: 4, arbitrary: proxyBody.map(proxyJson) }, { weight: 1, arbitrary: garbageBody })),
      fc.tuple(fc.constant('update' as const), fc.oneof({ weight: 4, arbitrary: proxyBody.map(proxyJson) }, { weight: 1, arbitrary: garbageBody })),
      fc.tuple(
        fc.constant('populate' as const),
        fc.oneof({ weight: 4, arbitrary: fc.array(proxyBody, { maxLength: 3 }).map((xs) => `[${xs.map(proxyJson).join(',')}]`) }, { weight: 1, arbitrary: garbageBody }),
      ),
    );
    await fc.assert(
      fc.asyncProperty(op, async ([kind, body]) => {
        try {
          if (kind === 'update') expect((await send('POST', '/proxies', '{"name":"up","upstream":"x:1","enabled":false}')).status).toBe(201);
          const r =
            kind === 'create' ? await send('POST', '/proxies', body) : kind === 'update' ? await send('POST', '/proxies/up', body) : await send('POST', '/populate', body);
          if (process.env.FUZZ_TRACE) console.log(kind, r.status, r.text.slice(0, 160));
          expectNo5xx(r, true);
          if (r.status >= 400) expectApiError(r, kind === 'populate');
          else if (r.status === 201 && kind === 'create') {
            const p = JSON.parse(r.text) as { name: string };
            expect(srv.proxies.get(p.name).toString()).toBe(r.text);
          }
          await expectAlive();
        } finally {
          for (const p of srv.proxies.all()) if (p.name !== 'fz') await srv.proxies.remove(p.name);
        }
      }),
      { seed, numRuns: NUM_RUNS },
    );
  }, 180_000);

  it('the fault proxy still proxies after the fuzzing', async () => {
    const echo = net.createServer((s) => s.pipe(s)).listen(0, '127.0.0.1');
    await once(echo, 'listening');
    const port = (echo.address() as net.AddressInfo).port;
    const r = await send('POST', '/proxies', JSON.stringify({ name: 'after', listen: '127.0.0.1:0', upstream: `127.0.0.1:${port}` }));
    expect(r.status).toBe(201);
    const listenPort = Number((JSON.parse(r.text) as { listen: string }).listen.split(':')[1]);
    const c = net.connect(listenPort, '127.0.0.1');
    await once(c, 'connect');
    c.write('ping');
    const [data] = (await once(c, 'data')) as [Buffer];
    expect(data.toString()).toBe('ping');
    c.destroy();
    await new Promise<void>((res) => echo.close(() => res()));
  });
});
