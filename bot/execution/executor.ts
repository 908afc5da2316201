/**
 * Execution: turns each QuoteSet from the pipeline into the minimal create / amend / cancel requests (diff.ts), sends
 * them (sender.ts: rate limits, retries), and keeps the state of our orders, fills and position from the private
 * stream, reconciled over REST on start, after every reconnect of the stream and when it goes silent.
 *
 * Concurrency: apply() does not wait for earlier applies. An order with a create or cancel in flight blocks its slot
 * (the diff leaves it alone); an order with amends in flight is amended again at once (diff.ts). A change held back
 * (its slot blocked, or the amend budget spent) is not one of its requote's actions — quote_cycle covers what a
 * requote sends — but it is not lost from sight: the time of the event that first wanted it is kept per slot, and
 * when a later apply sends it, the wait is observed as quote_hold.
 * cancelAll() holds new applies back, lets in-flight requests land, then cancels.
 *
 * See docs/bot-execution.md for the rules and the measured figures.
 */
import { EventEmitter } from 'node:events';
import type { RestClientV5, WebsocketClient } from 'bybit-api';
import type { Logger } from 'pino';
import type { Counter, Histogram } from 'prom-client';
import type { DesiredQuote, ExecutionView, LiveOrder, OrderDiff, QuoteSet, Side } from '../types.ts';
import { planOrders, slotKey, type DiffOptions } from './diff.ts';

/** Bybit's answer to an amend that changes nothing (retCode 10001 covers many parameter errors, so match the text). */
const UNCHANGED = /remains unchanged/i;
import { ec } from './errors.ts';
import { planReconcile } from './reconcile.ts';
import { DEFAULT_RETRY, seededRandom, type RetryPolicy } from './retry.ts';
import { Sender, TRANSPORT_FAILED, type ItemOutcome } from './sender.ts';
import { OrderStore } from '../state/orders.ts';
import { FillLog } from '../state/fills.ts';
import { PositionState } from '../state/position.ts';
import { LinkIds } from '../venue/link-ids.ts';
import { RateLimitGate } from '../venue/rate-limits.ts';
import { VenueRest } from '../venue/rest.ts';
import { isOpenStatus, parseFill, parseOrder, parsePosition, type OrderUpdate } from '../venue/messages.ts';
import { addDec, eqDec } from '../venue/decimal.ts';

export type ExecutionMode = 'batched' | 'sequential';

export interface ExecutorMetrics {
  /** quote_cycle latency: QuoteSet.triggeredAt → acks of all of its actions. Unit: `metricsUnit`. */
  readonly quoteCycle?: Histogram<string>;
  /** quote_hold: a held-back change, from the event that first wanted it to when it was sent. Unit: `metricsUnit`. */
  readonly quoteHold?: Histogram<string>;
  /** Order-entry request round trip, label `endpoint` = venue path (e.g. /v5/order/create-batch). */
  readonly orderAck?: Histogram<'endpoint'>;
  /** Refusals, label `code` = retCode, or EC_PostOnlyWillTakeLiquidity for PostOnly cancels. */
  readonly rejects?: Counter<'code'>;
  /** Our fills, label `liquidity` = maker | taker (inventory-unwind fills included, as taker). */
  readonly fills?: Counter<'liquidity'>;
  /** Inventory-unwind IOC orders, label `outcome` = filled | partial | unfilled | rejected | unknown. */
  readonly unwinds?: Counter<'outcome'>;
  /** Fills of inventory-unwind IOC orders. */
  readonly unwindFills?: Counter<string>;
}

export interface ExecutorOptions {
  readonly rest: RestClientV5;
  /** A WebsocketClient connected to the private stream (/v5/private) with key and secret. Execution subscribes. */
  readonly wsPrivate: WebsocketClient;
  readonly symbol: string;
  readonly category?: 'linear';
  /** Default 'batched'. */
  readonly mode?: ExecutionMode;
  readonly logger: Logger;
  readonly metrics?: ExecutorMetrics;
  /** Unit of the histograms: 'seconds' (default, Prometheus convention) or 'ms'. */
  readonly metricsUnit?: 'seconds' | 'ms';
  /** Marks our orders; [0-9A-Za-z_]{1,12}. */
  readonly linkIdPrefix: string;
  /** Monotonic ms, the clock of QuoteSet.triggeredAt. Default performance.now. */
  readonly clock?: { now(): number };
  /** Jitter source; default seeded from `seed`. */
  readonly random?: () => number;
  /** Seed of the default jitter source and of the run part of orderLinkIds (default: random). */
  readonly seed?: number;
  readonly retry?: Partial<RetryPolicy>;
  /** Reconcile when the private stream has been silent this long (ms). Default 15000. */
  readonly silentMs?: number;
  /** After a reconnect, reconcile at the latest this long after it if no subscribe confirmation came. Default 3000. */
  readonly resubscribeTimeoutMs?: number;
  /** cancelAll() gives up waiting for zero open orders after this long. Default 10000. */
  readonly cancelAllTimeoutMs?: number;
  /**
   * 'own' (default): cancelAll cancels the orders with our prefix, by id (cancel-batch). 'symbol': the venue's
   * cancel-all for the symbol — one request, also catches ids we never saw, but cancels other bots' orders in the
   * symbol on the same account.
   */
  readonly cancelAllScope?: 'own' | 'symbol';
  /** Time in force of our orders. Default PostOnly. */
  readonly timeInForce?: 'PostOnly' | 'GTC';
  /** Injectable for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Per-level price tolerance of the diff (diff.ts DiffOptions); default exact. */
  readonly priceTolerance?: (level: number, price: string) => string;
  /** unwind() waits this long (ms) after its ack for the order's final state on the stream, then asks REST. Default 3000. */
  readonly unwindSettleMs?: number;
}

/** An inventory-unwind order: one IOC Limit on the single-order endpoint (decimal strings on the instrument's grid). */
export interface UnwindRequest {
  readonly side: Side;
  readonly qty: string;
  /** Limit price: the worst price it may trade at. */
  readonly price: string;
  /** Why (position, its age, the taker budget, the touch...): logged with the send, for the operator. */
  readonly context?: Readonly<Record<string, number | string>>;
}

/** How an unwind ended. `unknown`: no answer, or no final state seen in time (the position stream still tells). */
export type UnwindResult = 'filled' | 'partial' | 'unfilled' | 'rejected' | 'unknown';

export interface UnwindOutcome {
  readonly orderLinkId: string;
  readonly result: UnwindResult;
  /** Venue retCode of the create (0 = accepted), or TRANSPORT_FAILED. */
  readonly code: number;
  readonly msg: string;
  /** The venue's final order status, when seen. */
  readonly status: string | undefined;
  readonly filledQty: string;
  /** Local ms from the send to the outcome. */
  readonly latencyMs: number;
}

/** ExecutionView plus what execution knows beyond the seam. */
export interface ExecutorView extends ExecutionView {
  readonly postOnlyRejects: number;
  readonly makerFills: number;
  readonly retries: number;
  readonly rateLimitWaits: number;
  /** Amends left for a later requote because the amend endpoint's window was spent. */
  readonly amendsDeferred: number;
  /** Slots the last apply held back (blocked by a pending create or cancel, or the amend budget spent). */
  readonly held: number;
  readonly reconciliations: number;
  readonly orphansCancelled: number;
  readonly live: readonly LiveOrder[];
  /** Inventory-unwind IOC orders sent, and their fills (intended taker fills: not in takerFills). */
  readonly unwinds: number;
  readonly unwindFills: number;
  /** Notional of our fills by liquidity role (the unwind's taker budget). */
  readonly turnover: { readonly maker: number; readonly taker: number };
}

const GONE_CODES: ReadonlySet<number> = new Set([110001, 110008, 110010]);
const DUPLICATE_LINK_ID = 110072;
const PARAMS_ERROR = 10001;
const MAX_ACK_SAMPLES = 10_000;
const PRIVATE_TOPICS = ['order', 'execution', 'position'] as const;

interface CreateAction {
  readonly q: DesiredQuote;
  readonly link: string;
}
interface AmendAction {
  readonly live: LiveOrder;
  readonly to: DesiredQuote;
  readonly sentAt: number;
  readonly seq: number;
}

/** Events for telemetry and tests (await them instead of sleeping). */
export interface ExecutorEvents {
  reconciled: [{ reason: string; orphans: number; adopted: number; gone: number }];
  postOnlyReject: [{ orderLinkId: string; side: string; price: string }];
  fill: [{ execId: string; orderLinkId: string; isMaker: boolean; price: string; qty: string; unwind: boolean }];
  /** An inventory unwind ended (see unwind()). */
  unwind: [UnwindOutcome];
  /**
   * An apply's actions are all acked (or failed); latency = quote_cycle in ms; heldMs = the longest quote_hold among
   * its actions (0 when none was held back).
   */
  applied: [{ cycle: number; actions: number; latencyMs: number; heldMs: number }];
}

const sleepReal = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Executor extends EventEmitter<ExecutorEvents> {
  readonly mode: ExecutionMode;
  readonly view: ExecutorView;
  private readonly symbol: string;
  private readonly log: Logger;
  private readonly clock: { now(): number };
  private readonly venue: VenueRest;
  private readonly sender: Sender;
  private readonly ids: LinkIds;
  private readonly orders = new OrderStore();
  private readonly fills = new FillLog();
  private readonly position = new PositionState();
  private readonly rejects = new Map<number, number>();
  private ackSamples: { endpoint: string; ms: number }[] = [];
  private postOnlyRejects = 0;
  private reconciliations = 0;
  private orphansCancelled = 0;
  /** slot → price and local time of its last PostOnly reject (see postOnlyFilter). */
  private readonly postOnlyAt = new Map<string, { price: string; at: number }>();
  private readonly inflight = new Set<Promise<unknown>>();
  private blocked: Promise<void> | undefined;
  private reconciling: Promise<void> | undefined;
  private reconcileAgain = false;
  private lastStreamAt = 0;
  private silenceTimer: NodeJS.Timeout | undefined;
  private resubTimer: NodeJS.Timeout | undefined;
  private awaitingResub = false;
  private started = false;
  private stopped = false;
  private readonly scale: number;
  private readonly wsListeners: [string, (e: never) => void][] = [];
  private readonly diffOptions: DiffOptions;
  private readonly gate = new RateLimitGate();
  private amendsDeferred = 0;
  /** slot → triggeredAt of the earliest requote that wanted a change there and could not send it (see apply). */
  private readonly heldSince = new Map<string, number>();
  /** Inventory unwinds awaiting their final order state: orderLinkId → newest state seen and who waits for it. */
  private readonly unwindsOpen = new Map<string, { last: OrderUpdate | undefined; settle: (() => void) | undefined }>();
  private unwindsSent = 0;

  constructor(private readonly opts: ExecutorOptions) {
    super();
    this.diffOptions = opts.priceTolerance ? { priceTolerance: opts.priceTolerance } : {};
    this.mode = opts.mode ?? 'batched';
    this.symbol = opts.symbol;
    this.log = opts.logger.child({ component: 'execution', symbol: opts.symbol, mode: this.mode });
    this.clock = opts.clock ?? performance;
    const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31);
    const random = opts.random ?? seededRandom(seed);
    this.ids = new LinkIds(opts.linkIdPrefix, seededRandom(seed ^ 0x5bd1e995));
    const policy: RetryPolicy = { ...DEFAULT_RETRY, ...opts.retry };
    this.venue = new VenueRest(opts.rest, opts.category ?? 'linear', policy.timeoutMs);
    if (!this.venue.parsesRateLimits && !this.venue.enableRateLimitParsing()) {
      this.log.warn({ ...ec('EXEC_NO_RATE_HEADERS') }, 'REST client does not parse X-Bapi-Limit headers; rate limits are learnt from 10006 only');
    }
    this.scale = opts.metricsUnit === 'ms' ? 1 : 1 / 1000;
    this.sender = new Sender({
      rest: this.venue,
      gate: this.gate,
      policy,
      random,
      now: () => this.clock.now(),
      sleep: opts.sleep ?? sleepReal,
      logger: this.log,
      onAck: (endpoint, ms) => {
        if (this.ackSamples.length < MAX_ACK_SAMPLES) this.ackSamples.push({ endpoint, ms });
        opts.metrics?.orderAck?.observe({ endpoint }, ms * this.scale);
      },
    });
    const self = this;
    this.view = {
      get position() { return self.position.size; },
      get openOrders() { return self.orders.size; },
      drainAckLatencies() {
        const out = self.ackSamples;
        self.ackSamples = [];
        return out;
      },
      get rejects() { return self.rejects; },
      get takerFills() { return self.fills.taker; },
      get makerFills() { return self.fills.maker; },
      get postOnlyRejects() { return self.postOnlyRejects; },
      get retries() { return self.sender.retries; },
      get rateLimitWaits() { return self.sender.rateWaits; },
      get amendsDeferred() { return self.amendsDeferred; },
      get held() { return self.heldSince.size; },
      get reconciliations() { return self.reconciliations; },
      get orphansCancelled() { return self.orphansCancelled; },
      get live() { return self.orders.live(); },
      get unwinds() { return self.unwindsSent; },
      get unwindFills() { return self.fills.unwind; },
      get turnover() { return { ...self.fills.turnover }; }, // a copy: contexts keep it past this requote
    };
    this.log.info({ linkIdPrefix: opts.linkIdPrefix, run: this.ids.run, seed }, 'executor created');
  }

  /** Subscribes to the private stream, then reconciles over REST: cancels our orphans, loads the position. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const ws = this.opts.wsPrivate;
    this.listen('update', (e: { topic?: string; data?: unknown }) => this.onStream(e));
    this.listen('reconnected', (e: { wsKey?: string }) => {
      if (!isPrivateKey(e.wsKey)) return;
      this.log.warn({ ...ec('EXEC_STREAM_RECONNECTED'), wsKey: e.wsKey }, 'private stream reconnected');
      this.awaitingResub = true;
      clearTimeout(this.resubTimer);
      this.resubTimer = setTimeout(() => this.afterResubscribe(), this.opts.resubscribeTimeoutMs ?? 3000);
    });
    this.listen('response', (e: { op?: string; success?: boolean; wsKey?: string }) => {
      if (this.awaitingResub && e.op === 'subscribe' && e.success !== false && isPrivateKey(e.wsKey)) this.afterResubscribe();
    });
    await Promise.all(ws.subscribeV5([...PRIVATE_TOPICS], 'linear'));
    this.lastStreamAt = this.clock.now();
    await this.reconcile('start');
    const silentMs = this.opts.silentMs ?? 15_000;
    this.silenceTimer = setInterval(() => {
      if (this.clock.now() - this.lastStreamAt < silentMs) return;
      this.lastStreamAt = this.clock.now();
      this.log.info({ ...ec('EXEC_STREAM_SILENT'), silentMs }, 'private stream silent; reconciling');
      void this.reconcile('silent');
    }, Math.max(50, Math.floor(silentMs / 2)));
    this.silenceTimer.unref();
  }

  /**
   * Amends beyond what the amend endpoint has left this second wait for a later requote, closest levels first: a
   * batch sent into a spent window comes back 10006 item by item and its retries crowd out the next requote.
   * Creates and cancels always go (they add and remove risk).
   */
  private withinBudget(d: OrderDiff): { diff: OrderDiff; deferred: readonly DesiredQuote[] } {
    const path = this.mode === 'batched' ? '/v5/order/amend-batch' : '/v5/order/amend';
    const budget = this.gate.budget(path);
    if (d.amend.length <= budget) return { diff: d, deferred: [] };
    const sorted = [...d.amend].sort((a, b) => a.to.level - b.to.level);
    const amend = sorted.slice(0, Math.max(0, budget));
    this.amendsDeferred += d.amend.length - amend.length;
    return { diff: { ...d, amend }, deferred: sorted.slice(amend.length).map((a) => a.to) };
  }

  /**
   * Diffs `q` against our orders and sends the actions; resolves when all of them are acked (or failed), with how
   * many it sent. quote_cycle runs from q.triggeredAt to the last ack.
   *
   * Slots it holds back keep (or take) their held-since time; a slot it acts on observes its quote_hold (now − held
   * since); every other slot drops it — a newer quote no longer needs the change.
   */
  async apply(q: QuoteSet): Promise<number> {
    while (this.blocked) await this.blocked;
    if (this.stopped) return 0;
    if (q.symbol !== this.symbol) throw new Error(`QuoteSet for ${q.symbol} sent to the ${this.symbol} executor`);
    const desired = this.postOnlyFilter(q);
    const plan = planOrders(desired, this.orders.live(), this.diffOptions);
    const { diff: d, deferred } = this.withinBudget(plan.diff);
    const now = this.clock.now();
    const held = new Map<string, number>();
    for (const h of [...plan.held, ...deferred]) {
      const k = slotKey(h.side, h.level);
      held.set(k, Math.min(this.heldSince.get(k) ?? q.triggeredAt, q.triggeredAt));
    }
    let heldMs = 0;
    const acted = (side: LiveOrder['side'], level: number) => {
      const k = slotKey(side, level);
      const since = this.heldSince.get(k);
      if (since === undefined || held.has(k)) return; // still held (e.g. an extra order cancelled in a blocked slot)
      this.heldSince.delete(k); // once per slot, however many of its orders this apply touches
      this.opts.metrics?.quoteHold?.observe((now - since) * this.scale);
      heldMs = Math.max(heldMs, now - since);
    };
    for (const c of d.create) acted(c.side, c.level);
    for (const a of d.amend) acted(a.to.side, a.to.level);
    for (const c of d.cancel) acted(c.side, c.level);
    this.heldSince.clear();
    for (const [k, t] of held) this.heldSince.set(k, t);

    const n = d.create.length + d.amend.length + d.cancel.length;
    if (n === 0) return 0;
    const creates: CreateAction[] = d.create.map((c) => {
      const link = this.ids.next(c.side, c.level);
      this.orders.begin(link, c.side, c.level, c.price, c.qty, now);
      return { q: c, link };
    });
    const amends: AmendAction[] = d.amend.map((a) => ({ live: a.live, to: a.to, sentAt: now, seq: this.orders.beginAmend(a.live.orderLinkId, a.to) }));
    for (const c of d.cancel) this.orders.setInflight(c.orderLinkId, 'cancel');
    this.log.debug({ cycle: q.cycle, create: creates.length, amend: amends.length, cancel: d.cancel.length, held: held.size }, 'requote');
    const work = this.mode === 'batched' ? this.sendBatched(creates, amends, d.cancel) : this.sendSequential(creates, amends, d.cancel);
    await this.track(work);
    const latencyMs = this.clock.now() - q.triggeredAt;
    this.log.debug({ cycle: q.cycle, actions: n, latencyMs, heldMs }, 'applied');
    this.opts.metrics?.quoteCycle?.observe(latencyMs * this.scale);
    this.emit('applied', { cycle: q.cycle, actions: n, latencyMs, heldMs });
    return n;
  }

  /**
   * Inventory unwind: one IOC Limit order (single-order `create`, through the Sender: rate-limit gate, retries, an
   * orderLinkId minted once and reused by every retry). Its id carries the `U` marker (LinkIds.nextUnwind): it never
   * rests and occupies no ladder slot, reconciliation leaves it alone, its stream updates do not touch the order store,
   * and its fills are intended taker fills — counted in `view.unwindFills` (and `fills{liquidity="taker"}`), never in
   * `view.takerFills` (the guards' unexpected-taker-fill input), logged at info (MMB-464), not as MMB-456.
   * Resolves with the outcome once the venue's final order state is seen (stream, or REST after `unwindSettleMs`).
   * The position change arrives on the private `position` stream as for any fill.
   */
  async unwind(req: UnwindRequest): Promise<UnwindOutcome> {
    while (this.blocked) await this.blocked;
    const link = this.ids.nextUnwind(req.side);
    const t0 = this.clock.now();
    const done = (result: UnwindResult, code: number, msg: string, u: OrderUpdate | undefined): UnwindOutcome => {
      this.unwindsOpen.delete(link);
      const out: UnwindOutcome = { orderLinkId: link, result, code, msg, status: u?.status, filledQty: u?.cumExecQty ?? '0', latencyMs: this.clock.now() - t0 };
      this.opts.metrics?.unwinds?.inc({ outcome: result });
      const { msg: retMsg, code: retCode, ...rest } = out;
      this.log.info({ ...ec('EXEC_UNWIND'), ...rest, retCode, retMsg, side: req.side, qty: req.qty, price: req.price }, `inventory unwind ${result}`);
      this.emit('unwind', out);
      return out;
    };
    if (this.stopped) return done('unknown', TRANSPORT_FAILED, 'executor stopped', undefined);
    const entry: { last: OrderUpdate | undefined; settle: (() => void) | undefined } = { last: undefined, settle: undefined };
    this.unwindsOpen.set(link, entry);
    this.unwindsSent++;
    this.log.info({ ...ec('EXEC_UNWIND'), orderLinkId: link, side: req.side, qty: req.qty, price: req.price, ...req.context }, 'inventory unwind: sending IOC');
    const work = (async (): Promise<UnwindOutcome> => {
      const o = await this.sender.one('create', {
        symbol: this.symbol,
        side: req.side,
        orderType: 'Limit',
        qty: req.qty,
        price: req.price,
        timeInForce: 'IOC',
        orderLinkId: link,
      });
      // 110072 on a retry: the first try had landed (the id is never reused otherwise).
      if (o.code !== 0 && o.code !== DUPLICATE_LINK_ID) {
        if (o.code !== TRANSPORT_FAILED) {
          this.rejects.set(o.code, (this.rejects.get(o.code) ?? 0) + 1);
          this.opts.metrics?.rejects?.inc({ code: String(o.code) });
          this.log.warn({ ...ec('EXEC_REJECT'), action: 'unwind', retCode: o.code, retMsg: o.msg, orderLinkId: link }, 'order action refused');
          return done('rejected', o.code, o.msg, undefined);
        }
        return done('unknown', o.code, o.msg, await this.lookup(link).catch(() => undefined));
      }
      if (!isFinal(entry.last)) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, this.opts.unwindSettleMs ?? 3000);
          entry.settle = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
      let u = entry.last;
      if (!isFinal(u)) u = (await this.lookup(link).catch(() => undefined)) ?? u;
      if (!isFinal(u)) return done('unknown', 0, o.msg, u);
      const filled = Number(u!.cumExecQty) > 0;
      return done(u!.status === 'Filled' ? 'filled' : filled ? 'partial' : 'unfilled', 0, o.msg, u);
    })();
    return this.track(work);
  }

  /**
   * Cancels our open orders (or, with cancelAllScope 'symbol', every order in the symbol) and resolves once a REST
   * check shows none left. Applies wait meanwhile. Rejects if that is not seen within cancelAllTimeoutMs.
   */
  async cancelAll(): Promise<void> {
    let release!: () => void;
    const prev = this.blocked;
    const gate = new Promise<void>((r) => (release = r));
    this.blocked = gate;
    try {
      if (prev) await prev;
      await Promise.allSettled([...this.inflight]);
      const deadline = this.clock.now() + (this.opts.cancelAllTimeoutMs ?? 10_000);
      for (let round = 0; ; round++) {
        if (this.opts.cancelAllScope === 'symbol') {
          await this.sender.request('cancel-all', { symbol: this.symbol });
        }
        const open = (await this.fetchOpenOrders()).filter((u) => this.opts.cancelAllScope === 'symbol' || this.ids.isOwn(u.orderLinkId));
        if (open.length === 0) {
          for (const t of this.orders.all()) this.orders.remove(t.orderLinkId);
          this.log.info({ rounds: round }, 'cancelAll confirmed: no open orders');
          return;
        }
        if (this.clock.now() > deadline) {
          this.log.error({ ...ec('EXEC_CANCEL_ALL_UNCONFIRMED'), open: open.length }, 'cancelAll not confirmed');
          throw new Error(`cancelAll: ${open.length} orders still open after ${this.opts.cancelAllTimeoutMs ?? 10_000} ms`);
        }
        if (this.opts.cancelAllScope !== 'symbol') {
          const outs = await this.sender.batch('cancel-batch', open.map((u) => ({ symbol: this.symbol, orderId: u.orderId })));
          outs.forEach((o, i) => {
            if (o.code === 0 || GONE_CODES.has(o.code)) this.orders.remove(open[i]!.orderLinkId);
          });
        }
      }
    } finally {
      if (this.blocked === gate) this.blocked = undefined;
      release();
    }
  }

  /** Stops timers and stream handling. Does not cancel orders (call cancelAll first) nor close the WebSocket. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.silenceTimer);
    clearTimeout(this.resubTimer);
    const ws = this.opts.wsPrivate as unknown as { off(ev: string, fn: (e: never) => void): void };
    for (const [ev, fn] of this.wsListeners) ws.off(ev, fn);
    this.wsListeners.length = 0;
  }

  /** Reconciles with the venue over REST now (coalesces with a run in progress). */
  reconcile(reason: string): Promise<void> {
    if (this.reconciling) {
      this.reconcileAgain = true;
      return this.reconciling;
    }
    const run = async () => {
      do {
        this.reconcileAgain = false;
        try {
          await this.reconcileOnce(reason);
        } catch (err) {
          this.log.warn({ ...ec('EXEC_RECONCILE_FAILED'), reason, err }, 'reconciliation failed');
        }
      } while (this.reconcileAgain && !this.stopped);
    };
    this.reconciling = run().finally(() => (this.reconciling = undefined));
    return this.reconciling;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Sending

  private async sendBatched(creates: CreateAction[], amends: AmendAction[], cancels: readonly LiveOrder[]): Promise<void> {
    await Promise.all([
      creates.length > 0 &&
        this.sender.batch('create-batch', creates.map((c) => this.createParams(c))).then((outs) =>
          Promise.all(outs.map((o, i) => this.onCreate(creates[i]!, o)))),
      amends.length > 0 &&
        this.sender.batch('amend-batch', amends.map((a) => this.amendParams(a))).then((outs) =>
          Promise.all(outs.map((o, i) => this.onAmend(amends[i]!, o)))),
      cancels.length > 0 &&
        this.sender.batch('cancel-batch', cancels.map((c) => this.ref(c))).then((outs) =>
          outs.forEach((o, i) => this.onCancel(cancels[i]!, o))),
    ]);
  }

  /** One request at a time: cancels first (they free margin), then amends, then creates. */
  private async sendSequential(creates: CreateAction[], amends: AmendAction[], cancels: readonly LiveOrder[]): Promise<void> {
    for (const c of cancels) this.onCancel(c, await this.sender.one('cancel', this.ref(c)));
    for (const a of amends) await this.onAmend(a, await this.sender.one('amend', this.amendParams(a)));
    for (const c of creates) await this.onCreate(c, await this.sender.one('create', this.createParams(c)));
  }

  private createParams(c: CreateAction): Record<string, unknown> {
    return {
      symbol: this.symbol,
      side: c.q.side,
      orderType: 'Limit',
      qty: c.q.qty,
      price: c.q.price,
      timeInForce: this.opts.timeInForce ?? 'PostOnly',
      orderLinkId: c.link,
    };
  }

  /** Only what changes (Bybit: "do not pass qty/price if not modifying"). Bybit's qty is the order's total: filled + leaves. */
  private amendParams(a: AmendAction): Record<string, unknown> {
    const p: Record<string, unknown> = this.ref(a.live);
    if (!eqDec(a.live.price, a.to.price)) p.price = a.to.price;
    if (!eqDec(a.live.qty, a.to.qty)) p.qty = addDec(this.orders.get(a.live.orderLinkId)?.filled ?? '0', a.to.qty);
    return p;
  }

  private ref(o: LiveOrder): Record<string, unknown> {
    return o.orderId ? { symbol: this.symbol, orderId: o.orderId } : { symbol: this.symbol, orderLinkId: o.orderLinkId };
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => undefined);
    return p;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Outcomes

  private async onCreate(c: CreateAction, o: ItemOutcome): Promise<void> {
    const now = this.clock.now();
    if (o.code === 0) return this.orders.ackCreate(c.link, o.orderId, now);
    if (o.code === DUPLICATE_LINK_ID) {
      // Our own earlier try got through (the retry reuses the id): the venue's copy is the order.
      const u = await this.lookup(c.link);
      if (u && this.applyVenueState(u, false) !== 'untracked') {
        this.orders.setInflight(c.link, undefined);
        this.log.info({ orderLinkId: c.link, status: u.status }, 'duplicate orderLinkId on retry: the first try had landed');
        return;
      }
    }
    if (o.code === TRANSPORT_FAILED) {
      // Unknown fate: forget without a tombstone; if the order exists, reconciliation adopts it.
      this.orders.forget(c.link);
      void this.reconcile('create-unknown');
      return;
    }
    this.orders.remove(c.link);
    this.reject(o, 'create', c.link);
  }

  private async onAmend(a: AmendAction, o: ItemOutcome): Promise<void> {
    const link = a.live.orderLinkId;
    const now = this.clock.now();
    // "The order remains unchanged": the venue already has these parameters (our view lagged a push), so it is done.
    if (o.code === 0 || (o.code === PARAMS_ERROR && UNCHANGED.test(o.msg))) {
      return this.orders.settleAmend(link, a.seq, { price: a.to.price, qty: a.to.qty, sentAt: a.sentAt }, now);
    }
    if (GONE_CODES.has(o.code)) {
      // Filled or cancelled before the amend landed: the stream tells the rest (fills, position).
      this.orders.remove(link);
      return;
    }
    if (o.code === PARAMS_ERROR && o.maybeSent) {
      // "Order remains unchanged" on a retry: the first try may have done it. Ask the venue.
      const u = await this.lookup(link);
      if (u && eqDec(u.price, a.to.price) && eqDec(u.leavesQty, a.to.qty)) {
        this.applyVenueState(u, false);
        this.orders.settleAmend(link, a.seq, undefined, now);
        return;
      }
    }
    this.orders.settleAmend(link, a.seq, undefined, now);
    if (o.code === TRANSPORT_FAILED) {
      void this.reconcile('amend-unknown');
      return;
    }
    this.reject(o, 'amend', link);
  }

  private onCancel(c: LiveOrder, o: ItemOutcome): void {
    if (o.code === 0 || GONE_CODES.has(o.code)) {
      this.orders.remove(c.orderLinkId);
      return;
    }
    this.orders.setInflight(c.orderLinkId, undefined);
    if (o.code === TRANSPORT_FAILED) {
      void this.reconcile('cancel-unknown');
      return;
    }
    this.reject(o, 'cancel', c.orderLinkId);
  }

  private reject(o: ItemOutcome, action: string, orderLinkId: string): void {
    this.rejects.set(o.code, (this.rejects.get(o.code) ?? 0) + 1);
    this.opts.metrics?.rejects?.inc({ code: String(o.code) });
    this.log.warn({ ...ec('EXEC_REJECT'), action, retCode: o.code, retMsg: o.msg, orderLinkId }, 'order action refused');
  }

  private async lookup(orderLinkId: string): Promise<OrderUpdate | undefined> {
    const r = await this.sender.request('realtime', { symbol: this.symbol, orderLinkId });
    if (!r.reply || r.reply.retCode !== 0) return undefined;
    const list = (r.reply.result as { list?: unknown[] } | undefined)?.list ?? [];
    return list.map(parseOrder).find((u) => u?.orderLinkId === orderLinkId);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // PostOnly

  /**
   * A PostOnly order the venue cancelled because it would have crossed is not sent again at the same price by a
   * QuoteSet computed before the reject was known (it would cross again): that slot is left empty until a newer
   * requote. Anything else is never retried by execution on its own.
   */
  private postOnlyFilter(q: QuoteSet): readonly DesiredQuote[] {
    if (this.postOnlyAt.size === 0) return q.quotes;
    return q.quotes.filter((d) => {
      const r = this.postOnlyAt.get(slotKey(d.side, d.level));
      return !(r && q.triggeredAt <= r.at && eqDec(r.price, d.price));
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Private stream

  private listen(ev: string, fn: (e: never) => void): void {
    (this.opts.wsPrivate as unknown as { on(ev: string, fn: (e: never) => void): void }).on(ev, fn);
    this.wsListeners.push([ev, fn]);
  }

  private onStream(e: { topic?: string; data?: unknown }): void {
    if (this.stopped || typeof e.topic !== 'string') return;
    this.lastStreamAt = this.clock.now();
    const topic = e.topic.split('.')[0];
    const items = Array.isArray(e.data) ? e.data : [];
    try {
      if (topic === 'order') {
        for (const x of items) {
          const u = parseOrder(x);
          if (u && u.symbol === this.symbol && this.ids.isUnwind(u.orderLinkId)) {
            this.onUnwindOrder(u);
            continue;
          }
          if (u && u.symbol === this.symbol && this.ids.isOwn(u.orderLinkId) && this.applyVenueState(u, true) === 'untracked') {
            void this.reconcile('untracked-order');
          }
        }
      } else if (topic === 'execution') {
        for (const x of items) {
          const f = parseFill(x);
          if (!f || f.symbol !== this.symbol || !this.ids.isOwn(f.orderLinkId)) continue;
          const unwind = this.ids.isUnwind(f.orderLinkId);
          if (!this.fills.record(f, unwind)) continue;
          this.opts.metrics?.fills?.inc({ liquidity: f.isMaker ? 'maker' : 'taker' });
          this.emit('fill', { execId: f.execId, orderLinkId: f.orderLinkId, isMaker: f.isMaker, price: f.price, qty: f.qty, unwind });
          if (unwind) {
            this.opts.metrics?.unwindFills?.inc();
            this.log.info({ ...ec('EXEC_UNWIND_FILL'), execId: f.execId, orderLinkId: f.orderLinkId, side: f.side, price: f.price, qty: f.qty, isMaker: f.isMaker }, 'inventory unwind fill');
          } else if (!f.isMaker) this.log.warn({ ...ec('EXEC_TAKER_FILL'), execId: f.execId, orderLinkId: f.orderLinkId, price: f.price, qty: f.qty }, 'taker fill');
        }
      } else if (topic === 'position') {
        for (const x of items) {
          const p = parsePosition(x);
          if (p && p.symbol === this.symbol) this.position.apply(p);
        }
      }
    } catch (err) {
      this.log.error({ err, topic: e.topic }, 'private stream handler failed');
    }
  }

  /** An inventory-unwind order's state from the stream: kept (newest updatedTime) for unwind() to settle on. */
  private onUnwindOrder(u: OrderUpdate): void {
    const e = this.unwindsOpen.get(u.orderLinkId);
    if (e === undefined) return; // settled already (or a previous run's): nothing waits for it
    if (e.last === undefined || u.updatedTime >= e.last.updatedTime) e.last = u;
    if (isFinal(e.last)) e.settle?.();
  }

  /** Applies a venue order state; counts PostOnly rejects. Returns what OrderStore.apply said. */
  private applyVenueState(u: OrderUpdate, stream: boolean): 'open' | 'closed' | 'stale' | 'untracked' {
    const r = this.orders.apply(u, this.clock.now(), stream);
    if (r.kind === 'closed' && r.postOnlyReject) {
      this.postOnlyRejects++;
      this.postOnlyAt.set(slotKey(r.order.side, r.order.level), { price: u.price, at: this.clock.now() });
      this.opts.metrics?.rejects?.inc({ code: 'EC_PostOnlyWillTakeLiquidity' });
      this.emit('postOnlyReject', { orderLinkId: u.orderLinkId, side: u.side, price: u.price });
      this.log.warn({ ...ec('EXEC_POST_ONLY'), orderLinkId: u.orderLinkId, side: u.side, price: u.price }, 'PostOnly order would have crossed; cancelled by the venue');
    }
    return r.kind;
  }

  private afterResubscribe(): void {
    if (!this.awaitingResub) return;
    this.awaitingResub = false;
    clearTimeout(this.resubTimer);
    void this.reconcile('reconnect');
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Reconciliation

  private async fetchOpenOrders(): Promise<OrderUpdate[]> {
    const out: OrderUpdate[] = [];
    let cursor = '';
    for (let page = 0; page < 20; page++) {
      const r = await this.sender.request('realtime', { symbol: this.symbol, limit: 50, ...(cursor ? { cursor } : {}) });
      if (!r.reply || r.reply.retCode !== 0) {
        throw new Error(`open orders: ${r.reply ? `${r.reply.retCode} ${r.reply.retMsg}` : r.failure?.message}`);
      }
      const res = (r.reply.result ?? {}) as { list?: unknown[]; nextPageCursor?: string };
      for (const x of res.list ?? []) {
        const u = parseOrder(x);
        if (u && u.symbol === this.symbol) out.push(u);
      }
      cursor = res.nextPageCursor ?? '';
      if (!cursor) break;
    }
    return out;
  }

  private async reconcileOnce(reason: string): Promise<void> {
    const requestedAt = this.clock.now();
    const [open, pos] = await Promise.all([
      this.fetchOpenOrders(),
      this.sender.request('position', { symbol: this.symbol }),
    ]);
    this.reconciliations++;
    if (pos.reply?.retCode === 0) {
      const list = (pos.reply.result as { list?: unknown[] } | undefined)?.list ?? [];
      const p = list.map(parsePosition).find((x) => x?.symbol === this.symbol);
      this.position.apply(p ?? { symbol: this.symbol, size: 0, updatedTime: 0 });
    }
    const plan = planReconcile({
      open,
      tracked: this.orders.all(),
      parse: (l) => this.ids.parse(l),
      run: this.ids.run,
      closedSince: (l, t) => this.orders.closedSince(l, t),
      requestedAt,
    });
    const now = this.clock.now();
    for (const u of plan.update) this.applyVenueState(u, false);
    for (const a of plan.adopt) this.orders.adopt(a.order, a.level, now);
    for (const l of plan.gone) this.orders.remove(l);
    if (plan.orphans.length > 0) {
      for (const u of plan.orphans) {
        this.log.warn({ ...ec('EXEC_ORPHAN_CANCEL'), orderLinkId: u.orderLinkId, orderId: u.orderId, side: u.side, price: u.price }, 'cancelling orphan order');
      }
      const outs = await this.sender.batch('cancel-batch', plan.orphans.map((u) => ({ symbol: this.symbol, orderId: u.orderId })));
      this.orphansCancelled += outs.filter((o) => o.code === 0 || GONE_CODES.has(o.code)).length;
    }
    this.emit('reconciled', { reason, orphans: plan.orphans.length, adopted: plan.adopt.length, gone: plan.gone.length });
    this.log.info(
      { reason, open: open.length, updated: plan.update.length, adopted: plan.adopt.length, orphans: plan.orphans.length, gone: plan.gone.length, position: this.position.size },
      'reconciled',
    );
  }
}

function isFinal(u: OrderUpdate | undefined): boolean {
  return u !== undefined && !isOpenStatus(u.status) && u.status !== 'PendingNew';
}

function isPrivateKey(wsKey: string | undefined): boolean {
  return wsKey === undefined || (wsKey.startsWith('v5Private') && wsKey !== 'v5PrivateTrade');
}

