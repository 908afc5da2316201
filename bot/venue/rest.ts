/**
 * The REST calls execution makes, through bybit-api's RestClientV5, with one shape for every answer: a venue reply
 * (`retCode`, `result`, `retExtInfo`, rate-limit headers) or a transport failure (timeout, HTTP error, network
 * error). A call never throws. A timed-out call keeps running in the background; its late answer is dropped, which
 * is safe because every create carries an orderLinkId (see link-ids.ts) and retries are idempotent.
 */
import type { RestClientV5 } from 'bybit-api';
import { limitFromReply, type LimitInfo } from './rate-limits.ts';

export type Endpoint =
  | 'create'
  | 'amend'
  | 'cancel'
  | 'create-batch'
  | 'amend-batch'
  | 'cancel-batch'
  | 'cancel-all'
  | 'realtime'
  | 'position';

/** The venue path of each endpoint: the rate-limit key and the `endpoint` label of order-ack latency. */
export const ENDPOINT_PATH: Record<Endpoint, string> = {
  create: '/v5/order/create',
  amend: '/v5/order/amend',
  cancel: '/v5/order/cancel',
  'create-batch': '/v5/order/create-batch',
  'amend-batch': '/v5/order/amend-batch',
  'cancel-batch': '/v5/order/cancel-batch',
  'cancel-all': '/v5/order/cancel-all',
  realtime: '/v5/order/realtime',
  position: '/v5/position/list',
};

export interface VenueReply {
  readonly retCode: number;
  readonly retMsg: string;
  readonly result: unknown;
  readonly retExtInfo: unknown;
  readonly limit: LimitInfo | undefined;
}

export interface TransportFailure {
  readonly kind: 'timeout' | 'http' | 'network';
  readonly status?: number;
  readonly message: string;
  /** Timeouts, network errors, HTTP 5xx and 429 are worth retrying; other HTTP statuses are not. */
  readonly retryable: boolean;
}

export type CallOutcome = { readonly ok: true; readonly reply: VenueReply } | { readonly ok: false; readonly failure: TransportFailure };

type Params = Record<string, unknown>;

export class VenueRest {
  constructor(
    private readonly rest: RestClientV5,
    private readonly category: 'linear',
    private readonly timeoutMs: number,
  ) {}

  /** True when the client returns the X-Bapi-Limit headers. */
  get parsesRateLimits(): boolean {
    return (this.rest as unknown as { options?: { parseAPIRateLimits?: boolean } }).options?.parseAPIRateLimits === true;
  }

  /**
   * Turns bybit-api's header parsing on for this client: without it the rate-limit headers are dropped and the gate
   * is blind. It is an option of the client's constructor; the client keeps its options in `options`.
   */
  enableRateLimitParsing(): boolean {
    const o = (this.rest as unknown as { options?: { parseAPIRateLimits?: boolean } }).options;
    if (!o) return false;
    o.parseAPIRateLimits = true;
    return true;
  }

  call(endpoint: Endpoint, params: Params): Promise<CallOutcome> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<CallOutcome>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, failure: { kind: 'timeout', message: `no answer within ${this.timeoutMs} ms`, retryable: true } }), this.timeoutMs);
    });
    const request = this.invoke(endpoint, params).then(
      (r): CallOutcome => {
        const x = r as { retCode?: unknown; retMsg?: unknown; result?: unknown; retExtInfo?: unknown };
        if (typeof x?.retCode !== 'number') {
          return { ok: false, failure: { kind: 'http', message: 'reply without retCode', retryable: true } };
        }
        return { ok: true, reply: { retCode: x.retCode, retMsg: String(x.retMsg ?? ''), result: x.result, retExtInfo: x.retExtInfo, limit: limitFromReply(r) } };
      },
      (e: unknown): CallOutcome => ({ ok: false, failure: transportFailure(e) }),
    );
    return Promise.race([request, timeout]).finally(() => clearTimeout(timer));
  }

  private invoke(endpoint: Endpoint, p: Params): Promise<unknown> {
    const r = this.rest;
    const c = this.category;
    // bybit-api's param types are narrower than what we build generically; the venue validates the payload.
    const any = p as never;
    switch (endpoint) {
      case 'create': return r.submitOrder({ category: c, ...p } as never);
      case 'amend': return r.amendOrder({ category: c, ...p } as never);
      case 'cancel': return r.cancelOrder({ category: c, ...p } as never);
      case 'create-batch': return r.batchSubmitOrders(c, (p.request as never[]) ?? any);
      case 'amend-batch': return r.batchAmendOrders(c, (p.request as never[]) ?? any);
      case 'cancel-batch': return r.batchCancelOrders(c, (p.request as never[]) ?? any);
      case 'cancel-all': return r.cancelAllOrders({ category: c, ...p } as never);
      case 'realtime': return r.getActiveOrders({ category: c, ...p } as never);
      case 'position': return r.getPositionInfo({ category: c, ...p } as never);
    }
  }
}

/** bybit-api throws `{code: httpStatus, message, body}` for a non-200 answer, a string or an axios error otherwise. */
function transportFailure(e: unknown): TransportFailure {
  if (e !== null && typeof e === 'object' && typeof (e as { code?: unknown }).code === 'number') {
    const status = (e as { code: number }).code;
    return { kind: 'http', status, message: String((e as { message?: unknown }).message ?? `HTTP ${status}`), retryable: status >= 500 || status === 429 };
  }
  const message = typeof e === 'string' ? e : e instanceof Error ? e.message : String(e);
  return { kind: 'network', message, retryable: true };
}
