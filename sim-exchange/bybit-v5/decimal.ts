/**
 * Exact conversion between Bybit's decimal strings and integer steps (ticks, lots). A price is a string on the wire
 * and an integer inside; it is converted exactly once each way and never passes through a float.
 */

/** A step such as a tick size: `units` × 10^-scale. "0.10" → { scale: 1, units: 1 }, "0.5" → { scale: 1, units: 5 }. */
export interface Step {
  readonly text: string;
  readonly scale: number;
  readonly units: number;
}

const DECIMAL = /^(\d{1,16})(?:\.(\d{1,18}))?$/;

export function parseStep(text: string): Step {
  const m = DECIMAL.exec(text);
  if (!m) throw new Error(`not a decimal step: ${text}`);
  const frac = (m[2] ?? '').replace(/0+$/, '');
  const units = Number(`${m[1]}${frac}`);
  if (!Number.isSafeInteger(units) || units <= 0) throw new Error(`step must be positive: ${text}`);
  return { text, scale: frac.length, units };
}

export type ParseResult = { ok: true; value: number } | { ok: false; why: string };

/**
 * Parses a non-negative decimal string into a whole number of steps. Refuses (never rounds) anything else:
 * signs, exponents, more decimals than the step has, values that are not a multiple of the step, unsafe integers.
 */
export function toSteps(text: unknown, step: Step): ParseResult {
  if (typeof text !== 'string') return { ok: false, why: 'must be a decimal string' };
  const m = DECIMAL.exec(text);
  if (!m) return { ok: false, why: `"${clip(text)}" is not a non-negative decimal` };
  const frac = (m[2] ?? '').replace(/0+$/, '');
  if (frac.length > step.scale) return { ok: false, why: `"${clip(text)}" has too many decimals (step ${step.text})` };
  const scaled = Number(`${m[1]}${frac.padEnd(step.scale, '0')}`);
  if (!Number.isSafeInteger(scaled)) return { ok: false, why: `"${clip(text)}" is too large` };
  if (scaled % step.units !== 0) return { ok: false, why: `"${clip(text)}" is not a multiple of ${step.text}` };
  return { ok: true, value: scaled / step.units };
}

/** Formats a whole number of steps with exactly `decimals` decimals (>= the step's scale). */
export function fromSteps(steps: number, step: Step, decimals: number = step.scale): string {
  return formatScaled(steps * step.units, step.scale, decimals);
}

/** Formats an integer that counts 10^-scale units, with exactly `decimals` decimals (decimals >= scale). */
export function formatScaled(value: number, scale: number, decimals: number): string {
  // A wrong string on the wire is worse than an exception: refuse what cannot be printed exactly.
  if (!Number.isSafeInteger(value) || !Number.isInteger(scale) || scale < 0 || decimals < scale) {
    throw new RangeError(`formatScaled(${value}, ${scale}, ${decimals})`);
  }
  const neg = value < 0;
  const digits = Math.abs(value).toString().padStart(scale + 1, '0');
  const int = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale).padEnd(decimals, '0');
  return `${neg ? '-' : ''}${int}${decimals > 0 ? `.${frac}` : ''}`;
}

/** Decimal count of a decimal string as written: "0.010" → 3. */
export function decimalsOf(text: string): number {
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
