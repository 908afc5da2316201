/**
 * What both importers share: resolving an instrument's tick and lot, exact string → integer conversion of levels
 * and trades, and the builder that collects events and the report (counts, bad-line samples, time span).
 */
import type { BookEvent, ImportedSession, ImportReport, Level, MarketEvent, TradeEvent } from '../events.ts';
import { parseStep, toSteps, formatScaled, type Step } from '../../bybit-v5/decimal.ts';
import { DEFAULT_INSTRUMENTS } from '../../instruments.ts';

export interface StepOptions {
  /** The instrument to import; default: the first symbol the capture names. Lines of other symbols are skipped. */
  readonly symbol?: string | undefined;
  /** Tick and lot as decimal strings; default: the bench's listing of the symbol (instruments.ts). */
  readonly tickSize?: string | undefined;
  readonly lotSize?: string | undefined;
}

export interface Steps {
  readonly tick: Step;
  readonly lot: Step;
}

/** Tick and lot for `symbol`: given explicitly, else from the default listing. Unknown → a configuration error. */
export function resolveSteps(symbol: string, o: StepOptions): Steps {
  const listed = DEFAULT_INSTRUMENTS.find((i) => i.symbol === symbol);
  const tick = o.tickSize ?? listed?.tickSize;
  const lot = o.lotSize ?? listed?.qtyStep;
  if (tick === undefined || lot === undefined) {
    throw new Error(`no tick/lot size known for ${symbol}: pass tickSize and lotSize`);
  }
  return { tick: parseStep(tick), lot: parseStep(lot) };
}

/** "0.10" → "0.1": the canonical text of a step. */
export function stepText(s: Step): string {
  return formatScaled(s.units, s.scale, s.scale);
}

/** A reason a line could not be used, or the parsed value. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; why: string };

/**
 * `[[price, size], ...]` of decimal strings → integer levels, exactly (digits, never floats). A price that is not a
 * positive multiple of the tick, or a size that is not a multiple of the lot, refuses the whole list.
 * `dropZero`: a snapshot lists only live levels, so a zero size there is dropped rather than kept as a delete.
 */
export function parseLevels(raw: unknown, steps: Steps, dropZero: boolean): Parsed<Level[]> {
  if (!Array.isArray(raw)) return { ok: false, why: 'levels are not an array' };
  const out: Level[] = [];
  for (const entry of raw) {
    if (!Array.isArray(entry) || entry.length < 2) return { ok: false, why: 'level is not [price, size]' };
    const p = toSteps(entry[0], steps.tick);
    if (!p.ok) return { ok: false, why: `price ${p.why}` };
    if (p.value <= 0) return { ok: false, why: 'price must be positive' };
    const q = toSteps(entry[1], steps.lot);
    if (!q.ok) return { ok: false, why: `size ${q.why}` };
    if (dropZero && q.value === 0) continue;
    out.push([p.value, q.value]);
  }
  return { ok: true, value: out };
}

/** Price and quantity of one print, exactly; the quantity must be positive. */
export function parseTradePx(price: unknown, qty: unknown, steps: Steps): Parsed<{ price: number; qty: number }> {
  const p = toSteps(price, steps.tick);
  if (!p.ok) return { ok: false, why: `trade price ${p.why}` };
  if (p.value <= 0) return { ok: false, why: 'trade price must be positive' };
  const q = toSteps(qty, steps.lot);
  if (!q.ok) return { ok: false, why: `trade qty ${q.why}` };
  if (q.value <= 0) return { ok: false, why: 'trade qty must be positive' };
  return { ok: true, value: { price: p.value, qty: q.value } };
}

export const MAX_BAD_SAMPLES = 20;

/**
 * Collects events in source order and the report. Stamps are made non-decreasing (a line stamped earlier than the
 * one before it takes the previous stamp): source order is the order the update-id chain was checked in, so it is
 * kept rather than re-sorted.
 */
export class SessionBuilder {
  readonly events: MarketEvent[] = [];
  lines = 0;
  snapshots = 0;
  deltas = 0;
  trades = 0;
  bad = 0;
  skipped = 0;
  readonly badSamples: { line: number; reason: string }[] = [];
  /** Last event stamp (events are kept non-decreasing). */
  private lastTs: number | null = null;
  /** Span of every stamp read, used or not: the capture's coverage, as SOURCES.md states it. */
  private firstSeen: number | null = null;
  private lastSeen: number | null = null;

  constructor(private readonly source: string, private readonly format: ImportReport['format']) {}

  badLine(line: number, reason: string): void {
    this.bad++;
    if (this.badSamples.length < MAX_BAD_SAMPLES) this.badSamples.push({ line, reason });
  }

  skip(n = 1): void {
    this.skipped += n;
  }

  /** Notes the stamp of a line that parsed (whether or not it yields an event). */
  seen(tsUs: number): void {
    if (this.firstSeen === null || tsUs < this.firstSeen) this.firstSeen = tsUs;
    if (this.lastSeen === null || tsUs > this.lastSeen) this.lastSeen = tsUs;
  }

  private stamp(tsUs: number): number {
    const t = this.lastTs !== null && tsUs < this.lastTs ? this.lastTs : tsUs;
    this.lastTs = t;
    return t;
  }

  book(tsUs: number, symbol: string, snapshot: boolean, bids: Level[], asks: Level[]): void {
    const ev: BookEvent = { kind: 'book', tsUs: this.stamp(tsUs), symbol, snapshot, bids, asks };
    this.events.push(ev);
    if (snapshot) this.snapshots++;
    else this.deltas++;
  }

  trade(tsUs: number, symbol: string, priceTicks: number, qtyLots: number, takerSide: 'Buy' | 'Sell', id?: string): void {
    const ev: TradeEvent = id === undefined
      ? { kind: 'trade', tsUs: this.stamp(tsUs), symbol, priceTicks, qtyLots, takerSide }
      : { kind: 'trade', tsUs: this.stamp(tsUs), symbol, priceTicks, qtyLots, takerSide, id };
    this.events.push(ev);
    this.trades++;
  }

  build(symbol: string, steps: Steps | undefined): ImportedSession {
    const report: ImportReport = {
      source: this.source,
      format: this.format,
      lines: this.lines,
      events: { snapshot: this.snapshots, delta: this.deltas, trade: this.trades },
      badLines: this.bad,
      badSamples: this.badSamples,
      skipped: this.skipped,
      firstTsUs: this.firstSeen,
      lastTsUs: this.lastSeen,
    };
    return {
      symbol,
      tickSize: steps ? stepText(steps.tick) : '',
      lotSize: steps ? stepText(steps.lot) : '',
      events: this.events,
      report,
    };
  }
}

/** A JSON object, or null. */
export function asObject(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

export function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}
