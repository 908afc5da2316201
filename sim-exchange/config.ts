import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InstrumentConfig, DEFAULT_INSTRUMENTS } from './instruments.ts';
import { AccountConfig } from './accounts/account.ts';

/** The venue's config file (YAML). Strict: an unknown key is an error naming the file and the path. */
export const SimConfig = z
  .object({
    seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
    instruments: z.array(InstrumentConfig).min(1).optional(),
    /** Per-endpoint per-second limits overriding Bybit's, e.g. { "/v5/order/create": 1000 }. */
    rateLimits: z.record(z.string().startsWith('/v5/'), z.number().int().min(1)).optional(),
    accounts: z.array(AccountConfig).optional(),
    /** A static ladder around a start price, placed by a liquidity account, until the background market exists. */
    staticBook: z
      .object({
        symbol: z.string(),
        price: z.string(),
        levels: z.number().int().min(1).max(1000).default(50),
        stepTicks: z.number().int().min(1).default(5),
        spreadTicks: z.number().int().min(1).default(2),
        qty: z.string().default('0.5'),
        depthGrowth: z.number().min(0).default(0.1),
      })
      .strict()
      .nullable()
      .optional(),
  })
  .strict();
export type SimConfig = z.infer<typeof SimConfig>;

/** Keys of the account the default config creates for a bot to trade with; documented in README.md. */
export const DEMO_ACCOUNT = { apiKey: 'mmbench-demo-key', secret: 'mmbench-demo-secret', balance: '100000' } as const;
/** The account that provides the static book's liquidity. */
export const HOUSE_ACCOUNT = { apiKey: 'mmbench-house-key', secret: 'mmbench-house-secret', balance: '50000000', label: 'house' } as const;

export const DEFAULT_CONFIG: SimConfig = {
  instruments: DEFAULT_INSTRUMENTS,
  accounts: [
    AccountConfig.parse({ ...HOUSE_ACCOUNT, makerFeeRate: '0', takerFeeRate: '0' }),
    AccountConfig.parse({ ...DEMO_ACCOUNT, label: 'demo' }),
  ],
  staticBook: { symbol: 'BTCUSDT', price: '60000', levels: 50, stepTicks: 5, spreadTicks: 2, qty: '0.5', depthGrowth: 0.1 },
};

export function loadConfig(path: string): SimConfig {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
  const r = SimConfig.safeParse(raw ?? {});
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${path}: ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`invalid config\n${lines.join('\n')}`);
  }
  return r.data;
}
