/**
 * Bybit V5 request authentication (shared/reference/bybit-v5.md §2, §6.2): HMAC-SHA256 over the raw query string
 * or body for REST, over "GET/realtime" + expires for the WS auth op. Pure: time only through `now`, keys only
 * through a KeyStore, every failure a VenueError from the one catalogue.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { VenueError, timestampError, venueError } from './errors.ts';

export interface ApiKeyRecord {
  readonly uid: number;
  readonly apiKey: string;
  readonly secret: string;
  readonly readOnly: boolean;
}

export interface KeyStore {
  byKey(apiKey: string): ApiKeyRecord | undefined;
}

/** The result of a successful REST verification. */
export interface RestAuth {
  readonly key: ApiKeyRecord;
  /** X-BAPI-TIMESTAMP as a number (ms). */
  readonly timestamp: number;
  /** X-BAPI-RECV-WINDOW as a number (ms), 5000 when absent. */
  readonly recvWindow: number;
}

export const DEFAULT_RECV_WINDOW = 5000;
const DEFAULT_RECV_WINDOW_TEXT = '5000';
/** A request may be stamped at most this far in the future ([doc:guide]: `timestamp < server_time + 1000`). */
export const MAX_FUTURE_MS = 1000;

const UINT = /^\d{1,16}$/;
const HEX64 = /^[0-9a-fA-F]{64}$/;

/** Lowercase hex HMAC-SHA256 of `payload` (UTF-8) under `secret`. */
export function hmacHex(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return typeof v === 'string' ? v : v === undefined ? undefined : v[0];
}

/** Constant-time check of a hex signature against HMAC(secret, payload). Anything but 64 hex digits fails. */
function signatureMatches(secret: string, payload: string, sign: string | undefined): boolean {
  if (sign === undefined || !HEX64.test(sign)) return false;
  const expected = createHmac('sha256', secret).update(payload).digest();
  const given = Buffer.from(sign, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Verifies a signed V5 REST request.
 *
 * `headers` as node gives them (lower-case names); `payload` is the raw query string exactly as sent without '?'
 * (GET) or the raw body (POST). Checks, in this order:
 *  1. X-BAPI-API-KEY present and known                                → 10003
 *  2. X-BAPI-TIMESTAMP present and a non-negative integer             → 10002 (standard message, empty/raw req_timestamp)
 *  3. X-BAPI-RECV-WINDOW absent, or a positive integer                → 10001
 *  4. now - recvWindow <= timestamp < now + 1000                      → 10002 (timestampError)
 *  5. X-BAPI-SIGN = hex HMAC(secret, timestamp + apiKey + recvWindowText + payload), constant-time → 10004
 * recvWindowText is the header text exactly as sent, '5000' when absent. X-BAPI-SIGN-TYPE is ignored (2 = HMAC).
 * Throws VenueError; returns the key and the parsed numbers.
 */
export function verifyRest(
  headers: Record<string, string | string[] | undefined>,
  payload: string,
  keys: KeyStore,
  now: number,
): RestAuth {
  const apiKey = header(headers, 'x-bapi-api-key');
  const key = apiKey ? keys.byKey(apiKey) : undefined;
  if (key === undefined) throw venueError('API_KEY_INVALID');

  const recvText = header(headers, 'x-bapi-recv-window');
  const tsText = header(headers, 'x-bapi-timestamp');
  if (tsText === undefined || !UINT.test(tsText)) {
    throw timestampError(tsText ?? '', now, recvText ?? DEFAULT_RECV_WINDOW_TEXT);
  }
  const timestamp = Number(tsText);

  let recvWindow = DEFAULT_RECV_WINDOW;
  if (recvText !== undefined) {
    recvWindow = UINT.test(recvText) ? Number(recvText) : 0;
    if (recvWindow <= 0) throw venueError('PARAMS', 'X-BAPI-RECV-WINDOW must be a positive integer');
  }

  if (!(now - recvWindow <= timestamp && timestamp < now + MAX_FUTURE_MS)) {
    throw timestampError(tsText, now, recvText ?? DEFAULT_RECV_WINDOW_TEXT);
  }

  const preSign = tsText + apiKey + (recvText ?? DEFAULT_RECV_WINDOW_TEXT) + payload;
  if (!signatureMatches(key.secret, preSign, header(headers, 'x-bapi-sign'))) throw venueError('SIGN');

  return { key, timestamp, recvWindow };
}

/**
 * Verifies the args of a WS `{"op":"auth","args":[apiKey, expires, signature]}` frame (/v5/private, /v5/trade).
 * `expires` (ms) may be a number (bybit-api) or a numeric string (ccxt); the signature is
 * hex HMAC(secret, "GET/realtime" + expires) over expires exactly as sent (String(n) for a number).
 * Checks, in this order, each a thrown VenueError for the WS layer to format:
 *  - args not [string, number|numeric string, string]     → 10001 "params error: auth args must be [apiKey, expires, signature]"
 *  - unknown api key                                       → 10003 "API key is invalid."
 *  - expires <= now                                        → 10002 "Params Error: request expired, expires[..] <= server_timestamp[..]"
 *    (retCode of the TIMESTAMP entry; the text starts with what real V5 answers on auth failure, pybit #152/#300)
 *  - signature mismatch (constant-time)                    → 10004
 */
export function verifyWsAuth(args: unknown, keys: KeyStore, now: number): ApiKeyRecord {
  if (!Array.isArray(args) || args.length < 3) throw badWsArgs();
  const [apiKey, expires, sign] = args as unknown[];
  if (typeof apiKey !== 'string' || typeof sign !== 'string') throw badWsArgs();
  let expiresText: string;
  if (typeof expires === 'number') {
    if (!Number.isSafeInteger(expires) || expires < 0) throw badWsArgs();
    expiresText = String(expires);
  } else if (typeof expires === 'string' && UINT.test(expires)) {
    expiresText = expires;
  } else {
    throw badWsArgs();
  }

  const key = apiKey ? keys.byKey(apiKey) : undefined;
  if (key === undefined) throw venueError('API_KEY_INVALID');

  if (!(Number(expiresText) > now)) {
    throw new VenueError(
      'TIMESTAMP',
      undefined,
      `Params Error: request expired, expires[${expiresText}] <= server_timestamp[${now}]`,
    );
  }
  if (!signatureMatches(key.secret, 'GET/realtime' + expiresText, sign)) throw venueError('SIGN');
  return key;
}

function badWsArgs(): VenueError {
  return venueError('PARAMS', 'auth args must be [apiKey, expires, signature]');
}

/** A KeyStore over a fixed list of keys (tests, scenarios). */
export class MapKeyStore implements KeyStore {
  private readonly map = new Map<string, ApiKeyRecord>();
  constructor(records: Iterable<ApiKeyRecord> = []) {
    for (const r of records) this.map.set(r.apiKey, r);
  }
  add(record: ApiKeyRecord): void {
    this.map.set(record.apiKey, record);
  }
  byKey(apiKey: string): ApiKeyRecord | undefined {
    return this.map.get(apiKey);
  }
}
