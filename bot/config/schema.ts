/**
 * The bot's configuration, version 2 (the current one): a zod schema with every default, so that a config file only
 * states what differs. Every object is strict — a misspelt key is an error naming its path, not a silently ignored
 * setting. Defaults point at Bybit's TESTNET; mainnet is only ever reached by writing its URLs into a config.
 */
import { z } from 'zod';

export const CURRENT_CONFIG_VERSION = 2;

export const TESTNET = {
  restUrl: 'https://api-testnet.bybit.com',
  wsPublicUrl: 'wss://stream-testnet.bybit.com/v5/public/linear',
  wsPrivateUrl: 'wss://stream-testnet.bybit.com/v5/private',
  wsTradeUrl: 'wss://stream-testnet.bybit.com/v5/trade',
} as const;

// Field builders carry one message for all their checks, so an error reads "expected integer >= 1, got "x"".
function int(min: number, max?: number) {
  const error = max === undefined ? `expected integer >= ${min}` : `expected integer in ${min}..${max}`;
  const s = z.number({ error }).int({ error }).min(min, { error });
  return max === undefined ? s : s.max(max, { error });
}

function num(min: number, max?: number) {
  const error = max === undefined ? `expected number >= ${min}` : `expected number in ${min}..${max}`;
  const s = z.number({ error }).min(min, { error });
  return max === undefined ? s : s.max(max, { error });
}

/** A positive decimal quantity; YAML numbers are accepted and kept as their decimal text. */
function decimal() {
  const error = 'expected a positive decimal such as "0.010"';
  return z.preprocess(
    (v) => (typeof v === 'number' && Number.isFinite(v) ? String(v) : v),
    z.string({ error }).regex(/^\d+(\.\d+)?$/, { error }).refine((s) => Number(s) > 0, { error }),
  );
}

function url(schemes: readonly string[]) {
  const error = `expected a ${schemes.join(' or ')} URL`;
  return z.string({ error }).refine((s) => {
    try {
      return schemes.includes(new URL(s).protocol.replace(':', ''));
    } catch {
      return false;
    }
  }, { error });
}

const required = (what: string) => z.string({ error: `required: ${what}` }).min(1, { error: `required: ${what}` });

export const VenueSchema = z.strictObject({
  restUrl: url(['http', 'https']).default(TESTNET.restUrl),
  wsPublicUrl: url(['ws', 'wss']).default(TESTNET.wsPublicUrl),
  wsPrivateUrl: url(['ws', 'wss']).default(TESTNET.wsPrivateUrl),
  wsTradeUrl: url(['ws', 'wss']).default(TESTNET.wsTradeUrl),
  apiKey: required('API key (or set MMBOT_API_KEY)'),
  apiSecret: required('API secret (or set MMBOT_API_SECRET)'),
  recvWindowMs: int(1000, 60_000).default(5000),
});

export const MarketDataSchema = z.strictObject({
  /** orderbook.{depth} topic; Bybit linear offers 1, 50, 200, 1000. */
  depth: z.union([z.literal(1), z.literal(50), z.literal(200), z.literal(1000)], { error: 'expected one of 1, 50, 200, 1000' }).default(50),
  /** No book message for this long while pongs still arrive → stale + resync. */
  silentMs: int(100).default(10_000),
  /** A resync whose snapshot has not come after this long is retried. */
  resyncTimeoutMs: int(100).default(3000),
  /** Levels per side the liquidity score looks at. */
  liquidityLevels: int(1, 50).default(5),
});

export const QuotingSchema = z.strictObject({
  levels: int(1, 20).default(3),
  /**
   * Distance between ladder levels. 60 ticks of BTCUSDT (6 USDT ≈ 1 bps at 60k) is about one calm fair-price jump
   * (1.12 bps): the outer levels sit where a taker's sweep overshoots the fair price by more than the 2 bps maker
   * fee. At 5 ticks (0.08 bps) the three levels were one price, a sweep filled all three at the same edge, and calm
   * net_bps averaged −0.12 over 5 seeds (+0.83 at 60 ticks; docs/bot.md).
   */
  levelStepTicks: int(1).default(60),
  /** Size of each level before skew and guards. */
  baseQty: decimal().default('0.010'),
  /** Largest position (either side) the resting quotes may build if all of them fill. */
  maxPosition: decimal().default('0.100'),
  minSpreadBps: num(0).default(2),
  maxSpreadBps: num(0).default(40),
  /** Fair value = w × microprice + (1 − w) × mid. */
  microWeight: num(0, 1).default(0.5),
  /** Shift of fair value at full inventory (|position| = maxPosition), in bps, against the position. */
  skewBps: num(0).default(10),
  /** Fraction by which the side that adds inventory shrinks at full inventory. */
  sizeSkew: num(0, 1).default(0.8),
  /** Requote at least this often even without market data (guards, cooldowns). */
  refreshMs: int(10).default(500),
  queue: z.strictObject({
    /** A queue ahead of us larger than this at our price makes us step in by a tick (when the spread allows). */
    maxAheadQty: decimal().default('1.0'),
    /** Keep a resting level-0 quote if the new target is within this many ticks and its queue is small. */
    stickTicks: int(0).default(1),
  }).prefault({}),
  /**
   * Inventory unwind: a position the resting quotes have not reduced for `afterMs` is trimmed with small IOC Limit
   * orders at the touch (`sliceQty` each, limit = touch ∓ maxCrossTicks), one at a time, `cooldownMs` apart, and only
   * while the bot's own taker notional stays within `maxTakerShare` of its turnover (the slice included).
   */
  unwind: z.strictObject({
    enabled: z.boolean({ error: 'expected true or false' }).default(true),
    /** A position that has not moved toward zero for this long (ms) is trimmed. */
    afterMs: int(0, 3_600_000).default(5000),
    /** Size of one IOC slice (never more than the position; raised to the venue's min qty / min notional). */
    sliceQty: decimal().default('0.002'),
    /** Taker budget: taker notional / (maker + taker notional) of the bot's own fills, the slice included (1 = none). */
    maxTakerShare: num(0, 1).default(0.05),
    /** Protection: the IOC's limit is this many ticks through the touch it takes. */
    maxCrossTicks: int(0, 1000).default(5),
    /** No new unwind for this long after the last one settled (its position update must arrive first). */
    cooldownMs: int(0, 600_000).default(2000),
  }).prefault({}),
});

export const ModelSchema = z.strictObject({
  volHalfLifeMs: int(1).default(5000),
  /** Volatility (bps per √s) that scores 1. */
  volRefBps: num(0.0001).default(5),
  /** Depth near the touch (base units, `marketData.liquidityLevels` per side) that scores 0 (a deep book). */
  liquidityRefQty: decimal().default('5'),
  /** Order-ack P95 that scores 1. */
  latencyRefMs: num(1).default(250),
  /** Drawdown (quote currency) that scores 1. */
  pnlRef: num(0.0001).default(50),
  weights: z.strictObject({
    volatility: num(0).default(0.4),
    liquidity: num(0).default(0.2),
    latency: num(0).default(0.2),
    pnl: num(0).default(0.2),
  }).prefault({}),
});

const Thresholds = (d: { volBps: number; ackP95Ms: number; drawdown: number; inventoryRatio: number; takerFills: number; rejectRate: number }) =>
  z.strictObject({
    volBps: num(0).default(d.volBps),
    ackP95Ms: num(0).default(d.ackP95Ms),
    drawdown: num(0).default(d.drawdown),
    inventoryRatio: num(0).default(d.inventoryRatio),
    takerFills: int(1).default(d.takerFills),
    rejectRate: num(0, 1).default(d.rejectRate),
  }).prefault({});

export const GuardsSchema = z.strictObject({
  /** Rolling window for ack latency P95, reject rate and taker fills. */
  windowMs: int(100).default(10_000),
  soft: Thresholds({ volBps: 20, ackP95Ms: 300, drawdown: 50, inventoryRatio: 0.6, takerFills: 1, rejectRate: 0.1 }),
  hard: Thresholds({ volBps: 60, ackP95Ms: 1500, drawdown: 150, inventoryRatio: 1.2, takerFills: 5, rejectRate: 0.5 }),
  /** SOFT: half-spread × this, size × softSizeMult. */
  softWiden: num(1).default(2),
  softSizeMult: num(0, 1).default(0.5),
  /** HARD: halt this long after the condition clears. */
  cooldownMs: int(0).default(5000),
  /** Reject rate needs this many actions in the window before it can trip. */
  minActionsForRejectRate: int(1).default(10),
  killSwitch: z.strictObject({
    /** Loss (quote currency, realised + unrealised, from start) that trips the kill switch. */
    maxLoss: num(0).default(300),
    maxPosition: decimal().default('0.300'),
  }).prefault({}),
  /** Disconnect-cancel window, seconds (Bybit allows 3..300). */
  dcpWindowSec: int(3, 300).default(10),
});

export const ExecutionSchema = z.strictObject({
  mode: z.enum(['batched', 'sequential'], { error: 'expected "batched" or "sequential"' }).default('batched'),
  /** Marks this bot's orderLinkIds (it cancels only its own orphans). */
  linkIdPrefix: z.string().regex(/^[0-9A-Za-z_]{1,12}$/, { error: 'expected 1-12 characters of [0-9A-Za-z_]' }).default('mmb'),
  /**
   * Fewest ms between two requotes: market data arriving faster is coalesced. The wait counts in quote_cycle. Rate
   * limits are kept by execution's budget (amends the window has no room for wait), not by this pace.
   */
  minRequoteMs: int(0, 10_000).default(25),
  /** Ticks a resting order of level ≥ 1 may drift from its desired price before it is amended. */
  deepLevelToleranceTicks: int(0, 1000).default(2),
  /**
   * How far (bps of its price) a resting order may drift from its desired price before it is amended: level 0
   * (`top`) and deeper levels (`deep`, at least deepLevelToleranceTicks). Amends are rate-limited per order (Bybit:
   * 10/s on amend-batch), and chasing every tick spends that budget on moves far smaller than the quoted spread.
   */
  toleranceBps: z.strictObject({
    top: num(0, 100).default(0.25),
    deep: num(0, 100).default(1),
  }).prefault({}),
});

export const TelemetrySchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  /** 0 = any free port (printed in the startup log line). */
  port: int(0, 65535).default(9464),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});

export const BotConfigSchema = z
  .strictObject({
    configVersion: z.literal(CURRENT_CONFIG_VERSION, { error: `expected ${CURRENT_CONFIG_VERSION}` }),
    symbol: z.string({ error: 'expected a symbol such as "BTCUSDT"' }).regex(/^[A-Z0-9]{2,30}$/, { error: 'expected a symbol such as "BTCUSDT"' }).default('BTCUSDT'),
    venue: VenueSchema,
    marketData: MarketDataSchema.prefault({}),
    quoting: QuotingSchema.prefault({}),
    model: ModelSchema.prefault({}),
    guards: GuardsSchema.prefault({}),
    execution: ExecutionSchema.prefault({}),
    telemetry: TelemetrySchema.prefault({}),
  })
  .superRefine((c, ctx) => {
    if (c.quoting.maxSpreadBps < c.quoting.minSpreadBps)
      ctx.addIssue({ code: 'custom', path: ['quoting', 'maxSpreadBps'], message: `expected >= quoting.minSpreadBps (${c.quoting.minSpreadBps})`, input: c.quoting.maxSpreadBps });
    for (const k of ['volBps', 'ackP95Ms', 'drawdown', 'inventoryRatio', 'takerFills', 'rejectRate'] as const) {
      if (c.guards.hard[k] < c.guards.soft[k])
        ctx.addIssue({ code: 'custom', path: ['guards', 'hard', k], message: `expected >= guards.soft.${k} (${c.guards.soft[k]})`, input: c.guards.hard[k] });
    }
    if (Number(c.guards.killSwitch.maxPosition) < Number(c.quoting.maxPosition))
      ctx.addIssue({ code: 'custom', path: ['guards', 'killSwitch', 'maxPosition'], message: `expected >= quoting.maxPosition (${c.quoting.maxPosition})`, input: c.guards.killSwitch.maxPosition });
  });

export type BotConfig = z.output<typeof BotConfigSchema>;
export type BotConfigInput = z.input<typeof BotConfigSchema>;
