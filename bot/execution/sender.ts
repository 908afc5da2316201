/**
 * Sends requests to the venue within its rate limits, retrying what is worth retrying (retry.ts), and reports each
 * order action's outcome. Batches are cut into chunks of at most 20 orders (Bybit's linear batch limit), sent
 * concurrently; inside a batch, items the venue refused with 10006 (rate limit reached mid-batch) or 10016 are sent
 * again on their own, after the venue's reset time.
 */
import type { Logger } from 'pino';
import { ENDPOINT_PATH, type Endpoint, type TransportFailure, type VenueReply, type VenueRest } from '../venue/rest.ts';
import type { RateLimitGate } from '../venue/rate-limits.ts';
import { ec } from './errors.ts';
import { RATE_LIMITED, SERVER_ERROR, backoffMs, isRetryableCode, type RetryPolicy } from './retry.ts';

export const MAX_BATCH = 20;
/** `code` of an action whose request never got an answer after every retry. */
export const TRANSPORT_FAILED = -1;

export interface ItemOutcome {
  /** 0 = done; a venue retCode; TRANSPORT_FAILED. */
  readonly code: number;
  readonly msg: string;
  readonly orderId: string;
  readonly orderLinkId: string;
  /** An earlier try of this action may have reached the venue (timeout or lost answer): a refusal may be our own echo. */
  readonly maybeSent: boolean;
}

export interface RequestResult {
  readonly reply?: VenueReply;
  readonly failure?: TransportFailure;
  readonly maybeSent: boolean;
  readonly attempts: number;
}

export interface SenderDeps {
  readonly rest: VenueRest;
  readonly gate: RateLimitGate;
  readonly policy: RetryPolicy;
  readonly random: () => number;
  /** Monotonic ms. */
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly logger: Logger;
  /** Every answered order-entry request: its endpoint path and round-trip ms. */
  readonly onAck: (path: string, ms: number) => void;
}

const ORDER_ENTRY: ReadonlySet<Endpoint> = new Set(['create', 'amend', 'cancel', 'create-batch', 'amend-batch', 'cancel-batch', 'cancel-all']);

type Params = Record<string, unknown>;

export class Sender {
  /** Sends held back by the rate-limit gate. */
  rateWaits = 0;
  retries = 0;

  constructor(private readonly d: SenderDeps) {}

  /** One request, retried on 10006 / 10016 / retryable transport failures. `units` = orders it carries. */
  async request(endpoint: Endpoint, params: Params, units = 1): Promise<RequestResult> {
    const { gate, policy, logger } = this.d;
    const path = ENDPOINT_PATH[endpoint];
    let maybeSent = false;
    const patientUntil = this.d.now() + policy.rateLimitPatienceMs;
    let limited = 0;
    for (let attempt = 0; ; attempt++) {
      const wait = gate.waitMs(path);
      if (wait > 0) {
        this.rateWaits++;
        logger.debug({ ...ec('EXEC_RATE_WAIT'), endpoint: path, waitMs: Math.round(wait) }, 'waiting for the rate-limit window');
        await this.d.sleep(wait);
        gate.forget(path);
      }
      gate.take(path, units);
      const t0 = this.d.now();
      const out = await this.d.rest.call(endpoint, params);
      gate.done(path, units, out.ok ? out.reply.limit : undefined);
      if (out.ok) {
        if (ORDER_ENTRY.has(endpoint)) this.d.onAck(path, this.d.now() - t0);
        const rateLimited = out.reply.retCode === RATE_LIMITED;
        // Rate-limit rounds do not use up the attempts of real failures (see RetryPolicy.rateLimitPatienceMs).
        if (rateLimited) attempt--;
        const retry = rateLimited ? this.d.now() < patientUntil : isRetryableCode(out.reply.retCode) && attempt + 1 < policy.maxAttempts;
        if (retry) {
          const ms = Math.max(backoffMs(rateLimited ? Math.min(limited++, 2) : attempt, policy, this.d.random), gate.waitMs(path));
          this.retries++;
          logger.warn({ ...ec('EXEC_RETRY'), endpoint: path, retCode: out.reply.retCode, attempt: attempt + 1, waitMs: Math.round(ms) }, 'retrying request');
          await this.d.sleep(ms);
          continue;
        }
        return { reply: out.reply, maybeSent, attempts: attempt + 1 };
      }
      maybeSent = true;
      if (out.failure.retryable && attempt + 1 < policy.maxAttempts) {
        const ms = backoffMs(attempt, policy, this.d.random);
        this.retries++;
        logger.warn({ ...ec('EXEC_RETRY'), endpoint: path, failure: out.failure, attempt: attempt + 1, waitMs: Math.round(ms) }, 'retrying request');
        await this.d.sleep(ms);
        continue;
      }
      logger.error({ ...ec('EXEC_GAVE_UP'), endpoint: path, failure: out.failure, attempts: attempt + 1 }, 'request failed');
      return { failure: out.failure, maybeSent, attempts: attempt + 1 };
    }
  }

  /** A single-order request (create / amend / cancel) as an item outcome. */
  async one(endpoint: Endpoint, params: Params): Promise<ItemOutcome> {
    const r = await this.request(endpoint, params);
    const link = typeof params.orderLinkId === 'string' ? params.orderLinkId : '';
    if (!r.reply) return { code: TRANSPORT_FAILED, msg: r.failure?.message ?? 'no answer', orderId: '', orderLinkId: link, maybeSent: true };
    const res = (r.reply.result ?? {}) as { orderId?: unknown; orderLinkId?: unknown };
    return {
      code: r.reply.retCode,
      msg: r.reply.retMsg,
      orderId: typeof res.orderId === 'string' ? res.orderId : '',
      orderLinkId: typeof res.orderLinkId === 'string' && res.orderLinkId ? res.orderLinkId : link,
      maybeSent: r.maybeSent,
    };
  }

  /** A batch endpoint over any number of items: chunks of MAX_BATCH, sent concurrently. Outcomes align with `items`. */
  async batch(endpoint: Endpoint, items: readonly Params[]): Promise<ItemOutcome[]> {
    const chunks: Promise<ItemOutcome[]>[] = [];
    for (let i = 0; i < items.length; i += MAX_BATCH) chunks.push(this.chunk(endpoint, items.slice(i, i + MAX_BATCH)));
    return (await Promise.all(chunks)).flat();
  }

  private async chunk(endpoint: Endpoint, items: readonly Params[]): Promise<ItemOutcome[]> {
    const { policy, logger, gate } = this.d;
    const out: ItemOutcome[] = new Array<ItemOutcome>(items.length);
    const sent = new Array<boolean>(items.length).fill(false);
    let todo = items.map((_, i) => i);
    const patientUntil = this.d.now() + policy.rateLimitPatienceMs;
    let failures = 0;
    const linkOf = (i: number) => (typeof items[i]!.orderLinkId === 'string' ? (items[i]!.orderLinkId as string) : '');
    for (let round = 0; todo.length > 0; round++) {
      const r = await this.request(endpoint, { request: todo.map((i) => items[i]) }, todo.length);
      if (!r.reply || r.reply.retCode !== 0) {
        const code = r.reply ? r.reply.retCode : TRANSPORT_FAILED;
        const msg = r.reply ? r.reply.retMsg : (r.failure?.message ?? 'no answer');
        for (const i of todo) out[i] = { code, msg, orderId: '', orderLinkId: linkOf(i), maybeSent: sent[i]! || r.maybeSent };
        break;
      }
      const list = ((r.reply.result as { list?: unknown[] } | undefined)?.list ?? []) as { orderId?: string; orderLinkId?: string }[];
      const ext = ((r.reply.retExtInfo as { list?: unknown[] } | undefined)?.list ?? []) as { code?: unknown; msg?: unknown }[];
      const again: number[] = [];
      const patient = this.d.now() < patientUntil;
      if (todo.some((_, j) => Number(ext[j]?.code ?? 0) === SERVER_ERROR)) failures++;
      todo.forEach((i, j) => {
        const code = Number(ext[j]?.code ?? 0);
        sent[i] = sent[i]! || r.maybeSent;
        if (code === RATE_LIMITED ? patient : code === SERVER_ERROR && failures < policy.maxAttempts) {
          again.push(i);
          return;
        }
        out[i] = { code, msg: String(ext[j]?.msg ?? ''), orderId: list[j]?.orderId ?? '', orderLinkId: list[j]?.orderLinkId || linkOf(i), maybeSent: sent[i]! };
      });
      if (again.length > 0) {
        const ms = Math.max(backoffMs(Math.min(round, 2), policy, this.d.random), gate.waitMs(ENDPOINT_PATH[endpoint]));
        this.retries++;
        logger.warn({ ...ec('EXEC_RETRY'), endpoint: ENDPOINT_PATH[endpoint], items: again.length, round: round + 1, waitMs: Math.round(ms) }, 'retrying batch items');
        await this.d.sleep(ms);
      }
      todo = again;
    }
    return out;
  }
}
