/**
 * Load profiles (stress/profiles/<name>.yaml) as data, validated by a strict zod schema: unknown keys are refused,
 * every threshold must parse. See docs/stress.md.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseThreshold, type Threshold } from './lib/thresholds.ts';

export const OPS = ['create', 'amend', 'cancel', 'create-batch', 'cancel-batch', 'orderbook', 'tickers', 'recent-trade', 'kline'] as const;
export type Op = (typeof OPS)[number];
export const ORDER_OPS: ReadonlySet<Op> = new Set(['create', 'amend', 'cancel', 'create-batch', 'cancel-batch']);

const ThresholdText = z.string().superRefine((s, ctx) => {
  try {
    parseThreshold(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

export const MixEntry = z.strictObject({
  op: z.enum(OPS),
  weight: z.number().positive(),
  /** Items per batch request (create-batch, cancel-batch); 1..20. */
  batchSize: z.number().int().min(1).max(20).optional(),
  /** orderbook / recent-trade / kline `limit`. */
  limit: z.number().int().min(1).max(1000).optional(),
});
export type MixEntry = z.infer<typeof MixEntry>;

export const Profile = z.strictObject({
  description: z.string().default(''),
  /** closed: `connections` each send the next request when the previous answered; open: a fixed offered `rate`. */
  mode: z.enum(['closed', 'open']),
  connections: z.number().int().min(1).max(1000),
  /** Offered req/s for mode open (autocannon connectionRate = rate / connections); required there. */
  rate: z.number().positive().optional(),
  durationS: z.number().positive().max(3600).default(10),
  warmupS: z.number().min(0).max(60).default(1),
  /** Accounts created on the venue (order entry is spread over them round-robin). */
  accounts: z.number().int().min(1).max(2000).default(1),
  symbol: z.string().default('BTCUSDT'),
  /** Upper bound of open orders a single account keeps; a create beyond it becomes a cancel. */
  maxOpenPerAccount: z.number().int().min(1).max(400).default(50),
  /** The venue child (when no --target): a static book, and optionally the calm background market at 1×. */
  venue: z.strictObject({ staticBook: z.boolean().default(true), market: z.boolean().default(false) }).default({ staticBook: true, market: false }),
  seed: z.number().int().default(1),
  mix: z.array(MixEntry).min(1),
  thresholds: z.array(ThresholdText).min(1),
}).superRefine((p, ctx) => {
  if (p.mode === 'open' && p.rate === undefined) ctx.addIssue({ code: 'custom', path: ['rate'], message: 'mode open needs a rate' });
});
export type ProfileInput = z.input<typeof Profile>;
export type ProfileData = z.infer<typeof Profile>;
export interface LoadedProfile extends ProfileData {
  readonly name: string;
  readonly parsedThresholds: readonly Threshold[];
}

export const PROFILE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'profiles');

export class ProfileError extends Error {}

export function parseProfile(name: string, data: unknown): LoadedProfile {
  const r = Profile.safeParse(data);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ProfileError(`profile ${name} is invalid:\n${lines.join('\n')}`);
  }
  return { ...r.data, name, parsedThresholds: r.data.thresholds.map(parseThreshold) };
}

/** A profile by name (stress/profiles/<name>.yaml) or by path. */
export function loadProfile(nameOrPath: string): LoadedProfile {
  const path = existsSync(nameOrPath) ? nameOrPath : join(PROFILE_DIR, nameOrPath.endsWith('.yaml') ? nameOrPath : `${nameOrPath}.yaml`);
  if (!existsSync(path)) throw new ProfileError(`no profile "${nameOrPath}" (known: ${listProfiles().join(', ')})`);
  return parseProfile(basename(path).replace(/\.ya?ml$/, ''), parseYaml(readFileSync(path, 'utf8')));
}

export function listProfiles(): string[] {
  return readdirSync(PROFILE_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.replace(/\.yaml$/, ''))
    .sort();
}

/** WebSocket load profiles (stress/profiles/ws/<name>.yaml), for `npm run stress:ws`. */
export const WsProfile = z.strictObject({
  description: z.string().default(''),
  public: z.number().int().min(0).max(5000),
  private: z.number().int().min(0).max(500),
  /** Order operations per second over all private connections (create and cancel alternate). */
  rate: z.number().min(0).max(100_000),
  durationS: z.number().positive().max(3600).default(10),
  symbol: z.string().default('BTCUSDT'),
  thresholds: z.array(ThresholdText).min(1),
});
export type WsProfileData = z.infer<typeof WsProfile> & { readonly name: string; readonly parsedThresholds: readonly Threshold[] };

export function loadWsProfile(nameOrPath: string): WsProfileData {
  const path = existsSync(nameOrPath) ? nameOrPath : join(PROFILE_DIR, 'ws', `${nameOrPath.replace(/\.yaml$/, '')}.yaml`);
  if (!existsSync(path)) throw new ProfileError(`no WebSocket profile "${nameOrPath}" in ${join(PROFILE_DIR, 'ws')}`);
  const r = WsProfile.safeParse(parseYaml(readFileSync(path, 'utf8')));
  if (!r.success) throw new ProfileError(`profile ${path} is invalid:\n${r.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n')}`);
  return { ...r.data, name: basename(path).replace(/\.ya?ml$/, ''), parsedThresholds: r.data.thresholds.map(parseThreshold) };
}
