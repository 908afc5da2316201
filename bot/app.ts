/**
 * The bot, assembled: venue clients (bybit-api), instrument, disconnect-cancel, execution, the order-book feed, the
 * quote loop and telemetry. `startBot(config)` runs it in-process (main.ts and the integration tests both use it)
 * and returns a handle whose stop() cancels every open order before closing anything.
 *
 * In batched mode the quote loop does not wait for acks: a market-data event starts a requote while earlier ones are
 * still being applied (execution amends an order again at once, and holds back only what a pending create or cancel
 * blocks, see execution/executor.ts), so a requote costs one round trip, not one plus the rest of the previous one.
 * In sequential mode requotes do not overlap. Requotes start at least `execution.minRequoteMs` apart, except after a
 * stale-book event; events that arrive meanwhile are coalesced, and the requote's `triggeredAt` is the newest of them
 * — it is computed from the book as that event left it. Execution measures quote_cycle from there to the acks of
 * what the requote sent; a change it had to hold back for a later requote is measured as quote_hold.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { RestClientV5, WebsocketClient } from 'bybit-api';
import type { Logger } from 'pino';
import type { BotConfig } from './config/schema.ts';
import type { ExecutionView, LiveOrder, QuoteSet } from './types.ts';
import { Instrument } from './marketdata/instrument.ts';
import { BookFeed } from './marketdata/feed.ts';
import { INITIAL_MODEL_STATE, type ModelState, type QuoteContext, type QuoteParams, type Resting } from './pipeline/context.ts';
import { runPipeline, toQuoteSet } from './pipeline/pipeline.ts';
import { quoteParams } from './pipeline/params.ts';
import { INITIAL_GUARD_STATE, resetKillSwitch, type GuardMode, type GuardState } from './guards/guards.ts';
import { RollingWindow } from './guards/window.ts';
import { PnlTracker, parseExecution } from './guards/pnl.ts';
import { createLogger } from './telemetry/logger.ts';
import { createMetrics, type BotMetrics } from './telemetry/metrics.ts';
import { startTelemetry, type TelemetryServer } from './telemetry/server.ts';
import { logCode } from './telemetry/errors.ts';
import { Executor, type UnwindRequest } from './execution/executor.ts';
import { InventoryAge } from './state/inventory-age.ts';

/** What the quote loop needs from execution (the real Executor, or a fake in tests). */
export interface BotExecutor {
  start(): Promise<void>;
  /** Resolves when the requote's actions are acked, with how many it sent (a fake may resolve with nothing). */
  apply(q: QuoteSet): Promise<number | void>;
  cancelAll(): Promise<void>;
  /**
   * Inventory unwind: one IOC Limit slice that trims an aged position (pipeline stages/unwind.ts); resolves with its
   * outcome. Optional: an executor without it never unwinds.
   */
  unwind?(req: UnwindRequest): Promise<unknown>;
  /** `held`: slots the last apply held back (blocked by a pending create or cancel, or the amend budget spent). */
  readonly view: ExecutionView & {
    readonly live?: readonly LiveOrder[];
    readonly held?: number;
    /** Notional of our fills by liquidity role; without it the unwind's taker budget is zero. */
    readonly turnover?: { readonly maker: number; readonly taker: number };
  };
  stop(): void;
}

export interface ExecutorDeps {
  readonly rest: RestClientV5;
  readonly wsPrivate: WebsocketClient;
  readonly config: BotConfig;
  readonly logger: Logger;
  readonly metrics: BotMetrics;
}

export interface StartBotOptions {
  readonly logger?: Logger;
  /** Replaces the real executor (unit tests of the loop). */
  readonly executor?: (deps: ExecutorDeps) => BotExecutor;
}

export interface BotStatus {
  readonly mode: GuardMode;
  readonly halt: string | undefined;
  readonly bookStale: boolean;
  readonly cycle: number;
  readonly killed: string | undefined;
  readonly position: number;
  readonly openOrders: number;
  readonly pnl: number;
}

interface BotEvents {
  /** After each requote has been handed to execution and its actions are acked. */
  requote: [ctx: QuoteContext, q: QuoteSet];
}

export interface BotHandle {
  readonly telemetryUrl: string;
  readonly metricsUrl: string;
  readonly telemetryPort: number;
  readonly metrics: BotMetrics;
  readonly instrument: Instrument;
  readonly events: EventEmitter<BotEvents>;
  readonly executor: BotExecutor;
  status(): BotStatus;
  resetKillSwitch(): { wasKilled: boolean; reason: string | undefined };
  /** Stops quoting, cancels all open orders (waits for the confirmation), closes connections. Idempotent. */
  stop(): Promise<void>;
}

const MODE_NUM: Record<GuardMode, number> = { normal: 0, soft: 1, hard: 2, killed: 3 };
const NO_TURNOVER = Object.freeze({ maker: 0, taker: 0 });

/** bybit-api's logger interface onto pino: its chatter at debug, its errors as warnings with a code. */
function wsLogger(log: Logger) {
  return {
    trace: () => undefined,
    info: (...a: unknown[]) => log.debug({ ws: a.map(String).join(' ').slice(0, 500) }, 'bybit-api'),
    error: (...a: unknown[]) => logCode(log, 'WS_EXCEPTION', { detail: a.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(' ').slice(0, 500) }),
  };
}

export async function loadInstrument(rest: RestClientV5, symbol: string): Promise<Instrument> {
  const r = await rest.getInstrumentsInfo({ category: 'linear', symbol });
  const i = r.retCode === 0 ? r.result.list.find((x) => x.symbol === symbol) : undefined;
  if (i === undefined) throw new Error(`instruments-info for ${symbol}: retCode ${r.retCode} ${r.retMsg}`);
  const lot = i.lotSizeFilter as { qtyStep: string; minOrderQty: string; maxOrderQty: string; postOnlyMaxOrderQty?: string; minNotionalValue?: string };
  return new Instrument({
    symbol,
    tickSize: i.priceFilter.tickSize,
    qtyStep: lot.qtyStep,
    minOrderQty: lot.minOrderQty,
    // PostOnly orders have their own cap on Bybit; the bot only posts.
    maxOrderQty: lot.postOnlyMaxOrderQty || lot.maxOrderQty,
    minNotional: lot.minNotionalValue || '0',
  });
}

export async function startBot(config: BotConfig, opts: StartBotOptions = {}): Promise<BotHandle> {
  const log = opts.logger ?? createLogger(config.telemetry.logLevel, config.symbol);
  const metrics = createMetrics({ defaultMetrics: opts.logger === undefined });
  const v = config.venue;
  const cleanups: (() => unknown)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch {
        // best effort: we are already failing or stopping
      }
    }
  };

  // State the telemetry endpoints read; filled in as the bot comes up.
  let guardState: GuardState = INITIAL_GUARD_STATE;
  let lastCtx: QuoteContext | undefined;
  let feed: BookFeed | undefined;
  let executor: BotExecutor | undefined;
  const pnl = new PnlTracker();
  let schedule: (at: number) => void = () => undefined;

  const resetKill = () => {
    const reason = guardState.killed?.reason;
    if (reason === undefined) return { wasKilled: false, reason: undefined };
    guardState = resetKillSwitch(guardState);
    metrics.killSwitch.set(0);
    logCode(log, 'KILL_SWITCH_RESET', { reason });
    schedule(performance.now());
    return { wasKilled: true, reason };
  };
  const mid = () => {
    const b = feed?.book.view(1);
    const bb = b?.bids[0];
    const ba = b?.asks[0];
    return bb && ba && instrument ? ((bb.px + ba.px) / 2) * instrument.tickValue : undefined;
  };
  const status = (): BotStatus => ({
    mode: lastCtx?.guard?.decision.mode ?? 'hard',
    halt: lastCtx ? lastCtx.halt : 'starting',
    bookStale: feed?.stale ?? true,
    cycle: cycle,
    killed: guardState.killed?.reason,
    position: executor?.view.position ?? 0,
    openOrders: executor?.view.openOrders ?? 0,
    pnl: pnl.pnl(mid()),
  });
  let instrument: Instrument | undefined;
  let cycle = 0;

  let telemetry: TelemetryServer;
  try {
    telemetry = await startTelemetry(config.telemetry.host, config.telemetry.port, {
      registry: metrics.registry,
      health: () => {
        const s = status();
        return { ok: feed !== undefined && !s.bookStale && s.killed === undefined, ...s };
      },
      resetKillSwitch: resetKill,
    });
  } catch (err) {
    logCode(log, 'TELEMETRY_START_FAILED', { host: config.telemetry.host, port: config.telemetry.port, err: (err as Error).message });
    throw err;
  }
  cleanups.push(() => telemetry.close());

  try {
    const rest = new RestClientV5({ key: v.apiKey, secret: v.apiSecret, baseUrl: v.restUrl, recv_window: v.recvWindowMs, parseAPIRateLimits: true });
    try {
      instrument = await loadInstrument(rest, config.symbol);
    } catch (err) {
      logCode(log, 'INSTRUMENT_UNAVAILABLE', { err: (err as Error).message });
      throw err;
    }
    const inst = instrument;
    const p: QuoteParams = quoteParams(config, inst);

    // One client per endpoint: bybit-api's wsUrl replaces the URL of every connection of a client.
    const pub = new WebsocketClient({ wsUrl: v.wsPublicUrl }, wsLogger(log));
    const priv = new WebsocketClient({ key: v.apiKey, secret: v.apiSecret, wsUrl: v.wsPrivateUrl, recvWindow: v.recvWindowMs }, wsLogger(log));
    for (const [ws, stream] of [[pub, 'public'], [priv, 'private']] as const) {
      ws.on('exception', (e: unknown) => logCode(log, 'WS_EXCEPTION', { stream, detail: JSON.stringify(e)?.slice(0, 300) }));
      cleanups.push(() => ws.closeAll(true));
    }
    priv.on('reconnected', () => metrics.reconnects.inc({ stream: 'private' }));
    priv.on('update', (e: { topic?: string; data?: unknown }) => {
      if (e.topic !== 'execution' || !Array.isArray(e.data)) return;
      for (const x of e.data) {
        const f = parseExecution(x, config.symbol);
        if (f) pnl.onFill(f);
      }
    });

    // Disconnect-cancel: if our private stream dies, the venue cancels our orders after the window.
    try {
      const r = await rest.setDisconnectCancelAllWindowV2({ product: 'DERIVATIVES', timeWindow: config.guards.dcpWindowSec });
      if (r.retCode !== 0) logCode(log, 'DCP_ENABLE_FAILED', { retCode: r.retCode, retMsg: r.retMsg });
      else log.info({ windowSec: config.guards.dcpWindowSec }, 'disconnect-cancel enabled');
    } catch (err) {
      logCode(log, 'DCP_ENABLE_FAILED', { err: (err as Error)?.message ?? String(err) });
    }
    try {
      await Promise.all(priv.subscribeV5('dcp.future', 'linear'));
    } catch (err) {
      logCode(log, 'DCP_SUBSCRIBE_FAILED', { err: JSON.stringify(err)?.slice(0, 300) });
    }

    const deps: ExecutorDeps = { rest, wsPrivate: priv, config, logger: log, metrics };
    const ex: BotExecutor = opts.executor
      ? opts.executor(deps)
      : new Executor({
          rest,
          wsPrivate: priv,
          symbol: config.symbol,
          mode: config.execution.mode,
          logger: log,
          metrics: {
            quoteCycle: metrics.quoteCycle,
            quoteHold: metrics.quoteHold,
            orderAck: metrics.orderAck,
            rejects: metrics.rejects,
            fills: metrics.fills,
            unwinds: metrics.unwinds,
            unwindFills: metrics.unwindFills,
          },
          metricsUnit: 'ms',
          linkIdPrefix: config.execution.linkIdPrefix,
          priceTolerance: (level, price) => {
            const tol = config.execution.toleranceBps;
            const bpsTicks = Math.floor((Number(price) * (level === 0 ? tol.top : tol.deep)) / 1e4 / inst.tickValue);
            return inst.ticksToPrice(Math.max(bpsTicks, level === 0 ? 0 : config.execution.deepLevelToleranceTicks));
          },
        });
    executor = ex;
    try {
      await ex.start();
    } catch (err) {
      logCode(log, 'EXECUTOR_START_FAILED', { err: (err as Error)?.message ?? String(err) });
      throw err;
    }
    cleanups.push(() => ex.stop());

    const bookFeed = new BookFeed({
      ws: pub,
      symbol: config.symbol,
      depth: config.marketData.depth,
      instrument: inst,
      silentMs: config.marketData.silentMs,
      resyncTimeoutMs: config.marketData.resyncTimeoutMs,
      logger: log,
      metrics,
    });
    feed = bookFeed;
    cleanups.push(() => bookFeed.close());

    // --- the quote loop -------------------------------------------------------------------------------------------
    const events = new EventEmitter<BotEvents>();
    const win = config.guards.windowMs;
    const ackWin = new RollingWindow(win);
    const rejectWin = new RollingWindow(win);
    const actionWin = new RollingWindow(win);
    const takerWin = new RollingWindow(win);
    let lastRejects = 0;
    let lastTaker = 0;
    let model: ModelState = INITIAL_MODEL_STATE;
    let wasHalted = true;
    let stopping = false;
    let pendingAt: number | undefined;
    let running: Promise<void> | undefined;
    const applying = new Set<Promise<void>>();
    // Inventory unwind: one at a time, and not again within cooldownMs of the last one settling (its position update
    // must reach us before the next decision: the position comes from the private stream).
    const unwindCfg = config.quoting.unwind;
    let unwindInFlight = false;
    let lastUnwindAt = Number.NEGATIVE_INFINITY;
    const inventoryAge = new InventoryAge();

    // Our level-0 order, at the price it has or is being amended to (not one being created or cancelled).
    const restingOf = (side: 'Buy' | 'Sell'): Resting | undefined => {
      const o = ex.view.live?.find((l) => l.side === side && l.level === 0 && (!l.pending || l.inflight === 'amend'));
      if (o === undefined) return undefined;
      try {
        return { px: inst.priceToTicks(o.price), lots: inst.qtyToLots(o.qty) };
      } catch {
        return undefined;
      }
    };

    /** Computes a requote (synchronously) and hands it to execution; the promise settles with its acks. */
    const requote = (triggeredAt: number): Promise<void> => {
      const now = performance.now();
      const view = ex.view;
      const acks = view.drainAckLatencies();
      for (const a of acks) {
        ackWin.push(now, a.ms);
        actionWin.push(now, 1);
      }
      let rejects = 0;
      for (const n of view.rejects.values()) rejects += n;
      if (rejects > lastRejects) {
        rejectWin.push(now, rejects - lastRejects);
        actionWin.push(now, rejects - lastRejects);
      }
      lastRejects = rejects;
      if (view.takerFills > lastTaker) takerWin.push(now, view.takerFills - lastTaker);
      lastTaker = view.takerFills;

      const m = mid();
      const positionLots = Math.round(view.position / inst.lotValue);
      const drawdown = pnl.drawdown(m);
      const curPnl = pnl.pnl(m);
      cycle++;
      const ctx = runPipeline(
        {
          symbol: config.symbol,
          cycle,
          now,
          triggeredAt,
          book: bookFeed.book.view(50),
          bookStale: bookFeed.stale,
          positionLots,
          inventoryAgeMs: inventoryAge.observe(positionLots, now),
          turnover: view.turnover ?? NO_TURNOVER,
          risk: {
            ackP95Ms: ackWin.quantile(now, 0.95),
            drawdown,
            inventoryRatio: p.maxPositionLots > 0 ? Math.abs(positionLots) / p.maxPositionLots : 0,
            takerFills: takerWin.sum(now),
            rejects: rejectWin.sum(now),
            actions: actionWin.sum(now),
            loss: Math.max(0, -curPnl),
            absPosition: Math.abs(view.position),
          },
          resting: { bid: restingOf('Buy'), ask: restingOf('Sell') },
          model,
          guardState,
        },
        p,
        inst,
        (stage, ms) => metrics.stageLatency.observe({ stage }, ms),
      );
      metrics.pipelineLatency.observe(performance.now() - now);
      metrics.requotes.inc();
      lastCtx = ctx;
      if (ctx.vol) model = ctx.vol.next;
      if (ctx.guard) {
        guardState = ctx.guard.next;
        metrics.guardMode.set(MODE_NUM[ctx.guard.decision.mode]);
        metrics.killSwitch.set(guardState.killed ? 1 : 0);
        for (const t of ctx.guard.trips) {
          metrics.guardTrips.inc({ severity: t.severity, reason: t.reason });
          const name = t.severity === 'kill' ? 'KILL_SWITCH' : t.severity === 'hard' ? 'GUARD_HARD' : 'GUARD_SOFT';
          logCode(log, name, { reason: t.reason, cycle, position: view.position, pnl: curPnl });
        }
      }
      if (ctx.spread) {
        for (const [k, s] of Object.entries(ctx.spread.scores)) metrics.spreadScore.set({ component: k }, s);
        metrics.spreadScore.set({ component: 'combined' }, ctx.spread.combined);
        metrics.halfSpreadBps.set(ctx.spread.halfBps);
      }
      if (ctx.vol) metrics.volatilityBps.set(ctx.vol.bps);
      metrics.inventory.set(view.position);
      metrics.pnl.set(curPnl);
      metrics.openOrders.set(view.openOrders);
      metrics.desiredQuotes.set({ side: 'Buy' }, ctx.quotes.filter((q) => q.side === 'Buy').length);
      metrics.desiredQuotes.set({ side: 'Sell' }, ctx.quotes.filter((q) => q.side === 'Sell').length);

      const q = toQuoteSet(ctx);
      const halted = ctx.halt !== undefined;
      // Entering a halt: cancel everything (also what execution may not know about), not just the diff.
      const enteringHalt = halted && !wasHalted;
      wasHalted = halted;
      const thisCycle = cycle;
      const u = ctx.unwind;
      if (u !== undefined && !halted && !stopping && ex.unwind && !unwindInFlight && now - lastUnwindAt >= unwindCfg.cooldownMs) {
        // Not awaited: the quote loop goes on (the ladder's resting quotes are applied as usual meanwhile).
        unwindInFlight = true;
        const req: UnwindRequest = {
          side: u.side,
          qty: inst.lotsToQty(u.lots),
          price: inst.ticksToPrice(u.limitPx),
          context: {
            cycle: thisCycle,
            position: view.position,
            ageMs: Math.round(u.ageMs),
            takerShareAfter: Number(u.takerShareAfter.toFixed(4)),
            bestBid: ctx.fair ? inst.ticksToPrice(ctx.fair.bestBid) : '',
            bestAsk: ctx.fair ? inst.ticksToPrice(ctx.fair.bestAsk) : '',
            halfSpreadBps: Number((ctx.spread?.halfBps ?? 0).toFixed(3)),
            guardMode: ctx.guard?.decision.mode ?? '',
          },
        };
        const up = ex
          .unwind(req)
          .then(() => undefined)
          .catch((err: unknown) => logCode(log, 'APPLY_FAILED', { cycle: thisCycle, action: 'unwind', err: (err as Error)?.message ?? String(err) }))
          .finally(() => {
            unwindInFlight = false;
            lastUnwindAt = performance.now();
          });
        applying.add(up);
        void up.finally(() => applying.delete(up));
      }
      return (async () => {
        let sent = 0;
        try {
          if (enteringHalt) await ex.cancelAll();
          else sent = (await ex.apply(q)) ?? 0;
        } catch (err) {
          logCode(log, enteringHalt ? 'CANCEL_ALL_FAILED' : 'APPLY_FAILED', { cycle: thisCycle, err: (err as Error)?.message ?? String(err) });
        }
        events.emit('requote', ctx, q);
        // A change held back behind a pending create or cancel goes out once that is acked, not at the next book
        // event (its wait shows as quote_hold). Every such request belongs to an apply that sent something, so only
        // those re-check.
        if (sent > 0 && (ex.view.held ?? 0) > 0) schedule(performance.now());
      })();
    };

    // Requotes are at least minRequoteMs apart: rate limits are per second, and a book moving every 20 ms would
    // otherwise re-price every order fifty times a second. The wait counts in quote_cycle (it is the bot's reaction).
    // Risk events (a stale book) are urgent: they skip the wait, so the guards act before anything else.
    const minGap = config.execution.minRequoteMs;
    let lastStart = Number.NEGATIVE_INFINITY;
    let urgent = false;
    let wake: (() => void) | undefined;
    const pump = async () => {
      // Events of the same turn (one WebSocket read can carry several) make one requote.
      await new Promise<void>((r) => setImmediate(r));
      while (pendingAt !== undefined && !stopping) {
        const wait = lastStart + minGap - performance.now();
        if (wait > 0 && !urgent) {
          await new Promise<void>((r) => {
            const t = setTimeout(r, wait).unref();
            wake = () => {
              clearTimeout(t);
              r();
            };
          });
          wake = undefined;
        }
        urgent = false;
        if (stopping) break;
        lastStart = performance.now();
        const at = pendingAt;
        pendingAt = undefined;
        try {
          const p = requote(at);
          applying.add(p);
          void p.finally(() => applying.delete(p));
          // Sequential mode means one request at a time (the comparison bench:bot makes): requotes do not overlap.
          if (config.execution.mode === 'sequential') await p;
        } catch (err) {
          logCode(log, 'PIPELINE_FAILED', { err: (err as Error)?.stack ?? String(err) });
        }
      }
    };
    schedule = (at: number) => {
      if (stopping) return;
      pendingAt = pendingAt === undefined ? at : Math.max(pendingAt, at);
      if (running === undefined) running = pump().finally(() => (running = undefined));
    };

    bookFeed.on('book', (at) => schedule(at));
    bookFeed.on('stale', () => {
      urgent = true;
      schedule(performance.now());
      wake?.();
    });
    await bookFeed.start();
    const refresh = setInterval(() => {
      if (pendingAt === undefined) schedule(performance.now());
    }, config.quoting.refreshMs);
    refresh.unref();
    schedule(performance.now());

    log.info(
      {
        event: 'started',
        telemetryPort: telemetry.port,
        metricsUrl: `${telemetry.url}/metrics`,
        rest: v.restUrl,
        wsPublic: v.wsPublicUrl,
        wsPrivate: v.wsPrivateUrl,
        mode: config.execution.mode,
        instrument: { tick: inst.ticksToPrice(1), lot: inst.lotsToQty(1), minLots: inst.minLots },
      },
      `bot started; telemetry on port ${telemetry.port}`,
    );

    let stopped: Promise<void> | undefined;
    const stop = () => {
      stopped ??= (async () => {
        stopping = true;
        clearInterval(refresh);
        bookFeed.close();
        await running;
        await Promise.allSettled([...applying]);
        try {
          await ex.cancelAll();
          log.info({ event: 'stopped' }, 'all orders cancelled');
        } catch (err) {
          logCode(log, 'SHUTDOWN_FAILED', { err: (err as Error)?.message ?? String(err) });
          throw err;
        } finally {
          await cleanup();
        }
      })();
      return stopped;
    };

    return {
      telemetryUrl: telemetry.url,
      metricsUrl: `${telemetry.url}/metrics`,
      telemetryPort: telemetry.port,
      metrics,
      instrument: inst,
      events,
      executor: ex,
      status,
      resetKillSwitch: resetKill,
      stop,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
