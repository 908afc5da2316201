/**
 * Every Bybit V5 REST endpoint of ../../../shared/reference/bybit-v5.md §3 on top of http.ts: market data (public),
 * order entry (trading.ts), queries, positions, account meta and disconnect-cancel. Only `linear` is listed; spot,
 * inverse and option answer like a venue that lists nothing there: list endpoints return empty lists, a named
 * symbol is 10001 "Not supported symbols".
 *
 * Handlers are synchronous and read time only from the request context (`ctx.now`). Pagination cursors are opaque
 * (params.ts encodeCursor) and `""` when there is no further page.
 */
import type { Venue } from '../../venue/venue.ts';
import type { OrderRecord } from '../../venue/orders.ts';
import type { Instrument } from '../../instruments.ts';
import type { Account } from '../../accounts/account.ts';
import { emptyPosition } from '../../accounts/position.ts';
import { intervalMinutes } from '../../venue/market-stats.ts';
import { VenueError } from '../errors.ts';
import {
  orderJson,
  executionJson,
  positionJson,
  walletJson,
  publicTradeRestJson,
  levelsJson,
  price as priceText,
  qty as qtyText,
  usdtTotal,
} from '../serialize.ts';
import { tickerJson } from '../ticker.ts';
import {
  parseWith,
  requireLinear,
  instrumentOf,
  symbolsWhere,
  asObject,
  parseLeverage,
  decodeCursor,
  encodeCursor,
  timeWindow,
  InstrumentsQuery,
  OrderbookQuery,
  TickersQuery,
  RecentTradeQuery,
  KlineQuery,
  OpenOrdersQuery,
  OrderHistoryQuery,
  ExecutionQuery,
  PositionQuery,
  WalletQuery,
  FeeRateQuery,
  CoinInfoQuery,
  EmptyQuery,
  SetLeverageSchema,
  DcpSchema,
  type Category,
} from '../params.ts';
import {
  createOrder,
  amendOrder,
  cancelOrder,
  cancelAllOrders,
  createBatch,
  amendBatch,
  cancelBatch,
  batchSize,
} from '../trading.ts';
import { reply, type createRestApp, type PrivateContext } from './http.ts';

export interface RouteOptions {
  /** The `u` of /v5/market/orderbook: the 1000-level WS stream's update id; default the engine seq. */
  bookUpdateId?: (symbol: string) => number;
}

/** Up to this many recent closed orders answer /v5/order/realtime?openOnly=1 (Bybit keeps 500). */
export const RECENT_CLOSED = 500;

const emptyList = (category: Category) => ({ category, list: [] as unknown[], nextPageCursor: '' });

/** Keeps items whose key is below the cursor (lists are newest first by a decreasing key), then pages. */
function page<T>(sorted: readonly T[], key: (t: T) => number, kind: string, cursor: string | undefined, limit: number) {
  const after = decodeCursor(kind, cursor);
  let start = 0;
  if (after !== undefined) while (start < sorted.length && key(sorted[start]!) >= after) start++;
  const items = sorted.slice(start, start + limit);
  const more = start + limit < sorted.length;
  return { items, next: more && items.length > 0 ? encodeCursor(kind, key(items[items.length - 1]!)) : '' };
}

/** Linear instrument item of instruments-info, with exactly Bybit's fields. */
function instrumentJson(inst: Instrument) {
  const c = inst.config;
  return {
    symbol: c.symbol,
    contractType: 'LinearPerpetual',
    status: 'Trading',
    baseCoin: c.baseCoin,
    quoteCoin: 'USDT',
    launchTime: c.launchTime,
    deliveryTime: '0',
    deliveryFeeRate: '',
    priceScale: String(c.priceScale),
    leverageFilter: { minLeverage: '1', maxLeverage: c.maxLeverage, leverageStep: '1' },
    priceFilter: { minPrice: c.minPrice, maxPrice: c.maxPrice, tickSize: c.tickSize },
    lotSizeFilter: {
      maxOrderQty: c.maxOrderQty,
      minOrderQty: c.minOrderQty,
      qtyStep: c.qtyStep,
      postOnlyMaxOrderQty: c.maxOrderQty,
      maxMktOrderQty: c.maxMktOrderQty,
      minNotionalValue: c.minNotionalValue,
    },
    unifiedMarginTrade: true,
    fundingInterval: 480,
    settleCoin: 'USDT',
    copyTrading: 'both',
    upperFundingRate: '0.005',
    lowerFundingRate: '-0.005',
    isPreListing: false,
    preListingInfo: null,
    riskParameters: { priceLimitRatioX: c.priceLimitRatio, priceLimitRatioY: c.priceLimitRatio },
    symbolType: '',
  };
}

/** Symbols selected by symbol > baseCoin > settleCoin for private linear queries; undefined = none given. */
function selectSymbols(venue: Venue, q: { symbol?: string | undefined; baseCoin?: string | undefined; settleCoin?: string | undefined }): Set<string> | undefined {
  if (q.symbol) return new Set([instrumentOf(venue, q.symbol).symbol]);
  if (q.baseCoin) return new Set(symbolsWhere(venue, { baseCoin: q.baseCoin }));
  if (q.settleCoin) return new Set(symbolsWhere(venue, { settleCoin: q.settleCoin }));
  return undefined;
}

/** For private queries in an unlisted category: a named symbol is BAD_SYMBOL, anything else an empty list. */
function unlisted(category: Category, symbol: string | undefined) {
  if (symbol) throw new VenueError('BAD_SYMBOL', symbol);
  return emptyList(category);
}

const byNewest = (a: OrderRecord, b: OrderRecord) => b.engineId - a.engineId;

export function registerRoutes(
  rest: ReturnType<typeof createRestApp>,
  venue: Venue,
  opts: RouteOptions = {},
): void {
  const account = (ctx: PrivateContext): Account => venue.account(ctx.key.uid);
  const markOf = (symbol: string) => venue.mark(symbol);

  // ------------------------------------------------------------------------------------------------ market (public)

  rest.publicGet('/v5/market/time', (ctx) => ({
    timeSecond: String(Math.floor(ctx.now / 1000)),
    timeNano: `${ctx.now}000000`,
  }));

  rest.publicGet('/v5/market/instruments-info', (ctx) => {
    const q = parseWith(InstrumentsQuery, ctx.query);
    if (q.category !== 'linear') return emptyList(q.category);
    const after = q.cursor ? decodeSymbolCursor(q.cursor) : undefined;
    const status = q.status ?? 'Trading';
    const all = status !== 'Trading'
      ? []
      : [...venue.instruments.values()]
          // Every listed instrument has symbolType "": a non-empty symbolType filter matches none.
          .filter((i) => (!q.symbol || i.symbol === q.symbol) && (!q.baseCoin || i.config.baseCoin === q.baseCoin) && !q.symbolType)
          .sort((a, b) => (a.symbol < b.symbol ? -1 : 1))
          .filter((i) => after === undefined || i.symbol > after);
    const limit = q.limit ?? 500;
    const items = all.slice(0, limit);
    const next = all.length > limit ? encodeSymbolCursor(items[items.length - 1]!.symbol) : '';
    return { category: 'linear', list: items.map(instrumentJson), nextPageCursor: next };
  });

  rest.publicGet('/v5/market/orderbook', (ctx) => {
    const q = parseWith(OrderbookQuery, ctx.query);
    if (q.category !== 'linear') throw new VenueError('BAD_SYMBOL', q.symbol);
    const inst = instrumentOf(venue, q.symbol);
    const book = venue.book(inst.symbol);
    const limit = q.limit ?? 25;
    return {
      s: inst.symbol,
      b: levelsJson(inst, book.depth(1, limit)),
      a: levelsJson(inst, book.depth(-1, limit)),
      ts: ctx.now,
      u: opts.bookUpdateId ? opts.bookUpdateId(inst.symbol) : book.seq,
      seq: book.seq,
      cts: ctx.now,
    };
  });

  rest.publicGet('/v5/market/tickers', (ctx) => {
    const q = parseWith(TickersQuery, ctx.query);
    if (q.category !== 'linear') {
      if (q.symbol) throw new VenueError('BAD_SYMBOL', q.symbol);
      return { category: q.category, list: [] };
    }
    const symbols = q.symbol ? [instrumentOf(venue, q.symbol).symbol] : symbolsWhere(venue, { baseCoin: q.baseCoin || undefined });
    const list = symbols.map((s) => {
      // REST tickers carry no tickDirection (the WS ticker does).
      const { tickDirection: _td, ...t } = tickerJson(venue, s, ctx.now);
      return t;
    });
    return { category: 'linear', list };
  });

  rest.publicGet('/v5/market/recent-trade', (ctx) => {
    const q = parseWith(RecentTradeQuery, ctx.query);
    if (q.category !== 'linear') {
      if (q.symbol) throw new VenueError('BAD_SYMBOL', q.symbol);
      return { category: q.category, list: [] };
    }
    if (!q.symbol) throw new VenueError('PARAMS', 'symbol is required for linear');
    const inst = instrumentOf(venue, q.symbol);
    const list = venue.tape(inst.symbol).recent(q.limit ?? 500).map((t) => publicTradeRestJson(inst, t));
    return { category: 'linear', list };
  });

  rest.publicGet('/v5/market/kline', (ctx) => {
    const q = parseWith(KlineQuery, ctx.query);
    const category = q.category ?? 'linear';
    if (category !== 'linear') throw new VenueError('BAD_SYMBOL', q.symbol);
    const inst = instrumentOf(venue, q.symbol);
    if (q.start !== undefined && q.end !== undefined && q.start > q.end) throw new VenueError('PARAMS', 'start must not be after end');
    const bars = venue.tape(inst.symbol).klines(intervalMinutes(q.interval)!, q.start, q.end, q.limit ?? 200);
    const list = bars.map((b) => [
      String(b.start),
      priceText(inst, b.open),
      priceText(inst, b.high),
      priceText(inst, b.low),
      priceText(inst, b.close),
      qtyText(inst, b.volume),
      usdtTotal(b.turnover),
    ]);
    return { symbol: inst.symbol, category: 'linear', list };
  });

  // ------------------------------------------------------------------------------------------------ order entry

  const W = { write: true } as const;
  rest.privatePost('/v5/order/create', (ctx) => createOrder(venue, ctx.key.uid, ctx.body, ctx.signedAt), W);
  rest.privatePost('/v5/order/amend', (ctx) => amendOrder(venue, ctx.key.uid, ctx.body, ctx.signedAt), W);
  rest.privatePost('/v5/order/cancel', (ctx) => cancelOrder(venue, ctx.key.uid, ctx.body, ctx.signedAt), W);
  rest.privatePost('/v5/order/cancel-all', (ctx) => cancelAllOrders(venue, ctx.key.uid, ctx.body, ctx.signedAt), W);
  const B = { write: true, units: batchSize } as const;
  rest.privatePost('/v5/order/create-batch', (ctx) => createBatch(venue, ctx.key.uid, ctx.body, ctx.signedAt, ctx.granted ?? 1), B);
  rest.privatePost('/v5/order/amend-batch', (ctx) => amendBatch(venue, ctx.key.uid, ctx.body, ctx.signedAt, ctx.granted ?? 1), B);
  rest.privatePost('/v5/order/cancel-batch', (ctx) => cancelBatch(venue, ctx.key.uid, ctx.body, ctx.signedAt, ctx.granted ?? 1), B);

  // Bybit answers {"retCode":0,"retMsg":"success"} without a result; http.ts always writes one, so it is {}.
  rest.privatePost(
    '/v5/order/disconnected-cancel-all',
    (ctx) => {
      const p = parseWith(DcpSchema, asObject(ctx.body));
      account(ctx);
      // OPTIONS (Bybit's default) and SPOT are accepted; the venue lists only derivatives, so only they arm DCP.
      if ((p.product ?? 'OPTIONS') === 'DERIVATIVES') venue.setDcpWindow(ctx.key.uid, p.timeWindow);
      return reply({}, { retMsg: 'success' });
    },
    W,
  );

  rest.privateGet('/v5/account/query-dcp-info', (ctx) => {
    parseWith(EmptyQuery, ctx.query);
    const w = venue.dcpWindow(account(ctx).uid);
    return { dcpInfos: w === undefined ? [] : [{ product: 'DERIVATIVES', dcpStatus: 'ON', timeWindow: String(w) }] };
  });

  // ------------------------------------------------------------------------------------------------ order queries

  /** Orders of one account filtered like Bybit: by id (open or closed), else by symbol/baseCoin/settleCoin. */
  function orderFilter(
    ctx: PrivateContext,
    q: { symbol?: string | undefined; baseCoin?: string | undefined; settleCoin?: string | undefined; orderId?: string | undefined; orderLinkId?: string | undefined },
    requireSelector: boolean,
  ): { byId: OrderRecord[] | undefined; symbols: Set<string> | undefined } {
    const symbols = selectSymbols(venue, q);
    if (q.orderId || q.orderLinkId) {
      const o = venue.orders.find(ctx.key.uid, q.orderId || undefined, q.orderLinkId || undefined);
      const hit = o && (symbols === undefined || symbols.has(o.symbol)) ? [o] : [];
      return { byId: hit, symbols };
    }
    if (requireSelector && symbols === undefined) {
      throw new VenueError('PARAMS', 'symbol, baseCoin, settleCoin, orderId or orderLinkId is required for linear');
    }
    return { byId: undefined, symbols };
  }

  rest.privateGet('/v5/order/realtime', (ctx) => {
    const q = parseWith(OpenOrdersQuery, ctx.query);
    if (q.category !== 'linear') return unlisted(q.category, q.symbol);
    const uid = account(ctx).uid;
    const { byId, symbols } = orderFilter(ctx, q, true);
    let list: OrderRecord[];
    if ((q.orderFilter ?? 'Order') !== 'Order') list = [];
    else if (byId) list = byId;
    else {
      const source = q.openOnly === '1' ? venue.orders.closedOf(uid).slice(-RECENT_CLOSED) : [...venue.orders.openOf(uid)];
      list = source.filter((o) => symbols === undefined || symbols.has(o.symbol));
    }
    list.sort(byNewest);
    const p = page(list, (o) => o.engineId, 'o', q.cursor, q.limit ?? 20);
    return { category: 'linear', list: p.items.map((o) => orderJson(venue.instrument(o.symbol), o)), nextPageCursor: p.next };
  });

  rest.privateGet('/v5/order/history', (ctx) => {
    const q = parseWith(OrderHistoryQuery, ctx.query);
    if (q.category !== 'linear') return unlisted(q.category, q.symbol);
    const uid = account(ctx).uid;
    const { byId, symbols } = orderFilter(ctx, q, false);
    let list: OrderRecord[];
    if ((q.orderFilter ?? 'Order') !== 'Order') list = [];
    else if (byId) list = byId;
    else {
      const { from, to } = timeWindow(q.startTime, q.endTime, ctx.now);
      list = [...venue.orders.closedOf(uid), ...venue.orders.openOf(uid)].filter(
        (o) => (symbols === undefined || symbols.has(o.symbol)) && o.createdTime >= from && o.createdTime <= to,
      );
    }
    if (q.orderStatus) list = list.filter((o) => o.status === q.orderStatus);
    list.sort(byNewest);
    const p = page(list, (o) => o.engineId, 'h', q.cursor, q.limit ?? 20);
    return { category: 'linear', list: p.items.map((o) => orderJson(venue.instrument(o.symbol), o)), nextPageCursor: p.next };
  });

  rest.privateGet('/v5/execution/list', (ctx) => {
    const q = parseWith(ExecutionQuery, ctx.query);
    if (q.category !== 'linear') return unlisted(q.category, q.symbol);
    const uid = account(ctx).uid;
    const symbols = selectSymbols(venue, q);
    const { from, to } = timeWindow(q.startTime, q.endTime, ctx.now);
    const after = decodeCursor('e', q.cursor);
    const limit = q.limit ?? 50;
    const all = venue.ledger.of(uid);
    const items = [];
    let next = '';
    // Only Trade executions exist in the simulator (no funding, ADL, liquidation or delivery).
    if (q.execType === undefined || q.execType === '' || q.execType === 'Trade') {
      for (let i = all.length - 1; i >= 0; i--) {
        const e = all[i]!;
        if (after !== undefined && e.seq >= after) continue;
        if (symbols !== undefined && !symbols.has(e.symbol)) continue;
        if (q.orderId ? e.orderId !== q.orderId : q.orderLinkId ? e.orderLinkId !== q.orderLinkId : false) continue;
        if (e.time < from || e.time > to) continue;
        if (items.length === limit) {
          next = encodeCursor('e', items[items.length - 1]!.seq);
          break;
        }
        items.push(e);
      }
    }
    const list = items.map((e) => executionJson(venue.instrument(e.symbol), e, markOf(e.symbol)));
    return { category: 'linear', list, nextPageCursor: next };
  });

  // ------------------------------------------------------------------------------------------------ positions

  rest.privateGet('/v5/position/list', (ctx) => {
    const q = parseWith(PositionQuery, ctx.query);
    if (q.category !== 'linear') return unlisted(q.category, q.symbol);
    const acct = account(ctx);
    let symbols: string[];
    if (q.symbol) symbols = [instrumentOf(venue, q.symbol).symbol];
    else if (q.baseCoin || q.settleCoin) {
      const sel = selectSymbols(venue, { baseCoin: q.baseCoin, settleCoin: q.settleCoin })!;
      symbols = [...sel].filter((s) => (acct.positions.get(s)?.size ?? 0) !== 0);
    } else throw new VenueError('PARAMS', 'symbol or settleCoin is required for linear');
    symbols.sort();
    const idx = decodeCursor('p', q.cursor) ?? 0;
    const limit = q.limit ?? 20;
    const slice = symbols.slice(idx, idx + limit);
    const list = slice.map((s) => {
      const inst = venue.instrument(s);
      // A flat position is shown without creating it (a GET changes nothing).
      const p = acct.positions.get(s) ?? emptyPosition(acct.defaultLeverage, acct.createdTime);
      return positionJson(inst, acct, p, markOf(s));
    });
    const next = idx + limit < symbols.length ? encodeCursor('p', idx + limit) : '';
    return { category: 'linear', list, nextPageCursor: next };
  });

  rest.privatePost(
    '/v5/position/set-leverage',
    (ctx) => {
      const body = asObject(ctx.body);
      requireLinear(body.category);
      const p = parseWith(SetLeverageSchema, body);
      const inst = instrumentOf(venue, p.symbol);
      const buy = parseLeverage('buyLeverage', p.buyLeverage);
      const sell = parseLeverage('sellLeverage', p.sellLeverage);
      if (buy !== sell) throw new VenueError('PARAMS', 'buyLeverage must equal sellLeverage in one-way mode');
      venue.setLeverage(ctx.key.uid, inst.symbol, buy);
      return {};
    },
    W,
  );

  // ------------------------------------------------------------------------------------------------ account

  rest.privateGet('/v5/account/wallet-balance', (ctx) => {
    const q = parseWith(WalletQuery, ctx.query);
    const acct = account(ctx);
    const item = walletJson(acct, venue.marginOf(acct.uid));
    if (q.coin) {
      const wanted = new Set(q.coin.split(',').map((c) => c.trim().toUpperCase()));
      item.coin = item.coin.filter((c) => wanted.has(c.coin));
    }
    return { list: [item] };
  });

  rest.privateGet('/v5/account/fee-rate', (ctx) => {
    const q = parseWith(FeeRateQuery, ctx.query);
    if (q.category !== 'linear') {
      if (q.symbol) throw new VenueError('BAD_SYMBOL', q.symbol);
      return { category: q.category, list: [] };
    }
    const acct = account(ctx);
    const symbols = q.symbol ? [instrumentOf(venue, q.symbol).symbol] : symbolsWhere(venue, { baseCoin: q.baseCoin || undefined });
    return { list: symbols.map((symbol) => ({ symbol, takerFeeRate: acct.takerFeeText, makerFeeRate: acct.makerFeeText })) };
  });

  rest.privateGet('/v5/account/info', (ctx) => {
    parseWith(EmptyQuery, ctx.query);
    const acct = account(ctx);
    const dcp = venue.dcpWindow(acct.uid);
    return {
      unifiedMarginStatus: 6,
      marginMode: 'REGULAR_MARGIN',
      isMasterTrader: false,
      spotHedgingStatus: 'OFF',
      updatedTime: String(acct.createdTime),
      dcpStatus: dcp === undefined ? 'OFF' : 'ON',
      timeWindow: dcp ?? 0,
      smpGroup: 0,
    };
  });

  rest.privateGet('/v5/user/query-api', (ctx) => {
    parseWith(EmptyQuery, ctx.query);
    const acct = account(ctx);
    const trade = !acct.readOnly;
    return {
      id: String(acct.uid),
      note: acct.label,
      apiKey: acct.apiKey,
      readOnly: acct.readOnly ? 1 : 0,
      secret: '',
      permissions: {
        ContractTrade: trade ? ['Order', 'Position'] : [],
        Spot: [],
        Wallet: [],
        Options: [],
        Derivatives: trade ? ['DerivativesTrade'] : [],
        CopyTrading: [],
        BlockTrade: [],
        Exchange: [],
        NFT: [],
        Affiliate: [],
        Earn: [],
      },
      ips: ['*'],
      type: 1,
      deadlineDay: -2,
      expiredAt: '',
      createdAt: new Date(acct.createdTime).toISOString(),
      unified: 1,
      uta: 1,
      userID: acct.uid,
      inviterID: 0,
      vipLevel: 'No VIP',
      mktMakerLevel: '0',
      affiliateID: 0,
      rsaPublicKey: '',
      isMaster: true,
      parentUid: '0',
      kycLevel: 'LEVEL_DEFAULT',
      kycRegion: '',
    };
  });

  rest.privateGet('/v5/asset/coin/query-info', (ctx) => {
    const q = parseWith(CoinInfoQuery, ctx.query);
    account(ctx);
    if (q.coin && q.coin.toUpperCase() !== 'USDT') return { rows: [] };
    return {
      rows: [
        {
          name: 'USDT',
          coin: 'USDT',
          remainAmount: '0',
          chains: [
            {
              chainType: 'ERC20',
              confirmation: '6',
              withdrawFee: '0',
              depositMin: '0',
              withdrawMin: '0',
              chain: 'ETH',
              chainDeposit: '0',
              chainWithdraw: '0',
              minAccuracy: '8',
              withdrawPercentageFee: '0',
              contractAddress: '',
            },
          ],
        },
      ],
    };
  });
}

// The instruments-info cursor carries the last symbol returned (symbols are [A-Z0-9]).
function encodeSymbolCursor(symbol: string): string {
  return Buffer.from(`i:${symbol}`).toString('base64url');
}

function decodeSymbolCursor(cursor: string): string {
  const text = /^[A-Za-z0-9_-]{1,128}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const m = /^i:([A-Z0-9]{1,64})$/.exec(text);
  if (!m) throw new VenueError('PARAMS', 'cursor is invalid');
  return m[1]!;
}
