/**
 * Parameters of every Bybit V5 endpoint the simulator answers (../shared/reference/bybit-v5.md §3): zod schemas, and
 * the exact conversion of decimal strings to integers (ticks, lots) with the instrument. Everything here is pure: it
 * reads the venue's instrument table and nothing else, and every refusal is a VenueError from the one catalogue.
 *
 * Rules (the same for REST bodies, WS /v5/trade args and batch items):
 *  - Strict: an unknown field is 10001 naming it. A documented field the simulator does not implement (TP/SL,
 *    conditional orders, hedge mode, spot margin, ...) is accepted when absent, null, "" or its default value, else
 *    10001 "<field> is not supported by the simulator".
 *  - Wrong types, missing required fields, negative or huge numbers, too many decimals, non-multiples of the tick or
 *    the qty step: 10001 with a message that names the field.
 *  - qty and price: decimal strings as Bybit documents (ccxt and bybit-api send strings). A JSON number is accepted
 *    only when its shortest round-trip text (`String(n)`) is a plain decimal, which is then parsed exactly like the
 *    string would be (0.001 → "0.001"; 1e-7 and 1e21 are refused, as are NaN/Infinity and negatives).
 *  - category must be "linear". "spot", "inverse" and "option" are real categories the venue lists nothing in:
 *    they are answered like a symbol it does not list (catalogue BAD_SYMBOL, 10001 "Not supported symbols").
 *    Unknown symbols get the same answer. Any other category text is 10001.
 */
import { z } from 'zod';
import type { Venue, PlaceRequest, AmendRequest, OrderRef } from '../venue/venue.ts';
import type { Instrument } from '../instruments.ts';
import type { SmpPolicy } from '../engine/types.ts';
import { toSteps, type Step } from './decimal.ts';
import { VenueError } from './errors.ts';

// ---------------------------------------------------------------------------------------------------------------------
// Errors

type Issue = z.core.$ZodIssue;

/** The first zod issue as a 10001 message naming the field. */
export function issueMessage(issue: Issue): string {
  if (issue.code === 'unrecognized_keys') {
    const prefix = issue.path.length > 0 ? `${pathText(issue.path)}.` : '';
    return `unknown parameter "${prefix}${clip(String(issue.keys[0]))}"`;
  }
  const field = pathText(issue.path);
  if (field === '' || issue.message.startsWith(field)) return issue.message;
  return `${field}: ${issue.message}`;
}

function pathText(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
}

/** Parses with a schema; the first issue becomes VenueError PARAMS. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw new VenueError('PARAMS', issueMessage(r.error.issues[0]!));
  return r.data;
}

const params = (detail: string): VenueError => new VenueError('PARAMS', detail);

function clip(s: string, n = 40): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

// ---------------------------------------------------------------------------------------------------------------------
// Categories and symbols

export const CATEGORIES = ['linear', 'spot', 'inverse', 'option'] as const;
export type Category = (typeof CATEGORIES)[number];

/**
 * Validates a category value. Missing → 10001 "category is required" (when required); not one of Bybit's four →
 * 10001. Returns the category (possibly an unlisted one: callers decide how to answer those).
 */
export function parseCategory(v: unknown, required = true): Category | undefined {
  if (v === undefined || v === '') {
    if (required) throw params('category is required');
    return undefined;
  }
  if (typeof v !== 'string') throw params('category must be a string');
  if (!(CATEGORIES as readonly string[]).includes(v)) {
    throw params(`category "${clip(v)}" is not valid (linear, spot, inverse, option)`);
  }
  return v as Category;
}

/** For trading: the category must be linear; spot/inverse/option are answered like an unlisted symbol. */
export function requireLinear(v: unknown, required = true): void {
  const c = parseCategory(v, required);
  if (c !== undefined && c !== 'linear') throw new VenueError('BAD_SYMBOL');
}

/** The instrument of a listed linear symbol, else BAD_SYMBOL. */
export function instrumentOf(venue: Venue, symbol: string): Instrument {
  const inst = venue.instruments.get(symbol);
  if (!inst) throw new VenueError('BAD_SYMBOL', clip(symbol));
  return inst;
}

// ---------------------------------------------------------------------------------------------------------------------
// Field schemas

const msg = (field: string, what: string) => (iss: { input?: unknown }) =>
  iss.input === undefined ? `${field} is required` : `${field} must be ${what}`;

const symbolField = z
  .string({ error: msg('symbol', 'a string') })
  .min(1, { error: 'symbol is required' })
  .max(64, { error: 'symbol is too long' });

/** A decimal given as a string (or, see the header, as an exactly representable JSON number). */
const decimalField = (field: string) => z.union([z.string(), z.number()], { error: msg(field, 'a decimal string') });

const sideField = z.enum(['Buy', 'Sell'], { error: msg('side', 'Buy or Sell') });
const orderTypeField = z.enum(['Limit', 'Market'], { error: msg('orderType', 'Limit or Market') });

const timeInForceField = z
  .string({ error: msg('timeInForce', 'a string') })
  .superRefine((v, ctx) => {
    if (v === 'RPI') ctx.addIssue({ code: 'custom', message: 'timeInForce RPI is not supported by the simulator' });
    else if (!['GTC', 'IOC', 'FOK', 'PostOnly', ''].includes(v)) {
      ctx.addIssue({ code: 'custom', message: `timeInForce must be one of GTC, IOC, FOK, PostOnly (got "${clip(v)}")` });
    }
  });

export const ORDER_LINK_ID = /^[0-9A-Za-z_-]{1,36}$/;
const orderLinkIdField = z.string({ error: msg('orderLinkId', 'a string') }).superRefine((v, ctx) => {
  if (v === '') return;
  if (v.length > 36) ctx.addIssue({ code: 'custom', message: `orderLinkId is longer than 36 characters (${v.length})` });
  else if (!ORDER_LINK_ID.test(v)) ctx.addIssue({ code: 'custom', message: 'orderLinkId may only contain 0-9 A-Z a-z _ -' });
});

const orderIdField = z.string({ error: msg('orderId', 'a string') }).max(64, { error: 'orderId is too long' });

const boolField = (field: string) => z.boolean({ error: msg(field, 'a boolean') });

const SMP_TYPES = ['None', 'CancelMaker', 'CancelTaker', 'CancelBoth'] as const;
const smpTypeField = z.string({ error: msg('smpType', 'a string') }).superRefine((v, ctx) => {
  if (v !== '' && !(SMP_TYPES as readonly string[]).includes(v)) {
    ctx.addIssue({ code: 'custom', message: `smpType "${clip(v)}" is not supported by the simulator (None, CancelMaker, CancelTaker, CancelBoth)` });
  }
});

/** Is `v` "no value" (absent, null, "") or one of the documented defaults? */
const isDefault = (v: unknown, defaults: readonly unknown[]): boolean =>
  v === undefined || v === null || v === '' || defaults.includes(v);

/** A documented field the simulator does not implement: fine when empty or default, else 10001. */
const unsupported = (field: string, ...defaults: unknown[]) =>
  z.unknown().refine((v) => isDefault(v, defaults), { error: `${field} is not supported by the simulator` }).optional();

/** Bybit's TP/SL / conditional fields: "0" (and 0) mean "none", e.g. amend's takeProfit "0" cancels TP. */
const ZERO = ['0', 0] as const;

const UNSUPPORTED_CREATE = {
  isLeverage: unsupported('isLeverage', ...ZERO),
  marketUnit: unsupported('marketUnit'),
  orderFilter: unsupported('orderFilter', 'Order'),
  triggerPrice: unsupported('triggerPrice', ...ZERO),
  triggerDirection: unsupported('triggerDirection', ...ZERO),
  triggerBy: unsupported('triggerBy'),
  orderIv: unsupported('orderIv', ...ZERO),
  takeProfit: unsupported('takeProfit', ...ZERO),
  stopLoss: unsupported('stopLoss', ...ZERO),
  tpslMode: unsupported('tpslMode'),
  tpTriggerBy: unsupported('tpTriggerBy'),
  slTriggerBy: unsupported('slTriggerBy'),
  tpLimitPrice: unsupported('tpLimitPrice', ...ZERO),
  slLimitPrice: unsupported('slLimitPrice', ...ZERO),
  tpOrderType: unsupported('tpOrderType'),
  slOrderType: unsupported('slOrderType'),
  slippageToleranceType: unsupported('slippageToleranceType', 'UNKNOWN'),
  slippageTolerance: unsupported('slippageTolerance', ...ZERO),
  bboSideType: unsupported('bboSideType'),
  bboLevel: unsupported('bboLevel', ...ZERO),
  closeOnTrigger: unsupported('closeOnTrigger', false),
  mmp: unsupported('mmp', false),
  positionIdx: unsupported('positionIdx', ...ZERO),
} as const;

const UNSUPPORTED_AMEND = {
  triggerPrice: unsupported('triggerPrice', ...ZERO),
  takeProfit: unsupported('takeProfit', ...ZERO),
  stopLoss: unsupported('stopLoss', ...ZERO),
  tpslMode: unsupported('tpslMode'),
  tpTriggerBy: unsupported('tpTriggerBy'),
  slTriggerBy: unsupported('slTriggerBy'),
  triggerBy: unsupported('triggerBy'),
  tpLimitPrice: unsupported('tpLimitPrice', ...ZERO),
  slLimitPrice: unsupported('slLimitPrice', ...ZERO),
  orderIv: unsupported('orderIv', ...ZERO),
} as const;

/** `category` is validated before the schema runs (spot must answer BAD_SYMBOL whatever else the body holds). */
const categorySlot = { category: z.unknown().optional() };

// ---------------------------------------------------------------------------------------------------------------------
// Trading bodies

export const CreateOrderSchema = z
  .object({
    ...categorySlot,
    symbol: symbolField,
    side: sideField,
    orderType: orderTypeField,
    qty: decimalField('qty'),
    price: decimalField('price').optional(),
    timeInForce: timeInForceField.optional(),
    orderLinkId: orderLinkIdField.optional(),
    reduceOnly: boolField('reduceOnly').optional(),
    smpType: smpTypeField.optional(),
    ...UNSUPPORTED_CREATE,
  })
  .strict();

export const AmendOrderSchema = z
  .object({
    ...categorySlot,
    symbol: symbolField,
    orderId: orderIdField.optional(),
    orderLinkId: orderLinkIdField.optional(),
    qty: decimalField('qty').optional(),
    price: decimalField('price').optional(),
    ...UNSUPPORTED_AMEND,
  })
  .strict();

export const CancelOrderSchema = z
  .object({
    ...categorySlot,
    symbol: symbolField,
    orderId: orderIdField.optional(),
    orderLinkId: orderLinkIdField.optional(),
    orderFilter: unsupported('orderFilter', 'Order'),
  })
  .strict();

export const CancelAllSchema = z
  .object({
    ...categorySlot,
    symbol: symbolField.optional(),
    baseCoin: z.string({ error: msg('baseCoin', 'a string') }).max(32).optional(),
    settleCoin: z.string({ error: msg('settleCoin', 'a string') }).max(32).optional(),
    orderFilter: unsupported('orderFilter', 'Order'),
    stopOrderType: unsupported('stopOrderType'),
  })
  .strict();

export const MAX_BATCH = 20;

export const BatchSchema = z
  .object({
    ...categorySlot,
    request: z
      .array(z.unknown(), { error: msg('request', 'an array of orders') })
      .min(1, { error: 'request must hold at least one order' })
      .max(MAX_BATCH, { error: `request holds more than ${MAX_BATCH} orders` }),
  })
  .strict();

export const SetLeverageSchema = z
  .object({
    ...categorySlot,
    symbol: symbolField,
    buyLeverage: decimalField('buyLeverage'),
    sellLeverage: decimalField('sellLeverage'),
  })
  .strict();

export const DCP_PRODUCTS = ['OPTIONS', 'DERIVATIVES', 'SPOT'] as const;
export const DcpSchema = z
  .object({
    timeWindow: z
      .union([z.number(), z.string()], { error: msg('timeWindow', 'an integer') })
      .transform((v, ctx) => {
        const n = typeof v === 'number' ? v : /^\d{1,6}$/.test(v) ? Number(v) : NaN;
        if (!Number.isInteger(n) || n < 3 || n > 300) {
          ctx.addIssue({ code: 'custom', message: 'timeWindow must be an integer number of seconds in [3, 300]' });
          return z.NEVER;
        }
        return n;
      }),
    product: z.enum(DCP_PRODUCTS, { error: msg('product', 'OPTIONS, DERIVATIVES or SPOT') }).optional(),
  })
  .strict();

// ---------------------------------------------------------------------------------------------------------------------
// Decimal conversion

/**
 * The decimal text of a qty/price value: strings as given; numbers only when `String(n)` is a plain non-negative
 * decimal (no exponent), i.e. when the number denotes that decimal exactly as far as JSON can say.
 */
export function decimalText(field: string, v: string | number): string {
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) throw params(`${field} must be a decimal string`);
  const s = String(v);
  if (!/^\d+(\.\d+)?$/.test(s)) throw params(`${field} must be a decimal string (JSON number ${clip(s)} has no exact decimal form)`);
  return s;
}

/** Exact decimal → whole steps; refuses negatives, exponents, too many decimals, non-multiples, unsafe sizes, zero. */
export function toPositiveSteps(field: string, v: string | number, step: Step): number {
  const text = decimalText(field, v);
  const r = toSteps(text, step);
  if (!r.ok) {
    // toSteps reads at most 16 integer digits: a longer plain decimal is a size problem, not a format one.
    if (/^\d{17,}(\.\d+)?$/.test(text)) throw params(`${field} "${clip(text)}" is too large`);
    throw params(`${field} ${r.why}`);
  }
  if (r.value <= 0) throw params(`${field} must be greater than 0`);
  return r.value;
}

// ---------------------------------------------------------------------------------------------------------------------
// Parsed trading requests

export type CreateParams = Omit<PlaceRequest, 'signedAt'>;

export interface ParseOptions {
  /** A batch item: `category` is hoisted to the batch and may be omitted; if present it is checked the same way. */
  readonly inBatch?: boolean;
}

/** The body must be a JSON object (REST bodies already are; WS args and batch items may not be). */
export function asObject(body: unknown, what = 'request'): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw params(`${what} must be a JSON object`);
  return body as Record<string, unknown>;
}

function checkCategory(o: Record<string, unknown>, opts: ParseOptions): void {
  requireLinear(o.category, opts.inBatch !== true);
}

const emptyToUndefined = (s: string | undefined): string | undefined => (s === '' ? undefined : s);

/** POST /v5/order/create (and order.create, create-batch items) → a PlaceRequest without signedAt. */
export function parseCreate(venue: Venue, body: unknown, opts: ParseOptions = {}): CreateParams {
  const o = asObject(body, opts.inBatch ? 'request item' : 'request');
  checkCategory(o, opts);
  const p = parseWith(CreateOrderSchema, o);
  const inst = instrumentOf(venue, p.symbol);
  const qty = toPositiveSteps('qty', p.qty, inst.lot);
  let price: number | undefined;
  let tif = p.timeInForce === undefined || p.timeInForce === '' ? 'GTC' : p.timeInForce;
  if (p.orderType === 'Limit') {
    if (p.price === undefined || p.price === '') throw params('price is required for Limit orders');
    price = toPositiveSteps('price', p.price, inst.tick);
  } else {
    // Bybit ignores a market order's price; it is still type-checked above. Market orders are always IOC.
    tif = 'IOC';
  }
  const smp: SmpPolicy | undefined = p.smpType === undefined || p.smpType === '' || p.smpType === 'None' ? undefined : (p.smpType as SmpPolicy);
  return {
    symbol: inst.symbol,
    side: p.side === 'Buy' ? 1 : -1,
    orderType: p.orderType,
    timeInForce: tif as CreateParams['timeInForce'],
    price,
    qty,
    orderLinkId: emptyToUndefined(p.orderLinkId),
    reduceOnly: p.reduceOnly === true,
    smp,
  };
}

function requireRef(orderId: string | undefined, orderLinkId: string | undefined): void {
  if (!orderId && !orderLinkId) throw params('orderId or orderLinkId is required');
}

/** POST /v5/order/amend → an AmendRequest (integers). "" for qty/price means "not modifying". */
export function parseAmend(venue: Venue, body: unknown, opts: ParseOptions = {}): AmendRequest {
  const o = asObject(body, opts.inBatch ? 'request item' : 'request');
  checkCategory(o, opts);
  const p = parseWith(AmendOrderSchema, o);
  const inst = instrumentOf(venue, p.symbol);
  const orderId = emptyToUndefined(p.orderId);
  const orderLinkId = emptyToUndefined(p.orderLinkId);
  requireRef(orderId, orderLinkId);
  return {
    symbol: inst.symbol,
    orderId,
    orderLinkId,
    qty: p.qty === undefined || p.qty === '' ? undefined : toPositiveSteps('qty', p.qty, inst.lot),
    price: p.price === undefined || p.price === '' ? undefined : toPositiveSteps('price', p.price, inst.tick),
  };
}

/** POST /v5/order/cancel → an OrderRef. orderId wins over orderLinkId when both are given. */
export function parseCancel(venue: Venue, body: unknown, opts: ParseOptions = {}): OrderRef {
  const o = asObject(body, opts.inBatch ? 'request item' : 'request');
  checkCategory(o, opts);
  const p = parseWith(CancelOrderSchema, o);
  const inst = instrumentOf(venue, p.symbol);
  const orderId = emptyToUndefined(p.orderId);
  const orderLinkId = emptyToUndefined(p.orderLinkId);
  requireRef(orderId, orderLinkId);
  return { symbol: inst.symbol, orderId, orderLinkId };
}

export interface CancelAllParams {
  readonly category: Category;
  /** Symbols whose orders are cancelled (priority symbol > baseCoin > settleCoin); empty = nothing to cancel. */
  readonly symbols: readonly string[];
}

/**
 * POST /v5/order/cancel-all. Linear needs symbol, baseCoin or settleCoin (settleCoin USDT = every symbol). In an
 * unlisted category a symbol is BAD_SYMBOL and anything else cancels nothing.
 */
export function parseCancelAll(venue: Venue, body: unknown): CancelAllParams {
  const o = asObject(body);
  const category = parseCategory(o.category)!;
  const p = parseWith(CancelAllSchema, o);
  const symbol = emptyToUndefined(p.symbol);
  const baseCoin = emptyToUndefined(p.baseCoin);
  const settleCoin = emptyToUndefined(p.settleCoin);
  if (category !== 'linear') {
    if (symbol !== undefined) throw new VenueError('BAD_SYMBOL', clip(symbol));
    return { category, symbols: [] };
  }
  if (symbol !== undefined) return { category, symbols: [instrumentOf(venue, symbol).symbol] };
  if (baseCoin !== undefined) return { category, symbols: symbolsWhere(venue, { baseCoin }) };
  if (settleCoin !== undefined) return { category, symbols: symbolsWhere(venue, { settleCoin }) };
  throw params('symbol, baseCoin or settleCoin is required for linear');
}

/** Listed symbols matching a baseCoin and/or settleCoin filter (every listed instrument settles in USDT), sorted. */
export function symbolsWhere(venue: Venue, f: { baseCoin?: string | undefined; settleCoin?: string | undefined }): string[] {
  const out: string[] = [];
  if (f.settleCoin !== undefined && f.settleCoin !== 'USDT') return out;
  for (const inst of venue.instruments.values()) {
    if (f.baseCoin !== undefined && inst.config.baseCoin !== f.baseCoin) continue;
    out.push(inst.symbol);
  }
  return out.sort();
}

/** A batch request's envelope: `{category:"linear", request:[1..20 items]}`. Items are validated one by one later. */
export function parseBatch(body: unknown): { category: 'linear'; request: readonly unknown[] } {
  const o = asObject(body);
  requireLinear(o.category);
  const p = parseWith(BatchSchema, o);
  return { category: 'linear', request: p.request };
}

/** Leverage strings ("10", "10.00") → an integer; the simulator only sets whole leverages. */
export function parseLeverage(field: string, v: string | number): number {
  const text = decimalText(field, v);
  const m = /^(\d{1,4})(?:\.(\d{1,2}))?$/.exec(text);
  if (!m) throw params(`${field} must be a decimal string with at most 2 decimals`);
  if (m[2] !== undefined && !/^0+$/.test(m[2])) throw params(`${field} must be a whole number (the simulator only sets integer leverage)`);
  return Number(m[1]);
}

// ---------------------------------------------------------------------------------------------------------------------
// Query strings (GET). Values arrive as strings (http.ts parses with URLSearchParams; repeated keys never get here).

const categoryQ = z.enum(CATEGORIES, {
  error: (iss) => (iss.input === undefined ? 'category is required' : `category "${clip(String(iss.input))}" is not valid (linear, spot, inverse, option)`),
});

const strQ = (field: string, max = 64) => z.string().max(max, { error: `${field} is too long` });

/** A non-negative integer query value within [min, max], with a default. */
const intQ = (field: string, min: number, max: number) =>
  z
    .string()
    .transform((v, ctx) => {
      const n = /^\d{1,15}$/.test(v) ? Number(v) : NaN;
      if (!(n >= min && n <= max)) {
        ctx.addIssue({ code: 'custom', message: `${field} must be an integer in [${min}, ${max}]` });
        return z.NEVER;
      }
      return n;
    });

/** A millisecond timestamp. */
const msQ = (field: string) => intQ(field, 0, 8_640_000_000_000_000);

const cursorQ = strQ('cursor', 128);

export const InstrumentsQuery = z
  .object({
    category: categoryQ,
    symbol: strQ('symbol').optional(),
    status: strQ('status').optional(),
    baseCoin: strQ('baseCoin').optional(),
    symbolType: strQ('symbolType').optional(),
    limit: intQ('limit', 1, 1000).optional(),
    cursor: cursorQ.optional(),
  })
  .strict();

export const OrderbookQuery = z
  .object({
    category: categoryQ,
    symbol: z.string({ error: msg('symbol', 'a string') }).min(1, { error: 'symbol is required' }).max(64),
    limit: intQ('limit', 1, 1000).optional(),
  })
  .strict();

export const TickersQuery = z
  .object({
    category: categoryQ,
    symbol: strQ('symbol').optional(),
    baseCoin: strQ('baseCoin').optional(),
    expDate: strQ('expDate').optional(),
  })
  .strict();

export const RecentTradeQuery = z
  .object({
    category: categoryQ,
    symbol: strQ('symbol').optional(),
    baseCoin: strQ('baseCoin').optional(),
    optionType: strQ('optionType').optional(),
    limit: intQ('limit', 1, 1000).optional(),
  })
  .strict();

export const KLINE_INTERVALS = ['1', '3', '5', '15', '30', '60', '120', '240', '360', '720', 'D', 'W', 'M'] as const;
export const KlineQuery = z
  .object({
    category: categoryQ.optional(),
    symbol: z.string({ error: msg('symbol', 'a string') }).min(1, { error: 'symbol is required' }).max(64),
    interval: z.enum(KLINE_INTERVALS, { error: msg('interval', `one of ${KLINE_INTERVALS.join(',')}`) }),
    start: msQ('start').optional(),
    end: msQ('end').optional(),
    limit: intQ('limit', 1, 1000).optional(),
  })
  .strict();

const ORDER_FILTERS = ['Order', 'StopOrder', 'tpslOrder', 'OcoOrder', 'BidirectionalTpslOrder'] as const;
const orderFilterQ = z.enum(ORDER_FILTERS, { error: `orderFilter must be one of ${ORDER_FILTERS.join(', ')}` });

const orderSelector = {
  category: categoryQ,
  symbol: strQ('symbol').optional(),
  baseCoin: strQ('baseCoin').optional(),
  settleCoin: strQ('settleCoin').optional(),
  orderId: strQ('orderId').optional(),
  orderLinkId: strQ('orderLinkId').optional(),
  orderFilter: orderFilterQ.optional(),
  limit: intQ('limit', 1, 50).optional(),
  cursor: cursorQ.optional(),
};

export const OpenOrdersQuery = z
  .object({
    ...orderSelector,
    openOnly: z.enum(['0', '1'], { error: 'openOnly must be 0 or 1' }).optional(),
  })
  .strict();

export const ORDER_STATUSES = ['New', 'PartiallyFilled', 'Untriggered', 'Rejected', 'PartiallyFilledCanceled', 'Filled', 'Cancelled', 'Triggered', 'Deactivated'] as const;
export const OrderHistoryQuery = z
  .object({
    ...orderSelector,
    orderStatus: z.enum(ORDER_STATUSES, { error: `orderStatus must be one of ${ORDER_STATUSES.join(', ')}` }).optional(),
    startTime: msQ('startTime').optional(),
    endTime: msQ('endTime').optional(),
  })
  .strict();

export const ExecutionQuery = z
  .object({
    category: categoryQ,
    symbol: strQ('symbol').optional(),
    orderId: strQ('orderId').optional(),
    orderLinkId: strQ('orderLinkId').optional(),
    baseCoin: strQ('baseCoin').optional(),
    settleCoin: strQ('settleCoin').optional(),
    startTime: msQ('startTime').optional(),
    endTime: msQ('endTime').optional(),
    execType: strQ('execType').optional(),
    limit: intQ('limit', 1, 100).optional(),
    cursor: cursorQ.optional(),
  })
  .strict();

export const PositionQuery = z
  .object({
    category: categoryQ,
    symbol: strQ('symbol').optional(),
    baseCoin: strQ('baseCoin').optional(),
    settleCoin: strQ('settleCoin').optional(),
    limit: intQ('limit', 1, 200).optional(),
    cursor: cursorQ.optional(),
  })
  .strict();

export const WalletQuery = z
  .object({
    accountType: z.string({ error: msg('accountType', 'a string') }).refine((v) => v === 'UNIFIED', {
      error: 'accountType must be UNIFIED (the simulator only has unified trading accounts)',
    }),
    coin: strQ('coin', 256).optional(),
  })
  .strict();

export const FeeRateQuery = z
  .object({
    category: categoryQ,
    symbol: strQ('symbol').optional(),
    baseCoin: strQ('baseCoin').optional(),
  })
  .strict();

export const CoinInfoQuery = z.object({ coin: strQ('coin').optional() }).strict();

export const EmptyQuery = z.object({}).strict();

export const SEVEN_DAYS = 7 * 24 * 3600_000;

/**
 * Bybit's [startTime, endTime] rule for history queries: at most 7 days; one bound given → the other is 7 days away;
 * neither → the last 7 days.
 */
export function timeWindow(startTime: number | undefined, endTime: number | undefined, now: number): { from: number; to: number } {
  if (startTime !== undefined && endTime !== undefined) {
    if (startTime > endTime) throw params('startTime must not be after endTime');
    if (endTime - startTime > SEVEN_DAYS) throw params('the time range between startTime and endTime cannot exceed 7 days');
    return { from: startTime, to: endTime };
  }
  if (startTime !== undefined) return { from: startTime, to: startTime + SEVEN_DAYS };
  if (endTime !== undefined) return { from: endTime - SEVEN_DAYS, to: endTime };
  return { from: now - SEVEN_DAYS, to: now };
}

// ---------------------------------------------------------------------------------------------------------------------
// Cursors: opaque base64url of "<kind>:<integer>"; "" means no more pages.

export function encodeCursor(kind: string, n: number): string {
  return Buffer.from(`${kind}:${n}`).toString('base64url');
}

/** The integer a cursor of this kind carries; undefined for no cursor; 10001 for anything else. */
export function decodeCursor(kind: string, cursor: string | undefined): number | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const text = /^[A-Za-z0-9_-]{1,128}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const m = /^([a-z]+):(\d{1,15})$/.exec(text);
  if (!m || m[1] !== kind) throw params('cursor is invalid');
  return Number(m[2]);
}
