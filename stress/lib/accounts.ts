/** The load generators' accounts: deterministic keys, so a venue child and an external venue agree. */
export interface StressAccount {
  readonly apiKey: string;
  readonly secret: string;
}

export function stressAccounts(n: number, prefix = 'stress'): StressAccount[] {
  return Array.from({ length: n }, (_, i) => ({ apiKey: `${prefix}-key-${i}`, secret: `${prefix}-secret-${i}` }));
}

export const BOT_ACCOUNT: StressAccount = { apiKey: 'stress-bot-key', secret: 'stress-bot-secret' };
/** Per-account balance (USDT): far above the margin of 50 resting 0.01 BTC orders at ~1000. */
export const STRESS_BALANCE = '1000000';

/** Order-entry limits of the stress venue (per UID per second): raised so the tools measure the venue, not its limiter. */
export const RAISED_LIMITS: Record<string, number> = Object.fromEntries(
  ['create', 'amend', 'cancel', 'create-batch', 'amend-batch', 'cancel-batch', 'cancel-all', 'realtime', 'history'].map((e) => [`/v5/order/${e}`, 1_000_000]),
);
