import { z } from 'zod';
import type { BookSpec } from './engine/types.ts';
import { parseStep, toSteps, decimalsOf, type Step } from './bybit-v5/decimal.ts';

/**
 * A listed USDT linear perpetual, as instruments-info describes it (strings, Bybit's field names), plus the integer
 * view the engine and the accounts work in. Cash is counted in nano-USDT (1e-8, Bybit's fee precision) so that
 * notional = ticks × lots × cashPerTickLot is an exact integer.
 */
export const InstrumentConfig = z
  .object({
    symbol: z.string().regex(/^[A-Z0-9]{2,20}USDT$/),
    baseCoin: z.string().regex(/^[A-Z0-9]{1,16}$/),
    tickSize: z.string(),
    priceScale: z.number().int().min(0).max(10),
    minPrice: z.string(),
    maxPrice: z.string(),
    qtyStep: z.string(),
    minOrderQty: z.string(),
    maxOrderQty: z.string(),
    maxMktOrderQty: z.string(),
    minNotionalValue: z.string(),
    maxLeverage: z.string().default('100.00'),
    /** Bybit's riskParameters.priceLimitRatioX: market orders trade no further than this from the touch. */
    priceLimitRatio: z.string().default('0.05'),
    launchTime: z.string().default('1585526400000'),
  })
  .strict();
export type InstrumentConfig = z.infer<typeof InstrumentConfig>;

export interface Instrument {
  readonly config: InstrumentConfig;
  readonly symbol: string;
  readonly tick: Step;
  readonly lot: Step;
  readonly priceDecimals: number;
  readonly qtyDecimals: number;
  readonly spec: BookSpec;
  /** nano-USDT per (1 tick × 1 lot). */
  readonly cashPerTickLot: number;
  readonly priceLimitRatio: number;
  readonly maxLeverage: number;
}

export const NANO_PER_USDT = 100_000_000;

export function makeInstrument(raw: unknown): Instrument {
  const config = InstrumentConfig.parse(raw);
  const tick = parseStep(config.tickSize);
  const lot = parseStep(config.qtyStep);
  const must = (text: string, step: Step, what: string): number => {
    const r = toSteps(text, step);
    if (!r.ok) throw new Error(`${config.symbol}.${what}: ${r.why}`);
    return r.value;
  };
  // nano-USDT per tick×lot = tickUnits·10^-tickScale · lotUnits·10^-lotScale · 10^8.
  const exp = 8 - tick.scale - lot.scale;
  const cashPerTickLot = tick.units * lot.units * 10 ** exp;
  if (exp < 0 || !Number.isSafeInteger(cashPerTickLot)) {
    throw new Error(`${config.symbol}: tickSize × qtyStep must be a multiple of 1e-8 USDT`);
  }
  const notionalTL = Number(config.minNotionalValue) * NANO_PER_USDT / cashPerTickLot;
  const spec: BookSpec = {
    minPriceTicks: must(config.minPrice, tick, 'minPrice'),
    maxPriceTicks: must(config.maxPrice, tick, 'maxPrice'),
    minQtyLots: must(config.minOrderQty, lot, 'minOrderQty'),
    maxQtyLots: must(config.maxOrderQty, lot, 'maxOrderQty'),
    maxMktQtyLots: must(config.maxMktOrderQty, lot, 'maxMktOrderQty'),
    minNotional: Math.ceil(notionalTL - 1e-9),
  };
  return {
    config,
    symbol: config.symbol,
    tick,
    lot,
    priceDecimals: Math.max(config.priceScale, tick.scale),
    qtyDecimals: decimalsOf(config.qtyStep),
    spec,
    cashPerTickLot,
    priceLimitRatio: Number(config.priceLimitRatio),
    maxLeverage: Number(config.maxLeverage),
  };
}

/** Bybit's own values for the two instruments the bench lists by default (instruments-info, 2026). */
export const DEFAULT_INSTRUMENTS: InstrumentConfig[] = [
  {
    symbol: 'BTCUSDT', baseCoin: 'BTC', tickSize: '0.10', priceScale: 2, minPrice: '0.10', maxPrice: '1999999.80',
    qtyStep: '0.001', minOrderQty: '0.001', maxOrderQty: '1190.000', maxMktOrderQty: '500.000', minNotionalValue: '5',
    maxLeverage: '100.00', priceLimitRatio: '0.05', launchTime: '1585526400000',
  },
  {
    symbol: 'ETHUSDT', baseCoin: 'ETH', tickSize: '0.01', priceScale: 2, minPrice: '0.01', maxPrice: '199999.98',
    qtyStep: '0.01', minOrderQty: '0.01', maxOrderQty: '7240.00', maxMktOrderQty: '3619.00', minNotionalValue: '5',
    maxLeverage: '100.00', priceLimitRatio: '0.05', launchTime: '1615766400000',
  },
];
