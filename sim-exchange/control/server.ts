import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import type { Venue } from '../venue/venue.ts';
import type { RateLimiter } from '../bybit-v5/rate-limit.ts';
import { VenueError } from '../bybit-v5/errors.ts';
import { price, qty, usdt, fracPrice, levelsJson, sideText } from '../bybit-v5/serialize.ts';
import { avgEntryTicks, unrealised } from '../accounts/position.ts';
import { AccountConfig, type AccountInput } from '../accounts/account.ts';
import type { Execution } from '../accounts/ledger.ts';
import { ControlError } from './errors.ts';
import { seedStaticBook } from '../market/static-book.ts';
import { toSteps } from '../bybit-v5/decimal.ts';
import type { Market } from '../market/market.ts';
import type { RealtimeDriver } from '../market/driver.ts';
import { RegimeName, ParamOverrides } from '../market/params.ts';
import { writeReproBundle, ReproNameError, ReproUnavailable, REPRO_NAME, type ReproSource } from '../repro.ts';
import { createVenueMetrics } from './metrics.ts';
import type { WsStats } from '../bybit-v5/ws/gateway.ts';
import type { RestHttpStats } from '../bybit-v5/rest/http.ts';
import { FaultSpecError, type FaultController } from '../faults/controller.ts';

/** Fixed extra response delay per channel, in ms (benchmarks; faults come later). Read on every response. */
export interface ChannelDelays {
  rest: number;
  public: number;
  private: number;
  trade: number;
}

export interface ControlDeps {
  readonly venue: Venue;
  readonly token: string;
  readonly delays: ChannelDelays;
  readonly limiter: RateLimiter;
  readonly logger?: FastifyBaseLogger | false;
  /**
   * Called after a reset. Uids are reused from 100001 after a reset, so the composition root closes every WebSocket
   * connection here: an authenticated connection would otherwise receive a new account's pushes under its old uid.
   */
  readonly onReset?: () => void;
  /** The background market and its real-time driver, when the venue runs one (docs/market.md). */
  readonly market?: { readonly market: Market; readonly driver: RealtimeDriver } | undefined;
  /** WebSocket gateway statistics, for GET /metrics. */
  readonly wsStats?: (() => WsStats) | undefined;
  /** The REST app's HTTP-layer closes (deadlines, oversized headers, malformed requests), for GET /metrics. */
  readonly restStats?: (() => RestHttpStats) | undefined;
  /** Repro bundles (POST /repro): where they go, and what the running venue is made of. */
  readonly repro?: { readonly root: string; readonly source: () => ReproSource } | undefined;
  /** Venue faults (docs/faults.md); the /faults routes answer 404 without them. */
  readonly faults?: FaultController | undefined;
}

const Delays = z
  .object({
    rest: z.number().int().min(0).max(60_000),
    public: z.number().int().min(0).max(60_000),
    private: z.number().int().min(0).max(60_000),
    trade: z.number().int().min(0).max(60_000),
  })
  .partial()
  .strict();

const RateLimits = z.object({ limits: z.record(z.string().startsWith('/v5/'), z.number().int().min(1).max(1_000_000)) }).strict();

const SeedBook = z
  .object({
    price: z.string(),
    levels: z.number().int().min(1).max(1000).default(50),
    stepTicks: z.number().int().min(1).max(10_000).default(1),
    spreadTicks: z.number().int().min(1).max(10_000).default(1),
    qty: z.string(),
    depthGrowth: z.number().min(0).max(10).default(0.1),
    uid: z.number().int().positive(),
  })
  .strict();

const ReproBody = z
  .object({ name: z.string().regex(REPRO_NAME, 'letters, digits, . _ - (1-64), not dots only').optional() })
  .strict();

/** A non-negative integer in a query string, as text (Number('abc') is NaN, and NaN compares false with everything). */
const count = (max: number) =>
  z
    .string()
    .regex(/^\d{1,16}$/, 'a non-negative integer')
    .transform(Number)
    .pipe(z.number().int().min(0).max(max));
const SinceQuery = z.object({ since: count(Number.MAX_SAFE_INTEGER).optional() }).strict();
const DepthQuery = z.object({ depth: count(1000).pipe(z.number().min(1)).optional() }).strict();

const RegimeBody = z
  .object({
    regime: RegimeName,
    params: ParamOverrides.optional(),
    transitionMs: z.number().int().min(0).max(3_600_000).default(0),
  })
  .strict();

const TimelineBody = z
  .object({
    steps: z
      .array(
        z
          .object({
            atMs: z.number().int().min(0).max(7 * 24 * 3_600_000),
            regime: RegimeName,
            params: ParamOverrides.optional(),
            transitionMs: z.number().int().min(0).max(3_600_000).optional(),
          })
          .strict(),
      )
      .max(1000),
  })
  .strict();

/**
 * The control plane: the bench's admin API on its own port, behind a bearer token, never on the venue port.
 * Documented endpoint by endpoint in docs/control-plane.md.
 */
export function createControlApp(deps: ControlDeps): FastifyInstance {
  const { venue } = deps;
  const app = Fastify({ loggerInstance: deps.logger || undefined, bodyLimit: 1 << 20 });
  const expected = Buffer.from(`Bearer ${deps.token}`);

  app.addHook('onRequest', async (req) => {
    const got = Buffer.from(req.headers.authorization ?? '');
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      throw new ControlError('CTRL_UNAUTHORIZED', 'send Authorization: Bearer <token> (the token printed when the venue started)');
    }
  });

  app.setErrorHandler((err, _req, reply) => {
    let e: ControlError;
    if (err instanceof ControlError) e = err;
    else if (err instanceof z.ZodError) e = new ControlError('CTRL_BAD_REQUEST', zodMessage(err));
    else if (err instanceof VenueError) e = new ControlError('CTRL_BAD_REQUEST', `${err.retCode} ${err.retMsg}`);
    else if (err instanceof FaultSpecError) e = new ControlError('CTRL_BAD_REQUEST', err.message);
    else if ((err as { statusCode?: number }).statusCode === 400) e = new ControlError('CTRL_BAD_REQUEST', (err as Error).message);
    else {
      app.log.error({ err }, 'control plane error');
      e = new ControlError('CTRL_INTERNAL', 'internal error');
    }
    void reply.code(e.http).send({ error: e.code, message: e.message });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: 'CTRL_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` });
  });

  const uidParam = (params: unknown): number => {
    const uid = Number((params as { uid: string }).uid);
    if (!venue.accounts.has(uid)) throw new ControlError('CTRL_NOT_FOUND', `no account ${String((params as { uid: string }).uid)}`);
    return uid;
  };
  const symbolParam = (params: unknown): string => {
    const symbol = (params as { symbol: string }).symbol;
    if (!venue.instruments.has(symbol)) throw new ControlError('CTRL_NOT_FOUND', `no instrument ${symbol}`);
    return symbol;
  };

  app.get('/health', async () => ({ ok: true, time: venue.clock.now(), seed: venue.seed }));

  const metrics = createVenueMetrics({ venue, ws: deps.wsStats, ...(deps.restStats ? { rest: deps.restStats } : {}) });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', metrics.contentType);
    return metrics.metrics();
  });

  app.post('/accounts', async (req, reply) => {
    // Validated before anything is looked up or journalled: a refused body changes nothing.
    const body = AccountConfig.parse(req.body ?? {});
    if (venue.accountByKey(body.apiKey)) throw new ControlError('CTRL_CONFLICT', `apiKey ${body.apiKey} exists`);
    if (body.uid !== undefined && venue.accounts.has(body.uid)) throw new ControlError('CTRL_CONFLICT', `uid ${body.uid} exists`);
    const acct = venue.createAccount(req.body as AccountInput);
    void reply.code(201);
    return accountView(venue, acct.uid);
  });

  app.get('/accounts', async () => ({ list: [...venue.accounts.keys()].map((uid) => accountView(venue, uid)) }));
  app.get('/accounts/:uid', async (req) => accountView(venue, uidParam(req.params)));
  app.get('/accounts/:uid/ledger', async (req) => {
    const uid = uidParam(req.params);
    const since = SinceQuery.parse(req.query).since ?? 0;
    return { list: venue.ledger.of(uid).filter((e) => e.seq > since).map((e) => fillView(venue, e)) };
  });
  app.get('/ledger', async (req) => {
    const since = SinceQuery.parse(req.query).since ?? 0;
    return {
      dropped: venue.ledger.dropped,
      list: venue.ledger.entries().filter((e) => e.seq > since).map((e) => fillView(venue, e)),
    };
  });

  app.get('/book/:symbol', async (req) => {
    const symbol = symbolParam(req.params);
    const depth = DepthQuery.parse(req.query).depth ?? 50;
    const inst = venue.instrument(symbol);
    const book = venue.book(symbol);
    const mid = venue.mid(symbol);
    return {
      symbol,
      seq: book.seq,
      orders: book.size,
      mid: mid === null ? null : fracPrice(inst, mid),
      bids: levelsJson(inst, book.depth(1, depth)),
      asks: levelsJson(inst, book.depth(-1, depth)),
    };
  });

  app.post('/book/:symbol/seed', async (req) => {
    const symbol = symbolParam(req.params);
    const o = SeedBook.parse(req.body ?? {});
    const inst = venue.instrument(symbol);
    const mid = toSteps(o.price, inst.tick);
    const lots = toSteps(o.qty, inst.lot);
    if (!mid.ok) throw new ControlError('CTRL_BAD_REQUEST', `price: ${mid.why}`);
    if (!lots.ok) throw new ControlError('CTRL_BAD_REQUEST', `qty: ${lots.why}`);
    uidParam({ uid: String(o.uid) });
    const placed = seedStaticBook(venue, { ...o, symbol, midTicks: mid.value, qtyLots: lots.value });
    return { placed };
  });

  app.get('/delays', async () => deps.delays);
  app.put('/delays', async (req) => {
    Object.assign(deps.delays, Delays.parse(req.body ?? {}));
    return deps.delays;
  });

  app.put('/rate-limits', async (req) => {
    const { limits } = RateLimits.parse(req.body ?? {});
    deps.limiter.setLimits(limits);
    return { limits };
  });

  // ---------------------------------------------------------------- background market (docs/market.md)

  const marketDep = () => {
    if (!deps.market) throw new ControlError('CTRL_NOT_FOUND', 'no background market: the venue was started with --no-market (market: false)');
    return deps.market;
  };
  const marketView = () => {
    const { market, driver } = marketDep();
    const snap = market.snapshot();
    const inst = venue.instrument(snap.symbol);
    return {
      ...snap,
      midPrice: snap.midTicks === null ? null : fracPrice(inst, snap.midTicks),
      speed: driver.speed,
      rebases: driver.rebases,
      volume: qty(inst, snap.volumeLots),
      agents: snap.agents.map((a) => ({
        ...a,
        volume: qty(inst, a.volumeLots),
        position: (a.position < 0 ? '-' : '') + qty(inst, Math.abs(a.position)),
      })),
    };
  };

  app.get('/market', async () => marketView());

  app.post('/market/regime', async (req) => {
    const { market } = marketDep();
    const o = RegimeBody.parse(req.body ?? {});
    market.setRegime(o.regime, o.params ?? {}, o.transitionMs);
    return marketView();
  });

  app.post('/market/timeline', async (req) => {
    const { market } = marketDep();
    const o = TimelineBody.parse(req.body ?? {});
    market.setTimeline(o.steps);
    return { timeline: market.snapshot().timeline };
  });

  app.post('/market/pause', async () => {
    marketDep().driver.pause();
    return { paused: true };
  });

  app.post('/market/resume', async () => {
    marketDep().driver.resume();
    return { paused: false };
  });

  app.post('/repro', async (req, reply) => {
    const body = ReproBody.parse(req.body ?? {});
    const repro = deps.repro;
    if (!repro) throw new ControlError('CTRL_CONFLICT', 'repro bundles are not configured on this venue');
    try {
      const { dir, files, manifest } = await writeReproBundle(repro.root, body.name, repro.source(), new Date());
      reply.code(201);
      return { dir, files, seed: manifest.seed, command: manifest.command };
    } catch (err) {
      if (err instanceof ReproUnavailable) throw new ControlError('CTRL_CONFLICT', err.message);
      if (err instanceof ReproNameError) throw new ControlError('CTRL_BAD_REQUEST', err.message);
      throw err;
    }
  });

  // ---------------------------------------------------------------- venue faults (docs/faults.md)

  const faultsDep = () => {
    if (!deps.faults) throw new ControlError('CTRL_NOT_FOUND', 'no fault controller on this venue');
    return deps.faults;
  };

  app.get('/faults', async () => faultsDep().list());

  app.post('/faults', async (req, reply) => {
    const view = faultsDep().add(req.body ?? {});
    reply.code(201);
    return view;
  });

  app.post('/faults/timeline', async (req, reply) => {
    const list = faultsDep().timeline(req.body ?? {});
    reply.code(201);
    return { list };
  });

  app.post('/faults/clear', async () => ({ cleared: faultsDep().clear() }));

  app.delete('/faults/:id', async (req) => {
    const id = (req.params as { id: string }).id;
    if (!faultsDep().end(id)) throw new ControlError('CTRL_NOT_FOUND', `no active or scheduled fault ${id}`);
    return { ended: id };
  });

  app.post('/reset', async () => {
    deps.faults?.clear();
    venue.reset();
    deps.limiter.reset();
    deps.onReset?.();
    Object.assign(deps.delays, { rest: 0, public: 0, private: 0, trade: 0 });
    return { ok: true };
  });

  return app;
}

function accountView(venue: Venue, uid: number) {
  const acct = venue.account(uid);
  const m = venue.marginOf(uid);
  const positions = [...acct.positions.entries()].map(([symbol, p]) => {
    const inst = venue.instrument(symbol);
    const mark = venue.mark(symbol);
    return {
      symbol,
      size: (p.size < 0 ? '-' : '') + qty(inst, Math.abs(p.size)),
      avgPrice: p.size === 0 ? '0' : fracPrice(inst, avgEntryTicks(p, inst.cashPerTickLot)),
      realisedPnl: usdt(p.realisedGross),
      fees: usdt(p.fees),
      unrealisedPnl: mark === undefined ? '0' : usdt(unrealised(p, mark, inst.cashPerTickLot)),
      leverage: p.leverage,
    };
  });
  const openOrders = [...venue.orders.openOf(uid)].map((o) => {
    const inst = venue.instrument(o.symbol);
    return { orderId: o.orderId, orderLinkId: o.orderLinkId, symbol: o.symbol, side: sideText(o.side), price: price(inst, o.price), qty: qty(inst, o.qty), filled: qty(inst, o.filled), status: o.status };
  });
  return {
    uid,
    apiKey: acct.apiKey,
    label: acct.label,
    readOnly: acct.readOnly,
    makerFeeRate: acct.makerFeeText,
    takerFeeRate: acct.takerFeeText,
    wallet: { balance: usdt(m.wallet), equity: usdt(m.equity), available: usdt(m.available), positionIM: usdt(m.positionIM), orderIM: usdt(m.orderIM), unrealisedPnl: usdt(m.upl) },
    positions,
    openOrders,
    fills: venue.ledger.of(uid).length,
  };
}

/** A ledger row: prices and money as decimal strings, the mid just before the fill included. */
function fillView(venue: Venue, e: Execution) {
  const inst = venue.instrument(e.symbol);
  return {
    seq: e.seq,
    execId: e.execId,
    time: e.time,
    uid: e.uid,
    symbol: e.symbol,
    orderId: e.orderId,
    orderLinkId: e.orderLinkId,
    side: sideText(e.side),
    price: price(inst, e.price),
    qty: qty(inst, e.qty),
    notional: usdt(e.notional),
    fee: usdt(e.fee),
    feeRate: String(e.feeRate),
    isMaker: e.isMaker,
    midBefore: e.midBefore === null ? null : fracPrice(inst, e.midBefore),
    touchBefore: e.touchBefore === null ? null : price(inst, e.touchBefore),
    takerSignedAt: e.takerSignedAt,
    closedSize: qty(inst, e.closedSize),
    realisedPnl: usdt(e.pnl),
  };
}

function zodMessage(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
}
