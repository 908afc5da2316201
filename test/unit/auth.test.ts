import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MapKeyStore, hmacHex, verifyRest, verifyWsAuth, type ApiKeyRecord } from '../../sim-exchange/bybit-v5/auth.ts';
import { CATALOGUE, VenueError } from '../../sim-exchange/bybit-v5/errors.ts';

const NOW = 1_700_000_000_000;
const KEY: ApiKeyRecord = { uid: 1001, apiKey: 'KEY1', secret: 'SECRET1', readOnly: false };
const RO: ApiKeyRecord = { uid: 1002, apiKey: 'KEY2', secret: 'SECRET2', readOnly: true };
const keys = new MapKeyStore([KEY, RO]);

type Headers = Record<string, string | string[] | undefined>;

/** Headers exactly as a client signs them: ts + key + recvWindowText + payload. */
function signed(payload: string, o: { ts?: number | string; recv?: string | null; key?: ApiKeyRecord; secret?: string } = {}): Headers {
  const key = o.key ?? KEY;
  const ts = String(o.ts ?? NOW);
  const recv = o.recv === undefined ? '5000' : o.recv;
  const h: Headers = {
    'x-bapi-api-key': key.apiKey,
    'x-bapi-timestamp': ts,
    'x-bapi-sign': hmacHex(o.secret ?? key.secret, ts + key.apiKey + (recv ?? '5000') + payload),
    'x-bapi-sign-type': '2',
  };
  if (recv !== null) h['x-bapi-recv-window'] = recv;
  return h;
}

function codeOf(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VenueError);
    return (e as VenueError).retCode;
  }
  throw new Error('expected a VenueError');
}

function errOf(fn: () => unknown): VenueError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VenueError);
    return e as VenueError;
  }
  throw new Error('expected a VenueError');
}

describe('hmacHex', () => {
  it('is lowercase hex HMAC-SHA256', () => {
    const h = hmacHex('secret', 'payload');
    expect(h).toBe(createHmac('sha256', 'secret').update('payload').digest('hex'));
    expect(h).toMatch(/^[0-9a-f]{64}$/);
  });

  it("reproduces the doc's pre-sign string shape (ts + key + recv + query)", () => {
    const pre = '1658384314791XXXXXXXXXX5000category=option&symbol=BTC-29JUL22-25000-C';
    expect(hmacHex('s', pre)).toBe(createHmac('sha256', 's').update(pre).digest('hex'));
  });

  it('hashes UTF-8', () => {
    expect(hmacHex('s', 'é')).toBe(createHmac('sha256', 's').update(Buffer.from('é', 'utf8')).digest('hex'));
  });
});

describe('verifyRest', () => {
  it('accepts a good GET signature over the raw query', () => {
    const q = 'category=linear&symbol=BTCUSDT';
    const r = verifyRest(signed(q), q, keys, NOW);
    expect(r.key).toBe(KEY);
    expect(r.timestamp).toBe(NOW);
    expect(r.recvWindow).toBe(5000);
  });

  it('accepts a good POST signature over the raw body (spacing preserved)', () => {
    const body = '{"category": "linear",  "symbol":"BTCUSDT"}';
    expect(verifyRest(signed(body), body, keys, NOW).key.uid).toBe(1001);
    // re-serialising the body would change the bytes and the signature
    const reserialised = JSON.stringify(JSON.parse(body));
    expect(codeOf(() => verifyRest(signed(body), reserialised, keys, NOW))).toBe(10004);
  });

  it('accepts an empty payload', () => {
    expect(verifyRest(signed(''), '', keys, NOW).key).toBe(KEY);
  });

  it('verifies against the raw string: bybit-api (encodeURIComponent) and ccxt (unencoded) both pass', () => {
    const bapi = `category=linear&orderLinkId=${encodeURIComponent('a b/c')}`; // a%20b%2Fc
    expect(bapi).toBe('category=linear&orderLinkId=a%20b%2Fc');
    expect(verifyRest(signed(bapi), bapi, keys, NOW).key).toBe(KEY);
    const ccxt = 'category=linear&orderLinkId=ab/c:d';
    expect(verifyRest(signed(ccxt), ccxt, keys, NOW).key).toBe(KEY);
    // a re-encoded or decoded variant of what was sent does not verify
    expect(codeOf(() => verifyRest(signed(bapi), 'category=linear&orderLinkId=a b/c', keys, NOW))).toBe(10004);
    expect(codeOf(() => verifyRest(signed(ccxt), 'category=linear&orderLinkId=ab%2Fc%3Ad', keys, NOW))).toBe(10004);
    // order matters (unsorted)
    expect(codeOf(() => verifyRest(signed('b=1&a=2'), 'a=2&b=1', keys, NOW))).toBe(10004);
  });

  it('uses the recv window header text exactly as sent', () => {
    const r = verifyRest(signed('x=1', { recv: '10000' }), 'x=1', keys, NOW);
    expect(r.recvWindow).toBe(10000);
    // "05000" is 5000 but the signature covers the text "05000"
    expect(verifyRest(signed('x=1', { recv: '05000' }), 'x=1', keys, NOW).recvWindow).toBe(5000);
    const h = signed('x=1', { recv: '05000' });
    h['x-bapi-sign'] = hmacHex(KEY.secret, `${NOW}${KEY.apiKey}5000x=1`);
    expect(codeOf(() => verifyRest(h, 'x=1', keys, NOW))).toBe(10004);
  });

  it("signs with '5000' when the recv window header is absent", () => {
    const h = signed('x=1', { recv: null });
    expect(h['x-bapi-recv-window']).toBeUndefined();
    expect(verifyRest(h, 'x=1', keys, NOW).recvWindow).toBe(5000);
    // the same request signed with an empty recv window part does not verify
    const bad = { ...h, 'x-bapi-sign': hmacHex(KEY.secret, `${NOW}${KEY.apiKey}x=1`) };
    expect(codeOf(() => verifyRest(bad, 'x=1', keys, NOW))).toBe(10004);
  });

  describe('timestamp window now - recv <= ts < now + 1000', () => {
    it('accepts exactly now - recvWindow', () => {
      expect(verifyRest(signed('', { ts: NOW - 5000 }), '', keys, NOW).timestamp).toBe(NOW - 5000);
      expect(verifyRest(signed('', { ts: NOW - 20000, recv: '20000' }), '', keys, NOW).key).toBe(KEY);
    });
    it('accepts now + 999', () => {
      expect(verifyRest(signed('', { ts: NOW + 999 }), '', keys, NOW).timestamp).toBe(NOW + 999);
    });
    it('rejects now + 1000 with 10002 and the three numbers', () => {
      const e = errOf(() => verifyRest(signed('', { ts: NOW + 1000 }), '', keys, NOW));
      expect(e.retCode).toBe(10002);
      expect(e.retMsg).toBe(
        `${CATALOGUE.TIMESTAMP.retMsg}. req_timestamp[${NOW + 1000}],server_timestamp[${NOW}],recv_window[5000]`,
      );
    });
    it('rejects now - recvWindow - 1', () => {
      expect(codeOf(() => verifyRest(signed('', { ts: NOW - 5001 }), '', keys, NOW))).toBe(10002);
      const e = errOf(() => verifyRest(signed('', { ts: NOW - 7001, recv: '7000' }), '', keys, NOW));
      expect(e.retCode).toBe(10002);
      expect(e.retMsg).toContain('recv_window[7000]');
    });
  });

  it('rejects a missing or unknown key with 10003', () => {
    const h = signed('');
    expect(codeOf(() => verifyRest({ ...h, 'x-bapi-api-key': undefined }, '', keys, NOW))).toBe(10003);
    expect(codeOf(() => verifyRest({ ...h, 'x-bapi-api-key': '' }, '', keys, NOW))).toBe(10003);
    expect(codeOf(() => verifyRest({ ...h, 'x-bapi-api-key': 'NOPE' }, '', keys, NOW))).toBe(10003);
    expect(errOf(() => verifyRest({}, '', keys, NOW)).retMsg).toBe(CATALOGUE.API_KEY_INVALID.retMsg);
  });

  it('rejects a wrong secret with 10004', () => {
    const e = errOf(() => verifyRest(signed('a=1', { secret: 'WRONG' }), 'a=1', keys, NOW));
    expect(e.retCode).toBe(10004);
    expect(e.retMsg).toBe(CATALOGUE.SIGN.retMsg);
  });

  it("rejects another key's valid signature with 10004", () => {
    const h = signed('a=1', { key: RO });
    h['x-bapi-api-key'] = KEY.apiKey;
    expect(codeOf(() => verifyRest(h, 'a=1', keys, NOW))).toBe(10004);
  });

  it('rejects a missing or malformed signature with 10004', () => {
    const h = signed('a=1');
    const good = h['x-bapi-sign'] as string;
    expect(codeOf(() => verifyRest({ ...h, 'x-bapi-sign': undefined }, 'a=1', keys, NOW))).toBe(10004);
    expect(codeOf(() => verifyRest({ ...h, 'x-bapi-sign': '' }, 'a=1', keys, NOW))).toBe(10004);
    expect(codeOf(() => verifyRest({ ...h, 'x-bapi-sign': good.slice(0, 63) }, 'a=1', keys, NOW))).toBe(10004);
    // trailing junk after a valid digest must not be ignored by hex decoding
    expect(codeOf(() => verifyRest({ ...h, 'x-bapi-sign': `${good}zz` }, 'a=1', keys, NOW))).toBe(10004);
    expect(codeOf(() => verifyRest({ ...h, 'x-bapi-sign': `${good}00` }, 'a=1', keys, NOW))).toBe(10004);
    expect(codeOf(() => verifyRest({ ...h, 'x-bapi-sign': `${good.slice(0, 62)}zz` }, 'a=1', keys, NOW))).toBe(10004);
    // base64 of the right digest is not accepted either
    const b64 = Buffer.from(good, 'hex').toString('base64');
    expect(codeOf(() => verifyRest({ ...h, 'x-bapi-sign': b64 }, 'a=1', keys, NOW))).toBe(10004);
  });

  it('accepts an upper-case hex signature (same digest)', () => {
    const h = signed('a=1');
    h['x-bapi-sign'] = (h['x-bapi-sign'] as string).toUpperCase();
    expect(verifyRest(h, 'a=1', keys, NOW).key).toBe(KEY);
  });

  it('rejects a missing or non-integer timestamp with 10002 and the standard message', () => {
    const h = signed('');
    for (const ts of [undefined, '', 'abc', '1.5e12', '-1700000000000', '1700000000000.0', ' 1700000000000']) {
      const e = errOf(() => verifyRest({ ...h, 'x-bapi-timestamp': ts }, '', keys, NOW));
      expect(e.retCode).toBe(10002);
      expect(e.retMsg.startsWith(CATALOGUE.TIMESTAMP.retMsg)).toBe(true);
      expect(e.retMsg).toContain(`server_timestamp[${NOW}]`);
    }
  });

  it('rejects a recv window that is not a positive integer with 10001', () => {
    for (const recv of ['0', '-5000', 'abc', '5000.5', '', '1e4']) {
      const e = errOf(() => verifyRest(signed('', { recv }), '', keys, NOW));
      expect(e.retCode).toBe(10001);
      expect(e.retMsg).toContain('X-BAPI-RECV-WINDOW');
    }
  });

  it('checks in the order key (10003) → timestamp (10002) → signature (10004)', () => {
    const bad: Headers = { 'x-bapi-api-key': 'NOPE', 'x-bapi-timestamp': '1', 'x-bapi-sign': 'x' };
    expect(codeOf(() => verifyRest(bad, '', keys, NOW))).toBe(10003);
    expect(codeOf(() => verifyRest({ ...bad, 'x-bapi-api-key': KEY.apiKey }, '', keys, NOW))).toBe(10002);
    expect(codeOf(() => verifyRest({ ...bad, 'x-bapi-api-key': KEY.apiKey, 'x-bapi-timestamp': String(NOW) }, '', keys, NOW))).toBe(10004);
  });

  it('ignores X-BAPI-SIGN-TYPE', () => {
    const h = signed('a=1');
    expect(verifyRest({ ...h, 'x-bapi-sign-type': undefined }, 'a=1', keys, NOW).key).toBe(KEY);
    expect(verifyRest({ ...h, 'x-bapi-sign-type': '2' }, 'a=1', keys, NOW).key).toBe(KEY);
  });

  it('takes the first value of a repeated header', () => {
    const h = signed('a=1');
    h['x-bapi-api-key'] = [KEY.apiKey, 'OTHER'];
    expect(verifyRest(h, 'a=1', keys, NOW).key).toBe(KEY);
  });

  it('returns read-only keys too (permission is the route layer’s business)', () => {
    expect(verifyRest(signed('', { key: RO }), '', keys, NOW).key.readOnly).toBe(true);
  });
});

describe('verifyWsAuth', () => {
  const wsSign = (expires: number | string, secret = KEY.secret) => hmacHex(secret, `GET/realtime${expires}`);

  it('accepts a numeric expires (bybit-api)', () => {
    const expires = NOW + 5000;
    expect(verifyWsAuth([KEY.apiKey, expires, wsSign(expires)], keys, NOW)).toBe(KEY);
  });

  it('accepts a string expires (ccxt)', () => {
    const expires = String(NOW + 10000);
    expect(verifyWsAuth([KEY.apiKey, expires, wsSign(expires)], keys, NOW)).toBe(KEY);
  });

  it('signs expires exactly as sent', () => {
    const expires = `0${NOW + 10000}`;
    expect(verifyWsAuth([KEY.apiKey, expires, wsSign(expires)], keys, NOW)).toBe(KEY);
    expect(codeOf(() => verifyWsAuth([KEY.apiKey, expires, wsSign(NOW + 10000)], keys, NOW))).toBe(10004);
  });

  it('rejects expires <= now with 10002 "Params Error: request expired ..."', () => {
    for (const expires of [NOW, NOW - 1, String(NOW)]) {
      const e = errOf(() => verifyWsAuth([KEY.apiKey, expires, wsSign(expires)], keys, NOW));
      expect(e.retCode).toBe(10002);
      expect(e.retMsg).toBe(`Params Error: request expired, expires[${expires}] <= server_timestamp[${NOW}]`);
    }
    expect(verifyWsAuth([KEY.apiKey, NOW + 1, wsSign(NOW + 1)], keys, NOW)).toBe(KEY);
  });

  it('rejects a wrong signature with 10004 and an unknown key with 10003', () => {
    const expires = NOW + 5000;
    expect(codeOf(() => verifyWsAuth([KEY.apiKey, expires, wsSign(expires, 'WRONG')], keys, NOW))).toBe(10004);
    expect(codeOf(() => verifyWsAuth([KEY.apiKey, expires, wsSign(expires + 1)], keys, NOW))).toBe(10004);
    expect(codeOf(() => verifyWsAuth(['NOPE', expires, wsSign(expires)], keys, NOW))).toBe(10003);
    expect(codeOf(() => verifyWsAuth(['', expires, wsSign(expires)], keys, NOW))).toBe(10003);
  });

  it('rejects malformed args with 10001', () => {
    const expires = NOW + 5000;
    const cases: unknown[] = [
      undefined,
      null,
      'KEY1',
      {},
      [],
      [KEY.apiKey, expires],
      [KEY.apiKey, 'soon', wsSign(expires)],
      [KEY.apiKey, 1.5, wsSign(expires)],
      [KEY.apiKey, -1, wsSign(expires)],
      [KEY.apiKey, null, wsSign(expires)],
      [KEY.apiKey, expires, 123],
      [123, expires, wsSign(expires)],
    ];
    for (const args of cases) {
      const e = errOf(() => verifyWsAuth(args, keys, NOW));
      expect(e.retCode).toBe(10001);
      expect(e.retMsg).toBe('params error: auth args must be [apiKey, expires, signature]');
    }
  });
});

describe('MapKeyStore', () => {
  it('looks keys up and adds them', () => {
    const s = new MapKeyStore();
    expect(s.byKey('KEY1')).toBeUndefined();
    s.add(KEY);
    expect(s.byKey('KEY1')).toBe(KEY);
  });
});
