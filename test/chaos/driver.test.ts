/** The bench's chaos driver over the embedded server, and the network profiles as data. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS, ChaosDriver } from '../../chaos/driver.ts';
import { PROFILES } from '../../chaos/profiles.ts';
import { connect, quickestRoundTrip, Reader, roundTrip, tcpServer, type TcpServer } from './helpers.ts';

const SEED = 5;
let venue: TcpServer;
let arrivals: number[] = [];
let driver: ChaosDriver;

beforeAll(async () => {
  // The venue: one host:port for REST and every WS path; timestamps arrivals and echoes.
  venue = await tcpServer((s) =>
    s.on('data', (b) => {
      arrivals.push(performance.now());
      s.write(b);
    }),
  );
  console.log(`chaos driver test seed=${SEED}`);
  driver = await ChaosDriver.start({ upstream: venue.addr, seed: SEED, url: process.env.TOXIPROXY_URL });
});
afterAll(async () => {
  await driver.close();
  await venue.close();
});

async function conn(ch: (typeof CHANNELS)[number]) {
  const s = await connect(driver.endpoint(ch).port);
  return { s, r: new Reader(s) };
}

describe('ChaosDriver', () => {
  it('creates one proxy per channel, each on its own port, all to the venue', async () => {
    const ports = CHANNELS.map((c) => driver.endpoint(c).port);
    expect(new Set(ports).size).toBe(4);
    for (const ch of CHANNELS) {
      const { s, r } = await conn(ch);
      await roundTrip(s, r, ch);
      expect(r.text).toBe(ch);
      s.destroy();
    }
  });

  it('adds a fault on one channel and direction only, and removes it (not zeroed)', async () => {
    const pub = await conn('ws-public');
    const rest = await conn('rest');
    await driver.addFault('ws-public', { name: 'slow-feed', type: 'latency', stream: 'downstream', attributes: { latency: 120, jitter: 0 } });
    expect(await driver.faults('ws-public')).toEqual(['slow-feed']);
    expect(await driver.faults('rest')).toEqual([]);
    expect(await roundTrip(pub.s, pub.r)).toBeGreaterThanOrEqual(119);
    expect(await quickestRoundTrip(rest.s, rest.r)).toBeLessThan(119);
    await driver.updateFault('ws-public', 'slow-feed', { attributes: { latency: 60 } });
    expect(await roundTrip(pub.s, pub.r)).toBeGreaterThanOrEqual(59);
    await driver.removeFault('ws-public', 'slow-feed');
    expect(await driver.faults('ws-public')).toEqual([]);
    expect(await quickestRoundTrip(pub.s, pub.r)).toBeLessThan(59);
    await expect(driver.addFault('rest', { name: 'a/b', type: 'noop', stream: 'upstream', attributes: {} })).rejects.toThrow();
    pub.s.destroy();
    rest.s.destroy();
  });

  it('takes a channel down and brings it back on the same port', async () => {
    const before = driver.endpoint('ws-private').port;
    const { s, r } = await conn('ws-private');
    await driver.setEnabled('ws-private', false);
    await r.untilEnded();
    await expect(connect(before)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await driver.setEnabled('ws-private', true);
    expect(driver.endpoint('ws-private').port).toBe(before);
    const again = await conn('ws-private');
    await roundTrip(again.s, again.r);
    again.s.destroy();
    s.destroy();
  });

  it('the wan profile yields 50 ms ± 10 ms each way', async () => {
    await driver.applyProfile('wan', ['ws-trade']);
    expect(await driver.faults('ws-trade')).toEqual(['wan-latency-upstream', 'wan-latency-downstream']);
    const { latency, jitter } = PROFILES.wan.toxics[0]!.attributes as { latency: number; jitter: number };
    const { s, r } = await conn('ws-trade');
    const up: number[] = [];
    const down: number[] = [];
    for (let i = 0; i < 8; i++) {
      arrivals = [];
      const t0 = performance.now();
      s.write('x');
      await r.untilBytes(i + 1);
      up.push(arrivals[0]! - t0);
      down.push(performance.now() - arrivals[0]!);
    }
    console.log(`wan one-way ms: up ${up.map((x) => x.toFixed(1)).join(' ')} / down ${down.map((x) => x.toFixed(1)).join(' ')}`);
    for (const dir of [up, down]) {
      expect(Math.min(...dir)).toBeGreaterThanOrEqual(latency - jitter - 1);
      expect(Math.min(...dir)).toBeLessThanOrEqual(latency + jitter + 10);
    }
    await driver.removeProfile('wan', ['ws-trade']);
    expect(await driver.faults('ws-trade')).toEqual([]);
    s.destroy();
  });

  it('reset clears every fault', async () => {
    await driver.applyProfile('bad-wifi');
    await driver.reset();
    for (const ch of CHANNELS) expect(await driver.faults(ch)).toEqual([]);
  });

  it('every profile is valid for the server', async () => {
    for (const name of Object.keys(PROFILES) as (keyof typeof PROFILES)[]) {
      await driver.applyProfile(name, ['rest']);
      await driver.removeProfile(name, ['rest']);
    }
  });

  it('reuse keeps existing proxies on their ports (a docker-compose Toxiproxy), clears their toxics, and leaves them on close', async () => {
    // Another driver on the same server with its own prefix plays the pre-populated stack.
    const stack = await ChaosDriver.start({ upstream: venue.addr, url: driver.url, prefix: 'stack' });
    await stack.addFault('rest', { name: 'left-over', type: 'latency', stream: 'downstream', attributes: { latency: 500 } });
    const port = stack.endpoint('rest').port;
    const again = await ChaosDriver.start({ upstream: venue.addr, url: driver.url, prefix: 'stack', reuse: true });
    expect(again.endpoint('rest').port).toBe(port);
    expect(await again.faults('rest')).toEqual([]);
    await again.close();
    const after = await ChaosDriver.start({ upstream: venue.addr, url: driver.url, prefix: 'stack', reuse: true });
    expect(after.endpoint('rest').port).toBe(port); // still there after the reusing driver closed
    await stack.close(); // the owner removes them
  });
});
