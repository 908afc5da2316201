/**
 * Loading the config: YAML file → migration to the current version → environment overrides → zod validation.
 * Every failure is a ConfigError whose lines each name the path of the bad field, e.g.
 * `quoting.levels: expected integer in 1..20, got "x"`; main.ts prints them and exits 2.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { BotConfigSchema, type BotConfig } from './schema.ts';
import { migrate, MigrationError } from './migrate.ts';

/** Environment variables that override the venue section (for secrets and for pointing a config elsewhere). */
export const ENV_OVERRIDES = {
  MMBOT_REST_URL: 'restUrl',
  MMBOT_WS_PUBLIC_URL: 'wsPublicUrl',
  MMBOT_WS_PRIVATE_URL: 'wsPrivateUrl',
  MMBOT_WS_TRADE_URL: 'wsTradeUrl',
  MMBOT_API_KEY: 'apiKey',
  MMBOT_API_SECRET: 'apiSecret',
} as const;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[], readonly source?: string) {
    super(`invalid config${source ? ` ${source}` : ''}:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export function formatIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const base = issue.path.length === 0 ? '' : `${path}.`;
    return issue.keys.map((k) => `${base}${k}: unknown field`).join('\n  ');
  }
  const got = 'input' in issue && issue.input !== undefined ? `, got ${JSON.stringify(issue.input)}` : '';
  return `${path}: ${issue.message}${issue.input === undefined && issue.code === 'invalid_type' ? ' (missing)' : got}`;
}

/** Validates an already-parsed config document (any version) with environment overrides applied. */
export function parseConfig(doc: unknown, env: NodeJS.ProcessEnv = process.env, source?: string): BotConfig {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(['(root): expected a mapping of settings'], source);
  let migrated: Record<string, unknown>;
  try {
    migrated = migrate(doc as Record<string, unknown>).config;
  } catch (err) {
    if (err instanceof MigrationError) throw new ConfigError(err.issues.map((i) => `${formatIssue(i)} (in a version 1 config)`), source);
    throw err;
  }
  const withEnv = applyEnv(migrated, env);
  const r = BotConfigSchema.safeParse(withEnv, { reportInput: true });
  if (!r.success) throw new ConfigError(r.error.issues.map(formatIssue), source);
  return r.data;
}

export function applyEnv(config: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const venueIn = config['venue'];
  const venue: Record<string, unknown> = venueIn !== null && typeof venueIn === 'object' && !Array.isArray(venueIn) ? { ...(venueIn as Record<string, unknown>) } : {};
  let touched = false;
  for (const [name, field] of Object.entries(ENV_OVERRIDES)) {
    const v = env[name];
    if (v !== undefined && v !== '') {
      venue[field] = v;
      touched = true;
    }
  }
  // A malformed venue section stays as it was so that the schema reports it.
  if (!touched && venueIn !== undefined) return config;
  return { ...config, venue };
}

export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): BotConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([`cannot read ${path}: ${(err as Error).message}`]);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    throw new ConfigError([`YAML: ${(err as Error).message.split('\n')[0]}`], path);
  }
  return parseConfig(doc ?? {}, env, path);
}
