/**
 * Building blocks shared by the scenario schema (schema.ts) and the bot section (bot-spec.ts): durations as written
 * in a scenario, the key-by-key merge that lays overrides over a document, the error of a file with problems, and the
 * root relative paths start from.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** Root of the repository: relative paths in scenario documents (a replay's file, a bot's template and cwd) start here. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m)$/;

/** A duration such as `30s`, `500ms`, `1.5s`, `2m` → milliseconds. Bare numbers are refused (which unit?). */
export const Duration = z
  .string({ error: 'expected a duration such as 30s, 500ms or 2m' })
  .regex(DURATION_RE, { error: 'expected a duration such as 30s, 500ms or 2m' })
  .transform((s) => {
    const [, n, unit] = DURATION_RE.exec(s)!;
    return Math.round(Number(n) * (unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000));
  });

/** A file the bench cannot use: every problem on its own line, each prefixed with the file (`mmbench` exits 2). */
export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(problems.map((p) => `${file}: ${p}`).join('\n'));
    this.name = 'ScenarioError';
  }
}

/** Objects merge key by key (recursively); arrays and scalars in `over` replace. */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

export function isPlainObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}
