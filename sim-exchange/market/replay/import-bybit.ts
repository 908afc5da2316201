/**
 * Importer for Bybit V5 public WebSocket captures (../shared/reference/bybit-v5.md §6.3): one JSON message per line,
 * optionally prefixed by a receive stamp (`<ns|µs|ms> <json>`); without one, the message's `ts` (ms) is used.
 *
 *  - `orderbook.{depth}.{symbol}`: `snapshot` replaces the book (a snapshot with u=1, sent after a service restart,
 *    is one of these: a reset); `delta` lists absolute sizes, "0" deletes. Deltas before the first snapshot are
 *    skipped. Update ids normally run +1 per message: a delta whose u is not previous u + 1 is counted bad with a
 *    "gap" reason and still applied (the next snapshot resets the book); one whose u is not above the previous u is
 *    counted bad and not applied. The first orderbook topic seen is the one used; other depths of it are skipped.
 *  - `publicTrade.{symbol}`: `data` is an array of prints, `S` is the taker side. Block trades (`BT: true`) are
 *    skipped (counted per print): they are negotiated off the book and consume none of it. Trades before the first
 *    book snapshot are skipped.
 *  - Subscription acks and pongs (`op`/`success`), tickers, kline, liquidation: skipped. Anything else is bad.
 */
import type { ImportedSession } from '../events.ts';
import { readLines, parseStampUs, splitStamped, InputStreamError } from './lines.ts';
import {
  SessionBuilder, resolveSteps, parseLevels, parseTradePx, asObject, isInt,
  type StepOptions, type Steps,
} from './session-builder.ts';

export interface BybitImportOptions extends StepOptions {
  readonly source?: string | undefined;
}

const SKIPPED_TOPICS = ['tickers.', 'kline.', 'liquidation.', 'allLiquidation.', 'orderbook.rpi.', 'insurance.'];

export class BybitImporter {
  private readonly out: SessionBuilder;
  private symbol: string | undefined;
  private steps: Steps | undefined;
  /** The orderbook topic in use (the first seen for the symbol). */
  private bookTopic: string | undefined;
  /** u of the last snapshot or delta applied; undefined = no snapshot yet. */
  private lastU: number | undefined;

  constructor(private readonly opts: BybitImportOptions = {}) {
    this.out = new SessionBuilder(opts.source ?? '(lines)', 'bybit-v5-public');
    if (opts.symbol !== undefined) this.useSymbol(opts.symbol);
  }

  push(text: string, line: number): void {
    const trimmed = text.trim();
    if (trimmed === '') return;
    this.out.lines++;
    const { stamp, json } = splitStamped(trimmed);
    let stampUs: number | null = null;
    if (stamp !== null) {
      stampUs = parseStampUs(stamp);
      if (stampUs === null) return this.out.badLine(line, `bad receive stamp "${stamp.slice(0, 24)}"`);
    }
    let msg: unknown;
    try {
      msg = JSON.parse(json);
    } catch {
      return this.out.badLine(line, 'bad JSON');
    }
    const obj = asObject(msg);
    if (!obj) return this.out.badLine(line, 'not a JSON object');
    if (typeof obj.topic !== 'string') {
      if ('op' in obj || 'success' in obj) return this.out.skip(); // subscribe ack, pong
      return this.out.badLine(line, 'unknown message (no topic)');
    }
    const topic = obj.topic;
    if (SKIPPED_TOPICS.some((p) => topic.startsWith(p))) return this.out.skip();
    const isBook = topic.startsWith('orderbook.');
    if (!isBook && !topic.startsWith('publicTrade.')) return this.out.badLine(line, `unknown topic "${topic.slice(0, 40)}"`);

    const tsUs = stampUs ?? (isInt(obj.ts) ? obj.ts * 1000 : null);
    if (tsUs === null) return this.out.badLine(line, 'no receive stamp and no ts');
    this.out.seen(tsUs);
    const topicSymbol = topic.slice(topic.lastIndexOf('.') + 1);
    if (this.symbol === undefined) this.useSymbol(topicSymbol);
    if (topicSymbol !== this.symbol) return this.out.skip();
    return isBook ? this.onBook(obj, topic, tsUs, line) : this.onTrades(obj, tsUs, line);
  }

  streamError(line: number, message: string): void {
    this.out.badLine(line, `input stream error: ${message}`);
  }

  finish(): ImportedSession {
    return this.out.build(this.symbol ?? '', this.steps);
  }

  private useSymbol(symbol: string): void {
    this.symbol = symbol;
    this.steps = resolveSteps(symbol, this.opts);
  }

  private onBook(obj: Record<string, unknown>, topic: string, tsUs: number, line: number): void {
    if (this.bookTopic === undefined) this.bookTopic = topic;
    if (topic !== this.bookTopic) return this.out.skip();
    const data = asObject(obj.data);
    if (!data || !isInt(data.u) || (obj.type !== 'snapshot' && obj.type !== 'delta')) {
      return this.out.badLine(line, 'orderbook message without type snapshot|delta or data.u');
    }
    const snapshot = obj.type === 'snapshot';
    const u = data.u;
    if (!snapshot) {
      if (this.lastU === undefined) return this.out.skip(); // no book to apply it to yet
      if (u <= this.lastU) return this.out.badLine(line, `stale delta: u=${u} <= previous u=${this.lastU}; not applied`);
      if (u !== this.lastU + 1) this.out.badLine(line, `broken chain: u=${u} after ${this.lastU}; applied anyway`);
    }
    this.lastU = u;
    const bids = parseLevels(data.b, this.steps!, snapshot);
    const asks = parseLevels(data.a, this.steps!, snapshot);
    if (!bids.ok || !asks.ok) return this.out.badLine(line, `orderbook ${obj.type}: ${!bids.ok ? bids.why : !asks.ok ? asks.why : ''}`);
    this.out.book(tsUs, this.symbol!, snapshot, bids.value, asks.value);
  }

  private onTrades(obj: Record<string, unknown>, tsUs: number, line: number): void {
    if (!Array.isArray(obj.data)) return this.out.badLine(line, 'publicTrade without a data array');
    if (this.lastU === undefined) return this.out.skip();
    // Validate every print first: a message is used whole or not at all.
    const prints: { price: number; qty: number; side: 'Buy' | 'Sell'; id: string | undefined }[] = [];
    let block = 0;
    for (const raw of obj.data) {
      const t = asObject(raw);
      if (!t) return this.out.badLine(line, 'publicTrade item is not an object');
      if (t.S !== 'Buy' && t.S !== 'Sell') return this.out.badLine(line, 'publicTrade item without S (Buy|Sell)');
      const px = parseTradePx(t.p, t.v, this.steps!);
      if (!px.ok) return this.out.badLine(line, px.why);
      if (t.BT === true) {
        block++;
        continue;
      }
      prints.push({ ...px.value, side: t.S, id: typeof t.i === 'string' ? t.i : undefined });
    }
    this.out.skip(block);
    for (const p of prints) this.out.trade(tsUs, this.symbol!, p.price, p.qty, p.side, p.id);
  }
}

export async function importBybit(path: string, opts: BybitImportOptions = {}): Promise<ImportedSession> {
  const core = new BybitImporter({ ...opts, source: opts.source ?? path });
  let n = 0;
  try {
    for await (const line of readLines(path)) core.push(line, ++n);
  } catch (e) {
    if (!(e instanceof InputStreamError)) throw e;
    core.streamError(n + 1, e.message);
  }
  return core.finish();
}
