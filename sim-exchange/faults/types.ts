/**
 * Venue faults: their names, parameters (zod, strict, with defaults) and the spec the control plane and the scenario
 * runner hand to FaultController. Every fault and its exact effect is documented in docs/faults.md.
 */
import { z } from 'zod';

const P = z.number().min(0).max(1);
const Uid = z.number().int().positive();
const SymbolName = z.string().regex(/^[A-Z0-9]{1,30}$/, 'a symbol such as BTCUSDT');
const Depth = z.union([z.literal(1), z.literal(50), z.literal(200), z.literal(1000)]);
export const ORDER_OPS = ['create', 'amend', 'cancel', 'cancel-all'] as const;
export type OrderOp = (typeof ORDER_OPS)[number];
export const HTTP_BODIES = ['html', 'empty', 'json'] as const;
export type HttpBody = (typeof HTTP_BODIES)[number];

export const RejectOrdersParams = z
  .object({
    /** Share of matching requests (and batch items) refused. */
    p: P.default(1),
    retCode: z.number().int().min(1).max(999_999).default(10016),
    /** Default: the catalogue's text for known codes, else "Server error". */
    retMsg: z.string().min(1).max(200).optional(),
    ops: z.array(z.enum(ORDER_OPS)).min(1).default([...ORDER_OPS]),
    uid: Uid.optional(),
  })
  .strict();

export const RateLimitStormParams = z.object({ p: P.default(1), uid: Uid.optional() }).strict();

export const HttpErrorParams = z
  .object({
    p: P.default(1),
    status: z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(504)]).default(502),
    /** Default: empty for 504, html otherwise. */
    body: z.enum(HTTP_BODIES).optional(),
    /** Which REST routes: every route, only signed (private) ones, or only public ones. */
    routes: z.enum(['all', 'private', 'public']).default('all'),
  })
  .strict();

export const LatencyParams = z
  .object({
    dist: z.enum(['lognormal', 'pareto']).default('lognormal'),
    /** Median of the base distribution, ms. */
    medianMs: z.number().min(0).max(60_000).default(50),
    /** lognormal: σ of ln(delay). */
    sigma: z.number().min(0).max(5).default(1),
    /** pareto: tail index α (smaller = heavier tail; the mean is infinite for α ≤ 1). */
    alpha: z.number().min(0.1).max(20).default(1.5),
    /** Every delay is capped here, ms. */
    maxMs: z.number().min(0).max(120_000).default(10_000),
    /** Scale delays with the background market's volatility (no effect without a market). */
    volScale: z.boolean().default(true),
    /** 1 s σ (bps) at which the scale is 1; calm ≈ 0.97. */
    refVolBps: z.number().positive().max(1000).default(1),
    volExponent: z.number().min(0).max(4).default(1),
    /** Largest volatility multiplier. */
    maxScale: z.number().min(1).max(1000).default(20),
    channels: z.array(z.enum(['rest', 'trade'])).min(1).default(['rest', 'trade']),
  })
  .strict();

export const WsCloseParams = z
  .object({
    /** Default: every channel. */
    channel: z.enum(['public', 'private', 'trade']).optional(),
    /** 1006 = abnormal closure (TCP reset, no close frame); otherwise a close frame with this code. */
    code: z.number().int().refine((c) => c === 1006 || (c >= 1000 && c <= 1014 && c !== 1004 && c !== 1005) || (c >= 3000 && c <= 4999), 'a sendable close code (1000-1014 except 1004/1005, 1006 = reset, 3000-4999)').default(1006),
    reason: z.string().max(120).default('fault'),
    uid: Uid.optional(),
  })
  .strict();

export const MuteTopicParams = z.object({ topic: z.string().min(1).max(64) }).strict();

export const BookDeltasParams = z
  .object({
    symbol: SymbolName.optional(),
    depth: Depth.optional(),
    dropP: P.default(0),
    dupP: P.default(0),
  })
  .strict()
  .refine((o) => o.dropP + o.dupP > 0 && o.dropP + o.dupP <= 1, { message: 'dropP + dupP must be in (0, 1]', path: ['dropP'] });

export const ResnapshotParams = z.object({ symbol: SymbolName.default('BTCUSDT') }).strict();

export const ClockSkewParams = z
  .object({ offsetMs: z.number().int().min(-86_400_000).max(86_400_000).refine((n) => n !== 0, 'must not be 0') })
  .strict();

export const MaintenanceParams = z
  .object({
    wsCode: z.union([z.literal(1001), z.literal(1012)]).default(1012),
    body: z.enum(HTTP_BODIES).default('html'),
  })
  .strict();

export const LateCancelParams = z
  .object({
    delayMs: z.number().int().min(1).max(600_000).default(500),
    p: P.default(1),
    uid: Uid.optional(),
  })
  .strict();

export const FAULT_PARAMS = {
  'reject-orders': RejectOrdersParams,
  'rate-limit-storm': RateLimitStormParams,
  'http-error': HttpErrorParams,
  latency: LatencyParams,
  'ws-close': WsCloseParams,
  'mute-topic': MuteTopicParams,
  'book-deltas': BookDeltasParams,
  resnapshot: ResnapshotParams,
  'clock-skew': ClockSkewParams,
  maintenance: MaintenanceParams,
  'late-cancel': LateCancelParams,
} as const;

export type FaultType = keyof typeof FAULT_PARAMS;
export const FAULT_TYPES = Object.keys(FAULT_PARAMS) as FaultType[];
/** Faults that act once when they start (a window makes no sense for them): they end at once. */
export const INSTANT_FAULTS: ReadonlySet<FaultType> = new Set<FaultType>(['ws-close', 'resnapshot']);

export type FaultParams<T extends FaultType> = z.infer<(typeof FAULT_PARAMS)[T]>;

const MAX_MS = 7 * 24 * 3_600_000;
const DurationMs = z.number().int().min(1).max(MAX_MS);
const StartInMs = z.number().int().min(0).max(MAX_MS);

function specOf<T extends FaultType, S extends z.ZodType>(type: T, params: S) {
  // `prefault` parses the default, so a missing params object gets the params' own defaults.
  return z
    .object({ type: z.literal(type), params: params.prefault({} as z.input<S>), durationMs: DurationMs.optional(), startInMs: StartInMs.optional() })
    .strict();
}

/** `POST /faults` body: `{type, params, durationMs?, startInMs?}`. */
export const FaultSpec = z.discriminatedUnion('type', [
  specOf('reject-orders', FAULT_PARAMS['reject-orders']),
  specOf('rate-limit-storm', FAULT_PARAMS['rate-limit-storm']),
  specOf('http-error', FAULT_PARAMS['http-error']),
  specOf('latency', FAULT_PARAMS['latency']),
  specOf('ws-close', FAULT_PARAMS['ws-close']),
  specOf('mute-topic', FAULT_PARAMS['mute-topic']),
  specOf('book-deltas', FAULT_PARAMS['book-deltas']),
  specOf('resnapshot', FAULT_PARAMS['resnapshot']),
  specOf('clock-skew', FAULT_PARAMS['clock-skew']),
  specOf('maintenance', FAULT_PARAMS['maintenance']),
  specOf('late-cancel', FAULT_PARAMS['late-cancel']),
]);
export type FaultSpec = z.infer<typeof FaultSpec>;
/** What callers pass (params defaults not applied yet). */
export type FaultSpecInput = z.input<typeof FaultSpec>;

function stepOf<T extends FaultType, S extends z.ZodType>(type: T, params: S) {
  return z
    .object({ atMs: StartInMs, type: z.literal(type), params: params.prefault({} as z.input<S>), durationMs: DurationMs.optional() })
    .strict();
}

/** `POST /faults/timeline` body. */
export const FaultTimeline = z
  .object({
    steps: z
      .array(
        z.discriminatedUnion('type', [
          stepOf('reject-orders', FAULT_PARAMS['reject-orders']),
          stepOf('rate-limit-storm', FAULT_PARAMS['rate-limit-storm']),
          stepOf('http-error', FAULT_PARAMS['http-error']),
          stepOf('latency', FAULT_PARAMS['latency']),
          stepOf('ws-close', FAULT_PARAMS['ws-close']),
          stepOf('mute-topic', FAULT_PARAMS['mute-topic']),
          stepOf('book-deltas', FAULT_PARAMS['book-deltas']),
          stepOf('resnapshot', FAULT_PARAMS['resnapshot']),
          stepOf('clock-skew', FAULT_PARAMS['clock-skew']),
          stepOf('maintenance', FAULT_PARAMS['maintenance']),
          stepOf('late-cancel', FAULT_PARAMS['late-cancel']),
        ]),
      )
      .max(1000),
  })
  .strict();
export type FaultTimelineInput = z.input<typeof FaultTimeline>;

/** The journal record of a fault starting or ending (`kind: 'fault'`, docs/faults.md). */
export interface FaultRecord {
  readonly kind: 'fault';
  /** Venue clock (ms) when it happened. */
  readonly at: number;
  readonly action: 'start' | 'end';
  readonly id: string;
  readonly fault: {
    readonly type: FaultType;
    readonly params: Record<string, unknown>;
    readonly durationMs?: number;
  };
  /** On `end`: what the fault did (counts). */
  readonly stats?: Record<string, number>;
  /** On `end`: why it ended. */
  readonly reason?: 'elapsed' | 'ended' | 'cleared' | 'instant';
}
