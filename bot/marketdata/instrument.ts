/**
 * Instrument rules (tick, lot, limits) and exact conversions between the venue's decimal strings and integer steps.
 *
 * The bot computes every price in integer ticks and every size in integer lots, and only formats back to decimal
 * strings at the seam with execution: integer arithmetic cannot drift, and two quotes for the same level always
 * format to the same string (execution compares them as strings).
 */

/** A non-negative decimal as mantissa × 10^-scale, exactly ("0.10" → 10n, 2). */
export interface Fixed {
  readonly mantissa: bigint;
  readonly scale: number;
}

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

export function parseFixed(s: string): Fixed {
  const m = DECIMAL.exec(s.trim());
  if (m === null) throw new Error(`not a non-negative decimal: "${s}"`);
  const frac = m[2] ?? '';
  return { mantissa: BigInt(m[1]! + frac), scale: frac.length };
}

function rescale(f: Fixed, scale: number): bigint {
  return f.mantissa * 10n ** BigInt(scale - f.scale);
}

export interface InstrumentSpec {
  readonly symbol: string;
  readonly tickSize: string;
  readonly qtyStep: string;
  readonly minOrderQty: string;
  readonly maxOrderQty: string;
  /** Minimum price × qty in quote currency ("0" when the venue has none). */
  readonly minNotional: string;
}

/** Integer-step view of an instrument. Construct once from the venue's instruments-info. */
export class Instrument {
  readonly symbol: string;
  readonly tick: Fixed;
  readonly lot: Fixed;
  readonly minLots: number;
  readonly maxLots: number;
  private readonly minNotional: Fixed;
  /** Tick size and lot size as numbers, for the float parts of the model (volatility, scores). */
  readonly tickValue: number;
  readonly lotValue: number;

  constructor(spec: InstrumentSpec) {
    this.symbol = spec.symbol;
    this.tick = parseFixed(spec.tickSize);
    this.lot = parseFixed(spec.qtyStep);
    if (this.tick.mantissa <= 0n || this.lot.mantissa <= 0n) throw new Error(`${spec.symbol}: tick and lot must be > 0`);
    this.minLots = this.toStepsCeil(spec.minOrderQty, this.lot);
    this.maxLots = this.toStepsFloor(spec.maxOrderQty, this.lot);
    this.minNotional = parseFixed(spec.minNotional || '0');
    this.tickValue = Number(spec.tickSize);
    this.lotValue = Number(spec.qtyStep);
  }

  /** Price string → ticks; throws if not on the tick grid (the venue never sends such a price). */
  priceToTicks(price: string): number {
    return this.exactSteps(price, this.tick, 'price');
  }

  qtyToLots(qty: string): number {
    return this.exactSteps(qty, this.lot, 'qty');
  }

  /** Decimal quantity (e.g. a configured size) → lots, rounded down. */
  qtyToLotsFloor(qty: string): number {
    return this.toStepsFloor(qty, this.lot);
  }

  ticksToPrice(ticks: number): string {
    return format(BigInt(ticks) * this.tick.mantissa, this.tick.scale);
  }

  lotsToQty(lots: number): string {
    return format(BigInt(lots) * this.lot.mantissa, this.lot.scale);
  }

  /** Exact check of price × qty ≥ min notional. */
  meetsMinNotional(ticks: number, lots: number): boolean {
    const scale = this.tick.scale + this.lot.scale;
    const notional = BigInt(ticks) * this.tick.mantissa * BigInt(lots) * this.lot.mantissa;
    const min = this.minNotional.scale <= scale ? rescale(this.minNotional, scale) : undefined;
    if (min !== undefined) return notional >= min;
    // Min notional has more decimals than tick × lot: compare at its scale instead.
    return notional * 10n ** BigInt(this.minNotional.scale - scale) >= this.minNotional.mantissa;
  }

  /** Fewest lots that meet min notional at `ticks` (≥ minLots). */
  minLotsAt(ticks: number): number {
    if (ticks <= 0) return Number.MAX_SAFE_INTEGER;
    const scale = Math.max(this.tick.scale + this.lot.scale, this.minNotional.scale);
    const perLot = BigInt(ticks) * this.tick.mantissa * this.lot.mantissa * 10n ** BigInt(scale - this.tick.scale - this.lot.scale);
    const need = rescale(this.minNotional, scale);
    const lots = Number((need + perLot - 1n) / perLot);
    return Math.max(this.minLots, lots);
  }

  private exactSteps(s: string, step: Fixed, what: string): number {
    const v = parseFixed(s);
    const scale = Math.max(v.scale, step.scale);
    const a = rescale(v, scale);
    const b = rescale(step, scale);
    if (a % b !== 0n) throw new Error(`${this.symbol}: ${what} ${s} is not a multiple of ${format(step.mantissa, step.scale)}`);
    return Number(a / b);
  }

  private toStepsFloor(s: string, step: Fixed): number {
    const v = parseFixed(s);
    const scale = Math.max(v.scale, step.scale);
    return Number(rescale(v, scale) / rescale(step, scale));
  }

  private toStepsCeil(s: string, step: Fixed): number {
    const v = parseFixed(s);
    const scale = Math.max(v.scale, step.scale);
    const a = rescale(v, scale);
    const b = rescale(step, scale);
    return Number((a + b - 1n) / b);
  }
}

function format(m: bigint, scale: number): string {
  const neg = m < 0n;
  const digits = (neg ? -m : m).toString().padStart(scale + 1, '0');
  const s = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return neg ? `-${s}` : s;
}
