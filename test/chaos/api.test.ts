/**
 * The HTTP API: every endpoint through toxiproxy-node-client (unchanged) and raw fetch for the exact shapes, status
 * codes and error bodies Toxiproxy 2.12.0 produces, plus the 400s we add for inputs that crash the real server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Toxiproxy } from 'toxiproxy-node-client';
import { connect, Reader, startEnv, tcpServer, type Env, type TcpServer } from './helpers.ts';

let env: Env;
let echo: TcpServer;
let url: string;

beforeAll(async () => {
  env = await startEnv(7);
  echo = await tcpServer();
  url = env.server.url;
});
afterAll(async () => {
  await env.close();
  await echo.close();
});

async function req(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const res = await fetch(url + path, { method, body, headers });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type'), headers: res.headers };
}

describe('toxiproxy-node-client against the embedded server', () => {
  it('creates, gets, lists, updates and removes proxies', async () => {
    const c = env.client;
    expect(await c.getVersion()).toBe('{"version": "2.12.0"}\n');
    const p = await c.createProxy({ name: 'c1', listen: 'localhost:0', upstream: echo.addr });
    expect(p.listen).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(p.enabled).toBe(true);
    await expect(c.createProxy({ name: 'c1', listen: 'localhost:0', upstream: echo.addr })).rejects.toThrow(
      'Request failed with status code 409',
    );
    expect((await c.get('c1')).upstream).toBe(echo.addr);
    expect(Object.keys(await c.getAll())).toContain('c1');
    const off = await p.update({ enabled: false, listen: p.listen, upstream: p.upstream });
    expect(off.enabled).toBe(false);
    const on = await off.update({ enabled: true, listen: p.listen, upstream: 'somehost:12345' });
    expect(on.enabled).toBe(true);
    expect(on.upstream).toBe('somehost:12345');
    expect(on.listen).toBe(p.listen); // re-enabled on the same port
    await on.remove();
    await expect(c.get('c1')).rejects.toThrow('status code 404');
  });

  it('adds, reads, updates and removes every toxic type', async () => {
    const p = await env.client.createProxy({ name: 'c2', listen: '127.0.0.1:0', upstream: echo.addr });
    const cases: [string, Record<string, number>][] = [
      ['latency', { latency: 1000, jitter: 100 }],
      ['bandwidth', { rate: 1000 }],
      ['slow_close', { delay: 1000 }],
      ['timeout', { timeout: 5000 }],
      ['slicer', { average_size: 1000, size_variation: 1000, delay: 1000 }],
      ['reset_peer', { timeout: 1000 }],
      ['limit_data', { bytes: 42 }],
    ];
    for (const [type, attributes] of cases) {
      const t = await p.addToxic({ type, attributes } as never);
      expect(t.name).toBe(`${type}_downstream`);
      expect(t.toxicity).toBe(1);
      expect(t.attributes).toEqual(attributes);
      expect((await p.getToxic(t.name)).attributes).toEqual(attributes);
      await expect(p.addToxic({ type, attributes } as never)).rejects.toThrow('status code 409');
    }
    const lat = await p.getToxic('latency_downstream');
    const upd = await lat.update({ attributes: { latency: 12345, jitter: 42 } } as never);
    expect(upd.attributes).toEqual({ latency: 12345, jitter: 42 });
    await upd.remove();
    await expect(p.getToxic('latency_downstream')).rejects.toThrow('status code 404');
    await env.client.reset();
    expect(JSON.parse((await req('GET', '/proxies/c2/toxics')).text)).toEqual([]);
    await p.remove();
  });

  it('populates (and the client throws on an empty populate, as with the real server)', async () => {
    const c = env.client;
    const res = await c.populate([
      { name: 'pa', listen: '127.0.0.1:0', upstream: echo.addr },
      { name: 'pb', listen: '127.0.0.1:0', upstream: echo.addr, enabled: false },
    ]);
    expect(Object.keys(res).sort()).toEqual(['pa', 'pb']);
    expect(res.pb!.enabled).toBe(false);
    await expect(c.populate([])).rejects.toThrow();
    await res.pa!.remove();
    await res.pb!.remove();
  });

  it('works with a fresh client instance per call (no client-side state)', async () => {
    const c = new Toxiproxy(url);
    await c.reset();
    expect(await c.getAll()).toEqual({});
  });
});

describe('wire format', () => {
  it('proxy and toxic JSON are byte-identical to Toxiproxy', async () => {
    const r = await req('POST', '/proxies', JSON.stringify({ name: 'w1', listen: '127.0.0.1:0', upstream: 'localhost:1', enabled: false }));
    expect(r.status).toBe(201);
    expect(r.type).toBe('application/json');
    expect(r.headers.get('x-toxiproxy-request-id')).toMatch(/^[0-9a-v]{20}$/);
    expect(r.text).toBe('{"name":"w1","listen":"127.0.0.1:0","upstream":"localhost:1","enabled":false,"Logger":{},"toxics":[]}');
    const t = await req('POST', '/proxies/w1/toxics', '{"type":"latency","stream":"UPSTREAM","toxicity":0.1,"attributes":{"latency":5,"extra":1}} trailing');
    expect(t.status).toBe(200);
    expect(t.text).toBe('{"attributes":{"latency":5,"jitter":0},"name":"latency_UPSTREAM","type":"latency","stream":"UPSTREAM","toxicity":0.1}');
    const n = await req('POST', '/proxies/w1/toxics', '{"type":"noop","name":"a<b"}');
    expect(n.text).toBe('{"attributes":{},"name":"a\\u003cb","type":"noop","stream":"downstream","toxicity":1}');
    // toxics list: upstream chain first
    const down = await req('POST', '/proxies/w1/toxics', '{"type":"timeout"}');
    expect(down.status).toBe(200);
    const list = JSON.parse((await req('GET', '/proxies/w1/toxics')).text) as { name: string }[];
    expect(list.map((x) => x.name)).toEqual(['latency_UPSTREAM', 'a<b', 'timeout_downstream']);
    expect((await req('DELETE', '/proxies/w1')).status).toBe(204);
  });

  it('error bodies, 404/405/403 and validation order', async () => {
    const err = (msg: string, status: number) => `${JSON.stringify({ error: msg, status })}\n`;
    let r = await req('GET', '/proxies/nope');
    expect([r.status, r.text, r.type]).toEqual([404, err('proxy not found', 404), 'text/plain; charset=utf-8']);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    r = await req('POST', '/proxies', '');
    expect(r.text).toBe(err('bad request body: EOF', 400));
    r = await req('POST', '/proxies', '{"upstream":"x:1"}');
    expect(r.text).toBe(err('missing required field: name', 400));
    r = await req('POST', '/proxies', '{"name":"e1"}');
    expect(r.text).toBe(err('missing required field: upstream', 400));
    await req('POST', '/proxies', '{"name":"e1","upstream":"x:1","enabled":false}');
    r = await req('POST', '/proxies/e1/toxics', '{"type":"latency","stream":"sideways"}');
    expect(r.text).toBe(err('stream was invalid, can be either upstream or downstream', 400));
    r = await req('POST', '/proxies/e1/toxics', '{"type":"down"}');
    expect(r.text).toBe(err('invalid toxic type', 400));
    r = await req('POST', '/proxies/e1/toxics', '{"type":"latency","attributes":{"latency":1e3}}');
    expect(r.status).toBe(400);
    expect(r.text).toContain('cannot unmarshal number 1e3 into Go struct field LatencyToxic.attributes.latency of type int64');
    r = await req('POST', '/proxies/e1/toxics', '{"type":"latency","toxicity":"x"}');
    expect(r.text).toContain('ToxicWrapper.toxicity of type float32');
    r = await req('GET', '/proxies/e1/toxics/none');
    expect(r.text).toBe(err('toxic not found', 404));
    r = await req('DELETE', '/proxies/e1/toxics/none');
    expect(r.status).toBe(404);
    r = await req('PUT', '/proxies');
    expect([r.status, r.text, r.headers.get('x-toxiproxy-request-id')]).toEqual([405, '', null]);
    r = await req('HEAD', '/version');
    expect(r.status).toBe(405);
    r = await req('GET', '/nowhere');
    expect([r.status, r.text]).toEqual([404, '404 page not found\n']);
    r = await req('GET', '/metrics');
    expect(r.status).toBe(404);
    r = await req('GET', '/version', undefined, { 'user-agent': 'Mozilla/5.0' });
    expect([r.status, r.text]).toEqual([403, 'User agent not allowed\n']);
    r = await req('POST', '/proxies/e1', '{"listen":"bad"}');
    expect(r.text).toBe(err('address bad: missing port in address', 500));
    await req('DELETE', '/proxies/e1');
  });

  it('bind failures are 500 and the proxy is not added', async () => {
    const r = await req('POST', '/proxies', JSON.stringify({ name: 'b1', listen: echo.addr, upstream: 'x:1' }));
    expect(r.status).toBe(500);
    expect(JSON.parse(r.text).error).toBe(`listen tcp ${echo.addr}: bind: address already in use`);
    expect((await req('GET', '/proxies/b1')).status).toBe(404);
  });

  it('populate: validation before creation, partial result on bind failure, unchanged entries kept', async () => {
    let r = await req('POST', '/populate', '[{"name":"q1","upstream":"x:1"},{"name":"q2"}]');
    expect([r.status, r.type, r.text]).toEqual([
      400,
      'application/json',
      '{"error":"missing required field: upstream at proxy 2","status":400,"proxies":null}',
    ]);
    expect((await req('GET', '/proxies/q1')).status).toBe(404);
    r = await req('POST', '/populate', '{"name":"q1"}');
    expect(r.status).toBe(400);
    r = await req('POST', '/populate', JSON.stringify([
      { name: 'q1', listen: '127.0.0.1:0', upstream: 'x:1' },
      { name: 'q2', listen: echo.addr, upstream: 'x:1' },
      { name: 'q3', listen: '127.0.0.1:0', upstream: 'x:1' },
    ]));
    expect(r.status).toBe(500);
    const body = JSON.parse(r.text) as { proxies: { name: string; listen: string }[] };
    expect(body.proxies.map((p) => p.name)).toEqual(['q1']);
    expect((await req('GET', '/proxies/q3')).status).toBe(404);
    // Same config again (listen given as the resolved address): left untouched, toxics kept.
    await req('POST', '/proxies/q1/toxics', '{"type":"noop"}');
    r = await req('POST', '/populate', JSON.stringify([{ name: 'q1', listen: body.proxies[0]!.listen, upstream: 'x:1' }]));
    expect(r.status).toBe(201);
    expect(JSON.parse(r.text).proxies[0].toxics).toHaveLength(1);
    // Different upstream: replaced, toxics gone.
    r = await req('POST', '/populate', JSON.stringify([{ name: 'q1', listen: '127.0.0.1:0', upstream: 'x:2' }]));
    expect(JSON.parse(r.text).proxies[0].toxics).toHaveLength(0);
    await req('DELETE', '/proxies/q1');
  });

  it('toxic update is partial and keeps fields decoded before an error; toxicity floats are echoed', async () => {
    await req('POST', '/proxies', '{"name":"u1","upstream":"x:1","enabled":false}');
    await req('POST', '/proxies/u1/toxics', '{"type":"latency","attributes":{"latency":100,"jitter":10}}');
    let r = await req('POST', '/proxies/u1/toxics/latency_downstream', '{"attributes":{"latency":1000}}');
    expect(JSON.parse(r.text).attributes).toEqual({ latency: 1000, jitter: 10 });
    r = await req('PATCH', '/proxies/u1/toxics/latency_downstream', '{"toxicity":0.2}');
    expect(r.text).toContain('"toxicity":0.2}');
    r = await req('POST', '/proxies/u1/toxics/latency_downstream', '{"attributes":{"latency":5,"jitter":"x"}}');
    expect(r.status).toBe(400);
    expect(JSON.parse((await req('GET', '/proxies/u1/toxics/latency_downstream')).text).attributes.latency).toBe(5);
    r = await req('POST', '/proxies/u1/toxics/latency_downstream', '{"toxicity":0}');
    expect(JSON.parse(r.text).toxicity).toBe(0);
    await req('DELETE', '/proxies/u1');
  });

  it('inputs that crash the real server get a 400 with the error body', async () => {
    await req('POST', '/proxies', '{"name":"x1","upstream":"x:1","enabled":false}');
    const bad = [
      '{"type":"slicer","attributes":{"average_size":0,"size_variation":0}}',
      '{"type":"slicer","attributes":{"average_size":10,"size_variation":20}}',
      '{"type":"slicer","attributes":{"average_size":10,"size_variation":-1}}',
      '{"type":"bandwidth","attributes":{"rate":-1}}',
    ];
    for (const b of bad) {
      const r = await req('POST', '/proxies/x1/toxics', b);
      expect(r.status, b).toBe(400);
      expect(JSON.parse(r.text)).toMatchObject({ status: 400, error: expect.stringMatching(/^invalid toxic attributes: /) });
    }
    await req('POST', '/proxies/x1/toxics', '{"type":"slicer","attributes":{"average_size":10,"size_variation":5}}');
    const r = await req('POST', '/proxies/x1/toxics/slicer_downstream', '{"attributes":{"average_size":0}}');
    expect(r.status).toBe(400);
    expect(JSON.parse((await req('GET', '/proxies/x1/toxics/slicer_downstream')).text).attributes.average_size).toBe(10);
    await req('DELETE', '/proxies/x1');
  });

  it('deleting a proxy closes its connections', async () => {
    const p = await env.client.createProxy({ name: 'd1', listen: '127.0.0.1:0', upstream: echo.addr });
    const s = await connect(Number(p.listen.split(':')[1]));
    const r = new Reader(s);
    s.write('hi');
    await r.untilBytes(2);
    await p.remove();
    await r.untilEnded();
    expect(r.ended).not.toBeNull();
  });
});

describe('/metrics (-proxy-metrics)', () => {
  it('counts bytes per link with Toxiproxy labels once the connection ends', async () => {
    const { startToxiproxy } = await import('../../chaos/toxiproxy/server.ts');
    const tp = await startToxiproxy({ port: 0, proxyMetrics: true });
    try {
      const p = await new Toxiproxy(tp.url).createProxy({ name: 'met', listen: '127.0.0.1:0', upstream: echo.addr });
      const s = await connect(Number(p.listen.split(':')[1]));
      const r = new Reader(s);
      s.write('hello');
      await r.untilBytes(5);
      s.end();
      await r.untilEnded();
      const line = `toxiproxy_proxy_sent_bytes_total{direction="downstream",listener="${p.listen}",proxy="met",upstream="${echo.addr}"} 5`;
      // The link is accounted when both sockets have closed: poll the endpoint until it shows (bounded).
      let text = '';
      for (let i = 0; i < 50 && !text.includes(line); i++) {
        text = await (await fetch(`${tp.url}/metrics`)).text();
        if (!text.includes(line)) await new Promise((res) => setTimeout(res, 10));
      }
      expect(text).toContain(line);
    } finally {
      await tp.close();
    }
  });
});
