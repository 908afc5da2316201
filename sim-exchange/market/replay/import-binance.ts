/**
 * Importer for Binance USD-M futures raw WebSocket captures (data/fixtures/SOURCES.md, "How to read it"):
 * `<receive stamp> <json>` per line, the stamp in ns (19 digits) or µs (16 digits).
 *
 *  - `depthUpdate` diffs (U, u, pu; absolute sizes, "0" deletes) are buffered until the REST snapshot line
 *    (`{"lastUpdateId","bids","asks"}`, no "stream" key) arrives; then diffs with u <= lastUpdateId are dropped
 *    (counted as skipped), the first kept one must have U <= lastUpdateId + 1, and each later one pu = previous u.
 *    Buffered diffs are stamped with the snapshot's receive time: their content is newer than the snapshot.
 *  - A broken chain (pu != previous u, i.e. messages were lost) is counted as a bad line with a "gap" reason and the
 *    diff is still applied: the book goes on from there, possibly stale at the levels the lost diffs touched, until
 *    the next snapshot line (if the capture has one), which resets the book. A diff whose u is not above the
 *    previous u (a duplicate or reordered message) is counted bad and not applied, since it would roll levels back.
 *  - `trade`: one print each, taker side = m ? Sell : Buy. Trades before the first snapshot are skipped (no book).
 *  - `bookTicker`, `markPriceUpdate` and other known non-book streams are skipped; any other shape is a bad line.
 */
import type { ImportedSession } from '../events.ts';
import { readLines, parseStampUs, splitStamped, InputStreamError } from './lines.ts';
import {
  SessionBuilder, resolveSteps, parseLevels, parseTradePx, asObject, isInt,
  type StepOptions, type Steps,
} from './session-builder.ts';

export interface BinanceImportOptions extends StepOptions {
  /** Name for the report (default: the path). */
  readonly source?: string | undefined;
}

/** Streams Binance publishes that the replay does not use: valid, counted as skipped. */
const SKIPPED_EVENTS = new Set(['bookTicker', 'markPriceUpdate', 'aggTrade', 'forceOrder', 'kline', '24hrTicker', '24hrMiniTicker']);

interface Diff {
  readonly line: number;
  readonly tsUs: number;
  readonly U: number;
  readonly u: number;
  readonly pu: number;
  readonly b: unknown;
  readonly a: unknown;
}

interface Snapshot {
  readonly line: number;
  readonly tsUs: number;
  readonly lastUpdateId: number;
  readonly bids: unknown;
  readonly asks: unknown;
}

/** The pure core: feed lines in order with `push`, then `finish`. No I/O, so tests can drive it with arrays. */
export class BinanceImporter {
  private readonly out: SessionBuilder;
  private symbol: string | undefined;
  private steps: Steps | undefined;
  /** Diffs seen before the first snapshot, waiting for it. */
  private buffer: Diff[] = [];
  /** A snapshot line read before any line named the symbol (so the tick size was not known yet). */
  private pendingSnapshot: Snapshot | undefined;
  /** lastUpdateId of the snapshot in force; undefined = not synced yet. */
  private snapshotId: number | undefined;
  /** u of the last diff applied since that snapshot; undefined = none yet. */
  private lastU: number | undefined;

  constructor(private readonly opts: BinanceImportOptions = {}) {
    this.out = new SessionBuilder(opts.source ?? '(lines)', 'binance-usdm-raw');
    if (opts.symbol !== undefined) this.useSymbol(opts.symbol);
  }

  push(text: string, line: number): void {
    if (text.trim() === '') return;
    this.out.lines++;
    const { stamp, json } = splitStamped(text.trim());
    const tsUs = stamp === null ? null : parseStampUs(stamp);
    if (tsUs === null) return this.out.badLine(line, stamp === null ? 'no receive stamp' : `bad receive stamp "${stamp.slice(0, 24)}"`);
    let msg: unknown;
    try {
      msg = JSON.parse(json);
    } catch {
      return this.out.badLine(line, 'bad JSON');
    }
    const obj = asObject(msg);
    if (!obj) return this.out.badLine(line, 'not a JSON object');
    this.out.seen(tsUs);

    if (!('stream' in obj)) {
      if (isInt(obj.lastUpdateId) && Array.isArray(obj.bids) && Array.isArray(obj.asks)) {
        return this.onSnapshot({ line, tsUs, lastUpdateId: obj.lastUpdateId, bids: obj.bids, asks: obj.asks });
      }
      return this.out.badLine(line, 'unknown message (no "stream", not a depth snapshot)');
    }
    const data = asObject(obj.data);
    if (!data || typeof data.e !== 'string') return this.out.badLine(line, 'stream message without data.e');
    if (SKIPPED_EVENTS.has(data.e)) return this.out.skip();
    if (data.e !== 'depthUpdate' && data.e !== 'trade') return this.out.badLine(line, `unknown event "${data.e.slice(0, 32)}"`);
    if (typeof data.s !== 'string') return this.out.badLine(line, `${data.e} without symbol`);
    if (this.symbol === undefined) this.useSymbol(data.s);
    if (data.s !== this.symbol) return this.out.skip();

    if (data.e === 'depthUpdate') {
      if (!isInt(data.U) || !isInt(data.u) || !isInt(data.pu) || !Array.isArray(data.b) || !Array.isArray(data.a)) {
        return this.out.badLine(line, 'depthUpdate without U/u/pu/b/a');
      }
      const diff: Diff = { line, tsUs, U: data.U, u: data.u, pu: data.pu, b: data.b, a: data.a };
      if (this.snapshotId === undefined) this.buffer.push(diff);
      else this.onDiff(diff, tsUs);
      return;
    }
    // trade
    if (this.snapshotId === undefined) return this.out.skip();
    const px = parseTradePx(data.p, data.q, this.steps!);
    if (!px.ok) return this.out.badLine(line, px.why);
    if (typeof data.m !== 'boolean') return this.out.badLine(line, 'trade without m (buyer is maker)');
    const id = isInt(data.t) || typeof data.t === 'string' ? String(data.t) : undefined;
    this.out.trade(tsUs, this.symbol!, px.value.price, px.value.qty, data.m ? 'Sell' : 'Buy', id);
  }

  /** The input broke at `line`: keep what was read, report the break. */
  streamError(line: number, message: string): void {
    this.out.badLine(line, `input stream error: ${message}`);
  }

  finish(): ImportedSession {
    // Diffs still waiting: no snapshot ever came, so they cannot be placed on a book.
    this.out.skip(this.buffer.length);
    this.buffer = [];
    if (this.pendingSnapshot) {
      this.out.badLine(this.pendingSnapshot.line, 'snapshot but no line named the symbol (pass symbol)');
      this.pendingSnapshot = undefined;
    }
    return this.out.build(this.symbol ?? '', this.steps);
  }

  private useSymbol(symbol: string): void {
    this.symbol = symbol;
    this.steps = resolveSteps(symbol, this.opts);
    const p = this.pendingSnapshot;
    this.pendingSnapshot = undefined;
    if (p) this.onSnapshot(p);
  }

  private onSnapshot(s: Snapshot): void {
    if (!this.steps) {
      // The REST snapshot carries no symbol; hold it until a stream line names one.
      if (this.pendingSnapshot) this.out.badLine(this.pendingSnapshot.line, 'snapshot superseded before the symbol was known');
      this.pendingSnapshot = s;
      return;
    }
    const bids = parseLevels(s.bids, this.steps, true);
    const asks = parseLevels(s.asks, this.steps, true);
    if (!bids.ok || !asks.ok) {
      return this.out.badLine(s.line, `snapshot: ${!bids.ok ? bids.why : !asks.ok ? asks.why : ''}`);
    }
    this.out.book(s.tsUs, this.symbol!, true, bids.value, asks.value);
    this.snapshotId = s.lastUpdateId;
    this.lastU = undefined;
    const waiting = this.buffer;
    this.buffer = [];
    for (const d of waiting) this.onDiff(d, Math.max(d.tsUs, s.tsUs));
  }

  private onDiff(d: Diff, tsUs: number): void {
    const L = this.snapshotId!;
    if (d.u <= L) return this.out.skip(); // already contained in the snapshot
    if (this.lastU === undefined) {
      if (d.U > L + 1) this.out.badLine(d.line, `gap after snapshot: U=${d.U} > lastUpdateId+1=${L + 1}; applied anyway`);
    } else if (d.pu !== this.lastU) {
      if (d.u <= this.lastU) return this.out.badLine(d.line, `stale diff: u=${d.u} <= previous u=${this.lastU}; not applied`);
      this.out.badLine(d.line, `broken chain: pu=${d.pu} != previous u=${this.lastU}; applied anyway`);
    }
    // The chain moves on even when the content below is unusable, so one bad line is reported once, not twice.
    this.lastU = d.u;
    const bids = parseLevels(d.b, this.steps!, false);
    const asks = parseLevels(d.a, this.steps!, false);
    if (!bids.ok || !asks.ok) return this.out.badLine(d.line, `depthUpdate: ${!bids.ok ? bids.why : !asks.ok ? asks.why : ''}`);
    this.out.book(tsUs, this.symbol!, false, bids.value, asks.value);
  }
}

/** Imports a capture file (plain or gzip). Bad lines are counted, never fatal; a missing file throws. */
export async function importBinance(path: string, opts: BinanceImportOptions = {}): Promise<ImportedSession> {
  const core = new BinanceImporter({ ...opts, source: opts.source ?? path });
  let n = 0;
  try {
    for await (const line of readLines(path)) core.push(line, ++n);
  } catch (e) {
    if (!(e instanceof InputStreamError)) throw e;
    core.streamError(n + 1, e.message);
  }
  return core.finish();
}
