/**
 * Config migrations to the current version. Version 1 was the first, flat format:
 *
 *   configVersion: 1            # or absent: v1 files predate the field
 *   exchange: { restUrl, wsUrl, privateWsUrl, key, secret }
 *   symbol: BTCUSDT
 *   orderSize: 0.01             # per level
 *   levels: 3
 *   spreadBps: 5                # one fixed full spread
 *   maxInventory: 0.1
 *   metricsPort: 9464
 *   batchOrders: true
 *
 * Version 2 split it into sections, made the spread adaptive between a min and a max, and added the trade URL.
 * A migration maps what v1 said and leaves everything else to v2's defaults.
 */
import { z } from 'zod';
import { CURRENT_CONFIG_VERSION } from './schema.ts';

const V1Schema = z.strictObject({
  configVersion: z.literal(1).optional(),
  exchange: z
    .strictObject({
      restUrl: z.string().optional(),
      wsUrl: z.string().optional(),
      privateWsUrl: z.string().optional(),
      key: z.string().optional(),
      secret: z.string().optional(),
    })
    .optional(),
  symbol: z.string().optional(),
  orderSize: z.union([z.number(), z.string()], { error: 'expected a decimal quantity' }).optional(),
  levels: z.number({ error: 'expected integer >= 1' }).int({ error: 'expected integer >= 1' }).min(1, { error: 'expected integer >= 1' }).optional(),
  spreadBps: z.number({ error: 'expected number >= 0' }).min(0, { error: 'expected number >= 0' }).optional(),
  maxInventory: z.union([z.number(), z.string()], { error: 'expected a decimal quantity' }).optional(),
  metricsPort: z.number({ error: 'expected integer in 0..65535' }).int().min(0).max(65535).optional(),
  batchOrders: z.boolean({ error: 'expected true or false' }).optional(),
});

export class MigrationError extends Error {
  constructor(readonly issues: z.core.$ZodIssue[]) {
    super('config migration failed');
  }
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function migrateV1(raw: unknown): Record<string, unknown> {
  const r = V1Schema.safeParse(raw, { reportInput: true });
  if (!r.success) throw new MigrationError(r.error.issues);
  const v1 = r.data;
  const ex = v1.exchange ?? {};
  // v1 had no order-entry URL: derive it from the private one when that follows Bybit's layout.
  const trade = ex.privateWsUrl?.endsWith('/v5/private') ? ex.privateWsUrl.replace(/\/v5\/private$/, '/v5/trade') : undefined;
  const spread = v1.spreadBps;
  return {
    configVersion: 2,
    ...defined({ symbol: v1.symbol }),
    venue: defined({ restUrl: ex.restUrl, wsPublicUrl: ex.wsUrl, wsPrivateUrl: ex.privateWsUrl, wsTradeUrl: trade, apiKey: ex.key, apiSecret: ex.secret }),
    quoting: defined({
      levels: v1.levels,
      baseQty: v1.orderSize === undefined ? undefined : String(v1.orderSize),
      maxPosition: v1.maxInventory === undefined ? undefined : String(v1.maxInventory),
      // The fixed v1 spread becomes the floor of the adaptive one; the ceiling leaves room to widen.
      minSpreadBps: spread,
      maxSpreadBps: spread === undefined ? undefined : Math.max(spread * 8, 40),
    }),
    // v1's maxInventory was also its only hard limit; v2's kill switch sits at twice the quoting limit.
    ...(v1.maxInventory === undefined ? {} : { guards: { killSwitch: { maxPosition: String(Number(v1.maxInventory) * 2) } } }),
    ...(v1.metricsPort === undefined ? {} : { telemetry: { port: v1.metricsPort } }),
    ...(v1.batchOrders === undefined ? {} : { execution: { mode: v1.batchOrders ? 'batched' : 'sequential' } }),
  };
}

/** Brings a parsed config document to the current version. Unknown (future or bogus) versions are left for the schema to reject. */
export function migrate(raw: Record<string, unknown>): { config: Record<string, unknown>; from: number | undefined } {
  const v = raw['configVersion'];
  if (v === undefined || v === 1) return { config: migrateV1(raw), from: 1 };
  if (v === CURRENT_CONFIG_VERSION) return { config: raw, from: CURRENT_CONFIG_VERSION };
  return { config: raw, from: undefined };
}
