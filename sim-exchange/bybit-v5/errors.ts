/**
 * The one catalogue of venue error codes. Every error the simulated venue answers with is created here, carries its
 * Bybit retCode (and HTTP status where Bybit uses one), and is documented in docs/errors.md; a test checks both
 * directions. Texts follow Bybit's where known (../shared/reference/bybit-v5.md §4.1).
 */

export interface CatalogueEntry {
  readonly retCode: number;
  /** HTTP status of the REST response. Bybit answers business errors, 10006 included, with 200. */
  readonly http: number;
  /** Bybit's message, or the stem a detail is appended to. */
  readonly retMsg: string;
  /** One line for docs/errors.md: when the venue answers with it. */
  readonly when: string;
}

export const CATALOGUE = {
  PARAMS: { retCode: 10001, http: 200, retMsg: 'params error', when: 'a parameter is missing, unknown, of the wrong type, malformed, out of range or has too many decimals; malformed JSON' },
  BAD_SYMBOL: { retCode: 10001, http: 200, retMsg: 'Not supported symbols', when: 'a symbol the venue does not list in that category (spot, for now)' },
  TIMESTAMP: { retCode: 10002, http: 200, retMsg: 'invalid request, please check your server timestamp or recv_window param', when: 'X-BAPI-TIMESTAMP outside [server_time - recv_window, server_time + 1000)' },
  API_KEY_INVALID: { retCode: 10003, http: 200, retMsg: 'API key is invalid.', when: 'unknown or missing X-BAPI-API-KEY' },
  SIGN: { retCode: 10004, http: 200, retMsg: 'error sign! please check your signature generation algorithm', when: 'the HMAC signature does not match the raw query string or body' },
  PERMISSION: { retCode: 10005, http: 200, retMsg: 'Permission denied, please check your API key permissions.', when: 'a read-only key places, amends or cancels orders' },
  RATE_LIMIT: { retCode: 10006, http: 200, retMsg: 'Too many visits!', when: 'more requests to one endpoint in one second than its per-UID limit' },
  SERVER: { retCode: 10016, http: 200, retMsg: 'Server error', when: 'an internal error; the request had no effect' },
  ROUTE: { retCode: 10017, http: 404, retMsg: 'Route not found', when: 'an unknown REST path or method' },
  BODY_TOO_LARGE: { retCode: 10001, http: 413, retMsg: 'request body too large', when: 'a request body over the size limit' },
  HEADERS_TOO_LARGE: { retCode: 10001, http: 431, retMsg: 'request headers too large', when: 'request line (URL and query included) plus headers over the header limit (16 KiB)' },
  BAD_HTTP: { retCode: 10001, http: 400, retMsg: 'malformed HTTP request', when: 'a request the HTTP parser refuses (bad request line, header or chunked encoding)' },
  REQUEST_TIMEOUT: { retCode: 10016, http: 408, retMsg: 'Request timeout', when: 'headers not in within 10 s, or the whole request (body included) not in within 30 s; the connection is closed' },
  ORDER_NOT_FOUND: { retCode: 110001, http: 200, retMsg: 'Order does not exist', when: 'orderId/orderLinkId unknown for this account, or the order is closed' },
  PRICE_RANGE: { retCode: 110003, http: 200, retMsg: 'Order price exceeds allowable range', when: 'price outside the instrument min/max price, or a Buy above / Sell below the mark by more than priceLimitRatio (create and amend)' },
  INSUFFICIENT_AB: { retCode: 110007, http: 200, retMsg: 'ab not enough for new order', when: 'the initial margin of the order exceeds the available balance' },
  ORDER_CLOSED: { retCode: 110008, http: 200, retMsg: 'The order has been completed or cancelled', when: 'amending or cancelling an order that is already filled or cancelled' },
  REDUCE_ONLY: { retCode: 110017, http: 200, retMsg: 'current position is zero, cannot fix reduce-only order qty', when: 'a reduceOnly order with no position to reduce on that side' },
  LEVERAGE_NOT_MODIFIED: { retCode: 110043, http: 200, retMsg: 'leverage not modified', when: 'set-leverage to the leverage already set' },
  TOO_MANY_ORDERS: { retCode: 110020, http: 200, retMsg: 'Not allowed to have more than 500 active orders', when: 'a 501st active order on one symbol' },
  AMEND_QTY: { retCode: 110064, http: 200, retMsg: 'The modified contract quantity cannot be less than or equal to the filled quantity', when: 'amend qty <= filled qty' },
  DUPLICATE_LINK_ID: { retCode: 110072, http: 200, retMsg: 'OrderLinkedID is duplicate', when: 'an orderLinkId of an open order of this account, or of one of its last 100,000 closed orders' },
  AMEND_NO_CHANGE: { retCode: 10001, http: 200, retMsg: 'The order remains unchanged as the parameters entered match the existing ones', when: 'amend with the same price and qty' },
  NOTIONAL: { retCode: 110094, http: 200, retMsg: 'Order does not meet minimum order value', when: 'price × qty below minNotionalValue' },
  WS_OP_UNSUPPORTED: { retCode: 10404, http: 200, retMsg: 'op not supported', when: 'an unknown op on /v5/trade' },
  WS_REPEAT_AUTH: { retCode: 20001, http: 200, retMsg: 'Repeat auth', when: 'a second auth on an authenticated /v5/trade connection' },
  WS_DUP_REQ_ID: { retCode: 20006, http: 200, retMsg: 'reqId is duplicated', when: 'a reqId reused on one /v5/trade connection' },
  WS_NOT_AUTHED: { retCode: 10003, http: 200, retMsg: 'Request not authorized', when: 'an order op before auth on /v5/trade' },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorName = keyof typeof CATALOGUE;

/** A venue error already knows the retCode, message and HTTP status it will be answered with. */
export class VenueError extends Error {
  readonly retCode: number;
  readonly retMsg: string;
  readonly http: number;
  /** `detail` is appended to the catalogue's message: "params error: qty must be a decimal string". */
  constructor(readonly code: ErrorName, detail?: string, exactMessage?: string) {
    const entry: CatalogueEntry = CATALOGUE[code];
    const retMsg = exactMessage ?? (detail === undefined ? entry.retMsg : `${entry.retMsg}: ${detail}`);
    super(retMsg);
    this.name = 'VenueError';
    this.retCode = entry.retCode;
    this.retMsg = retMsg;
    this.http = entry.http;
  }
}

export const venueError = (code: ErrorName, detail?: string): VenueError => new VenueError(code, detail);

/** 10002's real message carries the three numbers a client needs to fix its clock (pybit #191, bybit-api #236). */
export function timestampError(reqTs: number | string, serverTs: number, recvWindow: number | string): VenueError {
  return new VenueError(
    'TIMESTAMP',
    undefined,
    `${CATALOGUE.TIMESTAMP.retMsg}. req_timestamp[${reqTs}],server_timestamp[${serverTs}],recv_window[${recvWindow}]`,
  );
}
