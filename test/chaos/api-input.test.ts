/**
 * Hostile request bodies against the embedded Toxiproxy, over HTTP: deep nesting, numbers outside Go's types,
 * duplicate and case-folded keys, oversized and trickled bodies. Every answer is Toxiproxy's (a 4xx with its
 * `{"error","status"}` body, never a 500), and whatever the API reports for a toxic is what its stages apply.
 */
import net from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startToxiproxy, type ToxiproxyServer } from '../../chaos/toxiproxy/server.ts';
import { float32String } from '../../chaos/toxiproxy/gojson.ts';
import { BODY_LIMIT } from '../../chaos/toxiproxy/api.ts';
import { startEnv, type Env } from './helpers.ts';

let env: Env;
let url: string;

beforeAll(async () => {
  env = await startEnv(11);
  url = env.server.url;
});
afterAll(async () => {
  await env.close();
});

async function req(method: string, path: string, body?: string) {
  const res = await fetch(url + path, { method, body });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type'), headers: res.headers };
}

const errBody = (msg: string, status: number) => `${JSON.stringify({ error: msg, status })}\n`;

/** The live toxic (what the link stages read) of proxy `p`. */
function live(p: string, t: string) {
  return env.server.proxies.get(p).toxics.get(t);
}

/** The raw text of every attribute value in a toxic JSON (numbers beyond 2^53 must not go through JSON.parse). */
function rawAttributes(text: string): Record<string, string> {
  const inner = /^\{"attributes":\{([^}]*)\}/.exec(text)![1]!;
  return Object.fromEntries(inner === '' ? [] : inner.split(',').map((kv) => kv.split(':') as [string, string]).map(([k, v]) => [JSON.parse(k) as string, v]));
}

/** POST text == GET text, and the reported numbers are exactly the live toxic's. */
async function expectReportedIsApplied(p: string, posted: string): Promise<void> {
  const t = JSON.parse(posted) as { name: string };
  const got = await req('GET', `/proxies/${p}/toxics/${encodeURIComponent(t.name)}`);
  expect(got.text).toBe(posted);
  const w = live(p, t.name);
  for (const [k, v] of Object.entries(rawAttributes(posted))) expect(BigInt(w.attributes[k]!), k).toBe(BigInt(v));
  expect(posted).toContain(`"toxicity":${float32String(w.toxicity)}}`);
  expect(Math.fround(w.toxicity)).toBe(w.toxicity);
}

describe('deeply nested bodies', () => {
  it('are a 400 with Go\'s text on every endpoint that reads a body, never a stack overflow', async () => {
    expect((await req('POST', '/proxies', '{"name":"n1","upstream":"x:1","enabled":false}')).status).toBe(201);
    expect((await req('POST', '/proxies/n1/toxics', '{"type":"noop"}')).status).toBe(200);
    const cases: [string, string][] = [
      ['['.repeat(5000), 'bad request body: unexpected EOF'],
      ['{"a":'.repeat(5000), 'bad request body: unexpected EOF'],
      ['['.repeat(100_000), "bad request body: invalid character '[' exceeded max depth"],
      ['{"a":'.repeat(100_000), "bad request body: invalid character '{' exceeded max depth"],
      // Go's scanner allows 10,000 levels and refuses the 10,001st.
      ['['.repeat(10_001) + ']'.repeat(10_001), "bad request body: invalid character '[' exceeded max depth"],
      [`{"type":"latency","attributes":{"latency":${'['.repeat(100_000)}`, "bad request body: invalid character '[' exceeded max depth"],
    ];
    const paths = ['/proxies', '/proxies/n1', '/proxies/n1/toxics', '/proxies/n1/toxics/noop_downstream'];
    for (const [body, error] of cases) {
      for (const path of paths) {
        const r = await req('POST', path, body);
        expect([path, r.status, r.text]).toEqual([path, 400, errBody(error, 400)]);
      }
      const r = await req('POST', '/populate', body);
      expect([r.status, r.type, r.text]).toEqual([400, 'application/json', JSON.stringify({ error, status: 400, proxies: null })]);
    }
    // 10,000 levels parse; the body is then the wrong type, as in Go.
    const ok = await req('POST', '/proxies', '['.repeat(10_000) + ']'.repeat(10_000));
    expect(ok.text).toBe(errBody('bad request body: json: cannot unmarshal array into Go value of type toxiproxy.Proxy', 400));
    expect((await req('GET', '/version')).status).toBe(200);
    await req('DELETE', '/proxies/n1');
  });
});

describe('numbers outside Go\'s types', () => {
  beforeAll(async () => {
    expect((await req('POST', '/proxies', '{"name":"num","upstream":"x:1","enabled":false}')).status).toBe(201);
  });
  afterAll(async () => {
    await req('DELETE', '/proxies/num');
  });

  it('toxicity must fit a float32: 1e39 is a 400 (create and update), as in Go', async () => {
    const T = '340282356779733661637539395458142568448'; // halfway to 2^128: ParseFloat(_, 32) overflows here
    for (const lit of ['1e39', '-1e39', T, `-${T}`, `${T}.0000001`, '1e400']) {
      const r = await req('POST', '/proxies/num/toxics', `{"type":"latency","toxicity":${lit}}`);
      expect(r.text).toBe(errBody(`bad request body: json: cannot unmarshal number ${lit} into Go struct field ToxicWrapper.toxicity of type float32`, 400));
    }
    expect(JSON.parse((await req('GET', '/proxies/num/toxics')).text)).toEqual([]);
    const t = await req('POST', '/proxies/num/toxics', '{"type":"latency","name":"tx","toxicity":0.5}');
    expect(t.status).toBe(200);
    const r = await req('POST', '/proxies/num/toxics/tx', '{"toxicity":1e39,"attributes":{"latency":7}}');
    expect(r.text).toBe(errBody('bad request body: json: cannot unmarshal number 1e39 into Go struct field .toxicity of type float32', 400));
    expect(live('num', 'tx').toxicity).toBe(0.5);
    await expectReportedIsApplied('num', (await req('GET', '/proxies/num/toxics/tx')).text);
    await req('DELETE', '/proxies/num/toxics/tx');
  });

  it('accepted toxicities are reported as the float32 the toxic draws against', async () => {
    const cases: [string, string][] = [
      ['3.4028235e38', '3.4028235e+38'],
      ['340282356779733661637539395458142568447', '3.4028235e+38'], // just below the overflow point
      ['1e-50', '0'], // underflow is not an error in Go
      ['-0', '-0'],
      ['1e-7', '1e-7'], // Go's encoder writes e-7, not e-07
      ['0.1', '0.1'],
      ['-2.5', '-2.5'],
      ['1.401298464324817e-45', '1e-45'],
    ];
    for (const [i, [lit, shown]] of cases.entries()) {
      const r = await req('POST', '/proxies/num/toxics', `{"type":"noop","name":"f${i}","toxicity":${lit}}`);
      expect([lit, r.status]).toEqual([lit, 200]);
      expect(r.text).toBe(`{"attributes":{},"name":"f${i}","type":"noop","stream":"downstream","toxicity":${shown}}`);
      await expectReportedIsApplied('num', r.text);
      const u = await req('PATCH', `/proxies/num/toxics/f${i}`, `{"toxicity":${lit}}`);
      expect(u.text).toBe(r.text);
      await req('DELETE', `/proxies/num/toxics/f${i}`);
    }
  });

  // Every integer attribute of every toxic: Go's int64 (slicer: int, 64-bit) takes exactly [-2^63, 2^63-1], only as
  // an integer literal. Values past 2^53 are stored (and reported) rounded toward zero: the double the stages use.
  const FIELDS: [type: string, goStruct: string, field: string, goType: string, base: Record<string, string>][] = [
    ['latency', 'LatencyToxic', 'latency', 'int64', {}],
    ['latency', 'LatencyToxic', 'jitter', 'int64', {}],
    ['bandwidth', 'BandwidthToxic', 'rate', 'int64', {}],
    ['slow_close', 'SlowCloseToxic', 'delay', 'int64', {}],
    ['timeout', 'TimeoutToxic', 'timeout', 'int64', {}],
    ['reset_peer', 'ResetToxic', 'timeout', 'int64', {}],
    ['limit_data', 'LimitDataToxic', 'bytes', 'int64', {}],
    ['slicer', 'SlicerToxic', 'average_size', 'int', {}],
    ['slicer', 'SlicerToxic', 'size_variation', 'int', { average_size: '9223372036854775807' }],
    ['slicer', 'SlicerToxic', 'delay', 'int', { average_size: '1' }],
  ];
  /** Our 400 `invalid toxic attributes` where Go accepts the value and then crashes (docs/chaos.md). */
  const guarded = (type: string, field: string, v: bigint): boolean =>
    (type === 'latency' && field === 'jitter' && v >= 2n ** 62n) ||
    (type === 'bandwidth' && (v < 0n || v * 100n > 2n ** 63n - 1n)) ||
    (type === 'slicer' && field === 'average_size' && v < 1n) ||
    (type === 'slicer' && field === 'size_variation' && v < 0n);
  const LITERALS: [label: string, lit: string, outcome: 'ok' | 'range', shown?: string][] = [
    ['max', '9223372036854775807', 'ok', '9223372036854774784'],
    ['min', '-9223372036854775808', 'ok', '-9223372036854775808'],
    ['2^53+1', '9007199254740993', 'ok', '9007199254740992'],
    ['-1', '-1', 'ok', '-1'],
    ['-0', '-0', 'ok', '0'],
    ['max+1', '9223372036854775808', 'range'],
    ['min-1', '-9223372036854775809', 'range'],
    ['fraction', '1.5', 'range'],
    ['1.0', '1.0', 'range'],
    ['exponent', '1e3', 'range'],
    ['huge', '1' + '0'.repeat(5000), 'range'],
  ];

  for (const [type, goStruct, field, goType, base] of FIELDS) {
    it(`${type}.${field} takes exactly Go's ${goType} range, on create and on update`, async () => {
      const attrs = (v: string) => `{${Object.entries({ ...base, [field]: v }).map(([k, x]) => `"${k}":${x}`).join(',')}}`;
      for (const [label, lit, outcome, shown] of LITERALS) {
        const name = `${type}-${field}-${label}`;
        const r = await req('POST', '/proxies/num/toxics', `{"type":"${type}","name":"${name}","attributes":${attrs(lit)}}`);
        if (outcome === 'range') {
          expect([label, r.text]).toEqual([label, errBody(`bad request body: json: cannot unmarshal number ${lit} into Go struct field ${goStruct}.attributes.${field} of type ${goType}`, 400)]);
        } else if (guarded(type, field, BigInt(lit))) {
          expect([label, r.status, JSON.parse(r.text).error]).toEqual([label, 400, expect.stringMatching(/^invalid toxic attributes: /)]);
        } else {
          expect([label, r.status]).toEqual([label, 200]);
          expect(rawAttributes(r.text)[field]).toBe(shown);
          await expectReportedIsApplied('num', r.text);
        }
        if (r.status === 200) await req('DELETE', `/proxies/num/toxics/${name}`);
      }
      // Update: an out-of-range value is a 400 and the live toxic keeps its value.
      const name = `${type}-${field}-upd`;
      expect((await req('POST', '/proxies/num/toxics', `{"type":"${type}","name":"${name}","attributes":${attrs('3')}}`)).status).toBe(200);
      const before = (await req('GET', `/proxies/num/toxics/${name}`)).text;
      const u = await req('POST', `/proxies/num/toxics/${name}`, `{"attributes":{"${field}":9223372036854775808}}`);
      expect(u.text).toBe(errBody(`bad request body: json: cannot unmarshal number 9223372036854775808 into Go struct field ${goStruct}.attributes.${field} of type ${goType}`, 400));
      expect((await req('GET', `/proxies/num/toxics/${name}`)).text).toBe(before);
      const ok = await req('POST', `/proxies/num/toxics/${name}`, `{"attributes":{"${field}":9007199254740993}}`);
      expect(ok.status).toBe(200);
      expect(rawAttributes(ok.text)[field]).toBe('9007199254740992');
      await expectReportedIsApplied('num', ok.text);
      await req('DELETE', `/proxies/num/toxics/${name}`);
    });
  }

  it('the crash guards sit exactly where Go\'s int64 arithmetic overflows', async () => {
    const cases: [string, string, number][] = [
      ['latency', '{"jitter":4611686018427387903}', 200], // jitter*2 still fits
      ['latency', '{"jitter":4611686018427387904}', 400], // rand.Int63n(jitter*2) panics
      ['bandwidth', '{"rate":92233720368547758}', 200], // rate*100 still fits
      ['bandwidth', '{"rate":92233720368547759}', 400],
    ];
    for (const [type, attributes, status] of cases) {
      const r = await req('POST', '/proxies/num/toxics', `{"type":"${type}","name":"g","attributes":${attributes}}`);
      expect([attributes, r.status]).toEqual([attributes, status]);
      if (status === 200) {
        await expectReportedIsApplied('num', r.text);
        await req('DELETE', '/proxies/num/toxics/g');
      } else expect(JSON.parse(r.text).error).toMatch(/^invalid toxic attributes: /);
    }
  });
});

describe('keys as Go matches them', () => {
  it('duplicates decode in order, `__proto__` is an ordinary key, folding follows Unicode simple folding', async () => {
    expect((await req('POST', '/proxies', '{"name":"keys","upstream":"x:1","enabled":false}')).status).toBe(201);
    // An earlier type error counts even if a later duplicate is fine (Go saves the first error and goes on).
    let r = await req('POST', '/proxies/keys/toxics', '{"type":"latency","attributes":{"latency":"x","latency":5}}');
    expect(r.text).toBe(errBody('bad request body: json: cannot unmarshal string into Go struct field LatencyToxic.attributes.latency of type int64', 400));
    // Two `attributes` objects both decode into the toxic.
    r = await req('POST', '/proxies/keys/toxics', '{"type":"latency","name":"a","attributes":{"latency":5},"attributes":{"jitter":3}}');
    expect(JSON.parse(r.text).attributes).toEqual({ latency: 5, jitter: 3 });
    // `null` empties Go's Toxic interface; an object after it cannot be stored there.
    r = await req('POST', '/proxies/keys/toxics', '{"type":"latency","name":"b","attributes":null,"attributes":{"latency":5}}');
    expect(r.text).toBe(errBody('bad request body: json: cannot unmarshal object into Go struct field ToxicWrapper.attributes of type toxics.Toxic', 400));
    // No prototype games: `__proto__` is just an unknown key.
    r = await req('POST', '/proxies/keys/toxics', '{"type":"latency","name":"c","__proto__":{"attributes":{"latency":5}}}');
    expect(JSON.parse(r.text).attributes).toEqual({ latency: 0, jitter: 0 });
    // U+017F (long s) folds to s and the Kelvin sign to k; the last of several matching keys wins.
    r = await req('POST', '/proxies/keys/toxics', '{"type":"noop","\u017Ftream":"upstream","TYPE":"latency","name":"d"}');
    expect(JSON.parse(r.text)).toMatchObject({ type: 'latency', stream: 'upstream' });
    await req('DELETE', '/proxies/keys');
  });
});

describe('body size', () => {
  it('a body over 1 MiB is a 413 in the error shape, not a 500, and the connection is closed', async () => {
    expect(BODY_LIMIT).toBe(1024 * 1024);
    const at = await req('POST', '/proxies', `${' '.repeat(BODY_LIMIT - 2)}{}`);
    expect(at.text).toBe(errBody('missing required field: name', 400));
    const r = await req('POST', '/proxies', ' '.repeat(BODY_LIMIT + 1));
    expect([r.status, r.text]).toEqual([413, errBody('bad request body: http: request body too large', 413)]);
    expect(r.headers.get('connection')).toBe('close');
    expect((await req('GET', '/version')).status).toBe(200);
  });
});

describe('request deadline (requestDeadlineMs)', () => {
  const DEADLINE = 300;
  let srv: ToxiproxyServer;
  beforeAll(async () => {
    srv = await startToxiproxy({ port: 0, seed: 1, requestDeadlineMs: DEADLINE });
  });
  afterAll(async () => {
    await srv.close();
  });

  /** Opens a raw connection, writes `head`, then trickles `drip` every 20 ms until the server answers or closes. */
  async function trickle(head: string, drip: string) {
    const s = net.connect(srv.port, '127.0.0.1');
    s.on('error', () => undefined);
    await once(s, 'connect');
    const local = `127.0.0.1:${s.localPort}`;
    const t0 = performance.now();
    let out = '';
    s.on('data', (d: Buffer) => (out += d.toString()));
    if (head) s.write(head);
    const timer = setInterval(() => drip && s.writable && s.write(drip), 20);
    await once(s, 'close');
    clearInterval(timer);
    return { out, elapsed: performance.now() - t0, local };
  }

  it('a body still trickling in at the deadline gets Go\'s 400 i/o timeout and the connection is closed', async () => {
    const r = await trickle('POST /proxies HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{"name":', ' ');
    expect(r.out).toMatch(/^HTTP\/1\.1 400 /);
    expect(r.out.toLowerCase()).toContain('connection: close');
    // json.Marshal escapes '>' as \u003e, as Go's error body does.
    expect(r.out).toContain(`{"error":"bad request body: read tcp 127.0.0.1:${srv.port}-\\u003e${r.local}: i/o timeout","status":400}\n`);
    expect(r.elapsed).toBeGreaterThanOrEqual(DEADLINE - 5);
    expect(r.elapsed).toBeLessThan(DEADLINE + 5000);
  });

  it('headers still trickling in at the deadline, or none at all, get a 408 and the connection is closed', async () => {
    for (const [head, drip] of [['POST /proxies HTTP/1.1\r\nHost: x\r\n', 'X-Slow: 1\r\n'], ['', '']] as const) {
      const r = await trickle(head, drip);
      expect(r.out).toMatch(/^HTTP\/1\.1 408 /);
      expect(r.out.toLowerCase()).toContain('connection: close');
      expect(r.out).toContain(`\r\n\r\n{"error":"request timeout: headers not received within ${DEADLINE} ms","status":408}\n`);
      expect(r.elapsed).toBeGreaterThanOrEqual(DEADLINE - 5);
      expect(r.elapsed).toBeLessThan(DEADLINE + 5000);
    }
  });

  it('requests within the deadline are unaffected', async () => {
    const res = await fetch(`${srv.url}/proxies`, { method: 'POST', body: '{"name":"d1","upstream":"x:1","enabled":false}' });
    expect(res.status).toBe(201);
    expect((await fetch(`${srv.url}/proxies/d1`)).status).toBe(200);
  });
});
